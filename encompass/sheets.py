"""Importing the daily sheet: header mapping, per-row validation, children, incidents, matching.

Every non-blank row ends as imported, duplicate or rejected (with its row number and why),
and the counts add up. One transaction per file: all of it lands, or none.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import gc
import hashlib
import io
import operator
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import pandas as pd
import pyarrow as pa

from . import (audit, calendar, clock, db, facts, ledger, matching, normalise, notifications, settings, spreadsheet,
               triage)

# field -> (label, required, header synonyms). Only these columns are kept from a sheet.
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "police_ref": ("Police reference", True, (
        "police reference", "police ref", "police ref no", "police reference number", "police ref number",
        "occurrence ref", "occurrence reference", "occurrence number", "occurrence no", "occ ref",
        "crime reference", "crime ref", "incident reference", "incident ref", "incident number", "log number")),
    "incident_date": ("Date of incident", True, (
        "date of incident", "incident date", "date", "occurrence date", "incident date time",
        "date time of incident", "incident datetime", "date and time of incident", "incident date and time")),
    "incident_time": ("Time of incident", False, ("time of incident", "incident time", "time")),
    "forename": ("Child forename", True, (
        "child forename", "forename", "forenames", "first name", "child first name", "given name",
        "childs forename", "cyp forename", "child given name")),
    "surname": ("Child surname", True, (
        "child surname", "surname", "last name", "family name", "childs surname", "cyp surname",
        "child last name")),
    "dob": ("Date of birth", True, (
        "date of birth", "dob", "d o b", "birth date", "child dob", "child date of birth", "cyp dob",
        "childs dob", "childs date of birth")),
    "school": ("School", False, (
        "school", "school attended", "school name", "child school", "childs school", "school nursery",
        "educational establishment", "education setting", "setting", "school college")),
    "level": ("Concern level", False, ("level", "concern level", "threshold level", "level of concern",
                                      "triage level")),
    "dash_risk": ("DASH risk", False, ("dash", "dash risk", "dash risk level", "dash level", "dash grading",
                                       "dash rating")),
}
REQUIRED = [f for f, (_, req, _) in FIELDS.items() if req]
# The longest text each field may hold: far beyond any real value, short enough that a pasted essay, a
# 100,000-character name or a binary blob is refused with its row and field named.
FIELD_LENGTHS = {"police_ref": 40, "incident_date": 40, "incident_time": 20, "forename": 60, "surname": 60,
                 "dob": 40, "school": 200, "level": 20, "dash_risk": 20}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL and other control characters (not tab/newline)
_LEVEL = re.compile(r"(?:level\s*)?([1-4])(?:\.0)?")  # "Level 3", "3", 3.0
SAMPLE_ROWS = 10  # rows shown as they will be saved, before the co-ordinator presses Import
# A sheet longer than this is written as a bulk load, on every core (see db.transaction): past DuckDB's limit
# for index lookups (index_scan_max_count, 2,048) its children are found by scanning every child on record,
# and that scan wants them (20,000 rows into a national-size database: 1.05 s on two threads, 1.08 s on one).
BULK_ROWS = 2_048
DASH_VALUES = {"standard": "standard", "std": "standard", "s": "standard", "low": "standard",
               "medium": "medium", "med": "medium", "m": "medium", "high": "high", "h": "high"}


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(header).lower()).strip()


SYNONYMS = {header_key(s): f for f, (_, _, syns) in FIELDS.items() for s in syns}


class SheetError(ValueError):
    """The file cannot be processed as a whole; nothing was committed."""


@dataclass
class Rejection:
    row: int
    field: str
    reason: str


@dataclass
class ImportResult:
    filename: str
    sheet_id: int | None = None
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    needs_review: int = 0
    history_review: int = 0          # matched by name, but not to the school the child was last confirmed at
    matched: int = 0
    no_school: int = 0
    repeat_children: int = 0
    already_imported: bool = False
    committed: bool = False
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)  # the first rows as they will be saved (names: the page only)

    def as_dict(self) -> dict:
        return {"sheet_id": self.sheet_id, "rows": self.rows, "imported": self.imported,
                "duplicates": self.duplicates, "rejected": self.rejected, "needs_review": self.needs_review,
                "history_review": self.history_review, "matched": self.matched, "no_school": self.no_school,
                "repeat_children": self.repeat_children,
                "already_imported": self.already_imported, "committed": self.committed,
                "rejections": [vars(r) for r in self.rejections],
                "warnings": [vars(w) for w in self.warnings]}


@dataclass
class HeaderMap:
    columns: dict[int, str]          # column index -> field
    unknown: list[str]               # headers neither recognised nor remembered
    missing: list[str]               # required fields with no column


def map_headers(headers: list[str], remembered: dict[str, str], chosen: dict[str, str] | None = None) -> HeaderMap:
    """Column index -> field, from synonyms, remembered mappings and this upload's choices.

    `chosen` maps a header's key to a field, or to "" to ignore it.
    """
    chosen = chosen or {}
    columns, unknown, taken = {}, [], set()
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        target = chosen.get(key, remembered.get(key, SYNONYMS.get(key)))
        if target and target in FIELDS and target not in taken:
            columns[index] = target
            taken.add(target)
        elif target is None and key not in chosen:
            unknown.append(header)
    missing = [f for f in REQUIRED if f not in taken]
    return HeaderMap(columns, unknown, missing)


def limits(con) -> spreadsheet.Limits:
    """How big a sheet may be, from the settings."""
    values = settings.all_settings(con)
    return spreadsheet.Limits(max_bytes=int(values["max_sheet_mb"]) * 2**20, max_rows=int(values["max_sheet_rows"]))


def remembered_headers(con) -> dict[str, str]:
    return dict(con.execute("select header_norm, field from header_mappings").fetchall())


class Row(NamedTuple):
    """A row that can be imported. A tuple, so that a sheet's rows are made, and turned into columns, by the
    interpreter's own loops (see validate and _write)."""
    number: int
    police_ref: str
    incident_at: datetime
    has_time: bool
    forename: str
    surname: str
    dob: date
    school: str
    level: int | None
    dash_risk: str | None
    child_key: tuple[str, date]  # the child's identity: normalised name (normalise.name_key) and DOB


