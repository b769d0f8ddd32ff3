"""Shared fixtures: real DuckDB files, real spreadsheets, the real schools register."""
from __future__ import annotations

import email
import email.policy
import io
import os
import shutil
import socket
import threading
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from encompass import auth, clock, contacts, db, demo, mailing, notifications, sheets

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
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # and the word joiners that stop autolinks


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
           "date", "datetime", "Inbox", "free_port", "BELVIDERE", "HINSTOCK"]


# --- a real SMTP server on loopback ---------------------------------------------------------------

BELVIDERE, HINSTOCK = 123437, 150398


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses while `failing` is set."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.failing = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.failing:
            return "451 4.3.0 Try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.settings = mailing.MailSettings(transport="smtp", host="127.0.0.1", port=controller.port,
                                          starttls=False, sender="encompass@council.example.org")
    yield inbox
    controller.stop()


@pytest.fixture
def ready(con):
    """Two matched children at Belvidere Primary with its Key Contact and Deputy, one at Hinstock (no contacts)."""
    for role, who in (("key_contact", "dsl"), ("deputy", "ddsl")):
        contacts.save(con, BELVIDERE, contacts.Contact(role, who.upper(), f"{who}@belvidere.example.org"), "coord")
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref="N/1", forename="Ada", school="Belvidere Primary School", incident="13/11/2026"),
        child_row(ref="N/1", forename="Bo", dob="05/06/2017", school="Belvidere Primary School", incident="13/11/2026"),
        child_row(ref="N/2", forename="Cy", school="Hinstock Primary School", incident="14/11/2026"),
    ]), "n.xlsx", "coord")
    notifications.refresh(con)
    return con
