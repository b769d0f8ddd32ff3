"""The notification queue and sending it exactly once.

A child-incident's notification goes to its target: a school (its Key Contact and Deputy), another
local authority's Operation Encompass lead (a child at a school out of area), or the council's EHE /
children-missing-education officer (a child with no school). One notification per child-incident,
target and kind (a unique key in the database); follow-up messages — a missing child's "found" notice,
the reply to a school that did not have the child — go beside it.

Sending claims each notification (queued -> sending) in a committed transaction before the message
leaves, and records the outcome after. A send that dies in between leaves "sending" behind; the next
batch settles it from the journal, or marks it "unknown" for a person, so nothing is silently sent twice
or lost.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from . import audit, calendar, clock, contacts, db, facts, ledger, mailing, settings, templates

_SEND_LOCK = threading.Lock()  # one batch at a time in this process (the only writer of the file)
# A school's reply. No default in any form: "not at this school" puts the child back in matching.
RESPONSES = {"acknowledged": "Read / acknowledged", "triage_info": "Information for the triage",
             "not_at_school": "Not at this school"}
MAIN_KINDS = ("domestic_abuse", "missing_child")           # the notification that speaks for the child
KIND_LABELS = {"domestic_abuse": "notification", "missing_child": "missing-child notice",
               "missing_found": "found notice", "wrong_school_reply": "reply: not at this school"}
NOTICES = {  # what the message says happened, in as few words as will do (no place, no people, no story)
    "domestic_abuse": "the police attended a domestic abuse incident at which this child may have been present",
    "missing_child": "this child was reported missing to the police",
    "missing_found": "this child, reported missing, has been found",
    "wrong_school_reply": "a school told us this child is not on its roll",
}


class NotificationError(ValueError):
    pass


@dataclass
class Item:
    """A notification waiting to go, with where it would go now."""
    id: int
    child_incident_id: int
    police_ref: str | None   # filled in by with_references
    kind: str
    target: str
    urn: int | None
    recipient: str           # the school's name, the other LA, or the EHE officer
    due_by: datetime
    known_calendar: bool
    status: str
    attempts: int
    last_error: str | None
    route: contacts.Route
    claimed_by: str | None = None
    claimed_at: datetime | None = None

    @property
    def overdue(self) -> bool:
        return clock.now() > self.due_by

    @property
    def blocked(self) -> bool:
        return self.route.kind == "blocked"

    @property
    def school(self) -> str:  # kept for callers that speak of schools
        return self.recipient


def _route(row: dict) -> contacts.Route:
    return contacts.Route(row["route_kind"] or "blocked", row["to_email"],
                          [row["cc_email"]] if row["cc_email"] else [], row["route_reason"], row["missing_lead"])


# --- the queue -------------------------------------------------------------------------------------

def _to_queue(con, child_incident_ids):
    """The notification each given child-incident needs and does not have yet (its school, LA or EHE officer
    decided; not closed), as an Arrow table, in one query that reads only these child-incidents and their
    notifications."""
    return db.arrow(con, "notifications/to_queue", {"ids": sorted(set(child_incident_ids)),
                                                    "kinds": list(MAIN_KINDS)})


def queue(cur, child_incident_ids: list[int], now: datetime | None = None) -> int:
    """Queue the notification each given child-incident needs and does not have (its school, LA or EHE
    officer decided; not closed). One statement for the lot; called inside the transaction that decided it.
    Returns how many were queued."""
    if not child_incident_ids:
        return 0
    found = _to_queue(cur, child_incident_ids)
    if not found.num_rows:
        return 0
    cals = calendar.Calendars(cur)
    with db.registered(cur, "to_queue", found):
        # A notification is due by the start of its school's next school day: one answer per calendar and day
        # (most schools keep the council's).
        days = db.run(cur, "notifications/due_days_needed").fetchall()
        due = [cals.school(urn).due_by(day) for urn, day in days]
        due_days = pa.table({"calendar_urn": pa.array([urn for urn, _ in days], pa.int32()),
                             "day": pa.array([day for _, day in days], pa.date32()),
                             "due_by": pa.array([d for d, _ in due], pa.timestamp("us")),
                             "known_calendar": pa.array([known for _, known in due], pa.bool_())})
        with db.registered(cur, "due_days", due_days):
            return db.run(cur, "notifications/insert_many", {"now": now or clock.now()}).fetchone()[0]


def refresh(con, username: str = "system", queued: set[int] | None = None) -> int:
    """A safety net run by the Send page and `encompass queue`/`send`: queue anything the open child-incidents
    still need (normally queued by the write that decided their school). Reads only the open work, less the
    child-incidents the caller already knows to have a notification waiting (`queued`)."""
    ids = [r[0] for r in con.execute("select child_incident_id from ledger_open").fetchall()
           if not queued or r[0] not in queued]
    if not ids or not _to_queue(con, ids).num_rows:  # read first: most page runs have nothing to queue
        return 0
    with db.transaction(con) as cur:
        added = queue(cur, ids)
        ledger.sync(cur, ids)
        audit.record(cur, username, "queue_notifications", "notifications", None, queued=added)
    return added


def pending(con) -> list[Item]:
    """Everything not yet sent and not given up (queued, failed, unknown, being sent), with its route now:
    found through the index on status, routes resolved in the same query. Police references are filled in
    by `with_references`, for the items shown (a backlog of hundreds needs none of them to be counted)."""
    rows = db.rows(con, "notifications/pending", ledger.route_params(con))
    items = [Item(r["id"], r["child_incident_id"], None, r["kind"], r["target"], r["urn"], r["recipient"],
                  r["due_by"], r["known_calendar"], r["status"], r["attempts"], r["last_error"], _route(r),
                  r["claimed_by"], r["claimed_at"]) for r in rows]
    return sorted(items, key=lambda i: (i.due_by, i.recipient, i.id))


def with_references(con, items: list[Item]) -> list[Item]:
    """Fill in the police reference of these items (two index lookups for the lot)."""
    cis = facts.lookup(con, "child_incidents", (i.child_incident_id for i in items))
    refs = facts.lookup(con, "incidents", (c["incident_id"] for c in cis.values()))
    for item in items:
        item.police_ref = refs[cis[item.child_incident_id]["incident_id"]]["police_ref"]
    return items


def queue_summary(con) -> dict:
    """For the CLI: {"queued": n ready to send, "blocked": [{"police_ref", "reason"}]}."""
    refresh(con)
    items = [i for i in pending(con) if i.status == "queued"]
    blocked = with_references(con, [i for i in items if i.blocked])
    return {"queued": sum(not i.blocked for i in items),
            "blocked": [{"police_ref": i.police_ref, "reason": i.route.reason} for i in blocked]}


# --- messages ---------------------------------------------------------------------------------

class Composer:
    """Builds messages. Settings, templates and calendars are read once and kept for the life of the
    composer (one preview, or one send batch): they do not change under a batch that lasts seconds."""

    def __init__(self, con):
        self.con = con
        self.settings = settings.all_settings(con)
        self.reply_limit = time.fromisoformat(self.settings["triage_reply_by"])
        self.calendars = calendar.Calendars(con)
        self.now = clock.now()
        self._templates: dict[str, templates.Template] = {}

    def template_name(self, row: dict) -> str:
        """A school gets the template of the kind; the EHE officer and another LA's lead get their own."""
        if row["route_kind"] == "ehe":
            return "ehe_officer"
        if row["target"].startswith("la:"):
            return "other_la"
        return row["kind"]

    def template(self, name: str) -> templates.Template:
        if name not in self._templates:
            self._templates[name] = templates.current(self.con, name)
        return self._templates[name]

    def rows(self, ids: list[int]) -> dict[int, dict]:
        """What the messages need, with their routes, for many notifications in one query (a read of
        children's records: callers audit what they show or send)."""
        params = {**ledger.route_params(self.con), "ids": list(ids)}
        return {r["id"]: r for r in db.rows(self.con, "notifications/for_message", params)}

    def fields(self, row: dict) -> dict:
        school = self.calendars.school(row["urn"])
        s = self.settings
        return {
            "child_forename": row["forename"], "child_surname": row["surname"],
            "child_name": f"{row['forename']} {row['surname']}", "child_dob": templates.format_date(row["dob"]),
            "incident_date": templates.format_date(row["incident_at"].date()),
            "reported_missing": templates.format_date(row["incident_at"].date()),
            "police_ref": row["police_ref"], "school_name": row["recipient"],
            "typed_school": row["school_text"] or "not given", "notice": NOTICES[row["kind"]],
            "reply_by": f"{school.reply_by(self.now, self.reply_limit):%H:%M on %A %d %B %Y}",
            "triage_mailbox": s["triage_mailbox"], "coordinator_name": s["coordinator_name"],
            "coordinator_email": s["coordinator_email"], "council_name": s["council_name"],
            "school_day_note": "" if row["urn"] is None or school.day(self.now.date()).school_day else (
                "\nWe know the school may be closed today; please read this when the school is next open.\n"),
        }

    def render(self, row: dict) -> tuple[templates.Template, templates.Rendered]:
        template = self.template(self.template_name(row))
        return template, templates.render(template, self.fields(row))


