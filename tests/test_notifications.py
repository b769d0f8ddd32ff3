"""Notifications end to end against a real SMTP server on loopback (aiosmtpd) and a real database."""
from __future__ import annotations

import email
import json
import subprocess
import sys
import textwrap
import threading
from datetime import date, datetime
from email import policy
from pathlib import Path

import pytest

from encompass import calendar, contacts, db, mailing, matching, notifications, sheets, templates

from .conftest import BELVIDERE, HINSTOCK, child_row, pending, xlsx_bytes

def test_queue_one_per_child_and_school_with_due_time_and_blocks(ready):
    con = ready
    assert notifications.refresh(con) == 0  # nothing queued twice
    items = pending(con)
    assert [(i.police_ref, i.school, i.blocked) for i in items] == [
        ("N/1", "Belvidere Primary School", False), ("N/1", "Belvidere Primary School", False),
        ("N/2", "Hinstock Primary School", True)]
    assert items[0].due_by == datetime(2026, 11, 16, 8, 30)  # Friday night -> Monday 08:30
    assert items[0].overdue
    summary = notifications.queue_summary(con)
    assert summary == {"queued": 2, "blocked": [{"police_ref": "N/2",
                                                 "reason": "no Key Contact and no Deputy"}]}


def test_smtp_multipart_recipients_subject_and_minimal_content(ready, smtp):
    con = ready
    templates.save(con, "domestic_abuse", templates.DEFAULTS["domestic_abuse"][0],
                   templates.DEFAULTS["domestic_abuse"][1], "<p>Child: {{ child_name }}</p>", "admin")
    result = notifications.send(con, smtp.settings, "coord")
    assert (result.sent, result.failed) == (2, 1)  # Hinstock is blocked: no contacts
    assert len(smtp.messages) == 2
    rcpts, msg = smtp.messages[0]
    assert rcpts == ["dsl@belvidere.example.org", "ddsl@belvidere.example.org"]
    assert msg["To"] == "dsl@belvidere.example.org" and msg["Cc"] == "ddsl@belvidere.example.org"
    assert msg["Subject"] == "Operation Encompass notification (police ref N/1)"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "<" not in plain and "Child:            Ada Testington" in plain
    assert "03/04/2016" in plain and "13/11/2026" in plain and "N/1" in plain
    assert "<p>Child: Ada Testington</p>" in html
    for never in ("Level", "DASH", "Medium", "address"):
        assert never not in plain
    row = con.execute("select status, message_id, recipients_to, template_version from notifications "
                      "where status = 'sent' order by id limit 1").fetchone()
    assert row == ("sent", msg["Message-ID"].strip(), "dsl@belvidere.example.org", 1)
    sends = con.execute("select count(*) from audit_log where action = 'send_notification'").fetchone()[0]
    assert sends == 2


def test_plain_text_only_template_is_a_single_text_part(ready, smtp):
    notifications.send(ready, smtp.settings, "coord")
    msg = smtp.messages[0][1]
    assert msg.get_content_type() == "text/plain" and "Ada Testington" in msg.get_content()


def test_sending_twice_sends_nothing_twice(ready, smtp):
    first = notifications.send(ready, smtp.settings, "coord")
    second = notifications.send(ready, smtp.settings, "coord")
    assert (first.sent, second.sent) == (2, 0)
    assert len(smtp.messages) == 2


def test_two_simultaneous_sends_send_each_once(ready, smtp):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        notifications.send(ready, smtp.settings, "coord"))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.sent for r in results) == [0, 2]
    assert len(smtp.messages) == 2


def test_a_failing_server_then_a_retry(ready, smtp):
    smtp.failing = True
    first = notifications.send(ready, smtp.settings, "coord")
    assert first.sent == 0 and [o.status for o in first.outcomes].count("failed") == 2
    assert "451" in first.outcomes[-1].detail or "451" in first.outcomes[0].detail
    assert notifications.send(ready, smtp.settings, "coord").sent == 0  # failed ones wait for a retry
    smtp.failing = False
    again = notifications.send(ready, smtp.settings, "coord", retry_failed=True)
    assert again.sent == 2 and len(smtp.messages) == 2
    assert ready.execute("select max(attempts) from notifications where status = 'sent'").fetchone()[0] == 2


def test_tls_is_required_for_a_server_elsewhere(ready):
    settings = mailing.MailSettings(transport="smtp", host="mail.council.example.org", port=25, starttls=False)
    with pytest.raises(mailing.TransportError, match="without TLS"):
        mailing.SmtpTransport(settings)
    result = notifications.send(ready, settings, "coord")
    assert result.sent == 0 and all("without TLS" in o.detail for o in result.outcomes if o.status == "failed")
    assert ready.execute("select count(*) from notifications where status = 'sent'").fetchone()[0] == 0


