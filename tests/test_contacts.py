"""School contacts on a real database: history, past dates, bulk CSV, attention lists, the page."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from encompass import calendar, clock, contacts, db, exports

from .conftest import ROOT, page_as, shown, signed_in_state

BELVIDERE, HINSTOCK, HADLEY = 123437, 150398, 144853


def put(con, urn, role, name, email, phone=None, by="coord"):
    return contacts.save(con, urn, contacts.Contact(role, name, email, phone), by)


def test_a_change_closes_the_old_contact_and_keeps_history(con):
    assert put(con, BELVIDERE, "key_contact", "Ann Testperson", "ann@belvidere.example.org") == "added"
    first = clock.now()
    con.execute("update school_contacts set valid_from = valid_from - interval 10 day")
    assert put(con, BELVIDERE, "key_contact", "Bea Sample", "bea@belvidere.example.org") == "changed"
    con.execute("update school_contacts set valid_from = valid_from - interval 5 day where name = 'Bea Sample'")
    con.execute("update school_contacts set valid_to = valid_to - interval 5 day where name = 'Ann Testperson'")
    assert put(con, BELVIDERE, "key_contact", "Cy Mockford", "cy@belvidere.example.org") == "changed"
    assert put(con, BELVIDERE, "key_contact", "Cy Mockford", "CY@belvidere.example.org") == "unchanged"
    now = [c["name"] for c in contacts.current(con, BELVIDERE)]
    assert now == ["Cy Mockford"]
    history = contacts.history(con, BELVIDERE)
    assert [c["name"] for c in history] == ["Cy Mockford", "Bea Sample", "Ann Testperson"]
    assert all(c["valid_to"] for c in history[1:]) and history[0]["valid_to"] is None
    # On a past date, the contact then in force.
    assert [c["name"] for c in contacts.on_date(con, BELVIDERE, first - timedelta(days=7))] == ["Ann Testperson"]
    assert [c["name"] for c in contacts.on_date(con, BELVIDERE, first - timedelta(days=2))] == ["Bea Sample"]
    audit = con.execute("select action, detail from audit_log where action like 'contact_%' order by id").fetchall()
    assert [a for a, _ in audit] == ["contact_added", "contact_changed", "contact_changed"]
    detail = json.loads(audit[1][1])
    assert detail["old"]["name"] == "Ann Testperson" and detail["new"]["name"] == "Bea Sample"


@pytest.mark.parametrize("field, contact", [
    ("email", contacts.Contact("key_contact", "Ann", "ann@")),
    ("email", contacts.Contact("deputy", "Ann", "ann@@school.org")),
    ("email", contacts.Contact("key_contact", "Ann", "")),          # a Key Contact needs an email
    ("name", contacts.Contact("deputy", "  ", "a@b.org")),
    ("role", contacts.Contact("caretaker", "Ann", "a@b.org")),
    ("phone", contacts.Contact("head", "Ann", "a@b.org", "call me")),
])
def test_validation_names_the_field(con, field, contact):
    with pytest.raises(contacts.ContactError) as err:
        contacts.save(con, BELVIDERE, contact, "coord")
    assert err.value.field == field
    assert con.execute("select count(*) from school_contacts").fetchone()[0] == 0


def test_others_may_be_many_and_are_removed_into_history(con):
    put(con, BELVIDERE, "other", "Pastoral Lead", "pastoral@belvidere.example.org")
    put(con, BELVIDERE, "other", "Attendance Officer", "attend@belvidere.example.org")
    others = [c for c in contacts.current(con, BELVIDERE) if c["role"] == "other"]
    assert len(others) == 2
    contacts.remove(con, others[0]["id"], "coord")
    assert len([c for c in contacts.current(con, BELVIDERE) if c["role"] == "other"]) == 1
    assert len(contacts.history(con, BELVIDERE)) == 2


def test_route_blocked_school_la_lead(con):
    assert contacts.route(con, BELVIDERE).kind == "blocked"
    put(con, BELVIDERE, "key_contact", "Ann", "ann@belvidere.example.org")
    assert "Deputy" in contacts.route(con, BELVIDERE).reason
    put(con, BELVIDERE, "deputy", "Bo", "bo@belvidere.example.org")
    r = contacts.route(con, BELVIDERE)
    assert (r.kind, r.to, r.cc) == ("school", "ann@belvidere.example.org", ["bo@belvidere.example.org"])
    # Hadley is in Telford and Wrekin: out of county for Shropshire.
    assert "out of county" in contacts.route(con, HADLEY).reason
    contacts.save_la_lead(con, "894", "Telford and Wrekin", "Tw Lead", "oe@telford.example.org", None, "coord")
    r = contacts.route(con, HADLEY)
    assert (r.kind, r.to) == ("la_lead", "oe@telford.example.org")


CSV = ("urn,role,name,email,phone\n"
       f"{BELVIDERE},key_contact,Ann Testperson,ann@belvidere.example.org,01743 111111\n"
       f"999999,deputy,Nobody,n@x.example.org,\n"
       f"{BELVIDERE},deputy,Bo Sample,not-an-email,\n"
       f"{BELVIDERE},deputy,Bo Sample,bo@belvidere.example.org,\n"
       f"{HINSTOCK},head,Cy Head,cy@hinstock.example.org,\n")


def test_bulk_csv_keeps_good_rows_and_names_bad_ones(con):
    report = contacts.import_csv(con, CSV.encode(), "coord")
    assert (report.rows, report.added, report.changed, report.unchanged) == (5, 3, 0, 0)
    assert report.rejections == [
        {"row": 3, "field": "urn", "reason": "URN 999999 is not in the schools register"},
        {"row": 4, "field": "email", "reason": "'not-an-email' is not an email address"}]
    again = contacts.import_csv(con, CSV.encode(), "coord")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
    changed = CSV.replace("Bo Sample,bo@", "Bo Newname,bo@")
    third = contacts.import_csv(con, changed.encode(), "coord")
    assert third.changed == 1
    assert len(contacts.history(con, BELVIDERE)) == 3


def test_bulk_csv_without_columns_is_refused(con):
    with pytest.raises(contacts.ContactError, match="missing column"):
        contacts.import_csv(con, b"school,person\n1,2\n", "coord")


def test_exports_neutralise_formulas(con):
    put(con, BELVIDERE, "key_contact", "=HYPERLINK(\"http://x\")", "ann@belvidere.example.org")
    put(con, BELVIDERE, "head", "+44 caller", "h@belvidere.example.org", "-123 4567 89")
    rows = contacts.export_rows(con)
    text = exports.to_csv(rows, ["urn", "role", "name", "phone"]).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+44 caller" in text and "'-123 4567 89" in text
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx({"Contacts": (rows, ["name", "phone"])})))
    values = [c.value for row in book["Contacts"].iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_attention_lists_on_the_real_register(con):
    missing = contacts.missing_contacts(con)
    assert len(missing) == 232  # nobody has contacts yet
    put(con, BELVIDERE, "key_contact", "Ann", "ann@belvidere.example.org")
    put(con, BELVIDERE, "deputy", "Bo", "bo@belvidere.example.org")
    assert len(contacts.missing_contacts(con)) == 231
    rows, done, total = contacts.unconfirmed(con, today=date(2026, 11, 28))
    assert (done, total) == (0, 156)  # Shropshire's open schools in the register
    contacts.confirm(con, BELVIDERE, "coord", on=date(2026, 9, 2))
    contacts.confirm(con, 123458, "coord", on=date(2026, 8, 31))  # last school year: not done
    rows, done, total = contacts.unconfirmed(con, today=date(2026, 11, 28))
    assert done == 1 and BELVIDERE not in {r["urn"] for r in rows} and 123458 in {r["urn"] for r in rows}
    # A closed school still holding a contact, with its successor.
    con.execute("insert into school_contacts (urn, role, name, email, valid_from, changed_by) "
                "values (123372, 'key_contact', 'Old', 'old@hinstock.example.org', now(), 'x')")
    closed = contacts.closed_with_contacts(con)
    assert [(c["urn"], c["successor_urn"]) for c in closed] == [(123372, 150398)]
    put(con, BELVIDERE, "head", "Cy", "cy@belvidre.example.org")  # the typo
    assert [o["email"] for o in contacts.odd_domains(con)] == ["cy@belvidre.example.org"]


def test_school_calendar_overrides_the_la_on_its_days(con):
    friday = date(2026, 3, 13)  # Spring term for the council
    assert calendar.day_info(con, friday, BELVIDERE).school_day
    calendar.add_period(con, BELVIDERE, "non_pupil_day", "INSET day", friday, friday, "coord")
    assert not calendar.day_info(con, friday, BELVIDERE).school_day
    assert calendar.day_info(con, friday).school_day  # the LA's calendar is unchanged
    due, known = calendar.due_by(con, datetime(2026, 3, 12, 20, 0), BELVIDERE)
    assert due == datetime(2026, 3, 16, 8, 30) and known
    period = calendar.school_periods(con, BELVIDERE)[0]
    calendar.remove_period(con, period["id"], "coord")
    assert calendar.day_info(con, friday, BELVIDERE).school_day


def cli(db_path, *args):
    proc = subprocess.run([str(Path(sys.executable).parent / "encompass"), "--db", str(db_path), "--json",
                           *map(str, args)], capture_output=True, text=True, timeout=60)
    return proc


def test_cli_contacts_contract(db_path, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CSV)
    got = json.loads(cli(db_path, "import-contacts", path).stdout)
    assert (got["added"], got["rejected"]) == (3, 2) and got["rejections"][0]["row"] == 3
    path.write_text(CSV.replace("Ann Testperson", "Dee Newkey"))
    cli(db_path, "import-contacts", path)
    got = json.loads(cli(db_path, "contacts", BELVIDERE).stdout)
    assert got["urn"] == BELVIDERE and got["name"] == "Belvidere Primary School"
    assert {c["role"]: c["name"] for c in got["current"]} == {"key_contact": "Dee Newkey", "deputy": "Bo Sample"}
    assert set(got["current"][0]) == {"role", "name", "email", "phone", "valid_from"}
    assert [(h["role"], h["name"]) for h in got["history"]] == [("key_contact", "Ann Testperson")]
    assert got["history"][0]["valid_to"]
    out = tmp_path / "contacts.xlsx"
    assert json.loads(cli(db_path, "export-contacts", "--out", out).stdout)["rows"] == 3
    assert openpyxl.load_workbook(out)["Contacts"].max_row == 4


# --- the page ---------------------------------------------------------------------------------

def test_page_find_replace_dsl_and_watch_the_blocked_list_shrink(demo_db):
    at = page_as("coordinator", "pages/schools.py")
    blocked_before = int(at.metric[0].value)
    con = db.connect(demo_db)
    urn, name = next((m["urn"], m["name"]) for m in contacts.missing_contacts(con)
                     if not m["out_of_county"] and not m["has_key"] and not m["has_deputy"])
    con.close()
    at.text_input[0].input(name.split()[0] + " " + name.split()[1]).run()
    chosen = next(i for i, o in enumerate(at.selectbox[0].options) if f"URN {urn}" in o)
    at.selectbox[0].select_index(chosen).run()
    assert [shown(s.value) for s in at.subheader] == [f"{name} (URN {urn})"]
    assert any("cannot go" in e.value for e in at.error)
    for role, person in (("key_contact", "Kay Newdsl"), ("deputy", "Dee Newdeputy")):
        form = f"form-{urn}-{role}-new"
        inputs = [t for t in at.text_input if t.form_id == form]
        inputs[0].input(person)
        inputs[1].input(f"{role}@newschool.example.org")
        next(b for b in at.button if b.form_id == form).click().run()
        assert not at.exception and any(m.value.startswith("Contact added") for m in at.success)
    assert int(at.metric[0].value) == blocked_before - 1
    # A bad email is refused with the field named.
    form = f"form-{urn}-head-new"
    inputs = [t for t in at.text_input if t.form_id == form]
    inputs[0].input("Hed Bad")
    inputs[1].input("hed@")
    next(b for b in at.button if b.form_id == form).click().run()
    assert any(shown(e.value).startswith("Email:") for e in at.error)


def test_page_upload_contacts_with_a_bad_row(demo_db):
    at = page_as("coordinator", "pages/schools.py")
    at.file_uploader(key="contacts_csv").upload("contacts.csv", CSV.encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Import contacts").click().run()
    assert not at.exception
    assert any(m.value.startswith("5 rows:") and "2 rejected" in m.value for m in at.success)
    table = next(d.value for d in at.dataframe if "Row" in d.value.columns)
    assert list(table["Row"]) == [3, 4] and list(table["Field"]) == ["urn", "email"]


@pytest.mark.parametrize("username", ["manager", "triage-police"])
def test_page_is_closed_to_managers_and_triage(demo_db, username):
    at = page_as(username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/schools.py")
    direct = AppTest.from_file(str(ROOT / "pages" / "schools.py"), default_timeout=60)
    for key, value in signed_in_state(username).items():
        direct.session_state[key] = value
    direct.run()
    assert [e.value for e in direct.error] == ["You do not have access to this page."]


def test_page_replacing_a_dsl_starts_empty_and_a_typo_domain_is_questioned(demo_db):
    con = db.connect(demo_db)
    contacts.save(con, BELVIDERE, contacts.Contact("key_contact", "Kay Old", "kay@belvidere.example.org",
                                                   "01743 111111"), "t")
    con.close()
    at = page_as("coordinator", "pages/schools.py")
    at.text_input[0].input(str(BELVIDERE)).run()
    form = f"form-{BELVIDERE}-key_contact-new"  # "a new person takes over" is the default: nothing carried over
    inputs = [t for t in at.text_input if t.form_id == form]
    assert [t.value for t in inputs] == ["", "", ""]
    inputs[0].input("Nia Newlead")
    inputs[1].input("nia@gmial.com")
    next(b for b in at.button if b.form_id == form).click().run()
    assert any("looks like “gmail.com”" in shown(w.value) for w in at.warning)
    con = db.connect(demo_db)
    assert contacts.current(con, BELVIDERE)[0]["name"] == "Kay Old"  # not saved yet
    con.close()
    next(c for c in at.checkbox if c.form_id == form).check()
    next(b for b in at.button if b.form_id == form).click().run()
    assert "Contact replaced; the previous one is kept in the history." in [m.value for m in at.success]
    con = db.connect(demo_db)
    try:
        lead = next(c for c in contacts.current(con, BELVIDERE) if c["role"] == "key_contact")
        assert (lead["name"], lead["email"], lead["phone"]) == ("Nia Newlead", "nia@gmial.com", None)
    finally:
        con.close()


def test_a_domain_a_letter_from_a_known_one_is_flagged(con):
    assert "gmail.com" in contacts.domain_warning(con, "dsl@gmial.com")
    assert contacts.domain_warning(con, "dsl@gmail.com") is None
    assert contacts.domain_warning(con, "dsl@belvidere.shropshire.sch.uk") is None  # unlike any: nothing to say
