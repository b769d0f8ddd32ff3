"""The `encompass` command's contract, run as a real process against a real database file."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


from .conftest import REFERENCE, child_row, xlsx_bytes

ENCOMPASS = Path(sys.executable).parent / "encompass"


def run(db_path, *args, stdin: str | None = None, check=True):
    proc = subprocess.run([str(ENCOMPASS), "--db", str(db_path), "--json", *map(str, args)],
                          capture_output=True, text=True, input=stdin, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def out(proc):
    return json.loads(proc.stdout)


def test_import_schools_contract(tmp_path):
    db_path = tmp_path / "fresh.duckdb"
    got = out(run(db_path, "import-schools", REFERENCE / "gias_schools_shropshire_area.csv",
                  "--links", REFERENCE / "gias_links_shropshire_area.csv"))
    assert got["schools"] == 232 and got["links"] == 307


def test_import_sheet_contract(db_path, tmp_path):
    sheet = tmp_path / "today.xlsx"
    sheet.write_bytes(xlsx_bytes([child_row(), child_row(), child_row(ref="X/2", dob="99/99/2015"),
                                  child_row(ref="X/3", school="Belvidere")]))
    got = out(run(db_path, "import-sheet", sheet))
    assert {k: got[k] for k in ("rows", "imported", "duplicates", "rejected", "needs_review")} == {
        "rows": 4, "imported": 2, "duplicates": 1, "rejected": 1, "needs_review": 1}
    assert isinstance(got["sheet_id"], int)
    assert got["rejections"] == [{"row": 4, "field": "dob", "reason": got["rejections"][0]["reason"]}]
    status = out(run(db_path, "status"))
    assert {k: status[k] for k in ("schools", "children", "incidents", "child_incidents", "needs_review")} == {
        "schools": 232, "children": 1, "incidents": 2, "child_incidents": 2, "needs_review": 1}  # one child, twice


def test_a_sheet_missing_fields_fails_and_commits_nothing(db_path, tmp_path):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("Police Ref,Forename\nX/1,Ada\n")
    proc = run(db_path, "import-sheet", sheet, check=False)
    assert proc.returncode != 0
    assert "Date of birth" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert out(run(db_path, "status"))["child_incidents"] == 0


def test_match_school_contract(db_path):
    got = out(run(db_path, "match-school", "Hinstock Primary", "Belvidere", "Home Educated", "Qwxz"))
    assert [g["status"] for g in got] == ["matched", "review", "no_school", "unknown"]
    assert got[0]["urn"] == 150398 and got[0]["name"] == "Hinstock Primary School"
    assert got[1]["urn"] is None and got[1]["candidates"][0] == {
        "urn": 146506, "name": "Belvidere School", "score": 1.0, "reason": "same name"}
    assert set(got[1]["candidates"][0]) >= {"urn", "name", "score"}


def test_next_school_day(db_path):
    got = out(run(db_path, "next-school-day", "2026-02-13T20:00"))  # Friday before February half-term
    assert got == {"next_school_day": "2026-02-23", "due_by": "2026-02-23T08:30", "known_calendar": True}
    got = out(run(db_path, "next-school-day", "2026-11-27T20:00"))  # beyond the bundled term dates
    assert got["next_school_day"] == "2026-11-30" and got["known_calendar"] is False


def test_users_add_reads_the_password_from_stdin(db_path):
    got = out(run(db_path, "users", "add", "nurse1", "--role", "triage", "--agency", "Health",
                  stdin="kettle viaduct pebble\n"))
    assert got == {"username": "nurse1", "roles": ["triage"], "agency": "Health"}
    listed = out(run(db_path, "users", "list"))
    assert [u["username"] for u in listed] == ["nurse1"]
    proc = run(db_path, "users", "add", "x", "--role", "manager", stdin="short\n", check=False)
    assert proc.returncode == 1 and "at least" in proc.stderr


def test_a_locked_database_gets_one_line_not_a_traceback(db_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db_path)!r})
        print("ready", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        proc = run(db_path, "status", check=False)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "in use by another process" in lines[0] and "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_the_cli_never_imports_streamlit(db_path):
    code = ("import sys; from encompass import cli; cli.main(['--db', sys.argv[1], 'status']); "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    proc = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_demo_refuses_a_database_with_real_data(db_path, tmp_path):
    sheet = tmp_path / "s.xlsx"
    sheet.write_bytes(xlsx_bytes([child_row()]))
    run(db_path, "import-sheet", sheet)
    proc = run(db_path, "demo", check=False)
    assert proc.returncode == 1 and "real data" in proc.stderr
    assert out(run(db_path, "demo", "--if-empty")) == {"skipped": True}
