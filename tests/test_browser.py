"""The key morning journey in a real Chromium against the real app server (Playwright)."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from encompass import clock, db, demo, sheets, triage

from .conftest import ROOT, child_row, xlsx_bytes

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(path: Path):
    """The real app server on a free port, on the database at `path`; returns (url, stop). Its output goes to
    app.log beside the database (a pipe nobody reads would stall the server once full); stop() prints the end of
    it, which pytest shows when the test failed."""
    port = free_port()
    env = dict(os.environ, ENCOMPASS_DB=str(path))
    log_path = path.parent / "app.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "app.py"), "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("the app did not start: " + log_path.read_text(errors="replace")[-2000:])

    def stop():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        print("--- the app's log, last lines ---\n" + log_path.read_text(errors="replace")[-3000:])
    return url, stop


@pytest.fixture
def server(demo_template, tmp_path):
    path = tmp_path / "browser.duckdb"
    shutil.copy(demo_template, path)
    con = db.connect(path)
    example = demo.write_example_sheet(con, tmp_path / "sheets", clock.today())
    con.close()  # the app must be the only process holding the file
    url, stop = start_app(path)
    yield url, example, path, stop
    stop()


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.set_default_timeout(30_000)
        yield pg
        with contextlib.suppress(Exception):  # what the page showed last: pytest prints it when the test failed
            print("--- the page's text, last lines ---\n" + pg.inner_text("body", timeout=5_000)[-3000:])
        browser.close()


def heading(page, text):
    return page.get_by_role("heading", name=text, exact=True).first  # a rerun may briefly show two


def settled(page):
    """Wait until the app is connected and its script run has finished."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]"
                           "[data-test-script-state=notRunning]")


def go(page, link: str, title: str | None = None, text: str | None = None) -> None:
    """Follow a link once the app is idle (a click during a rerun can be dropped) to the page with the heading
    `title` (or, on a page without one, showing `text`)."""
    arrived = heading(page, title) if title else page.get_by_text(text).first
    settled(page)
    page.get_by_role("link", name=link).first.click()
    try:
        arrived.wait_for(timeout=15_000)
    except Exception:  # the click landed while the script was still running: once more
        settled(page)
        page.get_by_role("link", name=link).first.click()
        arrived.wait_for()
    settled(page)


def signed_in(page, title: str) -> None:
    """Wait for the first page after logging in, and for the rerun that follows it: the run the Log in button
    started still draws the form above the page, the next one does not, and until it ends the page's
    elements can be on screen twice."""
    heading(page, title).wait_for()
    page.get_by_role("button", name="Log in").wait_for(state="detached")
    settled(page)


