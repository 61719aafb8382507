"""The catalogue in PostgreSQL against the catalogue in SQLite: jazz_1k.mrc in both, the same
PQF and CCL queries, the same records found; scans and sorts the same; and two server
processes importing into and searching one PostgreSQL catalogue at once.

PostgreSQL is the suite's own cluster (``tests.postgres``); the tests skip, saying what to
install, when its binaries are missing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfnet.backend import BackendError
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.postgres import PostgresStore
from shelfnet.catalog.scan import scan_index
from shelfnet.catalog.search import run_search
from shelfnet.catalog.sort import sort_ids
from shelfnet.catalog.store import CatalogStore, Store
from shelfnet.query.ccl import parse_ccl
from shelfnet.query.pqf import parse_pqf
from shelfnet.query.rpn import AttributeElement, Term
from shelfnet.z3950.events import SortKey
from tests.interop.queries import JAZZ_PQF, JAZZ_PQF_DIAGNOSTICS, QueryCase
from tests.peers import marc_data_dir
from tests.postgres import Cluster


@pytest.fixture(scope="module")
def jazz() -> Path:
    path = marc_data_dir() / "jazz_1k.mrc"
    if not path.is_file():
        pytest.skip(f"MARC test data not found: {path}")
    return path


@pytest.fixture(scope="module")
def sqlite_catalogue(jazz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("catalog") / "jazz.sqlite") as store:
        result = import_files([jazz], store)
        assert (result.added, result.failed) == (1000, 0)
        yield store


@pytest.fixture(scope="module")
def postgres_catalogue(jazz: Path, postgres_cluster: Cluster) -> Iterator[PostgresStore]:
    with PostgresStore(postgres_cluster.create_database("jazz")) as store:
        started = time.perf_counter()
        result = import_files([jazz], store)
        elapsed = time.perf_counter() - started
        assert (result.added, result.failed) == (1000, 0)
        print(f"jazz_1k.mrc into PostgreSQL: {elapsed:.2f} s")
        yield store


def found(store: CatalogStore, pqf: str) -> list[int]:
    return list(run_search(store, parse_pqf(pqf)))


@pytest.mark.parametrize("case", JAZZ_PQF, ids=[case.query for case in JAZZ_PQF])
def test_pqf_queries_find_the_same_records(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore, case: QueryCase
) -> None:
    ours = found(postgres_catalogue, case.query)
    assert ours == found(sqlite_catalogue, case.query)


EXTRA_PQF = [
    "@attr 1=4 @attr 5=2 azz",  # left truncation: GLOB on SQLite, ~ on PostgreSQL
    "@attr 1=4 @attr 5=3 az",
    "@attr 1=4 @attr 5=101 bl#e",
    "@attr 1=4 @attr 5=102 bl.*s",
    "@attr 1=4 @attr 5=104 bl?ues",
    "@attr 1=4 @attr 5=104 jaz#",
    "@attr 1=31 @attr 2=1 @attr 4=109 1960",
    "@attr 1=31 @attr 2=6 @attr 4=109 1960",
    "@attr 1=1003 @attr 4=1 @attr 5=1 @attr 6=3 davis",
    "@prox 0 3 0 2 k 2 @attr 1=4 blue @attr 1=4 note",
    "@prox 1 3 0 2 k 2 @attr 1=4 blue @attr 1=4 note",
    "@attr 1=4 @attr 2=102 jazz",
]


@pytest.mark.parametrize("pqf", EXTRA_PQF)
def test_truncation_patterns_and_proximity_find_the_same_records(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore, pqf: str
) -> None:
    assert found(postgres_catalogue, pqf) == found(sqlite_catalogue, pqf)


@pytest.mark.parametrize("ccl", ["ti=jaz?", "au=davis and su=jazz", "yr=1985-1990", "jazz"])
def test_ccl_queries_find_the_same_records(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore, ccl: str
) -> None:
    query = parse_ccl(ccl)
    assert list(run_search(postgres_catalogue, query)) == list(run_search(sqlite_catalogue, query))


@pytest.mark.parametrize("case", JAZZ_PQF_DIAGNOSTICS, ids=lambda case: case.query)
def test_refused_queries_get_the_same_diagnostics(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore, case: object
) -> None:
    query = getattr(case, "query", "")
    outcomes = []
    for store in (sqlite_catalogue, postgres_catalogue):
        try:
            outcomes.append(("found", len(found(store, query))))
        except BackendError as refused:
            outcomes.append(("diagnostic", refused.diagnostic.code))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(("use", "start"), [(4, "jazz"), (4, "koln"), (1003, "davis"), (21, "a")])
def test_scans_list_the_same_terms(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore, use: int, start: str
) -> None:
    term = Term(start, (AttributeElement(1, use),))
    assert scan_index(postgres_catalogue, term, 20, 5) == scan_index(sqlite_catalogue, term, 20, 5)


def test_sorts_give_the_same_order(
    sqlite_catalogue: Store, postgres_catalogue: PostgresStore
) -> None:
    ids = found(sqlite_catalogue, "@attr 1=21 jazz")
    keys = [SortKey(attributes=((1, 31),), descending=True), SortKey(attributes=((1, 4),))]
    assert sort_ids(postgres_catalogue, ids, keys) == sort_ids(sqlite_catalogue, ids, keys)


def test_the_statistics_agree(sqlite_catalogue: Store, postgres_catalogue: PostgresStore) -> None:
    ours, theirs = postgres_catalogue.stats(), sqlite_catalogue.stats()
    assert ours.indexes == theirs.indexes
    assert ours.by_charset == theirs.by_charset and ours.records == theirs.records
    assert postgres_catalogue.check() == []


# --- several processes on one database --------------------------------------------------------

_IMPORT_AND_SEARCH = """
import sys
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.postgres import PostgresStore
from shelfnet.catalog.search import run_search
from shelfnet.query.pqf import parse_pqf

url, records = sys.argv[1:]
with PostgresStore(url) as store:
    result = import_files([records], store, batch_size=100)
    print(result.added, result.updated, result.unchanged, result.failed)
    print(len(run_search(store, parse_pqf("@attr 1=21 jazz"))))
"""


def test_two_processes_import_and_search_one_database_at_once(
    jazz: Path, postgres_cluster: Cluster, sqlite_catalogue: Store
) -> None:
    url = postgres_cluster.create_database("shared")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORT_AND_SEARCH, url, str(jazz)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (_out, errors) in zip(children, outputs, strict=True):
        assert child.returncode == 0, errors
    counts = [tuple(int(n) for n in out.split("\n")[0].split()) for out, _ in outputs]
    # Every record added exactly once between them; the other process found it unchanged.
    assert sorted(counts)[0][0] + sorted(counts)[1][0] == 1000
    assert all(added + unchanged == 1000 and not updated and not failed
               for added, updated, unchanged, failed in counts)  # fmt: skip
    with PostgresStore(url) as store:
        assert store.count() == 1000 and store.check() == []
        assert found(store, "@attr 1=21 jazz") == found(sqlite_catalogue, "@attr 1=21 jazz")
