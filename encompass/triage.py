"""The daily Domestic Abuse Triage (DAT): the list, each agency's checks, decisions, actions, minutes.

Each agency writes only its own column. A save names the version of the check it replaces, so two
people editing one agency's note are told, never silently overwritten; different agencies never
touch the same row. Once a meeting is closed, a change to its decisions is an amendment with who,
when and why.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

from . import audit, calendar, clock, db, exports, facts, notifications, settings, stats

KNOWN = {"yes": "Known", "no": "Not known", "not_checked": "Not checked"}
ACTION_STATUS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
ATTENDANCE = {"present": "Present", "apologies": "Apologies", "absent": "Absent"}


class TriageError(ValueError):
    pass


class EditConflict(TriageError):
    """Someone else saved this agency's check since it was opened."""

    def __init__(self, current: dict):
        super().__init__(f"{current['updated_by']} saved this check at {current['updated_at']:%H:%M} while you were "
                         "editing: merge the two notes and save again")
        self.current = current


def next_meeting_day(con, now: datetime | None = None) -> date:
    """The meeting to open: today's, if today is a working day and its meeting is not closed; else the
    next working day's."""
    today = (now or clock.now()).date()
    if calendar.is_working_day(today) and not is_closed(con, today):
        return today
    return calendar.next_working_day(today)


def levels(con) -> list[int]:
    return [int(x) for x in settings.as_list(con, "triage_levels")]


def agencies(con) -> list[str]:
    return settings.as_list(con, "triage_agencies")


def outcomes(con) -> list[str]:
    return settings.as_list(con, "triage_outcomes")


@dataclass
class Incident:
    id: int
    police_ref: str
    incident_at: object
    has_time: bool
    level: int | None
    dash_risk: str | None
    children: list[dict]
    checks: dict[str, dict]
    decision: dict | None
    actions: list[dict]
    note: str | None = None      # "carried over from ...", "arrived late ...", "level not given"


def sync_open(cur, incident_ids: list[int] | None = None) -> None:
    """Keep triage_open (incidents that may wait for a decision) in step: for the given incidents after an
    import, or all of them afresh (None) after the triage levels change. Same transaction as the write."""
    params = {"levels": levels(cur), "ids": incident_ids}
    if incident_ids is None:
        cur.execute("delete from triage_open")
        db.run(cur, "triage/open_all", params)
    elif incident_ids:
        db.run(cur, "triage/open_some", params)


def normal_meeting(incident_at: datetime) -> date:
    """The meeting an incident is first due at: the first working day after the incident."""
    return calendar.next_working_day(incident_at.date())


def meeting_list(con, meeting: date) -> list[tuple[int, str | None]]:
    """(incident id, note) for a meeting's list, in order.

    Every incident at the triage levels — or with no level given, for the chair to set — that has no
    decision yet and was first due at this meeting or an earlier one, whatever its incident date; plus
    those this meeting decided. An incident carried over from an earlier list, or one that arrived after
    the meeting it was first due at, says so. Nothing falls off by date. A closed meeting's list is what
    it decided.
    """
    decided = [r[0] for r in db.run(con, "triage/decided_at", {"meeting": meeting}).fetchall()]
    rows = [] if is_closed(con, meeting) else db.rows(con, "triage/undecided", {"levels": levels(con)})
    listed = {}
    for r in rows:
        first_due = normal_meeting(r["incident_at"])
        if first_due > meeting or r["imported_at"].date() > meeting:  # not due yet, or not yet known then
            continue
        notes = []
        if r["level"] is None:
            notes.append("level not given: the chair sets it")
        if first_due < meeting:
            notes.append(f"arrived late (sheet of {r['imported_at']:%a %d/%m})" if r["imported_at"].date() > first_due
                         else f"carried over from {first_due:%a %d/%m}")
        listed[r["id"]] = (r["incident_at"], r["police_ref"], "; ".join(notes) or None)
    for incident_id, incident_at, police_ref in db.run(con, "triage/incident_keys", {"ids": decided}).fetchall():
        listed.setdefault(incident_id, (incident_at, police_ref, None))
    return [(i, v[2]) for i, v in sorted(listed.items(), key=lambda kv: (kv[1][0], kv[1][1]))]


def incident_ids(con, meeting: date) -> list[int]:
    return [i for i, _ in meeting_list(con, meeting)]


def summary(con, meeting: date) -> list[dict]:
    """For the CLI: the incidents on a meeting's list, without names."""
    listed = meeting_list(con, meeting)
    found = {r["id"]: r for r in db.rows(con, "triage/summary", {"ids": [i for i, _ in listed]})}
    return [dict(found[i], note=note) for i, note in listed if i in found]