def validate(table: spreadsheet.Table, hmap: HeaderMap,
             today: date) -> tuple[list[Row], list[Rejection], list[Rejection]]:
    """Rows that can be imported, rows rejected (with row and field), and warnings on kept rows.

    Each column is read once for the whole sheet (a value repeated down a column, such as a date or a level,
    is read once), then each row is judged from its cells: the first problem in the order below rejects it."""
    rejected, width = [], len(table.headers)
    formula_columns: dict[int, int] = {}  # row number -> its first mapped column holding a formula
    for number, index in sorted(table.formulas):
        if index in hmap.columns:
            formula_columns.setdefault(number, index)
    if formula_columns:
        rows = []
        for number, cells in table.rows:
            if number in formula_columns:
                f = hmap.columns[formula_columns[number]]
                rejected.append(Rejection(number, f, f"{LABELS[f]} is a formula, not a typed value: type the value "
                                                     "in and re-export"))
            elif _has_content(cells[:width]):
                rows.append((number, cells))
    else:
        rows = [row for row in table.rows if _has_content(row[1][:width])]  # a fully blank row is not a row
    column = _columns(rows, hmap.columns)
    empty = (None,) * len(rows)
    refused: dict[int, tuple[str, str]] = {}  # position -> (field, why): the first refused cell, in column order
    for f in hmap.columns.values():
        for position, why in _refused_cells(column[f], f).items():
            refused.setdefault(position, (f, why))
    refs = list(map(str.upper, _texts(column["police_ref"])))
    forenames, surnames = _texts(column["forename"]), _texts(column["surname"])
    name_keys = normalise.name_keys(forenames, surnames)
    schools = _texts(column.get("school", empty))
    pivot = today.year % 100
    incidents = _each(column["incident_date"], lambda v: _read(spreadsheet.parse_datetime, v, pivot))
    births = _each(column["dob"], lambda v: _read(_birth_date, v, pivot))
    times = _each(column.get("incident_time", empty), _read_time)
    levels = _each(column.get("level", empty), _read_level)
    dashes = _each(column.get("dash_risk", empty), _read_dash)
    latest = today + timedelta(days=1)
    good, warnings = [], []
    for k, ((number, _), ref, forename, surname, incident, birth, (moment, time_why), (level, level_why),
            (dash, dash_why), school, name_key) in enumerate(zip(rows, refs, forenames, surnames, incidents, births,
                                                                 times, levels, dashes, schools, name_keys)):
        if k in refused or not (ref and forename and surname) or incident[1] or birth[1]:
            problem = refused.get(k) or _first_problem(ref, forename, surname, incident, birth)
            rejected.append(Rejection(number, *problem))
            continue
        incident_at, has_time = incident[0]
        dob = birth[0]
        if moment is not None:
            incident_at, has_time = datetime.combine(incident_at.date(), moment), True
        day = incident_at.date()
        if day > latest:
            rejected.append(Rejection(number, "incident_date", f"the incident date {incident_at:%d/%m/%Y} is in the "
                                      "future"))
            continue
        if dob > day:
            rejected.append(Rejection(number, "dob", f"the date of birth {dob:%d/%m/%Y} is after the incident "
                                      f"({incident_at:%d/%m/%Y})"))
            continue
        age = calendar.age_on(dob, day)
        if age >= 18:
            rejected.append(Rejection(number, "dob", f"the child would be {age} at the incident: 18 or over is not "
                                      "a child"))
            continue
        if moment is None and time_why:
            warnings.append(Rejection(number, "incident_time", f"{LABELS['incident_time']}: {time_why}; date kept"))
        if level_why:
            warnings.append(Rejection(number, "level", level_why))
        if dash_why:
            warnings.append(Rejection(number, "dash_risk", dash_why))
        good.append((number, ref, incident_at, has_time, forename, surname, dob, school, level, dash, (name_key, dob)))
    rejected.sort(key=lambda r: r.row)
    return list(map(_as_row, good)), rejected, warnings


