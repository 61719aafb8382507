"""An asyncio Z39.50 server: the protocol core in the target role, answering from a Backend.

The front end owns everything that is Z39.50 and not catalogue: Init and authentication,
named result sets and their limits, piggybacked records, present ranges and message sizes,
result-set operands in queries, Close. The backend (``shelfnet.backend.Backend``) only
searches, fetches, scans and sorts. A misbehaving client (garbage, truncated or huge APDUs,
silence, vanishing mid-present) gets Close with the reason and never affects other sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from shelfnet import __version__
from shelfnet.backend import Backend, BackendError, Credentials, SearchResult
from shelfnet.query.rpn import Node, Operator, OperatorKind, Query, ResultSetId, Term
from shelfnet.z3950 import oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import RemoteProtocolError
from shelfnet.z3950.events import (
    Close,
    CloseReason,
    ConnectionClosed,
    DeleteResultSetRequest,
    DeleteResultSetResponse,
    Event,
    IdPass,
    InitRequest,
    InitResponse,
    OtherAPDU,
    PresentRequest,
    PresentResponse,
    ScanRequest,
    ScanResponse,
    SearchRequest,
    SearchResponse,
    SortRequest,
    SortResponse,
    TriggerResourceControlRequest,
)
from shelfnet.z3950.protocol import Connection, Role
from shelfnet.z3950.records import Record

log = logging.getLogger("shelfnet.z3950.server")

SUPPORTED_OPTIONS = frozenset(
    {"search", "present", "delSet", "scan", "sort", "namedResultSets", "triggerResourceCtrl"}
)
READ_SIZE = 64 * 1024
WRITE_BUFFER = 64 * 1024
"""Unsent bytes above which a response waits for the client to read (asyncio's own
high-water mark, where the transport pauses)."""
MAX_SCAN_TERMS = 1000
DEFAULT_ELEMENT_SET = "F"


@dataclass(frozen=True)
class ServerLimits:
    max_connections: int = 1000
    max_message_size: int = 16 * 1024 * 1024
    idle_timeout: float = 600.0
    max_result_sets: int = 32


class Z3950Server:
    """Listens on one or more addresses and runs a Session per connection."""

    def __init__(self, backend: Backend, limits: ServerLimits | None = None) -> None:
        self.backend = backend
        self.limits = limits or ServerLimits()
        self.active = 0
        self._server: asyncio.Server | None = None
        self._ids = itertools.count(1)

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, host, port, limit=READ_SIZE)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [sock.getsockname()[:2] for sock in self._server.sockets]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self, reader, writer, next(self._ids))
        if self.active >= self.limits.max_connections:
            await session.refuse("too many connections")
            return
        self.active += 1
        try:
            await session.run()
        finally:
            self.active -= 1


class IdleWatch:
    """Cancels the current task when it has waited for its client ``timeout`` seconds.

    One timer per session, moved only when it fires early: a request costs one clock read,
    where a timeout around each read would cost a timer (and wait_for a task) per request.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.waiting = False
        self.expired = False
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._last = self._loop.time()
        self._timer = self._loop.call_at(self._last + timeout, self._check)

    def touch(self) -> None:
        self._last = self._loop.time()

    def stop(self) -> None:
        self._timer.cancel()

    def _check(self) -> None:
        due = self._last + self.timeout
        if self.waiting and self._loop.time() >= due and self._task is not None:
            self.expired = True
            self._task.cancel()
            return
        # Active since, or busy with a request (which touches the watch when it ends): look
        # again when the quiet time could be up.
        now = self._loop.time()
        self._timer = self._loop.call_at(due if due > now else now + self.timeout, self._check)

    def resume(self) -> None:
        """Take back the cancellation an expiry made, to say goodbye to the client."""
        if self._task is not None:
            self._task.uncancel()


