"""Reading the police's daily sheet (xlsx, xls, csv) into rows, as the UK reads them — safely.

A sheet is hostile until proven otherwise. Before anything is parsed its size is bounded: the bytes, the
bytes once unpacked (a 2 MB xlsx can unpack to gigabytes), the rows and the columns it reaches (one cell at
XFD1048576 would make a dense grid of billions). Only then do the readers run: python-calamine for xlsx,
xlrd for xls (it keeps rows ragged, where calamine fills the whole rectangle: 1 GB for one far cell), the
csv module for CSV text whose encoding is checked.

python-calamine reads a formula cell with no cached value as empty, so every formula cell of an xlsx is
found by parsing the sheet's XML: a child's name must never vanish.
"""
from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.etree import ElementTree

import numpy as np
import python_calamine

from . import clock

MAX_COLUMNS = 200  # a police sheet has a dozen or two; a sheet reaching further is refused before it is read
SUFFIXES = ("xlsx", "xlsm", "xls", "csv")
# A cell's length is judged per field, naming the row and field (sheets.FIELD_LENGTHS); the csv module's own
# limit (128 KB) would otherwise stop the whole file at the first long cell.
csv.field_size_limit(1 << 30)


class UnreadableFile(ValueError):
    pass


@dataclass(frozen=True)
class Limits:
    """How big a sheet may be (settings max_sheet_mb and max_sheet_rows)."""
    max_bytes: int = 100 * 2**20      # the file, and the file once unpacked
    max_rows: int = 50_000


@dataclass
class Table:
    header_row: int                       # spreadsheet row number of the header (1-based)
    headers: list[str]
    rows: list[tuple[int, list]]          # (spreadsheet row number, cells)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)