def log_in(page, url, username):
    page.goto(url)
    # The remember-me cookie component loads in an iframe and then reruns the script once; typing
    # before that rerun is lost, as it would be for a person typing within the first second.
    page.locator("iframe").first.wait_for(state="attached")
    time.sleep(0.5)
    settled(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_coordinator_morning_journey_and_manager_locked_out(server, page, tmp_path):
    url, example, _, _ = server
    log_in(page, url, "coordinator")
    heading(page, "Today").wait_for()
    page.get_by_text("Today's police sheet is not loaded yet.").first.wait_for()  # a rerun may briefly show two

    # Import the night's sheet: the report names each bad row and why.
    go(page, "Import", "Import the daily sheet")
    page.locator("input[type=file]").set_input_files(str(example))
    page.get_by_role("heading", name="Rejected rows").wait_for()
    page.get_by_role("button", name=re.compile(r"Import \d+ rows?")).click()
    page.get_by_text(re.compile(r"Imported as sheet \d+")).wait_for()
    page.screenshot(path=str(tmp_path / "import.png"))

    # Confirm the ambiguous school.
    go(page, "School matching", "School matching")
    card = page.locator(".st-key-group-belvidere")
    # Each school offered says where it is, its phase and ages, and whether the child fits.
    choice = card.get_by_text(re.compile(r"^Belvidere Primary School · Shrewsbury SY2 5YB · primary.* · URN 123437"))
    choice.click()
    card.get_by_role("button", name="Confirm").click()
    page.get_by_text("Belvidere: school recorded for 1 child.").wait_for()

    # Today has changed: the sheet is in, and the ledger lists the children still open.
    go(page, "Today", "Today")
    page.get_by_text(re.compile(r"Today's sheet loaded at \d\d:\d\d")).wait_for()
    page.screenshot(path=str(tmp_path / "today.png"))

    # A manager cannot reach Import, even by its URL.
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("textbox", name="Username").wait_for()
    log_in(page, url, "manager")
    heading(page, "Statistics").wait_for()
    page.goto(url + "/import")
    page.wait_for_load_state("networkidle")
    page.get_by_role("textbox", name="Username").or_(heading(page, "Statistics")).first.wait_for()
    time.sleep(1)
    assert heading(page, "Import the daily sheet").count() == 0
    assert page.get_by_role("link", name="Import").count() == 0


def test_contacts_export_downloads_csv_and_is_audited(server, page, tmp_path):
    url, _, path, stop = server
    log_in(page, url, "coordinator")
    heading(page, "Today").wait_for()
    go(page, "Schools & contacts", "Schools & contacts")
    page.get_by_role("tab", name="Import & export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "urn,school,role,name,email,phone,valid_from"
    assert len(text.splitlines()) > 100
    settled(page)  # the click's rerun, which records the export, has finished
    stop()  # the app holds the database; read it once the app is gone
    con = db.connect(path)
    try:
        assert con.execute("select count(*) from audit_log where action = 'export_contacts'").fetchone()[0] == 1
    finally:
        con.close()


def test_a_meeting_of_five_on_a_1280_by_720_screen(demo_template, page, tmp_path):
    """The chair runs five incidents at 1280×720: the decision form within one scroll of the top, Next by key,
    names hidden on request, the meeting closed after a confirmation, minutes with what was decided."""
    path = tmp_path / "meeting.duckdb"
    shutil.copy(demo_template, path)
    con = db.connect(path)
    meeting = clock.today()
    for incident in triage.incident_ids(con, meeting):  # the demo's own waiting incidents: decided the day before
        triage.decide(con, meeting - timedelta(days=1), incident, 2, "No further action", "", "chair")
    day = f"{meeting - timedelta(days=1):%d/%m/%Y}"
    names = ["Ann", "Ben", "Cat", "Dan", "Eve"]
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref=f"DAT/{n}", incident=day, level=f"Level {2 + n % 2}", forename=name, surname="Quillfeather")
        for n, name in enumerate(names, start=1)]), "dat.xlsx", "coordinator")
    con.close()
    url, stop = start_app(path)
    outcomes = ["School to monitor", "Early-help offer", "MARAC referral", "No further action", "School to monitor"]
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        log_in(page, url, "triage-police")
        signed_in(page, "Domestic Abuse Triage")
        go(page, "Meeting mode", text="incident 1 of 5")
        for n, outcome in enumerate(outcomes, start=1):
            page.get_by_text(f"incident {n} of 5").wait_for()
            settled(page)
            assert page.get_by_text(f"{names[n - 1]} Quillfeather").count() == 1
            save = page.get_by_role("button", name="Save decision")
            top = save.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
            assert top + 40 < 2 * 720, f"the decision form starts {top:.0f} px down"  # at most one scroll
            assert page.locator("[data-testid=stSidebar]").is_hidden()
            page.locator("[class*=st-key-outcome-]").get_by_role("combobox").click()
            page.keyboard.type(outcome)
            page.keyboard.press("Enter")
            save.click()
            page.get_by_text(f"Decision saved for DAT/{n}.").wait_for()
            if n == 1:
                page.screenshot(path=str(tmp_path / "meeting.png"))
            if n < 5:
                settled(page)
                page.locator("body").press("n")  # the Next key
        # Someone joins: names off the shared screen, in one switch.
        page.get_by_text("Hide names").click()
        page.get_by_text("E.Q., ").first.wait_for()
        settled(page)
        assert page.get_by_text("Quillfeather").count() == 0
        assert page.get_by_text(re.compile(r"\bEve\b")).count() == 0
        page.get_by_role("button", name="Close the meeting").click()
        page.get_by_role("button", name="Yes, close it").click()
        page.get_by_text("CLOSED").first.wait_for()
        page.get_by_role("button", name="Prepare the minutes").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Minutes (printable)").click()
        printable = Path(download.value.path()).read_text(encoding="utf-8")
        assert "DAT/1" in printable and "MARAC referral" in printable and "Meeting closed" in printable
        assert "Attendance" in printable
    finally:
        stop()
    con = db.connect(path)
    try:
        got = con.execute("""select i.police_ref, d.outcome from triage_decisions d
                             join incidents i on i.id = d.incident_id
                             where i.police_ref like 'DAT/%' order by 1""").fetchall()
        assert got == [(f"DAT/{n}", o) for n, o in enumerate(outcomes, start=1)]
        assert con.execute("select closed_by from triage_meetings where meeting_date = ?", [meeting]).fetchone() == (
            "triage-police",)
    finally:
        con.close()


