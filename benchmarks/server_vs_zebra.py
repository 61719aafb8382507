"""Benchmark: ``shelfnet serve`` against zebrasrv, the same records, the same load client.

Both servers are loaded with the same file (jazz_1k.mrc, then the 100,000-record catalogue of
make_catalogue.py) and driven, one after the other, by one load generator: N connections
(1, 10, 100), each doing Init once and then searches from a fixed mix of the JAZZ_PQF queries,
back to back, for a fixed time; then searches each followed by a present of 100 USMARC records.

The load generator sends pre-encoded APDUs (encoded once with shelfnet's codec) and only frames
the answers (``ber.tlv_end``) and reads the one field it counts (searchStatus, or the number of
records returned), so a request costs it far less than the full client's decode would. It runs
in worker processes; the server is pinned to one core and the load generator to the others, for
both servers alike, and the CPU time each side used is reported so a reader can see which one
was saturated. Peak memory is sampled from /proc (PSS and RSS summed over the server's
processes: zebrasrv forks one per connection).

    python benchmarks/server_vs_zebra.py [--seconds 10] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from make_catalogue import cached_catalogue  # noqa: E402

from shelfnet import __version__  # noqa: E402
from shelfnet.query.pqf import parse_pqf  # noqa: E402
from shelfnet.z3950 import codec, oids  # noqa: E402
from shelfnet.z3950.ber import tlv_end  # noqa: E402
from shelfnet.z3950.client import Connection  # noqa: E402
from shelfnet.z3950.errors import Z3950Error  # noqa: E402
from shelfnet.z3950.events import InitRequest, PresentRequest, SearchRequest  # noqa: E402
from tests import peers  # noqa: E402
from tests.interop.queries import JAZZ_PQF  # noqa: E402

SECTION = "## Server: shelfnet vs zebrasrv"
DATABASE = "jazz"
SEARCH_CONNECTIONS = (1, 10, 100)
PRESENT_CONNECTIONS = 10
PRESENT_QUERY = "@attr 1=4 jazz"
PRESENT_COUNT = 100
TARGET_CONNECTIONS = 100
TARGET_RATIO = 1.0
LARGE_COUNT = 100_000
SETTLE = 5.0
"""Seconds the load generator gets before the clock starts to connect, Init and warm up every
session with one request (zebrasrv forks a process per connection, which opens the register on
its first search)."""
SAMPLE_INTERVAL = 0.5

# Outermost tags of the APDUs the load generator reads (context class, constructed).
INIT_RESPONSE, SEARCH_RESPONSE, PRESENT_RESPONSE = 0xB5, 0xB7, 0xB9
# Fields it looks at: InitResponse result [12], searchStatus [22], numberOfRecordsReturned [24].
INIT_RESULT, SEARCH_STATUS, RECORDS_RETURNED = 0x8C, 0x96, 0x98


# --- data sets and servers -----------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    name: str
    file: peers.MarcFile


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, and a string in the command line of its processes."""

    name: str
    host: str
    port: int
    marker: str
    load_seconds: float


def data_sets(large: int) -> list[DataSet]:
    jazz = peers.MarcFile(peers.SHARED_MARC_DIR / "jazz_1k.mrc")
    catalogue = peers.MarcFile(cached_catalogue(large).resolve(), "utf-8")
    return [DataSet("jazz_1k", jazz), DataSet(f"catalogue {large // 1000}k", catalogue)]


def build_zebra(workdir: Path, data: DataSet) -> peers.ZebraBuild:
    """tests.peers.build_zebra, with a register large enough for the 100k catalogue (96 MB of
    MARC fills the fixture's 200 MB limit at 79,000 records)."""
    peers._prepare_zebra_workdir(workdir)
    config = workdir / "zebra.cfg"
    text = re.sub(r"(?m)^register: .*$", "register: register:4G", config.read_text())
    config.write_text(text)
    argv = [peers.find_program("zebraidx"), "-c", "zebra.cfg", "-d", DATABASE]
    if data.file.charset == "utf-8":
        argv += ["-g", "utf8"]
    output = peers._run([*argv, "update", str(data.file.path)], cwd=workdir, timeout=900)
    return peers.ZebraBuild(workdir, {DATABASE: peers._zebraidx_inserted(output)})


