"""The audit log records who did what to which record — never the free text people type, which may name a child."""
from __future__ import annotations

from encompass import ledger, mailing, matching, notifications, sheets, templates, triage

from .conftest import child_row, pending, xlsx_bytes

NAME = "Zebedee Sentinel"


def test_no_typed_text_or_childs_name_reaches_the_audit_log(ready, tmp_path):
    """Before: a withdrawal's free-text reason was copied verbatim into the audit log, kept forever."""
    con = ready
    outbox = mailing.MailSettings(transport="outbox", outbox=tmp_path / "outbox")
    sheets.import_sheet(con, xlsx_bytes([
        child_row(ref="Z/1", forename="Zebedee", surname="Sentinel", school="Belvidere Primary School",
                  incident="24/11/2026", level="Level 3"),
        child_row(ref="Z/2", forename="Ann", school="Belvidere Primary School", incident="24/11/2026"),
        child_row(ref="Z/3", forename="Bea", school="St Mary's"),  # one of many: a person must choose
    ]), "z.xlsx", "coord")
    notifications.refresh(con)

    # A template that passes the sample check but quotes the child's name in its error for anyone else.
    default = templates.DEFAULTS["domestic_abuse"]
    templates.save(con, "domestic_abuse", default[0], '{{ {"Sample Testington": 1}[child_name] }}', None, "admin")
    failed = notifications.send(con, outbox, "coord")
    assert any(NAME in o.detail for o in failed.outcomes)  # the co-ordinator is told exactly what broke ...
    templates.save(con, "domestic_abuse", *default, "admin")

    z2 = next(i for i in pending(con) if i.police_ref == "Z/2")
    notifications.withdraw(con, z2.id, "coord", f"{NAME}'s mother asked us to wait")
    assert notifications.send(con, outbox, "coord", retry_failed=True).sent >= 1
    sent = con.execute("select n.id from notifications n join child_incidents ci on ci.id = n.child_incident_id "
                       "join incidents i on i.id = ci.incident_id where i.police_ref = 'Z/1'").fetchone()[0]
    notifications.record_response(con, sent, "triage_info", f"{NAME} was upset in class", "coord")

    z3 = con.execute("select ci.id from child_incidents ci join incidents i on i.id = ci.incident_id "
                     "where i.police_ref = 'Z/3'").fetchone()[0]
    assert matching.queue(con)  # Z/3 waits for a person; they decide instead that it needs no notification
    ledger.close(con, [z3], "Other", f"{NAME}'s cousin: a duplicate", "coord")

    incident = con.execute("select id from incidents where police_ref = 'Z/1'").fetchone()[0]
    meeting = triage.normal_meeting(con.execute("select incident_at from incidents where id = ?",
                                                [incident]).fetchone()[0])
    triage.save_check(con, incident, "Police", "yes", f"{NAME} known to us", 0, "police", "Police")
    triage.decide(con, meeting, incident, 3, "School to monitor", f"{NAME} needs a trusted adult", "chair")
    triage.add_action(con, meeting, incident, f"Call {NAME}'s school", "Police", None, "chair")
    for other in triage.incident_ids(con, meeting):
        if other != incident:
            triage.decide(con, meeting, other, 2, "No further action", "", "chair")
    assert triage.close_meeting(con, meeting, "chair") == []
    triage.decide(con, meeting, incident, 2, "School to monitor", "lowered", "chair", reason=f"{NAME} moved away")
    triage.minutes_html(con, meeting, "chair")

    logged = con.execute("select action, coalesce(entity_id, ''), coalesce(detail, '') from audit_log").fetchall()
    actions = {a for a, _, _ in logged}
    assert {"send_failed", "withdraw_notification", "school_reply", "close_child_incident", "triage_check",
            "triage_decision", "triage_action", "triage_amend", "export_minutes"} <= actions
    for words in (NAME, "Zebedee", "Sentinel", "mother", "upset", "cousin", "trusted adult", "moved away"):
        assert not [row for row in logged if words.lower() in " ".join(row).lower()], words
