"""Every child accounted for: the state of each child-incident, and the morning's open work.

The state is derived from the data by one definition (the `child_state` macro in
queries/definitions.sql), never stored:

    open   needs_school     no school yet: ambiguous, unknown, not given, or returned by a school
           blocked          a school (or route) is known but has no one to send to
           queued           waiting to be sent
           failed           the mail server refused it; it waits for a retry
           outcome_unknown  the send broke after the message left: a person checks
    ended  sent, acknowledged (the school replied), withdrawn (who and why), closed (a person's
           decision that no notification is needed, with a reason from a list)

A child leaves the open states only through a send or a person's recorded decision. `ledger_open` is
a small index of the child-incidents that may be open, kept in the same transaction as each write that
can open or end one (`sync`), so that the open work is found without reading years of history; it may
hold more than the open ones, never fewer, and `check` compares it with the whole derivation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import audit, calendar, clock, db, facts, matching, schools, settings

OPEN = ("needs_school", "blocked", "queued", "failed", "outcome_unknown")
ENDED = ("sent", "acknowledged", "withdrawn", "closed")
STATES = OPEN + ENDED
LABELS = {"needs_school": "Needs a school", "blocked": "Blocked: no one to send to", "queued": "Ready to send",
          "failed": "Failed: retry", "outcome_unknown": "Outcome unknown: check", "sent": "Sent",
          "acknowledged": "Acknowledged by the school", "withdrawn": "Withdrawn", "closed": "Closed by a person"}
SHORT = {"needs_school": "Needs a school", "blocked": "Blocked", "queued": "Ready to send", "failed": "Failed",
         "outcome_unknown": "Unknown"}
# The page where a person moves a child on from each open state.
RESOLVED_ON = {"needs_school": "matching", "blocked": "schools", "queued": "send", "failed": "send",
               "outcome_unknown": "send"}


class LedgerError(ValueError):
    pass


def route_params(con) -> dict:
    """What the routes depend on besides the data: the home LA and the EHE officer (settings)."""
    values = settings.all_settings(con)
    return {"home": schools.home_la(con), "ehe_email": values["ehe_officer_email"],
            "ehe_name": values["ehe_officer_name"]}


def states_of(con, ids: list[int]) -> dict[int, dict]:
    """The derived state of the given child-incidents."""
    if not ids:
        return {}
    return {r["id"]: r for r in db.rows(con, "ledger/states_of", {**route_params(con), "ids": list(ids)})}


def sync(cur, ids: list[int], created: bool = False) -> None:
    """After a write that touched these child-incidents, in its transaction: keep the derived tables in step —
    the index of open work, and the statistics' facts and daily pre-aggregates. Child-incidents `created` by
    this write (an import) are open by definition — nothing sent, nothing decided — so their state is not read."""
    if not ids:
        return
    from . import stats  # the statistics read the ledger's routes
    stats.refresh(cur, ids, created)
    if created:
        db.run(cur, "ledger/add_new_open", {"ids": sorted(set(ids))})
        return
    state = dict(db.run(cur, "ledger/state_of", {**route_params(cur), "ids": list(ids)}).fetchall())
    now_open = [i for i in ids if state.get(i) not in ENDED]  # never lose one: unknown counts as open
    ended = [i for i in ids if state.get(i) in ENDED]
    if now_open:
        db.run(cur, "ledger/add_open", {"ids": now_open})
    if ended:
        db.run(cur, "ledger/remove_open", {"ids": ended})


@dataclass
class OpenItem:
    id: int
    police_ref: str
    kind: str
    incident_at: datetime
    age: int
    school: str | None         # the school (or route) known, or what the officer typed
    state: str
    reason: str
    due_by: datetime
    known_calendar: bool
    notification_id: int | None

    @property
    def page(self) -> str:
        return RESOLVED_ON[self.state]

    def overdue(self, now: datetime) -> bool:
        return now > self.due_by

    def time_left(self, now: datetime) -> str:
        """'due 08:30 Tue — 14 h', or how long overdue."""
        hours = (self.due_by - now).total_seconds() / 3600
        when = f"{self.due_by:%H:%M %a %d %b}"
        span = abs(hours)
        left = f"{span:.0f} h" if span < 48 else f"{span / 24:.0f} days"
        return f"due {when} — overdue by {left}" if hours < 0 else f"due {when} — {left}"


def open_items(con) -> list[OpenItem]:
    """Every open child-incident, soonest due first. No names: callers that show them audit the view.

    Read from the index of open work, then the rows it names (each through an index): a few milliseconds
    whatever the years of history."""
    ids = [r[0] for r in con.execute("select child_incident_id from ledger_open").fetchall()]
    states = [s for s in states_of(con, ids).values() if s["state"] in OPEN]
    if not states:
        return []
    incidents = facts.lookup(con, "incidents", (s["incident_id"] for s in states))
    children = facts.lookup(con, "children", (s["child_id"] for s in states))
    schools_by_urn = facts.lookup(con, "schools", (s["urn"] for s in states if s["urn"] is not None))
    las = {lead["la_code"]: lead["la_name"] for lead in db.rows(con, "contacts/la_leads")}
    cals = calendar.Calendars(con)
    items = []
    for s in states:
        incident = incidents[s["incident_id"]]
        due, known = s["due_by"], s["known_calendar"]
        if due is None:  # no notification yet: due by the start of the next school day after the incident
            due, known = cals.school(s["urn"]).due_by(incident["incident_at"])
        if s["urn"] is not None:
            where = schools_by_urn[s["urn"]]["name"] if s["urn"] in schools_by_urn else f"URN {s['urn']}"
        elif s["target"] and s["target"].startswith("la:"):
            where = f"out of area: {las.get(s['la_code']) or s['la_code']}"
        elif s["target"] == "ehe":
            where = "no school (EHE / not in education)"
        else:
            where = s["school_text"] or "no school given"
        items.append(OpenItem(s["id"], incident["police_ref"], incident["kind"], incident["incident_at"],
                              calendar.age_on(children[s["child_id"]]["dob"], incident["incident_at"].date()),
                              where, s["state"], s["reason"], due, bool(known), s["notification_id"]))
    return sorted(items, key=lambda i: (i.due_by, i.police_ref, i.id))


def counts(con) -> dict[str, int]:
    """How many child-incidents are in each state, over all of them (every state listed, zeros too)."""
    found = dict(db.run(con, "ledger/counts", route_params(con)).fetchall())
    return {state: int(found.get(state, 0)) for state in STATES}


def check(con, repair: bool = True) -> list[int]:
    """Open child-incidents missing from ledger_open (there should be none). Repairs by default."""
    missing = [r[0] for r in db.run(con, "ledger/unindexed_open", route_params(con)).fetchall()]
    if missing and repair:
        with db.transaction(con) as cur:
            db.run(cur, "ledger/add_open", {"ids": missing})
            audit.record(cur, "system", "ledger_repaired", "child_incident", ",".join(map(str, missing[:50])),
                         children=len(missing))
    return missing


def names(con, ids: list[int], username: str) -> dict[int, dict]:
    """Children's names and dates of birth for the given child-incidents: a read of their records, audited."""
    if not ids:
        return {}
    cis = facts.lookup(con, "child_incidents", ids)
    people = facts.lookup(con, "children", (c["child_id"] for c in cis.values()))
    rows = [dict(people[c["child_id"]], id=i) for i, c in cis.items()]
    with db.transaction(con) as cur:
        audit.record(cur, username, "view_children", "child_incident", ",".join(map(str, ids[:200])),
                     children=len(rows))
    return {r["id"]: r for r in rows}


