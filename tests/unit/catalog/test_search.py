"""Searching the small catalogue: every Bib-1 attribute rule and every diagnostic.

Ids: 1 "The kind of blue" (Davis, 1959), 2 "Blue note live at Köln" (1975, French),
3 "Charlie Parker's bird songs" (no 008 date; imprint c1987), 4 "Blue Ellington" (1990,
German, no 003), 5 "Anonymous blues" (2001, no 001). See ``records.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfnet.backend import BackendError
from shelfnet.catalog.importer import import_data
from shelfnet.catalog.search import MAX_DEPTH, run_search
from shelfnet.catalog.store import CatalogStore, open_store
from shelfnet.query.rpn import (
    BIB1,
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    Query,
    ResultSetId,
    Term,
    TermType,
)
from tests.strategies import rpn_trees
from tests.unit.catalog.conftest import STORES, Search, fresh_location
from tests.unit.catalog.records import CATALOGUE, iso2709


@pytest.mark.parametrize(
    ("pqf", "ids"),
    [
        # words, folded
        ("@attr 1=4 blue", [1, 2, 4]),
        ("@attr 1=4 BLUE", [1, 2, 4]),
        ("@attr 1=4 köln", [2]),
        ("@attr 1=4 koln", [2]),
        ("@attr 1=4 xyzzy", []),
        ('@attr 1=4 ""', []),
        ("jazz", [1, 2, 3]),  # no use attribute: Any
        # structure: phrase, word, name: adjacent in order; word list: anywhere
        ('@attr 1=4 "blue note"', [2]),
        ('@attr 1=4 @attr 4=1 "blue note"', [2]),
        ('@attr 1=4 @attr 4=2 "blue note"', [2]),
        ('@attr 1=4 @attr 4=101 "blue note"', [2]),
        ('@attr 1=4 "note blue"', []),
        ('@attr 1=4 @attr 4=6 "note blue"', [2]),
        ('@attr 1=4 @attr 4=6 "blue concerts"', [4]),
        # position: first in field
        ("@attr 1=4 @attr 3=1 blue", [2, 4]),
        ("@attr 1=4 @attr 3=3 blue", [1, 2, 4]),
        # completeness: complete subfield, complete field
        ('@attr 1=4 @attr 6=3 "the kind of blue"', [1]),
        ('@attr 1=4 @attr 6=3 "kind of blue"', []),
        ('@attr 1=1003 @attr 6=2 "davis miles"', [1]),
        ('@attr 1=1003 @attr 6=3 "davis miles"', []),
        ('@attr 1=1003 @attr 6=3 "Davis, Miles, 1926-1991."', [1]),
        ("@attr 1=21 @attr 6=2 jazz", [1]),
        ('@attr 1=21 @attr 6=3 "jazz vocals"', [2]),
        ('@attr 1=21 @attr 6=3 @attr 5=1 "jazz"', [1, 2]),
        # truncation
        ("@attr 1=4 @attr 5=1 blu", [1, 2, 4, 5]),
        ("@attr 1=4 @attr 5=2 ues", [5]),
        ("@attr 1=4 @attr 5=3 lue", [1, 2, 4, 5]),
        ("@attr 1=4 @attr 5=100 blu", []),
        ("@attr 1=4 @attr 5=101 bl#s", [5]),
        ("@attr 1=4 @attr 5=101 #ird", [3]),
        ('@attr 1=4 @attr 5=104 "bl#e"', [1, 2, 4]),
        ('@attr 1=4 @attr 5=104 "blue?"', [1, 2, 4, 5]),
        ('@attr 1=4 @attr 5=104 "blu?1"', [1, 2, 4]),
        ('@attr 1=4 @attr 5=102 "blu.*"', [1, 2, 4, 5]),
        ('@attr 1=4 @attr 5=102 "b[a-k]rd"', [3]),
        ('@attr 1=4 @attr 5=1 "blue no"', [2]),
        ('@attr 1=4 @attr 5=2 "ue note"', [2]),
        ('@attr 1=4 @attr 5=1 @attr 4=6 "blu conc"', [2, 4]),
        # relations on numbers (structure 4 year or 109 numeric string)
        ("@attr 1=31 1959", [1]),
        ("@attr 1=31 1987", [3]),  # no date in 008: the imprint's year
        ("@attr 1=31 @attr 2=1 @attr 4=109 1980", [1, 2]),
        ("@attr 1=31 @attr 2=2 @attr 4=109 1975", [1, 2]),
        ("@attr 1=31 @attr 2=3 @attr 4=109 1975", [2]),
        ("@attr 1=31 @attr 2=4 @attr 4=4 1987", [3, 4, 5]),
        ("@attr 1=31 @attr 2=5 @attr 4=109 1990", [5]),
        ("@attr 1=31 @attr 2=6 @attr 4=109 1959", [2, 3, 4, 5]),
        ("@attr 1=31 @attr 4=109 01959", [1]),
        # relevance is accepted; "always matches" finds whatever is in the index
        ("@attr 1=4 @attr 2=102 blue", [1, 2, 4]),
        ("@attr 1=7 @attr 2=103 x", [1]),
        ('@attr 1=_ALLRECORDS @attr 2=103 ""', [1, 2, 3, 4, 5]),
        # use attributes by name, as Zebra's bib1.att spells them (any case)
        ("@attr 1=Title blue", [1, 2, 4]),
        ("@attr 1=author-name-personal davis", [1]),
        # standard numbers, in any spelling
        ("@attr 1=7 9780306406157", [1]),
        ("@attr 1=7 0-306-40615-2", [1]),
        ("@attr 1=7 @attr 5=1 030640", [1]),
        ("@attr 1=8 0012-5768", [2]),
        ("@attr 1=8 00125768", [2]),
        ("@attr 1=1007 074646123456", [2]),
        ("@attr 1=1007 0306406152", [1]),
        ("@attr 1=9 59-12345", [1]),
        ("@attr 1=12 REC-3", [3]),
        ("@attr 1=13 781.65", [1]),
        ("@attr 1=16 M1366", [1]),
        ('@attr 1=20 "ML419.D39 K56"', [1]),
        ("@attr 1=54 ger", [4]),
        ("@attr 1=1018 columbia", [1]),
        ("@attr 1=5 bebop", [3]),
        ("@attr 1=2 savoy", [3]),
        ("@attr 1=3 monterey", [3]),
        ("@attr 1=63 recorded", [1]),
        # booleans
        ("@and @attr 1=4 blue @attr 1=31 1959", [1]),
        ("@or @attr 1=4 bird @attr 1=4 blues", [3, 5]),
        ("@not @attr 1=4 blue @attr 1=4 koln", [1, 4]),
        ("@and @attr 1=4 blue @or @attr 1=54 fre @attr 1=54 ger", [2, 4]),
        ("@or @and @attr 1=4 blue @attr 1=54 eng @not jazz @attr 1=4 bird", [1, 2]),
        # proximity in words within one field
        ("@prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note", [2]),
        ("@prox 0 1 1 2 k 2 @attr 1=4 note @attr 1=4 blue", []),
        ("@prox 0 1 0 2 k 2 @attr 1=4 note @attr 1=4 blue", [2]),
        ("@prox 0 2 1 2 k 2 @attr 1=4 blue @attr 1=4 live", [2]),
        ("@prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 live", []),
        ("@prox 0 2 1 3 k 2 @attr 1=4 blue @attr 1=4 live", [2]),
        ("@prox 0 2 1 1 k 2 @attr 1=4 blue @attr 1=4 live", []),
        ("@prox 0 1 1 5 k 2 @attr 1=4 blue @attr 1=4 koln", [2]),
        ("@prox 0 1 1 6 k 2 @attr 1=4 blue @attr 1=4 note", []),
        ("@prox 1 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note", []),
        ("@prox 1 1 1 2 k 2 @attr 1=1016 blue @attr 1=1016 concert", [2]),
        ("@prox 0 9 0 2 k 2 @attr 1=1003 davis @attr 1=1003 coltrane", []),
        ("@prox 0 1 1 2 k 2 @attr 1=4 bird @attr 1=4 xyzzy", []),
        ('@prox 0 1 1 2 k 2 @attr 1=4 "blue note" @attr 1=4 live', [2]),
        (
            "@prox 0 1 1 2 k 2 @prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note @attr 1=4 live",
            [2],
        ),
    ],
)
def test_search(search: Search, pqf: str, ids: list[int]) -> None:
    assert search(pqf) == ids


@pytest.mark.parametrize(
    ("pqf", "code", "addinfo"),
    [
        ("@attr 1=9999 jazz", 114, "9999"),
        ("@attr 1=nonsense jazz", 114, "nonsense"),
        ("@attr 2=7 jazz", 117, "7"),
        ("@attr 2=100 jazz", 117, "100"),
        ("@attr 1=31 @attr 2=4 1990", 117, "4"),  # a relation needs structure 4 or 109
        ("@attr 2=x jazz", 117, "x"),
        ("@attr 3=2 jazz", 119, "2"),
        ("@attr 4=3 jazz", 118, "3"),
        ("@attr 5=103 jazz", 120, "103"),
        ("@attr 6=4 jazz", 122, "4"),
        ("@attr 7=1 jazz", 113, "7"),
        ("@attr exp1 1=4 jazz", 121, "1.2.840.10003.3.2"),
        ("@attrset exp1 @attr 1=4 jazz", 121, "1.2.840.10003.3.2"),
        ("@attr 1=31 @attr 4=109 nineteen", 126, ""),
        ('@attr 1=4 @attr 5=102 "blu("', 125, ""),
        ('@attr 1=4 @attr 5=104 "blu?99999999999"', 125, ""),
        ('@attr 1=4 @attr 5=102 "(a+)+b"', 125, ""),  # could backtrack for minutes
        ("@and @set old @attr 1=4 jazz", 18, "old"),
        ("@prox 0 1 1 2 k 3 @attr 1=4 blue @attr 1=4 note", 132, "3"),
        ("@prox 0 1 1 2 p 2 @attr 1=4 blue @attr 1=4 note", 132, "private unit 2"),
        ("@prox 0 1 1 7 k 2 @attr 1=4 blue @attr 1=4 note", 131, "7"),
        ("@prox 0 1 1 2 k 2 @set old @attr 1=4 note", 18, "old"),
        ("@prox 0 1 1 2 k 2 @and @attr 1=4 a @attr 1=4 b @attr 1=4 c", 3, ""),
        ('@prox 0 1 1 2 k 2 @attr 4=6 "a b" @attr 1=4 c', 3, ""),
        ('@prox 0 1 1 2 k 2 @attr 6=3 "a b" @attr 1=4 c', 3, ""),
    ],
)
def test_diagnostics(search: Search, pqf: str, code: int, addinfo: str) -> None:
    with pytest.raises(BackendError) as raised:
        search(pqf)
    assert raised.value.diagnostic.code == code
    assert raised.value.diagnostic.addinfo.startswith(addinfo)


@pytest.mark.parametrize("term_type", [TermType.OID, TermType.DATETIME, TermType.NULL])
def test_term_types_other_than_strings_and_numbers_are_229(
    store: CatalogStore, term_type: TermType
) -> None:
    with pytest.raises(BackendError) as raised:
        run_search(store, Query(Term("1.2.3", term_type=term_type)))
    assert raised.value.diagnostic.code == 229


def test_a_negative_proximity_distance_is_202(store: CatalogStore) -> None:
    near = Operator(OperatorKind.PROX, Term("blue"), Term("note"), Proximity(distance=-1))
    with pytest.raises(BackendError) as raised:
        run_search(store, Query(near))
    assert raised.value.diagnostic.code == 202


def test_a_numeric_term_searches_as_its_digits(store: CatalogStore) -> None:
    term = Term("1959", (AttributeElement(1, 31),), TermType.NUMERIC)
    assert list(run_search(store, Query(term))) == [1]


def test_too_long_a_term_is_11(store: CatalogStore) -> None:
    with pytest.raises(BackendError) as raised:
        run_search(store, Query(Term("x" * 5000)))
    assert raised.value.diagnostic.code == 11


def test_too_deep_a_query_is_6_not_a_crash(store: CatalogStore) -> None:
    node: Node = Term("blue")
    for _ in range(MAX_DEPTH + 1):
        node = Operator(OperatorKind.OR, Term("blue"), node)
    with pytest.raises(BackendError) as raised:
        run_search(store, Query(node))
    assert raised.value.diagnostic.code == 6


def test_deep_but_allowed_queries_run_in_one_statement(store: CatalogStore) -> None:
    node: Node = Term("bird", (AttributeElement(1, 4),))
    for _ in range(MAX_DEPTH - 1):
        node = Operator(OperatorKind.OR, Term("xyzzy"), node)  # right-deep: nested in SQL
    assert list(run_search(store, Query(node))) == [3]


def test_relevance_ranks_records_with_more_matches_first(search: Search) -> None:
    # Record 2 has "blue" and "concert" twice (title and name-title); 1 and 4 only "blue".
    ranked = "@or @attr 1=4 @attr 2=102 blue @attr 1=4 @attr 2=102 concert"
    assert search(ranked) == [2, 1, 4]
    assert search("@or @attr 1=4 blue @attr 1=4 concert") == [1, 2, 4]


def test_the_last_attribute_of_a_type_wins(store: CatalogStore) -> None:
    term = Term("bird", (AttributeElement(1, 1003), AttributeElement(1, 4)))
    assert list(run_search(store, Query(term))) == [3]


def test_a_bib1_attribute_set_given_by_oid_is_bib1(store: CatalogStore) -> None:
    term = Term("bird", (AttributeElement(1, 4, BIB1),))
    assert list(run_search(store, Query(term, attribute_set=BIB1))) == [3]


# --- no input makes it raise anything but BackendError ------------------------------------------


@pytest.fixture(scope="module", params=STORES)
def fuzz_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CatalogStore]:
    location = fresh_location(request.param, tmp_path_factory.mktemp("fuzz"), request)
    with open_store(location) as store:
        import_data(iso2709(*CATALOGUE), store)
        yield store


_values = st.integers(min_value=-5, max_value=1100) | st.sampled_from(
    ["_ALLRECORDS", "title", "any", "x", ""]
)
_elements = st.builds(
    AttributeElement,
    st.integers(min_value=0, max_value=8),
    _values,
    st.sampled_from([None, None, None, BIB1, "1.2.840.10003.3.2"]),
)
_terms = st.builds(
    Term,
    st.text(max_size=12) | st.sampled_from(["blue", "blue note", "bl#e", "b?1", "[", "("]),
    st.lists(_elements, max_size=6).map(tuple),
    st.sampled_from(list(TermType)),
)
_leaves: st.SearchStrategy[Node] = _terms | st.builds(ResultSetId, st.text(max_size=3))
_proximities = st.builds(
    Proximity,
    st.sampled_from([None, True, False]),
    st.integers(min_value=-2, max_value=4),
    st.booleans(),
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=0, max_value=12),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rpn_trees(_leaves, _proximities, max_leaves=6), st.sampled_from([BIB1, "1.2.3"]))
def test_arbitrary_queries_raise_nothing_but_backend_errors(
    fuzz_store: CatalogStore, root: Node, attribute_set: str
) -> None:
    try:
        ids = run_search(fuzz_store, Query(root, attribute_set))
    except BackendError:
        return
    assert len(ids) == len(set(ids))
    assert set(ids) <= {1, 2, 3, 4, 5}
