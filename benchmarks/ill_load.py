"""ILL server under load: queue pages, request pages and the REST API on PostgreSQL.

A throwaway PostgreSQL cluster (tests.postgres) gets 100,000 transactions (ill_data.py:
statuses spread by walking the workflow, every history a valid chain) and 2,000 patrons.
``shelfnet serve web`` runs on it (one process, pinned to one CPU); a load generator pinned to
the other CPU runs 50 clients twice: as staff at work (a pause of about a second between two
requests: reading the page they got) and saturated (no pause at all: the server's throughput
and how long requests queue for it). Four request kinds, measured apart:

    queue page      GET /staff/queue/{process}/{status}          (staff cookie sign-on)
    request page    GET /staff/transactions/{id}                  (takes the soft lock: a write)
    queue API       GET /api/v1/queues/{process}/{status}        (API key)
    request API     GET /api/v1/transactions/{id}                 (API key)

Target: p95 <= 100 ms for the queue list and the request detail with 50 staff at work. Run
with ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ill_data import STAFF, fill
from server_vs_zebra import machine, write_section

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.ill.model import hash_password
from shelfnet.ill.store import open_ill_store
from shelfnet.ill.tables import StaffRow
from tests.postgres import start_cluster

SECTION = "## ILL server under load"
TARGET_P95_MS = 100.0
PASSWORD = "benchmark password"
KINDS = ("queue page", "request page", "queue API", "request API")


@dataclass
class Latencies:
    seconds: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    wall: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    transactions: int
    clients: int
    think: float
    latencies: Latencies
    """Clients that pause ``think`` seconds (on average) between requests, as staff do."""
    saturated: Latencies
    """The same clients with no pause at all: the server's throughput and its queueing."""
    server_peak_mb: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(url: str, count: int) -> tuple[str, list[tuple[str, str]], list[int]]:
    """Fill the database; returns an API key, the non-empty queues and some request ids."""
    with open_ill_store(url) as store:
        fill(store, count)
        with store.engine.begin() as connection:
            connection.execute(
                update(StaffRow)
                .where(StaffRow.username == STAFF)
                .values(password_hash=hash_password(PASSWORD))
            )
        key, _record = ApiKeys(store.engine).create(STAFF, "load benchmark")
        queues = [
            (process.value, status.value)
            for (process, status), number in store.queue_counts().items()
            if number > 0
        ]
        random.seed(7)
        ids = random.sample(range(1, count + 1), 2_000)
    return key, sorted(queues), ids


