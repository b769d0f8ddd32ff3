"""School contacts: Key Contact (DSL), Deputy (DDSL), Head and others, with full history.

A change never overwrites: it closes the contact in force (valid_to, closed_by) and opens a new
one, so the contact on any past date can be shown. Every change is in the audit log with the old
and new values.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import audit, calendar, clock, db, schools, spreadsheet, stats

ROLES = {"key_contact": "Key Contact (DSL)", "deputy": "Deputy (DDSL)", "head": "Head teacher", "other": "Other"}
SINGLE_ROLES = ("key_contact", "deputy", "head")   # one in force at a time; "other" may be many
REQUIRED_TO_SEND = ("key_contact", "deputy")
CSV_COLUMNS = ["urn", "role", "name", "email", "phone"]

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_PHONE = re.compile(r"\+?[0-9 ()-]{7,20}")


class ContactError(ValueError):
    """A contact that cannot be saved; `field` says which input is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Contact:
    role: str
    name: str
    email: str | None = None
    phone: str | None = None


def validate(c: Contact, email_required: bool = True) -> Contact:
    """Tidy and check one contact; raises ContactError naming the field. No network look-ups."""
    role = (c.role or "").strip().lower().replace(" ", "_")
    if role not in ROLES:
        raise ContactError("role", f"role must be one of {', '.join(ROLES)}")
    name = " ".join((c.name or "").split())
    if not name:
        raise ContactError("name", "name is empty")
    if len(name) > 120 or not name.isprintable():
        raise ContactError("name", "a name is at most 120 printable characters")
    email = (c.email or "").strip()
    if email:
        if len(email) > 254 or not _EMAIL.fullmatch(email) or ".." in email:
            raise ContactError("email", f"'{email}' is not an email address")
        email = email.lower()
    elif email_required and role in REQUIRED_TO_SEND:
        raise ContactError("email", f"a {ROLES[role]} needs an email address: notifications go there")
    phone = " ".join((c.phone or "").split())
    if phone and not _PHONE.fullmatch(phone):
        raise ContactError("phone", f"'{phone}' is not a phone number")
    return Contact(role, name, email or None, phone or None)


def current(con, urn: int) -> list[dict]:
    return db.rows(con, "contacts/current", {"urn": urn})


def on_date(con, urn: int, when: datetime | date) -> list[dict]:
    """The contacts that were in force at that moment (a date means the end of that day)."""
    if not isinstance(when, datetime):
        when = datetime.combine(when, datetime.max.time())
    return db.rows(con, "contacts/on_date", {"urn": urn, "when": when})


def history(con, urn: int) -> list[dict]:
    return db.rows(con, "contacts/history", {"urn": urn})


def _check_school(cur, urn: int) -> None:
    if not cur.execute("select 1 from schools where urn = ? and in_register", [urn]).fetchone():
        raise ContactError("urn", f"URN {urn} is not in the schools register")


def save(con, urn: int, contact: Contact, username: str, replace_id: int | None = None) -> str:
    """Put a contact in force for a school: 'added', 'changed' or 'unchanged'.

    For Key Contact, Deputy and Head the one in force is replaced; an "other" contact replaces
    the one given by `replace_id`, or is added beside the others.
    """
    contact = validate(contact)
    with db.transaction(con) as cur:
        _check_school(cur, urn)
        return _save(cur, urn, contact, username, replace_id)


def _save(cur, urn: int, c: Contact, username: str, replace_id: int | None) -> str:
    in_force = db.rows(cur, "contacts/current", {"urn": urn})
    if c.role in SINGLE_ROLES:
        old = next((o for o in in_force if o["role"] == c.role), None)
    elif replace_id is not None:
        old = next((o for o in in_force if o["id"] == replace_id), None)
    else:  # an "other" with an email already in force is the same person
        old = next((o for o in in_force if o["role"] == "other" and c.email and o["email"] == c.email), None)
    if old and (old["name"], old["email"], old["phone"]) == (c.name, c.email, c.phone):
        return "unchanged"
    now = clock.now()
    if old:
        db.run(cur, "contacts/close", {"id": old["id"], "now": now, "username": username})
    db.run(cur, "contacts/insert", {"urn": urn, "role": c.role, "name": c.name, "email": c.email,
                                    "phone": c.phone, "now": now, "username": username})
    stats.touch(cur)  # "blocked now" follows the contacts
    audit.record(cur, username, "contact_changed" if old else "contact_added", "school", urn, role=c.role,
                 old=_values(old), new=_values(vars(c)))
    return "changed" if old else "added"