def _children(con, incident_ids: list[int]) -> dict[int, list[dict]]:
    """Each incident's children, eldest first: name, date of birth, age, school, repeats in 12 months and
    siblings (facts from the import), the notification's status and the school's replies. Every table is
    read through an index by the ids in hand: no scan of the history."""
    cis = db.rows(con, "sheets/children_of_incidents", {"ids": incident_ids})
    rows = facts.lookup(con, "child_incidents", (c["id"] for c in cis))
    people = facts.lookup(con, "children", (c["child_id"] for c in cis))
    incidents = facts.lookup(con, "incidents", incident_ids)
    names = facts.lookup(con, "schools", (r["urn"] for r in rows.values() if r["urn"] is not None))
    sent: dict[int, dict] = {}  # the latest notification of each child-incident, other than a reply to a school
    for n in sorted(db.rows(con, "notifications/of_child_incidents", {"ids": sorted(rows)}), key=lambda n: n["id"]):
        if n["kind"] != "wrong_school_reply":
            sent[n["child_incident_id"]] = n
    replies: dict[int, list[str]] = {}
    for r in db.rows(con, "notifications/replies_of", {"ids": sorted(n["id"] for n in sent.values())}):
        replies.setdefault(r["notification_id"], []).append(
            notifications.RESPONSES.get(r["kind"], r["kind"]).lower() + (f": {r['note']}" if r["note"] else ""))
    found: dict[int, list[dict]] = {}
    for ci, r in rows.items():
        person, incident, n = people[r["child_id"]], incidents[r["incident_id"]], sent.get(ci)
        found.setdefault(r["incident_id"], []).append({
            "incident_id": r["incident_id"], "forename": person["forename"], "surname": person["surname"],
            "dob": person["dob"], "age": calendar.age_on(person["dob"], incident["incident_at"].date()),
            "school": names[r["urn"]]["name"] if r["urn"] in names else (r["school_text"] or "no school given"),
            "match_status": r["match_status"], "times_in_12_months": r["seen_12m"] or 1,
            "siblings": (incident["children"] or 1) - 1, "notification": n["status"] if n else None,
            "notification_id": n["id"] if n and n["status"] in ("sent", "acknowledged") else None,
            "school_replies": "; ".join(replies.get(n["id"], [])) if n else None})
    for kids in found.values():
        kids.sort(key=lambda c: (c["dob"], c["forename"]))
    return found


def load(con, ids: list[int], username: str, purpose: str, notes: dict | None = None) -> list[Incident]:
    """Incidents with their children, checks, decisions and actions. Reading them is audited."""
    if not ids:
        return []
    notes = notes or {}
    base = facts.lookup(con, "incidents", ids)
    children = _children(con, ids)
    checks: dict[int, dict] = {}
    for c in db.rows(con, "triage/checks", {"ids": ids}):
        checks.setdefault(c["incident_id"], {})[c["agency"]] = c
    decisions = {d["incident_id"]: d for d in db.rows(con, "triage/decisions", {"ids": ids})}
    actions: dict[int, list] = {}
    for a in db.rows(con, "triage/actions", {"ids": ids}):
        actions.setdefault(a["incident_id"], []).append(a)
    with db.transaction(con) as cur:
        audit.record(cur, username, "view_incidents", "incident", ",".join(map(str, ids)), purpose=purpose)
    return [Incident(i, base[i]["police_ref"], base[i]["incident_at"], base[i]["has_time"], base[i]["level"],
                     base[i]["dash_risk"], children.get(i, []), checks.get(i, {}), decisions.get(i),
                     actions.get(i, []), notes.get(i)) for i in ids if i in base]


def load_meeting(con, meeting: date, username: str, purpose: str) -> list[Incident]:
    """A meeting's list, loaded (audited), with each incident's note."""
    listed = meeting_list(con, meeting)
    return load(con, [i for i, _ in listed], username, purpose, dict(listed))


def progress(con, meeting: date, agency: str) -> tuple[int, int]:
    """(checked, total) for one agency: "12 of 19 checked"."""
    ids = incident_ids(con, meeting)
    if not ids:
        return 0, 0
    done = db.scalar(con, "triage/checked_count", {"ids": ids, "agency": agency})
    return done, len(ids)


