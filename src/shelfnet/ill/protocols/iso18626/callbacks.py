"""What the endpoint asks of its back end: the callback types, and an in-memory ``seen``.

Callbacks are plain (synchronous) functions; the endpoint runs them in a worker thread.
A callback refuses a message with ``errors.Refused``; any other exception means "try
later" (HTTP 503, no confirmation) and the message is forgotten by ``seen``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from shelfnet.ill.model import TransactionDraft
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Request,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
)

OnRequest = Callable[[TransactionDraft, Request], int]
"""A request arrived (as a lending draft): file it, return the transaction number."""
OnSupplyingMessage = Callable[[SupplyingAgencyMessage], None]
"""A lender's message about one of our borrowing requests."""
OnRequestingMessage = Callable[[RequestingAgencyMessage], None]
"""A borrower's message about one of our lending transactions."""
Authenticate = Callable[[AgencyId, str, str, str], bool]
"""(sending agency, accountId, securityCode, HTTP Authorization header) -> allowed."""
Seen = Callable[[str], bool]
"""Whether a message key was seen before; records it if not (check-and-set)."""
Forget = Callable[[str], None]
"""Un-record a key whose message failed, so its retry is processed."""


@dataclass(frozen=True)
class Callbacks:
    on_request: OnRequest
    on_supplying_message: OnSupplyingMessage
    on_requesting_message: OnRequestingMessage
    authenticate: Authenticate
    seen: Seen
    forget: Forget | None = None


class SeenMessages:
    """An in-memory ``seen``/``forget`` pair remembering the last ``size`` keys. A process
    restart forgets them: the store-backed ``on_request`` also refuses to file a request
    twice (same partner, same request id)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, key: str) -> bool:
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return True
            self._keys[key] = None
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return False

    def forget(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)
