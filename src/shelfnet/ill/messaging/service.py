"""``MessagingService``: the messaging round, run by ``shelfnet serve`` every ``interval``
seconds, and the ISO ILL inbox for the listener.

One round: queue the messages of new status changes (``MessageOutbox.scan``), then, when
``enabled``, claim due messages and send each through its partner's protocol adapter,
marking it sent, or failed for a later try. Database work runs in threads; sending is async.
Several services may run against one database (see ``outbox``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shelfnet.ill.messaging.inbox import IsoIllInbox
from shelfnet.ill.messaging.isoill import IsoIllAdapter
from shelfnet.ill.messaging.model import Message
from shelfnet.ill.messaging.outbox import SETTLE, Claim, MessageOutbox
from shelfnet.ill.messaging.ports import Adapter, SendError
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.store import IllStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BATCH = 50
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class RoundReport:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    """Tries that failed this round (the message waits for its next try, or has failed)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class MessagingService:
    """The messaging round over one ILL store, and the inbox its ISO ILL listener uses."""

    def __init__(
        self,
        store: IllStore,
        settings: MessagingSettings,
        *,
        adapters: Mapping[str, Adapter] | None = None,
        clock: Clock = _utc_now,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        settle: timedelta = SETTLE,
    ) -> None:
        self.store = store
        self.settings = settings
        if adapters is None:
            adapters = {"isoill": IsoIllAdapter(store, settings)}
        self.adapters = dict(adapters)
        self.outbox = MessageOutbox(store, settings, self.adapters, clock=clock, settle=settle)
        self.inbox = IsoIllInbox(store, settings, self.outbox, clock=clock)
        self.owner = _owner()
        self.batch = batch
        self.lease = lease
        self._clock = clock
        self._prepared = False

    def prepare(self) -> None:
        """Start the scanner at the end of the history (once; a no-op after)."""
        if not self._prepared:
            self.outbox.prepare()
            self._prepared = True

    def resend(self, message_id: int) -> bool:
        """Staff's "Resend" on a failed message: tried again at the next round."""
        return self.outbox.resend(message_id)

    async def run_once(self) -> RoundReport:
        """One round: scan, then send what is due."""
        await asyncio.to_thread(self.prepare)
        queued = await asyncio.to_thread(self.outbox.scan)
        if not self.settings.enabled:
            return RoundReport(queued)
        sent = failed = 0
        while True:
            claim = await asyncio.to_thread(
                self.outbox.claim, self.owner, limit=self.batch, lease=self.lease
            )
            if not claim.messages:
                break
            batch_sent, batch_failed = await self.deliver(claim)
            sent, failed = sent + batch_sent, failed + batch_failed
            if batch_failed or len(claim.messages) < self.batch:
                break
        return RoundReport(queued, sent, failed)

    async def run_forever(self, interval: float | None = None) -> None:
        seconds = self.settings.interval if interval is None else interval
        while True:
            try:
                report = await self.run_once()
            except Exception:  # a database hiccup must not stop messaging for good
                log.exception("messaging round failed")
            else:
                if report.queued or report.sent or report.failed:
                    log.info("messaging: %s", report)
            await asyncio.sleep(seconds)

    async def deliver(self, claim: Claim) -> tuple[int, int]:
        """Send a claim's messages one by one; (sent, failed)."""
        sent = failed = 0
        for message in claim.messages:
            if await self._send(claim.owner, message):
                sent += 1
            else:
                failed += 1
        return sent, failed

    async def _send(self, owner: str, message: Message) -> bool:
        partner = await asyncio.to_thread(self.store.get_partner, message.partner)
        adapter = self.adapters.get(message.protocol)
        try:
            if partner is None or adapter is None:
                raise SendError(f"no {message.protocol} partner {message.partner}", permanent=True)
            await adapter.send(partner, message)
        except SendError as exc:
            log.info("message %s to %s not sent: %s", message.id, message.partner, exc)
            await asyncio.to_thread(
                self.outbox.mark_failed, message.id, owner, str(exc), permanent=exc.permanent
            )
            return False
        except Exception as exc:  # a bug in an adapter must not lose the message
            log.exception("message %s to %s failed", message.id, message.partner)
            await asyncio.to_thread(
                self.outbox.mark_failed, message.id, owner, repr(exc), permanent=False
            )
            return False
        await asyncio.to_thread(self.outbox.mark_sent, message.id, owner)
        return True