class Session:
    """One client's association: its protocol state and its named result sets."""

    def __init__(
        self,
        server: Z3950Server,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        number: int,
    ) -> None:
        self.server = server
        self.backend = server.backend
        self.limits = server.limits
        self.reader = reader
        self.writer = writer
        self.peer = _peer(writer)
        self.number = number
        self.protocol = Connection(Role.TARGET, max_apdu_size=self.limits.max_message_size)
        self.result_sets: dict[str, SearchResult] = {}
        self.message_size = self.limits.max_message_size
        self.record_size = self.limits.max_message_size

    async def refuse(self, why: str) -> None:
        """Turn the client away before Init (Close: resources), then hang up."""
        with contextlib.suppress(OSError):
            await self._send(Close(CloseReason.RESOURCES, why))
        await self._hang_up()

    async def run(self) -> None:
        try:
            await self._serve()
        except (ConnectionError, OSError):
            pass  # the client went away; nothing to answer
        except Exception:  # a bug here must cost one session, never the server
            log.exception("session %d from %s failed", self.number, self.peer)
            with contextlib.suppress(Exception):
                await self._send(Close(CloseReason.SYSTEM_PROBLEM, "internal error"))
        finally:
            await self._hang_up()

    async def _serve(self) -> None:
        idle = IdleWatch(self.limits.idle_timeout)
        try:
            await self._serve_requests(idle)
        except asyncio.CancelledError:
            if not idle.expired:
                raise
            idle.resume()
            info = f"idle for {self.limits.idle_timeout:g} s"
            await self._send(Close(CloseReason.LACK_OF_ACTIVITY, info))
        finally:
            idle.stop()

    async def _serve_requests(self, idle: IdleWatch) -> None:
        while True:
            idle.waiting = True
            data = await self.reader.read(READ_SIZE)
            idle.waiting = False
            idle.touch()
            self.protocol.receive_data(data)
            while True:
                try:
                    event = self.protocol.next_event()
                except RemoteProtocolError as exc:
                    log.info("session %d from %s: %s", self.number, self.peer, exc)
                    await self._send(Close(CloseReason.PROTOCOL_ERROR, str(exc)[:200]))
                    return
                if event is None:
                    break
                if isinstance(event, ConnectionClosed):
                    return
                if not await self._handle(event):
                    return

    async def _handle(self, event: Event) -> bool:
        """Answer one APDU; False when the session is over."""
        match event:
            case InitRequest():
                return await self._init(event)
            case SearchRequest():
                await self._send(await self._search(event))
            case PresentRequest():
                await self._send(await self._present(event))
            case ScanRequest():
                await self._send(await self._scan(event))
            case SortRequest():
                await self._send(await self._sort(event))
            case DeleteResultSetRequest():
                await self._send(self._delete(event))
            case Close():
                await self._send(Close(CloseReason.FINISHED))
                return False
            case TriggerResourceControlRequest():
                pass  # operations here finish quickly; there is nothing to cancel
            case OtherAPDU():
                return await self._unsupported(event)
        return True

    # Init -------------------------------------------------------------------------------

    async def _init(self, request: InitRequest) -> bool:
        credentials = _credentials(request, self.peer)
        accepted = await self.backend.authenticate(credentials)
        self.message_size = min(request.preferred_message_size, self.limits.max_message_size)
        self.record_size = min(request.exceptional_record_size, self.limits.max_message_size)
        charset = "utf-8" if "utf-8" in request.charsets else None
        options = SUPPORTED_OPTIONS & request.options
        if charset:
            options |= {"negotiation"} & request.options
        response = InitResponse(
            accepted=accepted,
            options=frozenset(options),
            preferred_message_size=self.message_size,
            exceptional_record_size=self.record_size,
            implementation_id="shelfnet",
            implementation_name=self.backend.info().name,
            implementation_version=__version__,
            charset=charset if accepted else None,
            diagnostic=None if accepted else Diagnostic(1011, credentials.user or ""),
            reference_id=request.reference_id,
        )
        await self._send(response)
        if not accepted:
            log.info("session %d from %s: Init refused", self.number, self.peer)
        return accepted

    # Search -------------------------------------------------------------------------------

    async def _search(self, request: SearchRequest) -> SearchResponse:
        name = request.result_set_name
        try:
            if name in self.result_sets and not request.replace:
                raise BackendError(21, name)
            self._check_room(name)
            result = await self._evaluate(request.query.root, request)
        except BackendError as error:
            return SearchResponse(
                result_count=0,
                search_status=False,
                result_set_status=3,
                diagnostics=(error.diagnostic,),
                reference_id=request.reference_id,
            )
        self.result_sets[name] = result
        wanted, element_set = _piggyback(request, result.size)
        records: tuple[Record, ...] = ()
        if wanted:
            syntax = request.preferred_record_syntax or oids.USMARC
            records = await self._records(result, 1, wanted, syntax, element_set)
        return SearchResponse(
            result_count=result.size,
            records_returned=len(records),
            next_position=len(records) + 1 if result.size else 0,
            present_status=0 if wanted else None,
            records=records,
            reference_id=request.reference_id,
        )

    def _check_room(self, name: str) -> None:
        if name not in self.result_sets and len(self.result_sets) >= self.limits.max_result_sets:
            raise BackendError(112, str(self.limits.max_result_sets))

    async def _evaluate(self, node: Node, request: SearchRequest) -> SearchResult:
        """Result-set operands are the front end's business; everything else the backend's."""
        if not _names_result_set(node):
            return await self.backend.search(
                request.databases, Query(node, request.query.attribute_set)
            )
        if isinstance(node, ResultSetId):
            if node.name not in self.result_sets:
                raise BackendError(30, node.name)
            return self.result_sets[node.name]
        if isinstance(node, Term):  # unreachable: terms name no result set
            raise BackendError(108)
        if node.kind is OperatorKind.PROX:
            raise BackendError(129)
        left = await self._evaluate(node.left, request)
        right = await self._evaluate(node.right, request)
        return _combine(node.kind, left, right)

    # Present ------------------------------------------------------------------------------

    async def _present(self, request: PresentRequest) -> PresentResponse:
        def failed(code: int, addinfo: str = "") -> PresentResponse:
            return PresentResponse(
                records_returned=0,
                next_position=0,
                present_status=5,
                diagnostics=(Diagnostic(code, addinfo),),
                reference_id=request.reference_id,
            )

        result = self.result_sets.get(request.result_set)
        if result is None:
            return failed(30, request.result_set)
        last = request.start + request.count - 1
        if request.start < 1 or request.count < 0 or (request.count and last > result.size):
            return failed(13, f"{request.start}+{request.count} of {result.size}")
        syntax = request.preferred_record_syntax or oids.USMARC
        element_set = request.element_set_name or DEFAULT_ELEMENT_SET
        try:
            records = await self._records(result, request.start, request.count, syntax, element_set)
        except BackendError as error:
            return failed(error.diagnostic.code, error.diagnostic.addinfo)
        partial = len(records) < request.count
        return PresentResponse(
            records_returned=len(records),
            next_position=request.start + len(records),
            present_status=2 if partial else 0,
            records=records,
            reference_id=request.reference_id,
        )

    async def _records(
        self, result: SearchResult, start: int, count: int, syntax: str, element_set: str | None
    ) -> tuple[Record, ...]:
        """Records ``start`` .. ``start + count - 1``, as many as fit the message size."""
        ids = result.ids[start - 1 : start - 1 + count]
        fetched = await self.backend.fetch(ids, syntax, element_set)
        budget = self.message_size
        records: list[Record] = []
        for item in fetched:
            record = item.record
            if len(record.raw) > self.record_size:
                record = Record(
                    syntax="",
                    database=record.database,
                    diagnostic=Diagnostic(17, str(len(record.raw))),
                )
            if records and len(record.raw) > budget:
                break  # the rest come with the next present (present status partial-2)
            budget -= len(record.raw)
            records.append(record)
        return tuple(records)

    # Scan, sort, delete -------------------------------------------------------------------

    async def _scan(self, request: ScanRequest) -> ScanResponse:
        try:
            if request.step_size:
                raise BackendError(205, str(request.step_size))
            number = min(request.number, MAX_SCAN_TERMS)
            position = request.position or 1
            scanned = await self.backend.scan(request.databases, request.term, number, position)
        except BackendError as error:
            return ScanResponse(
                status=6, diagnostics=(error.diagnostic,), reference_id=request.reference_id
            )
        entries = scanned.entries
        status = 0 if len(entries) == request.number else 1  # partial-1: fewer terms than asked
        return ScanResponse(
            status=status,
            entries=tuple(entries),
            position=scanned.position,
            step_size=0,
            reference_id=request.reference_id,
        )

    async def _sort(self, request: SortRequest) -> SortResponse:
        try:
            if len(request.input_sets) != 1:
                raise BackendError(230, str(len(request.input_sets)))
            source = self.result_sets.get(request.input_sets[0])
            if source is None:
                raise BackendError(30, request.input_sets[0])
            self._check_room(request.output_set)
            result = await self.backend.sort(source, request.keys)
        except BackendError as error:
            return SortResponse(
                status=2, diagnostics=(error.diagnostic,), reference_id=request.reference_id
            )
        self.result_sets[request.output_set] = result
        return SortResponse(status=0, result_count=result.size, reference_id=request.reference_id)

    def _delete(self, request: DeleteResultSetRequest) -> DeleteResultSetResponse:
        if not request.names:
            self.result_sets.clear()
            return DeleteResultSetResponse(status=0, reference_id=request.reference_id)
        statuses = tuple(
            (name, 0 if self.result_sets.pop(name, None) is not None else 1)
            for name in request.names
        )
        overall = 0 if all(status == 0 for _, status in statuses) else 9
        return DeleteResultSetResponse(
            status=overall, statuses=statuses, reference_id=request.reference_id
        )

    async def _unsupported(self, event: OtherAPDU) -> bool:
        """Extended services are refused politely; anything else a target never sends us is a
        protocol error."""
        if event.name == "extendedServicesRequest":
            diagnostic = {
                "diagnosticSetId": oids.DIAG_BIB1,
                "condition": 221,
                "addinfo": ("v3Addinfo", b""),
            }
            value = {"operationStatus": 3, "diagnostics": [("defaultFormat", diagnostic)]}
            await self._send(OtherAPDU("extendedServicesResponse", value))
            return True
        await self._send(Close(CloseReason.PROTOCOL_ERROR, f"{event.name} is not supported"))
        return False

    # Transport ----------------------------------------------------------------------------

    async def _send(self, event: Event) -> None:
        self.writer.write(self.protocol.send(event))
        if self.writer.transport.get_write_buffer_size() > WRITE_BUFFER:
            # A client that stops reading must not hold the session (and its memory) forever.
            await asyncio.wait_for(self.writer.drain(), self.limits.idle_timeout)

    async def _hang_up(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 5)


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address or "")


