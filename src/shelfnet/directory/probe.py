"""Health probing, in the manner of IRSpy: visit each target, see whether it answers and what
it can do, and keep the answer as a ``ProbeResult``.

A Z39.50 probe connects, exchanges Init (keeping the implementation id, name and version),
runs one test search, and presents the first record once in each record syntax of interest,
noting which syntaxes really come back. An SRU probe asks for the explain record and runs a
searchRetrieve for one record. Each step has its own deadline; a failure ends that target's
probe only, with the reason as a diagnostic (ZOOM's codes for what the client saw: 10000
connect failed, 10004 connection lost, 10005 Init refused, 10007 timeout).

``probe_all`` runs many probes at once with bounded resources: ``concurrency`` workers, each
holding at most one socket, and nothing kept of a record but its syntax.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from shelfnet.directory.model import (
    Diagnostic,
    ProbeResult,
    Target,
    TargetProtocol,
)
from shelfnet.z3950 import diagnostics as z3950_diagnostics
from shelfnet.z3950 import oids
from shelfnet.z3950.client import Connection as Z3950Connection
from shelfnet.z3950.errors import (
    ConnectError,
    DiagnosticError,
    InitRefused,
    RemoteProtocolError,
    ServerClosed,
    TargetTimeout,
    Z3950Error,
)
from shelfnet.z3950.events import Event, InitResponse
from shelfnet.z3950.records import Record

ZOOM_CONNECT = 10000
ZOOM_CONNECTION_LOST = 10004
ZOOM_INIT = 10005
ZOOM_TIMEOUT = 10007
ZOOM_PROTOCOL = 10003
GRACE = 0.5
"""Seconds a step's outer deadline allows beyond the client's own timeout, which fires
first and says which step it was."""

DEFAULT_QUERY = "@attr 1=4 @attr 5=1 a"
"""Titles with a word starting with "a": something nearly every catalogue has."""
DEFAULT_CQL_QUERY = 'dc.title = "a*"'
DEFAULT_SYNTAXES = ("usmarc", "unimarc", "xml", "sutrs", "opac", "grs-1")

Clock = Callable[[], datetime]
Timer = Callable[[], float]
T = TypeVar("T")
E = TypeVar("E", bound=Event)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ProbeSettings:
    """How targets are probed (``shelfnet directory probe`` options)."""

    concurrency: int = 100
    """Targets probed at the same time; each holds one socket while it runs."""
    connect_timeout: float = 10.0
    """Seconds to open the connection."""
    timeout: float = 20.0
    """Seconds for each later step: Init, the search, each present, SRU explain."""
    query: str = DEFAULT_QUERY
    """The test search for Z39.50 targets, in PQF."""
    cql_query: str = DEFAULT_CQL_QUERY
    """The test search for SRU targets, in CQL."""
    syntaxes: tuple[str, ...] = DEFAULT_SYNTAXES
    """Record syntaxes asked for, one present each, when the search finds something."""
    source: str = "shelfnet"
    """Who probed, as the history records it."""


@dataclass(frozen=True)
class ProbeReport:
    """One finished probe: the result as stored, and the present time (not stored)."""

    target: Target
    result: ProbeResult
    present_seconds: float | None = None
    record_bytes: int = 0
    """Bytes of the records that came back (all syntaxes together)."""


class _StepFailed(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def zoom(code: int, message: str, addinfo: str = "") -> Diagnostic:
    return Diagnostic("ZOOM", code, message, addinfo)


def _from_z3950(diagnostic: z3950_diagnostics.Diagnostic) -> Diagnostic:
    name = diagnostic.diagnostic_set
    diagset = "Bib-1" if name == oids.DIAG_BIB1 else name
    return Diagnostic(diagset, diagnostic.code, diagnostic.message, diagnostic.addinfo)


def _failure(exc: Exception) -> Diagnostic:
    """The diagnostic for what went wrong in one step."""
    if isinstance(exc, DiagnosticError):
        return _from_z3950(exc.diagnostic)
    if isinstance(exc, TargetTimeout | TimeoutError):
        return zoom(ZOOM_TIMEOUT, "Timeout", str(exc))
    if isinstance(exc, InitRefused):
        addinfo = str(exc.diagnostic) if exc.diagnostic else ""
        return zoom(ZOOM_INIT, "Init rejected", addinfo)
    if isinstance(exc, ConnectError):
        return zoom(ZOOM_CONNECT, "Connect failed", str(exc))
    if isinstance(exc, ServerClosed | OSError):
        return zoom(ZOOM_CONNECTION_LOST, "Connection lost", str(exc))
    return zoom(ZOOM_PROTOCOL, "Protocol error", str(exc))


class _TimedConnection(Z3950Connection):
    """A Z39.50 connection that notes when TCP was up (its first APDU goes out), so that the
    connect and Init times can be told apart."""

    def __init__(self, *args: object, timer: Timer, **options: object) -> None:
        super().__init__(*args, **options)  # type: ignore[arg-type]
        self._timer = timer
        self.connected_at: float | None = None

    async def _exchange(self, request: Event, expected: type[E]) -> E:
        if self.connected_at is None:
            self.connected_at = self._timer()
        return await super()._exchange(request, expected)

    async def abort(self) -> None:
        """Drop the socket without the Close exchange: after a timeout the target is busy
        or gone, and waiting for its Close would only make the probe longer."""
        await self._abort()


@dataclass
class _Z3950Probe:
    target: Target
    settings: ProbeSettings
    timer: Timer
    result: dict[str, object] = field(default_factory=dict)
    present_seconds: float | None = None
    record_bytes: int = 0

    async def run(self) -> None:
        address = self.target.address
        auth = self.target.authentication
        connection = _TimedConnection(
            address.host,
            address.port,
            databases=address.databases or ("Default",),
            user=auth.user or None,
            password=auth.password or None,
            group=auth.group or None,
            connect_timeout=self.settings.connect_timeout,
            timeout=self.settings.timeout,
            piggyback=False,
            timer=self.timer,
        )
        try:
            await self._init(connection)
            name = await self._search(connection)
            if name is not None:
                await self._present(connection, name)
        except BaseException:
            await connection.abort()
            raise
        await connection.close()

    async def _init(self, connection: _TimedConnection) -> None:
        started = self.timer()
        bound = self.settings.connect_timeout + self.settings.timeout + GRACE
        try:
            response: InitResponse = await asyncio.wait_for(connection.connect(), bound)
        except (Z3950Error, OSError, TimeoutError) as exc:
            self._connect_done(connection, started)
            reachable = connection.connected_at is not None and not isinstance(exc, ConnectError)
            self.result["reachable"] = reachable
            if reachable:
                self.result["init_ok"] = False
                self.result["init_seconds"] = self.timer() - (connection.connected_at or started)
            raise _StepFailed(_failure(exc)) from exc
        self._connect_done(connection, started)
        self.result.update(
            reachable=True,
            init_ok=True,
            init_seconds=self.timer() - (connection.connected_at or started),
            implementation_id=response.implementation_id,
            implementation_name=response.implementation_name,
            implementation_version=response.implementation_version,
        )

    def _connect_done(self, connection: _TimedConnection, started: float) -> None:
        if connection.connected_at is not None:
            self.result["connect_seconds"] = connection.connected_at - started

    async def _search(self, connection: Z3950Connection) -> str | None:
        """The result set's name when the search found something to present."""
        started = self.timer()
        try:
            found = await asyncio.wait_for(
                connection.search(self.settings.query), self.settings.timeout + GRACE
            )
        except (Z3950Error, OSError, TimeoutError) as exc:
            self.result.update(search_ok=False, search_seconds=self.timer() - started)
            raise _StepFailed(_failure(exc)) from exc
        self.result.update(search_ok=True, hits=found.size, search_seconds=self.timer() - started)
        return found.name if found.size else None

    async def _present(self, connection: Z3950Connection, result_set: str) -> None:
        started = self.timer()
        came_back: list[str] = []
        for syntax in self.settings.syntaxes:
            try:
                records = await asyncio.wait_for(
                    connection.present(result_set, 1, 1, syntax=syntax),
                    self.settings.timeout + GRACE,
                )
            except DiagnosticError:
                continue  # the target does not serve this syntax: the next may do
            except (Z3950Error, OSError, TimeoutError):
                break  # the association is gone; what came back so far stands
            for record in records:
                if _is_syntax(record, syntax):
                    came_back.append(syntax)
                    self.record_bytes += len(record.raw)
            if not connection.connected:
                break
        self.present_seconds = self.timer() - started
        self.result["syntaxes"] = tuple(came_back)


