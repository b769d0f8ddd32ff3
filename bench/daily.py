"""Benchmark: the morning's work on a national-size database against a two-year one, and the Send page with a
two-week backlog against a quiet day.

- Today, Send, Triage and Meeting mode page runs (AppTest, signed in), and `queue` with nothing new and the
  import of a 50-row sheet (in process, no start-up), on a national-size demo (--scale 150, ten years,
  about 2.6 million child-incidents) against a two-year Shropshire-size one, both with the day's sheet
  loaded. Target: every ratio <= 1.5x.
- The Send page with 500 notifications queued for 200 schools against 5 queued. Target <= 1.5x.
Interleaved, medians of --runs (>= 5), the machine's load printed beside each ratio.
Usage: python bench/daily.py [--runs 5] [--scale 150]
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Page, child_incidents, copy_of, demo_db, interleave, load, ratio_line  # noqa: E402

from encompass import clock, db, notifications, sheets  # noqa: E402
from tests.conftest import xlsx_bytes  # noqa: E402

HEADERS = ["Police Ref", "Incident Date", "Forename", "Surname", "DOB", "School", "Level", "DASH"]
_refs = itertools.count(1)


def day_sheet(con, n: int, schools: int, tag: str) -> bytes:
    """n children on yesterday's incidents at up to `schools` schools (typed as their registered names)."""
    names = [r[0] for r in con.execute(
        "select name from schools where status = 'Open' and in_register order by urn limit ?", [schools]).fetchall()]
    day = clock.today() - timedelta(days=1)
    rows = []
    for k in range(n):
        ref = f"B{tag}/{next(_refs):06d}"
        dob = date(2012, 1, 1) + timedelta(days=k * 37 % 3000)
        rows.append([ref, f"{day:%d/%m/%Y}", "Bench", f"Child{tag}{k}", f"{dob:%d/%m/%Y}", names[k % len(names)],
                     f"Level {2 + k % 2}", "Medium"])
    return xlsx_bytes(rows, HEADERS)


def settle_demo_days(path: Path) -> None:
    """The same day's work on both: the demo leaves its last days' incidents undecided by the triage (at
    national scale, 150 times as many as at Shropshire's); they are decided at yesterday's meeting, so both
    databases face today's 50-row sheet alone and only the years of history differ."""
    con = db.connect(path)
    try:
        yesterday = clock.today() - timedelta(days=1)
        with db.transaction(con) as cur:
            cur.execute("insert into triage_decisions select o.incident_id, ?, 2, 'No further action', null, "
                        "'bench', ? from triage_open o on conflict do nothing", [yesterday, clock.now()])
            cur.execute("delete from triage_open")
    finally:
        con.close()


def with_sheet(path: Path, n: int, schools: int, tag: str) -> None:
    con = db.connect(path)
    try:
        sheets.import_sheet(con, day_sheet(con, n, schools, tag), f"{tag}.xlsx", "bench")
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=150)
    args = ap.parse_args()
    print(f"Daily work, national against two-year, medians of {args.runs} interleaved runs [{load()}]", flush=True)
    small_template, national_template = demo_db(1), demo_db(args.scale)
    work = Path(tempfile.mkdtemp(prefix="encompass-daily-bench-"))
    try:
        small = copy_of(small_template, work, "small.duckdb")
        national = copy_of(national_template, work, "national.duckdb")
        print(f"  two-year: {child_incidents(small):,} child-incidents; national: {child_incidents(national):,}")
        for path in (small, national):
            settle_demo_days(path)
            with_sheet(path, 50, 40, "TODAY")
        pages = [("Today", "coordinator", "pages/today.py", {}), ("Send", "coordinator", "pages/send.py", {}),
                 ("Triage", "triage-police", "pages/triage.py", {}), ("Meeting mode", "triage-police",
                                                                     "pages/meeting.py", {})]
        for label, user, page, state in pages:
            s, n = Page(small, user, page, **state), Page(national, user, page, **state)
            times = interleave({"small": s.run, "national": n.run}, args.runs)
            print(ratio_line(f"{label} page run", times["national"], times["small"], "<= 1.5x", "ms"),
                  flush=True)

        cons = {"small": db.connect(small), "national": db.connect(national)}

        def queue(name):
            def run():
                start = time.perf_counter()
                notifications.queue_summary(cons[name])
                return time.perf_counter() - start
            return run

        times = interleave({"small": queue("small"), "national": queue("national")}, args.runs)
        print(ratio_line("queue, nothing new", times["national"], times["small"], "<= 1.5x", "ms"),
              flush=True)

        def import_sheet(name):
            def run():
                data = day_sheet(cons[name], 50, 40, name[:1].upper())
                start = time.perf_counter()
                result = sheets.import_sheet(cons[name], data, f"{time.time_ns()}.xlsx", "bench")
                elapsed = time.perf_counter() - start
                assert result.imported == 50, result.as_dict()
                return elapsed
            return run

        times = interleave({"small": import_sheet("small"), "national": import_sheet("national")}, args.runs)
        print(ratio_line("import-sheet, 50 rows", times["national"], times["small"], "<= 1.5x", "ms"),
              flush=True)
        for con in cons.values():
            con.close()

        # The Send page after a two-week mail outage: 500 queued for 200 schools, against 5.
        quiet, backlog = copy_of(small_template, work, "quiet.duckdb"), copy_of(small_template, work, "backlog.duckdb")
        with_sheet(quiet, 5, 5, "QUIET")
        with_sheet(backlog, 500, 200, "BACKLOG")
        q, b = Page(quiet, "coordinator", "pages/send.py"), Page(backlog, "coordinator", "pages/send.py")
        times = interleave({"quiet": q.run, "backlog": b.run}, args.runs)
        print(ratio_line("Send page, 500 queued against 5", times["backlog"], times["quiet"],
                         "<= 1.5x", "ms"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