def preview(con, notification_id: int, username: str) -> tuple[templates.Rendered, contacts.Route]:
    """The message exactly as it would be sent now (recorded in the audit log: it shows a child's name)."""
    composer = Composer(con)
    row = composer.rows([notification_id]).get(notification_id)
    if row is None:
        raise KeyError(notification_id)
    _, rendered = composer.render(row)
    with db.transaction(con) as cur:
        audit.record(cur, username, "preview_notification", "notification", notification_id)
    return rendered, _route(row)


# --- sending -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    id: int
    police_ref: str
    school: str
    status: str          # sent / failed / blocked
    detail: str = ""
    audit_detail: str | None = None  # what the audit may keep, when `detail` could quote a child's data


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    marked_unknown: int = 0

    @property
    def sent(self) -> int:
        return sum(o.status == "sent" for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.status in ("failed", "blocked") for o in self.outcomes)


CHUNK = 250  # notifications claimed, and their results recorded, per transaction (the journal covers between)


class Journal:
    """Per-message progress of a send batch, appended and fsync'd beside the database.

    DuckDB takes about a millisecond a statement; writing each message's progress to the database
    would cost more than sending it. The batch claims notifications in chunks and records each
    chunk's results in one transaction; between the two, this journal says which messages were
    attempted and which the server accepted, so recovery after a crash is exact: accepted ->
    sent, attempted but not confirmed -> outcome unknown (at most one), never attempted -> queued.
    """

    def __init__(self, con, batch: str):
        self.path = journal_dir(con) / f"{batch}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a", encoding="utf-8")

    def write(self, durable: bool = True, **entry) -> None:
        """Append an entry. An attempt is made durable (fsync) before the message leaves: after any crash,
        power loss included, it is known that the message may have gone. What follows it need only reach the
        operating system: if power is lost first, recovery errs on the safe side ("outcome unknown")."""
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()
        if durable:
            os.fsync(self.file.fileno())

    def close(self, remove: bool) -> None:
        self.file.close()
        if remove:
            self.path.unlink(missing_ok=True)

    @staticmethod
    def read(path: Path) -> tuple[set[int], dict[int, dict], set[int]]:
        """(attempted, sent entries by id, uncertain) from a batch's journal."""
        attempted, sent, uncertain = set(), {}, set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the crash
                if "attempt" in entry:
                    attempted.add(entry["attempt"])
                elif "sent" in entry:
                    sent[entry["sent"]] = entry
                elif "uncertain" in entry:
                    uncertain.add(entry["uncertain"])
        return attempted, sent, uncertain


