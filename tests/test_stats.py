"""Statistics with exact numbers on a small fixture database, suppression, and not a name anywhere."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from encompass import auth, sheets, stats

from .conftest import PASSWORD, ROOT, child_row, signed_in_state, xlsx_bytes

START, END = date(2026, 2, 16), date(2026, 3, 15)   # 15 term days, 5 half-term days, 8 weekend days
NAMES = ["Xavi", "Xena", "Xeno", "Yusuf", "Wanda", "Wilf", "Wren", "Walt", "Wes"]


@pytest.fixture
def fixture_db(db_path, con):
    def row(ref, day, name, dob, level="Level 2"):
        return child_row(ref=ref, incident=day, forename=name, surname="Statstest", dob=dob,
                         school="Hinstock Primary School", level=level)
    sheets.import_sheet(con, xlsx_bytes([
        row("P/1", "20/03/2025", "Xavi", "01/04/2016"),                   # last year, inside 12 months of END
        row("P/2", "01/03/2025", "Wanda", "01/02/2017"),                  # last year, outside 12 months
        row("T/1", "10/03/2026", "Xavi", "01/04/2016"),                   # term time
        row("T/1", "10/03/2026", "Xena", "01/05/2017"),
        row("T/1", "10/03/2026", "Xeno", "01/06/2018"),
        row("H/1", "17/02/2026", "Yusuf", "01/01/2016", "Level 3"),       # February half-term
        row("W/1", "14/03/2026", "Wanda", "01/02/2017"),                  # a Saturday
        row("W/1", "14/03/2026", "Wilf", "01/03/2017"),
        row("W/1", "14/03/2026", "Wren", "01/04/2017"),
        row("W/2", "14/03/2026", "Yusuf", "01/01/2016", "Level 1"),
        row("W/2", "14/03/2026", "Walt", "01/05/2017", "Level 1"),
        row("W/2", "14/03/2026", "Wes", "01/06/2017", "Level 1"),
    ]), "fixture.xlsx", "coord")
    auth.add_user(con, "boss", PASSWORD, "manager")
    return con


F = stats.Filters(START, END)


def test_volumes_with_the_year_before(fixture_db):
    months = stats.Stats(fixture_db, F).volumes("month")
    assert months.to_dict("records") == [
        {"period": date(2026, 2, 1), "incidents": 1, "children": 1, "children_year_before": 0},
        {"period": date(2026, 3, 1), "incidents": 3, "children": 9, "children_year_before": 1}]
    days = stats.Stats(fixture_db, F).volumes("day")
    assert [(r["period"], r["children"]) for r in days.to_dict("records")] == [
        (date(2026, 2, 17), 1), (date(2026, 3, 10), 3), (date(2026, 3, 14), 6)]


def test_term_time_holidays_and_weekends_as_rates_per_day(fixture_db):
    kinds = stats.Stats(fixture_db, F).day_kinds()
    assert kinds.to_dict("records") == [
        {"kind": "term time", "days": 15, "children": 3, "per_day": 0.2},
        {"kind": "holiday", "days": 5, "children": 1, "per_day": 0.2},
        {"kind": "weekend", "days": 8, "children": 6, "per_day": 0.75}]


def test_repeats_across_the_twelve_month_boundary(fixture_db):
    r = stats.Stats(fixture_db, F).repeats()
    assert (r.children, r.two_plus, r.three_plus) == (9, 2, 0)  # Xavi (P/1 and T/1) and Yusuf; not Wanda (P/2)
    assert r.distribution.to_dict("records") == [{"incidents": "1", "children": 7}, {"incidents": "2", "children": 2}]
    assert r.schools.to_dict("records") == [{"school": "Hinstock Primary School", "repeat_children": 2}]


def test_breakdowns_and_filters(fixture_db):
    assert stats.Stats(fixture_db, F).breakdown("level").to_dict("records") == [
        {"key": "Level 2", "children": 6}, {"key": "Level 1", "children": 3}, {"key": "Level 3", "children": 1}]
    assert stats.Stats(fixture_db, F).breakdown("county").to_dict("records") == [{"key": "in county", "children": 10}]
    out_of_county = stats.Filters(START, END, area="out")
    assert stats.Stats(fixture_db, out_of_county).volumes("month").empty
    secondary = stats.Filters(START, END, phase="secondary")
    assert stats.Stats(fixture_db, secondary).breakdown("school").empty


def test_small_counts_are_suppressed(fixture_db):
    report = stats.report(stats.Stats(fixture_db, F))
    kinds = report["Term, holiday, weekend"].to_dict("records")
    assert [(k["kind"], k["children"], k["per_day"]) for k in kinds] == [
        ("term time", "<5", "<5"), ("holiday", "<5", "<5"), ("weekend", 6, 0.75)]
    summary = dict(zip(report["Summary"]["measure"], report["Summary"]["value"]))
    assert summary["children on the police sheets"] == 10
    assert summary["of whom with 2 or more incidents"] == "<5"
    assert summary["of whom with 3 or more incidents"] == 0  # zero is not a small group
    assert report["Repeat children"].to_dict("records") == [{"incidents": "1", "children": 7},
                                                            {"incidents": "2", "children": "<5"}]


def fixture_secrets(con) -> list[str]:
    """Every name, date of birth and police reference in the fixture, in the forms they could take."""
    rows = con.execute("select c.forename, c.surname, c.dob, i.police_ref from child_incidents ci "
                       "join children c on c.id = ci.child_id join incidents i on i.id = ci.incident_id").fetchall()
    found = set()
    for forename, surname, dob, ref in rows:
        found |= {forename, surname, ref, dob.isoformat(), f"{dob:%d/%m/%Y}"}
    return sorted(found)


def test_the_report_holds_no_name_dob_or_reference(fixture_db):
    book = openpyxl.load_workbook(io.BytesIO(stats.report_xlsx(stats.report(stats.Stats(fixture_db, F)))))
    text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    secrets = fixture_secrets(fixture_db)
    assert len(secrets) > 20
    assert [s for s in secrets if s in text] == []


def test_the_manager_page_and_its_downloads_show_no_names(fixture_db, db_path, monkeypatch):
    secrets = fixture_secrets(fixture_db)
    fixture_db.close()
    monkeypatch.setenv("ENCOMPASS_DB", str(db_path))
    monkeypatch.setenv("ENCOMPASS_COOKIE_KEY", "k" * 40)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in signed_in_state("boss").items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/statistics.py").run()
    at.date_input[0].set_value((START, END)).run()
    assert not at.exception
    shown = [m.value for m in at.markdown] + [str(m.value) for m in at.metric] + [c.value for c in at.caption]
    shown += [d.value.to_csv() for d in at.dataframe]
    page_text = " ".join(shown)
    assert "Hinstock Primary School" in page_text  # the page does show the numbers
    assert [s for s in secrets if s in page_text] == []
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children on the police sheets"] == "10" and metrics["2 or more incidents"] == "<5"
    # Every download on the page is built from stats.report() or stats.volumes(), checked name-free above.
    assert len(at.get("download_button")) >= 15


def test_cli_report(fixture_db, db_path, tmp_path):
    fixture_db.close()
    out = tmp_path / "report.xlsx"
    proc = subprocess.run([str(Path(sys.executable).parent / "encompass"), "--db", str(db_path), "--json", "report",
                           "--from", START.isoformat(), "--to", END.isoformat(), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    got = json.loads(proc.stdout)
    assert got["summary"]["children on the police sheets"] == 10 and got["summary"]["incidents"] == "<5"
    assert got["summary"]["of whom with 2 or more incidents"] == "<5"
    assert openpyxl.load_workbook(out).sheetnames == got["sheets"]


def test_returns_count_those_from_learned_spellings(fixture_db, tmp_path):
    from encompass import contacts, mailing, matching, notifications
    for role in ("key_contact", "deputy"):
        contacts.save(fixture_db, 123437, contacts.Contact(role, role, f"{role}@belvidere.example.org"), "coord")
    sheets.import_sheet(fixture_db, xlsx_bytes([child_row(ref="R/1", incident="12/03/2026", school="Belvidere",
                                                          forename="Rae", surname="Statstest")]), "r.xlsx", "coord")
    group = next(g for g in matching.queue(fixture_db) if g["school_norm"] == "belvidere")
    matching.resolve(fixture_db, group["child_incident_ids"], "school", 123437, "coord")  # learns the spelling
    sheets.import_sheet(fixture_db, xlsx_bytes([child_row(ref="R/2", incident="12/03/2026", school="Belvidere",
                                                          forename="Roy", surname="Statstest")]), "r2.xlsx", "coord")
    notifications.refresh(fixture_db)
    result = notifications.send(fixture_db, mailing.MailSettings(outbox=tmp_path / "out"), "coord")
    assert result.sent == 2  # Rae and Roy; Hinstock has no contacts, so its children wait
    roy = fixture_db.execute("""select n.id from notifications n join child_incidents ci on ci.id = n.child_incident_id
                                join incidents i on i.id = ci.incident_id where i.police_ref = 'R/2'""").fetchone()[0]
    notifications.record_response(fixture_db, roy, "not_at_school", "", "coord")
    got = stats.Stats(fixture_db, F).returns()
    assert (got["sent"], got["returned"], got["returned_via_alias"], got["return_rate"]) == (2, 1, 1, 0.5)
    assert got["blocked_now"] == 12  # now, whatever the dates: all the Hinstock children, last year's too