def suggestions(con, ids: list[int]) -> dict[int, dict]:
    """For children needing a school: the school the child was last confirmed at (24 months), else what a
    person decided for the same spelling before — {ci id: {"urn", "why"}}."""
    found = {i: {"urn": r["urn"], "why": f"last confirmed at {r['name']} on {r['on']:%d/%m/%Y}"}
             for i, r in matching.last_schools(con, ids).items()}
    rest = [i for i in ids if i not in found]
    if rest:
        matcher = matching.Matcher(con)
        for r in db.rows(con, "ledger/typed_schools", {"ids": rest}):
            m = matcher.match(r["school_text"])
            if m.suggestion:
                found[r["id"]] = {"urn": m.suggestion.urn, "why": m.suggestion.why}
    return found


def closure_reasons(con) -> list[str]:
    return settings.as_list(con, "closure_reasons")


def close(con, ids: list[int], reason: str, note: str, username: str) -> int:
    """A person decides that no notification is needed for these open child-incidents, with a reason from
    the list (and a note where the reason needs one: which record it duplicates, or why). Returns how many."""
    reasons = closure_reasons(con)
    if reason not in reasons:
        raise LedgerError(f"choose a reason from the list ({', '.join(reasons)})")
    note = " ".join((note or "").split())
    if reason.lower().startswith(("duplicate", "other")) and not note:
        raise LedgerError("say which record it duplicates, or why" if reason.lower().startswith("duplicate")
                          else "say why no notification is needed")
    if len(note) > 500:
        raise LedgerError("keep the note under 500 characters")
    with db.transaction(con) as cur:
        current = states_of(cur, ids)
        closable = [i for i in ids if i in current and current[i]["state"] in OPEN]
        if not closable:
            return 0
        db.run(cur, "ledger/close", {"ids": closable, "reason": reason, "note": note or None, "username": username,
                                     "now": clock.now()})
        # Anything still waiting to go for them is withdrawn with the same decision.
        db.run(cur, "ledger/withdraw_unsent", {"ids": closable, "username": username, "reason": f"closed: {reason}"})
        sync(cur, closable)
        audit.record(cur, username, "close_child_incident", "child_incident", ",".join(map(str, closable)),
                     reason=reason, note_given=bool(note), children=len(closable))
    return len(closable)


def rebuild(cur) -> list[int]:
    """Fill ledger_open afresh from the whole derivation (after bulk writes such as the demo's). Returns the
    open child-incidents."""
    open_ids = [r[0] for r in db.run(cur, "ledger/all_open", route_params(cur)).fetchall()]
    cur.execute("delete from ledger_open")
    if open_ids:
        db.run(cur, "ledger/add_open", {"ids": open_ids})
    return open_ids