@contextlib.contextmanager
def server(url: str, scratch: Path, cpu: int | None) -> Iterator[tuple[str, int]]:
    """``shelfnet serve web`` on the database; yields its base URL and process id."""
    port = _free_port()
    config = scratch / "shelfnet.toml"
    config.write_text(
        f'[data]\ndir = "{scratch}"\n[web]\nport = {port}\n[ill]\nurl = "{url}"\nsample = false\n',
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "shelfnet", "serve", "web", "--config", str(config)]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    # Its log goes to a file: a pipe nobody reads would fill up and stop the server.
    log = scratch / "serve.log"
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=sink, text=True)
    try:
        deadline = time.monotonic() + 60
        while "listening: web" not in log.read_text(encoding="utf-8"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"shelfnet serve web did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        errors = [line for line in log.read_text(encoding="utf-8").splitlines() if "Error" in line]
        if errors:
            print("server log:", *errors[-5:], sep="\n  ", file=sys.stderr)


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("no sign-in form")
    answer = await client.post(
        "/staff/signin",
        data={"username": STAFF, "password": PASSWORD, "csrf_token": token[1]},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"staff sign-in refused: HTTP {answer.status_code}")


def _path(kind: str, queues: list[tuple[str, str]], ids: list[int]) -> str:
    process, status = random.choice(queues)
    number = random.choice(ids)
    return {
        "queue page": f"/staff/queue/{process}/{status}",
        "request page": f"/staff/transactions/{number}",
        "queue API": f"/api/v1/queues/{process}/{status}",
        "request API": f"/api/v1/transactions/{number}",
    }[kind]


async def load(
    base: str,
    key: str,
    queues: list[tuple[str, str]],
    ids: list[int],
    clients: int,
    per: int,
    think: float,
) -> Latencies:
    """Each kind in turn: ``clients`` clients, ``per`` requests each; between two requests
    a client waits ``think`` seconds on average (0: none at all)."""
    measured = Latencies()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    random.seed(11)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as pages:
        await _sign_in(pages)
        async with httpx.AsyncClient(
            base_url=base, limits=limits, timeout=60, headers=headers
        ) as api:
            for kind in KINDS:
                client = pages if kind.endswith("page") else api

                async def one_client(kind: str = kind, client: httpx.AsyncClient = client) -> None:
                    # Staff do not all click at the same instant: start spread over a pause.
                    await asyncio.sleep(random.uniform(0, think))
                    for _ in range(per):
                        path = _path(kind, queues, ids)
                        started = time.perf_counter()
                        answer = await client.get(path)
                        measured.seconds[kind].append(time.perf_counter() - started)
                        if answer.status_code != 200:
                            measured.errors[kind] += 1
                        if think:
                            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

                for _ in range(per // 10 + 5):  # warm up: connections, caches, templates
                    await client.get(_path(kind, queues, ids))
                started = time.perf_counter()
                await asyncio.gather(*(one_client() for _ in range(clients)))
                measured.wall[kind] = time.perf_counter() - started
    return measured


def run(count: int, clients: int, per: int, think: float) -> Result:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[0] if len(cpus) > 1 else None
    with (
        tempfile.TemporaryDirectory(prefix="bench-ill-") as scratch_name,
        # Its own folder: the server runs as postgres, which may not enter the scratch one.
        tempfile.TemporaryDirectory(prefix="bench-ill-pg-") as pg_root,
    ):
        scratch = Path(scratch_name)
        with start_cluster(Path(pg_root)) as cluster:
            url = cluster.create_database(prefix="ill")
            started = time.perf_counter()
            key, queues, ids = prepare(url, count)
            print(f"filled {count} transactions in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)  # fmt: skip
            with server(url, scratch, server_cpu) as (base, pid):
                if server_cpu is not None:
                    os.sched_setaffinity(0, set(cpus[1:]))
                measured = asyncio.run(load(base, key, queues, ids, clients, per, think))
                saturated = asyncio.run(load(base, key, queues, ids, clients, per, 0.0))
                peak = _peak_mb(pid)
    return Result(count, clients, think, measured, saturated, peak)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _rows(latencies: Latencies, targeted: bool) -> list[str]:
    rows = []
    for kind in KINDS:
        values = latencies.seconds[kind]
        p95 = _percentile(values, 0.95) * 1000
        verdict = ("met" if p95 <= TARGET_P95_MS else "missed") if targeted else "(no target)"
        rows.append(
            f"| {kind} | {len(values):,} | {len(values) / latencies.wall[kind]:.0f} | "
            f"{statistics.median(values) * 1000:.1f} | {p95:.1f} | "
            f"{_percentile(values, 0.99) * 1000:.1f} | {latencies.errors[kind]} | {verdict} |"
        )
    return rows


def report(result: Result) -> str:
    header = [
        "| request | requests | per second | p50 ms | p95 ms | p99 ms | errors | p95 ≤ 100 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. PostgreSQL 15 with "
            f"{result.transactions:,} transactions (statuses spread by walking the workflow); "
            "`shelfnet serve web`, one process, pinned to one CPU; the load generator on the "
            "other. Queue page: `/staff/queue/{process}/{status}` (signed-in staff); request "
            "page: `/staff/transactions/{id}` (it takes the soft lock: a write); queue and "
            "request API: `/api/v1/...` with an API key. Run with `make bench`.",
            "",
            f"**{result.clients} staff at work**: each client pauses {result.think:g} s on "
            f"average (0.5-1.5x) between requests, as staff reading a queue or a request do.",
            "",
            *header,
            *_rows(result.latencies, targeted=True),
            "",
            f"**Saturated**: the same {result.clients} clients with no pause at all, the "
            "hardest case: what one server process answers per second, and how long requests "
            "queue for it. More processes (PostgreSQL shared) add throughput.",
            "",
            *header,
            *_rows(result.saturated, targeted=False),
            "",
            f"The server's peak memory: {result.server_peak_mb:.0f} MB.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between requests")
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = report(run(args.transactions, args.clients, args.per_client, args.think))
    print(text)
    if args.append:
        write_section(args.append, text, SECTION)


if __name__ == "__main__":
    main()
