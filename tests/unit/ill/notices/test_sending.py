"""Leases, retries with backoff, overdue reminders and the service's round, with a stand-in
mail server and a settable clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage

import pytest

from shelfnet.config import SmtpSettings
from shelfnet.ill.model import Patron
from shelfnet.ill.notices.model import NoticeState
from shelfnet.ill.notices.outbox import Outbox, retry_delay
from shelfnet.ill.notices.sender import SendError
from shelfnet.ill.notices.service import NoticeService
from shelfnet.ill.store import IllStore
from tests.unit.ill.conftest import Clock
from tests.unit.ill.notices.conftest import SETTINGS, S, arrive, check_out, request

SMTP = SmtpSettings(host="mail.example", from_address="ill@springfield.example")
LEASE = timedelta(minutes=10)


@dataclass
class FakeMailer:
    """Accepts messages, or fails as told."""

    received: list[EmailMessage] = field(default_factory=list)
    down: bool = False
    refuse: set[str] = field(default_factory=set)

    @contextmanager
    def connect(self) -> Iterator[FakeMailer]:
        if self.down:
            raise SendError("cannot connect to mail.example:587: Connection refused")
        yield self

    def send(self, message: EmailMessage) -> None:
        if str(message["To"]) in self.refuse:
            raise SendError("550 no such user", permanent=True)
        self.received.append(message)


def test_the_backoff_grows_to_a_day_and_stays_there() -> None:
    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 5, 15, 60, 240, 720, 1440, 1440, 1440]


def test_a_leased_notice_is_not_claimed_by_another_sender_until_the_lease_ends(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    arrive(store, request(store, patron))
    outbox.scan()
    first = outbox.claim("a", limit=10, lease=LEASE)
    assert len(first.notices) == 1
    assert outbox.claim("b", limit=10, lease=LEASE).notices == ()
    clock.tick(LEASE.total_seconds())
    second = outbox.claim("b", limit=10, lease=LEASE)
    assert [n.id for n in second.notices] == [n.id for n in first.notices]
    # The first sender lost its lease: it may not record a failure any more.
    assert not outbox.mark_failed(first.notices[0].id, "a", "late", permanent=False)
    assert outbox.mark_sent(second.notices[0].id)
    clock.tick(LEASE.total_seconds() * 2)
    assert outbox.claim("c", limit=10, lease=LEASE).notices == ()
    [notice] = outbox.notices()
    assert notice.state is NoticeState.SENT
    assert notice.sent == clock.now - LEASE * 2


def test_a_transient_failure_waits_longer_each_time(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    arrive(store, request(store, patron))
    outbox.scan()
    for attempt, minutes in enumerate((1, 5, 15, 60), start=1):
        [notice] = outbox.claim("a", limit=1, lease=LEASE).notices
        assert outbox.mark_failed(notice.id, "a", "421 try later", permanent=False)
        failed = outbox.get_notice(notice.id)
        assert failed.state is NoticeState.QUEUED
        assert failed.attempts == attempt
        assert failed.next_attempt == clock.now + timedelta(minutes=minutes)
        clock.tick(minutes * 60 - 1)
        assert outbox.claim("a", limit=1, lease=LEASE).notices == ()
        clock.tick(1)
    assert outbox.waiting() == 1


def test_a_permanent_failure_waits_for_staff_to_retry(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    arrive(store, request(store, patron))
    outbox.scan()
    [notice] = outbox.claim("a", limit=1, lease=LEASE).notices
    outbox.mark_failed(notice.id, "a", "550 no such user", permanent=True)
    assert outbox.get_notice(notice.id).state is NoticeState.FAILED
    clock.tick(86400 * 3)
    assert outbox.claim("a", limit=1, lease=LEASE).notices == ()
    assert outbox.retry_now(notice.id)
    assert [n.id for n in outbox.claim("a", limit=1, lease=LEASE).notices] == [notice.id]
    outbox.mark_sent(notice.id)
    assert not outbox.retry_now(notice.id)


def test_an_overdue_loan_is_reminded_once_in_every_n_days(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    due = date(2024, 5, 10)
    made = check_out(store, request(store, patron), due)
    outbox.scan()
    checked_out = [n for n in outbox.notices() if "Checked out" in n.subject]
    assert len(checked_out) == 1 and "10 May 2024" in checked_out[0].body
    clock.now = clock.now.replace(day=10)
    assert outbox.schedule_overdue() == 0
    clock.tick(86400)  # 11 May: one day overdue
    assert outbox.schedule_overdue() == 1
    assert outbox.schedule_overdue() == 0
    clock.tick(86400 * 6)  # 17 May: 7 days, the same round
    assert outbox.schedule_overdue() == 0
    clock.tick(86400)  # 18 May: a new round
    assert outbox.schedule_overdue() == 1
    reminders = [n for n in outbox.notices() if n.subject.startswith("Overdue")]
    assert [n.overdue_round for n in reminders] == [1, 0]
    assert "8 days ago" in reminders[0].body
    # Renewed: a new due date, new rounds once it passes.
    renewed = store.get_transaction(made.id)
    store.update_transaction(
        renewed.__class__(**{**renewed.__dict__, "due_date": date(2024, 6, 1)}), "x"
    )
    assert outbox.schedule_overdue() == 0
    store.change_status(made.id, S.AWAITING_RETURN_PROCESSING, "staff")
    clock.tick(86400 * 60)
    assert outbox.schedule_overdue() == 0


def service(store: IllStore, clock: Clock, mailer: FakeMailer, **smtp: object) -> NoticeService:
    settings = SETTINGS.__class__(**{**SETTINGS.__dict__, "enabled": True})
    smtp_settings = SmtpSettings(**{**SMTP.__dict__, **smtp})  # type: ignore[arg-type]
    return NoticeService(store, settings, smtp_settings, clock=clock, mailer=mailer)


def test_a_round_sends_due_notices_once(store: IllStore, patron: Patron, clock: Clock) -> None:
    mailer = FakeMailer()
    running = service(store, clock, mailer)
    asyncio.run(running.run_once())
    arrive(store, request(store, patron))
    report = asyncio.run(running.run_once())
    assert (report.queued, report.sent, report.sending) == (1, 1, True)
    clock.tick(3600)
    assert asyncio.run(running.run_once()).sent == 0
    [message] = mailer.received
    assert message["To"] == "ann@example.edu"
    assert message["Subject"] == "Your book has arrived: Moby-Dick"
    assert "Springfield Library" in message["From"]


def test_with_the_server_down_notices_wait_and_go_out_later(
    store: IllStore, patron: Patron, clock: Clock
) -> None:
    mailer = FakeMailer(down=True)
    running = service(store, clock, mailer)
    running.round()
    for _ in range(3):
        arrive(store, request(store, patron))
    report = running.round()
    assert (report.queued, report.sent, report.failed) == (3, 0, 3)
    assert running.outbox.waiting() == 3
    mailer.down = False
    assert running.round().sent == 0  # not due yet
    clock.tick(60)
    assert running.round().sent == 3
    clock.tick(86400)
    assert running.round().sent == 0
    assert len(mailer.received) == 3


def test_without_a_mail_server_notices_queue_but_are_not_sent(
    store: IllStore, patron: Patron, clock: Clock
) -> None:
    mailer = FakeMailer()
    running = service(store, clock, mailer, host="")
    running.round()
    arrive(store, request(store, patron))
    report = running.round()
    assert (report.queued, report.sending, mailer.received) == (1, False, [])
    assert running.outbox.counts()[NoticeState.QUEUED] == 1


def test_a_refused_address_is_failed_and_the_others_still_go(
    store: IllStore, patron: Patron, clock: Clock
) -> None:
    other = store.create_patron(Patron("bob", "Bob", "", "bob@example.edu"))
    mailer = FakeMailer(refuse={"ann@example.edu"})
    running = service(store, clock, mailer)
    running.round()
    arrive(store, request(store, patron))
    arrive(store, request(store, other))
    report = running.round()
    assert (report.sent, report.failed) == (1, 1)
    counts = running.outbox.counts()
    assert (counts[NoticeState.SENT], counts[NoticeState.FAILED]) == (1, 1)


@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
def test_sending_is_on_only_when_enabled_and_configured(
    store: IllStore, clock: Clock, security: str
) -> None:
    assert service(store, clock, FakeMailer(), security=security).sending
    assert not service(store, clock, FakeMailer(), security="tls").sending
    assert not NoticeService(store, SETTINGS, SMTP, clock=clock).sending
