"""Statistics with exact numbers on a small fixture database, suppression, and not a name anywhere."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
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
    assert [(k["kind"], k["children"], None if pd.isna(k["per_day"]) else k["per_day"]) for k in kinds] == [
        ("term time", "<5", None), ("holiday", "<5", None), ("weekend", 5, 0.62)]  # 6 children in 8 days: 5/8
    summary = dict(zip(report["Summary"]["measure"], report["Summary"]["value"]))
    assert summary["children on the police sheets"] == 10
    assert summary["of whom with 2 or more incidents"] == "<5"
    assert summary["of whom with 3 or more incidents"] == 0  # zero is not a small group
    assert report["Repeat children"].to_dict("records") == [{"incidents": "1", "children": 5},  # 7, rounded
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
    next(s for s in at.selectbox if s.label == "Range").select("Choose dates").run()
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


# --- the subtraction attack ---------------------------------------------------------------------------

def bounds(shown, limit: int, spread: int) -> tuple[int, int]:
    """What a published count says about the true one (`spread`: how far rounding may have moved it)."""
    if shown == 0:
        return 0, 0
    if isinstance(shown, str):  # "<5"
        return 1, limit - 1
    return max(limit, shown - spread), shown + spread


def attack(cells: dict, relations: list[tuple[str, list[str]]], limit: int,
           spread: int = stats.ROUND_TO // 2) -> dict[str, set[int]]:
    """Everything an attacker can learn by subtraction: the range of each count given every published figure
    and every "this total is the sum of those parts" (tightened until nothing changes), then each value a held-
    back count could take tried on its own against all of it. Returns the values still possible for each
    held-back count."""
    def tighten(ranges: dict) -> dict | None:
        ranges = dict(ranges)
        changed = True
        while changed:
            changed = False
            for total, parts in relations:
                low = sum(ranges[p][0] for p in parts)
                high = sum(ranges[p][1] for p in parts)
                t_low, t_high = max(ranges[total][0], low), min(ranges[total][1], high)
                if (t_low, t_high) != ranges[total]:
                    ranges[total], changed = (t_low, t_high), True
                for p in parts:
                    others_low, others_high = low - ranges[p][0], high - ranges[p][1]
                    p_low, p_high = max(ranges[p][0], t_low - others_high), min(ranges[p][1], t_high - others_low)
                    if (p_low, p_high) != ranges[p]:
                        ranges[p], changed = (p_low, p_high), True
                if any(ranges[k][0] > ranges[k][1] for k in [total, *parts]):
                    return None
        return ranges

    start = tighten({key: bounds(shown, limit, spread) for key, (shown, _) in cells.items()})
    assert start is not None and all(start[k][0] <= true <= start[k][1] for k, (_, true) in cells.items())
    return {key: {v for v in range(start[key][0], start[key][1] + 1) if tighten({**start, key: (v, v)})}
            for key, (shown, _) in cells.items() if isinstance(shown, str)}


def test_no_held_back_count_can_be_worked_out_by_subtraction(demo_db):
    """Before: an exact total less the cells shown beside it gave the hidden "<5" (6 cells recovered exactly,
    e.g. 30 - 28 = 2). Every relation between the report's figures is tried, all together."""
    from encompass import clock, db
    con = db.connect(demo_db)
    try:
        f = stats.Filters(clock.today() - pd.Timedelta(days=90), clock.today())
        figures = stats.Stats(con, f)
        limit = stats.threshold(con)
        report = stats.report(figures)
        rep = figures.repeats()
        truth = {"Summary": pd.DataFrame({"measure": report["Summary"]["measure"], "value": [
            int(figures.volumes("month")["children"].sum()), int(figures.volumes("month")["incidents"].sum()),
            rep.children, rep.two_plus, rep.three_plus, *[None] * 4]}),
            "Monthly volumes": figures.volumes("month"), "Term, holiday, weekend": figures.day_kinds(),
            "Repeat children": rep.distribution,
            **{f"By {label.lower()}": figures.breakdown(dim) for dim, label in stats.DIMENSIONS.items()}}
        by_day = figures.volumes("day")
    finally:
        con.close()

    cells: dict[str, tuple] = {}

    def cell(key: str, shown, true) -> str:
        cells[key] = (shown, int(true))
        return key

    summary = dict(zip(report["Summary"]["measure"], zip(report["Summary"]["value"], truth["Summary"]["value"])))
    children = cell("children", *summary["children on the police sheets"])
    incidents = cell("incidents", *summary["incidents"])
    in_year = cell("12 months", *summary["children with an incident in the 12 months to the end date"])
    two_plus = cell("2+", *summary["of whom with 2 or more incidents"])
    three_plus = cell("3+", *summary["of whom with 3 or more incidents"])
    relations = []
    tables = [("Monthly volumes", "children", children), ("Monthly volumes", "incidents", incidents),
              ("Term, holiday, weekend", "children", children),
              *[(f"By {label.lower()}", "children", children) for label in stats.DIMENSIONS.values()]]
    for name, column, total in tables:
        parts = [cell(f"{name}/{column}/{n}", shown, true)
                 for n, (shown, true) in enumerate(zip(report[name][column], truth[name][column]))]
        relations.append((total, parts))
    days = [cell(f"day/{n}", shown, true) for n, (shown, true) in
            enumerate(zip(stats.publish(by_day, ["children"], limit)["children"], by_day["children"]))]
    relations.append((children, days))
    distribution = [cell(f"repeat/{k}", shown, true) for k, shown, true in
                    zip(report["Repeat children"]["incidents"], report["Repeat children"]["children"],
                        truth["Repeat children"]["children"])]
    relations += [(in_year, distribution), (two_plus, distribution[1:]), (three_plus, distribution[2:])]
    for total, parts in relations:  # the relations are true of the real counts
        assert cells[total][1] == sum(cells[p][1] for p in parts), total

    held_back = [k for k, (shown, _) in cells.items() if isinstance(shown, str)]
    assert len(held_back) >= 20  # the window is short enough to hold many small counts
    possible = attack(cells, relations, limit)
    assert all(len(values) >= 2 for values in possible.values()), {
        k: v for k, v in possible.items() if len(v) < 2}

    # The same attack on exact totals (the report before) does recover counts: the test can tell.
    exact = {k: (true if k in (children, incidents, in_year, two_plus, three_plus) or not isinstance(shown, str)
                 else shown, true) for k, (shown, true) in cells.items()}
    recovered = [k for k, values in attack(exact, relations, limit, spread=0).items() if len(values) == 1]
    assert recovered


