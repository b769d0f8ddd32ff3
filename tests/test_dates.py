"""Every date rule, on the days where they go wrong: bank holidays, Christmas, Easter, 29 February, the
summer gap, the end of the known calendar, clock changes — with the clock pinned, never the real day."""
from __future__ import annotations

import csv
import email
import json
import subprocess
import sys
from datetime import date, datetime, time
from email import policy
from pathlib import Path

import pytest

from encompass import calendar, clock, contacts, mailing, notifications, sheets, status, triage

from .conftest import REFERENCE, child_row, page_as, xlsx_bytes

ENCOMPASS = Path(sys.executable).parent / "encompass"
BELVIDERE = 123437


def test_bank_holidays_agree_with_the_govuk_list_on_every_weekday():
    """The `holidays` package is the source; GOV.UK's list (bundled) is the reference it is checked against.
    They differ only on weekends (the package also names a Christmas Day that falls on a Saturday)."""
    govuk, package = set(), set()
    with open(REFERENCE / "bank_holidays_england_wales.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            day = date.fromisoformat(row["date"])
            if day.weekday() < 5 and row["in_govuk_bank_holidays_cache"]:
                govuk.add(day)
    for year in range(2012, 2029):
        package |= {d for d in calendar.bank_holidays(year) if d.weekday() < 5}
    assert govuk and govuk == package


@pytest.mark.parametrize("moment, due, known", [
    ("2026-12-24T20:00", "2026-12-29", False),  # Christmas Eve: Christmas, a weekend, Boxing Day on Monday 28th
    ("2027-03-25T20:00", "2027-03-30", False),  # Good Friday 26 March and Easter Monday 29 March 2027
    ("2027-04-30T20:00", "2027-05-04", False),  # the early-May bank holiday, Monday 3 May 2027
    ("2027-05-28T20:00", "2027-06-01", False),  # the spring bank holiday, Monday 31 May 2027
    ("2028-02-28T20:00", "2028-02-29", False),  # 29 February is a school day like any other
    ("2025-07-25T20:00", "2025-09-02", True),   # the summer holiday between two known terms
    ("2025-12-19T20:00", "2026-01-06", True),   # Christmas holiday, then a non-pupil day on 5 January
    ("2026-07-17T20:00", "2026-07-20", False),  # the day after the known calendar ends: weekdays, flagged
    ("2027-03-28T01:30", "2027-03-30", False),  # the night the clocks go forward (Easter Monday next)
    ("2026-10-25T01:30", "2026-10-26", False),  # the night the clocks go back (after the known calendar)
])
def test_next_school_day_and_due_time(con, moment, due, known):
    when, is_known = calendar.due_by(con, datetime.fromisoformat(moment))
    assert (when.date().isoformat(), is_known) == (due, known)
    assert when.time() == time(8, 30)


def test_cli_skips_easter_with_or_without_next_years_term_dates(db_path, tmp_path):
    def next_day(*extra):
        proc = subprocess.run([str(ENCOMPASS), "--db", str(db_path), "--json", "next-school-day", *extra],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    assert next_day("2027-03-25T20:00") == {"next_school_day": "2027-03-30", "due_by": "2027-03-30T08:30",
                                            "known_calendar": False}
    # With 2026/27 term dates loaded (the summer term starting on Easter Tuesday) the day is known.
    dates = tmp_path / "terms.csv"
    dates.write_text("academic_year,kind,name,start_date,end_date,note\n"
                     "2026/27,term,Spring term,2027-01-05,2027-03-26,\n"
                     "2026/27,term,Summer term,2027-03-30,2027-07-21,\n")
    subprocess.run([str(ENCOMPASS), "--db", str(db_path), "import-calendar", str(dates)], check=True, timeout=60)
    assert next_day("2027-03-25T20:00") == {"next_school_day": "2027-03-30", "due_by": "2027-03-30T08:30",
                                            "known_calendar": True}


def test_days_between_terms(con):
    council = calendar.Calendars(con).council()
    summer = council.day(date(2025, 8, 5))
    assert (summer.kind, summer.name, summer.known, summer.school_day) == ("holiday", "Summer holiday", True, False)
    # The file has no autumn 2023 term: a gap of months is a missing term, not a holiday.
    missing = council.day(date(2023, 10, 10))
    assert (missing.kind, missing.known, missing.school_day) == ("unknown", False, True)
    assert council.day(date(2026, 7, 20)).kind == "unknown"  # after the last known term
    assert council.day(date(2022, 9, 1)).kind == "unknown"   # before the first
    assert council.day(date(2025, 12, 25)).kind == "bank_holiday"


def test_a_schools_own_term_dates_win_and_have_their_own_holidays(con):
    calendar.add_period(con, BELVIDERE, "term", "Academy autumn term", date(2026, 9, 1), date(2026, 12, 11), "admin")
    calendar.add_period(con, BELVIDERE, "term", "Academy spring term", date(2027, 1, 4), date(2027, 3, 26), "admin")
    cals = calendar.Calendars(con)
    academy, council = cals.school(BELVIDERE), cals.council()
    holiday = academy.day(date(2026, 12, 14))
    assert holiday.name == "Christmas holiday" and not holiday.school_day
    assert council.day(date(2026, 12, 14)).kind == "unknown"
    assert academy.due_by(datetime(2026, 12, 11, 19))[0] == datetime(2027, 1, 4, 8, 30)


def test_a_sheet_queues_each_school_due_by_its_own_calendar(con):
    # Belvidere has an INSET day on Friday 13 March 2026; the council's calendar has school that day.
    calendar.add_period(con, BELVIDERE, "non_pupil_day", "INSET day", date(2026, 3, 13), date(2026, 3, 13), "admin")
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref="CAL/1", incident="12/03/2026", forename="Ada", school="Belvidere Primary School"),
        child_row(ref="CAL/2", incident="12/03/2026", forename="Bo", school="Hinstock Primary School")]),
        "calendars.xlsx", "coord")
    due = dict(con.execute("select i.police_ref, n.due_by from notifications n "
                           "join child_incidents ci on ci.id = n.child_incident_id "
                           "join incidents i on i.id = ci.incident_id").fetchall())
    assert due == {"CAL/1": datetime(2026, 3, 16, 8, 30), "CAL/2": datetime(2026, 3, 13, 8, 30)}


