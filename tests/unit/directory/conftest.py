"""The directory's tests run on both stores: an SQLite file and a PostgreSQL database.

location    where a fresh, empty directory goes: a file path or a ``postgresql://`` URL
            (a new database in the suite's cluster, ``tests.postgres``)
clock       a settable clock the stores read (``clock.now``; ``clock.tick()`` moves it on)
new_store   opens the directory at ``location`` (as often as asked; all closed at the end)
store       a fresh directory, open
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shelfnet.directory.store import DirectoryStore, open_store
from tests.stores import STORES, Clock, store_location

NewStore = Callable[[], DirectoryStore]


def fresh_location(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    return store_location(kind, folder, request, "directory")


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_location(request.param, tmp_path, request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def new_store(location: str, clock: Clock) -> Iterator[NewStore]:
    opened: list[DirectoryStore] = []

    def open_it() -> DirectoryStore:
        store = open_store(location, clock=clock)
        opened.append(store)
        return store

    yield open_it
    for store in opened:
        store.close()


@pytest.fixture
def store(new_store: NewStore) -> DirectoryStore:
    return new_store()
