"""Record bitmaps (``shelfnet.catalog.docsets``): kept right through every write, searched
the same as the positional SQL finds, and shown to the servers as sequences of ids."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyroaring import BitMap

from shelfnet.catalog import docsets
from shelfnet.catalog.importer import import_data
from shelfnet.catalog.indexing import Kind, Use
from shelfnet.catalog.plan import (
    AllRecords,
    Boolean,
    BooleanOp,
    Exact,
    Lookup,
    Nothing,
    Plan,
    Prefix,
)
from shelfnet.catalog.plansql import POSTGRES, SQLITE, PlanCompiler
from shelfnet.catalog.postgres import PostgresStore
from shelfnet.catalog.search import literal_prefix, run_search
from shelfnet.catalog.store import CatalogStore, Store, open_store
from shelfnet.query.pqf import parse_pqf
from tests.unit.catalog.conftest import STORES, NewStore, fresh_location
from tests.unit.catalog.records import (
    BIRD,
    BLUE_NOTE,
    CATALOGUE,
    KIND_OF_BLUE,
    field,
    iso2709,
    make,
)

# --- ResultIds ---------------------------------------------------------------------------

_id_sets = st.lists(st.sets(st.integers(min_value=0, max_value=300_000), max_size=40), max_size=4)


@given(_id_sets, st.integers(-50, 200), st.integers(-50, 200), st.sampled_from([None, 1, 2, -1]))
def test_result_ids_behave_as_the_list_of_their_bitmaps(
    parts: list[set[int]], start: int, stop: int, step: int | None
) -> None:
    ids = docsets.ResultIds(*(BitMap(part) for part in parts))
    expected = [record_id for part in parts for record_id in sorted(part)]
    assert len(ids) == len(expected)
    assert list(ids) == expected
    assert ids[start:stop:step] == expected[start:stop:step]
    for index in (0, len(expected) - 1, -1, -len(expected)):
        if expected:
            assert ids[index] == expected[index]
    with pytest.raises(IndexError):
        ids[len(expected)]
    assert all(record_id in ids for record_id in expected[:5])
    assert -1 not in ids and "1" not in ids


# --- helpers ---------------------------------------------------------------------------


def test_updated_docs_adds_removes_and_reports_emptied_terms() -> None:
    current = {1: docsets.dump(BitMap([5, 6])), 2: docsets.dump(BitMap([7]))}
    rows, emptied = docsets.updated_docs(current, added={1: [9], 3: [1, 2]}, removed={2: [7]})
    assert [(docsets.load(blob), count, term) for blob, count, term in rows] == [
        (BitMap([5, 6, 9]), 3, 1),
        (BitMap([1, 2]), 2, 3),
    ]
    assert emptied == [2]


def test_mismatches_compares_sorted_streams() -> None:
    terms = [(1, docsets.dump(BitMap([1, 2]))), (2, None), (4, docsets.dump(BitMap([3])))]
    assert docsets.mismatches(terms, [(1, 1), (1, 2), (3, 9), (4, 3)]) == 0
    assert docsets.mismatches(terms, [(1, 1), (2, 5), (4, 4)]) == 3


@given(st.from_regex(r"[a-c]{0,3}(\\.|[.*+?]|\(x\)|\[ab\]|\|)?[a-c]{0,2}[*?]?", fullmatch=True))
def test_a_literal_prefix_starts_every_full_match(regex: str) -> None:
    try:
        pattern = re.compile(regex)
    except re.error:
        return
    prefix = literal_prefix(regex)
    for candidate in ("", "a", "b", "ab", "abc", "aab", "abcab", "ba", "cab", "a.b", "xx"):
        if pattern.fullmatch(candidate):
            assert candidate.startswith(prefix), (regex, candidate, prefix)


def test_literal_prefixes() -> None:
    assert literal_prefix("blu.*") == "blu"
    assert literal_prefix("blu?e") == "bl"
    assert literal_prefix("ja{2}") == "j"
    assert literal_prefix(r"\.net") == ".net"
    assert literal_prefix(r"ab\d") == "ab"
    assert literal_prefix("a|b") == ""
    assert literal_prefix("(?i)abc") == ""


# --- the stores keep the bitmaps right -----------------------------------------------------


def test_bitmaps_follow_adds_updates_and_deletes(new_store: NewStore) -> None:
    with new_store() as store:
        import_data(iso2709(*CATALOGUE), store)
        assert store.check() == []
        assert set(store.search(AllRecords())) == {1, 2, 3, 4, 5}
        changed = make(*KIND_OF_BLUE.fields[:8], field("245", "10", "a", "Kind of green."))
        import_data(iso2709(changed), store)
        assert list(run_search(store, parse_pqf("@attr 1=4 green"))) == [1]
        assert list(run_search(store, parse_pqf("@attr 1=4 kind"))) == [1]
        assert store.check() == []
        store.delete(ids=[1, 3])
        assert set(store.search(AllRecords())) == {2, 4, 5}
        assert list(run_search(store, parse_pqf("@attr 1=4 green"))) == []
        assert store.check() == []


def test_the_same_record_twice_in_one_batch_is_indexed_once_as_its_last_version(
    new_store: NewStore,
) -> None:
    first = make(*BIRD.fields[:2], field("245", "10", "a", "Ornithology."))
    second = make(*BIRD.fields[:2], field("245", "10", "a", "Yardbird suite."))
    with new_store() as store:
        result = import_data(iso2709(first, second), store)
        assert (result.added, result.updated) == (1, 1)
        assert list(run_search(store, parse_pqf("@attr 1=4 yardbird"))) == [1]
        assert list(run_search(store, parse_pqf("@attr 1=4 ornithology"))) == []
        assert store.check() == []


def test_check_finds_a_bitmap_that_disagrees_with_the_postings(new_store: NewStore) -> None:
    with new_store() as store:
        import_data(iso2709(*CATALOGUE), store)
        store._connection().execute(  # a test may reach in to damage the catalogue
            f"UPDATE terms SET docs = {'?' if isinstance(store, Store) else '%s'} "
            "WHERE term = 'blue'",
            (docsets.dump(BitMap([99])),),
        )
        problems = store.check()
        assert any("bitmap disagrees" in problem for problem in problems)


def test_a_schema_1_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with open_store(path) as store:
        import_data(iso2709(*CATALOGUE), store)
        before = list(run_search(store, parse_pqf('@attr 1=4 "blue note"')))
    connection = sqlite3.connect(path)  # make it what shelfnet 0.1 wrote
    connection.execute("ALTER TABLE terms DROP COLUMN docs")
    connection.execute("DROP TABLE record_sets")
    connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()
    with open_store(path) as store:
        assert store.check() == []
        assert store.stats().schema_version == 2
        assert list(run_search(store, parse_pqf('@attr 1=4 "blue note"'))) == before
        assert set(store.search(AllRecords())) == {1, 2, 3, 4, 5}


# --- bitmap searches find what the positional SQL finds ------------------------------------


@pytest.fixture(scope="module", params=STORES)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CatalogStore]:
    location = fresh_location(request.param, tmp_path_factory.mktemp("docsets"), request)
    with open_store(location) as store:
        import_data(iso2709(*CATALOGUE, BLUE_NOTE), store)
        yield store


def _sql_search(store: CatalogStore, plan: Plan) -> list[int]:
    """The plan as one SQL statement over the postings: the way before bitmaps."""
    compiler = PlanCompiler(SQLITE if isinstance(store, Store) else POSTGRES)
    sql = compiler.search_sql(plan)
    if isinstance(store, PostgresStore):
        rows = store._connection().execute(sql, compiler.params).fetchall()
    else:
        assert isinstance(store, Store)
        rows = store._connection().execute(sql, compiler.params).fetchall()
    return [int(row[0]) for row in rows]


_WORDS = ("blue", "note", "kind", "of", "bird", "the", "b", "live", "davis", "miles", "jazz")
_matchers = st.builds(Exact, st.sampled_from(_WORDS)) | st.builds(
    Prefix, st.sampled_from(["bl", "n", "d", "k", "zz"])
)
_lookups = st.builds(
    Lookup,
    st.sampled_from([int(Use.TITLE), int(Use.ANY), int(Use.AUTHOR), int(Use.SUBJECT_HEADING)]),
    st.just(Kind.WORD),
    st.lists(_matchers, min_size=1, max_size=3).map(tuple),
    st.booleans(),
)
_plans: st.SearchStrategy[Plan] = st.recursive(
    _lookups | st.just(AllRecords()) | st.just(Nothing()),
    lambda inner: st.builds(Boolean, st.sampled_from(list(BooleanOp)), inner, inner),
    max_leaves=5,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_plans)
def test_bitmap_search_finds_what_the_positional_sql_finds(
    loaded: CatalogStore, plan: Plan
) -> None:
    assert list(loaded.search(plan)) == _sql_search(loaded, plan)
