"""What a protocol plugs into the outbox: an ``Adapter``.

An adapter renders an ``Outgoing`` message for one transaction and partner (at queue time,
so the log shows exactly what goes out and every try sends the same bytes), and sends a
queued message. ``send`` returns when the partner has the message; it raises ``SendError``
otherwise, ``permanent`` when trying again cannot help (the partner refused it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shelfnet.ill.messaging.model import Message, Outgoing, Rendered
from shelfnet.ill.model import Partner, Transaction


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class NotApplicable(Exception):
    """The adapter has no message for this change (e.g. the protocol has no such message)."""


class Adapter(Protocol):
    protocol: str
    """``ill_partners.protocol`` of the partners it serves (``isoill``, ``iso18626``)."""

    def render(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> Rendered: ...

    async def send(self, partner: Partner, message: Message) -> None: ...