@pytest.mark.parametrize("dob, on, age", [
    (date(2016, 2, 29), date(2028, 2, 28), 11),
    (date(2016, 2, 29), date(2028, 2, 29), 12),
    (date(2016, 2, 29), date(2027, 2, 28), 10),  # not yet: in other years the birthday is 1 March
    (date(2016, 2, 29), date(2027, 3, 1), 11),
    (date(2016, 11, 26), date(2026, 11, 25), 9),  # the day before a birthday (days // 365 said 10)
    (date(2016, 11, 25), date(2026, 11, 25), 10),
])
def test_age_on_a_date(dob, on, age):
    assert calendar.age_on(dob, on) == age


@pytest.mark.parametrize("sent, reply", [
    ("2026-12-24T07:45", "2026-12-29T11:00"),  # Christmas Eve: the next working day is Tuesday 29th
    ("2026-12-24T14:00", "2026-12-29T11:00"),
    ("2027-05-03T08:00", "2027-05-04T11:00"),  # sent on a bank holiday: not that same day
    ("2026-03-10T08:00", "2026-03-10T11:00"),  # a term-time morning: the same day
    ("2026-03-10T12:00", "2026-03-11T11:00"),  # after 11:00: the next working day
    ("2026-02-17T08:00", "2026-02-18T11:00"),  # half-term: the school is closed today
    ("2026-03-13T12:00", "2026-03-16T11:00"),  # Friday afternoon: Monday
])
def test_reply_by(con, sent, reply):
    council = calendar.Calendars(con).council()
    assert council.reply_by(datetime.fromisoformat(sent), time(11)) == datetime.fromisoformat(reply)


def test_a_notification_sent_on_christmas_eve_asks_for_a_reply_on_the_29th(con, tmp_path, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-12-24T07:45")
    for role, who in (("key_contact", "dsl"), ("deputy", "ddsl")):
        contacts.save(con, BELVIDERE, contacts.Contact(role, who, f"{who}@belvidere.example.org"), "coord")
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="XMAS/1", incident="23/12/2026",
                                                   school="Belvidere Primary School")]), "x.xlsx", "coord")
    notifications.refresh(con)
    settings = mailing.MailSettings(transport="outbox", outbox=tmp_path / "out")
    assert notifications.send(con, settings, "coord").sent == 1
    [eml] = (tmp_path / "out").glob("*.eml")
    body = email.message_from_bytes(eml.read_bytes(), policy=policy.default).get_content()
    assert "by 11:00 on Tuesday 29 December 2026" in body
    assert "may be closed today" not in body  # outside the known calendar a weekday is assumed open


