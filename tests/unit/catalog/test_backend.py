"""CatalogBackend: the catalogue behind the Backend interface the servers share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shelfnet.backend import Backend, BackendError, Credentials, SearchResult
from shelfnet.catalog.backend import CatalogBackend
from shelfnet.catalog.importer import import_data
from shelfnet.catalog.store import StoreError, open_store
from shelfnet.query.pqf import parse_pqf
from shelfnet.query.rpn import AttributeElement, Term
from shelfnet.z3950 import oids
from shelfnet.z3950.events import SortKey
from tests.unit.catalog.records import CATALOGUE, iso2709


@pytest.fixture
def path(location: str) -> str:
    """A loaded catalogue's file or URL."""
    with open_store(location) as store:
        import_data(iso2709(*CATALOGUE), store)
    return location


@pytest.fixture
def backend(path: str) -> Iterator[CatalogBackend]:
    opened = CatalogBackend(path, databases=("Default", "jazz"))
    yield opened
    opened.close()


def test_it_is_a_backend(backend: CatalogBackend) -> None:
    as_backend: Backend = backend
    info = as_backend.info()
    assert info.databases == ("Default", "jazz")
    assert info.record_syntaxes[0] == oids.USMARC and oids.OPAC in info.record_syntaxes
    assert info.element_sets == ("F", "B")
    assert info.indexes["title"] == 4 and info.indexes["any"] == 1016


def test_everyone_may_search_unless_there_are_users(path: str) -> None:
    open_backend = CatalogBackend(path)
    guarded = CatalogBackend(path, users={"cataloguer": "s3cret"})
    try:
        assert asyncio.run(open_backend.authenticate(Credentials()))
        assert asyncio.run(guarded.authenticate(Credentials("cataloguer", "s3cret")))
        assert not asyncio.run(guarded.authenticate(Credentials("cataloguer", "wrong")))
        assert not asyncio.run(guarded.authenticate(Credentials("nobody", "s3cret")))
        assert not asyncio.run(guarded.authenticate(Credentials()))
    finally:
        open_backend.close()
        guarded.close()


def test_search_by_any_of_its_database_names(backend: CatalogBackend) -> None:
    result = asyncio.run(backend.search(["JAZZ"], parse_pqf("@attr 1=4 blue")))
    assert list(result.ids) == [1, 2, 4] and result.size == 3
    assert result.databases == ("JAZZ",)


def test_an_unknown_database_is_109(backend: CatalogBackend) -> None:
    with pytest.raises(BackendError) as raised:
        asyncio.run(backend.search(["Default", "books"], parse_pqf("blue")))
    assert (raised.value.diagnostic.code, raised.value.diagnostic.addinfo) == (109, "books")


def test_fetch_keeps_the_order_asked_for(backend: CatalogBackend) -> None:
    fetched = asyncio.run(backend.fetch([4, 1], oids.USMARC, None))
    assert [f.id for f in fetched] == [4, 1]
    assert fetched[1].record.raw == bytes(CATALOGUE[0].as_marc())
    assert fetched[0].record.database == "Default"


def test_a_deleted_record_is_a_surrogate_diagnostic(backend: CatalogBackend) -> None:
    backend.store.delete(ids=[2])
    first, second = asyncio.run(backend.fetch([1, 2], oids.XML, "F"))
    assert first.record.ok
    assert second.record.diagnostic is not None and second.record.diagnostic.code == 14


def test_unsupported_syntaxes_and_element_sets(backend: CatalogBackend) -> None:
    (fetched,) = asyncio.run(backend.fetch([1], oids.GRS1, "F"))
    assert fetched.record.diagnostic is not None and fetched.record.diagnostic.code == 239
    with pytest.raises(BackendError) as raised:
        asyncio.run(backend.fetch([1], oids.USMARC, "dc"))
    assert raised.value.diagnostic.code == 25


def test_scan_and_sort(backend: CatalogBackend) -> None:
    start = Term("blue", (AttributeElement(1, 4),))
    entries = asyncio.run(backend.scan(["Default"], start, 2, 1)).entries
    assert [(e.term, e.count) for e in entries] == [("blue", 3), ("blues", 1)]
    placed = asyncio.run(backend.scan(["jazz"], start, 3, 2))
    assert placed.position == 2 and placed.entries[1].term == "blue"
    result = SearchResult(ids=[1, 2, 4], databases=("Default",))
    by_date = asyncio.run(backend.sort(result, [SortKey(attributes=((1, 31),), descending=True)]))
    assert list(by_date.ids) == [4, 2, 1] and by_date.databases == ("Default",)


def test_searches_run_side_by_side(backend: CatalogBackend) -> None:
    queries = ["@attr 1=4 blue", "@attr 1=21 jazz", "@attr 1=31 @attr 2=5 @attr 4=109 1960"]

    async def many() -> list[list[int]]:
        results = await asyncio.gather(
            *(backend.search(["Default"], parse_pqf(queries[n % 3])) for n in range(60))
        )
        return [list(r.ids) for r in results]

    found = asyncio.run(many())
    assert found[:3] == [[1, 2, 4], [1, 2, 3], [2, 3, 4, 5]]
    assert all(found[n] == found[n % 3] for n in range(60))


def test_a_catalogue_indexed_by_other_rules_is_refused(path: str) -> None:
    with open_store(path) as store:
        store._connection().execute("UPDATE meta SET value = '0' WHERE key = 'indexing_version'")
    with pytest.raises(StoreError, match="reindex"):
        CatalogBackend(path)