def journal_dir(con) -> Path:
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    return Path(path).parent / "send-journal"


def send(con, settings_: mailing.MailSettings, username: str, ids: list[int] | None = None,
         retry_failed: bool = False, progress=None) -> BatchResult:
    """Send queued notifications (or the given ones), each at most once. `progress(done, total)` is called.

    Notifications are claimed (queued -> sending) in committed chunks before any of them leaves;
    a second click, tab or process finds nothing left to claim. The journal records each message's
    fate until the chunk's results are committed.
    """
    with _SEND_LOCK:
        result = BatchResult(marked_unknown=_recover(con, username))
        batch = uuid.uuid4().hex
        statuses = ["queued", "failed"] if retry_failed else ["queued"]
        claimable = with_references(con, [i for i in pending(con)
                                          if i.status in statuses and (ids is None or i.id in ids)])
        for item in claimable:
            if item.blocked:
                result.outcomes.append(Outcome(item.id, item.police_ref, item.recipient, "blocked", item.route.reason))
        ready = [i for i in claimable if not i.blocked]
        if not ready:
            return result
        try:
            transport = mailing.transport_for(settings_)
            opened = transport.__enter__()
        except mailing.TransportError as exc:
            result.outcomes += [Outcome(i.id, i.police_ref, i.recipient, "failed", str(exc)) for i in ready]
            _record_failures(con, [i.id for i in ready], str(exc), username)
            return result
        composer = Composer(con)
        rows = composer.rows([i.id for i in ready])
        journal = Journal(con, batch)
        done, finished = 0, False
        try:
            for start in range(0, len(ready), CHUNK):
                chunk = [i.id for i in ready[start:start + CHUNK]]
                with db.transaction(con) as cur:
                    claimed = [r[0] for r in db.run(cur, "notifications/claim", {
                        "ids": chunk, "statuses": statuses, "batch": batch, "username": username,
                        "now": clock.now()}).fetchall()]
                went, unsent = [], []
                for notification_id in chunk:
                    done += 1
                    if notification_id in claimed:
                        outcome, record = _send_one(opened, settings_, composer, rows[notification_id], journal)
                        result.outcomes.append(outcome)
                        (went if record else unsent).append(record or outcome)
                    if progress:
                        progress(done, len(ready))
                _record_chunk(con, username, went, unsent, [rows[i]["child_incident_id"] for i in claimed])
            finished = True
        finally:
            transport.__exit__(None, None, None)
            journal.close(remove=finished)  # kept after a failure: the next batch recovers from it
        return result