def _is_syntax(record: Record, asked: str) -> bool:
    """Whether a record is of the syntax asked for (not a surrogate diagnostic, not some other
    syntax the target preferred; MARC21 counts as USMARC)."""
    if not record.ok or not record.raw:
        return False
    name = record.syntax_name.lower()
    return name == asked or {name, asked} == {"marc21", "usmarc"}


@dataclass
class _SruProbe:
    target: Target
    settings: ProbeSettings
    timer: Timer
    result: dict[str, object] = field(default_factory=dict)
    present_seconds: float | None = None
    record_bytes: int = 0

    async def run(self) -> None:
        from shelfnet.sru.client import Connection as SruConnection

        timeout = self.settings.timeout
        connection = SruConnection(str(self.target.address), timeout=timeout)
        await connection.connect()
        try:
            await self._explain(connection)
            await self._search(connection)
        finally:
            await connection.close()

    async def _explain(self, connection: object) -> None:
        from shelfnet.sru.client import Connection as SruConnection

        assert isinstance(connection, SruConnection)
        started = self.timer()
        bound = self.settings.connect_timeout + self.settings.timeout + GRACE
        try:
            await asyncio.wait_for(connection.explain(), bound)
        except DiagnosticError:
            pass  # an SRU diagnostic to explain still proves the service answers
        except (Z3950Error, OSError, TimeoutError) as exc:
            self.result["reachable"] = not isinstance(exc, ConnectError)
            if self.result["reachable"]:
                self.result["init_ok"] = False
            raise _StepFailed(_sru_failure(exc)) from exc
        self.result.update(reachable=True, init_ok=True, init_seconds=self.timer() - started)

    async def _search(self, connection: object) -> None:
        from shelfnet.sru.client import Connection as SruConnection

        assert isinstance(connection, SruConnection)
        started = self.timer()
        try:
            found = await asyncio.wait_for(
                connection.search(self.settings.cql_query, prefetch=1),
                self.settings.timeout + GRACE,
            )
            records = await found.records(0, min(1, found.size))
        except (Z3950Error, OSError, TimeoutError) as exc:
            self.result.update(search_ok=False, search_seconds=self.timer() - started)
            raise _StepFailed(_sru_failure(exc)) from exc
        self.result.update(search_ok=True, hits=found.size, search_seconds=self.timer() - started)
        kept = [record for record in records if record.ok and record.raw]
        self.record_bytes = sum(len(record.raw) for record in kept)
        self.result["syntaxes"] = ("xml",) if kept else ()