_as_row = functools.partial(tuple.__new__, Row)  # a tuple of Row's fields as a Row, without a Python call


LABELS = {f: label for f, (label, _, _) in FIELDS.items()}
_BLANK = "blank"  # what _read returns as the reason for an empty cell


def _has_content(cells: list) -> bool:
    """Whether any cell holds something (see spreadsheet._blank); most rows answer at their first cell."""
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return True
    return False


def _columns(rows: list[tuple[int, list]], columns: dict[int, str]) -> dict[str, tuple]:
    """field -> its cells, one per row (None where a short row stops before the column): the sheet turned into
    columns by the interpreter's own loops, not one Python step per cell."""
    indexes = list(columns)
    grid = [cells for _, cells in rows]
    reach = max(indexes) + 1
    if min(map(len, grid), default=reach) < reach:  # a CSV row may stop early
        grid = [cells if len(cells) >= reach else [*cells, *[None] * (reach - len(cells))] for cells in grid]
    pick = operator.itemgetter(*indexes) if len(indexes) > 1 else lambda cells: (cells[indexes[0]],)
    picked = list(zip(*map(pick, grid))) or [()] * len(indexes)
    return dict(zip(columns.values(), picked))


def _all_text(values) -> bool:
    return set(map(type, values)) == {str}


def _refused_cells(values, f: str) -> dict[int, str]:
    """Cells of one column refused outright (position -> why): a control character such as NUL, or text far
    longer than the field can hold. One search over the whole column finds none in an ordinary sheet."""
    strings = values if _all_text(values) else [v for v in values if isinstance(v, str)]
    limit = FIELD_LENGTHS[f]
    joined = "".join(strings)
    # Text that is all printable holds no control character: a test in C, before the expression's slower search.
    if not strings or ((joined.isprintable() or not _CONTROL.search(joined)) and max(map(len, strings)) <= limit):
        return {}
    refused = {}
    for position, value in enumerate(values):
        if not isinstance(value, str):
            continue
        if _CONTROL.search(value):
            refused[position] = f"{LABELS[f]} contains a control character (such as NUL): not text a person typed"
        elif len(value) > limit and len(value.strip()) > limit:
            refused[position] = (f"{LABELS[f]} is {len(value.strip()):,} characters long; at most {limit} are "
                                 "accepted")
    return refused


def _texts(values) -> list[str]:
    """A column's cells as trimmed text (see spreadsheet.text). A column of text that is already tidy, as a
    police export is, is taken as it is: one test over all of it (cells joined by "|") finds no cell with a space
    at either end, none with two together, and nothing but printable characters, so no whitespace but the plain
    space (every other kind Python knows is unprintable)."""
    if _all_text(values):
        joined = "|".join(values)
        if (joined.isprintable() and "  " not in joined and "| " not in joined and " |" not in joined
                and not joined.startswith(" ") and not joined.endswith(" ")):
            return list(values)
    return [" ".join(v.split()) if type(v) is str else spreadsheet.text(v) for v in values]


