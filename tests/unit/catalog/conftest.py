"""The catalogue's tests run on both stores: an SQLite file and a PostgreSQL database.

location    where a fresh, empty catalogue goes: a file path or a ``postgresql://`` URL
            (a new database in the suite's cluster, ``tests.postgres``)
new_store   opens the catalogue at ``location`` (as often as asked; all closed at the end)
store       a small catalogue loaded with ``records.CATALOGUE`` (ids 1 to 5)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shelfnet.catalog.importer import import_data
from shelfnet.catalog.search import run_search
from shelfnet.catalog.store import CatalogStore, Clock, open_store
from shelfnet.query.pqf import parse_pqf
from tests.postgres import Cluster
from tests.unit.catalog.records import CATALOGUE, iso2709

Search = Callable[[str], list[int]]
NewStore = Callable[..., CatalogStore]
STORES = ("sqlite", "postgres")


def fresh_location(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(folder / "catalog.sqlite")
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database()


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_location(request.param, tmp_path, request)


@pytest.fixture
def new_store(location: str) -> Iterator[NewStore]:
    opened: list[CatalogStore] = []

    def open_it(clock: Clock | None = None) -> CatalogStore:
        store = open_store(location, clock=clock)
        opened.append(store)
        return store

    yield open_it
    for store in opened:
        store.close()


@pytest.fixture
def store(new_store: NewStore) -> Iterator[CatalogStore]:
    with new_store() as opened:
        result = import_data(iso2709(*CATALOGUE), opened)
        assert result.added == len(CATALOGUE) and not result.failures
        yield opened


@pytest.fixture
def search(store: CatalogStore) -> Search:
    """Ids a PQF query finds in the small catalogue."""

    def run(pqf: str) -> list[int]:
        return list(run_search(store, parse_pqf(pqf)))

    return run
