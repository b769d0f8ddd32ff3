"""Benchmark: importing a 20,000-row sheet against the bare python_calamine read of the same file, and into a
national-size database against an empty one.

Everything runs in this one process (imports warm, start-up excluded from both sides), interleaved, the median
of --runs rounds (see common.ratio_line):
- import (read, validate, match, write, queue, ledger, statistics) against the bare read that the import
  itself starts with: the honest cost of everything the app adds. Target <= 5x.
- the same import into a copy of the national-size demo against a copy of an empty database (the register
  only): the import must not grow with the history. Target <= 1.2x.
Usage: python bench/import_sheet.py [--rows 20000] [--runs 5] [--scale 150]
"""
from __future__ import annotations

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import python_calamine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import copy_of, demo_db, interleave, load, ratio_line  # noqa: E402

from encompass import db, demo, sheets  # noqa: E402


def make_sheet(rows: int, con) -> bytes:
    """A sheet as the police send it, at scale: two children to an incident, the demo's typing mistakes."""
    rng = random.Random(20_000)
    schools = db.rows(con, "demo/open_schools", {"home": None})
    gen = demo._Generator(rng, con, [s for s in schools if s["phase_group"] in ("primary", "all")],
                          [s for s in schools if s["phase_group"] in ("secondary", "all")], scale=1)
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("DA incidents")
    ws.append(["Police Reference", "Date of Incident", "Time", "Child Forename", "Child Surname", "DOB",
               "School Attended", "Level", "DASH Risk"])
    day = date(2026, 11, 20)
    for n in range(rows):
        if n % 2 == 0:  # two children to an incident: siblings share the reference and the date
            incident = day - timedelta(days=rng.randint(0, 60))
        child = gen._new_child(incident, rng.choice(demo.SURNAMES))
        ws.append([f"BENCH/{n // 2:06d}/26", incident, f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                   child.forename, f"{child.surname}{n}", child.dob, gen._typed(child),
                   f"Level {rng.randint(1, 4)}", rng.choice(["Standard", "Medium", "High"])])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=150)
    args = ap.parse_args()
    print(f"Import of {args.rows:,} rows, medians of {args.runs} interleaved runs in one process [{load()}]",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="encompass-import-bench-"))
    try:
        empty = work / "empty.duckdb"
        con = db.connect(empty)
        demo.ensure_reference(con)
        data = make_sheet(args.rows, con)
        con.close()
        national_template = demo_db(args.scale)
        counter = iter(range(10_000))

        def importing(template: Path):
            def run() -> float:
                path = copy_of(template, work, f"run{next(counter)}.duckdb")
                con = db.connect(path)
                start = time.perf_counter()
                result = sheets.import_sheet(con, data, "bench.xlsx", "bench")
                elapsed = time.perf_counter() - start
                con.close()
                path.unlink()
                assert result.rows == args.rows and result.imported > args.rows * 0.9, result.as_dict()
                return elapsed
            return run

        def bare() -> float:
            start = time.perf_counter()
            sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
            elapsed = time.perf_counter() - start
            assert len(rows) == args.rows + 1
            return elapsed

        times = interleave({"bare": bare, "empty": importing(empty)}, args.runs)
        print(ratio_line("import against the bare calamine read", times["empty"], times["bare"],
                         "<= 5x"), flush=True)
        times = interleave({"empty": importing(empty), "national": importing(national_template)}, args.runs)
        print(ratio_line("import into national against empty", times["national"], times["empty"],
                         "<= 1.2x"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