def _each(values, read) -> list:
    """read(value) for each cell, once per distinct value (a type with its value: 1 is not 1.0 is not True). A
    column of one type, as a police export is, is looked up by value alone."""
    if len(set(map(type, values))) == 1:
        seen = {value: read(value) for value in dict.fromkeys(values)}
        return list(map(seen.__getitem__, values))
    keys = list(zip(map(type, values), values))
    seen = {key: read(key[1]) for key in dict.fromkeys(keys)}
    return list(map(seen.__getitem__, keys))


def _read(parse, value, *args) -> tuple:
    """(parsed, None), (None, why it cannot be read), or (None, _BLANK) for an empty cell."""
    if spreadsheet._blank(value):
        return None, _BLANK
    try:
        return parse(value, *args), None
    except ValueError as exc:
        return None, str(exc)


def _birth_date(value, century_pivot: int) -> date:
    """A date of birth as the date alone (see spreadsheet.parse_datetime); a date cell is one already."""
    if type(value) is date:
        return value
    return spreadsheet.parse_datetime(value, century_pivot)[0].date()


def _first_problem(ref: str, forename: str, surname: str, incident: tuple, birth: tuple) -> tuple[str, str] | None:
    """What rejects a row before its dates are compared: a required field empty, or a date that cannot be read."""
    for f, v in (("police_ref", ref), ("forename", forename), ("surname", surname)):
        if not v:
            return f, f"{LABELS[f]} is empty"
    for f, (_, why) in (("incident_date", incident), ("dob", birth)):
        if why == _BLANK:
            return f, f"{LABELS[f]} is empty"
    for f, (_, why) in (("incident_date", incident), ("dob", birth)):
        if why:
            return f, f"{LABELS[f]}: {why}"
    return None


def _read_time(value) -> tuple:
    """(time, None), (None, a warning: the row keeps its date alone), or (None, None) for no time."""
    moment, why = _read(spreadsheet.parse_time, value)
    return moment, None if why == _BLANK else why


def _read_level(value) -> tuple[int | None, str | None]:
    """(level, None), or (None, a warning: the row is kept with no level)."""
    if spreadsheet._blank(value):
        return None, None
    m = _LEVEL.fullmatch(spreadsheet.text(value).lower())
    if m:
        return int(m.group(1)), None
    return None, f"{LABELS['level']} '{value}' is not 1-4; left blank"


def _read_dash(value) -> tuple[str | None, str | None]:
    """(DASH risk, None), or (None, a warning: the row is kept with no DASH risk)."""
    if spreadsheet._blank(value):
        return None, None
    dash = DASH_VALUES.get(spreadsheet.text(value).lower())
    if dash is None:
        return None, f"{LABELS['dash_risk']} '{value}' is not standard, medium or high; left blank"
    return dash, None


def import_sheet(con, data: bytes, filename: str, username: str, source: str = "upload",
                 chosen_headers: dict[str, str] | None = None, commit: bool = True,
                 kind: str = "domestic_abuse") -> ImportResult:
    """Validate and import one file. With commit=False nothing is written (the preview).

    Raises SheetError when the file cannot be processed as a whole (unreadable, required
    columns missing); then nothing is committed.
    """
    with _importing():
        return _import(con, data, filename, username, source, chosen_headers, commit, kind)


class _ImportMode:
    """While any import runs in this process, two of Python's own settings suit it better (the first import to
    start sets them, the last to finish puts them back):

    - The cycle collector waits. An import builds hundreds of thousands of small objects (cells, rows, keys) and
      no reference cycles, yet each of them would set the collector walking every live object in the process:
      0.14 s of a 20,000-row import went there.
    - Python's lock changes hands every 0.5 ms, not every 5. The import's helper threads (the school scoring,
      the sheet check's second scan) and DuckDB each need the lock back for a moment between long stretches
      without it, and waited up to 5 ms each time: a 20,000-row import 40 ms (5%) quicker."""

    QUICK_HANDOFF = 0.0005

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._saved: tuple[bool, float] = (True, sys.getswitchinterval())

    @contextlib.contextmanager
    def __call__(self):
        with self._lock:
            if not self._running:
                self._saved = (gc.isenabled(), sys.getswitchinterval())
                gc.disable()
                sys.setswitchinterval(self.QUICK_HANDOFF)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    collector_was_on, interval = self._saved
                    sys.setswitchinterval(interval)
                    if collector_was_on:
                        gc.enable()


