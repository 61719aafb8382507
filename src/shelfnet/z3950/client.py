"""An asyncio Z39.50 client in the ZOOM vocabulary: Connection, ResultSet, Record, ScanSet.

    async with Connection("localhost", 210, databases=["Default"]) as conn:
        rs = await conn.search("@attr 1=4 jazz")
        for record in await rs.records(0, 10):
            print(record.marc().record.title)

The protocol itself lives in ``protocol.py`` (no I/O); this module only moves its bytes over a
TCP stream, applies timeouts and turns the target's answers into results or typed errors.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, TypeVar

from shelfnet import __version__
from shelfnet.query.rpn import Query, Term
from shelfnet.z3950 import oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import (
    ConnectError,
    DiagnosticError,
    InitRefused,
    RemoteProtocolError,
    ServerClosed,
    TargetTimeout,
    Z3950Error,
)
from shelfnet.z3950.events import (
    AccessControlRequest,
    AccessControlResponse,
    Authentication,
    Close,
    CloseReason,
    ConnectionClosed,
    DeleteResultSetRequest,
    DeleteResultSetResponse,
    Event,
    IdPass,
    InitRequest,
    InitResponse,
    PresentRequest,
    PresentResponse,
    ResourceControlRequest,
    ResourceControlResponse,
    ScanEntry,
    ScanRequest,
    ScanResponse,
    SearchRequest,
    SearchResponse,
    SortKey,
    SortRequest,
    SortResponse,
    TriggerResourceControlRequest,
)
from shelfnet.z3950.protocol import Connection as ProtocolConnection
from shelfnet.z3950.protocol import Role, State
from shelfnet.z3950.records import Record

DEFAULT_PORT = 210
READ_SIZE = 64 * 1024

R = TypeVar("R", bound=Event)
LARGE_SET_NEVER = 2**31 - 1


@dataclass(frozen=True)
class Target:
    """Where a Z39.50 target is: ``host:port/db1+db2`` as YAZ writes it (port 210 by default)."""

    host: str
    port: int = DEFAULT_PORT
    databases: tuple[str, ...] = ("Default",)

    @classmethod
    def parse(cls, zurl: str) -> Target:
        text = zurl.strip()
        for prefix in ("z3950://", "tcp:", "tcp://"):
            if text.lower().startswith(prefix):
                text = text[len(prefix) :]
        address, _, dbs = text.partition("/")
        host, _, port_text = address.rpartition(":") if ":" in address else (address, "", "")
        if not host:
            raise ValueError(f"no host in {zurl!r}")
        try:
            port = int(port_text) if port_text else DEFAULT_PORT
        except ValueError:
            raise ValueError(f"port {port_text!r} in {zurl!r} is not a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"port {port} in {zurl!r} is out of range")
        databases = tuple(db for db in dbs.split("+") if db) or ("Default",)
        return cls(host, port, databases)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{'+'.join(self.databases)}"


def to_query(query: Query | str) -> Query:
    """A Query object as is; a string as PQF."""
    if isinstance(query, Query):
        return query
    from shelfnet.query.pqf import parse_pqf

    return parse_pqf(query)


class Connection:
    """One association with one target; serves any number of searches, scans and sorts."""

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        databases: Sequence[str] = ("Default",),
        user: str | None = None,
        password: str | None = None,
        group: str | None = None,
        connect_timeout: float = 10.0,
        timeout: float = 30.0,
        preferred_record_syntax: str | None = "usmarc",
        element_set_name: str | None = "F",
        present_chunk: int = 100,
        piggyback: bool = True,
        charset: str | None = "utf-8",
        preferred_message_size: int = 4 * 1024 * 1024,
        max_apdu_size: int = 64 * 1024 * 1024,
    ) -> None:
        self.host = host
        self.port = port
        self.databases = tuple(databases)
        self.user, self.password, self.group = user, password, group
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.preferred_record_syntax = (
            oids.syntax_oid(preferred_record_syntax) if preferred_record_syntax else None
        )
        self.element_set_name = element_set_name
        self.present_chunk = max(1, present_chunk)
        self.piggyback = piggyback
        self.proposed_charset = charset
        self.preferred_message_size = preferred_message_size
        self._protocol = ProtocolConnection(Role.ORIGIN, max_apdu_size=max_apdu_size)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._set_names = (f"r{n}" for n in itertools.count(1))
        self.init_response: InitResponse | None = None

    @classmethod
    def to(cls, target: Target | str, **options: object) -> Connection:
        """A connection to a ``host:port/db`` target (options as for the constructor)."""
        where = Target.parse(target) if isinstance(target, str) else target
        return cls(where.host, where.port, databases=where.databases, **options)  # type: ignore[arg-type]

    # Association ---------------------------------------------------------------------------

    async def connect(self) -> InitResponse:
        """Open TCP and exchange Init. Raises ConnectError, TimeoutError or InitRefused."""
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.connect_timeout
            )
        except builtins.TimeoutError:
            raise TargetTimeout(
                f"{self.host}:{self.port}: no connection within {self.connect_timeout} s"
            ) from None
        except OSError as exc:
            # asyncio words a refusal as "Connect call failed"; the errno says what happened.
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConnectError(f"{self.host}:{self.port}: {reason}") from exc
        charsets = (self.proposed_charset,) if self.proposed_charset else ()
        request = InitRequest(
            options=InitRequest.options | ({"negotiation"} if charsets else set()),
            authentication=self._authentication(),
            preferred_message_size=self.preferred_message_size,
            exceptional_record_size=max(self.preferred_message_size, 8 * 1024 * 1024),
            implementation_version=__version__,
            charsets=charsets,
        )
        response = await self._exchange(request, InitResponse)
        if not response.accepted:
            await self._abort()
            reason = str(response.diagnostic) if response.diagnostic else "no reason given"
            raise InitRefused(
                f"{self.host}:{self.port} refused the Init: {reason}", response.diagnostic
            )
        if response.charset:
            self._protocol.charset = _python_codec(response.charset)
        self.init_response = response
        return response

    def _authentication(self) -> Authentication:
        """As ZOOM does: a user alone goes as ``open``, with a password or group as idPass."""
        if self.password is None and self.group is None:
            return self.user
        return IdPass(self.user, self.password, self.group)

    async def close(self) -> None:
        """Send Close (finished), wait briefly for the target's Close, and drop the socket."""
        if self._writer is None:
            return
        try:
            if self._protocol.state not in (State.CLOSED, State.IDLE):
                self._write(self._protocol.send(Close(CloseReason.FINISHED)))
                await asyncio.wait_for(self._drain_until_closed(), min(self.timeout, 2.0))
        except (Z3950Error, OSError, TimeoutError):
            pass
        finally:
            await self._abort()

    async def __aenter__(self) -> Connection:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._writer is not None and self._protocol.state is State.READY

    # Operations ----------------------------------------------------------------------------

    async def search(
        self,
        query: Query | str,
        *,
        result_set_name: str | None = None,
        prefetch: int = 0,
        databases: Sequence[str] | None = None,
    ) -> ResultSet:
        """Search; a string query is PQF. ``prefetch`` records come piggybacked when possible."""
        name = result_set_name or self._next_set_name()
        wanted = prefetch if self.piggyback else 0
        request = SearchRequest(
            query=to_query(query),
            databases=tuple(databases or self.databases),
            result_set_name=name,
            small_set_upper_bound=wanted,
            # no "large" sets: a hit count above ``wanted`` is a medium set, and the target
            # piggybacks the first ``wanted`` records instead of none
            large_set_lower_bound=LARGE_SET_NEVER if wanted else 1,
            medium_set_present_number=wanted,
            small_set_element_set_name=self.element_set_name if wanted else None,
            medium_set_element_set_name=self.element_set_name if wanted else None,
            preferred_record_syntax=self.preferred_record_syntax,
        )
        response = await self._exchange(request, SearchResponse)
        if response.diagnostics and not response.search_status:
            raise DiagnosticError(response.diagnostics[0])
        if not response.search_status:
            raise DiagnosticError(Diagnostic(3, "search failed without a diagnostic"))
        result = ResultSet(self, name, response.result_count)
        result._store(1, response.records)
        return result

    async def present(
        self,
        result_set: str,
        start: int,
        count: int,
        *,
        syntax: str | None = None,
        element_set_name: str | None = None,
    ) -> list[Record]:
        """Fetch ``count`` records from position ``start`` (1-based) of a named result set.

        ``syntax`` and ``element_set_name`` override the connection's for this request; an
        empty element set name sends none (some targets only serve XML that way).
        """
        request = PresentRequest(
            result_set=result_set,
            start=start,
            count=count,
            element_set_name=(
                self.element_set_name if element_set_name is None else element_set_name or None
            ),
            preferred_record_syntax=oids.syntax_oid(syntax)
            if syntax
            else (self.preferred_record_syntax),
        )
        response = await self._exchange(request, PresentResponse)
        if response.diagnostics:
            raise DiagnosticError(response.diagnostics[0])
        return list(response.records)

    async def scan(
        self,
        term: Query | Term | str,
        *,
        number: int = 20,
        position: int = 1,
        step: int = 0,
        databases: Sequence[str] | None = None,
    ) -> ScanSet:
        """Scan an index from a start term; a string is PQF (``@attr 1=4 jazz``)."""
        start, attribute_set = _scan_term(term)
        request = ScanRequest(
            term=start,
            databases=tuple(databases or self.databases),
            attribute_set=attribute_set,
            number=number,
            position=position,
            step_size=step,
        )
        response = await self._exchange(request, ScanResponse)
        if response.diagnostics and not response.entries:
            raise DiagnosticError(response.diagnostics[0])
        return ScanSet(response.entries, response.position, response.status)

    async def sort(
        self, result_set: ResultSet, keys: Sequence[SortKey], *, into: str | None = None
    ) -> ResultSet:
        """Sort a result set into a new (or the same) named result set."""
        name = into or result_set.name
        request = SortRequest((result_set.name,), name, tuple(keys))
        response = await self._exchange(request, SortResponse)
        if response.status == 2:
            diagnostic = response.diagnostics[0] if response.diagnostics else Diagnostic(207)
            raise DiagnosticError(diagnostic)
        size = response.result_count if response.result_count is not None else result_set.size
        return ResultSet(self, name, size)

    def trigger_resource_control(self, action: int = 3) -> None:
        """Ask the target, in the middle of an operation, for a resource report (1), resource
        control (2) or to cancel the operation (3). It answers, if at all, within the operation.
        """
        self._write(self._protocol.send(TriggerResourceControlRequest(action=action)))

    async def delete_result_sets(self, *names: str) -> DeleteResultSetResponse:
        """Delete the named result sets (all of them when none is named)."""
        return await self._exchange(DeleteResultSetRequest(tuple(names)), DeleteResultSetResponse)

    # Plumbing ------------------------------------------------------------------------------

    def _next_set_name(self) -> str:
        options = self.init_response.options if self.init_response else frozenset()
        return next(self._set_names) if "namedResultSets" in options else "default"

    async def _exchange(self, request: Event, expected: type[R]) -> R:
        async with self._lock:
            if self._writer is None:
                raise ConnectError("not connected")
            self._write(self._protocol.send(request))
            while True:
                event = await self._next_event()
                if isinstance(event, expected):
                    return event
                await self._answer_interposed(event)

    async def _answer_interposed(self, event: Event) -> None:
        if isinstance(event, ResourceControlRequest):
            if event.response_required:
                self._write(self._protocol.send(ResourceControlResponse(continue_=True)))
        elif isinstance(event, AccessControlRequest):
            if event.simple is not None and self.password is not None:
                answer = AccessControlResponse(simple=self.password.encode(self._protocol.charset))
            else:
                answer = AccessControlResponse(
                    diagnostic=Diagnostic(
                        102, "shelfnet cannot answer this access-control challenge"
                    )
                )
            self._write(self._protocol.send(answer))
        elif isinstance(event, Close):
            if self._protocol.state is State.PEER_CLOSING:
                self._write(self._protocol.send(Close(CloseReason.FINISHED)))
            await self._abort()
            raise ServerClosed(event.reason.name.lower().replace("_", " "), event.info or "")

    async def _next_event(self) -> Event:
        assert self._reader is not None
        while True:
            try:
                event = self._protocol.next_event()
            except RemoteProtocolError:
                await self._abort()
                raise
            if isinstance(event, ConnectionClosed):
                await self._abort()
                raise ServerClosed("connection dropped by the target")
            if event is not None:
                return event
            try:
                data = await asyncio.wait_for(self._reader.read(READ_SIZE), self.timeout)
            except builtins.TimeoutError:
                await self._abort()
                raise TargetTimeout(
                    f"{self.host}:{self.port}: no answer within {self.timeout} s"
                ) from None
            except OSError as exc:
                await self._abort()
                raise ServerClosed(f"connection lost: {exc}") from exc
            self._protocol.receive_data(data)

    async def _drain_until_closed(self) -> None:
        while self._protocol.state is State.CLOSING:
            event = await self._next_event()
            if isinstance(event, Close):
                return

    def _write(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)

    async def _abort(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _python_codec(name: str) -> str:
    """The Python codec for a negotiated character set (UTF-8 when Python doesn't know it)."""
    import codecs

    name = "utf-16-be" if name == "ucs-2" else name
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _scan_term(term: Query | Term | str) -> tuple[Term, str | None]:
    if isinstance(term, Term):
        return term, oids.BIB1
    query = to_query(term)
    if not isinstance(query.root, Term):
        raise ValueError("a scan start point is one term with its attributes, not an expression")
    return query.root, query.attribute_set


class Presenter(Protocol):
    """What a ResultSet needs of its connection (Z39.50 or SRU)."""

    present_chunk: int

    async def present(self, result_set: str, start: int, count: int) -> list[Record]: ...


class ResultSet:
    """The records a search found; fetched lazily in chunks and kept once fetched.

    Positions are 0-based, as in ZOOM: ``await rs.record(0)`` is the first hit.
    """

    def __init__(self, connection: Presenter, name: str, size: int) -> None:
        self.connection = connection
        self.name = name
        self.size = size
        self._records: dict[int, Record] = {}

    def __len__(self) -> int:
        return self.size

    def _store(self, first_position: int, records: Sequence[Record]) -> None:
        for offset, record in enumerate(records):
            self._records[first_position - 1 + offset] = record

    async def record(self, index: int) -> Record:
        """The record at 0-based ``index``."""
        return (await self.records(index, 1))[0]

    async def records(self, start: int = 0, count: int | None = None) -> list[Record]:
        """Records ``start`` .. ``start + count - 1`` (all remaining when count is None)."""
        if count is None:
            count = self.size - start
        if start < 0 or count < 0 or start + count > self.size:
            raise IndexError(f"records {start}..{start + count} outside 0..{self.size}")
        index = start
        while index < start + count:
            if index in self._records:
                index += 1
                continue
            await self._fetch(index, start + count)
            if index not in self._records:
                raise RemoteProtocolError(f"target returned no record for position {index + 1}")
        return [self._records[i] for i in range(start, start + count)]

    async def _fetch(self, index: int, end: int) -> None:
        wanted = min(self.connection.present_chunk, end - index)
        while index + wanted - 1 in self._records:  # don't re-fetch what we already have
            wanted -= 1
        fetched = await self.connection.present(self.name, index + 1, wanted)
        self._store(index + 1, fetched)

    async def __aiter__(self) -> AsyncIterator[Record]:
        for start in range(0, self.size, self.connection.present_chunk):
            count = min(self.connection.present_chunk, self.size - start)
            for record in await self.records(start, count):
                yield record


@dataclass(frozen=True)
class ScanSet:
    """The terms a scan returned, in index order; ``position`` is the start term's (1-based)."""

    entries: tuple[ScanEntry, ...]
    position: int | None = None
    status: int = 0

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries)
