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

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from encompass import db, demo  # noqa: E402


def build(path: Path, scale: float) -> int:
    con = db.connect(path)
    demo.build(con, scale=scale)
    rows = con.execute("select count(*) from child_incidents").fetchone()[0]
    con.close()
    return rows


def page_runs(path: Path, runs: int, cold: bool) -> list[float]:
    """Timed script runs of the page. cold: the numbers are computed afresh each time (as after the
    morning's import); warm: they come from the page's cache (as when a manager changes a chart)."""
    os.environ["ENCOMPASS_DB"] = str(path)
    times = []
    for _ in range(runs + 1):  # the first run warms DuckDB's caches and Python's imports: not counted
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "manager"
        at.run()
        at.switch_page("pages/statistics.py")
        if cold:
            st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times[1:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=150)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--national", help="reuse a national-size database built before (copied, not changed)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encompass-stats-bench-"))
    try:
        small, large = work / "shropshire.duckdb", work / "national.duckdb"
        small_rows = build(small, 1)
        started = time.perf_counter()
        if args.national:
            shutil.copy(args.national, large)
            con = db.connect(large)
            large_rows = con.execute("select count(*) from child_incidents").fetchone()[0]
            con.close()
        else:
            large_rows = build(large, args.scale)
        built = time.perf_counter() - started
        print(f"Shropshire-size: {small_rows:>9,} child-incident rows; national-size: {large_rows:,} "
              f"(built in {built:.0f} s); medians of {args.runs} page runs")
        for label, cold in (("computed afresh", True), ("from the page's cache", False)):
            s = statistics.median(page_runs(small, args.runs, cold))
            n = statistics.median(page_runs(large, args.runs, cold))
            print(f"{label:>22}: Shropshire {s:.2f} s, national {n:.2f} s, ratio {n / s:.2f}x (target <= 2x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
