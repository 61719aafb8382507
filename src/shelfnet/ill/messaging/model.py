"""Messages exchanged with partners, as the message log keeps them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Direction(enum.Enum):
    IN = "in"
    OUT = "out"


class MessageState(enum.Enum):
    QUEUED = "queued"
    """Outgoing, waiting for its next try."""
    SENT = "sent"
    """Outgoing, delivered (the partner acknowledged it, or never answers)."""
    FAILED = "failed"
    """Outgoing, every try failed or the partner refused it: staff may resend."""
    APPLIED = "applied"
    """Incoming, filed: the transaction moved (or got a note)."""
    REFUSED = "refused"
    """Incoming, refused (e.g. an unknown agency)."""

    @property
    def display(self) -> str:
        return "sending failed" if self is MessageState.FAILED else self.value


class MessageKind(enum.Enum):
    """What a message says, whatever the protocol (ISO ILL APDU, ISO 18626 message)."""

    REQUEST = "request"
    CONDITIONS_ACCEPTED = "conditions_accepted"
    CONDITIONS_REFUSED = "conditions_refused"
    RECEIVED = "received"
    RETURNED = "returned"
    CANCEL = "cancel"
    RENEW = "renew"
    SHIPPED = "shipped"
    UNFILLED = "unfilled"
    CONDITIONAL = "conditional"
    CHECKED_IN = "checked_in"
    RENEW_ANSWER = "renew_answer"
    CANCEL_REPLY = "cancel_reply"
    CANCEL_REFUSED = "cancel_refused"


@dataclass(frozen=True)
class Outgoing:
    """A message to send, before a protocol adapter renders it."""

    kind: MessageKind
    note: str = ""
    """What staff wrote with the change (the action's own label left out)."""


@dataclass(frozen=True)
class Rendered:
    """A message as a protocol adapter wrote it: its type in the protocol's words, the bytes
    to send and a line for staff."""

    kind: str
    raw: bytes
    summary: str


@dataclass(frozen=True)
class Message:
    """One line of the message log."""

    id: int
    key: str
    transaction_id: int | None
    direction: Direction
    protocol: str
    partner: str
    kind: str
    raw: bytes
    summary: str
    state: MessageState
    attempts: int
    next_attempt: datetime | None
    last_error: str
    created: datetime
    done: datetime | None
    history_id: int | None = None
