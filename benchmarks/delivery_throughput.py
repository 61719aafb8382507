"""Benchmark: one 500 MB PDF through the delivery protocol on loopback, against a raw copy.

The server runs in its own process (this script with ``--serve``), so its peak resident
memory (VmHWM in /proc) is the server's alone; the target is under 100 MB whatever the
document's size. The document is a valid one-page PDF padded with a 500 MB stream object
(``write_padded_pdf``), so the server's checks (ZIP scan, %%EOF, pypdf parse) accept it.

Delivery time runs from ``send_document`` to the receipt: the client's SHA-256 pass over the
file, the transfer in 256 KiB chunks, the server's hashing, spooling, fsync, checks and
atomic rename. The reference is a raw TCP copy of the same file into a file over the same
loopback: socat (``socat -u``) when it is installed, else a minimal Python socket copy; it
neither hashes, nor checks, nor fsyncs. Medians over ``--rounds`` are reported; the file
sits in the page cache for both.

    python benchmarks/delivery_throughput.py [--size-mb 500] [--rounds 3]
                                             [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from shelfnet.ill.delivery.client import send_document  # noqa: E402
from shelfnet.ill.delivery.server import start_server  # noqa: E402
from shelfnet.ill.delivery.settings import DeliverySettings  # noqa: E402

# The server process imports this module for ``serve`` alone: the other helpers (which pull
# in Pillow, fpdf2 and the Z39.50 benchmark) are imported where they are used, so they do not
# count in the server's memory.

SECTION = "## Document delivery: a 500 MB PDF over loopback"
MEMORY_TARGET_MB = 100
THROUGHPUT_TARGET = 0.5
MB = 1000 * 1000


@dataclass(frozen=True)
class Figures:
    size: int
    delivery_seconds: list[float]  # send_document from the file alone (hashes it first)
    known_hash_seconds: list[float]  # send_document given the SHA-256: the transfer itself
    raw_seconds: list[float]
    raw_tool: str
    idle_rss_kb: int
    peak_rss_kb: int


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# The server process ----------------------------------------------------------------------


def serve() -> None:
    """The server process: ``python -c ... <benchmarks dir> <spool dir> <port file>``."""
    spool, port_file = Path(sys.argv[2]), Path(sys.argv[3])
    logging.basicConfig(level=logging.WARNING)
    settings = DeliverySettings(
        enabled=True, host="127.0.0.1", port=0, spool_dir=spool, max_size=4 * 1000 * MB
    )

    async def run() -> None:
        server = await start_server(settings)
        port_file.write_text(str(server.addresses[0][1]))
        await server.serve_forever()

    asyncio.run(run())


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def start_server_process(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port_file = folder / "port"
    # -c: the server process imports only the delivery server, not this script's helpers
    code = "import sys; sys.path.insert(0, sys.argv[1]); import delivery_throughput as d; d.serve()"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            str(ROOT / "benchmarks"),
            str(folder / "spool"),
            str(port_file),
        ]
    )
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the delivery server did not start")
        time.sleep(0.05)
    return process, int(port_file.read_text())


# The reference: a raw copy ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def socat_copy(source: Path, target: Path) -> float:
    socat = shutil.which("socat")
    assert socat is not None
    port = free_port()
    receiver = subprocess.Popen(
        [socat, "-u", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", f"CREATE:{target}"]
    )
    time.sleep(0.3)  # let it listen
    started = time.perf_counter()
    subprocess.run([socat, "-u", f"OPEN:{source},rdonly", f"TCP:127.0.0.1:{port}"], check=True)
    receiver.wait(60)
    return time.perf_counter() - started


def python_copy(source: Path, target: Path) -> float:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def receive() -> None:
        connection, _ = listener.accept()
        with connection, target.open("wb") as out:
            while block := connection.recv(1024 * 1024):
                out.write(block)

    thread = threading.Thread(target=receive)
    thread.start()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock, source.open("rb") as file:
        sock.sendfile(file)
    thread.join()
    listener.close()
    return time.perf_counter() - started


# The run ---------------------------------------------------------------------------------


def run(size: int, rounds: int, folder: Path) -> Figures:
    from tests.unit.ill.delivery.test_checks import write_padded_pdf

    source = folder / "big.pdf"
    write_padded_pdf(source, size)
    size = source.stat().st_size
    raw_tool = "socat -u" if shutil.which("socat") else "Python socket copy (socat not installed)"
    copy = socat_copy if shutil.which("socat") else python_copy
    raw = []
    for _ in range(rounds):
        target = folder / "raw-copy.pdf"
        raw.append(copy(source, target))
        assert target.stat().st_size == size
        target.unlink()
    process, port = start_server_process(folder)
    try:
        idle = memory_kb(process.pid, "VmRSS")
        delivery: list[float] = []
        known_hash: list[float] = []
        digest = None
        for _ in range(rounds):
            for times, sha256 in ((delivery, None), (known_hash, digest)):
                started = time.perf_counter()
                receipt = asyncio.run(
                    send_document(
                        "127.0.0.1", port, source, sender="BENCH", receiver="BENCH",
                        ill_number="1", sha256=sha256, timeout=600,
                    )
                )  # fmt: skip
                times.append(time.perf_counter() - started)
                assert receipt.length == size
                digest = receipt.sha256
                for document in (folder / "spool" / "documents").iterdir():
                    document.unlink()
        peak = memory_kb(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(10)
    return Figures(size, delivery, known_hash, raw, raw_tool, idle, peak)


def report(figures: Figures) -> str:
    from server_vs_zebra import machine

    raw = statistics.median(figures.raw_seconds)
    rows = [
        ("delivery, `send_document(path)`", statistics.median(figures.delivery_seconds)),
        ("delivery, `send_document(path, sha256=)`", statistics.median(figures.known_hash_seconds)),
        (f"raw TCP copy ({figures.raw_tool})", raw),
    ]  # fmt: skip
    share = raw / rows[0][1]
    transfer_share = raw / rows[1][1]
    peak_mb = figures.peak_rss_kb / 1024
    lines = [
        SECTION,
        "",
        f"One valid PDF of {figures.size / MB:,.0f} MB (one page and a padding stream), sent "
        "with `send_document` to a delivery server in its own process on 127.0.0.1, plain TCP; "
        f"median of {len(figures.raw_seconds)} rounds. Delivery time runs to the receipt: the "
        "server's hashing, spooling, fsync, structure checks (ZIP scan, %%EOF, pypdf) and "
        "rename are in it; the first row also has the client's own SHA-256 pass over the file "
        "(the header carries the hash), the second is given the hash. The reference copies the "
        f"same file into a file over the same loopback with {figures.raw_tool}: no hashing, "
        "no checks, no fsync. `python benchmarks/delivery_throughput.py`",
        "",
        "| | seconds | MB/s | share of raw |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {seconds:.2f} | {figures.size / seconds / MB:,.0f} | {raw / seconds:.0%} |"
            for name, seconds in rows
        ),
        "",
        f"* Throughput: **{share:.0%}** of the raw copy end to end, **{transfer_share:.0%}** "
        f"with the hash known (target ≥ {THROUGHPUT_TARGET:.0%}: "
        f"{verdict(share >= THROUGHPUT_TARGET)}"
        f" / {verdict(transfer_share >= THROUGHPUT_TARGET)}).",
        f"* Server peak resident memory (VmHWM): **{peak_mb:.0f} MB** "
        f"(idle after start {figures.idle_rss_kb / 1024:.0f} MB;"
        f" target < {MEMORY_TARGET_MB} MB: "
        f"{verdict(peak_mb < MEMORY_TARGET_MB)}).",
        f"* Machine: {machine()}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=500, help="document size (default 500)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as folder:
        figures = run(args.size_mb * MB, args.rounds, Path(folder))
    text = report(figures)
    print(text)
    if args.append:
        from server_vs_zebra import write_section

        write_section(args.append, text, SECTION)


if __name__ == "__main__":
    main()
