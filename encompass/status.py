"""What the database holds, and what the co-ordinator needs to know this morning."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import calendar, clock, db, facts, ledger


def has_data(con) -> bool:
    return con.execute("select exists (select 1 from sheets)").fetchone()[0]


def counts(con) -> dict:
    """What the database holds: every child-incident by state (the values sum to child_incidents), whether
    the index of open work had to be repaired, and when the known term calendar runs out."""
    found = db.one(con, "status/counts")
    found["by_state"] = ledger.counts(con)
    found["open"] = sum(found["by_state"][s] for s in ledger.OPEN)
    found["ledger_repaired"] = len(ledger.check(con))
    end = calendar.calendar_end(con)
    found["calendar_ends"] = end["calendar_ends"].isoformat() if end["calendar_ends"] else None
    found["days_left"] = end["days_left"]
    return found


@dataclass
class Today:
    day: calendar.Day
    sheets_today: list[dict]          # sheets imported today, newest first
    children_today: int               # child-incidents on today's sheets
    matched_today: int
    repeat_children_today: int        # children on today's sheets seen before in the last 12 months
    open_items: list[ledger.OpenItem]  # every open child-incident, whatever its date, soonest due first
    calendar_warning: str | None      # the term calendar runs out within 90 days (or has)

    @property
    def sheet_loaded(self) -> bool:
        return bool(self.sheets_today)

    @property
    def by_state(self) -> dict[str, int]:
        return {s: sum(i.state == s for i in self.open_items) for s in ledger.OPEN}


def today(con, on: date | None = None) -> Today:
    on = on or clock.today()
    sheets_today = db.rows(con, "status/sheets_on", {"day": on})
    summary = db.one(con, "status/today", {"sheets": [s["id"] for s in sheets_today]})
    return Today(
        day=calendar.day_info(con, on),
        sheets_today=sheets_today,
        children_today=summary["children"],
        matched_today=summary["matched"],
        repeat_children_today=summary["repeat_children"],
        open_items=ledger.open_items(con),
        calendar_warning=calendar.end_warning(calendar.calendar_end(con, on)),
    )


def repeat_children(con, on: date | None = None) -> list[dict]:
    """Today's repeat children: how often each was seen in the 12 months (names: audited by the caller)."""
    sheets = [s["id"] for s in db.rows(con, "status/sheets_on", {"day": on or clock.today()})]
    rows = db.rows(con, "status/repeat_children_on", {"sheets": sheets})
    incidents = facts.lookup(con, "incidents", (r["incident_id"] for r in rows))
    people = facts.lookup(con, "children", (r["child_id"] for r in rows))
    found = [{"police_ref": incidents[r["incident_id"]]["police_ref"], **{k: people[r["child_id"]][k] for k in (
        "forename", "surname", "dob")}, "times_in_12_months": r["seen_12m"],
        "siblings": (incidents[r["incident_id"]]["children"] or 1) - 1} for r in rows]
    return sorted(found, key=lambda r: (-r["times_in_12_months"], r["police_ref"]))
