"""The ILL store's tests run on both stores: an SQLite file and a PostgreSQL database.

location    where a fresh, empty ILL store goes: a file path or a ``postgresql://`` URL
            (a new database in the suite's cluster, ``tests.postgres``)
clock       a settable clock the store reads (``clock.now``; ``clock.tick()`` moves it on)
new_store   opens the store at ``location`` (as often as asked; all closed at the end)
store       a fresh store, open
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shelfnet.ill.store import IllStore, open_ill_store
from tests.postgres import Cluster

NewStore = Callable[[], IllStore]
STORES = ("sqlite", "postgres")


def fresh_location(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(folder / "ill.sqlite")
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(prefix="ill")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 60) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


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