def read_table(data: bytes, filename: str, limits: Limits = Limits()) -> Table:
    """The first sheet's header row and data rows, whatever the format, within `limits`."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"{filename}: not a spreadsheet (expected .xlsx, .xls or .csv)")
    if len(data) > limits.max_bytes:
        raise UnreadableFile(f"{filename}: the file is {_mb(len(data))}; the limit is {_mb(limits.max_bytes)}")
    formulas: set[tuple[int, int]] = set()
    if suffix == "csv":
        grid = _read_csv(data, filename, limits)
    elif suffix == "xls":
        grid = _read_xls(data, filename, limits)
    else:
        formulas = _check_xlsx(data, filename, limits)
        grid = _read_workbook(data, filename)
    if len(grid) > limits.max_rows + 1:  # never reached when the checks above hold; kept as the last word
        raise UnreadableFile(_too_many_rows(filename, limits, len(grid)))
    # The header is the first row with anything in it; rows are numbered as the spreadsheet shows them.
    for index, cells in enumerate(grid):
        if any(not _blank(c) for c in cells):
            headers = [str(c).strip() if not _blank(c) else "" for c in cells]
            body = list(enumerate(grid[index + 1:], start=index + 2))
            return Table(index + 1, headers, body, formulas)
    raise UnreadableFile(f"{filename}: the sheet is empty")


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _too_many_rows(filename: str, limits: Limits, reaches: int) -> str:
    return (f"{filename}: the sheet reaches row {reaches:,}; at most {limits.max_rows:,} rows are read. Split it, or "
            "ask an administrator to raise the limit (Admin → Settings)")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without Excel's BOM), else Windows-1252, which Excel on Windows and
    GIAS downloads both produce. Text in another encoding (Shift-JIS, UTF-16 ...) is refused, not guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("the file is UTF-16 text: save it as “CSV UTF-8” and import that")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    # Western text read as Windows-1252 has an accent here and there; another encoding read that way turns
    # every character into one or two accented ones (Shift-JIS 山田 becomes “ŽR“c”).
    if text is None or _accented_share(text) > 0.05:
        raise UnreadableFile("the file is neither UTF-8 nor Windows-1252 text (another encoding, such as "
                             "Shift-JIS?): save it as “CSV UTF-8” and import that")
    return text


def _accented_share(text: str) -> float:
    visible = sum(1 for ch in text if not ch.isspace())
    return sum(1 for ch in text if ord(ch) > 127) / visible if visible else 0.0


def _read_csv(data: bytes, filename: str, limits: Limits) -> list[list]:
    try:
        text = decode_text(data)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{filename}: {exc}") from None
    grid = []
    for row in csv.reader(io.StringIO(text, newline="")):
        grid.append(row)
        if len(row) > MAX_COLUMNS:
            raise UnreadableFile(f"{filename}: row {len(grid)} has {len(row):,} columns; a police sheet has at "
                                 f"most {MAX_COLUMNS}")
        if len(grid) > limits.max_rows + 1:
            raise UnreadableFile(_too_many_rows(filename, limits, len(grid)))
    return grid


def _read_xls(data: bytes, filename: str, limits: Limits) -> list[list]:
    """An old-style .xls through xlrd, rows kept as long as their last cell (never the whole rectangle)."""
    import xlrd
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, ragged_rows=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # xlrd raises several error types for damaged files
        raise UnreadableFile(f"{filename}: cannot be read as a spreadsheet ({exc.__class__.__name__})") from None
    if sheet.nrows > limits.max_rows + 1:
        raise UnreadableFile(_too_many_rows(filename, limits, sheet.nrows))
    width = max((sheet.row_len(r) for r in range(sheet.nrows)), default=0)
    if width > MAX_COLUMNS:
        raise UnreadableFile(f"{filename}: the sheet reaches column {width:,}; a police sheet has at most "
                             f"{MAX_COLUMNS}")
    return [[_xls_value(cell, book.datemode) for cell in sheet.row(r)] for r in range(sheet.nrows)]


def _xls_value(cell, datemode: int):
    import xlrd
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def _read_workbook(data: bytes, filename: str) -> list[list]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        # Keep leading empty rows and columns so row and column numbers match what Excel shows.
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several error types for damaged files
        raise UnreadableFile(f"{filename}: cannot be read as a spreadsheet ({exc.__class__.__name__})") from None


# --- xlsx: bounds and formulas, before calamine reads it -------------------------------------------

# The scans below run over the sheet's XML as bytes, in numpy (a 10 MB sheet in tens of milliseconds), every kind
# of whitespace counting as a space. They are bounds, not a parse: an element or reference is counted wherever its
# text appears, and a reference however it is written — quoted either way, spaced around its "=", in lower case,
# with any number of letters and digits — because python-calamine honours every one of those.
_WHITESPACE = b" \t\n\r\x0b\x0c"
_SPACE = np.zeros(256, bool)  # byte -> whether it is whitespace (a table numpy looks bytes up in)
_SPACE[list(_WHITESPACE)] = True
_NAME_END = _SPACE.copy()  # byte -> whether it ends an element's name: whitespace, '>' or '/'
_NAME_END[list(b">/")] = True
_ANY_SPACE = b"[" + re.escape(_WHITESPACE) + b"]*"
_NAME_ENDS = b"[" + re.escape(_WHITESPACE + b">/") + b"]"
_SPACED_EQUALS = re.compile(_ANY_SPACE + b"=" + _ANY_SPACE)
_PREFIXED_FORMULA = re.compile(rb"<[A-Za-z_][\w.-]*:f" + _NAME_ENDS)
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c" + _NAME_ENDS)
_PREFIXED_ROW = re.compile(rb"<[A-Za-z_][\w.-]*:row" + _NAME_ENDS)
_BEYOND = 10**8  # a reference with more than 7 digits or 3 letters: further than any sheet may reach


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _Scan:
    """The sheet's XML as bytes numpy can look at, every '<' found once (when an element is first counted)."""

    def __init__(self, xml: bytes):
        self.text = xml
        self.size = len(xml)
        self.bytes = np.frombuffer(xml + bytes(32), np.uint8)  # zero padding: look-ahead never runs off the end
        self.windows = np.lib.stride_tricks.sliding_window_view(self.bytes, 16)  # the 16 bytes from each position

    @functools.cached_property
    def opens(self) -> np.ndarray:
        return np.flatnonzero(self.bytes[: self.size] == ord("<"))

    @functools.cached_property
    def initials(self) -> np.ndarray:
        return self.bytes[self.opens + 1]

    @functools.cached_property
    def colons(self) -> np.ndarray:
        return np.flatnonzero(self.bytes[: self.size] == ord(":"))

    def markup(self) -> np.ndarray:
        """Where each '<!' starts (a comment, CDATA or a declaration): none in an ordinary sheet."""
        return self.opens[self.initials == ord("!")]

    def elements(self, name: bytes, prefixed: re.Pattern) -> int:
        """How many elements of this name start here ('<c ', '<c>', '<c/'), with or without a namespace prefix."""
        b = self.bytes
        at = self.opens[self.initials == name[0]] + 1
        for byte in name[1:]:
            at = at[b[at + 1] == byte] + 1
        count = int(_NAME_END[b[at + 1]].sum())
        # <x:c ...>: a namespace prefix. Only where ":c" and the end of a name follow a colon is the text searched.
        after = self.windows[self.colons + 1, : len(name) + 1]
        if ((after[:, :-1] == np.frombuffer(name, np.uint8)).all(axis=1) & _NAME_END[after[:, -1]]).any():
            count += len(prefixed.findall(self.text))
        return count

    def references(self) -> tuple[int, int, int, int]:
        """Of every r="..." attribute that places a cell: the furthest row and the furthest column it names (each
        _BEYOND when further than a sheet can reach), how many place a cell, and how many of those name a column.
        r="" and r="J" place nothing: calamine refuses such a cell."""
        b = self.bytes
        equals = np.flatnonzero(b[: self.size] == ord("="))
        if (_SPACE[b[equals - 1]] | _SPACE[b[equals + 1]]).any():  # r = "A1": rare, read as r="A1"
            return _Scan(_SPACED_EQUALS.sub(b"=", self.text)).references()
        equals = equals[b[equals - 1] == ord("r")]
        before, quote = b[np.maximum(equals - 2, 0)], b[equals + 1]
        equals = equals[(equals >= 2) & (_SPACE[before] | (before == ord('"')) | (before == ord("'")))
                        & ((quote == ord('"')) | (quote == ord("'")))]
        start = equals + 2  # the value's first byte
        lower = self.windows[start, :4] | 0x20  # letters, any case: 3 fit, a 4th is too many
        letter = (lower >= ord("a")) & (lower <= ord("z"))
        letters = np.argmin(np.c_[letter, np.zeros(len(start), bool)], axis=1)
        ahead = self.windows[start + letters, :8]  # digits: 7 fit, an 8th is too many
        digit = (ahead >= ord("0")) & (ahead <= ord("9"))
        digits = np.argmin(np.c_[digit, np.zeros(len(start), bool)], axis=1)
        placing = (digits > 0) | (letters > 3)
        placed, with_column = int(placing.sum()), int((placing & (letters > 0)).sum())
        row = _BEYOND if (digits > 7).any() else _furthest(ahead, digits, range(1, 8), _digits_value)
        column = _BEYOND if (letters > 3).any() else _furthest(lower, np.where(placing, letters, 0), range(1, 4),
                                                               _letters_value)
        return row, column, placed, with_column


