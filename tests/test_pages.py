"""Every page through Streamlit's AppTest, on a real demo database: access per role, and the journeys."""
from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from encompass import auth, clock, db, demo, matching, web

from .conftest import ROOT, child_row, shown, signed_in_state, xlsx_bytes

APP = str(ROOT / "app.py")
PAGE_TITLES = {"today": "Today", "import": "Import the daily sheet", "matching": "School matching",
               "users": "Users", "account": "My account", "schools": "Schools & contacts",
               "send": "Send notifications", "admin": "Admin", "triage": "Domestic Abuse Triage",
               "meeting": None, "statistics": "Statistics"}
ROLE_USERS = {"coordinator": "coordinator", "manager": "manager", "triage": "triage-police", "admin": "admin"}


def signed_in(username: str) -> AppTest:
    """The app with this user already past the login form (the form itself is tested below)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in signed_in_state(username).items():
        at.session_state[key] = value
    return at.run()


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_login_form_lets_the_coordinator_in(demo_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("DEMO" in w.value for w in at.warning)
    assert titles(at) == []  # nothing but the login form before logging in
    at.text_input[0].input("coordinator")
    at.text_input[1].input(demo.DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert titles(at) == ["Today"]
    con = db.connect(demo_db)
    try:
        attempts = con.execute("select succeeded from login_attempts where username = 'coordinator'").fetchall()
        assert attempts == [(True,)]
    finally:
        con.close()


def test_five_wrong_passwords_lock_the_account_on_the_server(demo_db):
    for attempt in range(5):
        at = AppTest.from_file(APP, default_timeout=60).run()  # a new browser session each time
        at.text_input[0].input("manager")
        at.text_input[1].input(f"wrong-{attempt}")
        at.button[0].click().run()
        assert titles(at) == []
        assert [e.value for e in at.error] == [auth.LOGIN_REFUSED]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input("manager")
    at.text_input[1].input(demo.DEMO_PASSWORD)  # the right password no longer opens it ...
    at.button[0].click().run()
    assert titles(at) == []
    # ... and the page says exactly what it says for a wrong password: a guesser learns nothing
    assert [e.value for e in at.error] == [auth.LOGIN_REFUSED]
    con = db.connect(demo_db)
    try:
        assert auth.locked_until(con, "manager") is not None
    finally:
        con.close()


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
@pytest.mark.parametrize("page", sorted(auth.PAGES))
def test_page_access_matrix(demo_db, role, page):
    at = signed_in(ROLE_USERS[role])
    assert not at.exception
    path, _, _, roles = auth.PAGES[page]
    if role in roles:
        at.switch_page(path).run()
        assert not at.exception
        if PAGE_TITLES[page]:
            assert titles(at)[0] == PAGE_TITLES[page]
    else:  # never registered for this role, so there is nothing to switch to (the browser test tries the URL)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path)


@pytest.mark.parametrize("page", ["import", "matching", "today", "users", "send", "schools", "admin", "triage",
                                  "meeting"])
def test_each_page_checks_again_when_run_directly(demo_db, page):
    at = AppTest.from_file(str(ROOT / auth.PAGES[page][0]), default_timeout=60)
    for key, value in signed_in_state("manager").items():
        at.session_state[key] = value
    at.run()
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    assert not titles(at)


def test_a_disabled_user_is_shut_out_mid_session(demo_db):
    con = db.connect(demo_db)
    auth.set_disabled(con, "coordinator", True, by="admin")
    con.close()
    at = signed_in("coordinator")
    assert titles(at) == []


def test_import_page_reports_every_rejected_row_then_commits(demo_db):
    data = xlsx_bytes([child_row(ref="P/1"), child_row(ref="P/2", dob="31/02/2015"),
                       child_row(ref="P/3", forename="Bo", school="Belvidere"),
                       child_row(ref="P/4", forename="Cy", school="Home educated")])
    at = signed_in("coordinator")
    at.switch_page("pages/import_sheet.py").run()
    at.file_uploader[0].upload("sheet.xlsx", data).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows"], metrics["To import"], metrics["Rejected"]) == ("4", "3", "1")
    sample = next(t.value for t in at.table if "Police ref" in t.value.columns)  # the rows as they will be saved
    assert [shown(ref) for ref in sample["Police ref"]] == ["P/1", "P/3", "P/4"]
    assert [shown(found) for found in sample["School found"]] == [
        "Hinstock Primary School", "a person decides: 2 schools match about equally well",
        "no school: for the EHE officer (“Home educated” means no school)"]
    rejected = next(t.value for t in at.table if "Why" in t.value.columns)
    assert list(rejected["Row"]) == [3] and list(rejected["Field"]) == ["Date of birth"]
    con = db.connect(demo_db)
    before = con.execute("select count(*) from sheets").fetchone()[0]
    con.close()
    [b for b in at.button if b.label.startswith("Import 3 rows")][0].click().run()
    assert not at.exception
    assert any("Imported as sheet" in s.value for s in at.success)
    con = db.connect(demo_db)
    try:
        assert con.execute("select count(*) from sheets").fetchone()[0] == before + 1
        assert con.execute("select count(*) from incidents where police_ref like 'P/%'").fetchone()[0] == 3
    finally:
        con.close()


def test_import_page_maps_an_unknown_header(demo_db):
    headers = ["Crime Number", "Date of Incident", "Child Forename", "Child Surname", "DOB"]
    data = xlsx_bytes([["C/77", "10/11/2026", "Ada", "Testington", "01/01/2014"]], headers=headers)
    at = signed_in("coordinator")
    at.switch_page("pages/import_sheet.py").run()
    at.file_uploader[0].upload("sheet.xlsx", data).run()
    assert any("Police reference" in e.value for e in at.error)
    at.selectbox[0].select("police_ref").run()
    assert not at.error
    [b for b in at.button if b.label.startswith("Import 1 row")][0].click().run()
    con = db.connect(demo_db)
    try:
        mapped = con.execute("select field from header_mappings where header_norm = 'crime number'").fetchone()
        assert mapped == ("police_ref",)
    finally:
        con.close()


def test_matching_page_confirms_a_school_and_today_changes(demo_db):
    con = db.connect(demo_db)
    from encompass import sheets
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="Q/1", school="Belvidere")]), "q.xlsx", "coordinator")
    waiting_before = len(matching.queue(con))
    con.close()
    at = signed_in("coordinator")
    today_before = {m.label: m.value for m in at.metric}["Needs a school"]
    at.switch_page("pages/school_matching.py").run()
    assert not at.exception
    group = next(i for i, h in enumerate(at.subheader) if "Belvidere" in h.value)
    radio = next(r for r in at.radio if r.key.startswith("choice:belvidere"))
    radio.set_value(123437).run()
    next(b for b in at.button if b.key.startswith("confirm:belvidere")).click().run()
    assert not at.exception and group is not None
    con = db.connect(demo_db)
    try:
        assert len(matching.queue(con)) == waiting_before - 1
        assert con.execute("select urn from school_aliases where text_norm = 'belvidere'").fetchone() == (123437,)
    finally:
        con.close()
    at.switch_page("pages/today.py").run()
    assert int({m.label: m.value for m in at.metric}["Needs a school"]) == int(today_before) - 1


def test_names_on_the_matching_page_are_shown_only_on_request_and_audited(demo_db):
    con = db.connect(demo_db)
    from encompass import sheets
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="N/1", forename="Visible", school="Belvidere")]), "n.xlsx", "x")
    con.close()
    at = signed_in("coordinator")
    at.switch_page("pages/school_matching.py").run()
    assert not any("Visible" in m.value for m in at.markdown)
    at.toggle[0].set_value(True).run()
    assert any("Visible Testington" in m.value for m in at.markdown)
    con = db.connect(demo_db)
    try:
        assert con.execute("select count(*) from audit_log where action = 'view_children'").fetchone()[0] >= 1
    finally:
        con.close()


def labelled(widgets, label: str):
    return next(w for w in widgets if w.label.startswith(label))


def log_in(username: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_a_new_user_chooses_their_own_password_before_anything_else(demo_db):
    at = signed_in("admin")
    at.switch_page("pages/users.py").run()
    labelled(at.text_input, "Username").input("newnurse")
    labelled(at.text_input, "Full name").input("New Nurse")
    labelled(at.multiselect, "Roles").set_value(["triage"])
    labelled(at.selectbox, "Agency").set_value("Health")
    labelled(at.text_input, "First password").input("first lantern otter")
    labelled(at.button, "Add user").click().run()
    assert not at.exception
    assert [s.value for s in at.success][0].startswith("User newnurse added")

    first = log_in("newnurse", "first lantern otter")
    assert titles(first) == ["My account"]  # nothing else is offered ...
    assert any("choose your own" in w.value for w in first.warning)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        first.switch_page("pages/triage.py")
    labelled(first.text_input, "Current password").input("first lantern otter")
    labelled(first.text_input, "New password").input("marmalade kettle viaduct")
    labelled(first.text_input, "New password again").input("marmalade kettle viaduct")
    labelled(first.button, "Change password").click().run()
    assert titles(first) == ["My account"] and first.success
    first.switch_page("pages/triage.py").run()  # ... until they have
    assert titles(first) == ["Domestic Abuse Triage"]
    con = db.connect(demo_db)
    try:
        assert auth.get_user(con, "newnurse").agency == "Health"
        assert not auth.get_user(con, "newnurse").must_change_password
    finally:
        con.close()


def test_admin_changes_roles_resets_a_password_and_signs_a_user_out_everywhere(demo_db):
    nurse = signed_in("triage-health")
    assert titles(nurse) == ["Domestic Abuse Triage"]
    at = signed_in("admin")
    at.switch_page("pages/users.py").run()
    labelled(at.selectbox, "User").set_value("triage-health").run()
    at.multiselect(key="roles_triage-health").set_value(["triage", "manager"])
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert [s.value for s in at.success] == ["triage-health saved."]
    nurse.run().switch_page("pages/statistics.py").run()  # the new role counts at once
    assert titles(nurse) == ["Statistics"]
    labelled(at.selectbox, "User").set_value("triage-health").run()
    next(b for b in at.button if b.label.startswith("Sign out everywhere")).click().run()
    assert [s.value for s in at.success] == ["triage-health signed out of 1 session."]
    assert titles(nurse.run()) == [] and [i.value for i in nurse.info] == [web.SESSION_ENDED]
    labelled(at.selectbox, "User").set_value("triage-health").run()
    labelled(at.text_input, "New first password").input("password")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert any("too easy to guess" in e.value or "at least" in e.value for e in at.error)
    labelled(at.text_input, "New first password").input("pebble saucepan harbour")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert titles(log_in("triage-health", demo.DEMO_PASSWORD)) == []
    assert titles(log_in("triage-health", "pebble saucepan harbour")) == ["My account"]
    con = db.connect(demo_db)
    try:
        assert auth.get_user(con, "triage-health").roles == {"triage", "manager"}
        assert [a for a, in con.execute("select action from audit_log where entity_id = 'triage-health' and "
                                        "username = 'admin' order by id").fetchall()] == [
            "update_user", "sign_out_everywhere", "reset_password"]
    finally:
        con.close()


def test_change_my_password_signs_out_my_other_sessions_only(demo_db):
    on_the_laptop = signed_in("manager")
    at = signed_in("manager")
    at.switch_page("pages/account.py").run()
    at.text_input[0].input(demo.DEMO_PASSWORD)
    at.text_input[1].input("password")  # a common one is refused, saying why
    at.text_input[2].input("password")
    at.button[0].click().run()
    assert any("at least 12 characters" in e.value for e in at.error)
    at.text_input[0].input(demo.DEMO_PASSWORD)
    at.text_input[1].input("another-long-password")
    at.text_input[2].input("another-long-password")
    at.button[0].click().run()
    assert [s.value for s in at.success] == ["Password changed. Your other sessions are signed out."]
    assert titles(at.run()) == ["My account"]  # this session goes on
    on_the_laptop.run()  # the other one shows nothing but that it has ended
    assert titles(on_the_laptop) == []
    assert [i.value for i in on_the_laptop.info] == [web.SESSION_ENDED]
    con = db.connect(demo_db)
    try:
        assert auth.check_password(con, "manager", "another-long-password")
        assert not auth.check_password(con, "manager", demo.DEMO_PASSWORD)
    finally:
        con.close()


def test_outside_demo_mode_a_weak_cookie_key_stops_the_app(demo_db, monkeypatch):
    con = db.connect(demo_db)
    con.execute("delete from settings where key = 'demo'")
    con.close()
    monkeypatch.setenv("ENCOMPASS_COOKIE_KEY", "short")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("cannot start" in e.value and "too short" in e.value for e in at.error)
    assert not at.text_input  # no login form


def test_sheet_text_cannot_become_markdown_links(demo_db):
    con = db.connect(demo_db)
    from encompass import sheets
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="X/[1]", school="[Click me](http://evil.example)")]),
                        "x.xlsx", "x")
    con.close()
    at = signed_in("coordinator")
    at.switch_page("pages/school_matching.py").run()
    heading = next(h.value for h in at.subheader if "Click me" in h.value)
    assert heading == "\\[Click me\\]\\(http\u2060\\://evil\\.example\\)"  # escaped, the address broken


def test_a_session_left_idle_ends_at_the_next_click(demo_db, monkeypatch):
    at = signed_in("coordinator")
    assert titles(at) == ["Today"]
    monkeypatch.setenv(clock.PIN, (clock.now() + timedelta(minutes=29)).isoformat())
    assert titles(at.run()) == ["Today"]  # in use: each click keeps it alive
    monkeypatch.setenv(clock.PIN, (clock.now() + timedelta(minutes=31)).isoformat())
    at.run()
    assert titles(at) == [] and [i.value for i in at.info] == [web.SESSION_ENDED]


def test_the_audit_log_reads_as_sentences_filters_and_downloads(demo_db):
    from encompass import settings
    con = db.connect(demo_db)
    settings.save(con, {"suppress_below": "6"}, "admin")
    from encompass import sheets
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="AU/1")]), "au.xlsx", "coordinator")
    con.close()
    at = signed_in("admin")
    at.switch_page("pages/admin.py").run()
    everyone = at.dataframe[-1].value
    assert {"admin", "coordinator"} <= set(everyone["Who"])
    at.selectbox(key="audit_who").select("admin").run()
    table = at.dataframe[-1].value
    assert set(table["Who"]) == {"admin"}
    assert list(table["What"]) == ["changed a setting"] and list(table["Details"]) == ["new: 6; old: 5"]
    at.multiselect(key="audit_groups").set_value(["Exports"]).run()
    assert at.dataframe[-1].value.empty  # nothing of that kind by admin
    at.selectbox(key="audit_who").select("").run()
    at.multiselect(key="audit_groups").set_value(["Sheets and matching"]).run()
    table = at.dataframe[-1].value
    assert "imported a police sheet" in set(table["What"]) and set(table["Who"]) == {"coordinator"}
    assert [b.label for b in at.get("download_button")][-1] == "Download these entries (CSV)"
