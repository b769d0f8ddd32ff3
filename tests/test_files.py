"""Children's data at rest: owner-only from the first byte, and older files fixed (and said so)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from encompass import files

from .conftest import ROOT

ENCOMPASS = Path(sys.executable).parent / "encompass"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_database_and_its_wal_are_private_even_under_a_permissive_umask(tmp_path):
    """Before: the WAL was 644 in a 755 folder, holding names and police references."""
    folder = tmp_path / "data"
    code = textwrap.dedent(f"""
        import os, stat, json
        os.umask(0o022)  # what a shell usually gives
        from encompass import db
        con = db.connect({str(folder / "e.duckdb")!r})
        con.execute("create table names as select 'Testchild ' || range as name from range(50000)")
        wal = {str(folder / "e.duckdb.wal")!r}
        print(json.dumps({{p: stat.S_IMODE(os.stat(p).st_mode) for p in
                          [{str(folder)!r}, {str(folder / "e.duckdb")!r}, wal] if os.path.exists(p)}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    modes = json.loads(proc.stdout)
    assert str(folder / "e.duckdb.wal") in modes  # the write is still in the log, so the log exists
    assert modes == {str(folder): 0o700, str(folder / "e.duckdb"): 0o600, str(folder / "e.duckdb.wal"): 0o600}


def test_init_makes_older_files_private_and_says_so(tmp_path):
    folder = tmp_path / "data"
    database = folder / "encompass.duckdb"
    outbox = tmp_path / "outbox"
    subprocess.run([str(ENCOMPASS), "--db", str(database), "init"], check=True, capture_output=True, timeout=300)
    (folder / "send-journal").mkdir()
    (folder / "send-journal" / "batch.jsonl").write_text("{}\n")
    (folder / ".encompass-cookie-key").write_text("k" * 64)
    outbox.mkdir()
    (outbox / "20261125-1000-123437-N-1.eml").write_text("Subject: x\n")
    elsewhere = tmp_path / "not-ours.txt"
    elsewhere.write_text("public")
    (outbox / "link.eml").symlink_to(elsewhere)  # a link is never followed
    older = [folder, folder / "send-journal", outbox]
    for path in [*folder.rglob("*"), *outbox.iterdir(), elsewhere, *older]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    env = dict(os.environ, ENCOMPASS_MAIL_OUTBOX=str(outbox))
    proc = subprocess.run([str(ENCOMPASS), "--db", str(database), "--json", "init"], capture_output=True, text=True,
                          env=env, timeout=300)
    fixed = json.loads(proc.stdout)["permissions_fixed"]
    expected = [folder, database, folder / ".encompass-cookie-key",
                folder / "send-journal", folder / "send-journal" / "batch.jsonl", outbox,
                outbox / "20261125-1000-123437-N-1.eml"]
    assert sorted(fixed) == sorted(f"{p}: {755 if p.is_dir() else 644} -> {700 if p.is_dir() else 600}"
                                   for p in expected)
    assert all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in expected)
    assert mode(elsewhere) == 0o644
    again = subprocess.run([str(ENCOMPASS), "--db", str(database), "init"], capture_output=True, text=True, env=env,
                           timeout=300)
    assert "made private" not in again.stdout + again.stderr  # nothing left to fix


def test_a_shared_folder_is_left_open_but_the_files_in_it_are_closed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp
    database, wal = shared / "e.duckdb", shared / "e.duckdb.wal"  # a log left by a process that died
    for path in (database, wal):
        path.write_bytes(b"")
        os.chmod(path, 0o644)
    assert files.secure(database) == [f"{database}: 644 -> 600", f"{wal}: 644 -> 600"]
    assert mode(shared) == 0o1777


def test_an_administrator_is_told_what_the_app_made_private(demo_db):
    from .test_pages import signed_in
    os.chmod(demo_db, 0o644)
    at = signed_in("admin")
    assert any(f"{demo_db}: 644 -> 600" in w.value.replace("\\", "") for w in at.warning)
    assert mode(demo_db) == 0o600
    assert not any("owner-only" in w.value for w in signed_in("coordinator").warning)