def _sru_failure(exc: Exception) -> Diagnostic:
    if isinstance(exc, DiagnosticError):
        diagnostic = exc.diagnostic
        return Diagnostic(diagnostic.diagnostic_set, diagnostic.code, "", diagnostic.addinfo)
    if isinstance(exc, RemoteProtocolError) and " HTTP " in f" {exc} ":
        text = str(exc)
        code = next((int(word) for word in text.split() if word.isdigit()), None)
        return Diagnostic("HTTP", code, "HTTP error", text)
    return _failure(exc)


async def probe_target(
    target: Target,
    settings: ProbeSettings = ProbeSettings(),
    *,
    clock: Clock = _utc_now,
    timer: Timer = time.monotonic,
) -> ProbeReport:
    """Probe one target; never raises for anything the target does."""
    when = clock()
    probe: _Z3950Probe | _SruProbe
    if target.address.protocol is TargetProtocol.SRU:
        probe = _SruProbe(target, settings, timer)
    else:
        probe = _Z3950Probe(target, settings, timer)
    diagnostic: Diagnostic | None = None
    try:
        await probe.run()
    except _StepFailed as failed:
        diagnostic = failed.diagnostic
    except (Z3950Error, OSError, TimeoutError) as exc:  # closing, mostly: the answer stands
        diagnostic = None if probe.result.get("reachable") else _failure(exc)
    result = ProbeResult(
        when=when,
        reachable=bool(probe.result.pop("reachable", False)),
        diagnostic=diagnostic,
        source=settings.source,
    )
    result = replace(result, **probe.result)  # type: ignore[arg-type]
    return ProbeReport(target, result, probe.present_seconds, probe.record_bytes)


async def probe_all(
    targets: Iterable[Target],
    settings: ProbeSettings = ProbeSettings(),
    *,
    clock: Clock = _utc_now,
    timer: Timer = time.monotonic,
) -> AsyncIterator[ProbeReport]:
    """Probe every target, ``settings.concurrency`` at a time, yielding each report as it is
    ready (not in the targets' order). Workers take the targets one by one, so a long list
    costs no more memory than a short one."""
    pending = iter(targets)
    done: asyncio.Queue[ProbeReport | None] = asyncio.Queue()

    async def worker() -> None:
        try:
            for target in pending:
                await done.put(await probe_target(target, settings, clock=clock, timer=timer))
        finally:
            await done.put(None)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, settings.concurrency))]
    running = len(workers)
    try:
        while running:
            report = await done.get()
            if report is None:
                running -= 1
            else:
                yield report
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def run_probes(
    targets: Sequence[Target],
    settings: ProbeSettings,
    on_report: Callable[[ProbeReport], None] | None = None,
) -> list[ProbeReport]:
    """Probe the targets from synchronous code, calling ``on_report`` as each finishes."""

    async def main() -> list[ProbeReport]:
        reports = []
        async for report in probe_all(targets, settings):
            reports.append(report)
            if on_report is not None:
                on_report(report)
        return reports

    return asyncio.run(main())


def outcome(result: ProbeResult) -> str:
    """A probe's result in a few words, for tables: ``ok``, ``search diagnostic``, ``init
    refused``, ``init timeout``, ``connection refused``, ``connect timeout``, ..."""
    diagnostic = result.diagnostic
    if result.ok:
        return "ok" if result.hits else "ok, no hits"
    if diagnostic is None:
        return "failed"
    if not result.reachable:
        if diagnostic.code == ZOOM_TIMEOUT:
            return "connect timeout"
        refused = "refused" in diagnostic.addinfo.lower()
        return "connection refused" if refused else "unreachable"
    step = "search" if result.init_ok else "init"
    if diagnostic.set == "ZOOM":
        words = {
            ZOOM_TIMEOUT: "timeout",
            ZOOM_INIT: "refused",
            ZOOM_CONNECTION_LOST: "connection lost",
        }
        return f"{step} {words.get(diagnostic.code or 0, 'failed')}"
    return f"{step} diagnostic"
