"""The notification queue and sending it exactly once.

One notification per child, incident and school (a unique key in the database). Sending claims
each notification (queued -> sending) in a committed transaction before the message leaves, and
records the outcome after. A send that dies in between leaves "sending" behind; the next batch
marks it "unknown" for a person to settle, so nothing is silently sent twice or lost.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from datetime import date, datetime, time

import pandas as pd

from . import audit, calendar, clock, contacts, db, mailing, settings, templates

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
    cals = calendar.Calendars(con)
    now = clock.now()
    rows = []
    for w in waiting:
        due, known = cals.school(w["urn"]).due_by(w["incident_at"])
        rows.append({"child_incident_id": w["child_incident_id"], "urn": w["urn"], "kind": w["kind"],
                     "due_by": due, "known_calendar": known, "now": now, "matched_via": w["match_method"]})
    with db.transaction(con) as cur:
        added = 0
        for r in rows:  # on conflict: someone else queued it meanwhile; one notification per child and school
            added += len(db.run(cur, "notifications/insert", r).fetchall())
        audit.record(cur, username, "queue_notifications", "notifications", None, queued=added)
    return added


def pending(con, composer: "Composer | None" = None) -> list[Item]:
    """Everything not yet sent and not given up: queued, failed, and unknown outcomes."""
    composer = composer or Composer(con)
    items = []
    for r in db.rows(con, "notifications/pending"):
        route = composer.route(r["urn"])
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

class Composer:
    """Builds notification messages. Settings, templates, calendars and routes are read once and
    kept for the life of the composer (one preview, or one send batch): contacts and settings do
    not change under a batch that lasts seconds."""

    def __init__(self, con):
        self.con = con
        self.settings = settings.all_settings(con)
        self.reply_limit = time.fromisoformat(self.settings["triage_reply_by"])
        self.calendars = calendar.Calendars(con)
        self.now = clock.now()
        self._templates: dict[str, templates.Template] = {}
        self._routes: dict[int, contacts.Route] = {}

    def template(self, kind: str) -> templates.Template:
        if kind not in self._templates:
            self._templates[kind] = templates.current(self.con, kind)
        return self._templates[kind]

    def route(self, urn: int) -> contacts.Route:
        if urn not in self._routes:
            self._routes[urn] = contacts.route(self.con, urn)
        return self._routes[urn]

    def rows(self, ids: list[int]) -> dict[int, dict]:
        """What the messages need, for many notifications in one query (a read of children's records:
        callers audit what they show or send)."""
        return {r["id"]: r for r in db.rows(self.con, "notifications/for_message", {"ids": list(ids)})}

    def fields(self, row: dict) -> dict:
        school = self.calendars.school(row["urn"])
        s = self.settings
        return {
            "child_forename": row["forename"], "child_surname": row["surname"],
            "child_name": f"{row['forename']} {row['surname']}", "child_dob": templates.format_date(row["dob"]),
            "incident_date": templates.format_date(row["incident_at"].date()),
            "reported_missing": templates.format_date(row["incident_at"].date()),
            "police_ref": row["police_ref"], "school_name": row["school"],
            "reply_by": f"{school.reply_by(self.now, self.reply_limit):%H:%M on %A %d %B %Y}",
            "triage_mailbox": s["triage_mailbox"], "coordinator_name": s["coordinator_name"],
            "coordinator_email": s["coordinator_email"], "council_name": s["council_name"],
            "school_day_note": "" if school.day(self.now.date()).school_day else (
                "\nWe know the school may be closed today; please read this when the school is next open.\n"),
        }

    def render(self, row: dict) -> tuple[templates.Template, templates.Rendered]:
        template = self.template(row["kind"])
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
    return rendered, composer.route(row["urn"])


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


CHUNK = 50  # notifications claimed per transaction


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

    def write(self, **entry) -> None:
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self, remove: bool) -> None:
        self.file.close()
        if remove:
            self.path.unlink(missing_ok=True)

    @staticmethod
    def read(path: Path) -> tuple[set[int], dict[int, dict]]:
        attempted, sent = set(), {}
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
        return attempted, sent


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
        composer = Composer(con)
        claimable = [i for i in pending(con, composer) if i.status in statuses and (ids is None or i.id in ids)]
        for item in claimable:
            if item.blocked:
                result.outcomes.append(Outcome(item.id, item.police_ref, item.school, "blocked", item.route.reason))
        ready = [i for i in claimable if not i.blocked]
        if not ready:
            return result
        try:
            transport = mailing.transport_for(settings_)
            opened = transport.__enter__()
        except mailing.TransportError as exc:
            result.outcomes += [Outcome(i.id, i.police_ref, i.school, "failed", str(exc)) for i in ready]
            _record_failures(con, [i.id for i in ready], str(exc), username)
            return result
        rows = composer.rows([i.id for i in ready])
        journal = Journal(con, batch)
        done, finished = 0, False
        try:
            for start in range(0, len(ready), CHUNK):
                chunk = [i.id for i in ready[start:start + CHUNK]]
                with db.transaction(con) as cur:
                    claimed = [r[0] for r in db.run(cur, "notifications/claim", {
                        "ids": chunk, "statuses": statuses, "batch": batch}).fetchall()]
                sent, unsent = [], []
                for notification_id in chunk:
                    done += 1
                    if notification_id in claimed:
                        outcome, record = _send_one(opened, settings_, composer, rows[notification_id], journal)
                        result.outcomes.append(outcome)
                        (sent if record else unsent).append(record or outcome)
                    if progress:
                        progress(done, len(ready))
                _record_chunk(con, username, sent, unsent)
            finished = True
        finally:
            transport.__exit__(None, None, None)
            journal.close(remove=finished)  # kept after a failure: the next batch recovers from it
        return result


def _send_one(transport, settings_, composer: Composer, row: dict, journal: Journal):
    """Send one claimed notification. Returns its outcome, and what to record if it went."""
    route = composer.route(row["urn"])
    outcome = Outcome(row["id"], row["police_ref"], row["school"], "failed")
    if route.kind == "blocked":
        outcome.status, outcome.detail = "blocked", route.reason
        return outcome, None
    recipients = [route.to, *route.cc]
    bad = [r for r in recipients if settings_.allowed_domains and
           r.rsplit("@", 1)[-1].lower() not in settings_.allowed_domains]
    if bad:
        outcome.detail = f"{', '.join(bad)} is outside the allowed recipient domains"
        return outcome, None
    template, rendered = composer.render(row)
    msg = mailing.build_message(settings_.sender, [route.to], route.cc, rendered.subject, rendered.text,
                                rendered.html, domain=settings_.sender.rsplit("@", 1)[-1])
    journal.write(attempt=row["id"])
    try:
        message_id = transport.send(msg, recipients)
    except Exception as exc:  # the server said no, or the connection broke: this one has not gone
        outcome.detail = f"{exc.__class__.__name__}: {exc}"
        journal.write(failed=row["id"])
        return outcome, None
    record = {"id": row["id"], "route": route.kind, "to": route.to, "cc": ", ".join(route.cc),
              "version": template.version, "message_id": message_id}
    journal.write(sent=row["id"], **{k: v for k, v in record.items() if k != "id"})
    outcome.status, outcome.detail = "sent", f"to {route.to}"
    return outcome, record


def _record_chunk(con, username: str, sent: list[dict], unsent: list[Outcome]) -> None:
    """One transaction for a chunk: what went is sent (and audited), what did not is failed or queued."""
    now = clock.now()
    with db.transaction(con) as cur:
        if sent:
            frame = pd.DataFrame(sent).assign(now=now, username=username)
            with db.registered(cur, "sent_now", frame):
                db.run(cur, "notifications/mark_sent_many")
            audit.record_many(cur, username, "send_notification", "notification",
                              [(r["id"], {"to": r["to"], "cc": r["cc"], "route": r["route"],
                                          "message_id": r["message_id"], "template_version": r["version"]})
                               for r in sent])
        for o in unsent:  # rare: a refusal, a blocked school or a disallowed domain
            db.run(cur, "notifications/mark_unsent", {"id": o.id, "status": "queued" if o.status == "blocked"
                                                      else "failed", "error": o.detail})
            audit.record(cur, username, "send_failed", "notification", o.id, error=o.detail)


def _record_failures(con, ids: list[int], error: str, username: str) -> None:
    """No connection to the mail server: nothing was claimed or sent; say why on each."""
    with db.transaction(con) as cur:
        db.run(cur, "notifications/note_failure", {"ids": ids, "error": error})
        audit.record(cur, username, "send_failed", "notifications", ",".join(map(str, ids)), error=error)


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
            attempted, sent = Journal.read(path)
            for r in (r for r in stuck if r["batch_id"] == batch):
                if r["id"] in sent:
                    e = sent[r["id"]]
                    db.run(cur, "notifications/mark_sent", {
                        "id": r["id"], "now": now, "username": username, "route": e["route"], "to": e["to"],
                        "cc": e["cc"], "version": e["version"], "message_id": e["message_id"]})
                    audit.record(cur, username, "send_notification", "notification", r["id"], recovered=True,
                                 message_id=e["message_id"])
                elif r["id"] in attempted or not path.exists():
                    db.run(cur, "notifications/mark_unknown", {"id": r["id"]})
                    audit.record(cur, username, "send_outcome_unknown", "notification", r["id"])
                    unknown += 1
                else:  # claimed but never attempted: it did not go
                    db.run(cur, "notifications/mark_unsent", {"id": r["id"], "status": "queued",
                                                              "error": "the batch stopped before sending it"})
        for batch in {r["batch_id"] for r in stuck}:
            (folder / f"{batch}.jsonl").unlink(missing_ok=True)
    return unknown


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
