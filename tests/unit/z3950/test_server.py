"""The Z39.50 server's front-end rules, over the real catalogue backend (sample records).

Interop with YAZ's clients and comparison with zebrasrv are in tests/interop/test_z3950_server.py;
these drive the rules a real client rarely reaches on purpose: limits, result-set names and
operands, piggyback bounds, message sizes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from shelfnet.catalog.backend import CatalogBackend
from shelfnet.catalog.importer import import_data
from shelfnet.catalog.sample import sample_iso2709
from shelfnet.query.pqf import parse_pqf
from shelfnet.z3950.client import Connection
from shelfnet.z3950.errors import DiagnosticError, InitRefused, ServerClosed
from shelfnet.z3950.events import SearchRequest, SearchResponse
from shelfnet.z3950.server import ServerLimits, Z3950Server


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.sqlite"
    backend = CatalogBackend(path)
    import_data(sample_iso2709(), backend.store)
    backend.close()
    return path


@asynccontextmanager
async def server(
    catalogue: Path, limits: ServerLimits | None = None, users: dict[str, str] | None = None
) -> AsyncIterator[int]:
    backend = CatalogBackend(catalogue, users=users)
    z3950 = Z3950Server(backend, limits)
    await z3950.start("127.0.0.1", 0)
    try:
        yield z3950.addresses[0][1]
    finally:
        await z3950.close()
        backend.close()


def run(catalogue: Path, work: Callable[[int], Awaitable[None]], **options: object) -> None:
    async def go() -> None:
        async with server(catalogue, **options) as port:  # type: ignore[arg-type]
            await work(port)

    asyncio.run(go())


def test_connections_beyond_the_limit_are_closed_with_resources(catalogue: Path) -> None:
    async def work(port: int) -> None:
        first = Connection("127.0.0.1", port)
        await first.connect()
        with pytest.raises(ServerClosed) as caught:
            await Connection("127.0.0.1", port).connect()
        assert caught.value.reason == "resources"
        await first.close()
        async with Connection("127.0.0.1", port) as again:  # room again
            assert (await again.search("@attr 1=1003 austen")).size == 2

    run(catalogue, work, limits=ServerLimits(max_connections=1))


def test_result_sets_beyond_the_limit_get_bib1_112(catalogue: Path) -> None:
    async def work(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            await conn.search("austen")
            await conn.search("dickens")
            with pytest.raises(DiagnosticError) as caught:
                await conn.search("twain")
            assert caught.value.code == 112
            await conn.search("twain", result_set_name="r1")  # replacing one is fine

    run(catalogue, work, limits=ServerLimits(max_result_sets=2))


def test_an_existing_name_with_replace_off_gets_bib1_21(catalogue: Path) -> None:
    async def work(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            await conn.search("austen", result_set_name="mine")
            request = SearchRequest(parse_pqf("dickens"), result_set_name="mine", replace=False)
            response = await conn._exchange(request, SearchResponse)
            assert not response.search_status
            assert response.diagnostics[0].code == 21

    run(catalogue, work)


def test_result_set_operands_combine_named_sets(catalogue: Path) -> None:
    async def work(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            fiction = await conn.search("@attr 1=21 fiction", result_set_name="fiction")
            english = await conn.search("@attr 1=54 eng", result_set_name="english")
            both = await conn.search("@and @set fiction @set english")
            either = await conn.search("@or @set fiction @set english")
            neither = await conn.search("@not @set fiction @set english")
            assert both.size + neither.size == fiction.size
            assert either.size == english.size + neither.size
            with pytest.raises(DiagnosticError) as caught:
                await conn.search("@and @set nosuch @set english")
            assert caught.value.code == 30

    run(catalogue, work)


@pytest.mark.parametrize(("prefetch", "expected"), [(0, 0), (2, 2), (50, 2)])
def test_piggyback_returns_small_sets_whole_and_medium_sets_in_part(
    catalogue: Path, prefetch: int, expected: int
) -> None:
    async def work(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            result = await conn.search("@attr 1=1003 austen", prefetch=prefetch)
            assert len(result._records) == expected
            fiction = await conn.search("@attr 1=21 fiction", prefetch=prefetch)
            assert len(fiction._records) == min(prefetch, fiction.size)

    run(catalogue, work)


def test_present_stops_at_the_message_size_and_the_client_fetches_the_rest(
    catalogue: Path,
) -> None:
    async def work(port: int) -> None:
        async with Connection(
            "127.0.0.1", port, preferred_message_size=1500, present_chunk=30
        ) as conn:
            everything = await conn.search("@attr 1=_ALLRECORDS @attr 2=103 x")
            first = await conn.present(everything.name, 1, 30)
            assert 1 <= len(first) < 30  # partial: only what fits 1,500 bytes
            records = await everything.records()
            assert len(records) == everything.size == 30

    run(catalogue, work)


def test_with_users_configured_strangers_are_refused_with_1011(catalogue: Path) -> None:
    async def work(port: int) -> None:
        with pytest.raises(InitRefused) as caught:
            await Connection("127.0.0.1", port, user="eve", password="guess").connect()
        assert caught.value.diagnostic is not None and caught.value.diagnostic.code == 1011
        async with Connection("127.0.0.1", port, user="cat", password="s3cret") as conn:
            assert (await conn.search("austen")).size == 2

    run(catalogue, work, users={"cat": "s3cret"})
