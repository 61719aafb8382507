"""``NoticeService``: the notice round, run by ``shelfnet serve`` every ``interval`` seconds.

One round: queue the notices of new status changes (``Outbox.scan``), queue overdue
reminders (``Outbox.schedule_overdue``), then, when a mail server is configured and
``[ill.notices] enabled`` is true, send what is due. Without a mail server notices still
queue, and go out once one is configured. Database and SMTP work runs in threads; the
event loop never waits on either. Several services (processes, hosts) may run against one
database: see ``outbox`` for why no notice is queued twice or sent by two at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from shelfnet.config import IllSettings, NoticeSettings, SmtpSettings
from shelfnet.ill.notices.model import Notice
from shelfnet.ill.notices.outbox import Claim, Outbox
from shelfnet.ill.notices.sender import SendError, SmtpSender, compose, configured, problems
from shelfnet.ill.store import IllStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BATCH = 50
LEASE = timedelta(minutes=10)
MARGIN = timedelta(seconds=30)
"""A sender stops sending from a claim this long before its lease ends."""


class Session(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Mailer(Protocol):
    """What sends: ``SmtpSender``, or a stand-in in tests."""

    def connect(self) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True)
class RoundReport:
    """What one round did."""

    queued: int = 0
    """Notices queued from status changes."""
    overdue: int = 0
    """Overdue reminders queued."""
    sent: int = 0
    failed: int = 0
    """Notices that failed this round (transient or permanent)."""
    sending: bool = False
    """Whether sending is switched on and configured."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class NoticeService:
    """The notice round over one ILL store."""

    def __init__(
        self,
        store: IllStore,
        notices: NoticeSettings,
        smtp: SmtpSettings,
        *,
        clock: Clock = _utc_now,
        mailer: Mailer | None = None,
        ssl_context: ssl.SSLContext | None = None,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        settle: timedelta | None = None,
    ) -> None:
        self.notices = notices
        self.smtp = smtp
        self.outbox = (
            Outbox(store, notices, clock=clock)
            if settle is None
            else Outbox(store, notices, clock=clock, settle=settle)
        )
        self.owner = _owner()
        self.batch = batch
        self.lease = lease
        self._clock = clock
        self._mailer = mailer
        self._ssl_context = ssl_context
        self._prepared = False

    @classmethod
    def from_settings(cls, store: IllStore, ill: IllSettings) -> NoticeService:
        """The service as ``[ill.notices]`` and ``[ill.smtp]`` configure it."""
        return cls(store, ill.notices, ill.smtp)

    @property
    def sending(self) -> bool:
        """Whether notices are sent (enabled, a mail server, settings that make sense)."""
        return self.notices.enabled and configured(self.smtp) and not problems(self.smtp)

    def _mailer_now(self) -> Mailer:
        if self._mailer is None:
            self._mailer = SmtpSender(self.smtp, ssl_context=self._ssl_context)
        return self._mailer

    async def run_once(self) -> RoundReport:
        """One round: scan, overdue reminders, send."""
        return await asyncio.to_thread(self.round)

    async def run_forever(self, interval: float | None = None) -> None:
        """Rounds every ``interval`` seconds (default ``[ill.notices] interval``) until
        cancelled; a round that fails is logged and the next one tried."""
        seconds = self.notices.interval if interval is None else interval
        while True:
            try:
                report = await self.run_once()
            except Exception:  # a database hiccup must not stop the notices for good
                log.exception("notice round failed")
            else:
                if report.queued or report.overdue or report.sent or report.failed:
                    log.info("notices: %s", report)
            await asyncio.sleep(seconds)

    def round(self) -> RoundReport:
        """One round, blocking (``run_once`` runs it in a thread)."""
        if not self._prepared:
            self.outbox.prepare()
            self._prepared = True
        queued = self.outbox.scan()
        overdue = self.outbox.schedule_overdue()
        if not self.sending:
            return RoundReport(queued, overdue)
        sent = failed = 0
        while True:
            claim = self.outbox.claim(self.owner, limit=self.batch, lease=self.lease)
            if not claim.notices:
                break
            batch_sent, batch_failed = self.deliver(claim)
            sent, failed = sent + batch_sent, failed + batch_failed
            if batch_failed or len(claim.notices) < self.batch:
                break
        return RoundReport(queued, overdue, sent, failed, sending=True)

    def deliver(self, claim: Claim) -> tuple[int, int]:
        """Send a claim's notices over one connection, marking each as the server answers;
        (sent, failed)."""
        remaining: list[Notice] = list(claim.notices)
        sent = failed = 0
        try:
            with self._mailer_now().connect() as session:
                while remaining and self._now() < claim.until - MARGIN:
                    notice = remaining.pop(0)
                    message = compose(
                        notice, self.smtp, library_name=self.notices.library_name, now=self._now()
                    )
                    try:
                        session.send(message)
                    except SendError as exc:
                        failed += 1
                        self.outbox.mark_failed(
                            notice.id, claim.owner, str(exc), permanent=exc.permanent
                        )
                        continue
                    self.outbox.mark_sent(notice.id)
                    sent += 1
        except SendError as exc:
            log.warning("notices not sent: %s", exc)
            for notice in remaining:
                self.outbox.mark_failed(notice.id, claim.owner, str(exc), permanent=False)
            failed += len(remaining)
            remaining = []
        finally:
            self.outbox.release(claim.owner, [notice.id for notice in remaining])
        return sent, failed

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)