def _send_one(transport, settings_, composer: Composer, row: dict, journal: Journal):
    """Send one claimed notification. Returns its outcome, and what to record if it went (or may have)."""
    route = _route(row)
    outcome = Outcome(row["id"], row["police_ref"], row["recipient"], "failed")
    if route.kind == "blocked":
        outcome.status, outcome.detail = "blocked", route.reason
        return outcome, None
    recipients = [route.to, *route.cc]
    bad = [r for r in recipients if settings_.allowed_domains and
           r.rsplit("@", 1)[-1].lower() not in settings_.allowed_domains]
    if bad:
        outcome.detail = f"{', '.join(bad)} is outside the allowed recipient domains"
        return outcome, None
    try:
        template, rendered = composer.render(row)
        out = mailing.build_message(settings_.sender, [route.to], route.cc, rendered.subject, rendered.text,
                                    rendered.html, domain=settings_.sender.rsplit("@", 1)[-1])
    except Exception as exc:  # a template that cannot be filled in fails this message alone, with the reason
        outcome.detail = f"the template cannot be filled in: {exc.__class__.__name__}: {exc}"[:300]
        outcome.audit_detail = f"the template cannot be filled in: {exc.__class__.__name__}"  # the message may quote
        return outcome, None
    journal.write(attempt=row["id"])
    record = {"id": row["id"], "route": route.kind, "to": route.to, "cc": ", ".join(route.cc),
              "version": template.version, "message_id": out.message_id, "roles": {a: "cc" for a in route.cc}}
    try:
        delivery = transport.send(out, recipients, label=mailing.label(row["urn"], row["target"], row["police_ref"]))
    except mailing.Uncertain as exc:  # it may have been stored: a person checks before anything goes again
        outcome.status, outcome.detail = "unknown", str(exc)
        journal.write(durable=False, uncertain=row["id"])
        return outcome, dict(record, outcome="unknown", error=str(exc), accepted=[], refused={})
    except Exception as exc:  # refused before the message went, or never connected: nothing was sent
        outcome.detail = f"{exc}" if isinstance(exc, mailing.Refused) else f"{exc.__class__.__name__}: {exc}"
        journal.write(durable=False, failed=row["id"])
        return outcome, None
    record.update(outcome="sent", accepted=delivery.accepted, refused=delivery.refused)
    journal.write(durable=False, sent=row["id"], **{k: v for k, v in record.items() if k != "id"})
    outcome.status = "sent"
    outcome.detail = f"to {', '.join(delivery.accepted)}" + (
        f"; refused: {'; '.join(f'{a} ({why})' for a, why in delivery.refused.items())}" if delivery.refused else "")
    return outcome, record


