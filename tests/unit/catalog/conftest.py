"""A small catalogue in a temporary file, loaded with ``records.CATALOGUE`` (ids 1 to 5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shelfnet.catalog.importer import import_data
from shelfnet.catalog.search import run_search
from shelfnet.catalog.store import Store
from shelfnet.query.pqf import parse_pqf
from tests.unit.catalog.records import CATALOGUE, iso2709

Search = Callable[[str], list[int]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "catalog.sqlite") as opened:
        result = import_data(iso2709(*CATALOGUE), opened)
        assert result.added == len(CATALOGUE) and not result.failures
        yield opened


@pytest.fixture
def search(store: Store) -> Search:
    """Ids a PQF query finds in the small catalogue."""

    def run(pqf: str) -> list[int]:
        return run_search(store, parse_pqf(pqf))

    return run
