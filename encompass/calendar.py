"""Every date rule of the service, in one place.

- The school calendar: the council's terms, holidays and non-pupil days, a school's own periods
  (which win on the days they cover), the days between two known terms (holidays too), and bank
  holidays for any year (from `holidays`, subdivision England; checked against GOV.UK's list in the
  tests). A date outside the known calendar is said to be so; weekdays that are not bank holidays
  are then the fallback, flagged, never a silent guess.
- The next school day and the due time of a notification (the start of that day).
- The working day of the council (weekdays that are not bank holidays): when information for the
  triage is wanted, and when the triage meets.
- A child's age on a date.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays

from . import audit, clock, db, settings

KINDS = ("term", "holiday", "non_pupil_day")
LONGEST_HOLIDAY = timedelta(days=56)  # a longer gap between two known terms is a missing term, not a holiday
WARN_BEFORE_END = timedelta(days=90)  # warn this long before the known calendar runs out


class CalendarError(ValueError):
    pass


# --- bank holidays and working days ------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def bank_holidays(year: int) -> dict[date, str]:
    """England's bank holidays in a year. subdiv="ENG": plain UK() leaves out Easter Monday and August."""
    return dict(holidays.UK(subdiv="ENG", years=year))


def bank_holiday(day: date) -> str | None:
    return bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    """The council works on weekdays that are not bank holidays; the triage meets on those days."""
    return day.weekday() < 5 and bank_holiday(day) is None


def next_working_day(day: date, include: bool = False) -> date:
    """The first working day after `day` (or `day` itself, when include and it is one)."""
    if not include:
        day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def age_on(dob: date, on: date) -> int:
    """Whole years on a date. A child born on 29 February turns a year older on 1 March in other years."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


# --- the school calendar -------------------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    day: date
    school_day: bool
    kind: str          # school_day / weekend / holiday / bank_holiday / non_pupil_day / unknown
    name: str          # e.g. "Christmas holiday"
    known: bool        # the term calendar (or a bank holiday, or a weekend) settles it

    def describe(self) -> str:
        when = f"{self.day:%A %d %B %Y}"
        if self.kind == "unknown":
            return f"{when} is outside the known term calendar: treated as a school day (a weekday)"
        return {
            "school_day": f"{when} is a school day ({self.name})",
            "weekend": f"{when} is a weekend",
        }.get(self.kind, f"{when}: {self.name} — no school")


def _gap_name(start: date, end: date) -> str:
    """A holiday between two terms, named as people call it."""
    months = {(start + timedelta(days=n)).month for n in range((end - start).days + 1)}
    if 8 in months:
        return "Summer holiday"
    if 12 in months or 1 in months:
        return "Christmas holiday"
    if 4 in months or 3 in months:
        return "Easter holiday"
    if 10 in months or 11 in months:
        return "October half-term"
    if 2 in months:
        return "February half-term"
    if 5 in months or 6 in months:
        return "May half-term"
    return "Holiday between terms"


class _Periods:
    """One set of calendar periods (the council's, or one school's own), asked about single days."""

    def __init__(self, periods: list[dict]):
        self.periods = sorted(periods, key=lambda p: (p["start_date"], p["end_date"]))
        terms = [(p["start_date"], p["end_date"]) for p in self.periods if p["kind"] == "term"]
        merged: list[list[date]] = []
        for start, end in terms:
            if merged and start <= merged[-1][1] + timedelta(days=1):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.gaps = [(a[1] + timedelta(days=1), b[0] - timedelta(days=1)) for a, b in zip(merged, merged[1:])
                     if b[0] - a[1] - timedelta(days=1) <= LONGEST_HOLIDAY]
        self.last_term_end = merged[-1][1] if merged else None

    def covering(self, day: date) -> tuple[str, str] | None:
        """(kind, name) for the day, or None when these periods say nothing about it."""
        found = [p for p in self.periods if p["start_date"] <= day <= p["end_date"]]
        for kind in ("non_pupil_day", "holiday", "term"):  # the most specific wins
            for p in found:
                if p["kind"] == kind:
                    return kind, p["name"]
        for start, end in self.gaps:
            if start <= day <= end:
                return "holiday", _gap_name(start, end)
        return None


class Calendar:
    """The calendar one school keeps: its own periods where it has them, the council's elsewhere."""

    def __init__(self, la: _Periods, own: _Periods | None, school_day_start: time):
        self.la, self.own, self.start = la, own, school_day_start
        self._next: dict[date, tuple[date, bool]] = {}  # a batch asks about the same few days many times

    def day(self, day: date) -> Day:
        if day.weekday() >= 5:  # never a school day, whatever the calendar holds
            return Day(day, False, "weekend", "weekend", True)
        if name := bank_holiday(day):
            return Day(day, False, "bank_holiday", name, True)
        found = (self.own and self.own.covering(day)) or self.la.covering(day)
        if found is None:
            return Day(day, True, "unknown", "outside the known calendar", False)
        kind, name = found
        return Day(day, kind == "term", "school_day" if kind == "term" else kind, name, True)

    def next_school_day(self, after: datetime | date) -> tuple[date, bool]:
        """The first school day after the day of the moment given, and whether every day looked at was known.

        The police sheet covers the last 24 hours and arrives in the morning, so an incident in the
        small hours of a school day is due by the start of the next one.
        """
        start = after.date() if isinstance(after, datetime) else after
        if start not in self._next:
            self._next[start] = self._first_school_day(start + timedelta(days=1))
        return self._next[start]

    def _first_school_day(self, day: date) -> tuple[date, bool]:
        known = True
        for _ in range(400):
            info = self.day(day)
            known = known and info.known
            if info.school_day:
                return day, known
            day += timedelta(days=1)
        raise CalendarError("no school day within a year: check the calendar")

    def due_by(self, incident_at: datetime | date) -> tuple[datetime, bool]:
        """When a notification is due: the start of the next school day after the incident."""
        day, known = self.next_school_day(incident_at)
        return datetime.combine(day, self.start), known

    def reply_by(self, sent_at: datetime, limit: time) -> datetime:
        """When information for the triage is wanted from a school notified at `sent_at`.

        The same morning only when the school is known to be open that day and there is time;
        otherwise by the limit on the next working day (a school closed today cannot answer today).
        """
        today = sent_at.date()
        info = self.day(today)
        if is_working_day(today) and info.school_day and info.known and sent_at.time() < limit:
            return datetime.combine(today, limit)
        return datetime.combine(next_working_day(today), limit)


