"""Benchmark: how many targets per second ``shelfnet directory probe`` visits.

The targets are local, of the kinds the interop test uses: yaz-ztest databases, each with its
own search delay (0-0.3 s, from a seeded generator, so every run sees the same targets), ports
nobody listens on, and ports that accept connections and never answer (each costs the whole
Init timeout). Each is probed fully: connect, Init, the test search, one present per record
syntax. The probes run in-process (``probe_all``), at concurrency 100 and 300, ``--rounds``
times each; the medians are reported.

    python benchmarks/directory_probe.py [--targets 1000] [--rounds 3] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from server_vs_zebra import machine, write_section  # noqa: E402

from shelfnet.directory.model import Address, Target  # noqa: E402
from shelfnet.directory.probe import ProbeSettings, outcome, probe_all  # noqa: E402
from tests.peers import LOOPBACK, free_port, start_ztest  # noqa: E402

SECTION = "## Directory probing"
CONCURRENCIES = (100, 300)
TIMEOUT = 2.0
CONNECT_TIMEOUT = 1.0
DEAD_SHARE = 0.10
SILENT_SHARE = 0.05


@dataclass(frozen=True)
class Round:
    concurrency: int
    seconds: float
    outcomes: dict[str, int]


@contextmanager
def silent_ports(count: int) -> Iterator[list[int]]:
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            listener = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            listener.bind((LOOPBACK, 0))
            listener.listen(64)  # room for every round's connection: none is ever accepted
            ports.append(listener.getsockname()[1])
        yield ports


def make_targets(count: int, ztest: tuple[str, int], silent: list[int]) -> list[Target]:
    rng = random.Random(7)
    host, port = ztest
    dead_count = int(count * DEAD_SHARE)
    dead: set[int] = set()
    while len(dead) < dead_count:
        candidate = free_port()
        if candidate not in silent and candidate != port:
            dead.add(candidate)
    targets = [Target(Address(LOOPBACK, p, ("Default",)), name="dead") for p in sorted(dead)]
    targets += [Target(Address(LOOPBACK, p, ("Default",)), name="silent") for p in silent]
    for n in range(count - len(targets)):
        database = f"Default?search-delay={rng.uniform(0, 0.3):.2f}&seed={n}"
        targets.append(Target(Address(host, port, (database,)), name="ztest"))
    rng.shuffle(targets)
    return targets


async def probe_once(targets: list[Target], concurrency: int) -> Round:
    settings = ProbeSettings(
        concurrency=concurrency, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT
    )
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    async for report in probe_all(targets, settings):
        name = outcome(report.result)
        outcomes[name] = outcomes.get(name, 0) + 1
    return Round(concurrency, time.monotonic() - started, outcomes)


def run(count: int, rounds: int) -> list[Round]:
    results = []
    with start_ztest() as ztest, silent_ports(int(count * SILENT_SHARE)) as silent:
        targets = make_targets(count, ztest, silent)
        for _ in range(rounds):
            for concurrency in CONCURRENCIES:
                results.append(asyncio.run(probe_once(targets, concurrency)))
    return results


def report(results: list[Round], count: int) -> str:
    lines = [
        SECTION,
        "",
        f"{count:,} local targets: yaz-ztest databases with search delays of 0-0.3 s, "
        f"{DEAD_SHARE:.0%} ports nobody listens on, {SILENT_SHARE:.0%} ports that accept and "
        f"never answer; timeouts {CONNECT_TIMEOUT:g} s to connect and {TIMEOUT:g} s per step. "
        "Every probe runs connect, Init, the test search and one present per record syntax "
        "(six syntaxes). `python benchmarks/directory_probe.py`, medians of "
        f"{len(results) // len(CONCURRENCIES)} rounds.",
        "",
        "| concurrency | wall time (s) | targets per second |",
        "|---:|---:|---:|",
    ]
    for concurrency in CONCURRENCIES:
        seconds = statistics.median(r.seconds for r in results if r.concurrency == concurrency)
        lines.append(f"| {concurrency} | {seconds:.2f} | {count / seconds:,.0f} |")
    outcomes = results[-1].outcomes
    listed = ", ".join(f"{name} {n}" for name, n in sorted(outcomes.items()))
    lines += ["", f"Outcomes (last round): {listed}.", "", f"Machine: {machine()}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = report(run(args.targets, args.rounds), args.targets)
    print(text)
    if args.append:
        write_section(args.append, text, SECTION)


if __name__ == "__main__":
    main()