def save_check(con, incident_id: int, agency: str, known: str, note: str, expected_version: int,
               username: str, user_agency: str | None) -> int:
    """Save one agency's check; returns the new version. Raises EditConflict if someone saved first."""
    if user_agency != agency:
        raise TriageError(f"you can only write {user_agency or 'no agency'}'s checks")
    if known not in KNOWN:
        raise TriageError("say whether the family is known to your agency")
    with db.transaction(con) as cur:
        current = db.one(cur, "triage/check", {"incident_id": incident_id, "agency": agency})
        version = current["version"] if current else 0
        if version != expected_version:
            raise EditConflict(current)
        params = {"incident_id": incident_id, "agency": agency, "known": known, "note": note.strip() or None,
                  "version": version + 1, "username": username, "now": clock.now()}
        db.run(cur, "triage/save_check" if current else "triage/insert_check", params)
        audit.record(cur, username, "triage_check", "incident", incident_id, agency=agency, known=known,
                     version=version + 1)
    return version + 1


def is_closed(con, meeting: date) -> bool:
    row = con.execute("select closed_at from triage_meetings where meeting_date = ?", [meeting]).fetchone()
    return bool(row and row[0])


def decide(con, meeting: date, incident_id: int, agreed_level: int, outcome: str, rationale: str,
           username: str, reason: str = "") -> None:
    """Record the meeting's decision. After the meeting is closed it is an amendment and needs a reason."""
    if agreed_level not in (1, 2, 3, 4):
        raise TriageError("the agreed level is 1 to 4")
    if outcome not in outcomes(con):
        raise TriageError(f"choose an outcome from the list ({', '.join(outcomes(con))})")
    closed = is_closed(con, meeting)
    if closed and not reason.strip():
        raise TriageError("the meeting is closed: say why the decision is amended")
    now = clock.now()
    with db.transaction(con) as cur:
        old = db.one(cur, "triage/decision", {"incident_id": incident_id})
        db.run(cur, "triage/save_decision" if old else "triage/insert_decision", {
            "incident_id": incident_id, "meeting_date": meeting, "agreed_level": agreed_level, "outcome": outcome,
            "rationale": rationale.strip() or None, "username": username, "now": now})
        if closed:
            for what, before, after in (("agreed level", old and old["agreed_level"], agreed_level),
                                        ("outcome", old and old["outcome"], outcome),
                                        ("rationale", old and old["rationale"], rationale.strip() or None)):
                if before != after:
                    db.run(cur, "triage/amend", {"incident_id": incident_id, "what": what,
                                                 "old": None if before is None else str(before),
                                                 "new": None if after is None else str(after),
                                                 "reason": reason.strip(), "username": username, "now": now})
        cur.execute("delete from triage_open where incident_id = ?", [incident_id])
        stats.touch(cur)
        audit.record(cur, username, "triage_amend" if closed else "triage_decision", "incident", incident_id,
                     agreed_level=agreed_level, outcome=outcome)


def add_action(con, meeting: date, incident_id: int, action: str, owner: str, due: date | None,
               username: str, reason: str = "") -> int:
    """An action agreed at a meeting, owned by one agency; returns its id."""
    action = " ".join((action or "").split())
    if not action:
        raise TriageError("say what the action is")
    if len(action) > 1000:
        raise TriageError("keep an action under 1,000 characters")
    if owner not in agencies(con):
        raise TriageError("choose the agency that owns the action")
    if due is not None and due < meeting:
        raise TriageError("the due date is before the meeting")
    closed = is_closed(con, meeting)
    if closed and not reason.strip():
        raise TriageError("the meeting is closed: say why the action is added")
    now = clock.now()
    with db.transaction(con) as cur:
        action_id = cur.execute(
            "insert into triage_actions (incident_id, action, owner_agency, due_date, meeting_date, status, "
            "created_by, created_at) values (?, ?, ?, ?, ?, 'open', ?, ?) returning id",
            [incident_id, action, owner, due, meeting, username, now]).fetchone()[0]
        if closed:
            db.run(cur, "triage/amend", {"incident_id": incident_id, "what": "action added", "old": None,
                                         "new": f"{action} ({owner})", "reason": reason.strip(),
                                         "username": username, "now": now})
        audit.record(cur, username, "triage_action", "incident", incident_id, owner=owner, action_id=action_id)
    return action_id


