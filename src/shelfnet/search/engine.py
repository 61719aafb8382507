"""Federated search: one query to many targets at once, results streamed as they arrive.

``federated_search`` starts every target (at most ``concurrency`` at a time), each in its own
task with its own timeouts, and yields events in the order things happen: a target's status
changing (connecting, searching, fetching, done or failed with the reason and the target's
own diagnostic) and records arriving. A slow or dead target costs the others nothing: each
step of each target has its own deadline (connect and Init, search, each present), and a
failure ends that target only.

The query is written once, in CCL, CQL or PQF, and translated per target: Z39.50 targets
get the RPN tree, SRU targets CQL (the text itself when it was CQL, else written from the
tree). A query a target cannot take (say, a Bib-1 attribute with no CQL index) fails that
target with the reason, rather than sending it something else.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pymarc

from shelfnet.marc import MarcError, decode_marc, parse_marcxml
from shelfnet.query.rpn import Query, QueryError
from shelfnet.search.targets import TargetProtocol, TargetSpec
from shelfnet.z3950 import oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import DiagnosticError, Z3950Error
from shelfnet.z3950.records import Record


class Phase(enum.Enum):
    QUEUED = "queued"
    CONNECTING = "connecting"
    SEARCHING = "searching"
    FETCHING = "fetching"
    DONE = "done"
    FAILED = "failed"


class Language(enum.Enum):
    CCL = "ccl"
    CQL = "cql"
    PQF = "pqf"


@dataclass(frozen=True)
class SearchQuery:
    """A query as the user wrote it, and the language it is in."""

    text: str
    language: Language = Language.CCL

    def rpn(self) -> Query:
        """The RPN tree (QueryError when the text does not parse)."""
        from shelfnet.query import cql_to_rpn, parse_ccl, parse_cql, parse_pqf

        if self.language is Language.PQF:
            return parse_pqf(self.text)
        if self.language is Language.CQL:
            return cql_to_rpn(parse_cql(self.text))
        return parse_ccl(self.text)

    def cql(self) -> str:
        """The query as CQL, for SRU targets."""
        if self.language is Language.CQL:
            return self.text
        from shelfnet.query.cqlwriter import rpn_to_cql

        cql: str = rpn_to_cql(self.rpn())
        return cql


@dataclass(frozen=True)
class SearchLimits:
    concurrency: int = 256
    """Targets searched at the same time (each holds one socket while it runs)."""
    connect_timeout: float = 10.0
    """Seconds to connect and (Z39.50) exchange Init."""
    timeout: float = 30.0
    """Seconds for each search and each present."""
    max_records: int = 20
    """Records fetched from each target at most."""
    chunk: int = 20
    """Records asked for in one present."""


@dataclass(frozen=True)
class TargetStatus:
    """Where one target's search stands."""

    target: TargetSpec
    phase: Phase = Phase.QUEUED
    hits: int | None = None
    records: int = 0
    error: str | None = None
    diagnostic: Diagnostic | None = None
    started: float | None = None
    finished: float | None = None

    @property
    def ended(self) -> bool:
        return self.phase in (Phase.DONE, Phase.FAILED)

    @property
    def elapsed(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


@dataclass(frozen=True)
class FoundRecord:
    """One record a target returned, decoded, with where it came from."""

    target: str
    position: int
    """1-based position in the target's result set."""
    record: pymarc.Record
    raw: bytes
    """The bytes as received: ISO 2709, or the MARCXML document."""
    syntax: str


@dataclass(frozen=True)
class StatusChanged:
    status: TargetStatus


@dataclass(frozen=True)
class RecordsFound:
    target: str
    records: tuple[FoundRecord, ...]


Event = StatusChanged | RecordsFound
Clock = Callable[[], float]


DEFAULT_LIMITS = SearchLimits()


async def federated_search(
    targets: Sequence[TargetSpec],
    query: SearchQuery,
    limits: SearchLimits = DEFAULT_LIMITS,
    *,
    clock: Clock = time.monotonic,
) -> AsyncIterator[Event]:
    """Search every target; yield status changes and records as they happen. Every target
    ends with a DONE or FAILED status. Leaving the loop early cancels what is running."""
    events: asyncio.Queue[Event | None] = asyncio.Queue()
    gate = asyncio.Semaphore(max(1, limits.concurrency))
    for target in targets:
        events.put_nowait(StatusChanged(TargetStatus(target)))
    tasks = [
        asyncio.create_task(_search_target(target, query, limits, gate, events.put_nowait, clock))
        for target in targets
    ]
    remaining = len(tasks)
    try:
        while remaining or not events.empty():
            event = await events.get()
            if event is None:
                remaining -= 1
                continue
            yield event
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _search_target(
    target: TargetSpec,
    query: SearchQuery,
    limits: SearchLimits,
    gate: asyncio.Semaphore,
    emit: Callable[[Event | None], None],
    clock: Clock,
) -> None:
    status = TargetStatus(target)

    def update(**changes: object) -> None:
        nonlocal status
        status = replace(status, **changes)  # type: ignore[arg-type]
        emit(StatusChanged(status))

    def fail(error: str, diagnostic: Diagnostic | None = None) -> None:
        update(phase=Phase.FAILED, error=error, diagnostic=diagnostic, finished=clock())

    connection: _Connection | None = None
    try:
        async with gate:
            update(phase=Phase.CONNECTING, started=clock())
            timeout = target.timeout or limits.timeout
            connection = _connection(target, limits, timeout)
            await _run(connection, target, query, limits, timeout, update, emit)
            update(phase=Phase.DONE, finished=clock())
    except DiagnosticError as exc:
        fail(str(exc), exc.diagnostic)
    except TimeoutError:
        fail(f"no answer in time ({status.phase.value})")
    except QueryError as exc:
        fail(f"the query cannot be sent here: {exc}")
    except (Z3950Error, OSError, ValueError) as exc:
        fail(str(exc) or type(exc).__name__)
    finally:
        # The search is over for this target: say so before the goodbye (Close), which
        # nobody needs to wait for; an unanswered Close is cut short when the search ends.
        emit(None)
        if connection is not None:
            await connection.close()


async def _run(
    connection: _Connection,
    target: TargetSpec,
    query: SearchQuery,
    limits: SearchLimits,
    timeout: float,
    update: Callable[..., None],
    emit: Callable[[Event | None], None],
) -> None:
    wanted_max = target.max_records if target.max_records is not None else limits.max_records
    sent: Query | str = query.cql() if target.protocol is TargetProtocol.SRU else query.rpn()
    async with asyncio.timeout(min(limits.connect_timeout, timeout) + 1.0):
        await connection.connect()
    update(phase=Phase.SEARCHING)
    prefetch = min(wanted_max, limits.chunk)
    async with asyncio.timeout(timeout):
        result = await connection.search(sent, prefetch=prefetch)
    wanted = min(wanted_max, result.size)
    update(phase=Phase.FETCHING if wanted else Phase.SEARCHING, hits=result.size)
    position = 0
    while position < wanted:
        count = min(limits.chunk, wanted - position)
        async with asyncio.timeout(timeout):
            records = await result.records(position, count)
        found = tuple(
            item
            for offset, record in enumerate(records)
            if (item := _found(target, position + offset + 1, record)) is not None
        )
        position += len(records) or count
        if found:
            emit(RecordsFound(target.name, found))
        update(records=position)


def _connection(target: TargetSpec, limits: SearchLimits, timeout: float) -> _Connection:
    if target.protocol is TargetProtocol.SRU:
        from shelfnet.sru.client import Connection as SruConnection

        return SruConnection.to(target.address, timeout=timeout, present_chunk=limits.chunk)
    from shelfnet.z3950.client import Connection as Z3950Connection

    return Z3950Connection.to(
        target.address,
        preferred_record_syntax=target.syntax,
        element_set_name="F",
        user=target.user,
        password=target.password,
        connect_timeout=min(limits.connect_timeout, timeout),
        timeout=timeout,
        present_chunk=limits.chunk,
    )


class _ResultSet(Protocol):
    size: int

    async def records(self, start: int = 0, count: int | None = None) -> list[Record]: ...


class _Connection(Protocol):
    """A Z39.50 or an SRU connection: both speak ZOOM's vocabulary."""

    async def connect(self) -> object: ...
    async def close(self) -> None: ...
    async def search(self, query: Any, *, prefetch: int = 0) -> _ResultSet: ...


def _found(target: TargetSpec, position: int, record: Record) -> FoundRecord | None:
    """The record decoded to pymarc, or None for a surrogate diagnostic or a non-MARC record."""
    if not record.ok or not record.raw:
        return None
    try:
        if record.is_marc:
            decoded = decode_marc(record.raw).record
        elif record.syntax in oids.XML_SYNTAXES:
            parsed = parse_marcxml(record.raw)
            if len(parsed) != 1:
                return None
            decoded = parsed[0]
        else:
            return None
    except (MarcError, ValueError):
        return None
    return FoundRecord(target.name, position, decoded, record.raw, record.syntax)
