"""Sheets built to hurt: bombs, far cells, hidden formulas, odd encodings, giant and binary cells. Each is refused
with a clear message before it costs memory, or loses only its own row, named with its field."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import pytest

from encompass import settings, sheets, spreadsheet

from .conftest import HEADERS, ROOT, child_row, csv_bytes, xlsx_bytes

HEAD = ",".join(HEADERS)


def imp(con, data: bytes, name: str):
    return sheets.import_sheet(con, data, name, "tester")


def handmade_xlsx(sheet_xml: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook whose sheet XML is exactly `sheet_xml` (what a hand-rolled exporter might write)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return buffer.getvalue()


def inline(ref: str, value: str, attrs: str = "", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    where = f' r="{ref}"' if ref else ""
    return f'<{p}c{where}{attrs} t="inlineStr"><{p}is><{p}t>{value}</{p}t></{p}is></{p}c>'


def sheet(rows: list[str], prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}><{p}sheetData>{"".join(rows)}' \
           f'</{p}sheetData></{p}worksheet>'


def header_and(row_two: list[str], prefix: str = "", row_attrs: str = ' r="2"') -> str:
    p = f"{prefix}:" if prefix else ""
    header = "".join(inline(f"{chr(65 + i)}1", h, prefix=prefix) for i, h in enumerate(HEADERS))
    return sheet([f'<{p}row r="1">{header}</{p}row>', f"<{p}row{row_attrs}>{''.join(row_two)}</{p}row>"], prefix)


GOOD = ["N/1", "13/11/2026", "Ada", "Testington", "03/04/2016", "Belvidere Primary School", "Level 2", "Medium"]


# --- formulas, found by parsing the XML -----------------------------------------------------------------

@pytest.mark.parametrize("layout", ["r after s", "namespace prefix", "no cell references", "lower case after a gap"])
def test_a_formula_cell_is_found_however_the_xml_is_written(con, layout):
    """Before: a formula was missed when `r=` was not the first attribute of <c>, and the name simply vanished;
    a lower-case reference after an empty cell was put in the wrong column."""
    prefix = "x" if layout == "namespace prefix" else ""
    p = f"{prefix}:" if prefix else ""
    cells = []
    for i, value in enumerate(GOOD):
        ref = "" if layout == "no cell references" else f"{chr(65 + i)}2"
        if layout == "lower case after a gap":
            ref = ref.lower()
            if i == 1:
                continue  # the incident date left out: the formula's column comes from its own reference
        if i == 2:  # the forename is a formula with no cached value: calamine reads it as empty
            where = f' r="{ref}"' if ref else ""
            cells.append(f'<{p}c s="0"{where} t="str"><{p}f>UPPER("ada")</{p}f></{p}c>')
        else:
            cells.append(inline(ref, value, prefix=prefix))
    row_attrs = "" if layout == "no cell references" else ' r="2"'
    result = imp(con, handmade_xlsx(header_and(cells, prefix, row_attrs)), "formula.xlsx")
    assert result.imported == 0
    assert [(r.row, r.field) for r in result.rejections] == [(2, "forename")]
    assert "formula" in result.rejections[0].reason


def test_a_sheet_declaring_entities_is_refused(con):
    xml = header_and([inline(f"{chr(65 + i)}2", v) for i, v in enumerate(GOOD)])
    bomb = xml.replace("<worksheet", '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1)
    with pytest.raises(sheets.SheetError, match="entities"):
        imp(con, handmade_xlsx(bomb), "entities.xlsx")


# --- size: bombs and far cells, refused before they are read ------------------------------------------

def deflated_zip_member(size: int) -> tuple[bytes, int]:
    """`size` bytes of spaces, deflated in pieces (never held whole): (compressed, crc)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b" " * (1 << 20)
    out, crc = [], 0
    for _ in range(size // len(chunk)):
        out.append(squeeze.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    out.append(squeeze.flush())
    return b"".join(out), crc


def zip_with(name: str, compressed: bytes, crc: int, declared: int, base: bytes) -> bytes:
    """`base` (a zip) with one more deflated member whose header declares `declared` bytes unpacked."""
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a") as z:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, b"placeholder")
    data = buffer.getvalue()
    # Replace the placeholder's compressed bytes and sizes in the local header and the central directory.
    placeholder = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    old = placeholder.compress(b"placeholder") + placeholder.flush()
    local = data.rindex(b"PK\x03\x04", 0, data.index(b"PK\x01\x02"))
    name_len, extra_len = struct.unpack("<HH", data[local + 26:local + 30])
    body = local + 30 + name_len + extra_len
    assert data[body:body + len(old)] == old
    data = data[:body] + compressed + data[body + len(old):]
    data = data[:local + 14] + struct.pack("<III", crc, len(compressed), declared) + data[local + 26:]
    shift = len(compressed) - len(old)
    central = data.rindex(b"PK\x01\x02")
    data = data[:central + 16] + struct.pack("<III", crc, len(compressed), declared) + data[central + 28:]
    end = data.rindex(b"PK\x05\x06")
    directory_at = struct.unpack("<I", data[end + 16:end + 20])[0]
    return data[:end + 16] + struct.pack("<I", directory_at + shift) + data[end + 20:]


def peak_memory_of_import(tmp_path, path) -> tuple[str, int]:
    """Import the file in a fresh process: (the error it gave, its peak memory in MB)."""
    code = textwrap.dedent(f"""
        import json, re
        from encompass import db, sheets
        con = db.connect({str(tmp_path / "m.duckdb")!r})
        try:
            sheets.import_sheet(con, open({str(path)!r}, "rb").read(), {path.name!r}, "t")
            error = ""
        except sheets.SheetError as exc:
            error = str(exc)
        # VmHWM: this process's own high-water mark (ru_maxrss would include the parent's, kept across exec)
        peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) // 1024
        print(json.dumps([error, peak]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    error, peak = json.loads(proc.stdout)
    return error, peak


def test_a_zip_bomb_is_refused_by_its_unpacked_size(con, tmp_path):
    """Before: a 2.1 MB xlsx that unpacked to 2 GB took 40 s and 4 GB of memory to preview."""
    compressed, crc = deflated_zip_member(512 << 20)  # half a gigabyte of spaces in half a megabyte
    base = xlsx_bytes([child_row()])
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(zip_with("xl/padding.xml", compressed, crc, 512 << 20, base))
    assert bomb.stat().st_size < 1 << 20
    error, peak = peak_memory_of_import(tmp_path, bomb)
    assert "unpacks to 512.0 MB; the limit is 100.0 MB" in error
    assert peak < 400  # MB: the bomb was never unpacked


def test_a_member_lying_about_its_size_is_caught_before_the_reader_meets_it(con, tmp_path):
    compressed, crc = deflated_zip_member(512 << 20)
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(zip_with("xl/padding.xml", compressed, crc, 1000, xlsx_bytes([child_row()])))
    error, peak = peak_memory_of_import(tmp_path, liar)
    assert "damaged" in error and peak < 400


@pytest.mark.parametrize("cell, words", [
    ("C1048575", "reaches row 1,048,575; at most 50,000 rows are read"),
    ("XFD2", "reaches column 16,384; a police sheet has at most 200"),
])
def test_one_far_cell_is_refused_before_the_grid_is_built(con, cell, words):
    """Before: a sheet reaching row 1,048,575 took 2.3 GB."""
    rows = header_and([inline(f"{chr(65 + i)}2", v) for i, v in enumerate(GOOD)])
    far = f'<row r="{cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">{inline(cell, "x")}</row>'
    with pytest.raises(sheets.SheetError, match=words):
        imp(con, handmade_xlsx(rows.replace("</sheetData>", far + "</sheetData>")), "far.xlsx")


@pytest.mark.parametrize("far_row, words", [
    ("<row r='2'>" + inline("", "x").replace("<c ", "<c r='XFD2' ") + "</row>", "reaches column 16,384"),  # quoted '
    ('<row r="2">' + inline("", "x").replace("<c ", '<c r = "XFD2" ') + "</row>", "reaches column 16,384"),
    ('<row r="2">' + inline("xfd2", "x") + "</row>", "reaches column 16,384"),         # lower case
    ('<row r="2">' + inline("", "x").replace("<c ", "<c\nr\t=\n'XFD2' ") + "</row>", "reaches column 16,384"),
    ('<row r="2">' + inline("ABCDE2", "x") + "</row>", "reaches column"),              # more letters than Excel has
    ('<row r="2">' + inline("", "x").replace("<c ", '<c t="n"r="XFD2" ') + "</row>", "reaches column 16,384"),
])
def test_a_far_reference_is_found_however_it_is_written(con, far_row, words):
    """Before: a reference quoted with ', spaced around its "=", in lower case or with four letters or more was
    not seen by the check, while python-calamine still placed the cell there (a grid 16,384 columns wide for
    each row, 494,265 for "ABCDE2"; with a far row as well, more memory than the machine has)."""
    rows = header_and([inline(f"{chr(65 + i)}2", v) for i, v in enumerate(GOOD)])
    with pytest.raises(sheets.SheetError, match=words):
        imp(con, handmade_xlsx(rows.replace("</sheetData>", far_row + "</sheetData>")), "far.xlsx")


def test_rows_without_references_count_too(con):
    settings.save(con, {"max_sheet_rows": "50"}, "admin")
    rows = "".join(f"<row>{inline('', 'x')}</row>" for _ in range(60))
    with pytest.raises(sheets.SheetError, match="reaches row 60; at most 50 rows"):
        imp(con, handmade_xlsx(sheet([rows])), "unnumbered.xlsx")


def test_one_far_cell_in_an_old_xls_is_refused_without_a_gigabyte(con, tmp_path):
    import xlwt
    book = xlwt.Workbook()
    page = book.add_sheet("s")
    for column, header in enumerate(HEADERS):
        page.write(0, column, header)
    page.write(65535, 255, "far")
    far = tmp_path / "far.xls"
    book.save(str(far))
    error, peak = peak_memory_of_import(tmp_path, far)
    assert "reaches row 65,536" in error or "reaches column 256" in error
    assert peak < 400  # before: calamine filled the whole rectangle, 1 GB


def test_the_row_limit_is_a_setting_and_says_what_to_do(con):
    settings.save(con, {"max_sheet_rows": "100"}, "admin")
    body = [f"N/{n},13/11/2026,Ada{chr(65 + n % 26)},Testington,03/04/2016,Belvidere Primary School,2,medium"
            for n in range(101)]
    with pytest.raises(sheets.SheetError, match="at most 100 rows are read. Split it, or ask an administrator"):
        imp(con, "\n".join([HEAD, *body]).encode(), "big.csv")
    assert imp(con, "\n".join([HEAD, *body[:100]]).encode(), "ok.csv").imported == 100
    with pytest.raises(settings.SettingError, match="from 10 to"):
        settings.save(con, {"max_sheet_rows": "0"}, "admin")


# --- cells: long, binary, in other encodings ------------------------------------------------------------

def test_a_giant_cell_loses_only_its_row_with_the_field_named(con):
    """Before: a CSV field over 128 KB stopped the whole file with an unhandled error."""
    data = "\n".join([HEAD, "N/1,13/11/2026," + "A" * 200_000 + ",Testington,03/04/2016,Belvidere Primary School,2,m",
                      "N/2,13/11/2026,Bea,Testington,03/04/2016,Belvidere Primary School,2,m"]).encode()
    result = imp(con, data, "giant.csv")
    assert result.imported == 1
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (2, "forename", "Child forename is 200,000 characters long; at most 60 are accepted")]


def test_giant_school_cells_are_refused_and_never_scored(con, monkeypatch):
    """A long sheet's schools are scored against the register before its rows are checked (matching.EarlyScores):
    only text a school field may hold is scored, so 100,000-character cells cost nothing before they are refused."""
    from encompass import matching
    scored = []
    score = matching._scores
    monkeypatch.setattr(matching, "_scores", lambda typed, names: scored.extend(typed) or score(typed, names))
    schools = [f"Testwell School Number {n}" for n in range(matching.BATCH + 6)] + ["G" * 100_000 + str(n)
                                                                                  for n in range(3)]
    rows = [child_row(ref=f"G/{n}", forename=f"Kid{n}", school=text) for n, text in enumerate(schools)]
    result = imp(con, csv_bytes(rows), "giant-schools.csv")
    assert result.imported == matching.BATCH + 6
    assert [(r.field, r.reason) for r in result.rejections] == [
        ("school", "School is 100,001 characters long; at most 200 are accepted")] * 3
    assert scored and max(map(len, scored)) <= sheets.FIELD_LENGTHS["school"]


@pytest.mark.parametrize("name", ["csv", "xlsx"])
def test_a_nul_byte_in_a_name_loses_only_its_row(con, name):
    rows = [child_row(ref="N/1", forename="Ad\x00a"), child_row(ref="N/2", forename="Bea")]
    data = csv_bytes(rows) if name == "csv" else handmade_xlsx(sheet([
        "<row r='1'>" + "".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS)) + "</row>",
        *(f"<row r='{n}'>" + "".join(inline(f"{chr(65 + i)}{n}", str(v).replace("\x00", "_x0000_"))
                                     for i, v in enumerate(r)) + "</row>" for n, r in enumerate(rows, start=2))]))
    result = imp(con, data, f"nul.{name}")
    assert result.imported == 1
    assert [(r.row, r.field) for r in result.rejections] == [(2, "forename")]
    assert "control character" in result.rejections[0].reason


def test_shift_jis_is_refused_not_imported_as_garbage(con):
    """Before: Shift-JIS text imported as mojibake names."""
    text = "\n".join([HEAD, "N/1,13/11/2026,花子,山田,03/04/2016,ベルビディア小学校,2,medium"])
    with pytest.raises(sheets.SheetError, match="Shift-JIS.*CSV UTF-8"):
        imp(con, text.encode("shift_jis"), "sjis.csv")
    with pytest.raises(sheets.SheetError, match="UTF-16"):
        imp(con, text.encode("utf-16"), "utf16.csv")
    assert imp(con, text.encode("utf-8"), "utf8.csv").imported == 1  # the same text as UTF-8 is fine


def test_windows_1252_with_accents_and_smart_quotes_is_read(con):
    text = "\n".join([HEAD, *[f"N/{n},13/11/2026,Zoë,O’Brien,03/04/2016,St Mary’s Church of England Primary School,"
                              "2,medium" for n in range(1, 4)]])
    result = imp(con, text.encode("cp1252"), "win.csv")
    assert result.imported == 3
    assert con.execute("select distinct forename, surname from children").fetchall() == [("Zoë", "O’Brien")]


def test_reader_limits_apply_to_every_format_at_the_reader_itself():
    limits = spreadsheet.Limits(max_bytes=2 << 20, max_rows=10)
    with pytest.raises(spreadsheet.UnreadableFile, match="the file is 3.0 MB; the limit is 2.0 MB"):
        spreadsheet.read_table(b"x" * (3 << 20), "a.csv", limits)
    with pytest.raises(spreadsheet.UnreadableFile, match="not a spreadsheet"):
        spreadsheet.read_table(b"x", "a.ods", limits)
