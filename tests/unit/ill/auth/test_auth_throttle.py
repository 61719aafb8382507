"""Sign-in throttling with an injected clock."""

from __future__ import annotations

import asyncio
import contextlib

from argon2 import PasswordHasher

from shelfnet.ill.auth.base import AuthError, InvalidCredentials
from shelfnet.ill.auth.chain import AuthChain, SignIn
from shelfnet.ill.auth.local import LocalProvider
from shelfnet.ill.auth.throttle import Throttle, Throttled, ThrottleSettings, address_key

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def no_accounts(username: str) -> str | None:
    return None


def test_an_account_is_refused_after_its_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = Throttle(ThrottleSettings(account_failures=3, account_window=60), clock=clock)
    for _ in range(3):
        assert throttle.check("Jane", "10.0.0.1").allowed
        throttle.record_failure("jane ", f"10.0.0.{_}")
    decision = throttle.check("JANE", "10.9.9.9")
    assert not decision.allowed
    assert decision.retry_after == 60
    clock.now += 59.5
    assert throttle.check("jane", "10.9.9.9").retry_after == 0.5
    clock.now += 0.5
    assert throttle.check("jane", "10.9.9.9").allowed


def test_an_address_is_refused_after_failures_across_accounts() -> None:
    throttle = Throttle(ThrottleSettings(address_failures=4), clock=Clock())
    for n in range(4):
        throttle.record_failure(f"user{n}", "192.0.2.7")
    assert not throttle.check("someone-else", "192.0.2.7").allowed
    assert throttle.check("someone-else", "192.0.2.8").allowed


def test_success_resets_the_account_but_not_the_address() -> None:
    throttle = Throttle(ThrottleSettings(account_failures=2, address_failures=3), clock=Clock())
    throttle.record_failure("jane", "192.0.2.1")
    throttle.record_failure("jane", "192.0.2.1")
    throttle.record_success("jane", "192.0.2.1")
    assert throttle.check("jane", "192.0.2.2").allowed
    throttle.record_failure("sam", "192.0.2.1")
    assert not throttle.check("jane", "192.0.2.1").allowed


def test_memory_stays_bounded() -> None:
    throttle = Throttle(ThrottleSettings(max_keys=100), clock=Clock())
    for n in range(10_000):
        throttle.record_failure(f"user{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(throttle) <= 200


def test_ipv6_addresses_count_per_64() -> None:
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_a_thousand_wrong_passwords_never_get_in_and_do_not_tell_who_exists() -> None:
    hashes = {"jane": FAST.hash("correct horse")}
    provider = LocalProvider(hashes.get, hasher=FAST)
    clock = Clock()

    def attack(username: str) -> list[tuple[str, str]]:
        throttle = Throttle(ThrottleSettings(account_failures=5, account_window=900), clock=clock)
        sign_in = SignIn(AuthChain([provider]), throttle, clock=clock, sleep=clock.sleep)
        answers = []
        for n in range(1000):
            try:
                asyncio.run(sign_in.sign_in(username, f"guess {n}", f"198.51.100.{n % 200}"))
                answers.append(("in", ""))
            except AuthError as refusal:
                answers.append((type(refusal).__name__, refusal.user_message))
        return answers

    existing, missing = attack("jane"), attack("nobody")
    assert ("in", "") not in existing
    assert existing == missing
    assert existing[:5] == [("InvalidCredentials", InvalidCredentials().user_message)] * 5
    assert {kind for kind, _ in existing[5:]} == {"Throttled"}


def test_refusals_take_at_least_the_floor() -> None:
    clock = Clock()
    provider = LocalProvider(no_accounts, hasher=FAST)
    sign_in = SignIn(AuthChain([provider]), Throttle(clock=clock), min_failure_seconds=0.5,
                     clock=clock, sleep=clock.sleep)  # fmt: skip
    started = clock.now
    with contextlib.suppress(InvalidCredentials):
        asyncio.run(sign_in.sign_in("nobody", "x", "192.0.2.1"))
    assert clock.now - started >= 0.5


def test_throttled_says_when_to_come_back() -> None:
    assert "3 minutes" in Throttled(150).user_message