_importing = _ImportMode()


def _import(con, data, filename, username, source, chosen_headers, commit, kind) -> ImportResult:
    result = ImportResult(filename)
    content_hash = hashlib.sha256(data).hexdigest()
    try:
        table = spreadsheet.read_table(data, filename, limits(con))
    except spreadsheet.UnreadableFile as exc:
        raise SheetError(str(exc)) from None
    hmap = map_headers(table.headers, remembered_headers(con), chosen_headers)
    if hmap.missing:
        names = ", ".join(FIELDS[f][0] for f in hmap.missing)
        raise SheetError(f"{filename}: no column for {names}"
                         + (f" (unrecognised headers: {', '.join(hmap.unknown)})" if hmap.unknown else ""))
    early = _score_schools_early(con, table, hmap)  # runs while the rows are checked
    rows, rejected, warnings = validate(table, hmap, clock.today())
    result.rows = len(rows) + len(rejected)
    result.warnings = warnings

    try:
        with db.transaction(con, bulk=len(rows) > BULK_ROWS) as cur:
            # Checked inside the write lock, so two people importing one file cannot both succeed.
            previous = cur.execute("select id from sheets where content_hash = ?", [content_hash]).fetchone()
            if previous:  # the same file again: every row is a duplicate of what is already in
                result.sheet_id, result.already_imported = previous[0], True
                result.duplicates = result.rows
                return result
            result.rejections, result.rejected = rejected, len(rejected)
            _write(cur, result, rows, filename, content_hash, username, source, chosen_headers or {}, kind, early)
            if not commit:
                raise _Preview
    except _Preview:
        return result
    result.committed = True
    return result


class _Preview(Exception):
    """Raised inside the transaction to roll a preview back."""


