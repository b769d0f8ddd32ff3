"""What the database holds, and what the co-ordinator needs to know this morning."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import calendar, clock, db


def counts(con) -> dict:
    """What the database holds, and when the known term calendar runs out."""
    found = db.one(con, "status/counts")
    end = calendar.calendar_end(con)
    found["calendar_ends"] = end["calendar_ends"].isoformat() if end["calendar_ends"] else None
    found["days_left"] = end["days_left"]
    return found


@dataclass
class Today:
    day: calendar.Day
    sheets_today: list[dict]          # sheets imported today, newest first
    awaiting_school: int              # children whose school needs a person
    awaiting_oldest: date | None
    repeat_children_today: int        # children on today's sheets seen before in the last 12 months
    children_today: int
    matched_today: int
    no_school_today: int
    notifications: dict               # waiting, next_due, overdue, unknown
    calendar_warning: str | None      # the term calendar runs out within 90 days (or has)

    @property
    def sheet_loaded(self) -> bool:
        return bool(self.sheets_today)


def today(con, on: date | None = None) -> Today:
    on = on or clock.today()
    summary = db.one(con, "status/today", {"day": on})
    return Today(
        day=calendar.day_info(con, on),
        sheets_today=db.rows(con, "status/sheets_on", {"day": on}),
        awaiting_school=summary["awaiting_school"],
        awaiting_oldest=summary["awaiting_oldest"],
        repeat_children_today=summary["repeat_children"],
        children_today=summary["children"],
        matched_today=summary["matched"],
        no_school_today=summary["no_school"],
        notifications=db.one(con, "notifications/due_summary", {"now": clock.now()}),
        calendar_warning=calendar.end_warning(calendar.calendar_end(con, on)),
    )


def repeat_children(con, on: date | None = None) -> list[dict]:
    """Today's repeat children: how often each was seen in the 12 months (names: audited by the caller)."""
    return db.rows(con, "status/repeat_children_on", {"day": on or clock.today()})
