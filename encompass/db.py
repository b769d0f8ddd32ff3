"""The DuckDB store: opening, migrating, named queries and serialised write transactions.

DuckDB 2.x refuses one connection used from two threads at once, so callers take a
cursor per script run or thread; writes go through `transaction`, which holds a
process-wide lock so two writers never race on the same rows.

A query given a list of keys matches them as `key in (select unnest($ids::integer[]))`, which DuckDB runs as a
semi-join: milliseconds on a national-size table whether the list holds five ids or a sheet's twenty thousand.
(`list_contains($ids, key)` is answered by the index only up to a couple of thousand keys; beyond that it
tests every row of the table against the list.) A long list is not bound as a list value, which DuckDB's binder
converts at half a microsecond an item (11 ms for a sheet's 20,000 ids, in each of a dozen queries of one import):
`run` hands it over as an Arrow table, and the query reads the list from there (see `_ARROW_FROM`).
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
DEFAULT_DB = ROOT / "data" / "encompass.duckdb"

_WRITE_LOCK = threading.RLock()


class DatabaseLocked(RuntimeError):
    """Another process (normally the running app) holds the database file."""


def default_path() -> Path:
    return Path(os.environ.get("ENCOMPASS_DB") or DEFAULT_DB)


@functools.cache
def sql(name: str) -> str:
    """The text of the named query `queries/<name>.sql`."""
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


# Rows in each of a table's row groups, for what this process writes. With DuckDB's default (122,880) the rows of
# a long sheet stay in the transaction until its commit, which then copies them into the table and compresses them
# there, on one thread. A full group of 16,384 is compressed and written as the import goes, and the commit only
# links it in: a 20,000-row import's commit 125 -> 88 ms (0.751 -> 0.733 s in all, paired; into the national
# database, whose last group of 122,880 is no longer rewritten, 190 -> 135 ms). A day's sheet of fifty rows is the
# same either way. DuckDB takes the setting only when a database is attached (ATTACH ... ROW_GROUP_SIZE), so the
# file is attached, as "encompass", to an in-memory database named after it, and made the default of each
# connection and cursor (_USE, `cursor`). Like a file opened directly, a named in-memory database is one per
# process, shared by every connection to it, and closed (the file checkpointed and let go) with the last of them.
ROW_GROUP_ROWS = 16_384
_ATTACH = "attach if not exists ? as encompass (row_group_size ?)"
_USE = "use encompass"


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the database at `path`."""
    path = Path(path) if path else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(f":memory:{path.resolve()}")
    try:
        with _WRITE_LOCK:
            con.execute(_ATTACH, [str(path), ROW_GROUP_ROWS])
    except duckdb.IOException as exc:
        con.close()
        if "lock" in str(exc).lower():
            raise DatabaseLocked(
                f"the database {path} is in use by another process (is the app running?); "
                "stop it or use the app for this change"
            ) from None
        raise
    con.execute(_USE)
    applied = migrate(con)
    define(con)
    _follow_up(con, applied)
    return con


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the ordered migrations in queries/schema/ that this database has not had."""
    with _WRITE_LOCK:
        con.execute("create table if not exists migrations (name varchar primary key, applied_at timestamp)")
        done = {r[0] for r in con.execute("select name from migrations").fetchall()}
        applied = []
        for file in sorted((QUERIES / "schema").glob("*.sql")):
            if file.name in done:
                continue
            con.begin()
            try:
                con.execute(file.read_text(encoding="utf-8"))
                con.execute("insert into migrations values (?, current_timestamp)", [file.name])
                con.commit()
            except Exception:
                con.rollback()
                raise
            applied.append(file.name)
        return applied


# Migrations whose derived tables are filled by Python once the tables exist: module, function(cursor).
FOLLOW_UPS = {"009_stats.sql": ("stats", "rebuild")}


def _follow_up(con: duckdb.DuckDBPyConnection, applied: list[str]) -> None:
    import importlib
    for name in applied:
        if name in FOLLOW_UPS:
            module, function = FOLLOW_UPS[name]
            with transaction(con, bulk=True) as cur:  # over the whole history
                getattr(importlib.import_module(f"encompass.{module}"), function)(cur)


def define(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the derived relations in queries/definitions.sql: code, kept in step with the code."""
    with _WRITE_LOCK:
        con.execute(sql("definitions"))


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of a connection from `connect`, on its database (a new cursor starts on the in-memory one)."""
    cur = con.cursor()
    cur.execute(_USE)
    return cur


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, bulk: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside one serialised write transaction: all of it lands, or none.

    A write runs on one DuckDB thread: its statements are small (a day's sheet, a decision, a send) and a second
    thread costs more in hand-offs than it gives (a 50-row import into a national-size database 7% quicker).
    Reads keep every core: the statistics of a national database read cold from disk need them (0.45 s, against
    0.55 s on one). So does a `bulk` write: years of demo history, a rebuild over all of it, a sheet of
    thousands of rows (sheets.BULK_ROWS). The setting belongs to the database in this process; the write lock
    makes one writer at a time set and reset it."""
    with _WRITE_LOCK:
        cur = cursor(con)
        if not bulk:
            cur.execute("set threads = 1")
        try:
            cur.begin()
            try:
                yield cur
            except BaseException:
                cur.rollback()
                raise
            else:
                cur.commit()
        finally:
            if not bulk:
                cur.execute("reset threads")
            cur.close()


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@functools.cache
def param_names(name: str) -> frozenset[str]:
    """The `$name` parameters the named query uses."""
    return frozenset(_PARAM.findall(sql(name)))


