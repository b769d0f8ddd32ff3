"""Benchmark: the Statistics page's script run on national-size data against Shropshire-size data.

Builds two demo databases — Shropshire's volume over two years, and `--scale` times it over ten
years (150 gives about 2.6 million child-incident rows) — then times the page's script run (AppTest,
a manager, the default last-12-months view) several times on each and prints the medians and their
ratio. Target: national within 2x of Shropshire.
Usage: python bench/statistics_page.py [--scale 150] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from encompass import db, demo  # noqa: E402


def build(path: Path, scale: float) -> int:
    con = db.connect(path)
    demo.build(con, scale=scale)
    rows = con.execute("select count(*) from child_incidents").fetchone()[0]
    con.close()
    return rows


def page_runs(path: Path, runs: int) -> list[float]:
    os.environ["ENCOMPASS_DB"] = str(path)
    times = []
    for _ in range(runs + 1):  # the first run warms DuckDB's caches and Python's imports: not counted
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "manager"
        at.run()
        at.switch_page("pages/statistics.py")
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times[1:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=150)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encompass-stats-bench-"))
    try:
        small, large = work / "shropshire.duckdb", work / "national.duckdb"
        small_rows = build(small, 1)
        started = time.perf_counter()
        large_rows = build(large, args.scale)
        built = time.perf_counter() - started
        s, l = statistics.median(page_runs(small, args.runs)), statistics.median(page_runs(large, args.runs))
        print(f"Shropshire-size: {small_rows:>9,} child-incident rows, page run {s:.2f} s (median of {args.runs})")
        print(f"national-size:   {large_rows:>9,} child-incident rows, page run {l:.2f} s (median of {args.runs}); "
              f"built in {built:.0f} s")
        print(f"ratio national/Shropshire: {l / s:.2f}x (target <= 2x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