def _furthest(values: np.ndarray, lengths: np.ndarray, fitting: range, value_of) -> int:
    """The largest number written in `values` (rows of 8 or 4 bytes, each number in its first `lengths` bytes).
    Among numbers of one length, the largest is the one greatest byte by byte, leading zeros and all: each row's
    number, the bytes after it cleared, is read as one big-endian integer, and only each length's greatest is
    worked out."""
    width = values.shape[1]
    keys = (values * (np.arange(width) < lengths[:, None])).view(f">u{width}").ravel()
    furthest = 0
    for length in fitting:
        mine = keys[lengths == length]
        if len(mine):
            top = int(mine.max()).to_bytes(width, "big")
            furthest = max(furthest, value_of(top[:length]))
    return furthest


def _digits_value(text: bytes) -> int:
    return int(text)


def _letters_value(text: bytes) -> int:
    return _col_index(text.decode().upper()) + 1


def _check_xlsx(data: bytes, filename: str, limits: Limits) -> set[tuple[int, int]]:
    """Refuse an xlsx that unpacks beyond the limit, is damaged, or reaches too many rows or columns; return
    its formula cells. Every member is unpacked here with its CRC checked, so a member that lies about its
    size is caught before calamine meets it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
            declared = sum(m.file_size for m in members)
            if len(members) > 10_000 or declared > limits.max_bytes:
                raise UnreadableFile(f"{filename}: the file unpacks to {_mb(declared)}; the limit is "
                                     f"{_mb(limits.max_bytes)}")
            sheet_path = _first_sheet_path(z)
            xml = b""
            for member in members:
                with z.open(member) as stream:  # never beyond its declared size: a liar is cut off there
                    if member.filename == sheet_path:
                        xml = stream.read()
                    else:
                        for _ in iter(lambda: stream.read(1 << 20), b""):  # read to check its CRC, a MB at a time
                            pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ElementTree.ParseError, EOFError,
            NotImplementedError, OSError):
        raise UnreadableFile(f"{filename}: damaged, or not an Excel workbook (try saving it again as .xlsx)") from None
    scan = _Scan(xml)
    # The references are read on the other core while this one counts the elements: numpy lets go of Python's
    # lock for each pass over the bytes (the bench sheet's 10 MB: 42 -> 25 ms).
    placing = _SCANNING.submit(scan.references)
    try:
        declares = len(scan.markup()) and (b"<!DOCTYPE" in xml or b"<!ENTITY" in xml)  # searched only after "<!"
        rows, cells = scan.elements(b"row", _PREFIXED_ROW), scan.elements(b"c", _PREFIXED_CELL)
        formulas = scan.elements(b"f", _PREFIXED_FORMULA)
    finally:
        references = placing.result()
    if declares:
        raise UnreadableFile(f"{filename}: the sheet declares XML entities, which a spreadsheet never does")
    height, width = _reach(references, rows, cells)
    if height > limits.max_rows + 1:
        raise UnreadableFile(_too_many_rows(filename, limits, height))
    if width > MAX_COLUMNS:
        raise UnreadableFile(f"{filename}: the sheet reaches column {width:,}; a police sheet has at most "
                             f"{MAX_COLUMNS}")
    return _formula_cells(xml) if formulas else set()


_SCANNING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sheet-scan")


def _reach(references: tuple[int, int, int, int], rows: int, cells: int) -> tuple[int, int]:
    """(rows, columns) the sheet's cells can reach, an upper bound: the furthest reference (see
    _Scan.references), plus one for each row or cell that has none (a reader places it after the one before)."""
    row, column, placed, with_column = references
    return row + max(0, rows - (placed - with_column)), column + max(0, cells - with_column)


def _formula_cells(xml: bytes) -> set[tuple[int, int]]:
    """(row number, column index) of every formula cell: the sheet's XML parsed (namespaces, any attribute
    order, rows and cells without a reference)."""
    found, row_number, column = set(), 0, -1
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        name = element.tag.rsplit("}", 1)[-1]
        if event == "end":
            if name == "row":
                element.clear()  # keep memory flat on a long sheet
            continue
        if name == "row":
            row_number = int(element.get("r") or row_number + 1)
            column = -1
        elif name == "c":
            ref = re.match(r"([A-Za-z]{1,3})[0-9]+$", (element.get("r") or "").strip())
            column = _col_index(ref.group(1).upper()) if ref else column + 1
        elif name == "f":
            found.add((row_number, column))
    return found


def _first_sheet_path(z: zipfile.ZipFile) -> str:
    """Where the workbook's first sheet is, whichever OOXML namespace (transitional or strict) it uses."""
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    first = next((e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"), None)
    rid = next((v for k, v in (first.attrib.items() if first is not None else ()) if k.endswith("}id")), None)
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid and rel.get("Target"):
            target = rel.get("Target").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    raise KeyError(rid)


# --- values as the UK reads them ---------------------------------------------------------

_UK_DATE = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_WORDY_FORMATS = ("%d %B %Y", "%d %b %Y", "%d %B %Y %H:%M", "%d %b %Y %H:%M")


def parse_datetime(value, century_pivot: int | None = None) -> tuple[datetime, bool]:
    """A date or date-time cell as (datetime, has_time). Raises ValueError with a reason.

    Day first, always: 03/04/2025 is the 3rd of April. Numbers are Excel serial dates. A two-digit year up to
    `century_pivot` (this year's, unless a caller reading many rows passes it once) is this century's.
    """
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        pivot = clock.today().year % 100 if century_pivot is None else century_pivot
        return _parse_datetime_cached(type(value), value, pivot)
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


_TIME = re.compile(r"(\d{1,2})[:.]?(\d{2})(?::(\d{2}))?")


def parse_time(value) -> time:
    """A separate time-of-incident cell: a time, an Excel day fraction, or 'HH:MM'."""
    if isinstance(value, time):
        return value.replace(microsecond=0)
    if isinstance(value, datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(float(value) * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60)
    m = _TIME.fullmatch(str(value).strip())
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