def test_two_health_users_editing_one_note_both_keep_their_text(demo_template, tmp_path):
    """A saves after B: A is told, sees both texts, keeps their own in the box and saves both together."""
    from encompass import auth
    path = tmp_path / "conflict.duckdb"
    shutil.copy(demo_template, path)
    con = db.connect(path)
    auth.add_user(con, "health-two", "marmalade kettle viaduct", "triage", "Health")
    day = f"{clock.today() - timedelta(days=1):%d/%m/%Y}"
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="EDIT/1", incident=day, level="Level 3")]), "e.xlsx", "c")
    incident = con.execute("select id from incidents where police_ref = 'EDIT/1'").fetchone()[0]
    con.close()
    url, stop = start_app(path)
    try:
        from playwright.sync_api import expect, sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            tabs = {}
            for who, password in (("a", demo.DEMO_PASSWORD), ("b", "marmalade kettle viaduct")):
                tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                tab.set_default_timeout(30_000)
                tab.goto(url)
                tab.locator("iframe").first.wait_for(state="attached")
                time.sleep(0.5)
                settled(tab)
                tab.get_by_role("textbox", name="Username").fill("triage-health" if who == "a" else "health-two")
                tab.get_by_role("textbox", name="Password").fill(password)
                tab.get_by_role("button", name="Log in").click()
                signed_in(tab, "Domestic Abuse Triage")
                tab.get_by_text(re.compile(r"^EDIT/1 — level 3")).click()
                tabs[who] = tab
            box = {who: tab.locator(f".st-key-note-{incident} textarea") for who, tab in tabs.items()}
            save = {who: tab.locator("[data-testid=stForm]").filter(has=box[who]).get_by_role("button", name="Save")
                    for who, tab in tabs.items()}
            box["a"].fill("A: mother asked for a call back")
            box["b"].fill("B: seen by the health visitor on Monday")
            save["b"].click()
            tabs["b"].get_by_text("Health's check of EDIT/1 saved.").wait_for()
            save["a"].click()
            tabs["a"].get_by_text("Both texts are kept").wait_for()
            settled(tabs["a"])
            assert box["a"].input_value() == "A: mother asked for a call back"  # mine is still in the box
            tabs["a"].get_by_text("B: seen by the health visitor on Monday").first.wait_for()  # theirs beside it
            tabs["a"].get_by_role("button", name="Put both in the box").click()
            expect(box["a"]).to_have_value("A: mother asked for a call back\n\nB: seen by the health visitor on Monday")
            settled(tabs["a"])
            save["a"].click()
            tabs["a"].get_by_text("Health's check of EDIT/1 saved.").wait_for()
            browser.close()
    finally:
        stop()
    con = db.connect(path)
    try:
        note = con.execute("select note from triage_checks where incident_id = ?", [incident]).fetchone()[0]
        assert "A: mother asked" in note and "B: seen by the health visitor" in note
    finally:
        con.close()