def set_action_status(con, action_id: int, status: str, username: str, user_agency: str | None,
                      is_admin: bool = False) -> None:
    """The owning agency marks its action done (or cancelled). Anyone else is refused, saying whose it is."""
    if status not in ("done", "cancelled", "open"):
        raise TriageError("an action is open, done or cancelled")
    with db.transaction(con) as cur:
        row = cur.execute("select owner_agency, status, incident_id from triage_actions where id = ?",
                          [action_id]).fetchone()
        if row is None:
            raise TriageError("no such action")
        owner, current, incident_id = row
        if owner != user_agency and not is_admin:
            raise TriageError(f"only {owner} can change the status of its action")
        if current == status:
            return
        cur.execute("update triage_actions set status = ?, closed_by = ?, closed_at = ? where id = ?",
                    [status, None if status == "open" else username, None if status == "open" else clock.now(),
                     action_id])
        audit.record(cur, username, "triage_action_status", "incident", incident_id, action_id=action_id,
                     status=status)


def actions_due(con, meeting: date) -> list[dict]:
    """Open actions from earlier meetings that are due by this one: the meeting starts with these."""
    return db.rows(con, "triage/actions_due", {"meeting": meeting})


def attendance(con, meeting: date) -> dict[str, dict]:
    """Each agency's attendance at a meeting (agencies not yet recorded are missing)."""
    return {r["agency"]: r for r in db.rows(con, "triage/attendance", {"meeting": meeting})}


def record_attendance(con, meeting: date, marks: dict[str, tuple[str, str]], username: str) -> None:
    """{agency: (present / apologies / absent, who attended)} for a meeting not yet closed."""
    unknown = set(marks) - set(agencies(con))
    if unknown:
        raise TriageError(f"not a triage agency: {', '.join(sorted(unknown))}")
    if any(status not in ATTENDANCE for status, _ in marks.values()):
        raise TriageError("attendance is present, apologies or absent")
    if is_closed(con, meeting):
        raise TriageError("the meeting is closed: its attendance is part of the minutes")
    now = clock.now()
    with db.transaction(con) as cur:
        for agency, (status, attendee) in marks.items():
            attendee = " ".join((attendee or "").split())[:200] or None
            cur.execute("insert into triage_attendance values (?, ?, ?, ?, ?, ?) on conflict (meeting_date, agency) "
                        "do update set status = excluded.status, attendee = excluded.attendee, "
                        "recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
                        [meeting, agency, status, attendee if status == "present" else None, username, now])
        audit.record(cur, username, "triage_attendance", "meeting", meeting,
                     present=sorted(a for a, (s, _) in marks.items() if s == "present"))


def close_meeting(con, meeting: date, username: str) -> list[str]:
    """Close the meeting. Returns the police references still without a decision (then nothing closes)."""
    undecided = [i.police_ref for i in load(con, incident_ids(con, meeting), username, "close") if not i.decision]
    if undecided:
        return undecided
    with db.transaction(con) as cur:
        cur.execute("insert into triage_meetings values (?, ?, ?) on conflict (meeting_date) do update set "
                    "closed_by = excluded.closed_by, closed_at = excluded.closed_at", [meeting, username, clock.now()])
        audit.record(cur, username, "triage_close", "meeting", meeting)
    return []


def amendments(con, incident_id: int) -> list[dict]:
    return db.rows(con, "triage/amendments", {"incident_id": incident_id})


# --- minutes ---------------------------------------------------------------------------------------

def _minutes(con, meeting: date, username: str) -> dict[str, list[dict]]:
    """What the minutes hold: who attended, each incident's decision, every agency's check and the actions."""
    incidents = load(con, incident_ids(con, meeting), username, "minutes")
    present = attendance(con, meeting)
    rows = {"attendance": [{"agency": a, "attendance": ATTENDANCE[present[a]["status"]] if a in present else
                            "not recorded", "attendee": (present.get(a) or {}).get("attendee") or ""}
                           for a in agencies(con)],
            "decisions": [], "checks": [], "actions": []}
    for i in incidents:
        d = i.decision or {}
        rows["decisions"].append({
            "police_ref": i.police_ref, "incident_date": f"{i.incident_at:%d/%m/%Y}", "level": i.level,
            "dash_risk": i.dash_risk, "children": "; ".join(f"{c['forename']} {c['surname']} ({c['age']})"
                                                            for c in i.children),
            "agreed_level": d.get("agreed_level"), "outcome": d.get("outcome"), "rationale": d.get("rationale")})
        rows["checks"] += [{"police_ref": i.police_ref, "agency": agency, "known": KNOWN[c["known"]],
                            "note": c["note"] or ""} for agency, c in sorted(i.checks.items())]
        rows["actions"] += [{"police_ref": i.police_ref, "action": a["action"], "owner": a["owner_agency"],
                             "due": f"{a['due_date']:%d/%m/%Y}" if a["due_date"] else "",
                             "status": ACTION_STATUS.get(a["status"] or "open")} for a in i.actions]
    rows["reviewed"] = [{"police_ref": a["police_ref"], "action": a["action"], "owner": a["owner_agency"],
                         "due": f"{a['due_date']:%d/%m/%Y}", "set_at": f"{a['meeting_date']:%d/%m/%Y}"}
                        for a in actions_due(con, meeting)]
    return rows


