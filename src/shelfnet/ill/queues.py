"""What the ILL server's work queues share (e-mail notices, partner messages): rows written
once whatever the number of writers, and due rows leased to one sender at a time.

A queue's rows have ``state``, ``next_attempt``, ``lease_owner`` and ``lease_until`` columns.
A sender claims due rows for a while (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two senders
never claim the same row; SQLite has one writer at a time), tries them, and marks each one;
rows it did not try go back with `release`. A lease that runs out (a sender died) makes the
rows due again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, inspect, or_, select, update
from sqlalchemy.orm import Session


def insert_once(session: Session, table: type[Any], values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the key: a row some other writer wrote
    already is done (the INSERT returns nothing; see `inserted`)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table)
    key = inspect(table).primary_key[0]
    return statement.values(**values).on_conflict_do_nothing().returning(key)


def inserted(result: Any) -> int:
    """1 when the `insert_once` statement wrote its row (it returns its key), else 0."""
    return 0 if result.first() is None else 1


def rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


def claim_due(
    session: Session,
    table: Any,
    *,
    queued: str,
    owner: str,
    now: datetime,
    until: datetime,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """Lease to ``owner`` until ``until`` up to ``limit`` rows in state ``queued`` that are
    due and not leased to a live sender, oldest due first; the rows, leased."""
    query = (
        select(table)
        .where(
            *where,
            table.state == queued,
            table.next_attempt <= now,
            or_(table.lease_until.is_(None), table.lease_until <= now),
        )
        .order_by(table.next_attempt, table.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    for row in rows:
        row.lease_owner, row.lease_until = owner, until
    session.flush()
    return rows


def release(session: Session, table: Any, owner: str, ids: Sequence[int]) -> None:
    """Give back leased rows that were not tried."""
    if ids:
        session.execute(
            update(table)
            .where(table.id.in_(ids), table.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
