"""The school calendar: terms, holidays, non-pupil days and bank holidays.

A date outside the known calendar is said to be so; the weekday is then the fallback,
never a silent guess.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays

from . import audit, db, settings

KINDS = ("term", "holiday", "non_pupil_day")


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class Day:
    day: date
    school_day: bool
    kind: str          # school_day / weekend / holiday / bank_holiday / non_pupil_day / unknown
    name: str          # e.g. "Christmas holiday"
    known: bool        # the date is inside the imported calendar

    def describe(self) -> str:
        if not self.known and self.kind in ("school_day", "unknown"):
            return f"{self.day:%A %d %B %Y} is outside the known term calendar: treated as a school day (weekday)"
        return {
            "school_day": f"{self.day:%A %d %B %Y} is a school day ({self.name})",
            "weekend": f"{self.day:%A %d %B %Y} is a weekend",
        }.get(self.kind, f"{self.day:%A %d %B %Y}: {self.name} — no school")


def import_calendar(con, path: str | Path, username: str = "system") -> int:
    """Replace the local authority's calendar with the CSV's rows (one transaction)."""
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for n, rec in enumerate(csv.DictReader(f), start=2):
            try:
                kind = rec["kind"].strip()
                start = date.fromisoformat(rec["start_date"].strip())
                end = date.fromisoformat(rec["end_date"].strip())
            except (KeyError, ValueError, AttributeError):
                raise CalendarError(f"{path}: row {n}: needs kind, start_date and end_date (YYYY-MM-DD)") from None
            if kind not in KINDS:
                raise CalendarError(f"{path}: row {n}: kind must be one of {', '.join(KINDS)}")
            if end < start:
                raise CalendarError(f"{path}: row {n}: end_date is before start_date")
            rows.append([rec.get("academic_year", "").strip(), kind, rec.get("name", "").strip() or kind,
                         start, end, (rec.get("note") or "").strip() or None])
    with db.transaction(con) as cur:
        cur.execute("delete from calendar_periods where urn is null")
        cur.executemany(db.sql("calendar/insert_period"), rows)
        _add_bank_holidays(cur, {r[3].year for r in rows} | {r[4].year for r in rows})
        audit.record(cur, username, "import_calendar", "calendar", None, periods=len(rows))
    return len(rows)


def _add_bank_holidays(cur, years: set[int]) -> None:
    # subdiv="ENG": plain UK() leaves out Easter Monday and the August bank holiday.
    found = holidays.UK(subdiv="ENG", years=sorted(years)) if years else {}
    for day, name in sorted(found.items()):
        cur.execute("insert into bank_holidays values (?, ?) on conflict (day) do update set name = excluded.name",
                    [day, name])


class Calendar:
    """The calendar for one school (or the LA's), loaded once and asked about many days."""

    def __init__(self, con, urn: int | None = None):
        self.bank = dict(con.execute("select day, name from bank_holidays").fetchall())
        periods = db.rows(con, "calendar/periods_for", {"urn": urn})
        self.own = [p for p in periods if p["urn"] is not None]
        self.la = [p for p in periods if p["urn"] is None]

    def day(self, day: date) -> Day:
        # A school's own periods (an academy's calendar) win on the days they cover; the LA's elsewhere.
        periods = ([p for p in self.own if p["start_date"] <= day <= p["end_date"]]
                   or [p for p in self.la if p["start_date"] <= day <= p["end_date"]])
        if day.weekday() >= 5:  # never a school day, whatever the calendar holds
            return Day(day, False, "weekend", "weekend", True)
        if day in self.bank:
            return Day(day, False, "bank_holiday", self.bank[day], True)
        for kind in ("non_pupil_day", "holiday", "term"):
            for p in periods:
                if p["kind"] == kind:
                    return Day(day, kind == "term", "school_day" if kind == "term" else kind, p["name"], True)
        return Day(day, True, "unknown", "outside the known calendar", False)

    def next_school_day(self, after: datetime) -> tuple[date, bool]:
        """The first school day after the moment given, and whether every day looked at was known."""
        day, known = after.date() + timedelta(days=1), True
        for _ in range(400):
            info = self.day(day)
            known = known and info.known
            if info.school_day:
                return day, known
            day += timedelta(days=1)
        raise CalendarError("no school day within a year: check the calendar")


def school_periods(con, urn: int) -> list[dict]:
    return db.rows(con, "calendar/school_periods", {"urn": urn})


def la_periods(con) -> list[dict]:
    return db.rows(con, "calendar/la_periods")


def add_period(con, urn: int | None, kind: str, name: str, start: date, end: date, username: str) -> None:
    """A term, holiday or non-pupil day: the LA's (urn None) or one school's own, which overrides the
    LA's calendar on the dates it covers."""
    if kind not in KINDS:
        raise CalendarError(f"kind must be one of {', '.join(KINDS)}")
    if end < start:
        raise CalendarError("the end date is before the start date")
    year = start.year if start.month >= 9 else start.year - 1
    with db.transaction(con) as cur:
        cur.execute("insert into calendar_periods (urn, academic_year, kind, name, start_date, end_date) "
                    "values (?, ?, ?, ?, ?, ?)", [urn, f"{year}/{(year + 1) % 100:02d}", kind, name or kind, start, end])
        audit.record(cur, username, "calendar_period_added", "school" if urn else "calendar", urn, kind=kind,
                     name=name, start=start, end=end)


def remove_period(con, period_id: int, username: str) -> None:
    with db.transaction(con) as cur:
        row = cur.execute("select urn, kind, name, start_date, end_date from calendar_periods where id = ?",
                          [period_id]).fetchone()
        if row is None:
            raise CalendarError("no such calendar period")
        cur.execute("delete from calendar_periods where id = ?", [period_id])
        audit.record(cur, username, "calendar_period_removed", "school" if row[0] else "calendar", row[0],
                     kind=row[1], name=row[2], start=row[3], end=row[4])


def day_info(con, day: date, urn: int | None = None) -> Day:
    return Calendar(con, urn).day(day)


def due_by(con, incident_at: datetime, urn: int | None = None) -> tuple[datetime, bool]:
    """The start of the next school day after the incident, and whether the calendar knew every day."""
    start = time.fromisoformat(settings.get(con, "school_day_start"))
    day, known = Calendar(con, urn).next_school_day(incident_at)
    return datetime.combine(day, start), known