def _recipients(records: list[dict], now) -> pd.DataFrame:
    """One row per recipient of each message: accepted, refused (and why) or unknown."""
    rows = []
    for r in records:
        for address in [r["to"], *[a for a in r["cc"].split(", ") if a]]:
            outcome = ("unknown" if r["outcome"] == "unknown" else "refused" if address in r["refused"]
                       else "accepted")
            rows.append({"notification_id": r["id"], "address": address, "role": r["roles"].get(address, "to"),
                         "outcome": outcome, "detail": r["refused"].get(address) or r.get("error"), "recorded_at": now})
    return pd.DataFrame(rows)


def _record_chunk(con, username: str, results: list[dict], unsent: list[Outcome], child_incidents: list[int]) -> None:
    """One transaction for a chunk: what went is sent (with each recipient's answer, audited), what may have
    gone is unknown, what did not is failed (or queued again, when blocked)."""
    now = clock.now()
    sent = [r for r in results if r["outcome"] == "sent"]
    uncertain = [r for r in results if r["outcome"] == "unknown"]
    with db.transaction(con) as cur:
        if sent:
            frame = pd.DataFrame([{k: r[k] for k in ("id", "route", "to", "cc", "version", "message_id")}
                                  | {"refused": "; ".join(f"{a} ({why})" for a, why in r["refused"].items()) or None}
                                  for r in sent]).assign(now=now, username=username)
            with db.registered(cur, "sent_now", frame):
                db.run(cur, "notifications/mark_sent_many")
            audit.record_many(cur, username, "send_notification", "notification",
                              [(r["id"], {"to": r["to"], "cc": r["cc"], "route": r["route"],
                                          "refused": sorted(r["refused"]), "message_id": r["message_id"],
                                          "template_version": r["version"]}) for r in sent])
        for r in uncertain:
            db.run(cur, "notifications/mark_unknown", {"id": r["id"], "error": r["error"]})
            audit.record(cur, username, "send_outcome_unknown", "notification", r["id"])
        if results:
            with db.registered(cur, "recipients_now", _recipients(results, now)):
                cur.execute("insert into notification_recipients select * from recipients_now")
        for o in unsent:  # rare: a refusal, a blocked school, a disallowed domain or a broken template
            db.run(cur, "notifications/mark_unsent", {"id": o.id, "status": "queued" if o.status == "blocked"
                                                      else "failed", "error": o.detail})
            audit.record(cur, username, "send_failed", "notification", o.id, error=o.audit_detail or o.detail)
        ledger.sync(cur, child_incidents)


def _record_failures(con, ids: list[int], error: str, username: str) -> None:
    """No connection to the mail server: nothing was claimed or sent; say why on each."""
    with db.transaction(con) as cur:
        db.run(cur, "notifications/note_failure", {"ids": ids, "error": error})
        audit.record(cur, username, "send_failed", "notifications", ",".join(map(str, ids)), error=error)


def recover_if_idle(con, username: str) -> int | None:
    """Settle a dead batch's notifications now, unless a send is running. No send running in this process
    means none anywhere (the database file admits one process), so anything still 'sending' was left by a
    batch that died. Returns how many have an unknown outcome, or None when a send is running."""
    if not _SEND_LOCK.acquire(blocking=False):
        return None
    try:
        return _recover(con, username)
    finally:
        _SEND_LOCK.release()


def _recover(con, username: str) -> int:
    """Settle notifications left 'sending' by a batch that died, from its journal. Returns how many
    have an unknown outcome (attempted, never confirmed): a person must check those."""
    stuck = db.rows(con, "notifications/stuck")
    if not stuck:
        return 0
    folder = journal_dir(con)
    unknown = 0
    now = clock.now()
    with db.transaction(con) as cur:
        for batch in {r["batch_id"] for r in stuck}:
            path = folder / f"{batch}.jsonl"
            attempted, sent, uncertain = Journal.read(path)
            for r in (r for r in stuck if r["batch_id"] == batch):
                if r["id"] in sent:
                    e = dict(sent[r["id"]], id=r["id"])
                    db.run(cur, "notifications/mark_sent", {
                        "id": r["id"], "now": now, "username": username, "route": e["route"], "to": e["to"],
                        "cc": e["cc"], "version": e["version"], "message_id": e["message_id"],
                        "refused": "; ".join(f"{a} ({why})" for a, why in e.get("refused", {}).items()) or None})
                    with db.registered(cur, "recipients_now", _recipients([e], now)):
                        cur.execute("insert into notification_recipients select * from recipients_now")
                    audit.record(cur, username, "send_notification", "notification", r["id"], recovered=True,
                                 message_id=e["message_id"])
                elif r["id"] in attempted or r["id"] in uncertain or not path.exists():
                    db.run(cur, "notifications/mark_unknown", {
                        "id": r["id"], "error": "the send was interrupted: check whether the school received it"})
                    audit.record(cur, username, "send_outcome_unknown", "notification", r["id"])
                    unknown += 1
                else:  # claimed but never attempted: it did not go
                    db.run(cur, "notifications/mark_unsent", {"id": r["id"], "status": "queued",
                                                              "error": "the batch stopped before sending it"})
        for batch in {r["batch_id"] for r in stuck}:
            (folder / f"{batch}.jsonl").unlink(missing_ok=True)
        ledger.sync(cur, [r["child_incident_id"] for r in stuck])
    return unknown


