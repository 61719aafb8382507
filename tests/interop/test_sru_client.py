"""shelfnet's SRU client against real SRU servers: yaz-ztest (every SRU version)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from shelfnet.marc import parse_marcxml
from shelfnet.sru.client import Connection
from shelfnet.z3950 import oids
from shelfnet.z3950.client import Connection as Z3950Connection
from shelfnet.z3950.errors import ConnectError, RemoteProtocolError
from tests.peers import Target, free_port


def url(target: Target) -> str:
    return f"http://{target.host}:{target.port}/{target.database}"


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_sru_search_reads_ztests_answers_in_every_version(
    ztest_target: Target, version: str
) -> None:
    async def run() -> tuple[int, list[bytes]]:
        async with Connection.to(url(ztest_target), version=version) as conn:
            result = await conn.search("computer", prefetch=3)
            return result.size, [r.raw for r in await result.records(0, 5)]

    size, raws = asyncio.run(run())
    assert size == 23
    records = [parse_marcxml(raw)[0] for raw in raws]
    assert all(r["245"] is not None for r in records)


def test_sru_and_z3950_give_the_same_records_from_ztest(ztest_target: Target) -> None:
    async def run() -> tuple[list[bytes], list[bytes]]:
        async with Connection.to(url(ztest_target)) as sru:
            over_sru = [r.raw for r in await (await sru.search("computer")).records(0, 4)]
        async with Z3950Connection(
            ztest_target.host,
            ztest_target.port,
            preferred_record_syntax="xml",
            element_set_name=None,
        ) as z3950:
            over_z3950 = [r.raw for r in await (await z3950.search("computer")).records(0, 4)]
        return over_sru, over_z3950

    over_sru, over_z3950 = asyncio.run(run())
    as_dicts = [[r.as_dict() for r in parse_marcxml(raw)] for raw in over_sru]
    assert as_dicts == [[r.as_dict() for r in parse_marcxml(raw)] for raw in over_z3950]


def test_an_unknown_database_is_a_target_error_naming_the_http_status(
    ztest_target: Target,
) -> None:
    async def run() -> None:
        async with Connection.to(f"http://{ztest_target.host}:{ztest_target.port}/nosuch") as c:
            await c.search("computer")

    with pytest.raises(RemoteProtocolError, match="HTTP 404"):
        asyncio.run(run())


def test_a_closed_port_is_a_connect_error() -> None:
    async def run() -> None:
        async with Connection.to(f"http://127.0.0.1:{free_port()}/db", timeout=3) as c:
            await c.search("x")

    with pytest.raises(ConnectError):
        asyncio.run(run())


def test_records_arrive_as_xml_syntax(ztest_target: Target) -> None:
    async def run() -> str:
        async with Connection.to(url(ztest_target)) as conn:
            return (await (await conn.search("computer")).record(0)).syntax

    assert asyncio.run(run()) == oids.XML


def test_the_command_line_searches_sru_targets_with_cql(ztest_target: Target) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shelfnet", "search", url(ztest_target), "computer", "--limit", "2"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"=LDR  ")
    assert b"23 hits" in done.stderr


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_sru_reads_zebras_answers_with_the_same_records_as_z3950(
    zebra_target: Target, version: str
) -> None:
    async def run() -> tuple[int, list[bytes], int]:
        async with Connection.to(url(zebra_target), version=version) as sru:
            result = await sru.search("dc.creator = ellington")
            over_sru = [r.raw for r in await result.records(0, 5)]
        async with Z3950Connection(
            zebra_target.host,
            zebra_target.port,
            databases=[zebra_target.database],
            preferred_record_syntax="xml",
        ) as z3950:
            over_z3950 = await z3950.search("@attr 1=1003 ellington")
            return result.size, over_sru, over_z3950.size

    sru_size, records, z3950_size = asyncio.run(run())
    assert sru_size == z3950_size == 21
    assert all(parse_marcxml(raw)[0]["245"] is not None for raw in records)


def test_sru_scan_reads_zebras_terms(zebra_target: Target) -> None:
    async def run() -> list[tuple[str, int | None]]:
        async with Connection.to(url(zebra_target)) as sru:
            return [(e.term, e.count) for e in await sru.scan("dc.title = jazz", number=5)]

    terms = asyncio.run(run())
    assert len(terms) == 5 and all(count for _, count in terms)
