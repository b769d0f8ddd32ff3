"""Mail servers that misbehave on purpose (real aiosmtpd servers, real sockets): each recipient's fate is decided
on its own, nothing is sent twice, nothing is marked failed that may have arrived, and TLS is verified."""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller

from encompass import contacts, ledger, mailing, notifications, sheets, templates

from .conftest import BELVIDERE, Inbox, child_row, free_port, xlsx_bytes


class RefusesTheDeputy(Inbox):
    """Takes mail for the Key Contact, answers 550 for the Deputy's address."""

    def __init__(self, refuse: str = "ddsl@belvidere.example.org"):
        super().__init__()
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class DropsAfterStoring(Inbox):
    """Stores the first message, then cuts the connection instead of answering."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            server.transport.abort()
        return "250 OK"


class AnswersLate(Inbox):
    """Stores the first message and answers only after the client has stopped waiting."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            await asyncio.sleep(self.delay)
        return "250 OK"


def serve(handler, host: str = "127.0.0.1", **options):
    controller = Controller(handler, hostname=host, port=free_port(), **options)
    controller.start()
    return controller


def smtp_settings(controller, **extra) -> mailing.MailSettings:
    return mailing.MailSettings(**{"transport": "smtp", "host": controller.hostname, "port": controller.port,
                                   "starttls": False, "sender": "encompass@council.example.org", **extra})


def statuses(con) -> list[tuple]:
    return con.execute("""select i.police_ref, p.forename, n.status from notifications n
                          join child_incidents ci on ci.id = n.child_incident_id
                          join incidents i on i.id = ci.incident_id join children p on p.id = ci.child_id
                          where n.kind = 'domestic_abuse' order by i.police_ref, p.forename""").fetchall()


def test_one_refused_lead_does_not_fail_the_message_or_send_it_twice(ready):
    """Before: a 550 for the Deputy made the whole message 'failed' and a retry notified every child twice."""
    con = ready
    server = RefusesTheDeputy()
    controller = serve(server)
    try:
        first = notifications.send(con, smtp_settings(controller), "coord")
        assert first.sent == 2
        assert all("refused: ddsl@belvidere.example.org (550 5.1.1 No such user here)" in o.detail
                   for o in first.outcomes if o.status == "sent")
        again = notifications.send(con, smtp_settings(controller), "coord", retry_failed=True)
        assert again.sent == 0
    finally:
        controller.stop()
    assert [rcpts for rcpts, _ in server.messages] == [["dsl@belvidere.example.org"]] * 2  # once each, never again
    assert statuses(con)[:2] == [("N/1", "Ada", "sent"), ("N/1", "Bo", "sent")]
    recorded = con.execute("select address, role, outcome, detail from notification_recipients "
                           "order by notification_id, role desc").fetchall()
    assert recorded == [("dsl@belvidere.example.org", "to", "accepted", None),
                        ("ddsl@belvidere.example.org", "cc", "refused", "550 5.1.1 No such user here")] * 2
    # The refused address is on the contacts' attention list until the server takes it again.
    assert [(r["urn"], r["role"], r["email"]) for r in contacts.refused_addresses(con)] == [
        (BELVIDERE, "deputy", "ddsl@belvidere.example.org")]
    sheets.import_sheet(con, xlsx_bytes([child_row(ref="N/9", forename="Di", school="Belvidere Primary School")]),
                        "n9.xlsx", "coord")
    notifications.refresh(con)
    fixed = serve(Inbox())
    try:
        assert notifications.send(con, smtp_settings(fixed), "coord").sent == 1
    finally:
        fixed.stop()
    assert contacts.refused_addresses(con) == []


def test_a_connection_dropped_after_the_message_left_is_unknown_and_never_resent(ready):
    """Before: marked 'failed', and a retry sent it again. After DATA the outcome is unknown; the rest of the
    batch goes on over a new connection."""
    con = ready
    server = DropsAfterStoring()
    controller = serve(server)
    try:
        result = notifications.send(con, smtp_settings(controller), "coord")
        assert [o.status for o in result.outcomes if o.status != "blocked"] == ["unknown", "sent"]
        assert "before the server answered" in next(o.detail for o in result.outcomes if o.status == "unknown")
        assert notifications.send(con, smtp_settings(controller), "coord", retry_failed=True).sent == 0
    finally:
        controller.stop()
    assert len(server.messages) == 2  # each child's message arrived once
    assert statuses(con)[:2] == [("N/1", "Ada", "unknown"), ("N/1", "Bo", "sent")]
    ada = con.execute("select id, child_incident_id from notifications where status = 'unknown'").fetchone()
    state = ledger.states_of(con, [ada[1]])[ada[1]]
    assert (state["state"], state["reason"]) == (  # in front of a person, with the reason
        "outcome_unknown", "the send was interrupted after the message left: check whether it arrived")
    notifications.settle_unknown(con, ada[0], was_sent=True, username="coord", note="in the sent items")
    with pytest.raises(notifications.NotificationError, match="no longer unknown"):  # a second click: a message
        notifications.settle_unknown(con, ada[0], was_sent=True, username="coord")
    assert ledger.states_of(con, [ada[1]])[ada[1]]["state"] == "sent"


