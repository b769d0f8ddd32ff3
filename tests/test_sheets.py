"""Daily sheet import on a real DuckDB file: every bad-row kind, duplicates, transactions, children."""
from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
import xlwt

from encompass import sheets, spreadsheet, status

from .conftest import HEADERS, child_row, csv_bytes, xlsx_bytes


def imp(con, data, name="sheet.xlsx", **kw):
    return sheets.import_sheet(con, data, name, "tester", **kw)


def count(con, table):
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_good_rows_are_imported_and_matched(con):
    data = xlsx_bytes([
        child_row(),
        child_row(forename="Bo", dob="05/09/2012", school="Hadley Learning Community"),
        child_row(ref="TEST/0002/26", forename="Cy", surname="Mockford", school="Home Educated"),
    ])
    result = imp(con, data)
    assert (result.rows, result.imported, result.duplicates, result.rejected) == (3, 3, 0, 0)
    assert result.committed and result.sheet_id
    found = con.execute("""
        select c.forename, ci.match_status, ci.urn from child_incidents ci join children c on c.id = ci.child_id
        order by c.forename""").fetchall()
    assert found == [("Ada", "matched", 150398), ("Bo", "matched", 144853), ("Cy", "no_school", None)]
    assert count(con, "incidents") == 2
    sheet = con.execute("select rows_total, imported, duplicates, rejected from sheets").fetchone()
    assert sheet == (3, 3, 0, 0)


def test_every_bad_row_kind_is_rejected_with_row_and_field(con):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADERS)
    ws.append(child_row(ref="GOOD/1"))                                            # row 2: fine
    ws.append(child_row(ref="BAD/1", dob="20/11/2026"))                           # 3: born after the incident
    ws.append(child_row(ref="BAD/2", dob="01/01/2005"))                           # 4: 21 at the incident
    ws.append(child_row(ref="BAD/3", incident="31/02/2026"))                      # 5: no such date
    ws.append(child_row(ref="BAD/4", dob="last spring"))                          # 6: unreadable
    ws.append(child_row(ref="BAD/5", forename=None))                              # 7: no forename
    ws.append(child_row(ref="BAD/6"))                                             # 8: formula in surname
    ws["D8"] = "=UPPER(\"x\")"
    ws.append([None] * len(HEADERS))                                              # 9: blank: ignored
    ws.append(child_row(ref=None))                                                # 10: no police ref
    ws.append(child_row(ref="BAD/7", incident="01/01/2027"))                      # 11: in the future
    buffer = io.BytesIO()
    book.save(buffer)
    result = imp(con, buffer.getvalue())
    got = [(r.row, r.field) for r in result.rejections]
    assert got == [(3, "dob"), (4, "dob"), (5, "incident_date"), (6, "dob"), (7, "forename"), (8, "surname"),
                   (10, "police_ref"), (11, "incident_date")]
    reasons = {r.row: r.reason for r in result.rejections}
    assert "after the incident" in reasons[3]
    assert "21" in reasons[4] and "18" in reasons[4]
    assert "not a real date" in reasons[5]
    assert "formula" in reasons[8]
    assert (result.rows, result.imported, result.rejected) == (9, 1, 8)
    assert result.rows == result.imported + result.duplicates + result.rejected
    stored = con.execute("select row_number, field from rejected_rows order by 1").fetchall()
    assert stored == got
    # A rejected child's name is not stored anywhere.
    assert count(con, "children") == 1


