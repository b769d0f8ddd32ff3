"""Benchmark: the Statistics page on national-size data against two-year Shropshire-size data.

Each measurement is a new process (so DuckDB's buffers are cold and the page's cache is empty, as for the
first manager of the morning): it signs a manager in through AppTest, then times the Statistics page's script
run with the numbers computed afresh, and a second run served from the page's cache. Small and national
processes alternate; medians of --runs (>= 5). Targets: afresh <= 1.5x, cached <= 1.1x.
Usage: python bench/statistics_page.py [--runs 5] [--scale 150]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, child_incidents, copy_of, demo_db, load, ratio_line, signed_in  # noqa: E402


def worker(path: str) -> None:
    """In a new process: the page afresh, then from its cache. Prints {"afresh": s, "cached": s}."""
    from streamlit.testing.v1 import AppTest
    os.environ["ENCOMPASS_DB"] = path
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, value in signed_in(Path(path), "manager").items():
        at.session_state[key] = value
    at.run()  # signs in and lands on Statistics: warms Python's imports, not the numbers
    at.switch_page("pages/statistics.py")
    import streamlit as st
    st.cache_data.clear()
    times = {}
    for label in ("afresh", "cached"):
        start = time.perf_counter()
        at.run()
        times[label] = time.perf_counter() - start
        assert not at.exception, at.exception
    print(json.dumps(times))


def measure(path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", str(path)], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ))
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=150)
    ap.add_argument("--worker")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    print(f"Statistics page, national against two-year, medians of {args.runs} new processes [{load()}]", flush=True)
    work = Path(tempfile.mkdtemp(prefix="encompass-stats-bench-"))
    try:
        small = copy_of(demo_db(1), work, "small.duckdb")
        national = copy_of(demo_db(args.scale), work, "national.duckdb")
        print(f"  two-year: {child_incidents(small):,} child-incidents; national: {child_incidents(national):,}")
        runs = {"small": [], "national": []}
        measure(small), measure(national)  # the first processes warm the operating system's file cache
        for _ in range(args.runs):
            runs["small"].append(measure(small))
            runs["national"].append(measure(national))
        for label, target in (("afresh", "<= 1.5x"), ("cached", "<= 1.1x")):
            print(ratio_line(f"Statistics page, {label}", [r[label] for r in runs["national"]],
                             [r[label] for r in runs["small"]], target, "ms"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
