"""Fixtures the whole suite shares.

postgres_cluster    a PostgreSQL cluster on loopback for the session (``tests.postgres``);
                    skips, saying what to install, when PostgreSQL is missing
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import Cluster, MissingPostgres, find_bin_dir, start_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    try:
        find_bin_dir()
    except MissingPostgres as missing:
        pytest.skip(str(missing))
    # Not under pytest's basetemp: that is private to the user running the tests, and the
    # server may run as another user (postgres) that must reach its data directory.
    with (
        tempfile.TemporaryDirectory(prefix="shelfnet-pg-") as root,
        start_cluster(Path(root)) as cluster,
    ):
        yield cluster