def test_recipient_domain_allow_list(ready, smtp):
    settings = mailing.MailSettings(**{**smtp.settings.__dict__, "allowed_domains": ("schools.example.org",)})
    result = notifications.send(ready, settings, "coord")
    assert result.sent == 0 and len(smtp.messages) == 0
    assert all("outside the allowed recipient domains" in o.detail for o in result.outcomes if o.status == "failed")


def crash_while_sending(db_path, smtp, sabotage: str) -> None:
    """Run a send in another process that `sabotage` (Python run first) makes die with exit code 9."""
    code = textwrap.dedent(sabotage) + textwrap.dedent(f"""
        from encompass import db, mailing, notifications
        con = db.connect({str(db_path)!r})
        notifications.send(con, mailing.MailSettings(transport="smtp", host="127.0.0.1", port={smtp.settings.port},
                                                     starttls=False), "coord")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr


def test_a_crash_mid_send_leaves_outcome_unknown_not_resent(ready, db_path, tmp_path, smtp):
    ready.close()
    crash_while_sending(db_path, smtp, """
        import os
        from encompass import mailing
        real_send = mailing.SmtpTransport.send
        def send_then_die(self, msg, recipients, **kw):
            real_send(self, msg, recipients, **kw)
            os._exit(9)  # the process dies after the server took the message, before it was recorded
        mailing.SmtpTransport.send = send_then_die
    """)
    assert len(smtp.messages) == 1
    con = db.connect(db_path)
    try:
        result = notifications.send(con, smtp.settings, "coord")
        assert result.marked_unknown == 1
        assert result.sent == 1 and len(smtp.messages) == 2  # the other child; the unknown one is not resent
        unknown = [i for i in pending(con) if i.status == "unknown"]
        assert len(unknown) == 1
        notifications.settle_unknown(con, unknown[0].id, was_sent=True, username="coord", note="in sent items")
        assert notifications.send(con, smtp.settings, "coord").sent == 0
        assert len(smtp.messages) == 2
    finally:
        con.close()


def test_a_crash_after_the_server_accepted_is_recovered_from_the_journal(ready, db_path, smtp):
    ready.close()
    crash_while_sending(db_path, smtp, """
        import os
        from encompass import notifications
        notifications._record_chunk = lambda *a, **k: os._exit(9)  # dies before the database hears of it
    """)
    assert len(smtp.messages) == 2
    con = db.connect(db_path)
    try:
        result = notifications.send(con, smtp.settings, "coord")
        assert (result.marked_unknown, result.sent) == (0, 0)
        assert len(smtp.messages) == 2  # nothing sent twice
        rows = con.execute("select status, message_id is not null from notifications where urn = ? order by id",
                           [BELVIDERE]).fetchall()
        assert rows == [("sent", True), ("sent", True)]
        assert not list(notifications.journal_dir(con).glob("*.jsonl"))
    finally:
        con.close()


def test_withdraw(ready, smtp):
    item = pending(ready)[0]
    with pytest.raises(ValueError):
        notifications.withdraw(ready, item.id, "coord", " ")
    notifications.withdraw(ready, item.id, "coord", "child has left the area")
    assert notifications.send(ready, smtp.settings, "coord").sent == 1
    with pytest.raises(ValueError, match="not yet sent"):
        notifications.withdraw(ready, item.id, "coord", "again")


def test_not_at_this_school_sends_the_child_back_to_matching(ready, smtp):
    con = ready
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="W/1", forename="Dee", school="Belvidere")]),
                        "w.xlsx", "coord")
    group = next(g for g in matching.queue(con) if g["school_norm"] == "belvidere")
    matching.resolve(con, group["child_incident_ids"], "school", BELVIDERE, "coord")
    notifications.refresh(con)
    notifications.send(con, smtp.settings, "coord")
    sent = con.execute("""select n.id from notifications n join child_incidents ci on ci.id = n.child_incident_id
                          join incidents i on i.id = ci.incident_id where i.police_ref = 'W/1'""").fetchone()[0]
    notifications.record_response(con, sent, "not_at_school", "", "coord")
    assert con.execute("select status from notifications where id = ?", [sent]).fetchone() == ("returned",)
    assert any(g["school_norm"] == "belvidere" for g in matching.queue(con))
    assert con.execute("select flagged from school_aliases where text_norm = 'belvidere'").fetchone() == (True,)
    # The next sheet with that spelling asks a person instead of trusting it.
    m = matching.Matcher(con).match("Belvidere", "primary")
    assert m.status == "review" and "returned" in m.reason
    # Re-routed to another school, a new notification goes there.
    group = next(g for g in matching.queue(con) if g["school_norm"] == "belvidere")
    for role, who in (("key_contact", "k"), ("deputy", "d")):
        contacts.save(con, HINSTOCK, contacts.Contact(role, who, f"{who}@hinstock.example.org"), "coord")
    matching.resolve(con, group["child_incident_ids"], "school", HINSTOCK, "coord")
    assert notifications.refresh(con) == 0  # queued by the decision itself
    assert [(i.police_ref, i.urn, i.blocked) for i in pending(con) if i.police_ref == "W/1"
            and i.kind == "domestic_abuse"] == [("W/1", HINSTOCK, False)]
    replies = [i for i in pending(con) if i.kind == "wrong_school_reply"]
    assert [(i.police_ref, i.urn) for i in replies] == [("W/1", BELVIDERE)]
    notifications.record_response(con, sent, "triage_info", "Attendance has dropped", "coord")
    kinds = [r[0] for r in con.execute("select kind from school_responses order by id").fetchall()]
    assert kinds == ["not_at_school", "triage_info"]


def test_missing_child_notice_uses_its_own_template(ready, smtp):
    result = sheets.missing_child_notice(ready, "MISS/1", "Eve", "Mockford", date(2016, 1, 9), date(2026, 11, 20),
                                         "Belvidere Primary School", "coord")
    assert result.imported == 1
    notifications.refresh(ready)
    notifications.send(ready, smtp.settings, "coord")
    subjects = [m["Subject"] for _, m in smtp.messages]
    assert "Operation Encompass: missing-child notice (police ref MISS/1)" in subjects
    body = next(m for _, m in smtp.messages if "MISS/1" in m["Subject"]).get_content()
    assert "Reported missing:  20/11/2026" in body


def test_outbox_transport_writes_whole_eml_files(ready, tmp_path):
    settings = mailing.MailSettings(transport="outbox", outbox=tmp_path / "outbox")
    assert notifications.send(ready, settings, "coord").sent == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2 and not list((tmp_path / "outbox").glob("*.part"))
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "dsl@belvidere.example.org"


@pytest.mark.parametrize("incident, due, known", [
    ("2026-02-13T20:00", "2026-02-23", True),   # Friday before February half-term
    ("2026-01-02T10:00", "2026-01-06", True),   # Christmas holiday, then a non-pupil day on 5 January
    ("2026-05-01T21:00", "2026-05-05", True),   # Friday before the May Day bank holiday
    ("2026-03-15T03:00", "2026-03-16", True),   # a Sunday
    ("2026-03-16T03:00", "2026-03-17", True),   # a Monday night: due Tuesday
    ("2026-07-17T20:00", "2026-07-20", False),  # the end of the known calendar: weekday fallback, flagged
])
def test_due_dates(con, incident, due, known):
    when, is_known = calendar.due_by(con, datetime.fromisoformat(incident))
    assert (when.date().isoformat(), is_known) == (due, known)
    assert when.time().isoformat() == "08:30:00"


def test_templates_allow_list_subject_and_sandbox(con):
    with pytest.raises(templates.TemplateError, match="home_address"):
        templates.save(con, "domestic_abuse", "Notice", "{{ home_address }}", None, "admin")
    with pytest.raises(templates.TemplateError, match="subject may not name the child"):
        templates.save(con, "domestic_abuse", "About {{ child_name }}", "Hello", None, "admin")
    with pytest.raises(templates.TemplateError):
        templates.save(con, "domestic_abuse", "Notice", "{{ police_ref.__class__.__mro__ }}", None, "admin")
    v1 = templates.save(con, "domestic_abuse", "Notice {{ police_ref }}", "Dear DSL, {{ child_name }}", None, "admin")
    v2 = templates.save(con, "domestic_abuse", "Notice {{ police_ref }}", "Dear colleague, {{ child_name }}", None,
                        "admin")
    assert (v1, v2) == (1, 2)
    assert [v["version"] for v in templates.versions(con, "domestic_abuse")] == [2, 1]
    assert templates.current(con, "domestic_abuse").body_text.startswith("Dear colleague")
    html = templates.render(templates.Template("x", 1, "s", "t", "<b>{{ child_name }}</b>"),
                            dict(templates.SAMPLE, child_name="<script>x</script>"))
    assert "&lt;script&gt;" in html.html


def test_cli_queue_and_send(ready, db_path, tmp_path):
    ready.close()
    exe = str(Path(sys.executable).parent / "encompass")
    env = {"ENCOMPASS_MAIL_OUTBOX": str(tmp_path / "out"), "PATH": "/usr/bin:/bin"}
    q = subprocess.run([exe, "--db", str(db_path), "--json", "queue"], capture_output=True, text=True, env=env)
    assert json.loads(q.stdout) == {"queued": 2, "blocked": [
        {"police_ref": "N/2", "reason": "no Key Contact and no Deputy"}]}
    s = subprocess.run([exe, "--db", str(db_path), "--json", "send"], capture_output=True, text=True, env=env)
    assert json.loads(s.stdout) == {"sent": 2, "failed": 1, "unknown": 0}
    s = subprocess.run([exe, "--db", str(db_path), "--json", "send"], capture_output=True, text=True, env=env)
    assert json.loads(s.stdout)["sent"] == 0
    assert len(list((tmp_path / "out").glob("*.eml"))) == 2