def _write(cur, result: ImportResult, rows: list[Row], filename, content_hash, username, source, chosen, kind,
           early: matching.EarlyScores | None):
    now = clock.now()
    result.sheet_id = db.run(cur, "sheets/insert", {
        "filename": filename, "content_hash": content_hash, "source": source, "now": now,
        "username": username}).fetchone()[0]

    # Incidents already known whose date disagrees with this sheet: a typo somewhere; reject, don't guess.
    refs = sorted({r.police_ref for r in rows})
    known = {r["police_ref"]: r for r in db.rows(cur, "sheets/known_incidents", {"refs": refs})} if refs else {}
    seen_pairs = _known_pairs(cur, known)  # (police reference, child identity): a second one is a duplicate
    day_of = {ref: r["incident_at"].date() for ref, r in known.items()}  # else its first row's, in this sheet
    keep = []
    for r in rows:
        pair = (r.police_ref, r.child_key)
        if pair in seen_pairs:
            result.duplicates += 1
            continue
        day = r.incident_at.date()
        if (recorded := day_of.setdefault(r.police_ref, day)) != day:
            result.rejections.append(Rejection(
                r.number, "incident_date",
                f"police reference {r.police_ref} is already recorded with incident date {recorded:%d/%m/%Y}"))
            continue
        seen_pairs.add(pair)
        keep.append(r)
    result.rejections.sort(key=lambda j: j.row)
    result.rejected = len(result.rejections)
    result.imported = len(keep)

    if keep:
        # The rows to save, column by column: a sheet can hold tens of thousands of rows.
        by_field = dict(zip(Row._fields, map(list, zip(*keep))))
        columns = {"sheet_row": by_field["number"],
                   **{f: by_field[f] for f in ("police_ref", "incident_at", "has_time", "forename", "surname", "dob")},
                   "name_key": [key for key, _ in by_field["child_key"]],
                   "school_text": [school or None for school in by_field["school"]],
                   "school_norm": list(map(normalise.school_text, by_field["school"])),
                   "level": by_field["level"], "dash_risk": by_field["dash_risk"]}
        rows_table = pa.table(columns)
        params = {"sheet_id": result.sheet_id, "now": now, "kind": kind}
        # Every step finds its rows by the sheet's own keys (police references, child identities, ids; see db
        # for how). Only what is new is inserted: ON CONFLICT would cost as much as the table is big, and the
        # unique keys still guard against a second copy.
        keys = {"keys": sorted({r.child_key[0] for r in keep})}
        known_children = {(r["name_key"], r["dob"]): r["id"] for r in db.rows(cur, "sheets/children_by_key", keys)}
        new_incident = pa.array([r.police_ref not in known for r in keep])
        with db.registered(cur, "new_incidents", rows_table.filter(new_incident)):
            inserted_incidents = db.run(cur, "sheets/insert_incidents", params).fetchall()
        new_child = [r.child_key not in known_children for r in keep]
        with db.registered(cur, "new_children", rows_table.filter(pa.array(new_child))):
            inserted_children = db.run(cur, "sheets/insert_children", params).fetchall()
        # The ids: the known ones found above, the new ones as they were inserted (no second search).
        incident_ids = {ref: r["id"] for ref, r in known.items()} | {ref: i for i, ref in inserted_incidents}
        child_ids = {**known_children, **{(key, dob): i for i, key, dob in inserted_children}}
        new_incidents = [i for i, _ in inserted_incidents]
        # Matched after the incidents and children are in: a long sheet's schools may still be being scored.
        found = _match(cur, keep, columns["school_norm"], early)
        columns.update({"match_status": [m.status for m in found], "urn": [m.urn for m in found],
                        "match_method": [m.method for m in found], "match_reason": [m.reason for m in found]})
        result.sample = [{
            "Row": r.number, "Police ref": r.police_ref,
            "Incident": f"{r.incident_at:%d/%m/%Y %H:%M}" if r.has_time else f"{r.incident_at:%d/%m/%Y}",
            "Child": f"{r.forename} {r.surname}", "Born": f"{r.dob:%d/%m/%Y}", "School as typed": r.school,
            "School found": _found(m),
            "Level": "" if r.level is None else r.level, "DASH": r.dash_risk or ""}
            for r, m in zip(keep[:SAMPLE_ROWS], found)]
        for name in ("match_status", "urn", "match_method", "match_reason"):
            rows_table = rows_table.append_column(name, pa.array(columns[name]))
        incident_of_row = list(map(incident_ids.__getitem__, by_field["police_ref"]))
        child_of_row = list(map(child_ids.__getitem__, by_field["child_key"]))
        rows_table = rows_table.append_column("incident_id", pa.array(incident_of_row))
        rows_table = rows_table.append_column("child_id", pa.array(child_of_row))
        # A child new on this sheet, on one row of it, has one incident: a repeat fact of 1 (facts, seen_12m).
        # Every other child's, and every known incident's sibling count, are counted afresh from history.
        rows_of_child = Counter(by_field["child_key"])
        only_once = [new and rows_of_child[key] == 1 for new, key in zip(new_child, by_field["child_key"])]
        rows_table = rows_table.append_column("seen_12m", pa.array([1 if once else None for once in only_once],
                                                                   pa.int32()))
        with db.registered(cur, "sheet_rows", rows_table):
            inserted = db.run(cur, "sheets/insert_child_incidents", params).fetchall()
        new_ids = [ci for ci, _ in inserted]
        facts.refresh(cur, {child for child, once in zip(child_of_row, only_once) if not once},
                      {incident_ids[ref] for ref in set(by_field["police_ref"]) if ref in known})
        seen_before = {child for child, new in zip(child_of_row, new_child) if not new}
        # Only a child seen before this sheet can have been confirmed at another school.
        result.history_review = _check_history(cur, [ci for ci, child in inserted if child in seen_before])
        # Every child is accounted for in this same transaction: a notification queued for each one whose
        # school (or LA, or EHE officer) is decided, and each open one in the ledger.
        notifications.queue(cur, new_ids, now)
        ledger.sync(cur, new_ids, created=True)
        triage.sync_open(cur, new_incidents)
        counts = Counter(columns["match_status"])
        result.matched = counts["matched"] - result.history_review
        result.no_school = counts["no_school"]
        result.needs_review = counts["review"] + counts["unknown"] + result.history_review
        result.repeat_children = db.scalar(cur, "sheets/repeat_children", {"ids": new_ids})
    if result.rejections:
        with db.registered(cur, "rejections", pd.DataFrame([vars(j) for j in result.rejections])):
            cur.execute("insert into rejected_rows select ?, row, field, reason from rejections", [result.sheet_id])
    db.run(cur, "sheets/set_counts", {
        "id": result.sheet_id, "rows_total": result.rows, "imported": result.imported,
        "duplicates": result.duplicates, "rejected": result.rejected})
    for key, target in chosen.items():  # the co-ordinator mapped an unknown header: remember it
        db.run(cur, "sheets/remember_header", {"header_norm": key, "field": target or "",
                                                       "username": username, "now": now})
    audit.record(cur, username, "import_sheet", "sheet", result.sheet_id, filename=filename,
                 rows=result.rows, imported=result.imported, duplicates=result.duplicates,
                 rejected=result.rejected)