def _pre_aggregates(con) -> dict[str, list[tuple]]:
    return {table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
            for table in ("stats_facts", "stats_daily", "stats_daily_incidents")}


def test_writes_keep_the_pre_aggregates_as_a_rebuild_makes_them(fixture_db):
    """The statistics read tables each write keeps in step; after imports (a sibling on a known incident, a child
    seen before, a school a person must choose, several schools, levels and DASH risks on one day), a person's
    school decision and a closure, they hold exactly what rebuilding them from the records gives."""
    from encompass import db, ledger, matching
    con = fixture_db
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref="T/1", incident="10/03/2026", forename="Xyla", surname="Statstest", dob="01/07/2019"),
        child_row(ref="N/1", incident="10/03/2026", forename="Xavi", surname="Statstest", dob="01/04/2016",
                  school="Hadley Learning Community", level="Level 3", dash="High"),
        child_row(ref="N/2", incident="10/03/2026", forename="Vera", surname="Statstest", dob="01/08/2015",
                  school="Saint Somewhere Academy", level="Level 1", dash="Standard"),
        child_row(ref="N/3", incident="09/03/2026", forename="Vic", surname="Statstest", dob="01/09/2014",
                  school="Home Educated"),
    ]), "second.xlsx", "coord")
    waiting = con.execute("select id from child_incidents where match_status in ('review', 'unknown')").fetchall()
    assert waiting
    matching.resolve(con, [i for (i,) in waiting], "school", 144853, "coord")
    (closing,) = con.execute("select min(id) from child_incidents where school_text = 'Hadley Learning Community'"
                             ).fetchone()
    ledger.close(con, [closing], ledger.closure_reasons(con)[0], "a test closure", "coord")
    kept = _pre_aggregates(con)
    with db.transaction(con, bulk=True) as cur:
        stats.rebuild(cur)
    assert _pre_aggregates(con) == kept
    assert len(kept["stats_facts"]) == 16 and kept["stats_daily"] and kept["stats_daily_incidents"]
