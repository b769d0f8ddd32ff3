"""What the benchmarks share: pinned demo databases (built once, kept in bench/out/), interleaved timing with
medians, the machine's load beside every ratio, and AppTest page runs.

Every benchmark measures its candidate and its baseline in the same run, alternating them, and prints
medians: these machines are noisy, so only ratios measured together mean anything.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
# The service clock stands still for the benchmarks: the same demo, the same "today", whatever the date.
PINNED_NOW = "2026-11-25T07:30"
os.environ["ENCOMPASS_NOW"] = PINNED_NOW

from encompass import db, demo  # noqa: E402


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _fingerprint() -> str:
    """Demo databases are rebuilt when what shapes them changes: the demo, its SQL, the schema (a national one
    takes two minutes to build, so other query changes do not count)."""
    digest = hashlib.sha256(f"{PINNED_NOW} {db.ROW_GROUP_ROWS}".encode())  # the row groups it is written in
    shaping = [ROOT / "encompass" / "demo.py", ROOT / "queries" / "definitions.sql",
               *(ROOT / "queries" / "demo").glob("*.sql"), *(ROOT / "queries" / "schema").glob("*.sql")]
    for path in sorted(shaping):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_db(scale: float, years: int | None = None, seed: int = 7) -> Path:
    """A demo database of this size, built once per code version and kept; callers copy it."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"demo-{scale:g}x-{years or 'default'}y-{seed}-{_fingerprint()}.duckdb"
    if not path.exists():
        for old in OUT.glob(f"demo-{scale:g}x-{years or 'default'}y-{seed}-*"):  # older versions, half-built ones
            old.unlink()
        started = time.perf_counter()
        partial = path.with_suffix(".building")
        for leftover in (partial, partial.with_name(partial.name + ".wal")):  # a build that was interrupted
            leftover.unlink(missing_ok=True)
        con = db.connect(partial)
        demo.build(con, scale=scale, years=years, seed=seed)
        con.execute("checkpoint")
        con.close()
        partial.rename(path)
        print(f"  built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def copy_of(template: Path, work: Path, name: str) -> Path:
    """A copy of a demo database, written through to the disk before anything is timed on it: otherwise the
    first checkpoint's fsync would flush the whole fresh copy (0.2 s for a national one) and bill that to
    whatever was being measured. A database in service never has its whole file waiting to be written."""
    target = work / name
    shutil.copy(template, target)
    with open(target, "rb+") as copied:
        os.fsync(copied.fileno())
    return target


def child_incidents(path: Path) -> int:
    con = db.connect(path)
    try:
        return con.execute("select count(*) from child_incidents").fetchone()[0]
    finally:
        con.close()


def interleave(candidates: dict[str, callable], runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Run each callable in turn, round after round; the first `warmup` rounds are not counted."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for n in range(runs + warmup):
        for name, run in candidates.items():
            elapsed = run()
            if n >= warmup:
                times[name].append(elapsed)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio_line(label: str, candidate: list[float], baseline: list[float], target: str, unit: str = "s") -> str:
    """One benchmark's line: each side's median and the ratio. `candidate` and `baseline` are times of the same
    rounds, in order (see interleave); the ratio is the median of each round's own ratio, because a round's two
    runs are seconds apart and a burst of load on a shared host falls on both. The ratio of the two medians is
    printed beside it: far apart, the two say the machine was too noisy for this run to mean much."""
    ratio = statistics.median(c / b for c, b in zip(candidate, baseline, strict=True))
    of_medians = median(candidate) / median(baseline)
    scale = 1000 if unit == "ms" else 1
    return (f"{label:<44} {median(candidate) * scale:8.3f} {unit} vs {median(baseline) * scale:8.3f} {unit}  "
            f"ratio {ratio:5.2f}x (of medians {of_medians:5.2f}x; target {target})  [{load()}]")


def signed_in(path: Path, username: str) -> dict:
    """A browser session's state after a password login: a real server-side session on the database."""
    from encompass import auth
    con = db.connect(path)
    try:
        sid = auth.start_session(con, username, "bench")
    finally:
        con.close()
    return {"authentication_status": True, "username": username, "encompass_sid": sid}


class Page:
    """One signed-in browser session of the app through AppTest, on one database, for timing page runs."""

    def __init__(self, path: Path, username: str, page: str, **state):
        from streamlit.testing.v1 import AppTest
        # AppTest's session-state writes outside a script run warn each time; the figures are what matters here.
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
        os.environ["ENCOMPASS_DB"] = str(path)
        self.at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        for key, value in signed_in(path, username).items():
            self.at.session_state[key] = value
        for key, value in state.items():
            self.at.session_state[key] = value
        self.at.run()
        self.at.switch_page(page)
        self.path = path

    def run(self) -> float:
        os.environ["ENCOMPASS_DB"] = str(self.path)  # app.py opens the database named here, cached per path
        start = time.perf_counter()
        self.at.run()
        elapsed = time.perf_counter() - start
        assert not self.at.exception, self.at.exception
        return elapsed
