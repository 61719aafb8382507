"""Staff API keys: how scripts sign in to the REST API.

A key is shown once, when it is made (``shl_`` and 40 random characters); the database keeps
only its SHA-256 and its first characters, so staff can tell keys apart without the database
ever being able to sign anyone in. A key acts as the staff user it belongs to, with that user's
role, and stops working when revoked or when the user is gone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from shelfnet.ill.tables import ApiKeyRow

PREFIX = "shl_"
LAST_USED_EVERY = timedelta(minutes=1)
"""How stale ``last_used`` may get: keeping it to the second would make every API call a
write."""
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    """The key's first characters, to recognise it by."""
    username: str
    label: str
    created: datetime
    last_used: datetime | None
    revoked: bool


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ApiKeys:
    """API keys in the ILL database (the ``ill_api_keys`` table)."""

    def __init__(
        self, engine: Engine, *, clock: Clock = _utc_now, write_engine: Engine | None = None
    ) -> None:
        """``write_engine``: the store's engine for writers (``IllStore.write_engine``)."""
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(write_engine or engine, expire_on_commit=False)
        self._clock = clock

    def create(self, username: str, label: str = "") -> tuple[str, ApiKey]:
        """A new key for a staff user: the key itself (shown once) and its record."""
        key = PREFIX + secrets.token_urlsafe(30)
        row = ApiKeyRow(
            key_hash=_hash(key),
            prefix=key[:10],
            username=username,
            label=label,
            created=self._clock(),
            last_used=None,
            revoked=False,
        )
        with self._writes.begin() as session:
            session.add(row)
            session.flush()
            return key, _value(row)

    def owner(self, key: str | None) -> str | None:
        """The staff username a key acts as; None for unknown or revoked keys."""
        if not key or not key.startswith(PREFIX) or len(key) > 100:
            return None
        with self._sessions.begin() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _hash(key)))
            if row is None or row.revoked:
                return None
            now = self._clock()
            stale = row.last_used is None or now - row.last_used >= LAST_USED_EVERY
            key_id, username = row.id, row.username
        if stale:  # a write per minute at most, not per request
            with self._writes.begin() as session:
                session.execute(
                    update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used=now)
                )
        return username

    def list(self, username: str | None = None) -> list[ApiKey]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.id)
        if username is not None:
            query = query.where(ApiKeyRow.username == username)
        with self._sessions.begin() as session:
            return [_value(row) for row in session.scalars(query)]

    def revoke(self, key_id: int) -> bool:
        """Revoke a key; False when there is no such key."""
        with self._writes.begin() as session:
            result = session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked=True)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _value(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        row.id, row.prefix, row.username, row.label, row.created, row.last_used, row.revoked
    )
