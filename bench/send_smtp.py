"""Benchmark: 500 notifications through the app's sender against smtplib.sendmail of pre-built messages.

Both send to the same local SMTP server (aiosmtpd in its own process, discarding mail), each over one
connection, in the same run, interleaved, medians of --runs (>= 5). The baseline sends bytes built before
its clock starts: the fastest honest way to put 500 messages through one connection. The app's sender does
everything a real batch does: claims in committed chunks, renders each template, builds each message,
journals each attempt, records the results. Target: at least half the baseline's throughput.
Usage: python bench/send_smtp.py [--count 500] [--runs 5]
"""
from __future__ import annotations

import argparse
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load  # noqa: E402

from encompass import contacts, db, demo, mailing, matching, notifications, sheets  # noqa: E402
from tests.conftest import xlsx_bytes  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(path: Path, count: int) -> None:
    """A database with `count` matched children at 50 schools that all have contacts."""
    con = db.connect(path)
    demo.ensure_reference(con)
    matcher = matching.Matcher(con)
    schools = [(urn, name) for urn, name in con.execute(
        "select urn, name from schools where status = 'Open' and in_register and name like '%Primary%' order by urn"
    ).fetchall() if matcher.match(name, "primary").urn == urn][:50]
    for urn, _ in schools:
        for role in ("key_contact", "deputy"):
            contacts.save(con, urn, contacts.Contact(role, f"{role} {urn}", f"{role}.{urn}@bench.example.org"), "bench")
    day = date(2026, 11, 20)
    rows = [[f"BENCH/{n:05d}", day.strftime("%d/%m/%Y"), "Child", f"Benchmark{n}",
             (day - timedelta(days=2500 + n % 900)).strftime("%d/%m/%Y"), schools[n % len(schools)][1]]
            for n in range(count)]
    sheets.import_sheet(con, xlsx_bytes(rows, ["Police Ref", "Incident Date", "Forename", "Surname", "DOB", "School"]),
                        "bench.xlsx", "bench")
    queued = con.execute("select count(*) from notifications where status = 'queued'").fetchone()[0]
    assert queued == count, f"every child should be matched and queued ({queued} of {count})"
    con.close()


def app_run(template: Path, work: Path, settings, run: int) -> float:
    path = work / f"app{run}.duckdb"
    shutil.copy(template, path)
    con = db.connect(path)
    start = time.perf_counter()
    result = notifications.send(con, settings, "bench")
    elapsed = time.perf_counter() - start
    con.close()
    assert result.sent == len(result.outcomes), [o for o in result.outcomes if o.status != "sent"][:3]
    return elapsed


def bare_run(port: int, count: int) -> float:
    msgs = [(f"key.{n}@bench.example.org", f"deputy.{n}@bench.example.org",
             mailing.build_message("bench@council.example.org", [f"key.{n}@bench.example.org"],
                                   [f"deputy.{n}@bench.example.org"], f"Operation Encompass notification {n}",
                                   "Dear Designated Safeguarding Lead,\n" + "A line of text.\n" * 20, None)
             .data) for n in range(count)]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, cc, data in msgs:
            smtp.sendmail("bench@council.example.org", [to, cc], data)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encompass-send-bench-"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    try:
        template = work / "template.duckdb"
        prepare(template, args.count)
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        settings = mailing.MailSettings(transport="smtp", host="127.0.0.1", port=port, starttls=False,
                                        sender="bench@council.example.org")
        apps, bares = [], []
        for run in range(args.runs + 1):  # the first round warms the server and the imports: not counted
            bare, app = bare_run(port, args.count), app_run(template, work, settings, run)
            if run:
                bares.append(bare)
                apps.append(app)
        app, bare = statistics.median(apps), statistics.median(bares)
        print(f"Sending {args.count} notifications, medians of {args.runs} interleaved runs [{load()}]")
        print(f"  sendmail of pre-built messages: {bare:.2f} s ({args.count / bare:.0f} msg/s)")
        print(f"  the app's sender:               {app:.2f} s ({args.count / app:.0f} msg/s)")
        print(f"throughput ratio app/baseline: {bare / app:.2f} (target >= 0.5)  [{load()}]")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
