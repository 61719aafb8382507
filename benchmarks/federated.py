"""Benchmark: one query to 200 slow targets at once, shelfnet against zoomsh.

The 200 targets are databases of one yaz-ztest, each named with its own delays (yaz-ztest
reads options from the database name): a search delay of 0.1-2 s and a fetch delay that
adds up to 0.1-2 s over the 20 records (``fetch-delay`` is per record), drawn from a seeded
random generator, so every run sees the same targets. The slowest target's delay is the
largest search delay plus twenty fetch delays of any target: no client can finish before it.

Both clients fetch 20 records (USMARC) from every target, run as processes from start to end:

* shelfnet: ``shelfnet search --targets FILE --group all QUERY --pqf --limit 20 --format
  json`` (merged, deduplicated, ranked; the JSON lines are counted);
* zoomsh: ``set async 1`` (ZOOM's own way to drive many connections at once), one
  ``connect`` per target, ``search``, ``show 0 20``.

Each client runs ``--rounds`` times, alternating; the medians are reported with the peak
memory (maximum resident set, from the kernel's accounting of the child process).

    python benchmarks/federated.py [--targets 200] [--rounds 3] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from server_vs_zebra import machine, write_section  # noqa: E402

from tests.peers import find_program, start_ztest  # noqa: E402

SECTION = "## Federated search: 200 slow targets, shelfnet vs zoomsh"
QUERY = "@attr 1=4 50"  # yaz-ztest finds as many records as the term's number
RECORDS = 20
SEED = 20261123
TARGET_RATIO_TO_DELAY = 1.1
TARGET_MEMORY_MB = 300


@dataclass(frozen=True)
class Delays:
    search: float
    fetch_total: float

    @property
    def total(self) -> float:
        return self.search + self.fetch_total

    def database(self) -> str:
        per_record = self.fetch_total / RECORDS
        return f"Default?search-delay={self.search:.3f}&fetch-delay={per_record:.4f}"


def delays(count: int, seed: int = SEED) -> list[Delays]:
    rng = random.Random(seed)
    return [Delays(rng.uniform(0.1, 2.0), rng.uniform(0.1, 2.0)) for _ in range(count)]


@dataclass(frozen=True)
class Run:
    wall: float
    peak_mb: float
    records: int
    search: float | None = None
    """shelfnet's own account: from the first connection to the ranked clusters."""


@dataclass
class Result:
    targets: int
    slowest: float
    slowest_alone: list[float] = field(default_factory=list)
    """zoomsh's wall time with the slowest target alone: its delay as a client sees it."""
    shelfnet: list[Run] = field(default_factory=list)
    zoomsh: list[Run] = field(default_factory=list)
    web: list[float] = field(default_factory=list)
    """Searches through ``shelfnet serve web``, form to last event (seconds)."""


def _measured(argv: list[str], stdout: Path, stderr: Path) -> tuple[float, float]:
    """Wall time and peak resident memory (MB) of one process."""
    started = time.perf_counter()
    with stdout.open("wb") as out, stderr.open("wb") as errors:
        process = subprocess.Popen(argv, stdout=out, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0,):
        raise RuntimeError(f"{argv[0]} failed with status {status}")
    return wall, usage.ru_maxrss / 1024


def run_shelfnet(targets_file: Path, scratch: Path) -> Run:
    out = scratch / "shelfnet.jsonl"
    argv = [
        sys.executable, "-m", "shelfnet", "search", "--targets", str(targets_file),
        "--group", "all", QUERY, "--pqf", "--limit", str(RECORDS), "--format", "json",
        "--timeout", "30",
    ]  # fmt: skip
    errors = scratch / "shelfnet.err"
    wall, peak = _measured(argv, out, errors)
    records = sum(
        len(json.loads(line)["records"]) for line in out.read_text(encoding="utf-8").splitlines()
    )
    said = re.search(r"searched and ranked in ([0-9.]+) s", errors.read_text(encoding="utf-8"))
    return Run(wall, peak, records, float(said[1]) if said else None)