def test_a_reply_slower_than_the_timeout_is_unknown_not_failed(ready):
    con = ready
    server = AnswersLate(delay=3)
    controller = serve(server)
    try:
        result = notifications.send(con, smtp_settings(controller, timeout=1.0), "coord")
        assert [o.status for o in result.outcomes if o.status != "blocked"] == ["unknown", "sent"]
        assert "timed out" in next(o.detail for o in result.outcomes if o.status == "unknown")
        assert notifications.send(con, smtp_settings(controller), "coord", retry_failed=True).sent == 0
    finally:
        controller.stop()
    assert len(server.messages) == 2
    assert statuses(con)[:2] == [("N/1", "Ada", "unknown"), ("N/1", "Bo", "sent")]


def test_a_template_that_breaks_for_one_child_fails_that_message_alone(ready):
    """Before: `{{ child_name[15] }}` passed the sample check, then stopped the batch at the first short name and
    left messages stuck in 'sending'."""
    con = ready
    long_name = child_row(ref="N/3", forename="Maximiliana", school="Belvidere Primary School")
    sheets.import_sheet(con, xlsx_bytes([long_name]), "n3.xlsx", "coord")
    notifications.refresh(con)
    default = templates.DEFAULTS["domestic_abuse"]
    templates.save(con, "domestic_abuse", default[0], "Initial: {{ child_name[15] }}", None, "admin")
    server = Inbox()
    controller = serve(server)
    try:
        result = notifications.send(con, smtp_settings(controller), "coord")
    finally:
        controller.stop()
    by_ref = {(o.police_ref, o.status) for o in result.outcomes}
    assert ("N/3", "sent") in by_ref and result.sent == 1
    broken = [o for o in result.outcomes if o.status == "failed"]
    assert len(broken) == 2 and all("template cannot be filled in" in o.detail for o in broken)
    assert [s for *_, s in statuses(con)] == ["failed", "failed", "queued", "sent"]  # N/2 waits: no contacts
    assert con.execute("select count(*) from notifications where status = 'sending'").fetchone() == (0,)
    assert len(server.messages) == 1


# --- TLS ------------------------------------------------------------------------------------------

def outward_address() -> str | None:
    """This machine's address on its network (not loopback): where a server 'elsewhere' can listen."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.123", 9))  # no packet is sent: this only chooses a route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def certificate(tmp_path, names: list[str]) -> tuple[str, str]:
    """A self-signed certificate (and key) for these names; returns their file paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alternatives = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{names[0]}.pem", tmp_path / f"{names[0]}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def elsewhere():
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no network address other than loopback")
    return address


def tls_server(host: str, cert: tuple[str, str], implicit: bool):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    inbox = Inbox()
    options = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    return inbox, serve(inbox, host, **options)


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_a_server_elsewhere_with_an_untrusted_certificate_receives_nothing(ready, elsewhere, tmp_path, implicit):
    """Before: a self-signed certificate for another host on a non-loopback address received all 201 messages."""
    inbox, controller = tls_server(elsewhere, certificate(tmp_path, ["mail.other.example"]), implicit)
    try:
        settings = smtp_settings(controller, starttls=not implicit, ssl=implicit)
        result = notifications.send(ready, settings, "coord")
        assert result.sent == 0
        assert all("not trusted" in o.detail and "self-signed" in o.detail
                   for o in result.outcomes if o.status == "failed")
    finally:
        controller.stop()
    assert inbox.messages == []
    assert [s for *_, s in statuses(ready)][:2] == ["failed", "failed"]  # nothing claimed as sent


def test_a_trusted_certificate_for_another_name_is_refused_too(ready, elsewhere, tmp_path):
    cert = certificate(tmp_path, ["mail.other.example"])
    inbox, controller = tls_server(elsewhere, cert, implicit=False)
    try:
        result = notifications.send(ready, smtp_settings(controller, starttls=True, ca_file=cert[0]), "coord")
    finally:
        controller.stop()
    assert result.sent == 0 and inbox.messages == []
    assert all("not trusted" in o.detail and "mismatch" in o.detail for o in result.outcomes if o.status == "failed")


def test_the_councils_own_authority_is_trusted_when_named(ready, elsewhere, tmp_path):
    cert = certificate(tmp_path, [elsewhere])
    inbox, controller = tls_server(elsewhere, cert, implicit=False)
    try:
        result = notifications.send(ready, smtp_settings(controller, starttls=True, ca_file=cert[0]), "coord")
    finally:
        controller.stop()
    assert result.sent == 2 and len(inbox.messages) == 2
