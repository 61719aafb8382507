"""Settings of partner messaging (``[ill.messaging]`` once ``config.py`` carries them)."""

from __future__ import annotations

from dataclasses import dataclass

TRY_AT_MINUTES = (0, 5, 15, 40)
"""When a message is tried, in minutes after its first try: four tries over about an hour,
as ILLiad does it. After the last one fails the message is "sending failed"."""


@dataclass(frozen=True)
class MessagingSettings:
    symbol: str = "SHELFNET"
    """Our ILL symbol (``[ill] symbol``): requester-id, responder-id, initial requester."""
    enabled: bool = True
    """Send queued messages (they are queued regardless)."""
    interval: float = 30.0
    """Seconds between two rounds."""
    require_known_partners: bool = True
    """Refuse incoming messages from agencies that are not active in ``ill_partners``."""
    loan_days: int = 28
    """Loan period a Shipped gives when the lending transaction has no due date."""
    renewal_days: int = 28
    """How much a granted renewal adds to the due date."""
    timeout: float = 30.0
    """Seconds to connect and to write."""
    ack_timeout: float = 10.0
    """Seconds to wait for the partner's acknowledgement; a partner that never answers is
    taken to have received the message when this runs out."""
    try_at_minutes: tuple[int, ...] = TRY_AT_MINUTES
    by: str = "messaging"
    """The name status changes made by incoming messages are recorded under."""