def _values(row: dict | None) -> dict | None:
    return {k: row[k] for k in ("name", "email", "phone")} if row else None


def remove(con, contact_id: int, username: str) -> None:
    """End a contact without a replacement (it stays in the history)."""
    with db.transaction(con) as cur:
        row = cur.execute("select urn, role, name, email, phone from school_contacts where id = ? and valid_to is null",
                          [contact_id]).fetchone()
        if row is None:
            raise ContactError("id", "that contact is not in force")
        db.run(cur, "contacts/close", {"id": contact_id, "now": clock.now(), "username": username})
        stats.touch(cur)
        audit.record(cur, username, "contact_removed", "school", row[0], role=row[1],
                     old={"name": row[2], "email": row[3], "phone": row[4]}, new=None)


def confirm(con, urn: int, username: str, on: date | None = None) -> None:
    """The school has confirmed its contacts are right (the yearly re-confirmation, or any time)."""
    with db.transaction(con) as cur:
        _check_school(cur, urn)
        cur.execute("insert into school_confirmations values (?, ?, ?)", [urn, on or clock.today(), username])
        audit.record(cur, username, "contacts_confirmed", "school", urn)


# --- bulk ---------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejections: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "rejected": len(self.rejections), "rejections": self.rejections}


def import_csv(con, data: bytes, username: str) -> ImportReport:
    """Contacts from CSV (urn, role, name, email, phone). Bad rows are rejected with their row number;
    everything else is kept, in one transaction."""
    try:
        text = spreadsheet.decode_text(data)
    except spreadsheet.UnreadableFile as exc:
        raise ContactError("file", str(exc)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("urn", "role", "name", "email") if c not in headers]
    if missing:
        raise ContactError("file", f"missing column(s): {', '.join(missing)} (expected {', '.join(CSV_COLUMNS)})")
    report = ImportReport()
    with db.transaction(con) as cur:
        known = {r[0] for r in cur.execute("select urn from schools where in_register").fetchall()}
        for number, raw in enumerate(reader, start=2):
            rec = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if not any(rec.values()):
                continue
            report.rows += 1
            try:
                try:
                    urn = int(rec.get("urn", ""))
                except ValueError:
                    raise ContactError("urn", f"'{rec.get('urn', '')}' is not a URN") from None
                if urn not in known:
                    raise ContactError("urn", f"URN {urn} is not in the schools register")
                contact = validate(Contact(rec.get("role", ""), rec.get("name", ""), rec.get("email"),
                                           rec.get("phone")))
                outcome = _save(cur, urn, contact, username, None)
            except ContactError as exc:
                report.rejections.append({"row": number, "field": exc.field, "reason": str(exc)})
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        audit.record(cur, username, "import_contacts", "contacts", None, **{
            k: v for k, v in report.as_dict().items() if k != "rejections"})
    return report


def export_rows(con) -> list[dict]:
    """The contacts in force now, one row each, for CSV/XLSX download (exporting is audited by the caller)."""
    return db.rows(con, "contacts/export")


# --- what needs attention ------------------------------------------------------------------------

def missing_contacts(con) -> list[dict]:
    """Open schools that cannot receive a notification for lack of a Key Contact or Deputy."""
    return db.rows(con, "contacts/missing", {"home": schools.home_la(con)})


def unconfirmed(con, today: date | None = None) -> tuple[list[dict], int, int]:
    """Home-LA schools not confirmed since 1 September, and (done, total) for the year."""
    since = calendar.school_year_start(today or clock.today())
    rows = db.rows(con, "contacts/unconfirmed", {"since": since, "home": schools.home_la(con)})
    total = db.scalar(con, "contacts/home_schools", {"home": schools.home_la(con)})
    return rows, total - len(rows), total


