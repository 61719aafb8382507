"""The ILL store's tests run on both stores: an SQLite file and a PostgreSQL database.

location    where a fresh, empty ILL store goes: a file path or a ``postgresql://`` URL
            (a new database in the suite's cluster, ``tests.postgres``)
clock       a settable clock the store reads (``clock.now``; ``clock.tick()`` moves it on)
new_store   opens the store at ``location`` (as often as asked; all closed at the end)
store       a fresh store, open
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shelfnet.ill.store import IllStore, open_ill_store
from tests.stores import STORES, Clock, store_location

NewStore = Callable[[], IllStore]


def fresh_location(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    return store_location(kind, folder, request, "ill")


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_location(request.param, tmp_path, request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def new_store(location: str, clock: Clock) -> Iterator[NewStore]:
    opened: list[IllStore] = []

    def open_it() -> IllStore:
        store = open_ill_store(location, clock=clock, lock_minutes=15)
        opened.append(store)
        return store

    yield open_it
    for store in opened:
        store.close()


@pytest.fixture
def store(new_store: NewStore) -> IllStore:
    return new_store()
