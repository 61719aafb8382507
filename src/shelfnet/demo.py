"""``shelfnet demo``: start shelfnet's own services on embedded defaults and search them.

The catalogue in ``data/`` (the sample catalogue when it was empty) is served over Z39.50 and
SRU; shelfnet's own clients then search it over both, the way any client would.
"""

from __future__ import annotations

import asyncio

from rich.console import Console

from shelfnet.config import Settings
from shelfnet.loop import run
from shelfnet.marc import parse_marcxml
from shelfnet.output import holding_text, record_text
from shelfnet.serve import Running, start
from shelfnet.sru.client import Connection as SruConnection
from shelfnet.z3950.client import Connection
from shelfnet.z3950.records import OpacRecord

console = Console(highlight=False)


async def _z3950(settings: Settings) -> None:
    z = settings.z3950
    database = settings.catalog.database
    query = "@attr 1=1003 austen"
    async with Connection(z.host, z.port, databases=[database], timeout=10) as conn:
        result = await conn.search(query, prefetch=2)
        console.print(
            f"\n[bold]Z39.50[/bold] {z.host}:{z.port}/{database}  {query!r}: {result.size} hits"
        )
        for record in await result.records(0, min(2, result.size)):
            console.print(record_text(record), markup=False, soft_wrap=True)
            console.print()
        conn.preferred_record_syntax = "1.2.840.10003.5.102"
        opac = await result.record(0)
        console.print("[bold]the same record as OPAC: its holdings[/bold]")
        if isinstance(opac.value, OpacRecord):
            for holding in opac.value.holdings:
                console.print(holding_text(holding), markup=False, soft_wrap=True)


async def _sru(settings: Settings) -> None:
    s = settings.sru
    url = f"http://{s.host}:{s.port}/{settings.catalog.database}"
    query = "dc.subject = fiction and dc.date < 1850"
    async with SruConnection(url, timeout=10) as conn:
        result = await conn.search(query)
        console.print(f"\n[bold]SRU[/bold] {url}  {query!r}: {result.size} hits", soft_wrap=True)
        for record in await result.records(0, min(5, result.size)):
            for parsed in parse_marcxml(record.raw):
                console.print(f"  {parsed.title}", markup=False, soft_wrap=True)


async def _demo(settings: Settings, keep_serving: bool) -> None:
    running: Running = await start(settings, lambda line: console.print(line))
    try:
        if settings.z3950.enabled:
            await _z3950(settings)
        if settings.sru.enabled:
            await _sru(settings)
        if keep_serving:
            console.print(
                "\n[bold]serving[/bold] until Ctrl-C; try "
                f"zoomsh 'open {settings.z3950.host}:{settings.z3950.port}/"
                f"{settings.catalog.database}' 'search dickens' 'show 0' quit"
                + (
                    f", or open http://{settings.web.host}:{settings.web.port}/ in a browser"
                    if settings.web.enabled
                    else ""
                )
            )
            await asyncio.Event().wait()
    finally:
        await running.close()


def run_demo(settings: Settings, keep_serving: bool = False) -> int:
    try:
        run(_demo(settings, keep_serving))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        console.print(
            f"[red]cannot start the services:[/red] {exc} "
            "(another shelfnet running? see shelfnet ports)"
        )
        return 1
    return 0
