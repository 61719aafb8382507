"""Local accounts: argon2id hashes kept by shelfnet itself (for staff, test patrons, and
libraries without a directory).

The provider does not know where the hashes live: a ``lookup`` callable, given a
username, returns the account (or just its hash) or ``None``. When there is no such
account the password is still verified, against a dummy hash made at start-up, so that a
wrong username takes as long as a wrong password.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shelfnet.ill.auth.base import Endpoint, Identity, InvalidCredentials, check_input


@dataclass(frozen=True)
class LocalAccount:
    """A local account as the store keeps it."""

    password_hash: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    patron_type: str = ""
    department: str = ""


LookupResult = LocalAccount | str | None
Lookup = Callable[[str], LookupResult | Awaitable[LookupResult]]
_T = TypeVar("_T")
Rehash = Callable[[str, str], Awaitable[None] | None]


@dataclass(frozen=True)
class LocalSettings:
    name: str = "local"


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash of ``password`` for a new or changed local account."""
    return (hasher or PasswordHasher()).hash(password)


class LocalProvider:
    """Verifies passwords against argon2id hashes found by ``lookup``.

    ``on_rehash(username, new_hash)``, when given, is called after a successful sign-in
    whose hash was made with weaker parameters than ``hasher`` uses now.
    """

    def __init__(
        self,
        lookup: Lookup,
        *,
        settings: LocalSettings | None = None,
        hasher: PasswordHasher | None = None,
        on_rehash: Rehash | None = None,
    ) -> None:
        self.settings = settings or LocalSettings()
        self._lookup = lookup
        self._hasher = hasher or PasswordHasher()
        self._on_rehash = on_rehash
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    @property
    def name(self) -> str:
        return self.settings.name

    def ports(self) -> list[Endpoint]:
        return []

    async def authenticate(self, username: str, password: str) -> Identity:
        check_input(username, password)
        found = await _resolve(self._lookup(username))
        account = LocalAccount(found) if isinstance(found, str) else found
        stored = account.password_hash if account else self._dummy_hash
        # argon2 takes tens of milliseconds of CPU on purpose: off the event loop.
        verified = await asyncio.to_thread(self._verify, stored, password)
        if account is None or not verified:
            raise InvalidCredentials
        if self._on_rehash and self._hasher.check_needs_rehash(stored):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            await _resolve(self._on_rehash(username, new_hash))
        return Identity(
            provider=self.name,
            external_id=username,
            username=username,
            display_name=account.display_name,
            first_name=account.first_name,
            last_name=account.last_name,
            email=account.email,
            patron_type=account.patron_type,
            department=account.department,
        )

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            # A damaged hash in the store refuses the account; it does not crash sign-in.
            return False


async def _resolve(value: _T | Awaitable[_T]) -> _T:
    if inspect.isawaitable(value):
        return cast(_T, await value)
    return value