class Calendars:
    """Every calendar, read in one query and kept for a page run or a batch: the council's, and a
    calendar per school that keeps its own term dates."""

    def __init__(self, con):
        periods = db.rows(con, "calendar/all_periods")
        self.start = time.fromisoformat(settings.get(con, "school_day_start"))
        self.la = _Periods([p for p in periods if p["urn"] is None])
        own: dict[int, list[dict]] = {}
        for p in periods:
            if p["urn"] is not None:
                own.setdefault(p["urn"], []).append(p)
        self._own = {urn: _Periods(ps) for urn, ps in own.items()}
        self._council = Calendar(self.la, None, self.start)
        self._by_school: dict[int, Calendar] = {}

    def council(self) -> Calendar:
        return self._council

    def school(self, urn: int | None) -> Calendar:
        if urn is None or urn not in self._own:
            return self._council
        if urn not in self._by_school:
            self._by_school[urn] = Calendar(self.la, self._own[urn], self.start)
        return self._by_school[urn]

    def last_school_day(self) -> date | None:
        """The last day the council's term calendar knows to be a school day."""
        day = self.la.last_term_end
        while day is not None and not self._council.day(day).school_day:
            day -= timedelta(days=1)
        return day


def day_info(con, day: date, urn: int | None = None) -> Day:
    return Calendars(con).school(urn).day(day)


def due_by(con, incident_at: datetime, urn: int | None = None) -> tuple[datetime, bool]:
    """The start of the next school day after the incident, and whether the calendar knew every day."""
    return Calendars(con).school(urn).due_by(incident_at)


def calendar_end(con, today: date | None = None) -> dict:
    """The last known school day, days left until it, and whether to warn (from 90 days before)."""
    end = Calendars(con).last_school_day()
    today = today or clock.today()
    if end is None:
        return {"calendar_ends": None, "days_left": None, "warn": True}
    days_left = (end - today).days
    return {"calendar_ends": end, "days_left": days_left, "warn": end - today <= WARN_BEFORE_END}


def end_warning(info: dict) -> str | None:
    """The sentence to show when the known calendar runs out soon (or has run out)."""
    if not info["warn"]:
        return None
    end, left = info["calendar_ends"], info["days_left"]
    if end is None:
        return "No term dates are loaded: every due time assumes weekdays. Import the council's term dates."
    if left < 0:
        return (f"The term calendar ended on {end:%A %d %B %Y}: since then every due time assumes weekdays. "
                "Import next year's term dates.")
    return (f"The term calendar ends on {end:%A %d %B %Y} ({left} day{'s' if left != 1 else ''} left): "
            "import next year's term dates before then, or due times will assume weekdays.")


# --- keeping the calendar ----------------------------------------------------------------------

def import_calendar(con, path: str | Path, username: str = "system") -> int:
    """Replace the council's calendar with the CSV's rows (one transaction)."""
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
        audit.record(cur, username, "import_calendar", "calendar", None, periods=len(rows))
    return len(rows)


def school_periods(con, urn: int) -> list[dict]:
    return db.rows(con, "calendar/school_periods", {"urn": urn})


def la_periods(con) -> list[dict]:
    return db.rows(con, "calendar/la_periods")


def school_year_start(day: date) -> date:
    """1 September of the school year the day is in."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def academic_year(day: date) -> str:
    year = school_year_start(day).year
    return f"{year}/{(year + 1) % 100:02d}"


def add_period(con, urn: int | None, kind: str, name: str, start: date, end: date, username: str) -> None:
    """A term, holiday or non-pupil day: the council's (urn None) or one school's own, which overrides the
    council's calendar on the dates it covers."""
    if kind not in KINDS:
        raise CalendarError(f"kind must be one of {', '.join(KINDS)}")
    if end < start:
        raise CalendarError("the end date is before the start date")
    name = " ".join((name or "").split())
    if len(name) > 100 or not name.isprintable():
        raise CalendarError("a period's name is at most 100 printable characters")
    with db.transaction(con) as cur:
        cur.execute("insert into calendar_periods (urn, academic_year, kind, name, start_date, end_date) "
                    "values (?, ?, ?, ?, ?, ?)", [urn, academic_year(start), kind, name or kind, start, end])
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
