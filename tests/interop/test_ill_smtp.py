"""ILL notices through a real SMTP server (aiosmtpd) on a loopback port: what arrives, what
waits while the server is down and goes out exactly once when it is back, and STARTTLS
with a self-signed certificate (made with the openssl command)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shelfnet.config import NoticeSettings, SmtpSettings
from shelfnet.ill.model import Patron
from shelfnet.ill.notices.model import NoticeState
from shelfnet.ill.notices.service import NoticeService
from shelfnet.ill.store import IllStore, open_ill_store
from tests.unit.ill.conftest import Clock
from tests.unit.ill.notices.conftest import arrive, request

FROM = "ill@springfield.example"
NOTICES = NoticeSettings(enabled=True, library_name="Springfield Library")


@dataclass
class Inbox:
    """What the server accepted: envelopes and parsed messages."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[IllStore]:
    with open_ill_store(tmp_path / "ill.sqlite", clock=clock) as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service(store: IllStore, clock: Clock, port: int) -> NoticeService:
    settings = SmtpSettings(
        host="127.0.0.1", port=port, security="none", from_address=FROM, timeout=5
    )
    return NoticeService(store, NOTICES, settings, clock=clock)


def test_notices_arrive_with_their_sender_recipient_subject_and_body(
    store: IllStore, clock: Clock
) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        running = service(store, clock, port)
        asyncio.run(running.run_once())
        ann = store.create_patron(Patron("ann", "Ann", "Reader", "ann@example.edu"))
        made = arrive(store, request(store, ann))
        report = asyncio.run(running.run_once())
    finally:
        controller.stop()
    assert report.sent == 1
    [(mail_from, rcpt_tos, message)] = inbox.messages
    assert (mail_from, rcpt_tos) == (FROM, ["ann@example.edu"])
    assert message["From"] == f"Springfield Library interlibrary loan <{FROM}>"
    assert message["To"] == "ann@example.edu"
    assert message["Subject"] == "Your book has arrived: Moby-Dick"
    body = message.get_content()
    assert "Dear Ann," in body and f"Moby-Dick (request {made.id})" in body
    assert message["X-Shelfnet-Notice"] is not None


def test_with_the_server_down_notices_wait_then_all_arrive_exactly_once(
    store: IllStore, clock: Clock
) -> None:
    port = free_port()  # nothing listens there yet
    running = service(store, clock, port)
    asyncio.run(running.run_once())
    patrons = [
        store.create_patron(Patron(f"p{n}", f"P{n}", "Reader", f"p{n}@example.edu"))
        for n in range(5)
    ]
    for patron in patrons:
        arrive(store, request(store, patron))
    report = asyncio.run(running.run_once())
    assert (report.queued, report.sent, report.failed) == (5, 0, 5)
    waiting = running.outbox.notices(NoticeState.QUEUED)
    assert len(waiting) == 5
    assert all(n.attempts == 1 and n.next_attempt > clock.now for n in waiting)
    assert all("cannot connect" in n.last_error for n in waiting)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert asyncio.run(running.run_once()).sent == 0  # not due yet
        clock.tick(60)
        # Two services (two senders) at once: the leases keep them apart.
        other = service(store, clock, port)

        async def both() -> list[Any]:
            return list(await asyncio.gather(running.run_once(), other.run_once()))

        reports = asyncio.run(both())
        clock.tick(86400)
        asyncio.run(running.run_once())
    finally:
        controller.stop()
    assert sum(r.sent for r in reports) == 5
    received = sorted(rcpt for _from, [rcpt], _message in inbox.messages)
    assert received == sorted(f"p{n}@example.edu" for n in range(5))
    assert running.outbox.counts()[NoticeState.SENT] == 5


def make_certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_with_a_self_signed_certificate_and_a_sign_in(
    store: IllStore, clock: Clock, tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.login == b"ill" and auth.password == b"secret")

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            security="starttls",
            username="ill",
            password="secret",
            from_address=FROM,
            timeout=5,
        )
        client_context = ssl.create_default_context(cafile=str(cert))
        running = NoticeService(store, NOTICES, settings, clock=clock, ssl_context=client_context)
        asyncio.run(running.run_once())
        ann = store.create_patron(Patron("ann", "Ann", "Reader", "ann@example.edu"))
        arrive(store, request(store, ann))
        report = asyncio.run(running.run_once())
        # Without trusting the certificate, nothing is sent.
        untrusting = NoticeService(store, NOTICES, settings, clock=clock)
        arrive(store, request(store, ann))
        failed = asyncio.run(untrusting.run_once())
    finally:
        controller.stop()
    assert report.sent == 1
    assert logins == [(b"ill", b"secret")]
    [(_from, [rcpt], _message)] = inbox.messages
    assert rcpt == "ann@example.edu"
    assert (failed.sent, failed.failed) == (0, 1)
    [waiting] = running.outbox.notices(NoticeState.QUEUED)
    assert "certificate" in waiting.last_error.lower()