def test_formula_with_cached_value_is_still_rejected(con):
    """A police export should hold values; a formula means someone edited it, so a person checks it."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADERS)
    ws.append(child_row())
    ws["C2"] = "=\"Ada\""
    buffer = io.BytesIO()
    book.save(buffer)
    result = imp(con, buffer.getvalue())
    assert [(r.row, r.field) for r in result.rejections] == [(2, "forename")]


def test_dates_as_the_uk_reads_them(con):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADERS)
    ws.append(child_row(ref="D/1", incident=datetime(2026, 3, 4, 21, 15), dob=date(2015, 2, 1)))  # real Excel dates
    ws.append(child_row(ref="D/2", incident="04/03/2026 21:15", dob="01/02/2015", forename="B"))    # text, day first
    ws.append(child_row(ref="D/3", incident="2026-03-04T21:15:00", dob="2015-02-01", forename="C"))  # ISO
    ws.append(child_row(ref="D/4", incident=46085.885416667, dob=42036, forename="D"))             # serial numbers
    ws.append(child_row(ref="D/5", incident="4.3.26", dob="1/2/15", forename="E"))                 # short years
    buffer = io.BytesIO()
    book.save(buffer)
    result = imp(con, buffer.getvalue())
    assert result.rejections == []
    got = con.execute("select police_ref, incident_at, has_time from incidents order by 1").fetchall()
    assert got == [("D/1", datetime(2026, 3, 4, 21, 15), True), ("D/2", datetime(2026, 3, 4, 21, 15), True),
                   ("D/3", datetime(2026, 3, 4, 21, 15), True), ("D/4", datetime(2026, 3, 4, 21, 15), True),
                   ("D/5", datetime(2026, 3, 4), False)]
    assert {r[0] for r in con.execute("select dob from children").fetchall()} == {date(2015, 2, 1)}


def test_whitespace_is_trimmed_and_names_compare_loosely(con):
    imp(con, xlsx_bytes([child_row(forename="  Ada ", surname=" O'Testington ")]))
    result = imp(con, xlsx_bytes([child_row(ref="TEST/0009/26", forename="ADA", surname="otestington")]))
    assert result.imported == 1
    assert con.execute("select forename, surname from children").fetchall() == [("Ada", "O'Testington")]
    assert count(con, "children") == 1  # one identity across sheets
    assert result.repeat_children == 1


def test_every_whitespace_but_the_space_is_unprintable():
    """What the tidy-column test in sheets._texts stands on, checked for every code point."""
    assert [c for c in map(chr, range(0x110000)) if c.isspace() and c.isprintable()] == [" "]


@pytest.mark.parametrize("untidy", [" Ada", "Ada ", "A  da", "A\tda", "A\xa0da", "A\nda", "Ada\u2003", "A |da",
                                    "\u200bAda"])
def test_one_untidy_name_among_tidy_ones_is_trimmed(untidy):
    """A column is taken as it is only when no cell in it needs trimming: one cell with a space at an end, two
    together, a tab, a no-break space or a line break is enough to trim them all."""
    table = spreadsheet.Table(1, ["Police Reference", "Date of Incident", "Child Forename", "Child Surname", "DOB"],
                              [(2, ["R/1", "01/03/2026", "Bo", "Testy", "01/02/2015"]),
                               (3, ["R/2", "01/03/2026", untidy, "Testy", "01/02/2015"])])
    good, rejected, _ = sheets.validate(table, sheets.map_headers(table.headers, {}), date(2026, 3, 2))
    assert rejected == [] and [r.forename for r in good] == ["Bo", " ".join(untidy.split())]


def test_duplicates_within_a_file_and_across_files(con):
    first = imp(con, xlsx_bytes([child_row(), child_row()]))
    assert (first.imported, first.duplicates) == (1, 1)
    second = imp(con, xlsx_bytes([child_row(), child_row(forename="Sib")]), name="next.xlsx")
    assert (second.imported, second.duplicates) == (1, 1)
    assert count(con, "child_incidents") == 2 and count(con, "incidents") == 1


def test_the_same_file_twice_imports_nothing(con):
    data = xlsx_bytes([child_row(), child_row(forename="Bo")])
    imp(con, data)
    again = imp(con, data, name="renamed.xlsx")
    assert again.already_imported and again.imported == 0 and again.duplicates == 2
    assert count(con, "sheets") == 1 and count(con, "child_incidents") == 2


def test_a_known_reference_with_another_date_is_rejected_not_guessed(con):
    imp(con, xlsx_bytes([child_row()]))
    result = imp(con, xlsx_bytes([child_row(forename="Bo", incident="15/11/2026")]), name="b.xlsx")
    assert [(r.row, r.field) for r in result.rejections] == [(2, "incident_date")]
    assert "14/11/2026" in result.rejections[0].reason


def test_one_reference_with_two_dates_in_one_sheet_keeps_the_first(con):
    result = imp(con, xlsx_bytes([child_row(), child_row(forename="Bo", incident="15/11/2026"), child_row(),
                                  child_row(forename="Cy")]))
    assert (result.imported, result.duplicates) == (2, 1)
    assert [(r.row, r.field) for r in result.rejections] == [(3, "incident_date")]
    assert "recorded with incident date 14/11/2026" in result.rejections[0].reason
    assert {r[0] for r in con.execute("select forename from children").fetchall()} == {"Ada", "Cy"}


def test_missing_required_columns_fail_the_file_and_commit_nothing(con):
    data = xlsx_bytes([["X/1", "Ada", "Testington"]], headers=["Police Ref", "Forename", "Surname"])
    with pytest.raises(sheets.SheetError) as err:
        imp(con, data)
    assert "Date of incident" in str(err.value) and "Date of birth" in str(err.value)
    assert count(con, "sheets") == 0


def test_header_synonyms(con):
    headers = ["Occurrence Ref", "Incident Date", "Time", "Forename", "Surname", "D.O.B", "School",
               "Concern Level", "DASH"]
    data = xlsx_bytes([["OCC/1", "10/11/2026", "19:45", "Ada", "Testington", "01/01/2014", "Idsall", "3", "high"]],
                      headers=headers)
    result = imp(con, data)
    assert result.imported == 1
    assert con.execute("select incident_at, level, dash_risk from incidents").fetchone() == (
        datetime(2026, 11, 10, 19, 45), 3, "high")


def test_an_unknown_header_mapped_once_is_remembered(con):
    headers = ["Crime Number", "Date of Incident", "Child Forename", "Child Surname", "DOB"]
    data = xlsx_bytes([["C/1", "10/11/2026", "Ada", "Testington", "01/01/2014"]], headers=headers)
    with pytest.raises(sheets.SheetError) as err:
        imp(con, data)
    assert "Crime Number" in str(err.value)
    imp(con, data, chosen_headers={sheets.header_key("Crime Number"): "police_ref"})
    later = xlsx_bytes([["C/2", "11/11/2026", "Bo", "Testington", "01/01/2014"]], headers=headers)
    assert imp(con, later, name="later.xlsx").imported == 1


def test_bad_optional_fields_keep_the_row_with_a_warning(con):
    result = imp(con, xlsx_bytes([child_row(level="Level 9", dash="purple")]))
    assert result.imported == 1
    assert [(w.row, w.field) for w in result.warnings] == [(2, "level"), (2, "dash_risk")]
    assert con.execute("select level, dash_risk from incidents").fetchone() == (None, None)


def test_csv_in_windows_encoding(con):
    result = imp(con, csv_bytes([child_row(forename="Zoë")], encoding="cp1252"), name="sheet.csv")
    assert result.imported == 1
    assert con.execute("select forename from children").fetchone() == ("Zoë",)


def test_xls(con):
    book = xlwt.Workbook()
    ws = book.add_sheet("DA")
    for c, h in enumerate(HEADERS):
        ws.write(0, c, h)
    for c, v in enumerate(child_row()):
        ws.write(1, c, v)
    buffer = io.BytesIO()
    book.save(buffer)
    assert imp(con, buffer.getvalue(), name="sheet.xls").imported == 1


def test_unreadable_file(con):
    with pytest.raises(sheets.SheetError):
        imp(con, b"not a spreadsheet", name="sheet.xlsx")
    with pytest.raises(sheets.SheetError):
        imp(con, b"whatever", name="sheet.pdf")


def test_preview_writes_nothing(con):
    result = imp(con, xlsx_bytes([child_row()]), commit=False)
    assert result.imported == 1 and not result.committed
    assert count(con, "sheets") == count(con, "children") == count(con, "audit_log where action = 'import_sheet'") == 0


def test_a_failure_mid_import_leaves_nothing_half_written(con, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(sheets, "_match", broken)  # fault injection after the sheet row is written
    with pytest.raises(RuntimeError):
        imp(con, xlsx_bytes([child_row()]))
    assert count(con, "sheets") == count(con, "incidents") == count(con, "children") == 0


def test_siblings_and_repeat_children(con):
    imp(con, xlsx_bytes([child_row(ref="R/1", incident="01/03/2026"),
                         child_row(ref="R/1", incident="01/03/2026", forename="Sib", dob="02/02/2018")]))
    imp(con, xlsx_bytes([child_row(ref="R/2", incident="01/10/2026")]), name="b.xlsx")
    # Outside the 12 months: not a repeat for that window.
    imp(con, xlsx_bytes([child_row(ref="R/0", incident="01/02/2025")]), name="c.xlsx")
    history = con.execute("""
        select i.police_ref, count(*) over (partition by ci.incident_id) as in_incident
        from child_incidents ci join incidents i on i.id = ci.incident_id order by 1""").fetchall()
    assert history == [("R/0", 1), ("R/1", 2), ("R/1", 2), ("R/2", 1)]
    rows = status.repeat_children(con)  # today's sheets
    by_ref = {r["police_ref"]: r for r in rows}
    assert by_ref["R/2"]["times_in_12_months"] == 2 and by_ref["R/2"]["siblings"] == 0
    # R/0 was 13 months before R/1: Ada was not a repeat child then, and Sib never was.
    assert set(by_ref) == {"R/2"}
    # An earlier incident arriving late changes the count of the later one too.
    imp(con, xlsx_bytes([child_row(ref="R/3", incident="01/09/2026")]), name="d.xlsx")
    seen = dict(con.execute("""
        select i.police_ref, ci.seen_12m from child_incidents ci join incidents i on i.id = ci.incident_id
        join children c on c.id = ci.child_id where c.forename = 'Ada'""").fetchall())
    assert seen == {"R/0": 1, "R/1": 1, "R/3": 2, "R/2": 3}


def test_facts_counted_on_the_way_in_equal_a_recount_from_history(con):
    """An incident new on a sheet, and a child new on one row of it, have their sibling and repeat facts set as
    they are inserted; the others are recounted from history. Random sheets (children new and known, several
    incidents of one child on its first sheet, inside and outside 12 months, 29 February, siblings joining a
    known incident) leave exactly what a recount of everything makes."""
    import random

    from encompass import db, facts

    def row(ref, when, n):
        return [ref, when, f"Kid{n}", f"Fakeson{n % 4}", f"0{1 + n % 9}/0{1 + n % 8}/201{n % 7 + 2}",
                "Hinstock Primary School", "Level 2", "Medium"]

    # A new child's incidents 11 to 12 months apart, and a year on from 29 February, on its first sheet.
    sheets_rows = [[row("EDGE/1", "01/03/2025 10:00", 99), row("EDGE/2", "28/02/2026 09:00", 99),
                    row("EDGE/3", "29/02/2024 12:00", 98), row("EDGE/4", "28/02/2025 13:00", 98)]]
    rng = random.Random(29)
    days = ["29/02/2024", "28/02/2025", "01/03/2025", "15/06/2025", "28/02/2026", "01/03/2026", "20/10/2026"]
    day_of = {}  # a police reference keeps one date
    for _ in range(8):
        rows = []
        for n in rng.sample(range(30), 6):  # a child new or known, with one to four incidents on this sheet
            for ref in rng.sample(range(25), rng.randint(1, 4)):
                day = day_of.setdefault(ref, rng.choice(days))
                rows.append(row(f"FACT/{ref}", f"{day} {rng.randint(0, 23):02d}:{rng.choice(['00', '30'])}", n))
        sheets_rows.append(rows)
    for number, rows in enumerate(sheets_rows):
        assert imp(con, xlsx_bytes(rows), name=f"facts{number}.xlsx").rejected == 0
    stored = """select (select list((id, seen_12m) order by id) from child_incidents),
                       (select list((id, children) order by id) from incidents)"""
    kept = con.execute(stored).fetchone()
    assert max(n for _, n in kept[0]) >= 3 and max(n for _, n in kept[1]) >= 3
    assert None not in [n for _, n in kept[0] + kept[1]]
    with db.transaction(con) as cur:
        facts.refresh(cur, [i for (i,) in cur.execute("select id from children").fetchall()],
                      [i for i, _ in kept[1]])
    assert con.execute(stored).fetchone() == kept


def test_an_import_gives_pythons_own_settings_back_even_when_imports_overlap(con):
    """An import pauses the cycle collector and hands Python's lock round quickly (see sheets._ImportMode);
    the last of overlapping imports to finish puts both back, whether it succeeded or not."""
    import gc
    import sys
    before = (gc.isenabled(), sys.getswitchinterval())
    first, second = sheets._importing(), sheets._importing()
    first.__enter__()
    assert not gc.isenabled() and sys.getswitchinterval() == sheets._ImportMode.QUICK_HANDOFF
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled() and sys.getswitchinterval() == sheets._ImportMode.QUICK_HANDOFF  # one still runs
    second.__exit__(None, None, None)
    assert (gc.isenabled(), sys.getswitchinterval()) == before
    imp(con, xlsx_bytes([child_row()]))
    with pytest.raises(sheets.SheetError):
        imp(con, b"not a spreadsheet", "broken.xlsx")
    assert (gc.isenabled(), sys.getswitchinterval()) == before
