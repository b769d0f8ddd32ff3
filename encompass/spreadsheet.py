"""Reading the police's daily sheet (xlsx, xls, csv) into rows, as the UK reads them.

python-calamine reads a formula cell with no cached value as empty, so for xlsx we also read
the sheet XML ourselves and report every formula cell: a child's name must never vanish.
"""
from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree import ElementTree

import python_calamine

from . import clock


class UnreadableFile(ValueError):
    pass


@dataclass
class Table:
    header_row: int                       # spreadsheet row number of the header (1-based)
    headers: list[str]
    rows: list[tuple[int, list]]          # (spreadsheet row number, cells)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)


def read_table(data: bytes, filename: str) -> Table:
    """The first sheet's header row and data rows, whatever the format."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv":
        grid = _read_csv(data)
        formulas: set[tuple[int, int]] = set()
    elif suffix in ("xlsx", "xlsm", "xls", "xlsb", "ods"):
        grid = _read_workbook(data, filename)
        formulas = _xlsx_formula_cells(data) if suffix in ("xlsx", "xlsm") else set()
    else:
        raise UnreadableFile(f"{filename}: not a spreadsheet (expected .xlsx, .xls or .csv)")
    # The header is the first row with anything in it; rows are numbered as the spreadsheet shows them.
    for index, cells in enumerate(grid):
        if any(not _blank(c) for c in cells):
            headers = [str(c).strip() if not _blank(c) else "" for c in cells]
            body = [(i + 1, list(r)) for i, r in enumerate(grid) if i > index]
            return Table(index + 1, headers, body, formulas)
    raise UnreadableFile(f"{filename}: the sheet is empty")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without Excel's BOM), else Windows-1252, which Excel on
    Windows and GIAS downloads both produce."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("the CSV file is neither UTF-8 nor Windows-1252 text")


def _read_csv(data: bytes) -> list[list]:
    return [row for row in csv.reader(io.StringIO(decode_text(data), newline=""))]


def _read_workbook(data: bytes, filename: str) -> list[list]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        # Keep leading empty rows and columns so row and column numbers match what Excel shows.
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several error types for damaged files
        raise UnreadableFile(f"{filename}: cannot be read as a spreadsheet ({exc.__class__.__name__})") from None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)


def _xlsx_formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row number, column index) of every formula cell on the first sheet of an xlsx file.

    A regular expression over the sheet XML rather than a parser: a police export has no
    formulas, so the common case is one fast search that finds none.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read(_first_sheet_path(z))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return set()
    if b"<f>" not in xml and b"<f " not in xml and b"<f/>" not in xml:
        return set()
    return {(int(m.group(2)), _col_index(m.group(1).decode())) for m in _FORMULA_CELL.finditer(xml)}


def _first_sheet_path(z: zipfile.ZipFile) -> str:
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    first = book.find(f"{_NS}sheets/{_NS}sheet")
    rid = first.get(f"{_REL_NS}id")
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    raise KeyError(rid)


# --- values as the UK reads them ---------------------------------------------------------

_UK_DATE = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_WORDY_FORMATS = ("%d %B %Y", "%d %b %Y", "%d %B %Y %H:%M", "%d %b %Y %H:%M")


def parse_datetime(value) -> tuple[datetime, bool]:
    """A date or date-time cell as (datetime, has_time). Raises ValueError with a reason.

    Day first, always: 03/04/2025 is the 3rd of April. Numbers are Excel serial dates.
    """
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return _parse_datetime_cached(type(value), value, clock.today().year % 100)
    return _parse_datetime(value)


@functools.lru_cache(maxsize=65536)  # a sheet repeats its dates: a few hundred distinct among thousands of rows
def _parse_datetime_cached(kind: type, value, century_pivot: int) -> tuple[datetime, bool]:
    return _parse_datetime(value, century_pivot)


def _parse_datetime(value, century_pivot: int | None = None) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        return value.replace(microsecond=0), value.time() != time(0, 0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            moment = _EXCEL_EPOCH + timedelta(days=float(value))
            moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
            return moment, moment.time() != time(0, 0)
        raise ValueError(f"{value} is not a date")
    text = str(value).strip()
    m = _UK_DATE.fullmatch(text) or _ISO_DATE.fullmatch(text)
    if m:
        a, b, c, hh, mm, ss = m.groups()
        if m.re is _UK_DATE:
            day, month, year = int(a), int(b), int(c)
            if len(c) == 2:
                pivot = clock.today().year % 100 if century_pivot is None else century_pivot
                year += 2000 if year <= pivot else 1900
        else:
            year, month, day = int(a), int(b), int(c)
        try:
            moment = datetime(year, month, day, int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            raise ValueError(f"'{text}' is not a real date (day first: dd/mm/yyyy)") from None
        return moment, hh is not None
    for fmt in _WORDY_FORMATS:
        try:
            moment = datetime.strptime(text, fmt)
            return moment, "%H" in fmt
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date this app can read (use dd/mm/yyyy)")


def parse_time(value) -> time:
    """A separate time-of-incident cell: a time, an Excel day fraction, or 'HH:MM'."""
    if isinstance(value, time):
        return value.replace(microsecond=0)
    if isinstance(value, datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(float(value) * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60)
    m = re.fullmatch(r"(\d{1,2})[:.]?(\d{2})(?::(\d{2}))?", str(value).strip())
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return time(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"'{value}' is not a time (use HH:MM)")


def text(value) -> str:
    """A cell as trimmed text with inner spacing collapsed; whole numbers lose their '.0'."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
