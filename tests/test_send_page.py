"""The Send and Admin pages through AppTest on a real demo database and a real outbox folder."""
from __future__ import annotations

import email
import re
from email import policy

import pytest

from encompass import contacts, db, matching, notifications, sheets

from .conftest import child_row, page_as, pending, shown, xlsx_bytes

SHREWSBURY_ACADEMY = 147540


def import_one(db_path, **row) -> None:
    """One child at Shrewsbury Academy, whose Key Contact and Deputy the test sets itself."""
    con = db.connect(db_path)
    try:
        for role, who in (("key_contact", "dsl"), ("deputy", "ddsl")):
            contacts.save(con, SHREWSBURY_ACADEMY, contacts.Contact(role, who.upper(), f"{who}@sa.example.org"), "t")
        sheets.import_sheet(con, xlsx_bytes([child_row(school="Shrewsbury Academy", dob="02/02/2012", **row)]),
                            "s.xlsx", "coordinator")
    finally:
        con.close()


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setenv("ENCOMPASS_MAIL_OUTBOX", str(folder))
    return folder


def test_preview_send_all_send_again_and_a_wrong_school_reply(demo_db, outbox):
    import_one(demo_db, ref="S/1", forename="Pia")
    at = page_as("coordinator", "pages/send.py")
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["Ready to send"] >= 1
    ours = next(i for i in pending(db.connect(demo_db)) if i.police_ref == "S/1")
    assert not any(b.key == f"preview-{ours.id}" for b in at.button)  # messages are drawn when a school is opened
    at.selectbox(key="send_open").select(ours.target).run()
    at.button(key=f"preview-{ours.id}").click().run()
    previewed = next(c.value for c in at.code if "S/1" in c.value)
    assert "Pia Testington" in previewed and "02/02/2012" in previewed and "Subject: Operation Encompass" in previewed
    assert "Subject: Operation Encompass notification (police ref S/1)" in previewed
    [b for b in at.button if b.label.startswith("Send all")][0].click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{metrics['Ready to send']} sent")
    files = list(outbox.glob("*.eml"))
    assert len(files) == metrics["Ready to send"]
    assert {int(m.value) for m in at.metric if m.label == "Ready to send"} == {0}
    # Sending again sends nothing: the button is disabled and the queue is empty.
    assert [b for b in at.button if b.label.startswith("Send all")][0].disabled
    assert len(list(outbox.glob("*.eml"))) == len(files)
    ours_msg = next(email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files
                    if b"S/1" in f.read_bytes())
    assert "Pia" not in ours_msg["Subject"]
    # The school says the child is not theirs: found by the police reference, nothing pre-selected, confirmed.
    at.text_input(key="reply_ref").input("s/1").run()
    picker = next(s for s in at.selectbox if s.label == "Notification")
    assert picker.options == ["S/1 — P.T., age 14 — Shrewsbury Academy — sent 25/11 10:00"]
    reply = next(r for r in at.radio if r.label == "The school says")
    assert reply.value is None
    reply.set_value("not_at_school")
    next(b for b in at.button if b.label == "Record reply").click().run()
    assert any("tick the box" in e.value.lower() for e in at.error)  # the risky answer is confirmed first
    next(r for r in at.radio if r.label == "The school says").set_value("not_at_school")
    at.checkbox[0].check()
    next(b for b in at.button if b.label == "Record reply").click().run()
    assert any("back in School matching" in s.value for s in at.success)
    con = db.connect(demo_db)
    try:
        waiting = [g for g in matching.queue(con) if "S/1" in g["police_refs"]]
        assert len(waiting) == 1
    finally:
        con.close()


def test_withdraw_needs_a_reason(demo_db, outbox):
    import_one(demo_db, ref="S/2")
    con = db.connect(demo_db)
    notifications.refresh(con)
    ours = next(i for i in pending(con) if i.police_ref == "S/2")
    con.close()
    at = page_as("coordinator", "pages/send.py")
    at.selectbox(key="send_open").select(ours.target).run()
    at.button(key=f"withdraw-{ours.id}").click().run()
    next(b for b in at.button if b.label == "Withdraw notification").click().run()
    assert any("say why" in e.value.lower() for e in at.error)
    next(t for t in at.text_input if t.label == "Why is it withdrawn?").input("duplicate of a phone call")
    next(b for b in at.button if b.label == "Withdraw notification").click().run()
    con = db.connect(demo_db)
    try:
        assert con.execute("select status from notifications where id = ?", [ours.id]).fetchone() == ("withdrawn",)
    finally:
        con.close()