@contextlib.contextmanager
def web_server(targets_file: Path, scratch: Path) -> Iterator[str]:
    """``shelfnet serve web`` with the targets file; yields its base URL."""
    config = scratch / "shelfnet.toml"
    config.write_text(
        f'[data]\ndir = "{scratch / "data"}"\n[ill]\nenabled = false\n'
        f'[web]\nport = 0\nmax_sessions = 10\n[search]\ntargets = "{targets_file}"\n'
        f"max_records = {RECORDS}\ntimeout = 30\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "shelfnet", "serve", "web", "--config", str(config)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("listening: web"):
                yield line.split()[-1].rstrip("/")
                WEB_PEAK_MB.append(_peak_mb(process.pid))
                break
        else:
            raise RuntimeError("shelfnet serve web did not start")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


WEB_PEAK_MB: list[float] = []
"""The web server's peak memory, read before it is stopped."""


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_web(base: str) -> float:
    """Seconds from submitting the search form to the event that says every target ended."""
    with httpx.Client(base_url=base, timeout=60) as client:
        started = time.perf_counter()
        answer = client.post("/search", data={"query": QUERY, "language": "pqf", "group": "all"})
        if answer.status_code != 303:
            raise RuntimeError(f"search form refused: HTTP {answer.status_code}")
        events = answer.headers["location"].rstrip("/") + "/events"
        with client.stream("GET", events) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:") and json.loads(line[5:]).get("finished"):
                    return time.perf_counter() - started
    raise RuntimeError("the event stream ended before the search finished")


def run_zoomsh(addresses: list[str], scratch: Path) -> Run:
    out = scratch / "zoomsh.txt"
    argv = [
        find_program("zoomsh"), "set async 1", "set timeout 30",
        "set preferredRecordSyntax usmarc",
        *(f"connect {address}" for address in addresses),
        f"search {QUERY}", f"show 0 {RECORDS}", "quit",
    ]  # fmt: skip
    wall, peak = _measured(argv, out, scratch / "zoomsh.err")
    records = sum(
        1 for line in out.read_text(encoding="latin-1").splitlines() if " database=" in line
    )
    return Run(wall, peak, records)


def run(count: int, rounds: int) -> Result:
    chosen = delays(count)
    result = Result(count, max(d.total for d in chosen))
    with tempfile.TemporaryDirectory(prefix="bench-federated-") as scratch_name:
        scratch = Path(scratch_name)
        with start_ztest() as (host, port):
            addresses = [f"{host}:{port}/{d.database()}" for d in chosen]
            targets_file = scratch / "targets.toml"
            lines = [
                f'[[target]]\nname = "t{n:03d}"\naddress = "{address}"\n'
                for n, address in enumerate(addresses)
            ]
            names = ", ".join(f'"t{n:03d}"' for n in range(count))
            lines.append(f"[groups]\nall = [{names}]\n")
            targets_file.write_text("".join(lines), encoding="utf-8")
            slowest = addresses[max(range(count), key=lambda n: chosen[n].total)]
            with web_server(targets_file, scratch) as base:
                for number in range(rounds):
                    result.shelfnet.append(run_shelfnet(targets_file, scratch))
                    result.zoomsh.append(run_zoomsh(addresses, scratch))
                    result.web.append(run_web(base))
                    result.slowest_alone.append(run_zoomsh([slowest], scratch).wall)
                    print(
                        f"round {number + 1}: shelfnet {result.shelfnet[-1].wall:.2f} s "
                        f"({result.shelfnet[-1].records} records), web "
                        f"{result.web[-1]:.2f} s, zoomsh {result.zoomsh[-1].wall:.2f} s "
                        f"({result.zoomsh[-1].records} records)",
                        file=sys.stderr,
                    )
    return result


def _median(runs: list[Run], attribute: str) -> float:
    return float(statistics.median(float(getattr(run, attribute)) for run in runs))


def _verdict(label: str, seconds: float, result: Result, zoomsh: float) -> str:
    ratio = seconds / result.slowest
    delay_ok = "met" if ratio <= TARGET_RATIO_TO_DELAY else "missed"
    zoomsh_ok = "met" if seconds <= zoomsh else "missed"
    return (
        f"{label} {seconds:.2f} s: {ratio:.2f}x the slowest target's delay ({delay_ok}), "
        f"{seconds / zoomsh:.2f}x zoomsh's wall time ({zoomsh_ok})"
    )


def report(result: Result) -> str:
    ours, theirs = result.shelfnet, result.zoomsh
    wall, zoom_wall = _median(ours, "wall"), _median(theirs, "wall")
    peak, zoom_peak = _median(ours, "peak_mb"), _median(theirs, "peak_mb")
    searches = [run.search for run in ours if run.search is not None]
    search = statistics.median(searches) if searches else float("nan")
    web = statistics.median(result.web)
    alone = statistics.median(result.slowest_alone)
    memory_ok = "met" if peak <= TARGET_MEMORY_MB else "missed"
    today = dt.date.today().isoformat()
    return "\n".join(
        [
            f"{SECTION}\n",
            f"Measured {today} on {machine()}; median of {len(ours)} alternating runs. "
            f"{result.targets} yaz-ztest databases, each with a seeded search delay of 0.1-2 s "
            f"and a fetch delay of 0.1-2 s spread over its {RECORDS} records; the slowest "
            f"target's delays add up to {result.slowest:.2f} s (zoomsh searching it alone: "
            f"{alone:.2f} s). Query `{QUERY}`, {RECORDS} USMARC records from every target, "
            "merged, scored and ranked by shelfnet. Run with `make bench`.\n",
            "| client | wall time | records | peak memory (max RSS) |",
            "|---|---|---|---|",
            f"| shelfnet web page (`shelfnet serve web`): submitting the form to the event "
            f"that says every target ended | {web:.2f} s | {ours[-1].records:,} | "
            f"{max(WEB_PEAK_MB, default=float('nan')):.0f} MB (the server, after "
            f"{len(result.web)} searches) |",
            f"| shelfnet search command, whole process (start-up and JSON output included) "
            f"| {wall:.2f} s | {ours[-1].records:,} | {peak:.0f} MB |",
            f"| the same, its search alone (first connection to ranked clusters) | "
            f"{search:.2f} s | | |",
            f"| zoomsh (`set async 1`, connect x{result.targets}, search, show) | "
            f"{zoom_wall:.2f} s | {theirs[-1].records:,} | {zoom_peak:.0f} MB |",
            "",
            f"Targets (≤ {TARGET_RATIO_TO_DELAY}x the slowest target's delay, ≤ zoomsh's wall "
            f"time, ≤ {TARGET_MEMORY_MB} MB): "
            + "; ".join(
                [
                    _verdict("web page", web, result, zoom_wall),
                    _verdict("search command's search", search, result, zoom_wall),
                    _verdict("search command, whole process", wall, result, zoom_wall),
                    f"peak memory {peak:.0f} MB for the command ({memory_ok}), "
                    f"{max(WEB_PEAK_MB, default=float('nan')):.0f} MB for the web server",
                ]
            )
            + ".",
            "",
            analysis(result, wall, search),
            "",
        ]
    )


def analysis(result: Result, wall: float, search: float) -> str:
    start_up = wall - search
    return (
        f"Of shelfnet's {wall:.2f} s, {start_up:.2f} s is the Python interpreter starting and "
        "importing (asyncio, asn1tools and its ASN.1 parser, pymarc, Typer and Rich) and "
        f"writing the output; the search itself took {search:.2f} s against the slowest "
        f"target's {result.slowest:.2f} s of delays. Records are decoded, merged and scored as "
        "they arrive, while slower targets keep the search waiting, so ranking at the end "
        "takes milliseconds, and the process ends without freeing its records one by one. "
        "zoomsh, in C, starts in milliseconds and only prints what arrives; its own wall time "
        f"is {_median(result.zoomsh, 'wall') / result.slowest:.2f}x the slowest target's delay."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = report(run(args.targets, args.rounds))
    print(text)
    if args.append:
        write_section(args.append, text, SECTION)


if __name__ == "__main__":
    main()