def run(con, name: str, params: dict | None = None):
    """Execute the named query with its `$name` parameters bound from `params`.

    DuckDB refuses unused parameters, so one dict can serve several queries: each takes
    what it names.
    """
    return con.execute(*_bound(con, name, params))


def arrow(con, name: str, params: dict | None = None):
    """The named query's result as an Arrow table (columns stay columns: nothing per row in Python)."""
    text, values = _bound(con, name, params)
    return con.sql(text, params=values).to_arrow_table()


def _bound(con, name: str, params: dict | None) -> tuple[str, dict]:
    """The query's text and the parameters it names; long lists handed over as Arrow tables."""
    wanted = param_names(name)
    missing = wanted - set(params or {})
    if missing:
        raise KeyError(f"query {name} needs {', '.join(sorted(missing))}")
    text, values = sql(name), {k: v for k, v in (params or {}).items() if k in wanted}
    long_lists = [k for k, v in values.items() if isinstance(v, (list, tuple)) and len(v) > _ARROW_FROM]
    if long_lists:
        con.complete()  # DuckDB 2.x refuses to register while an earlier result is still pending
        for key in long_lists:
            relation = f"_{key}_list"
            con.register(relation, pa.table({"item": pa.array(values.pop(key))}))
            text = re.sub(rf"\${key}::(\w+)\[\]", rf"(select list(item::\1) from {relation})", text)
    return text, values


# Items. A shorter list is bound as a value, which DuckDB pushes into the scans as a filter: the states of 500
# child-incidents of a national database take 13 ms so, 31 ms read from an Arrow table.
_ARROW_FROM = 5_000


@contextlib.contextmanager
def registered(cur, name: str, frame) -> Iterator[None]:
    """A pandas frame visible to SQL as `name` for the duration of the block."""
    cur.complete()  # DuckDB 2.x refuses to register while an earlier result is still pending
    cur.register(name, frame)
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # keep the first error, not a follow-on one
            cur.unregister(name)
        raise
    cur.complete()
    cur.unregister(name)


def rows(con, name: str, params=None) -> list[dict]:
    """Run a named query and return its rows as dicts."""
    cur = run(con, name, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def one(con, name: str, params=None) -> dict | None:
    found = rows(con, name, params)
    return found[0] if found else None


def scalar(con, name: str, params=None):
    row = run(con, name, params).fetchone()
    return row[0] if row else None


def get_setting(con, key: str, default: str | None = None) -> str | None:
    row = con.execute("select value from settings where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(cur, key: str, value: str) -> None:
    cur.execute(
        "insert into settings values (?, ?) on conflict (key) do update set value = excluded.value",
        [key, value],
    )