def test_admin_template_refuses_unknown_fields_and_keeps_versions(demo_db):
    at = page_as("admin", "pages/admin.py")
    subject = next(t for t in at.text_input if t.label == "Subject")
    subject.input("About {{ child_name }}").run()
    assert any("may not name the child" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any(e.value.startswith("Not saved") for e in at.error)
    subject = next(t for t in at.text_input if t.label == "Subject")
    subject.input("Operation Encompass ({{ police_ref }})").run()
    assert "Subject: Operation Encompass (DEMO/000123/26)" in at.code[0].value
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert [s.value for s in at.success] == ["Saved as version 1."]


def test_admin_settings_are_checked(demo_db):
    at = page_as("admin", "pages/admin.py")
    box = next(t for t in at.text_input if t.label.startswith("Mailbox for information"))
    box.input("not-an-email")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert any("is not an email address" in e.value for e in at.error)


def test_send_page_through_a_real_smtp_server(demo_db, monkeypatch):
    from aiosmtpd.controller import Controller

    from .conftest import Inbox, free_port
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for key, value in {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port),
                           "SMTP_STARTTLS": "false", "SMTP_FROM": "oe@council.example.org"}.items():
            monkeypatch.setenv(f"ENCOMPASS_{key}", value)
        import_one(demo_db, ref="M/9")
        at = page_as("coordinator", "pages/send.py")
        assert any("Mail goes through 127.0.0.1" in shown(c.value) for c in at.caption)
        ready = {m.label: int(m.value) for m in at.metric}["Ready to send"]
        [b for b in at.button if b.label.startswith("Send all")][0].click().run()
        assert not at.exception
        assert len(inbox.messages) == ready
        assert any(m["Subject"] == "Operation Encompass notification (police ref M/9)" for _, m in inbox.messages)
        assert all(m["From"] == "oe@council.example.org" for _, m in inbox.messages)
    finally:
        controller.stop()


def test_admin_adds_a_council_calendar_period(demo_db):
    from datetime import date
    at = page_as("admin", "pages/admin.py")
    form = "la-period"
    next(s for s in at.selectbox if s.form_id == form).select("holiday")
    next(t for t in at.text_input if t.form_id == form).input("Autumn 2026 test holiday")
    dates = [d for d in at.date_input if d.form_id == form]
    dates[0].set_value(date(2026, 12, 21))
    dates[1].set_value(date(2027, 1, 1))
    next(b for b in at.button if b.form_id == form).click().run()
    assert not at.exception and not at.error
    con = db.connect(demo_db)
    try:
        from encompass import calendar
        assert calendar.day_info(con, date(2026, 12, 22)).kind == "holiday"
    finally:
        con.close()


def test_a_running_send_is_shown_as_running_and_a_dead_one_is_settled(demo_db):
    """Another session opening Send while a batch is on the wire sees who is sending since when, not an
    interruption; a batch whose process died is settled when Send is next opened."""
    import threading
    import time

    from .test_hostile_mail import AnswersLate, serve, smtp_settings
    import_one(demo_db, ref="R/1")
    server = AnswersLate(delay=4)
    controller = serve(server)
    con = db.connect(demo_db)
    try:
        sender = threading.Thread(target=notifications.send, args=(
            db.cursor(con), smtp_settings(controller, timeout=20), "coordinator"))
        sender.start()
        while not server.messages:  # the first message is on the wire, its answer slow
            time.sleep(0.05)
        at = page_as("coordinator", "pages/send.py")
        assert any(re.fullmatch(r"\d+ messages? (is|are) being sent by coordinator since 10:00\.", shown(i.value))
                   for i in at.info)
        assert not any("Outcome unknown" in e.value for e in at.error)
        sender.join()
        assert con.execute("select count(*) from notifications where status = 'sending'").fetchone() == (0,)

        # A batch that died with its process: rows left 'sending', no journal. Opening Send settles them.
        victim = con.execute("select id from notifications where status = 'sent' limit 1").fetchone()[0]
        con.execute("update notifications set status = 'sending', batch_id = 'dead', claimed_by = 'coordinator', "
                    "claimed_at = now() where id = ?", [victim])
        at = page_as("coordinator", "pages/send.py")
        assert not at.info or not any("being sent" in i.value for i in at.info)
        assert any("Outcome unknown" in e.value for e in at.error)
        assert con.execute("select status from notifications where id = ?", [victim]).fetchone() == ("unknown",)
    finally:
        con.close()
        controller.stop()