def _credentials(request: InitRequest, peer: str) -> Credentials:
    auth = request.authentication
    if isinstance(auth, IdPass):
        return Credentials(auth.user, auth.password, auth.group, peer)
    if isinstance(auth, str):  # "open": YAZ's convention is user/password
        user, _, password = auth.partition("/")
        return Credentials(user or None, password or None, None, peer)
    return Credentials(peer=peer)


def _piggyback(request: SearchRequest, hits: int) -> tuple[int, str | None]:
    """How many records go with the search response, and in which element set."""
    if hits <= request.small_set_upper_bound:
        return hits, request.small_set_element_set_name
    if hits >= request.large_set_lower_bound:
        return 0, None
    return min(request.medium_set_present_number, hits), request.medium_set_element_set_name


def _names_result_set(node: Node) -> bool:
    if isinstance(node, ResultSetId):
        return True
    if isinstance(node, Operator):
        return _names_result_set(node.left) or _names_result_set(node.right)
    return False


def _combine(kind: OperatorKind, left: SearchResult, right: SearchResult) -> SearchResult:
    right_ids = set(right.ids)
    if kind is OperatorKind.AND:
        ids: Sequence[int] = [i for i in left.ids if i in right_ids]
    elif kind is OperatorKind.AND_NOT:
        ids = [i for i in left.ids if i not in right_ids]
    else:
        ids = sorted(set(left.ids) | right_ids)
    return SearchResult(ids, left.databases or right.databases)
