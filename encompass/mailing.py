"""Mail transports: the outbox folder (default, safe for a demo) and SMTP through yagmail.

Messages are built here as proper MIME: a readable text/plain part, and an HTML alternative only
when the template has one (yagmail's own plain part is the raw HTML). A batch uses one SMTP
connection. TLS is required unless the server is on this machine (loopback).
"""
from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from pathlib import Path

import yagmail

from . import clock, db


class TransportError(RuntimeError):
    pass


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
    allowed_domains: tuple[str, ...] = ()  # empty: any recipient domain

    @classmethod
    def from_env(cls, env=os.environ, secrets: dict | None = None) -> "MailSettings":
        """ENCOMPASS_MAIL_TRANSPORT, ENCOMPASS_SMTP_HOST/_PORT/_USER/_PASSWORD/_FROM/_STARTTLS/_SSL,
        ENCOMPASS_MAIL_ALLOWED_DOMAINS; then the [mail] table of secrets.toml."""
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
            allowed_domains=tuple(d.strip().lower() for d in str(domains).split(",") if d.strip()),
        )


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # quoted-printable: the text stays readable in the raw message


def build_message(sender: str, to: list[str], cc: list[str], subject: str, text: str, html: str | None,
                  domain: str = "encompass.local") -> Message:
    """A text/plain message, or multipart/alternative with an HTML part when there is one.

    Built with the classic MIME classes: the modern EmailMessage API parses every header it is
    given, which costs more than sending the message over a local connection.
    """
    plain = MIMEText(text, "plain", _UTF8_QP)
    if html:
        msg = MIMEMultipart("alternative")
        msg.attach(plain)
        msg.attach(MIMEText(html, "html", _UTF8_QP))
    else:
        msg = plain
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    return msg


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
        return self

    def __exit__(self, *exc):
        return False

    def send(self, msg: Message, recipients: list[str], label: str | None = None) -> str:
        name = label or msg["Message-ID"].strip("<>").replace("@", "_at_").replace("/", "_")
        partial = self.folder / f".{uuid.uuid4().hex}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(msg))
        try:
            for n in range(1, 1000):  # siblings at one school share a reference: -2, -3 ...
                target = self.folder / (f"{name}.eml" if n == 1 else f"{name}-{n}.eml")
                try:
                    os.link(partial, target)  # whole or not at all, and never over another message
                    return msg["Message-ID"]
                except FileExistsError:
                    continue
            raise TransportError(f"too many messages named {name} in the outbox")
        finally:
            partial.unlink(missing_ok=True)


class SmtpTransport:
    """One SMTP connection for a batch, opened through yagmail."""

    def __init__(self, settings: MailSettings, timeout: float = 30):
        if not (settings.starttls or settings.ssl) and not is_loopback(settings.host):
            raise TransportError(f"refusing to send to {settings.host} without TLS: set ENCOMPASS_SMTP_STARTTLS "
                                 "(or _SSL), or use a server on this machine")
        if settings.user and not settings.password:
            raise TransportError("ENCOMPASS_SMTP_USER is set without ENCOMPASS_SMTP_PASSWORD")
        self.settings = settings
        self.timeout = timeout
        self.client = None

    def __enter__(self):
        s = self.settings
        try:
            self.client = yagmail.SMTP(user=s.user or s.sender, password=s.password, host=s.host, port=s.port,
                                       smtp_starttls=s.starttls and not s.ssl, smtp_ssl=s.ssl,
                                       smtp_skip_login=not s.user, soft_email_validation=False,
                                       timeout=self.timeout)
            self.client.login()
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"cannot connect to the mail server {s.host}:{s.port}: {exc}") from None
        return self

    def __exit__(self, *exc):
        try:
            self.client.close()
        except Exception:  # closing a broken connection must not hide the real error
            pass
        return False

    def send(self, msg: Message, recipients: list[str], label: str | None = None) -> str:
        # The envelope is given, not parsed back out of the headers (smtplib's send_message does that).
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # SMTP lines end in CRLF
        refused = self.client.smtp.sendmail(self.settings.sender, recipients, data)
        if refused:
            raise TransportError(f"the server refused {', '.join(refused)}")
        return msg["Message-ID"]


def transport_for(settings: MailSettings):
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    if settings.transport == "outbox":
        return OutboxTransport(settings.outbox)
    raise TransportError(f"unknown mail transport {settings.transport!r} (outbox or smtp)")
