"""Sign-in rate limiting, per account and per client address, in memory.

A sliding window: an account (or an address) that failed ``limit`` times within
``window`` seconds is refused until the oldest of those failures leaves the window. Only
the last ``limit`` failure times are kept per key, and at most ``max_keys`` keys (the
least recently used go first), so memory stays bounded however many names are tried.

The account key is the username as typed (trimmed, case-folded): whether the account
exists plays no part, so the throttle answers an unknown name exactly as a known one.
IPv6 addresses count per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from shelfnet.ill.auth.base import AuthError


@dataclass(frozen=True)
class ThrottleSettings:
    account_failures: int = 5
    account_window: float = 15 * 60.0
    address_failures: int = 50
    address_window: float = 15 * 60.0
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        if min(self.account_failures, self.address_failures, self.max_keys) < 1:
            raise ValueError("throttle: failure limits and max_keys must be at least 1")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    """Seconds until a new attempt may be made (0 when allowed)."""


class Throttled(AuthError):
    """Too many failed sign-ins for this account or from this address."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        self.user_message = (
            f"Too many failed sign-ins; please try again in {minutes} minute"
            f"{'s' if minutes > 1 else ''}."
        )
        super().__init__(f"throttled for {retry_after:.0f}s")


class _Window:
    """Failure times per key, the last ``limit`` of each, ``max_keys`` keys at most."""

    def __init__(self, limit: int, window: float, max_keys: int) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str, now: float) -> float:
        times = self.failures.get(key)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def fail(self, key: str, now: float) -> None:
        times = self.failures.pop(key, None) or deque(maxlen=self.limit)
        times.append(now)
        self.failures[key] = times  # most recently used last
        while len(self.failures) > self.max_keys:
            self.failures.popitem(last=False)

    def reset(self, key: str) -> None:
        self.failures.pop(key, None)


class Throttle:
    """``check`` before asking a provider; ``record_failure`` after a wrong password;
    ``record_success`` after a sign-in (it clears the account's failures)."""

    def __init__(
        self,
        settings: ThrottleSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = s = settings or ThrottleSettings()
        self._clock = clock
        self._accounts = _Window(s.account_failures, s.account_window, s.max_keys)
        self._addresses = _Window(s.address_failures, s.address_window, s.max_keys)

    def check(self, username: str, address: str) -> Decision:
        now = self._clock()
        wait = max(
            self._accounts.retry_after(account_key(username), now),
            self._addresses.retry_after(address_key(address), now),
        )
        return Decision(allowed=wait == 0.0, retry_after=wait)

    def record_failure(self, username: str, address: str) -> None:
        now = self._clock()
        self._accounts.fail(account_key(username), now)
        self._addresses.fail(address_key(address), now)

    def record_success(self, username: str, address: str) -> None:
        self._accounts.reset(account_key(username))

    def __len__(self) -> int:
        """Keys held (accounts plus addresses), for tests and metrics."""
        return len(self._accounts.failures) + len(self._addresses.failures)


def account_key(username: str) -> str:
    return username.strip().casefold()


def address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip().casefold()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)
