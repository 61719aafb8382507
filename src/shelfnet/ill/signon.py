"""Web sign-ons: who is signed in to the ILL pages, kept server-side in the ILL database.

A browser holds only a random token in a cookie; the database holds its SHA-256, so a copy of
the database signs nobody in. Keeping sign-ons in the database (not in signed cookies) is what
lets several server processes share them and lets a user sign out everywhere at once. Each
sign-on carries its own CSRF token, which every form and every cookie-authenticated API call
must send back.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shelfnet.ill.tables import SignOnRow

Clock = Callable[[], datetime]


class SignOnKind(enum.Enum):
    PATRON = "patron"
    STAFF = "staff"


@dataclass(frozen=True)
class SignOn:
    kind: SignOnKind
    username: str
    csrf: str
    """The token forms and API calls of this sign-on must send back."""
    created: datetime
    expires: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SignOns:
    """Sign-ons in the ILL database (the ``ill_signons`` table)."""

    def __init__(
        self,
        engine: Engine,
        *,
        hours: float = 12,
        clock: Clock = _utc_now,
        write_engine: Engine | None = None,
    ) -> None:
        """``write_engine``: the store's engine for writers (``IllStore.write_engine``)."""
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(write_engine or engine, expire_on_commit=False)
        self._lifetime = timedelta(hours=hours)
        self._clock = clock

    def start(
        self, kind: SignOnKind, username: str, *, address: str = "", agent: str = ""
    ) -> tuple[str, SignOn]:
        """A new sign-on: the token for the cookie, and what it stands for."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        row = SignOnRow(
            token_hash=_hash(token),
            kind=kind.value,
            username=username,
            csrf=secrets.token_urlsafe(32),
            created=now,
            expires=now + self._lifetime,
            address=address[:64],
            agent=agent[:500],
        )
        with self._writes.begin() as session:
            session.add(row)
            self._purge(session, now)
        return token, _value(row)

    def find(self, token: str | None) -> SignOn | None:
        """The sign-on a cookie's token stands for; None when unknown or expired."""
        if not token or len(token) > 200:
            return None
        with self._sessions.begin() as session:
            row = session.get(SignOnRow, _hash(token))
            if row is None or row.expires <= self._clock():
                return None
            return _value(row)

    def end(self, token: str | None) -> None:
        """Sign out this browser."""
        if token:
            with self._writes.begin() as session:
                session.execute(delete(SignOnRow).where(SignOnRow.token_hash == _hash(token)))

    def end_all(self, kind: SignOnKind, username: str) -> int:
        """Sign the user out everywhere; how many sign-ons ended."""
        with self._writes.begin() as session:
            result = session.execute(
                delete(SignOnRow).where(
                    SignOnRow.kind == kind.value, SignOnRow.username == username
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def count(self, kind: SignOnKind, username: str) -> int:
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(SignOnRow.token_hash).where(
                    SignOnRow.kind == kind.value,
                    SignOnRow.username == username,
                    SignOnRow.expires > self._clock(),
                )
            )
            return len(rows.all())

    def _purge(self, session: Session, now: datetime) -> None:
        session.execute(delete(SignOnRow).where(SignOnRow.expires <= now))


def _value(row: SignOnRow) -> SignOn:
    return SignOn(SignOnKind(row.kind), row.username, row.csrf, row.created, row.expires)
