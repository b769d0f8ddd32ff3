"""The Domestic Abuse Triage on a real database: the list, agencies' checks, decisions, minutes."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from encompass import clock, db, settings, sheets, triage

from .conftest import child_row, page_as, shown, xlsx_bytes

MONDAY = date(2026, 11, 23)


def import_on(con, monkeypatch, moment: str, rows: list, name: str) -> None:
    """A sheet imported at the moment it arrived (the clock pinned there)."""
    monkeypatch.setenv(clock.PIN, moment)
    sheets.import_sheet(con, xlsx_bytes(rows), name, "coord")


@pytest.fixture
def listed(con, monkeypatch):
    """Sheets as they arrive over a weekend, at levels 1-4: Friday's brings Thursday night's incident,
    Monday's the weekend's, Tuesday's Monday's. The clock then stands on Monday morning."""
    import_on(con, monkeypatch, "2026-11-20T07:30", [child_row(ref="T/THU", incident="19/11/2026", level="Level 2")],
              "fri.xlsx")
    import_on(con, monkeypatch, "2026-11-23T07:30", [
        child_row(ref="T/FRI", incident="20/11/2026", level="Level 2", forename="Fa"),
        child_row(ref="T/SAT", incident="21/11/2026", level="Level 3", forename="Sa"),
        child_row(ref="T/SAT", incident="21/11/2026", level="Level 3", forename="Sib", dob="01/01/2019"),
        child_row(ref="T/SUN1", incident="22/11/2026", level="Level 1", forename="Su"),   # level 1: not discussed
        child_row(ref="T/SUN4", incident="22/11/2026", level="Level 4", forename="Sf"),   # level 4: not discussed
        child_row(ref="T/SUN", incident="22/11/2026", level="Level 3", forename="Sx"),
    ], "mon.xlsx")
    import_on(con, monkeypatch, "2026-11-24T07:30", [child_row(ref="T/MON", incident="23/11/2026", level="Level 2",
                                                               forename="Mo")], "tue.xlsx")
    monkeypatch.setenv(clock.PIN, "2026-11-23T09:00")
    return con


def refs(con, meeting):
    return [i.police_ref for i in triage.load(con, triage.incident_ids(con, meeting), "t", "test")]


def test_a_monday_list_covers_the_weekend_and_carries_over_what_is_undecided(listed):
    assert refs(listed, date(2026, 11, 20)) == ["T/THU"]
    assert refs(listed, MONDAY) == ["T/THU", "T/FRI", "T/SAT", "T/SUN"]  # Thursday's is still undecided
    notes = dict(triage.meeting_list(listed, MONDAY))
    thu = listed.execute("select id from incidents where police_ref = 'T/THU'").fetchone()[0]
    assert notes[thu] == "carried over from Fri 20/11"
    # Decided on Monday: off Tuesday's list, which has Monday night's incident too.
    for incident in triage.incident_ids(listed, MONDAY):
        triage.decide(listed, MONDAY, incident, 2, "No further action", "", "chair")
    assert refs(listed, MONDAY) == ["T/THU", "T/FRI", "T/SAT", "T/SUN"]  # the meeting keeps what it decided
    assert refs(listed, date(2026, 11, 24)) == ["T/MON"]


def test_an_incident_that_arrives_late_or_without_a_level_is_on_the_next_list(con, monkeypatch):
    import_on(con, monkeypatch, "2026-11-26T07:30", [
        child_row(ref="LATE/1", incident="20/11/2026", level="Level 2"),   # first due Monday 23rd
        child_row(ref="NOLEVEL/1", incident="25/11/2026", level=None, forename="Nl"),
        child_row(ref="ONE/1", incident="25/11/2026", level="Level 1", forename="One"),
    ], "late.xlsx")
    listed = dict(triage.meeting_list(con, date(2026, 11, 26)))
    refs_notes = {con.execute("select police_ref from incidents where id = ?", [i]).fetchone()[0]: note
                  for i, note in listed.items()}
    assert refs_notes == {"LATE/1": "arrived late (sheet of Thu 26/11)",
                          "NOLEVEL/1": "level not given: the chair sets it"}


def test_the_list_shows_children_with_siblings_and_repeats(listed):
    sat = next(i for i in triage.load(listed, triage.incident_ids(listed, MONDAY), "t", "test")
               if i.police_ref == "T/SAT")
    assert [(c["forename"], c["siblings"]) for c in sat.children] == [("Sa", 1), ("Sib", 1)]
    assert sat.children[0]["school"] == "Hinstock Primary School"
    assert listed.execute("select count(*) from audit_log where action = 'view_incidents'").fetchone()[0] == 1


def test_an_agency_writes_only_its_own_column(listed):
    incident = triage.incident_ids(listed, MONDAY)[0]
    with pytest.raises(triage.TriageError, match="only write Police"):
        triage.save_check(listed, incident, "Health", "yes", "", 0, "police1", "Police")
    assert triage.save_check(listed, incident, "Police", "yes", "Known: one call-out in 2025", 0,
                             "police1", "Police") == 1
    assert triage.progress(listed, MONDAY, "Police") == (1, 4)
    assert triage.progress(listed, MONDAY, "Health") == (0, 4)


def test_ten_agencies_saving_at_once_lose_nothing(listed):
    names = [f"Agency {n}" for n in range(10)]
    settings.save(listed, {"triage_agencies": ",".join(names)}, "admin")
    ids = triage.incident_ids(listed, MONDAY)
    errors = []

    def work(agency):
        try:
            for incident in ids:
                triage.save_check(listed, incident, agency, "no", f"{agency} checked", 0, agency, agency)
        except Exception as exc:  # noqa: BLE001 - any failure is the test's failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert listed.execute("select count(*) from triage_checks").fetchone()[0] == 10 * len(ids)
    assert all(triage.progress(listed, MONDAY, a) == (4, 4) for a in names)


def test_two_people_editing_one_agencys_note_are_warned(listed):
    incident = triage.incident_ids(listed, MONDAY)[0]
    opened_by_both = 0
    triage.save_check(listed, incident, "Police", "yes", "first officer's note", opened_by_both, "p1", "Police")
    with pytest.raises(triage.EditConflict) as err:
        triage.save_check(listed, incident, "Police", "no", "second officer's note", opened_by_both, "p2", "Police")
    assert err.value.current["note"] == "first officer's note" and err.value.current["updated_by"] == "p1"
    row = listed.execute("select note, version from triage_checks").fetchone()
    assert row == ("first officer's note", 1)  # never silently overwritten
    triage.save_check(listed, incident, "Police", "yes", "merged note", 1, "p2", "Police")
    assert listed.execute("select note from triage_checks").fetchone() == ("merged note",)


def test_decisions_closing_and_amendments(listed):
    ids = triage.incident_ids(listed, MONDAY)
    with pytest.raises(triage.TriageError, match="outcome"):
        triage.decide(listed, MONDAY, ids[0], 2, "Send flowers", "", "chair")
    triage.decide(listed, MONDAY, ids[0], 2, "Early-help offer", "Family known to early help", "chair")
    assert triage.close_meeting(listed, MONDAY, "chair") == ["T/FRI", "T/SAT", "T/SUN"]
    assert not triage.is_closed(listed, MONDAY)
    triage.decide(listed, MONDAY, ids[1], 2, "No further action", "", "chair")
    triage.decide(listed, MONDAY, ids[3], 3, "Strategy discussion", "", "chair")
    triage.decide(listed, MONDAY, ids[2], 3, "MARAC referral", "High DASH", "chair")
    triage.add_action(listed, MONDAY, ids[2], "Refer to MARAC", "Police", date(2026, 11, 25), "chair")
    assert triage.close_meeting(listed, MONDAY, "chair") == []
    with pytest.raises(triage.TriageError, match="say why"):
        triage.decide(listed, MONDAY, ids[0], 3, "Early-help offer", "Family known to early help", "chair")
    triage.decide(listed, MONDAY, ids[0], 3, "Early-help offer", "Family known to early help", "chair",
                  reason="school shared new information after the meeting")
    changes = triage.amendments(listed, ids[0])
    assert [(a["what"], a["old_value"], a["new_value"]) for a in changes] == [("agreed level", "2", "3")]
    assert changes[0]["reason"] == "school shared new information after the meeting"
    with pytest.raises(triage.TriageError, match="say why"):
        triage.add_action(listed, MONDAY, ids[0], "Visit", "Health", None, "chair")


def test_minutes_are_neutralised_and_escaped(listed):
    ids = triage.incident_ids(listed, MONDAY)
    triage.decide(listed, MONDAY, ids[0], 2, "Other", "=HYPERLINK(\"http://x\") <b>bold</b>", "chair")
    book = openpyxl.load_workbook(io.BytesIO(triage.minutes_xlsx(listed, MONDAY, "chair")))
    rationale = [r[7] for r in book["Decisions"].iter_rows(min_row=2, values_only=True) if r[0] == "T/THU"][0]
    assert rationale.startswith("'=HYPERLINK")
    printable = triage.minutes_html(listed, MONDAY, "chair").decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in printable and "<b>bold" not in printable
    assert listed.execute("select count(*) from audit_log where action = 'export_minutes'").fetchone()[0] == 2


def test_cli_triage_list(listed, db_path):
    listed.close()
    exe = str(Path(sys.executable).parent / "encompass")
    out = subprocess.run([exe, "--db", str(db_path), "--json", "triage-list", "2026-11-23"], capture_output=True,
                         text=True, timeout=60)
    assert json.loads(out.stdout) == {"date": "2026-11-23", "incidents": [
        {"police_ref": "T/THU", "level": 2, "children": 1, "note": "carried over from Fri 20/11"},
        {"police_ref": "T/FRI", "level": 2, "children": 1, "note": None},
        {"police_ref": "T/SAT", "level": 3, "children": 2, "note": None},
        {"police_ref": "T/SUN", "level": 3, "children": 1, "note": None}]}


# --- pages ---------------------------------------------------------------------------------------

@pytest.fixture
def demo_listed(demo_db, monkeypatch):
    monkeypatch.setenv(clock.PIN, "2026-11-23T07:30")  # Monday morning's sheet
    con = db.connect(demo_db)
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="P/FRI", incident="20/11/2026", level="Level 2"),
                                         child_row(ref="P/SAT", incident="21/11/2026", level="Level 3",
                                                   forename="Bo")]), "p.xlsx", "coordinator")
    con.close()
    return demo_db


def test_police_and_health_record_their_checks_on_the_page(demo_listed):
    for username, note in (("triage-police", "Police: known, two call-outs"), ("triage-health", "Health: not known")):
        at = page_as(username, "pages/triage.py", meeting_date=MONDAY)
        con = db.connect(demo_listed)
        ours = con.execute("select id from incidents where police_ref = 'P/SAT'").fetchone()[0]
        con.close()
        form = f"check-{ours}"
        next(r for r in at.radio if r.form_id == form).set_value("yes")
        next(t for t in at.text_area if t.form_id == form).input(note)
        next(b for b in at.button if b.form_id == form).click().run()
        assert not at.exception
        assert any("1 of" in s.value for s in at.subheader)
    con = db.connect(demo_listed)
    try:
        got = con.execute("select agency, note from triage_checks order by agency").fetchall()
        assert got == [("Health", "Health: not known"), ("Police", "Police: known, two call-outs")]
    finally:
        con.close()


def test_meeting_mode_steps_hides_names_decides_and_keeps_typed_text(demo_listed):
    at = page_as("triage-police", "pages/meeting.py", meeting_date=MONDAY)
    total = len(triage.incident_ids(db.connect(demo_listed), MONDAY))
    assert any(f"incident 1 of {total}" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Next ▶").click().run()
    assert any(f"incident 2 of {total}" in m.value for m in at.markdown)
    while not any("P/SAT" in shown(h.value) for h in at.subheader):  # our incident, with Bo Testington
        next(b for b in at.button if b.label == "Next ▶").click().run()
    assert any("Bo Testington" in m.value for m in at.markdown)
    at.toggle(key="meeting_hide_names").set_value(True).run()
    screen = shown(" ".join([m.value for m in at.markdown] + [c.value for c in at.caption]))
    assert "Bo" not in screen and "Testington" not in screen and "B.T." in screen
    assert not any(t.label == "Rationale" for t in at.text_area)  # it may name people: not on the shared screen
    at.toggle(key="meeting_hide_names").set_value(False).run()

    outcome = next(s for s in at.selectbox if s.label == "Outcome")
    outcome.select("School to monitor")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert any(shown(s.value).startswith("Decision saved for P/SAT") for s in at.success)

    action = next(t for t in at.text_input if t.label == "Action")
    action.input("Ask the school to watch attendance")
    next(b for b in at.button if b.label == "Add action").click().run()
    assert any("choose the agency" in shown(e.value).lower() for e in at.error)
    assert next(t for t in at.text_input if t.label == "Action").value == "Ask the school to watch attendance"
    next(s for s in at.selectbox if s.label == "Owner").select("Education")
    next(b for b in at.button if b.label == "Add action").click().run()
    assert any("Ask the school to watch attendance" in shown(m.value) for m in at.markdown)
    assert next(t for t in at.text_input if t.label == "Action").value == ""  # cleared once saved

    next(b for b in at.button if b.label == "Close the meeting").click().run()
    assert any("Close the meeting?" in w.value for w in at.warning)  # asked first
    next(b for b in at.button if b.label == "Yes, close it").click().run()
    assert any("Still without a decision" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Prepare the minutes").click().run()
    assert [b.label for b in at.get("download_button")] == ["Minutes (XLSX)", "Minutes (printable)"]


def test_actions_due_open_the_next_meeting_and_only_the_owner_closes_them(demo_listed):
    con = db.connect(demo_listed)
    try:
        incident = con.execute("select id from incidents where police_ref = 'P/SAT'").fetchone()[0]
        triage.add_action(con, MONDAY, incident, "Health visitor to call", "Health", MONDAY.replace(day=24), "chair")
        assert triage.actions_due(con, MONDAY) == []  # set at this meeting: not yet a review item
        tuesday = MONDAY.replace(day=24)
        assert [a["action"] for a in triage.actions_due(con, tuesday)] == ["Health visitor to call"]
    finally:
        con.close()
    police = page_as("triage-police", "pages/meeting.py", meeting_date=tuesday)
    assert any("Actions due or overdue: 1" in m.value for m in police.markdown)
    assert next(b for b in police.button if b.label == "Done").disabled  # Police cannot close Health's action
    health = page_as("triage-health", "pages/meeting.py", meeting_date=tuesday)
    next(b for b in health.button if b.label == "Done").click().run()
    assert not any("Actions due" in m.value for m in health.markdown)
    con = db.connect(demo_listed)
    try:
        assert triage.actions_due(con, tuesday) == []
        assert con.execute("select status, closed_by from triage_actions").fetchall() == [("done", "triage-health")]
        with pytest.raises(triage.TriageError, match="only Health"):
            triage.set_action_status(con, 1, "open", "triage-police", "Police")
    finally:
        con.close()


def test_minutes_hold_attendance_checks_and_actions(listed):
    incident = listed.execute("select id from incidents where police_ref = 'T/SAT'").fetchone()[0]
    triage.record_attendance(listed, MONDAY, {"Police": ("present", "DS Example"), "Health": ("apologies", "")},
                             "chair")
    triage.save_check(listed, incident, "Police", "yes", "Two call-outs this year", 0, "p1", "Police")
    triage.add_action(listed, MONDAY, incident, "Refer to early help", "Children's Social Care", None, "chair")
    book = openpyxl.load_workbook(io.BytesIO(triage.minutes_xlsx(listed, MONDAY, "chair")))
    assert book.sheetnames == ["Attendance", "Decisions", "Agencies' checks", "Actions", "Actions due, reviewed"]
    attendance = {r[0]: r[1:] for r in book["Attendance"].iter_rows(min_row=2, values_only=True)}
    assert attendance["Police"] == ("Present", "DS Example") and attendance["Health"][0] == "Apologies"
    assert attendance["Probation"][0] == "not recorded"
    assert ("T/SAT", "Police", "Known", "Two call-outs this year") in list(
        book["Agencies' checks"].iter_rows(min_row=2, values_only=True))
    assert ("T/SAT", "Refer to early help", "Children's Social Care", None, "Open") in list(
        book["Actions"].iter_rows(min_row=2, values_only=True))
    printable = triage.minutes_html(listed, MONDAY, "chair").decode()
    assert "DS Example" in printable and "Two call-outs this year" in printable and "Refer to early help" in printable
