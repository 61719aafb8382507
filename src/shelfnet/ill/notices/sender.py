"""Sending notices by SMTP, with the standard library's smtplib (blocking: run it in a
thread). One connection carries a batch: connect, STARTTLS or implicit TLS, sign in when a
username is set, then one message after another.

Failures are sorted into two kinds: *transient* (no connection, a timeout, a 4xx answer, a
dropped connection), worth trying again later, and *permanent* (a 5xx answer to the
message, such as an unknown recipient), not worth it.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from shelfnet.config import SmtpSettings
from shelfnet.ill.notices.model import Notice

SECURITY = ("starttls", "ssl", "none")


class SendError(Exception):
    """A notice (or a whole batch) that did not go out, and whether trying again may help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def configured(smtp: SmtpSettings) -> bool:
    """Whether there is a mail server to send through."""
    return bool(smtp.host.strip())


def problems(smtp: SmtpSettings) -> list[str]:
    """What is wrong with the SMTP settings, in sentences (empty: nothing)."""
    found = []
    if smtp.security not in SECURITY:
        found.append(f"ill.smtp.security must be one of {', '.join(SECURITY)}.")
    if configured(smtp) and not smtp.from_address.strip():
        found.append("ill.smtp.from_address is empty: notices need a From address.")
    if not 0 < smtp.port < 65536:
        found.append(f"ill.smtp.port {smtp.port} is not a port number.")
    if smtp.password and not smtp.username:
        found.append("ill.smtp.password is set without ill.smtp.username.")
    return found


def compose(
    notice: Notice, smtp: SmtpSettings, *, library_name: str, now: datetime
) -> EmailMessage:
    """The e-mail for a notice."""
    message = EmailMessage()
    sender = smtp.from_address.strip()
    domain = sender.rpartition("@")[2] or None
    message["From"] = Address(display_name=f"{library_name} interlibrary loan", addr_spec=sender)
    message["To"] = notice.recipient
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(f"notice{notice.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Shelfnet-Notice"] = str(notice.id)
    message.set_content(notice.body)
    return message


class SmtpSession:
    """An open SMTP connection; ``send`` raises ``SendError``."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client

    def send(self, message: EmailMessage) -> None:
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise SendError(_describe(exc), permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(_describe(exc), permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(_describe(exc)) from exc
        if refused:
            raise SendError(f"refused: {refused}", permanent=True)


class SmtpSender:
    """Connections to the configured mail server. ``ssl_context``: how to check the
    server's certificate (default: the system's CAs, host name checked)."""

    def __init__(self, smtp: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if smtp.security not in SECURITY:
            raise ValueError(f"unknown SMTP security {smtp.security!r}")
        self.smtp = smtp
        self._context = ssl_context

    def _ssl(self) -> ssl.SSLContext:
        return self._context or ssl.create_default_context()

    @contextmanager
    def connect(self) -> Iterator[SmtpSession]:
        """A signed-in session; ``SendError`` (transient unless the server refused the
        sign-in for good) when there is none."""
        smtp = self.smtp
        try:
            client: smtplib.SMTP
            if smtp.security == "ssl":
                client = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout, context=self._ssl()
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot connect to {smtp.host}:{smtp.port}: {_describe(exc)}") from exc
        try:
            try:
                client.ehlo_or_helo_if_needed()
                if smtp.security == "starttls":
                    client.starttls(context=self._ssl())
                    client.ehlo()
                if smtp.username:
                    client.login(smtp.username, smtp.password)
            except smtplib.SMTPAuthenticationError as exc:
                raise SendError(f"sign-in refused: {_describe(exc)}") from exc
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"{smtp.host}:{smtp.port}: {_describe(exc)}") from exc
            yield SmtpSession(client)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{exc.smtp_code} {detail}".strip()
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
