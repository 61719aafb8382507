"""Local accounts with argon2id hashes."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from argon2 import PasswordHasher

from shelfnet.ill.auth.base import InvalidCredentials
from shelfnet.ill.auth.local import LocalAccount, LocalProvider, hash_password

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def no_accounts(username: str) -> str | None:
    return None


def test_the_right_password_gives_the_account() -> None:
    accounts = {"jane": LocalAccount(hash_password("s3cret", FAST), first_name="Jane")}
    identity = asyncio.run(LocalProvider(accounts.get, hasher=FAST).authenticate("jane", "s3cret"))
    assert (identity.provider, identity.username, identity.first_name) == ("local", "jane", "Jane")


def test_a_lookup_may_be_async_and_return_a_bare_hash() -> None:
    stored = hash_password("s3cret", FAST)

    async def lookup(username: str) -> str | None:
        return stored if username == "jane" else None

    provider = LocalProvider(lookup, hasher=FAST)
    assert asyncio.run(provider.authenticate("jane", "s3cret")).username == "jane"


@pytest.mark.parametrize(("username", "password"), [("jane", "wrong"), ("nobody", "s3cret"),
                                                    ("jane", ""), ("", "s3cret")])  # fmt: skip
def test_wrong_password_and_unknown_user_are_the_same_refusal(username: str, password: str) -> None:
    provider = LocalProvider({"jane": hash_password("s3cret", FAST)}.get, hasher=FAST)
    with pytest.raises(InvalidCredentials):
        asyncio.run(provider.authenticate(username, password))


def test_an_unknown_user_is_still_verified_against_a_dummy_hash() -> None:
    verified: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    hasher = Counting(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.raises(InvalidCredentials):
        asyncio.run(LocalProvider(no_accounts, hasher=hasher).authenticate("nobody", "guess"))
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_a_damaged_hash_refuses_without_crashing() -> None:
    provider = LocalProvider({"jane": "not a hash"}.get, hasher=FAST)
    with pytest.raises(InvalidCredentials):
        asyncio.run(provider.authenticate("jane", "s3cret"))


def test_an_old_hash_is_rehashed_after_a_sign_in() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("s3cret")
    rehashed: dict[str, str] = {}
    current = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    provider = LocalProvider({"jane": old}.get, hasher=current, on_rehash=rehashed.__setitem__)
    asyncio.run(provider.authenticate("jane", "s3cret"))
    assert current.verify(rehashed["jane"], "s3cret")
    assert not current.check_needs_rehash(rehashed["jane"])


def test_local_accounts_connect_nowhere() -> None:
    assert LocalProvider(no_accounts, hasher=FAST).ports() == []