def test_a_stolen_cookie_is_worthless_after_logout_or_a_password_change(server, demo_template, tmp_path):
    """The cookie only names a server-side session: once that session ends (logout, a password change
    elsewhere), replaying the cookie in another browser shows the login form, never a page."""
    url, _, _, _ = server
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        def browser_with(cookies):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies(cookies)
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            tab.goto(url)
            return tab

        def session_cookie(tab):
            for _ in range(40):  # the cookie component writes it just after the login run
                found = [c for c in tab.context.cookies() if c["name"] == "encompass_desk"]
                if found:
                    return found
                time.sleep(0.25)
            raise AssertionError("no session cookie was set")

        def shows_login_form(tab):
            tab.get_by_role("textbox", name="Username").wait_for()
            settled(tab)
            return heading(tab, "Today").count() == 0

        laptop = browser.new_page(viewport={"width": 1280, "height": 900})
        laptop.set_default_timeout(30_000)
        log_in(laptop, url, "coordinator")
        heading(laptop, "Today").wait_for()
        stolen = session_cookie(laptop)
        copy = browser_with(stolen)  # while the session lives, the cookie signs a browser in (a reload works)
        heading(copy, "Today").wait_for()
        copy.context.close()

        settled(laptop)
        laptop.get_by_role("button", name="Log out").click()
        laptop.get_by_role("textbox", name="Username").wait_for()
        assert shows_login_form(browser_with(stolen))

        # Signed in on two machines; a password change on one ends the other, and its cookie with it.
        log_in(laptop, url, "coordinator")
        heading(laptop, "Today").wait_for()
        office = browser_with([])
        log_in(office, url, "coordinator")
        heading(office, "Today").wait_for()
        office_cookie = session_cookie(office)
        go(laptop, "My account", "My account")
        laptop.get_by_role("textbox", name="Current password").fill(demo.DEMO_PASSWORD)
        laptop.get_by_role("textbox", name="New password", exact=True).fill("quill harbour lantern")
        laptop.get_by_role("textbox", name="New password again").fill("quill harbour lantern")
        laptop.get_by_role("button", name="Change password").click()
        laptop.get_by_text("Password changed.").wait_for()
        assert shows_login_form(browser_with(office_cookie))
        settled(office)
        office.get_by_role("link", name="Send").first.click()  # the open tab, at its next click
        office.get_by_text("Your session has ended").first.wait_for()
        assert heading(office, "Send").count() == 0
        go(laptop, "Today", "Today")  # the laptop, where it was changed, carries on
        browser.close()


# Markdown and HTML that would fetch or link somewhere if any of it rendered.
PAYLOAD = ("![p](http://evil.test/md-image.png) [l](http://evil.test/md-link) "
           "<img src='http://evil.test/tag.png'> http://evil.test/bare www.evil.test")
SHORT = "![p](http://evil.test/s.png)"         # fits a name field (60 characters)
REF = "![R](HTTP://EVIL.TEST/R.PNG)"            # police references are upper-cased; 40 at most


def seen(text: str) -> str:
    """The text as a person reads it: the same characters, with the invisible word joiner the app puts after
    "http" or "www" so that no address becomes a link."""
    return re.sub(r"(?i)\b(https?|ftp|www)(?=[:.])", "\\1\u2060", text)