def closed_with_contacts(con) -> list[dict]:
    return db.rows(con, "contacts/closed_with_contacts")


# Providers a school might use for a lead with no school address; a domain one or two letters from one of these
# (or from a domain the schools already use) is most likely a slip of the keyboard.
COMMON_DOMAINS = ("gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.co.uk",
                  "yahoo.com", "yahoo.co.uk", "icloud.com", "btinternet.com", "sky.com", "aol.com",
                  "protonmail.com", "nhs.net", "gov.uk")


def domain_warning(con, email: str | None) -> str | None:
    """A warning when an address's domain is unknown here but a letter or two from a known one
    (“gmial.com looks like gmail.com”); None when it is known, or unlike any."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein
    domain = (email or "").rsplit("@", 1)[-1].strip().lower()
    if "@" not in (email or "") or not domain:
        return None
    known = set(COMMON_DOMAINS) | {r[0] for r in db.run(con, "contacts/known_domains").fetchall()}
    if domain in known:
        return None
    near = process.extractOne(domain, known, scorer=Levenshtein.distance, score_cutoff=2)
    if near is None:
        return None
    return f"“{domain}” is not a domain any contact uses, and it looks like “{near[0]}”: check the address"


def refused_addresses(con) -> list[dict]:
    """Contacts whose address the mail server refused lately (and has not accepted since): each such message
    went to the school's other lead only, and the address needs checking with the school."""
    return db.rows(con, "contacts/refused", {"since": clock.now() - timedelta(days=90)})


def odd_domains(con) -> list[dict]:
    """Contacts whose email domain differs from every other contact of their school (a common typo)."""
    return db.rows(con, "contacts/odd_domains")


# --- other local authorities -------------------------------------------------------------------

def la_leads(con) -> list[dict]:
    return db.rows(con, "contacts/la_leads")


def save_la_lead(con, la_code: str, la_name: str | None, name: str, email: str, phone: str | None,
                 username: str) -> None:
    """Another local authority's Operation Encompass lead: one of the register's authorities, or any other
    (a child's school may be anywhere in England)."""
    la_code = (la_code or "").strip()
    if not re.fullmatch(r"\d{3}", la_code):
        raise ContactError("local authority", "a local authority's GIAS code is three digits (e.g. 884)")
    if la_code == schools.home_la(con):
        raise ContactError("local authority", "that is this council's own code")
    la_name = " ".join((la_name or "").split()) or None
    if la_name is None:
        raise ContactError("local authority", "give the local authority's name")
    c = validate(Contact("key_contact", name, email, phone))
    with db.transaction(con) as cur:
        old = cur.execute("select name, email, phone from la_leads where la_code = ?", [la_code]).fetchone()
        db.run(cur, "contacts/upsert_la_lead", {"la_code": la_code, "la_name": la_name, "name": c.name,
                                                "email": c.email, "phone": c.phone, "username": username,
                                                "now": clock.now()})
        stats.touch(cur)
        audit.record(cur, username, "la_lead_saved", "la", la_code,
                     old=dict(zip(("name", "email", "phone"), old)) if old else None,
                     new={"name": c.name, "email": c.email, "phone": c.phone})


@dataclass
class Route:
    kind: str            # school / la_lead / ehe / blocked
    to: str | None       # the Key Contact's email (or the Deputy's, the LA lead's or the EHE officer's)
    cc: list[str]        # the Deputy's email, when the Key Contact is the one addressed
    reason: str
    missing: str | None = None   # key_contact / deputy: the lead the school lacks (it still gets the message)


def route(con, urn: int) -> Route:
    """Where a notification for this school goes today, or why it cannot go (queries/definitions.sql)."""
    from . import ledger  # the route's settings live with the ledger's
    row = db.one(con, "contacts/route", {**ledger.route_params(con), "urn": urn})
    if row is None:
        return Route("blocked", None, [], f"URN {urn} is not in the register")
    return Route(row["kind"], row["to_email"], [row["cc_email"]] if row["cc_email"] else [], row["reason"],
                 row["missing_lead"])