def _child_incident_of(cur, notification_id: int) -> dict:
    row = db.one(cur, "notifications/one", {"id": notification_id})
    if row is None:
        raise NotificationError("no such notification")
    return row


def settle_unknown(con, notification_id: int, was_sent: bool, username: str, note: str = "") -> None:
    """A person checked (e.g. in the sent-items folder) whether an interrupted message went."""
    with db.transaction(con) as cur:
        row = _child_incident_of(cur, notification_id)
        n = db.run(cur, "notifications/settle_unknown", {
            "id": notification_id, "status": "sent" if was_sent else "queued", "username": username,
            "reason": note or ("confirmed sent" if was_sent else "confirmed not sent"), "now": clock.now()}).fetchone()
        if not n or not n[0]:
            raise NotificationError("that notification's outcome is no longer unknown: someone settled it")
        ledger.sync(cur, [row["child_incident_id"]])
        audit.record(cur, username, "settle_unknown", "notification", notification_id, was_sent=was_sent)


def withdraw(con, notification_id: int, username: str, reason: str) -> None:
    """A person decides a message not yet sent should not go. The reason is kept with the notification;
    the audit records that one was given (it is free text and may name someone)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise NotificationError("say why the notification is withdrawn")
    if len(reason) > 500:
        raise NotificationError("keep the reason under 500 characters")
    with db.transaction(con) as cur:
        row = _child_incident_of(cur, notification_id)
        n = db.run(cur, "notifications/withdraw", {"id": notification_id, "username": username,
                                                   "reason": reason}).fetchone()
        if not n or not n[0]:
            raise NotificationError("only a notification not yet sent can be withdrawn")
        ledger.sync(cur, [row["child_incident_id"]])
        audit.record(cur, username, "withdraw_notification", "notification", notification_id, reason_given=True)


# --- replies and follow-ups ------------------------------------------------------------------------

def record_response(con, notification_id: int, kind: str, note: str, username: str) -> None:
    """A school's reply to a notification it received.

    Read, or information for the triage: the notification is acknowledged. "Not at this school": the
    notification is returned, the school is asked (by the wrong-school reply, queued now) to delete it,
    the spelling that sent it there is no longer trusted, and the child goes back to School matching.
    """
    if kind not in RESPONSES:
        raise NotificationError(f"unknown reply {kind!r}")
    note = (note or "").strip()
    if len(note) > 4000:
        raise NotificationError("keep the note under 4,000 characters")
    now = clock.now()
    with db.transaction(con) as cur:
        row = _child_incident_of(cur, notification_id)
        if row["status"] not in ("sent", "acknowledged", "returned") or row["kind"] not in MAIN_KINDS:
            raise NotificationError("replies are recorded against a notification that was sent")
        cur.execute("insert into school_responses (notification_id, kind, note, recorded_by, recorded_at) "
                    "values (?, ?, ?, ?, ?)", [notification_id, kind, note or None, username, now])
        if kind == "not_at_school" and row["status"] in ("sent", "acknowledged"):
            params = {"id": notification_id, "ci": row["child_incident_id"], "urn": row["urn"],
                      "username": username, "now": now}
            for step in ("mark_returned", "distrust_alias", "rematch_child"):
                db.run(cur, f"notifications/{step}", params)
            db.run(cur, "notifications/queue_follow_up", {**params, "kind": "wrong_school_reply"})
        elif kind != "not_at_school" and row["status"] == "sent":
            db.run(cur, "notifications/mark_acknowledged", {"id": notification_id})
        ledger.sync(cur, [row["child_incident_id"]])
        audit.record(cur, username, "school_reply", "notification", notification_id, kind=kind,
                     note_given=bool(note))


def found(con, police_ref: str, username: str) -> dict:
    """A missing child has been found. Whoever was told gets a "found" notice; a missing-child notice not
    yet sent is withdrawn instead (there is nothing left to tell). Returns what was done."""
    police_ref = " ".join((police_ref or "").split()).upper()
    now = clock.now()
    with db.transaction(con) as cur:
        incident = cur.execute("select id, kind, found_at from incidents where police_ref = ?", [police_ref]).fetchone()
        if incident is None or incident[1] != "missing_child":
            raise NotificationError(f"no missing-child notice has the police reference {police_ref}")
        if incident[2] is not None:
            raise NotificationError(f"{police_ref} was already recorded as found")
        cur.execute("update incidents set found_at = ?, found_by = ? where id = ?", [now, username, incident[0]])
        mains = db.rows(cur, "notifications/main_of_incident", {"incident_id": incident[0]})
        told = [m for m in mains if m["status"] in ("sent", "acknowledged")]
        untold = [m for m in mains if m["status"] in ("queued", "failed")]
        for m in told:
            db.run(cur, "notifications/queue_follow_up", {"id": m["id"], "now": now, "kind": "missing_found"})
        for m in untold:
            db.run(cur, "notifications/withdraw", {"id": m["id"], "username": username,
                                                   "reason": "the child was found before the notice went"})
        cis = [r[0] for r in cur.execute("select id from child_incidents where incident_id = ?",
                                         [incident[0]]).fetchall()]
        waiting = [ci for ci in cis if ci not in {m["child_incident_id"] for m in mains}]
        if waiting:  # still no school chosen: nothing to send; the decision is the "found" itself
            db.run(cur, "ledger/close", {"ids": waiting, "reason": "Found before a school was known", "note": None,
                                         "username": username, "now": now})
        ledger.sync(cur, cis)
        audit.record(cur, username, "missing_found", "incident", incident[0], found_notices=len(told),
                     withdrawn=len(untold), closed=len(waiting))
    return {"police_ref": police_ref, "found_notices": len(told), "withdrawn": len(untold), "closed": len(waiting)}


def missing_not_found(con) -> list[dict]:
    """Missing-child notices whose child is not yet recorded as found (references and dates, no names)."""
    return db.rows(con, "notifications/missing_not_found")


def find_sent(con, police_ref: str) -> list[dict]:
    """The notifications sent under a police reference, one per child and school, to record a school's reply:
    the child's initials and age and the school (enough to tell siblings apart, no names). Index lookups."""
    ref = " ".join((police_ref or "").split()).upper()
    incident = db.one(con, "notifications/incident_by_ref", {"ref": ref})
    if incident is None:
        return []
    cis = {c["id"]: c for c in db.rows(con, "sheets/children_of_incidents", {"ids": [incident["id"]]})}
    sent = [n for n in db.rows(con, "notifications/of_child_incidents", {"ids": sorted(cis)})
            if n["kind"] in MAIN_KINDS and n["urn"] is not None and n["status"] in ("sent", "acknowledged", "returned")]
    people = facts.lookup(con, "children", (cis[n["child_incident_id"]]["child_id"] for n in sent))
    names = facts.lookup(con, "schools", (n["urn"] for n in sent))
    replies: dict[int, list[str]] = {}
    for r in db.rows(con, "notifications/replies_of", {"ids": [n["id"] for n in sent]}):
        replies.setdefault(r["notification_id"], []).append(RESPONSES[r["kind"]].lower())
    found = []
    for n in sent:
        person = people[cis[n["child_incident_id"]]["child_id"]]
        found.append({"id": n["id"], "child_incident_id": n["child_incident_id"], "police_ref": ref,
                      "initials": f"{person['forename'][:1]}.{person['surname'][:1]}.",
                      "age": calendar.age_on(person["dob"], incident["incident_at"].date()),
                      "school": names[n["urn"]]["name"], "urn": n["urn"], "sent_at": n["sent_at"],
                      "status": n["status"], "replies": ", ".join(replies.get(n["id"], []))})
    return sorted(found, key=lambda n: (n["school"], n["initials"], n["id"]))


def for_school(con, urn: int) -> list[dict]:
    return db.rows(con, "notifications/for_school", {"urn": urn})