MINUTE_COLUMNS = {
    "attendance": ["agency", "attendance", "attendee"],
    "decisions": ["police_ref", "incident_date", "level", "dash_risk", "children", "agreed_level", "outcome",
                  "rationale"],
    "checks": ["police_ref", "agency", "known", "note"],
    "actions": ["police_ref", "action", "owner", "due", "status"],
    "reviewed": ["police_ref", "action", "owner", "due", "set_at"],
}


def minutes_xlsx(con, meeting: date, username: str) -> bytes:
    rows = _minutes(con, meeting, username)
    _audit_export(con, meeting, username, "xlsx", len(rows["decisions"]))
    titles = {"attendance": "Attendance", "decisions": "Decisions", "checks": "Agencies' checks",
              "actions": "Actions", "reviewed": "Actions due, reviewed"}
    return exports.to_xlsx({titles[k]: (rows[k], MINUTE_COLUMNS[k]) for k in titles})


def minutes_html(con, meeting: date, username: str) -> bytes:
    """A printable document (open it and print, or save as PDF). Every value is HTML-escaped."""
    rows = _minutes(con, meeting, username)
    _audit_export(con, meeting, username, "html", len(rows["decisions"]))
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731

    def table(kind: str, columns: list[str], headings: list[str]) -> str:
        return ("<table><tr>" + "".join(f"<th>{h}</th>" for h in headings) + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{e(r[c])}</td>" for c in columns) + "</tr>" for r in rows[kind])
                + "</table>")

    council = e(settings.get(con, "council_name"))
    closed = "Meeting closed" if is_closed(con, meeting) else "Meeting not yet closed"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>DAT minutes {meeting:%d/%m/%Y}</title>"
             "<style>body{font-family:Arial,sans-serif;margin:2em}table{border-collapse:collapse;width:100%;"
             "margin-bottom:1em}td,th{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}"
             "</style></head><body>",
             f"<h1>Domestic Abuse Triage — {meeting:%A %d %B %Y}</h1>",
             f"<p>{council}. OFFICIAL-SENSITIVE. {closed}. {len(rows['decisions'])} incidents.</p>",
             "<h2>Attendance</h2>", table("attendance", MINUTE_COLUMNS["attendance"], ["Agency", "Attendance", "Who"])]
    if rows["reviewed"]:
        parts += ["<h2>Actions due, reviewed</h2>",
                  table("reviewed", MINUTE_COLUMNS["reviewed"], ["Police ref", "Action", "Owner", "Due", "Set on"])]
    for d in rows["decisions"]:
        parts.append(f"<h2>{e(d['police_ref'])} — incident {e(d['incident_date'])}</h2><table>"
                     f"<tr><th>Level on referral</th><td>{e(d['level'])}</td>"
                     f"<th>DASH</th><td>{e(d['dash_risk'])}</td></tr>"
                     f"<tr><th>Children</th><td colspan='3'>{e(d['children'])}</td></tr>"
                     f"<tr><th>Agreed level</th><td>{e(d['agreed_level'])}</td>"
                     f"<th>Outcome</th><td>{e(d['outcome'])}</td></tr>"
                     f"<tr><th>Rationale</th><td colspan='3'>{e(d['rationale'])}</td></tr></table>")
        checks = [c for c in rows["checks"] if c["police_ref"] == d["police_ref"]]
        if checks:
            parts.append("<table><tr><th>Agency</th><th>Known</th><th>Note</th></tr>" + "".join(
                f"<tr><td>{e(c['agency'])}</td><td>{e(c['known'])}</td><td>{e(c['note'])}</td></tr>" for c in checks)
                + "</table>")
        mine = [a for a in rows["actions"] if a["police_ref"] == d["police_ref"]]
        if mine:
            parts.append("<table><tr><th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr>" + "".join(
                f"<tr><td>{e(a['action'])}</td><td>{e(a['owner'])}</td><td>{e(a['due'])}</td>"
                f"<td>{e(a['status'])}</td></tr>" for a in mine) + "</table>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")


def _audit_export(con, meeting: date, username: str, kind: str, n: int) -> None:
    with db.transaction(con) as cur:
        audit.record(cur, username, "export_minutes", "meeting", meeting, format=kind, incidents=n)