def test_markdown_and_html_from_data_never_render(demo_template, tmp_path):
    """Payloads typed into every kind of field (a police sheet's reference, names and school, a school contact, a
    user's name and agency, a calendar period, the triage agencies) are shown on every page as text: nothing
    becomes a link or an image, and the browser never asks evil.test for anything."""
    from encompass import auth, calendar, contacts, settings
    path = tmp_path / "payload.duckdb"
    shutil.copy(demo_template, path)
    con = db.connect(path)
    meeting = triage.next_meeting_day(con)
    for incident in triage.incident_ids(con, meeting):
        triage.decide(con, meeting - timedelta(days=1), incident, 2, "No further action", "", "chair")
    agency = "Police [a](http://evil.test/agency)"
    settings.save(con, {"triage_agencies": f"{agency},Health"}, "admin")
    auth.add_user(con, "tester", "lantern otter marmalade", "coordinator,triage,admin", agency,
                  display_name="Tess " + SHORT)
    contacts.save(con, 123437, contacts.Contact("key_contact", SHORT, "dsl@belvidere.example.org"), "admin")
    later = clock.today() + timedelta(days=200)
    calendar.add_period(con, None, "non_pupil_day", "INSET " + SHORT, later, later, "admin")
    yesterday = f"{clock.today() - timedelta(days=1):%d/%m/%Y}"
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref=REF, incident=yesterday, level="Level 3", forename=SHORT, surname=SHORT, school=PAYLOAD),
    ]), "payload.xlsx", "coordinator")
    con.close()

    url, stop = start_app(path)
    asked: list[str] = []
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.route(re.compile(r".*evil\.test.*", re.I), lambda route: (asked.append(route.request.url),
                                                                          route.abort()))

            def nothing_rendered(where: str) -> None:
                settled(page)
                links = page.locator("a[href*='evil' i]").count()
                images = page.locator("img[src*='evil' i]").count()
                assert (links, images, asked) == (0, 0, []), where

            page.goto(url)
            page.locator("iframe").first.wait_for(state="attached")
            time.sleep(0.5)
            settled(page)
            page.get_by_role("textbox", name="Username").fill("tester")
            page.get_by_role("textbox", name="Password").fill("lantern otter marmalade")
            page.get_by_role("button", name="Log in").click()
            heading(page, "Today").wait_for()
            page.get_by_text(seen("Tess " + SHORT)).first.wait_for()  # shown as typed, in the sidebar
            page.get_by_text("Show children's names").first.click()
            page.get_by_text(seen(SHORT)).first.wait_for()
            nothing_rendered("Today")

            go(page, "School matching", "School matching")
            page.get_by_text(seen(PAYLOAD)).first.wait_for()
            card = page.locator("[class*=st-key-group-]").first
            card.get_by_text("No notification needed: close with a reason").click()
            settled(page)
            card.get_by_role("combobox").first.click()
            page.get_by_role("option", name="Duplicate of another record").click()
            card.get_by_role("textbox").fill("same child twice")
            settled(page)
            card.get_by_role("button", name="Confirm").click()
            page.get_by_text(re.compile(r"closed \(Duplicate of another record\) for 1 child")).wait_for()
            nothing_rendered("School matching, after the decision")

            go(page, "Schools & contacts", "Schools & contacts")
            page.get_by_role("textbox", name="Name, URN, town or postcode").fill("123437")
            page.keyboard.press("Enter")
            page.get_by_text(seen("Key Contact (DSL): " + SHORT)).first.wait_for()
            nothing_rendered("Schools & contacts")

            for link, title in (("Send", "Send notifications"), ("Triage", "Domestic Abuse Triage"),
                                ("Import", "Import the daily sheet"), ("Statistics", "Statistics"),
                                ("My account", "My account")):
                go(page, link, title)
                nothing_rendered(link)

            settled(page)
            page.get_by_role("link", name="Meeting mode").first.click()
            page.get_by_role("heading").filter(has_text=seen(REF)).first.wait_for()
            settled(page)
            page.locator("[class*=st-key-outcome-]").get_by_role("combobox").click()
            page.keyboard.type("School to monitor")
            page.keyboard.press("Enter")
            page.get_by_role("button", name="Save decision").click()
            page.get_by_text(seen(f"Decision saved for {REF}.")).wait_for()
            nothing_rendered("Meeting mode, after the decision")

            go(page, "Leave", "Domestic Abuse Triage")  # meeting mode has no sidebar
            go(page, "Admin", "Admin")
            page.get_by_role("tab", name="Term calendar").click()
            page.get_by_text(seen("INSET " + SHORT), exact=False).first.wait_for()
            nothing_rendered("Admin")
            go(page, "Users", "Users")
            nothing_rendered("Users")
            browser.close()
    finally:
        stop()


def test_import_waits_until_every_unknown_column_is_decided(server, page, tmp_path):
    url, _, _, _ = server
    headers = ["Police Reference", "Date of Incident", "Kid's first name", "Child Surname", "DOB", "School Attended",
               "Officer notes"]
    sheet = tmp_path / "odd-headers.xlsx"
    sheet.write_bytes(xlsx_bytes([["MAP/1", "24/11/2026", "Ada", "Testington", "03/04/2016",
                                   "Belvidere Primary School", "seen at 10pm"]], headers=headers))
    log_in(page, url, "coordinator")
    heading(page, "Today").wait_for()
    go(page, "Import", "Import the daily sheet")
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_text("Unrecognised columns").wait_for()
    page.get_by_text(re.compile("no column for Child forename")).wait_for()  # not mapped yet: cannot be read
    settled(page)

    def choose(column: str, option: str) -> None:
        page.locator("[data-testid=stSelectbox]").filter(has_text=column).get_by_role("combobox").click()
        page.get_by_role("option", name=option, exact=True).click()
        settled(page)

    choose("Kid's first name", "Child forename")
    page.get_by_text(re.compile("before importing: Officer notes")).wait_for()
    assert page.get_by_role("button", name="Import", exact=True).is_disabled()
    page.get_by_text("The first rows, as they will be saved").wait_for()  # what will be saved, row by row
    page.get_by_role("cell", name="Belvidere Primary School").first.wait_for()
    choose("Officer notes", "Ignore this column")
    page.get_by_role("button", name="Import 1 row").click()
    page.get_by_text(re.compile(r"Imported as sheet \d+")).wait_for()
