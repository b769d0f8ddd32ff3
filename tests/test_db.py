"""The database layer: write transactions on a real DuckDB file."""
from __future__ import annotations

import pytest

from encompass import db


def threads(con) -> int:
    return con.execute("select current_setting('threads')").fetchone()[0]


def test_a_write_runs_on_one_thread_and_reads_get_every_core_back(con):
    every_core = threads(con)  # DuckDB's own default: the cores it finds
    with db.transaction(con) as cur:
        assert threads(cur) == 1
    assert threads(con) == every_core
    with pytest.raises(RuntimeError), db.transaction(con) as cur:
        raise RuntimeError("a failed write")
    assert threads(con) == every_core  # a failed write gives them back too
    with db.transaction(con, bulk=True) as cur:
        assert threads(cur) == every_core


def test_one_database_per_file_shared_in_this_process_and_let_go_with_the_last_connection(db_path):
    """The file is attached (for its row group size), yet behaves as a file opened directly: a second connection in
    this process sees the first one's writes at once, and when the last one closes the file is checkpointed and
    let go, so a new process can open it and finds everything in it."""
    import subprocess
    import sys

    first, second = db.connect(db_path), db.connect(db_path)
    with db.transaction(first) as cur:
        db.set_setting(cur, "shared_check", "written by the first")
    assert db.get_setting(db.cursor(second), "shared_check") == "written by the first"
    first.close()
    assert db.get_setting(db.cursor(second), "shared_check") == "written by the first"  # still open here
    second.close()
    assert not db_path.with_name(db_path.name + ".wal").exists()  # checkpointed as it was let go
    found = subprocess.run([sys.executable, "-c", "import sys; from encompass import db; "
                            "print(db.get_setting(db.connect(sys.argv[1]), 'shared_check'))", str(db_path)],
                           capture_output=True, text=True, check=True, cwd=db.ROOT)
    assert found.stdout.strip() == "written by the first"


def test_a_long_sheet_is_stored_in_row_groups_of_the_size_chosen(db_path):
    """ROW_GROUP_ROWS is what lets DuckDB write a long sheet's full groups as it inserts them: it must reach the
    file (a plain connect would silently use DuckDB's 122,880)."""
    con = db.connect(db_path)
    try:
        with db.transaction(con, bulk=True) as cur:
            cur.execute("create table row_group_probe as select range as n from range(?)", [db.ROW_GROUP_ROWS + 10])
        sizes = [n for (n,) in db.cursor(con).execute(
            "select max(count) from pragma_storage_info('row_group_probe') group by row_group_id "
            "order by row_group_id").fetchall()]
    finally:
        con.close()
    assert sizes == [db.ROW_GROUP_ROWS, 10]
