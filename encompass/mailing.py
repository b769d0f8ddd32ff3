"""Mail transports: the outbox folder (default, safe for a demo) and SMTP through yagmail.

Messages are built here as proper MIME: a readable text/plain part, and an HTML alternative only when the
template has one (yagmail's own plain part is the raw HTML). A batch uses one SMTP connection.

TLS is required unless the server is on this machine (loopback), and it is verified: the server's
certificate must chain to a trusted authority (the system's, or a CA bundle setting) and name the host.

Each message's fate is decided per recipient and per phase of the SMTP conversation:
- refused before the message itself went (MAIL FROM, every RCPT TO, or the DATA command): nothing was
  sent — `Refused`; the notification failed and may be retried;
- some recipients refused, others accepted: it was sent to those accepted (`Delivery.refused` says who not);
- an error or a silence once the message's text began to travel: nobody can know whether it was stored —
  `Uncertain`; a person checks before anything is sent again.
"""
from __future__ import annotations

import ipaddress
import os
import quopri
import re
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formatdate, make_msgid
from pathlib import Path

import yagmail

from . import clock, db


class TransportError(RuntimeError):
    """The mail server cannot be used at all (no connection, TLS not trusted, login refused)."""


class Refused(RuntimeError):
    """The message did not go to anyone: refused before its text was sent."""


class Uncertain(RuntimeError):
    """The message's text was on its way when the conversation broke: it may or may not have been stored."""


@dataclass(frozen=True)
class MailSettings:
    transport: str = "outbox"            # outbox / smtp
    outbox: Path = db.ROOT / "data" / "outbox"
    host: str = "localhost"
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "encompass@council.example.org"
    starttls: bool = True
    ssl: bool = False
    ca_file: str | None = None             # a CA bundle to trust instead of the system's
    timeout: float = 30.0
    allowed_domains: tuple[str, ...] = ()  # empty: any recipient domain

    @classmethod
    def from_env(cls, env=os.environ, secrets: dict | None = None) -> "MailSettings":
        """ENCOMPASS_MAIL_TRANSPORT, ENCOMPASS_SMTP_HOST/_PORT/_USER/_PASSWORD/_FROM/_STARTTLS/_SSL/_CA_FILE/
        _TIMEOUT, ENCOMPASS_MAIL_ALLOWED_DOMAINS; then the [mail] table of secrets.toml."""
        secrets = secrets or {}

        def get(name, default=None):
            return env.get(f"ENCOMPASS_{name.upper()}") or secrets.get(name.lower()) or default

        def flag(name, default):
            value = get(name)
            return default if value is None else str(value).lower() in ("1", "true", "yes", "on")

        domains = get("mail_allowed_domains", "")
        return cls(
            transport=get("mail_transport", "outbox"),
            outbox=Path(get("mail_outbox", db.ROOT / "data" / "outbox")),
            host=get("smtp_host", "localhost"), port=int(get("smtp_port", 587)),
            user=get("smtp_user"), password=get("smtp_password"),
            sender=get("smtp_from", "encompass@council.example.org"),
            starttls=flag("smtp_starttls", True), ssl=flag("smtp_ssl", False),
            ca_file=get("smtp_ca_file"), timeout=float(get("smtp_timeout", 30)),
            allowed_domains=tuple(d.strip().lower() for d in str(domains).split(",") if d.strip()),
        )


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: its Message-ID and its bytes (CRLF line ends)."""
    message_id: str
    data: bytes


@dataclass
class Delivery:
    """What the server said about one message: who accepted it, who refused it and why."""
    message_id: str
    accepted: list[str]
    refused: dict[str, str] = field(default_factory=dict)


_NEWLINE = re.compile(r"[\r\n]")


def _header(name: str, value: str) -> bytes:
    if _NEWLINE.search(value):  # a header is one line: nothing data-derived may start another
        raise ValueError(f"the {name} header would span lines")
    if not value.isascii():
        value = Header(value, "utf-8").encode(linesep="\r\n")
    return f"{name}: {value}\r\n".encode("ascii")


def _qp(text: str) -> bytes:
    """Quoted-printable, CRLF line ends: the text stays readable in the raw message."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return quopri.encodestring(lines.encode("utf-8")).replace(b"\n", b"\r\n")


def _part(subtype: str, text: str) -> tuple[bytes, bytes]:
    return (_header("Content-Type", f'text/{subtype}; charset="utf-8"')
            + _header("Content-Transfer-Encoding", "quoted-printable"), _qp(text))


def build_message(sender: str, to: list[str], cc: list[str], subject: str, text: str, html: str | None,
                  domain: str = "encompass.local") -> Outgoing:
    """A text/plain message, or multipart/alternative with an HTML part when there is one.

    Written out directly: the email package folds and re-encodes every header of every message, which
    costs more than sending it over a local connection; every header here is one line already.
    """
    message_id = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    head = (_header("From", sender) + _header("To", ", ".join(to)) + (_header("Cc", ", ".join(cc)) if cc else b"")
            + _header("Subject", subject) + _header("Date", formatdate(localtime=True))
            + _header("Message-ID", message_id) + _header("MIME-Version", "1.0"))
    if html is None:
        part_head, body = _part("plain", text)
        return Outgoing(message_id, head + part_head + b"\r\n" + body)
    boundary = f"=_encompass_{uuid.uuid4().hex}"
    parts = [_part("plain", text), _part("html", html)]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + h + b"\r\n" + b + (b"" if b.endswith(b"\r\n") else b"\r\n")
                    for h, b in parts) + b"--" + boundary.encode() + b"--\r\n"
    return Outgoing(message_id, head + _header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
                    + b"\r\n" + body)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except OSError:
            return False


