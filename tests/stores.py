"""What the store test suites share: a settable clock, and where a fresh store goes on each
database the stores support (an SQLite file, a new database in the suite's PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.postgres import Cluster

STORES = ("sqlite", "postgres")


def store_location(kind: str, folder: Path, request: pytest.FixtureRequest, name: str) -> str:
    """A fresh store's location: ``<folder>/<name>.sqlite``, or a new PostgreSQL database."""
    if kind == "sqlite":
        return str(folder / f"{name}.sqlite")
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(prefix=name)


@dataclass
class Clock:
    """A clock a store reads: ``clock.now``, moved on by ``clock.tick()``."""

    now: datetime = field(default_factory=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 60) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
