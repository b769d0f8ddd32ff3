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