@pytest.mark.parametrize("now, meeting", [
    ("2026-11-29T10:00", "2026-11-30"),  # Sunday: Monday's meeting
    ("2026-11-25T10:00", "2026-11-25"),  # a working day: today's
    ("2026-12-25T09:00", "2026-12-29"),  # Christmas Day: Tuesday 29th (Boxing Day is on Monday 28th)
    ("2027-05-03T09:00", "2027-05-04"),  # a bank holiday
])
def test_the_next_meeting_day(con, now, meeting):
    assert triage.next_meeting_day(con, datetime.fromisoformat(now)) == date.fromisoformat(meeting)


def test_a_closed_meeting_moves_the_next_one_on(con):
    wednesday = date(2026, 11, 25)
    triage.close_meeting(con, wednesday, "chair")  # nothing on the list: it closes
    assert triage.next_meeting_day(con, datetime(2026, 11, 25, 14)) == date(2026, 11, 26)


def test_triage_and_meeting_mode_open_on_monday_on_a_sunday(demo_db, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-11-29T10:00")
    at = page_as("triage-police", "pages/triage.py")
    assert at.date_input[0].value == date(2026, 11, 30)
    at = page_as("triage-police", "pages/meeting.py")
    assert not at.exception
    assert any("Monday 30 November" in t.value for t in [*at.title, *at.markdown])


@pytest.mark.parametrize("today, warn, left", [
    (date(2026, 4, 17), False, 91),
    (date(2026, 4, 18), True, 90),
    (date(2026, 7, 17), True, 0),
    (date(2026, 11, 25), True, -131),
])
def test_the_calendar_warns_90_days_before_it_ends(con, today, warn, left):
    info = calendar.calendar_end(con, today)
    assert (info["calendar_ends"], info["warn"], info["days_left"]) == (date(2026, 7, 17), warn, left)
    text = calendar.end_warning(info)
    assert (text is not None) == warn and (not warn or "import next year's term dates" in text.lower())


def test_status_reports_when_the_calendar_ends(db_path, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-06-01T09:00")
    proc = subprocess.run([str(ENCOMPASS), "--db", str(db_path), "--json", "status"], capture_output=True,
                          text=True, timeout=60)
    got = json.loads(proc.stdout)
    assert (got["calendar_ends"], got["days_left"]) == ("2026-07-17", 46)


@pytest.mark.parametrize("user, link", [("coordinator", False), ("admin", True)])
def test_today_warns_before_the_calendar_runs_out(demo_db, monkeypatch, user, link):
    monkeypatch.setenv(clock.PIN, "2026-06-01T09:00")
    at = page_as(user, "pages/today.py")
    assert any("ends on Friday 17 July 2026 (46 days left)" in w.value for w in at.warning)
    assert any("import next year" in w.value.lower() for w in at.warning)
    assert bool([p for p in at.get("page_link") if "term dates" in p.proto.label]) == link


def test_the_admin_calendar_tab_warns_too(demo_db, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-06-01T09:00")
    at = page_as("admin", "pages/admin.py")
    assert any("ends on Friday 17 July 2026" in w.value for w in at.warning)


def test_a_pinned_clock_is_the_services_now(monkeypatch):
    monkeypatch.setenv(clock.PIN, "2028-02-29T23:59")
    assert clock.now() == datetime(2028, 2, 29, 23, 59) and clock.today() == date(2028, 2, 29)
    monkeypatch.setenv(clock.PIN, "2027-03-28T01:30:00+00:00")  # an instant: UK time is an hour on (BST)
    assert clock.now() == datetime(2027, 3, 28, 2, 30)
    monkeypatch.setenv(clock.PIN, "next tuesday")
    with pytest.raises(clock.ClockError, match="ENCOMPASS_NOW"):
        clock.now()


def test_a_bad_pin_is_one_line_from_the_cli(db_path, monkeypatch):
    monkeypatch.setenv(clock.PIN, "yesterday")
    proc = subprocess.run([str(ENCOMPASS), "--db", str(db_path), "status"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0 and "ENCOMPASS_NOW" in proc.stderr


def test_today_counts_follow_the_pinned_day(con, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-11-16T09:00")
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="P/1", incident="15/11/2026")]), "p.xlsx", "coord")
    assert status.today(con).children_today == 1
    monkeypatch.setenv(clock.PIN, "2026-11-17T09:00")
    assert status.today(con).children_today == 0
