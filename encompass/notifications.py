"""The notification queue and sending it exactly once.

One notification per child, incident and school (a unique key in the database). Sending claims
each notification (queued -> sending) in a committed transaction before the message leaves, and
records the outcome after. A send that dies in between leaves "sending" behind; the next batch
marks it "unknown" for a person to settle, so nothing is silently sent twice or lost.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from . import audit, calendar, clock, contacts, db, mailing, templates

_SEND_LOCK = threading.Lock()  # one batch at a time in this process (the only writer of the file)
RESPONSES = {"not_at_school": "Not at this school", "triage_info": "Information for the triage",
             "acknowledged": "Acknowledged"}


@dataclass
class Item:
    """A notification waiting to go, with where it would go now."""
    id: int
    police_ref: str
    kind: str
    urn: int
    school: str
    due_by: datetime
    known_calendar: bool
    status: str
    attempts: int
    last_error: str | None
    route: contacts.Route

    @property
    def overdue(self) -> bool:
        return clock.now() > self.due_by

    @property
    def blocked(self) -> bool:
        return self.route.kind == "blocked"


def refresh(con, username: str = "system") -> int:
    """Queue a notification for every matched child-incident that has none for its school. Returns how many."""
    waiting = db.rows(con, "notifications/unqueued")
    if not waiting:
        return 0
    cals: dict[int, calendar.Calendar] = {}
    start = time.fromisoformat(db.get_setting(con, "school_day_start", "08:30"))
    now = clock.now()
    rows = []
    for w in waiting:
        cal = cals.setdefault(w["urn"], calendar.Calendar(con, w["urn"]))
        day, known = cal.next_school_day(w["incident_at"])
        rows.append({"child_incident_id": w["child_incident_id"], "urn": w["urn"], "kind": w["kind"],
                     "due_by": datetime.combine(day, start), "known_calendar": known, "now": now})
    with db.transaction(con) as cur:
        added = 0
        for r in rows:  # on conflict: someone else queued it meanwhile; one notification per child and school
            added += len(db.run(cur, "notifications/insert", r).fetchall())
        audit.record(cur, username, "queue_notifications", "notifications", None, queued=added)
    return added


def pending(con) -> list[Item]:
    """Everything not yet sent and not given up: queued, failed, and unknown outcomes."""
    routes: dict[int, contacts.Route] = {}
    items = []
    for r in db.rows(con, "notifications/pending"):
        route = routes.setdefault(r["urn"], contacts.route(con, r["urn"]))
        items.append(Item(r["id"], r["police_ref"], r["kind"], r["urn"], r["school"], r["due_by"],
                          r["known_calendar"], r["status"], r["attempts"], r["last_error"], route))
    return items


def queue_summary(con) -> dict:
    """For the CLI: {"queued": n ready to send, "blocked": [{"police_ref", "reason"}]}."""
    refresh(con)
    items = [i for i in pending(con) if i.status == "queued"]
    return {"queued": sum(not i.blocked for i in items),
            "blocked": [{"police_ref": i.police_ref, "reason": i.route.reason} for i in items if i.blocked]}


# --- messages ---------------------------------------------------------------------------------

def fields(con, notification_id: int) -> tuple[dict, dict]:
    """The template fields for one notification, and its row."""
    row = db.one(con, "notifications/for_message", {"id": notification_id})
    if row is None:
        raise KeyError(notification_id)
    reply_limit = time.fromisoformat(db.get_setting(con, "triage_reply_by", "11:00"))
    reply_day = _next_working_day(clock.now(), reply_limit)
    today_info = calendar.Calendar(con, row["urn"]).day(clock.today())
    holiday = "" if today_info.school_day else (
        "\nWe know the school may be closed today; please read this when the school is next open.\n")
    setting = lambda key, default: db.get_setting(con, key, default)  # noqa: E731
    values = {
        "child_forename": row["forename"], "child_surname": row["surname"],
        "child_name": f"{row['forename']} {row['surname']}", "child_dob": templates.format_date(row["dob"]),
        "incident_date": templates.format_date(row["incident_at"].date()),
        "reported_missing": templates.format_date(row["incident_at"].date()),
        "police_ref": row["police_ref"], "school_name": row["school"],
        "reply_by": f"{reply_limit:%H:%M} on {reply_day:%A %d %B %Y}",
        "triage_mailbox": setting("triage_mailbox", "triage@council.example.org"),
        "coordinator_name": setting("coordinator_name", "The Domestic Abuse Education Co-ordinator"),
        "coordinator_email": setting("coordinator_email", "encompass@council.example.org"),
        "council_name": setting("council_name", "Example Council"),
        "school_day_note": holiday,
    }
    return values, row


def _next_working_day(now: datetime, limit: time) -> date:
    """The triage meets on working days: today if it is one and the deadline has not passed."""
    day = now.date() if now.time() < limit else now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def preview(con, notification_id: int, username: str) -> tuple[templates.Rendered, contacts.Route]:
    """The message exactly as it would be sent now (recorded in the audit log: it shows a child's name)."""
    values, row = fields(con, notification_id)
    rendered = templates.render(templates.current(con, row["kind"]), values)
    with db.transaction(con) as cur:
        audit.record(cur, username, "preview_notification", "notification", notification_id)
    return rendered, contacts.route(con, row["urn"])


# --- sending -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    id: int
    police_ref: str
    school: str
    status: str          # sent / failed / blocked
    detail: str = ""


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


def send(con, settings: mailing.MailSettings, username: str, ids: list[int] | None = None,
         retry_failed: bool = False, progress=None) -> BatchResult:
    """Send queued notifications (or the given ones), each at most once. `progress(done, total)` is called."""
    with _SEND_LOCK:
        result = BatchResult(marked_unknown=_mark_interrupted(con, username))
        batch = uuid.uuid4().hex
        statuses = ["queued", "failed"] if retry_failed else ["queued"]
        claimable = [i for i in pending(con) if i.status in statuses and (ids is None or i.id in ids)]
        for item in claimable:
            if item.blocked:
                result.outcomes.append(Outcome(item.id, item.police_ref, item.school, "blocked", item.route.reason))
        ready = [i.id for i in claimable if not i.blocked]
        if not ready:
            return result
        try:
            transport = mailing.transport_for(settings)
            opened = transport.__enter__()
        except mailing.TransportError as exc:
            for i in claimable:
                if not i.blocked:
                    result.outcomes.append(Outcome(i.id, i.police_ref, i.school, "failed", str(exc)))
            _record_failures(con, ready, str(exc), username)
            return result
        try:
            for n, notification_id in enumerate(ready, start=1):
                # Claimed and committed one at a time, just before it leaves: a crash leaves at most
                # one notification whose outcome is unknown, and a second click finds nothing to take.
                with db.transaction(con) as cur:
                    claimed = db.run(cur, "notifications/claim", {
                        "ids": [notification_id], "statuses": statuses, "batch": batch}).fetchall()
                if claimed:
                    result.outcomes.append(_send_one(con, opened, settings, notification_id, username))
                if progress:
                    progress(n, len(ready))
        finally:
            transport.__exit__(None, None, None)
        return result


def _send_one(con, transport, settings, notification_id: int, username: str) -> Outcome:
    values, row = fields(con, notification_id)
    route = contacts.route(con, row["urn"])
    outcome = Outcome(notification_id, row["police_ref"], row["school"], "failed")
    if route.kind == "blocked":  # contacts changed since the queue was shown
        outcome.status, outcome.detail = "blocked", route.reason
        _finish(con, notification_id, "queued", route.reason, username)
        return outcome
    recipients = [route.to, *route.cc]
    bad = [r for r in recipients if settings.allowed_domains and
           r.rsplit("@", 1)[-1].lower() not in settings.allowed_domains]
    if bad:
        outcome.detail = f"{', '.join(bad)} is outside the allowed recipient domains"
        _finish(con, notification_id, "failed", outcome.detail, username)
        return outcome
    template = templates.current(con, row["kind"])
    rendered = templates.render(template, values)
    msg = mailing.build_message(settings.sender, [route.to], route.cc, rendered.subject, rendered.text,
                                rendered.html, domain=settings.sender.rsplit("@", 1)[-1])
    try:
        message_id = transport.send(msg)
    except Exception as exc:  # the server said no, or the connection broke: this one has not gone
        outcome.detail = f"{exc.__class__.__name__}: {exc}"
        _finish(con, notification_id, "failed", outcome.detail, username)
        return outcome
    with db.transaction(con) as cur:
        db.run(cur, "notifications/mark_sent", {
            "id": notification_id, "now": clock.now(), "username": username, "route": route.kind,
            "to": route.to, "cc": ", ".join(route.cc), "version": template.version, "message_id": message_id})
        audit.record(cur, username, "send_notification", "notification", notification_id, route=route.kind,
                     to=route.to, cc=route.cc, message_id=message_id, template_version=template.version)
    outcome.status, outcome.detail = "sent", f"to {route.to}"
    return outcome


def _finish(con, notification_id: int, status: str, error: str, username: str) -> None:
    """A claimed notification that did not go: failed (try again later) or back to the queue (blocked)."""
    with db.transaction(con) as cur:
        db.run(cur, "notifications/mark_unsent", {"id": notification_id, "status": status, "error": error})
        audit.record(cur, username, "send_failed", "notification", notification_id, error=error)


def _record_failures(con, ids: list[int], error: str, username: str) -> None:
    """No connection to the mail server: nothing was claimed or sent; say why on each."""
    with db.transaction(con) as cur:
        db.run(cur, "notifications/note_failure", {"ids": ids, "error": error})
        audit.record(cur, username, "send_failed", "notifications", ",".join(map(str, ids)), error=error)


def _mark_interrupted(con, username: str) -> int:
    """Notifications left 'sending' by a batch that died: nobody knows whether the school got them."""
    with db.transaction(con) as cur:
        ids = [r[0] for r in db.run(cur, "notifications/mark_unknown").fetchall()]
        for i in ids:
            audit.record(cur, username, "send_outcome_unknown", "notification", i)
    return len(ids)


def settle_unknown(con, notification_id: int, was_sent: bool, username: str, note: str = "") -> None:
    """A person checked (e.g. in the sent-items folder) whether an interrupted message went."""
    with db.transaction(con) as cur:
        n = db.run(cur, "notifications/settle_unknown", {
            "id": notification_id, "status": "sent" if was_sent else "queued", "username": username,
            "reason": note or ("confirmed sent" if was_sent else "confirmed not sent"), "now": clock.now()}).fetchone()
        if not n or not n[0]:
            raise ValueError("that notification's outcome is not unknown")
        audit.record(cur, username, "settle_unknown", "notification", notification_id, was_sent=was_sent)


def withdraw(con, notification_id: int, username: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError("say why the notification is withdrawn")
    with db.transaction(con) as cur:
        n = db.run(cur, "notifications/withdraw", {"id": notification_id, "username": username,
                                                   "reason": reason.strip()}).fetchone()
        if not n or not n[0]:
            raise ValueError("only a notification not yet sent can be withdrawn")
        audit.record(cur, username, "withdraw_notification", "notification", notification_id, reason=reason)


# --- replies -------------------------------------------------------------------------------------

def record_response(con, notification_id: int, kind: str, note: str, username: str) -> None:
    """A school's reply. "Not at this school" returns the child to the matching queue and flags the
    spelling that sent it there, so the next sheet asks a person instead of trusting it."""
    if kind not in RESPONSES:
        raise ValueError(f"unknown reply {kind!r}")
    with db.transaction(con) as cur:
        row = cur.execute("select status, child_incident_id, urn from notifications where id = ?",
                          [notification_id]).fetchone()
        if row is None or row[0] not in ("sent", "returned"):
            raise ValueError("replies are recorded against a sent notification")
        cur.execute("insert into school_responses (notification_id, kind, note, recorded_by, recorded_at) "
                    "values (?, ?, ?, ?, ?)", [notification_id, kind, note.strip() or None, username, clock.now()])
        if kind == "not_at_school" and row[0] == "sent":
            params = {"id": notification_id, "ci": row[1], "urn": row[2], "username": username}
            for step in ("mark_returned", "distrust_alias", "rematch_child"):
                db.run(cur, f"notifications/{step}", params)
        audit.record(cur, username, "school_reply", "notification", notification_id, kind=kind)


def sent_recently(con, since: date) -> list[dict]:
    return db.rows(con, "notifications/sent_since", {"since": datetime.combine(since, time())})


def for_school(con, urn: int) -> list[dict]:
    return db.rows(con, "notifications/for_school", {"urn": urn})
