"""``shelfnet demo``: start YAZ's test target on loopback and search it with shelfnet's client.

Until shelfnet serves its own catalogue, this is the quickest proof that everything is wired up:
Init with character-set negotiation, a type-1 search, present in USMARC and OPAC, all over TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

from rich.console import Console

from shelfnet.output import record_text
from shelfnet.query.pqf import parse_pqf
from shelfnet.z3950.client import Connection

console = Console(highlight=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def ztest(port: int) -> Iterator[None]:
    """Run yaz-ztest on 127.0.0.1:port for the duration of the block."""
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            ["yaz-ztest", "-l", f"{workdir}/ztest.log", f"tcp:127.0.0.1:{port}"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=0.2),
                ):
                    break
                time.sleep(0.05)
            yield
        finally:
            process.terminate()
            process.wait(timeout=5)


async def _search(port: int, limit: int) -> None:
    query = "@attr 1=4 computer"
    async with Connection("127.0.0.1", port, databases=["Default"], timeout=10) as conn:
        info = conn.init_response
        assert info is not None
        console.print(
            f"[bold]connected[/bold] to {info.implementation_name} {info.implementation_version}"
            f" at 127.0.0.1:{port} (character set: {info.charset or 'not negotiated'})"
        )
        result = await conn.search(parse_pqf(query), prefetch=limit)
        console.print(f"[bold]search[/bold] {query!r}: {result.size} hits\n")
        for index, record in enumerate(await result.records(0, min(limit, result.size)), 1):
            console.print(f"[bold]record {index}[/bold] ({record.syntax_name})")
            console.print(record_text(record), markup=False, soft_wrap=True)
            console.print()
        conn.preferred_record_syntax = "1.2.840.10003.5.102"
        opac = await result.record(min(limit, result.size - 1))
        console.print(
            f"[bold]the same target's OPAC record with holdings[/bold] ({opac.syntax_name})"
        )
        console.print(record_text(opac), markup=False, soft_wrap=True)


def run_demo(limit: int = 3) -> int:
    if shutil.which("yaz-ztest") is None:
        console.print(
            "[red]yaz-ztest not found[/red]: install the Debian package yaz "
            "(sudo apt-get install yaz), or run `make run`, which does."
        )
        return 1
    port = free_port()
    with ztest(port):
        asyncio.run(_search(port, limit))
    console.print(
        "\nNext: [bold]shelfnet search HOST:PORT/DB QUERY[/bold] against any Z39.50 target "
        "(see shelfnet search --help)."
    )
    return 0
