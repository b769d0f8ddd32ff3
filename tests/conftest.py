"""Shared fixtures: real DuckDB files, real spreadsheets, the real schools register."""
from __future__ import annotations

import io
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from encompass import auth, clock, db, demo

# Every test, and every app or CLI process a test starts, runs at this moment unless the test chooses
# its own (monkeypatch.setenv(clock.PIN, ...)): nothing depends on the day the suite happens to run.
PINNED_NOW = "2026-11-25T10:00"  # a Wednesday
os.environ[clock.PIN] = PINNED_NOW

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
PASSWORD = "correct-horse-battery"
HEADERS = ["Police Reference", "Date of Incident", "Child Forename", "Child Surname", "DOB", "School Attended",
           "Level", "DASH Risk"]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """A database with the bundled register, links and calendar loaded: built once, copied per test."""
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    con = db.connect(path)
    demo.ensure_reference(con)
    con.close()
    return path


@pytest.fixture
def db_path(template_db, tmp_path) -> Path:
    path = tmp_path / "encompass.duckdb"
    shutil.copy(template_db, path)
    return path


@pytest.fixture
def con(db_path):
    connection = db.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A small demo database (one year) with the demo users, built once."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.build(con, years=1, seed=3)
    con.close()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("ENCOMPASS_DB", str(path))
    return path


def xlsx_bytes(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], headers: list[str] = HEADERS, encoding: str = "utf-8") -> bytes:
    import csv
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def child_row(ref="TEST/0001/26", incident="14/11/2026", forename="Ada", surname="Testington",
              dob="03/04/2016", school="Hinstock Primary School", level="Level 2", dash="Medium"):
    return [ref, incident, forename, surname, dob, school, level, dash]


@pytest.fixture
def users(con):
    """One user per role (and two agencies) with a known password."""
    made = {}
    for name, roles, agency in [("coord", "coordinator", None), ("boss", "manager", None),
                                ("police", "triage", "Police"), ("nurse", "triage", "Health"),
                                ("root", "admin", None), ("both", "coordinator,manager", None)]:
        made[name] = auth.add_user(con, name, PASSWORD, roles, agency)
    return made


def pending(con) -> list:
    """Everything waiting to be sent, with police references (the pages fill them in only for what they show)."""
    from encompass import notifications
    return notifications.with_references(con, notifications.pending(con))


def shown(markdown: str) -> str:
    """What a person reads of a markdown string the app escaped (web.md): the text without its backslashes."""
    import re
    return re.sub(r"\\(.)", r"\1", markdown)


def signed_in_state(username: str) -> dict:
    """What a browser session holds after a password login: a real server-side session on the database
    the app will open ($ENCOMPASS_DB)."""
    con = db.connect(db.default_path())
    try:
        sid = auth.start_session(con, username, "test")
    finally:
        con.close()
    return {"authentication_status": True, "username": username, "encompass_sid": sid}


def page_as(username: str, page: str | None = None, **state):
    """The app through AppTest with this user past the login form, optionally on one page."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in signed_in_state(username).items():
        at.session_state[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
        assert not at.exception
    return at


__all__ = ["pending", "shown", "signed_in_state", "xlsx_bytes", "csv_bytes", "child_row", "HEADERS", "PASSWORD",
           "date", "datetime"]