@contextlib.contextmanager
def pinned(cpus: set[int] | None) -> Iterator[None]:
    """Start processes on ``cpus`` in the block: children inherit the affinity of their parent.

    Keep the block to the start of the server: the load generator forked later must not
    inherit the server's core.
    """
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.contextmanager
def zebra_server(workdir: Path, data: DataSet, cpus: set[int] | None) -> Iterator[Server]:
    started = time.perf_counter()
    with pinned(cpus):  # zebraidx beside the shelfnet import, not on the same core
        build = build_zebra(workdir, data)
    loaded = time.perf_counter() - started
    with contextlib.ExitStack() as stack:
        with pinned(cpus):
            host, port = stack.enter_context(peers.start_zebra(build))
        yield Server("zebrasrv", host, port, f"tcp:{host}:{port}", loaded)


def shelfnet_import(workdir: Path, data: DataSet) -> subprocess.Popen[bytes]:
    catalog = workdir / "data" / "catalog.sqlite"
    argv = [sys.executable, "-m", "shelfnet", "catalog", "import", str(data.file.path)]
    return subprocess.Popen(
        [*argv, "--catalog", str(catalog)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@contextlib.contextmanager
def shelfnet_server(
    workdir: Path, importing: subprocess.Popen[bytes], started: float, cpus: set[int] | None
) -> Iterator[Server]:
    """``shelfnet serve`` as tests/interop/test_z3950_server.py's ShelfnetServer runs it, with
    the benchmark's settings (1,000 connections, no SRU, the default idle timeout)."""
    _, errors = importing.communicate(timeout=1800)
    if importing.returncode != 0:
        raise RuntimeError(f"shelfnet catalog import failed: {errors.decode()}")
    loaded = time.perf_counter() - started
    port = peers.free_port()
    config = workdir / "shelfnet.toml"
    config.write_text(
        f'[catalog]\nsample = false\ndatabase = "{DATABASE}"\n'
        f"[z3950]\nport = {port}\nmax_connections = 1000\n[sru]\nenabled = false\n"
        "[web]\nenabled = false\n[ill]\nenabled = false\n",
        encoding="utf-8",
    )
    with pinned(cpus):
        process = subprocess.Popen(
            [sys.executable, "-m", "shelfnet", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection((peers.LOOPBACK, port), 0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("shelfnet serve did not start") from None
                time.sleep(0.05)
        yield Server("shelfnet", peers.LOOPBACK, port, str(config), loaded)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- /proc: the server's processes, CPU time and memory --------------------------------------


def server_pids(marker: str) -> list[int]:
    needle = marker.encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


def cpu_seconds(marker: str) -> float:
    """CPU time of the server's processes so far (reaped children included).

    Per process, not per core: other programs may share the machine.
    """
    ticks = 0
    for pid in server_pids(marker):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _kib(text: str, key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


class MemorySampler:
    """Peak of the summed PSS and RSS of the server's processes, sampled in a thread."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.peak_pss = self.peak_rss = self.peak_hwm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(SAMPLE_INTERVAL):
                return

    def sample(self) -> None:
        pss = rss = 0
        for pid in server_pids(self.marker):
            with contextlib.suppress(OSError):
                pss += _kib(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
                status = Path(f"/proc/{pid}/status").read_text()
                rss += _kib(status, "VmRSS")
                self.peak_hwm = max(self.peak_hwm, _kib(status, "VmHWM"))
        self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)


# --- the load generator ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    """What one worker process does: ``connections`` sessions, each Init then requests."""

    host: str
    port: int
    init: bytes
    searches: tuple[bytes, ...]
    presents: tuple[bytes, ...]  # when not empty, every search is followed by one of these
    connections: int
    first: int  # where this worker's first session starts in the query mix
    start_at: float  # time.time() when counting starts
    seconds: float


@dataclass(frozen=True)
class LoadResult:
    operations: int
    records: int
    errors: int
    ready: int
    cpu: float


def _field(frame: bytes, tag: int) -> bytes | None:
    """Contents of the top-level primitive field with one-octet ``tag`` in an APDU."""
    pos = _header_end(frame, 0)
    while pos < len(frame) and frame[pos : pos + 2] != b"\0\0":
        stop = tlv_end(frame, pos)
        if stop is None:
            raise ValueError("truncated APDU")
        if frame[pos] == tag:
            return frame[_header_end(frame, pos) : stop]
        pos = stop
    return None


def _header_end(buf: bytes, pos: int) -> int:
    """Where the contents of the one-octet-tag TLV at ``pos`` start (any length form)."""
    octet = buf[pos + 1]
    return pos + 2 + (octet & 0x7F if octet > 0x80 else 0)


class Tally:
    def __init__(self) -> None:
        self.operations = self.records = self.errors = self.ready = 0
        self.cpu = 0.0  # CPU seconds of this process while the clock ran
        self.late = 0.0  # seconds the warm-up overran the start of the clock


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


class Session(asyncio.Protocol):
    """One connection of the load generator: Init, then one request outstanding at a time."""

    def __init__(self, plan: LoadPlan, offset: int, tally: Tally) -> None:
        self.plan, self.next, self.tally = plan, offset, tally
        self.end = plan.start_at + plan.seconds
        self.buffer = bytearray()
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.warm: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.counting = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.plan.init)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.ready, self.warm, self.done):
            if not future.done():
                future.set_exception(ConnectionError(f"server closed the connection: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := tlv_end(self.buffer, 0)) is not None:
            frame = bytes(self.buffer[:end])
            del self.buffer[:end]
            self.answered(frame)

    def answered(self, frame: bytes) -> None:
        tag = frame[0]
        if tag == INIT_RESPONSE:
            if _field(frame, INIT_RESULT) != b"\x00":
                self.tally.ready += 1
            self.ready.set_result(None)
            return
        if tag == SEARCH_RESPONSE:
            if _field(frame, SEARCH_STATUS) in (None, b"\x00"):
                self.tally.errors += 1
            if self.plan.presents:
                self.send(self.plan.presents[self.next % len(self.plan.presents)])
                return
        elif tag == PRESENT_RESPONSE:
            returned = _field(frame, RECORDS_RETURNED)
            if self.counting and time.time() < self.end:
                self.tally.records += int.from_bytes(returned or b"", "big")
        else:
            self.tally.errors += 1
            self.done.set_exception(ConnectionError(f"unexpected APDU (tag {tag:#x})"))
            return
        if not self.counting:
            self.warm.set_result(None)
            return
        if time.time() < self.end:
            self.tally.operations += 1
            self.go()
        elif not self.done.done():
            self.done.set_result(None)

    def go(self) -> None:
        self.next += 1
        self.send(self.plan.searches[self.next % len(self.plan.searches)])

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)


async def _drive(plan: LoadPlan) -> Tally:
    loop = asyncio.get_running_loop()
    tally = Tally()
    sessions = []
    for n in range(plan.connections):
        _, session = await loop.create_connection(
            lambda n=n: Session(plan, plan.first + n * 7, tally),  # type: ignore[misc]
            plan.host,
            plan.port,
        )
        sessions.append(session)
    await asyncio.gather(*(s.ready for s in sessions))
    for session in sessions:
        session.go()  # warm-up: one request each, not counted
    await asyncio.gather(*(s.warm for s in sessions))
    tally.late = time.time() - plan.start_at
    await asyncio.sleep(max(0.0, -tally.late))
    started = _cpu()
    for session in sessions:
        session.counting = True
        session.go()
    try:
        await asyncio.wait_for(asyncio.gather(*(s.done for s in sessions)), plan.seconds + 60)
        tally.cpu = _cpu() - started
    finally:
        for session in sessions:
            if session.transport is not None:
                session.transport.close()
    return tally


def run_worker(plan: LoadPlan) -> LoadResult:
    """One worker process of the load generator."""
    print(f"    load generator pid {os.getpid()} on CPU {sorted(os.sched_getaffinity(0))}",
          file=sys.stderr)  # fmt: skip
    tally = asyncio.run(_drive(plan))
    if tally.late > 0:
        print(f"    warning: warm-up overran the clock by {tally.late:.2f} s", file=sys.stderr)
    return LoadResult(tally.operations, tally.records, tally.errors, tally.ready, tally.cpu)


# --- APDUs -----------------------------------------------------------------------------------


def init_apdu() -> bytes:
    request = InitRequest(
        options=InitRequest.options | {"negotiation"},
        implementation_version=__version__,
        charsets=("utf-8",),
    )
    return codec.encode_apdu(request.pdu, request.to_value("utf-8"))


def search_apdu(query: str) -> bytes:
    request = SearchRequest(
        query=parse_pqf(query),
        databases=(DATABASE,),
        preferred_record_syntax=oids.syntax_oid("usmarc"),
    )
    return codec.encode_apdu(request.pdu, request.to_value("utf-8"))


def present_apdu(start: int) -> bytes:
    request = PresentRequest(
        result_set="default",
        start=start,
        count=PRESENT_COUNT,
        element_set_name="F",
        preferred_record_syntax=oids.syntax_oid("usmarc"),
    )
    return codec.encode_apdu(request.pdu, request.to_value("utf-8"))


async def hit_counts(server: Server, queries: Sequence[str]) -> dict[str, int | None]:
    """Hits per query with shelfnet's own client (None: the server answered a diagnostic)."""
    counts: dict[str, int | None] = {}
    async with Connection(server.host, server.port, databases=[DATABASE]) as conn:
        for query in queries:
            try:
                # one result set name: shelfnet keeps at most 32 named sets per session
                counts[query] = (await conn.search(query, result_set_name="default")).size
            except Z3950Error:
                counts[query] = None
    return counts


# --- one measurement -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    data: str
    server: str
    mode: str  # "search" or "present"
    connections: int
    seconds: float
    operations: int
    records: int
    errors: int
    server_cpu: float  # CPU seconds of the server's processes per second
    client_cpu: float  # CPU seconds of the load generator's processes per second
    load: float  # the machine's 1-minute load average at the end

    @property
    def rate(self) -> float:
        return self.operations / self.seconds

    @property
    def records_rate(self) -> float:
        return self.records / self.seconds


def measure(
    server: Server,
    data: str,
    mode: str,
    connections: int,
    searches: tuple[bytes, ...],
    presents: tuple[bytes, ...],
    seconds: float,
    workers: int,
) -> Cell:
    count = min(workers, connections)
    start_at = time.time() + SETTLE
    plans = [
        LoadPlan(
            host=server.host,
            port=server.port,
            init=init_apdu(),
            searches=searches,
            presents=presents,
            connections=connections // count + (1 if w < connections % count else 0),
            first=w * 1000,
            start_at=start_at,
            seconds=seconds,
        )
        for w in range(count)
    ]
    with multiprocessing.get_context("fork").Pool(count) as pool:
        pending = pool.map_async(run_worker, plans)
        time.sleep(max(0.0, start_at - time.time()))
        server_before = cpu_seconds(server.marker)
        time.sleep(seconds)
        server_after = cpu_seconds(server.marker)
        results = pending.get(timeout=seconds + 120)
    if sum(r.ready for r in results) != connections:
        raise RuntimeError(f"{server.name}: not every Init was accepted")
    return Cell(
        data=data,
        server=server.name,
        mode=mode,
        connections=connections,
        seconds=seconds,
        operations=sum(r.operations for r in results),
        records=sum(r.records for r in results),
        errors=sum(r.errors for r in results),
        server_cpu=(server_after - server_before) / seconds,
        client_cpu=sum(r.cpu for r in results) / seconds,
        load=load_average(),
    )


# --- the whole run ---------------------------------------------------------------------------


@dataclass
class ServerRun:
    data: str
    server: str
    records: int
    load_seconds: float
    peak_pss: int = 0
    peak_rss: int = 0
    peak_hwm: int = 0
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Result:
    seconds: float
    workers: int
    server_cpus: set[int] | None
    client_cpus: set[int] | None
    mix: tuple[str, ...]
    runs: list[ServerRun] = field(default_factory=list)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    hot_spots: list[tuple[str, float, float]] = field(default_factory=list)
    categories: dict[str, float] = field(default_factory=dict)
    profile_cell: Cell | None = None


def query_mix() -> tuple[str, ...]:
    """The JAZZ_PQF queries that find something in jazz_1k (checked against both servers)."""
    return tuple(case.query for case in JAZZ_PQF if case.hits > 0)


def exercise(server: Server, data: DataSet, result: Result, records: int) -> ServerRun:
    run = ServerRun(data.name, server.name, records, server.load_seconds)
    searches = tuple(search_apdu(q) for q in result.mix)
    presents = tuple(present_apdu(start) for start in (1, 101, 201, 301))
    present_search = (search_apdu(PRESENT_QUERY),)
    with MemorySampler(server.marker) as memory:
        for connections in SEARCH_CONNECTIONS:
            cell = measure(
                server, data.name, "search", connections, searches, (), result.seconds,
                result.workers,
            )  # fmt: skip
            print(f"  {server.name} {data.name} search x{connections}: {cell.rate:.0f}/s "
                  f"(server cpu {cell.server_cpu:.0%}, client cpu {cell.client_cpu:.0%})",
                  file=sys.stderr)  # fmt: skip
            run.cells.append(cell)
        cell = measure(
            server, data.name, "present", PRESENT_CONNECTIONS, present_search, presents,
            result.seconds, result.workers,
        )  # fmt: skip
        print(f"  {server.name} {data.name} present: {cell.records_rate:.0f} records/s",
              file=sys.stderr)  # fmt: skip
        run.cells.append(cell)
    run.peak_pss, run.peak_rss, run.peak_hwm = memory.peak_pss, memory.peak_rss, memory.peak_hwm
    return run


def run(args: argparse.Namespace) -> Result:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus, client_cpus = ({cpus[0]}, set(cpus[1:])) if len(cpus) > 1 else (None, None)
    workers = args.workers or (len(client_cpus) if client_cpus else 1)
    result = Result(args.seconds, workers, server_cpus, client_cpus, query_mix())
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)  # the load generator's workers inherit this
    for data in data_sets(args.large):
        print(f"{data.name}: loading both servers", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-servers-") as scratch:
            workdir = Path(scratch)
            (workdir / "shelfnet").mkdir()
            started = time.perf_counter()
            with pinned(set(cpus)):
                importing = shelfnet_import(workdir / "shelfnet", data)  # alongside zebraidx
            with (
                zebra_server(workdir / "zebra", data, server_cpus) as zebra,
                shelfnet_server(workdir / "shelfnet", importing, started, server_cpus) as ours,
            ):
                counts = {s.name: asyncio.run(hit_counts(s, result.mix)) for s in (zebra, ours)}
                result.mismatches[data.name] = [
                    q for q in result.mix if counts["zebrasrv"][q] != counts["shelfnet"][q]
                ]
                size = counts["zebrasrv"][peers.ALL_RECORDS_PQF] or 0
                for server in (zebra, ours):
                    result.runs.append(exercise(server, data, result, size))
                if args.profile and data.name != "jazz_1k":  # the large set: the wider gap
                    profile(ours, data, result)
    return result


# --- profiling shelfnet under load -----------------------------------------------------------


def profile(server: Server, data: DataSet, result: Result) -> None:
    """py-spy on the shelfnet server during one more 100-connection search cell."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy not installed: no profile", file=sys.stderr)
        return
    (pid,) = server_pids(server.marker)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        out = Path(scratch) / "stacks.txt"
        seconds = result.seconds
        recorder = subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out),
             "--duration", str(int(seconds + SETTLE + 2)), "--rate", "200", "--gil"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        searches = tuple(search_apdu(q) for q in result.mix)
        result.profile_cell = measure(
            server, data.name, "search", TARGET_CONNECTIONS, searches, (), seconds,
            result.workers,
        )  # fmt: skip
        recorder.wait(60)
        if out.is_file():
            result.hot_spots = hot_spots(out.read_text())
            result.categories = categories(out.read_text())


# Where a sample's innermost Python frame is, by the first pattern its name contains.
CATEGORIES = (
    (
        "catalogue search (SQLite reads, record bitmaps, shelfnet/catalog)",
        ("shelfnet/catalog", "pyroaring"),
    ),
    ("BER codec and APDU events (asn1tools, shelfnet/z3950)", ("asn1tools", "shelfnet/z3950")),
    (
        "thread-pool hand-off (each search runs in a worker thread that wakes the event loop)",
        (
            "concurrent/futures",
            "threading.py",
            "queue.py",
            "_write_to_self",
            "_chain_future",
            "call_soon_threadsafe",
        ),
    ),
    ("event loop, sockets and the rest of asyncio", ("asyncio/", "selectors.py")),
)


def categories(stacks: str) -> dict[str, float]:
    """Share of all samples per CATEGORIES entry (by innermost frame), plus "other"."""
    shares: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.splitlines():
        frames_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit() or not frames_text:
            continue
        leaf = _frame_name(frames_text.split(";")[-1])
        name = next(
            (label for label, patterns in CATEGORIES if any(p in leaf for p in patterns)),
            "other (Python interpreter, logging, query parsing, ...)",
        )
        shares[name] += int(count_text)
        total += int(count_text)
    return {name: count / total for name, count in shares.most_common()} if total else {}


def hot_spots(stacks: str, top: int = 12) -> list[tuple[str, float, float]]:
    """(function, self share, inclusive share) of py-spy's collapsed stacks, by self time."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.splitlines():
        frames_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in frames_text.split(";") if f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if not total:
        return []
    return [(name, n / total, inclusive[name] / total) for name, n in own.most_common(top)]


def _frame_name(frame: str) -> str:
    # py-spy writes "function (path/to/module.py:line)".
    match = re.match(r"(?P<function>\S+) \((?P<path>[^:]+)", frame)
    if not match:
        return frame
    path = match["path"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"


# --- report ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _cell(result: Result, data: str, server: str, mode: str, connections: int) -> Cell:
    for run_ in result.runs:
        if run_.data == data and run_.server == server:
            for cell in run_.cells:
                if cell.mode == mode and cell.connections == connections:
                    return cell
    raise KeyError((data, server, mode, connections))


def _run(result: Result, data: str, server: str) -> ServerRun:
    return next(r for r in result.runs if r.data == data and r.server == server)


def report(result: Result) -> str:
    today = dt.date.today().isoformat()
    pinning = (
        f"zebrasrv and shelfnet pinned to CPU {sorted(result.server_cpus or ())}, the load "
        f"generator ({result.workers} worker process(es)) to CPU {sorted(result.client_cpus or ())}"
        if result.server_cpus
        else "no CPU pinning (one core)"
    )
    datas = list(dict.fromkeys(r.data for r in result.runs))
    lines = [
        f"{SECTION}\n",
        f"Measured {today} on {machine()}; zebrasrv {_zebra_version()}, shelfnet {__version__} "
        f"(`shelfnet serve`, SQLite catalogue). {pinning}. Each cell: {result.seconds:.0f} s of "
        "closed-loop load (every connection Inits once, then has one request outstanding at a "
        f"time) after {SETTLE:.0f} s to connect, Init and send one uncounted warm-up request "
        f"per connection. Query mix: the {len(result.mix)} queries of "
        "tests/interop/queries.py JAZZ_PQF that find records in jazz_1k, round-robin, each "
        "connection from its own starting point; the same mix on both data sets. Records: "
        f"search `{PRESENT_QUERY}`, then present {PRESENT_COUNT} USMARC records (starting at "
        f"1, 101, 201, 301 in turn), {PRESENT_CONNECTIONS} connections. Run with `make bench`."
        "\n",
        "| data set | connections | zebrasrv searches/s | shelfnet searches/s | "
        "shelfnet / zebrasrv | server CPU: zebrasrv / shelfnet | load generator CPU: "
        "with zebrasrv / with shelfnet | machine load average |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for data in datas:
        for n in SEARCH_CONNECTIONS:
            zebra = _cell(result, data, "zebrasrv", "search", n)
            ours = _cell(result, data, "shelfnet", "search", n)
            lines.append(
                f"| {data} | {n} | {zebra.rate:,.0f} | {ours.rate:,.0f} | "
                f"**{ours.rate / zebra.rate:.2f}x** | {zebra.server_cpu:.0%} / "
                f"{ours.server_cpu:.0%} | {zebra.client_cpu:.0%} / {ours.client_cpu:.0%} | "
                f"{zebra.load:.1f} / {ours.load:.1f} |"
            )
    lines += [
        "",
        "| data set | records | load time zebraidx / shelfnet import | zebrasrv records/s | "
        "shelfnet records/s | shelfnet / zebrasrv | peak memory zebrasrv (PSS, all "
        "processes) | peak memory shelfnet (PSS) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for data in datas:
        zebra_run, our_run = _run(result, data, "zebrasrv"), _run(result, data, "shelfnet")
        zebra = _cell(result, data, "zebrasrv", "present", PRESENT_CONNECTIONS)
        ours = _cell(result, data, "shelfnet", "present", PRESENT_CONNECTIONS)
        lines.append(
            f"| {data} | {zebra_run.records:,} | {zebra_run.load_seconds:.1f} s / "
            f"{our_run.load_seconds:.1f} s | {zebra.records_rate:,.0f} | "
            f"{ours.records_rate:,.0f} | {ours.records_rate / zebra.records_rate:.2f}x | "
            f"{zebra_run.peak_pss / 1024:,.0f} MiB (RSS sum {zebra_run.peak_rss / 1024:,.0f} "
            f"MiB) | {our_run.peak_pss / 1024:,.0f} MiB (VmHWM {our_run.peak_hwm / 1024:,.0f} "
            "MiB) |"
        )
    errors = sum(c.errors for r in result.runs for c in r.cells)
    lines += ["", f"Failed searches or presents during the run: {errors}."]
    busiest = max(c.load for r in result.runs for c in r.cells)
    if busiest > (os.cpu_count() or 1):
        lines.append(
            f"Other programs ran on the machine during the run (load average up to "
            f"{busiest:.1f} on {os.cpu_count()} cores); pinning keeps the two sides of the "
            "benchmark apart but not the others away, so the rates are noisy. The CPU time "
            "per search below is read from the servers' own processes and is not affected."
        )
    for data, queries in result.mismatches.items():
        if queries:
            listed = ", ".join(f"`{q}`" for q in queries)
            lines.append(f"Hit counts that differ between the servers on {data}: {listed}.")
    lines += ["", verdict(result, datas), ""]
    if result.hot_spots and result.profile_cell:
        lines += [
            f"Where shelfnet's time goes (py-spy, 200 samples/s of the thread holding the GIL, "
            f"{result.profile_cell.data}, "
            f"{TARGET_CONNECTIONS} connections, {result.profile_cell.rate:,.0f} searches/s "
            "while profiled), by own time:\n",
            "| function | own | with callees |",
            "|---|---|---|",
            *(f"| `{n}` | {own:.1%} | {incl:.1%} |" for n, own, incl in result.hot_spots),
            "",
        ]
    lines += [analysis(result, datas), ""]
    return "\n".join(lines)


def analysis(result: Result, datas: list[str]) -> str:
    """What limits each server, in words, from the measured figures."""
    text = []
    for data in datas:
        zebra = _cell(result, data, "zebrasrv", "search", TARGET_CONNECTIONS)
        ours = _cell(result, data, "shelfnet", "search", TARGET_CONNECTIONS)
        text.append(
            f"On {data} at {TARGET_CONNECTIONS} connections shelfnet used {ours.server_cpu:.0%} "
            f"of a core, {ours.server_cpu / ours.rate * 1e6:,.0f} µs of CPU per search, and "
            f"zebrasrv {zebra.server_cpu:.0%}, {zebra.server_cpu / zebra.rate * 1e6:,.0f} µs "
            f"per search; the load generator used {ours.client_cpu:.0%} and "
            f"{zebra.client_cpu:.0%} of its core."
        )
    text.append(
        "shelfnet serves from one Python process: one event loop (uvloop), and each search in "
        "a worker thread; once that process is at 100% of its core it is at its limit, "
        "whatever the number of connections (only SQLite's own work releases the GIL and could "
        "use a second core). zebrasrv, written in C, forks a process per connection."
    )
    if result.categories:
        parts = ", ".join(f"{name} {share:.0%}" for name, share in result.categories.items())
        text.append(f"The profiled samples by innermost frame: {parts}.")
    return " ".join(text)


def verdict(result: Result, datas: list[str]) -> str:
    parts = []
    for data in datas:
        zebra = _cell(result, data, "zebrasrv", "search", TARGET_CONNECTIONS)
        ours = _cell(result, data, "shelfnet", "search", TARGET_CONNECTIONS)
        ratio = ours.rate / zebra.rate
        state = "met" if ratio >= TARGET_RATIO else "missed"
        parts.append(f"{data}: {ratio:.2f}x, {state}")
    return (
        f"Target: shelfnet ≥ {TARGET_RATIO:.1f}x zebrasrv searches/s at {TARGET_CONNECTIONS} "
        f"connections — {'; '.join(parts)}."
    )


def _zebra_version() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            [peers.find_program("zebrasrv"), "-V"], capture_output=True, timeout=10, check=False
        ).stdout.decode("utf-8", "replace")
        if match := re.search(r"(\d+\.\d+\.\d+)", out):
            return match.group(1)
    return "?"


def write_section(path: Path, text: str, section: str = SECTION) -> None:
    """Put the section into ``path``, replacing an earlier version of it, else at the end."""
    current = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    pattern = re.compile(rf"(?ms)^{re.escape(section)}\n.*?(?=^## |\Z)")
    if pattern.search(current):
        updated = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", current).rstrip("\n") + "\n"
    else:
        updated = current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    path.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per cell (default 10)")
    parser.add_argument("--large", type=int, default=LARGE_COUNT, help="records in the big set")
    parser.add_argument("--workers", type=int, help="load generator processes")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = report(run(args))
    print(text)
    if args.append:
        write_section(args.append, text)


if __name__ == "__main__":
    main()