def label(urn: int | None, target: str, police_ref: str) -> str:
    """A file name for a message that says when, to which school and about which reference, and never
    names the child: YYYYMMDD-HHMM-URN-ref (or EHE / LA-code in place of the URN)."""
    where = str(urn) if urn is not None else ("EHE" if target == "ehe" else "LA" + target.split(":", 1)[-1])
    ref = re.sub(r"[^A-Za-z0-9]+", "-", police_ref).strip("-")[:40] or "ref"
    return f"{clock.now():%Y%m%d-%H%M}-{where}-{ref}"


class OutboxTransport:
    """Each message as an .eml file in a folder: nothing leaves the machine."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, out: Outgoing, recipients: list[str], label: str | None = None) -> Delivery:
        name = label or out.message_id.strip("<>").replace("@", "_at_").replace("/", "_")
        partial = self.folder / f".{uuid.uuid4().hex}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(out.data)
        try:
            for n in range(1, 1000):  # siblings at one school share a reference: -2, -3 ...
                target = self.folder / (f"{name}.eml" if n == 1 else f"{name}-{n}.eml")
                try:
                    os.link(partial, target)  # whole or not at all, and never over another message
                    return Delivery(out.message_id, list(recipients))
                except FileExistsError:
                    continue
            raise Refused(f"too many messages named {name} in the outbox")
        finally:
            partial.unlink(missing_ok=True)


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """A verifying context: the system's trusted authorities (or the CA bundle set), host names checked."""
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(f"cannot read the CA bundle {settings.ca_file}: {exc}") from None


class SmtpTransport:
    """One SMTP connection for a batch, opened through yagmail with verified TLS, and opened again when it
    breaks (the rest of the batch goes on)."""

    def __init__(self, settings: MailSettings):
        if not (settings.starttls or settings.ssl) and not is_loopback(settings.host):
            raise TransportError(f"refusing to send to {settings.host} without TLS: set ENCOMPASS_SMTP_STARTTLS "
                                 "(or _SSL), or use a server on this machine")
        if settings.user and not settings.password:
            raise TransportError("ENCOMPASS_SMTP_USER is set without ENCOMPASS_SMTP_PASSWORD")
        self.settings = settings
        self.client = None
        self.broken = False  # the connection is in an unknown state: open a new one before the next message

    def __enter__(self):
        self._open()
        return self

    def _open(self) -> None:
        s = self.settings
        context = tls_context(s) if (s.starttls or s.ssl) else None
        extra = {"context": context} if s.ssl else {}
        try:
            self.client = yagmail.SMTP(user=s.user or s.sender, password=s.password, host=s.host, port=s.port,
                                       smtp_starttls={"context": context} if s.starttls and not s.ssl else False,
                                       smtp_ssl=s.ssl, smtp_skip_login=not s.user, soft_email_validation=False,
                                       timeout=s.timeout, **extra)
            self.client.login()
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(f"the mail server {s.host}:{s.port} is not trusted: {exc.verify_message} "
                                 "(its certificate must name the host and chain to a trusted authority; "
                                 "ENCOMPASS_SMTP_CA_FILE can name the council's own)") from None
        except smtplib.SMTPNotSupportedError:
            raise TransportError(f"the mail server {s.host}:{s.port} does not offer STARTTLS") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"cannot connect to the mail server {s.host}:{s.port}: {exc}") from None
        self.broken = False

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing a broken connection must not hide the real error
            pass

    def send(self, out: Outgoing, recipients: list[str], label: str | None = None) -> Delivery:
        """MAIL, RCPT for each recipient, DATA: the conversation smtplib.sendmail has, told apart by phase.
        Before the message's text goes nothing has been delivered, so a dropped connection there is simply
        opened again, once; after it, only the server's answer says what happened."""
        for attempt in (1, 2):
            try:
                if self.broken:
                    self._close()
                    self._open()
                accepted, refused = self._envelope(recipients)
                break
            except TransportError as exc:
                raise Refused(str(exc)) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.broken = True
                if attempt == 2:
                    raise Refused(f"{exc.__class__.__name__}: {exc}") from None
        smtp = self.client.smtp
        try:  # the text is on its way: only the server's answer says what became of it
            smtp.send(smtplib._quote_periods(out.data) + (b"" if out.data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.broken = True
            raise Uncertain(f"the connection broke after the message was sent, before the server answered: "
                            f"{exc.__class__.__name__}: {exc}") from None
        if code != 250:  # an explicit refusal of the whole message: the server did not keep it
            raise Refused(f"the server refused the message: {code} {_text(reply)}")
        return Delivery(out.message_id, accepted, refused)

    def _envelope(self, recipients: list[str]) -> tuple[list[str], dict[str, str]]:
        """MAIL, RCPT, DATA up to the server's go-ahead: who it will take the message for, and who not."""
        smtp = self.client.smtp
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(self.settings.sender)
        if code != 250:
            smtp.rset()
            raise Refused(f"the server refused the sender: {code} {_text(reply)}")
        refused = {}
        for address in recipients:
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                refused[address] = f"{code} {_text(reply)}"
        accepted = [a for a in recipients if a not in refused]
        if not accepted:
            smtp.rset()
            raise Refused("the server refused every recipient: "
                          + "; ".join(f"{a}: {why}" for a, why in refused.items()))
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            smtp.rset()
            raise Refused(f"the server would not take the message: {code} {_text(reply)}")
        return accepted, refused


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def transport_for(settings: MailSettings):
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    if settings.transport == "outbox":
        return OutboxTransport(settings.outbox)
    raise TransportError(f"unknown mail transport {settings.transport!r} (outbox or smtp)")