def _known_pairs(cur, known: dict[str, dict]) -> set[tuple]:
    """(police reference, child identity) pairs already imported for these incidents."""
    if not known:
        return set()
    ref_of = {r["id"]: ref for ref, r in known.items()}
    cis = db.rows(cur, "sheets/children_of_incidents", {"ids": sorted(ref_of)})
    children = facts.lookup(cur, "children", (c["child_id"] for c in cis))
    return {(ref_of[c["incident_id"]], (normalise.name_key(children[c["child_id"]]["forename"],
                                                           children[c["child_id"]]["surname"]),
                                        children[c["child_id"]]["dob"])) for c in cis}


def _check_history(cur, ids: list[int]) -> int:
    """A child matched automatically to a school other than the one it was last confirmed at (24 months)
    goes to a person, with that school as the first suggestion. Returns how many."""
    last = matching.last_schools(cur, ids)
    if not last:
        return 0
    conflicts = [{"id": r["id"], "reason": f"last confirmed at {p['name']} on {p['on']:%d/%m/%Y}; "
                  f"the sheet says “{r['school_text'] or ''}”"}
                 for r in db.rows(cur, "sheets/auto_matched", {"ids": ids})
                 if (p := last.get(r["id"])) and p["urn"] != r["urn"]]
    if conflicts:
        with db.registered(cur, "history_conflicts", pd.DataFrame(conflicts)):
            db.run(cur, "sheets/review_history_conflicts")
    return len(conflicts)


def _found(m: matching.Match) -> str:
    """What the preview says became of a row's school."""
    if m.status == "matched":
        return m.name
    if m.status == "no_school":
        return f"no school: for the EHE officer ({m.reason})"
    return f"a person decides: {m.reason}"


def _score_schools_early(con, table: spreadsheet.Table, hmap: HeaderMap) -> matching.EarlyScores | None:
    """Start scoring the sheet's school column against the register (see matching.EarlyScores). This runs
    before the rows are checked, so only text a school field may hold is scored: a giant cell is refused by
    validation, never scored."""
    at = next((i for i, f in hmap.columns.items() if f == "school"), None)
    if at is None:
        return None
    limit = FIELD_LENGTHS["school"]
    return matching.EarlyScores.start(con, {text for _, cells in table.rows if at < len(cells)
                                            and isinstance(text := cells[at], str) and len(text) <= limit})


def _match(cur, rows: list[Row], norms: list[str], early: matching.EarlyScores | None) -> list[matching.Match]:
    """Each row's match (`norms`: each row's school as normalise.school_text reads it), each distinct (typed
    school, child's phase) matched once for the whole sheet."""
    matcher = matching.Matcher(cur)
    matcher.prime(norms, early)
    memo: dict[tuple[str, str], matching.Match] = {}
    found = []
    phases = matching.child_phases([r.dob for r in rows], [r.incident_at.date() for r in rows])
    for r, key in zip(rows, zip(norms, phases)):
        if key not in memo:
            memo[key] = matcher.match(r.school, key[1])
        found.append(memo[key])
    return found


def missing_child_notice(con, police_ref: str, forename: str, surname: str, dob, reported_missing,
                         school: str, username: str) -> ImportResult:
    """A missing-child notice typed in by the co-ordinator: checked and stored like a one-row sheet,
    so the same validation, matching and duplicate rules apply; it joins the notification queue."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Police Reference", "Date of Incident", "Child Forename", "Child Surname", "DOB", "School"])
    writer.writerow([police_ref, _as_text(reported_missing), forename, surname, _as_text(dob), school])
    return import_sheet(con, buffer.getvalue().encode(), f"missing-child notice {police_ref}.csv", username,
                        source="missing_notice", kind="missing_child")


def _as_text(value) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, (date, datetime)) else str(value or "")


def sheets_overview(con, limit: int = 20) -> list[dict]:
    return db.rows(con, "sheets/recent", {"limit": limit})


def rejections_of(con, sheet_id: int) -> list[dict]:
    return db.rows(con, "sheets/rejections", {"sheet_id": sheet_id})
