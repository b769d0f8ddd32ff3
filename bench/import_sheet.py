"""Benchmark: importing a 20,000-row daily sheet against a bare pandas read of the same file.

Both run as whole processes (interpreter start-up and imports included), interleaved, several
times; the medians and their ratio are printed. Target: the import takes at most 3x the bare read.
Usage: python bench/import_sheet.py [--rows 20000] [--runs 5]
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from encompass import db, demo  # noqa: E402

BIN = Path(sys.executable).parent


def make_sheet(path: Path, rows: int, con) -> None:
    rng = random.Random(20_000)
    gen = demo._Generator(rng, con, *_schools(con), scale=1)  # the demo's own typing mistakes
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("DA incidents")
    ws.append(["Police Reference", "Date of Incident", "Time", "Child Forename", "Child Surname", "DOB",
               "School Attended", "Level", "DASH Risk"])
    day = date(2026, 10, 1)
    for n in range(rows):
        if n % 2 == 0:  # two children to an incident: siblings share the reference and the date
            incident = day - timedelta(days=rng.randint(0, 60))
        child = gen._new_child(incident, rng.choice(demo.SURNAMES))
        ws.append([f"BENCH/{n // 2:06d}/26", incident, f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                   child.forename, f"{child.surname}{n}", child.dob, gen._typed(child),
                   f"Level {rng.randint(1, 4)}", rng.choice(["Standard", "Medium", "High"])])
    book.save(path)


def _schools(con):
    rows = db.rows(con, "demo/open_schools", {"home": None})
    return ([s for s in rows if s["phase_group"] in ("primary", "all")],
            [s for s in rows if s["phase_group"] in ("secondary", "all")])


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encompass-bench-"))
    try:
        template = work / "template.duckdb"
        con = db.connect(template)
        demo.ensure_reference(con)
        sheet = work / "sheet.xlsx"
        make_sheet(sheet, args.rows, con)
        con.close()
        bare_cmd = [sys.executable, "-c",
                    f"import pandas; pandas.read_excel({str(sheet)!r}, engine='calamine')"]
        imports, bares = [], []
        for run in range(args.runs):
            target = work / f"run{run}.duckdb"
            shutil.copy(template, target)
            import_cmd = [str(BIN / "encompass"), "--db", str(target), "--json", "import-sheet", str(sheet)]
            bares.append(timed(bare_cmd))
            imports.append(timed(import_cmd))
        check = db.connect(work / "run0.duckdb")
        imported = check.execute("select count(*) from child_incidents").fetchone()[0]
        check.close()
        bare, full = statistics.median(bares), statistics.median(imports)
        print(f"rows in sheet:            {args.rows} ({imported} imported)")
        print(f"bare pandas read (median of {args.runs}): {bare:.2f} s")
        print(f"encompass import-sheet (median of {args.runs}): {full:.2f} s")
        print(f"ratio: {full / bare:.2f}x (target <= 3x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
