"""Sorting result sets by title, author, date and local number."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfnet.backend import BackendError
from shelfnet.catalog.importer import import_data
from shelfnet.catalog.sort import sort_ids
from shelfnet.catalog.store import CatalogStore
from shelfnet.z3950.events import SortKey
from tests.unit.catalog.conftest import NewStore
from tests.unit.catalog.records import field, fixed, iso2709, make

ALL = [1, 2, 3, 4, 5]
# Titles without nonfiling articles: "kind of blue" (1), "Blue note live at Koln the
# concert" (2), "Charlie Parkers bird songs..." (3), "Blue Ellington" (4), "Anonymous blues" (5).
BY_TITLE = [5, 4, 2, 3, 1]


def key(use: int, *, descending: bool = False, case_sensitive: bool = False) -> SortKey:
    return SortKey(attributes=((1, use),), descending=descending, case_sensitive=case_sensitive)


@pytest.mark.parametrize(
    ("keys", "ids"),
    [
        ([key(4)], BY_TITLE),
        ([key(4, descending=True)], BY_TITLE[::-1]),
        # Authors: Davis (1), Blue Note Orchestra (2), Newport Jazz Festival (3),
        # Ellington (4); record 5 has none and goes last either way.
        ([key(1003)], [2, 1, 4, 3, 5]),
        ([key(1003, descending=True)], [3, 4, 1, 2, 5]),
        ([key(31)], [1, 2, 3, 4, 5]),
        ([key(31, descending=True)], [5, 4, 3, 2, 1]),
        ([key(12, descending=True)], [4, 3, 2, 1, 5]),
        ([SortKey(field="title")], BY_TITLE),
        ([SortKey(field="1=31", descending=True)], [5, 4, 3, 2, 1]),
    ],
)
def test_sort(store: CatalogStore, keys: list[SortKey], ids: list[int]) -> None:
    assert sort_ids(store, ALL, keys) == ids


def test_case_insensitive_unless_asked(tmp_path: Path, new_store: NewStore) -> None:
    records = [make(field("245", "00", "a", "apple")), make(field("245", "00", "a", "Banana"))]
    with new_store() as store:
        import_data(iso2709(*records), store)
        assert sort_ids(store, [1, 2], [key(4)]) == [1, 2]
        assert sort_ids(store, [1, 2], [key(4, case_sensitive=True)]) == [2, 1]


def test_later_keys_break_ties_and_ties_keep_their_order(
    tmp_path: Path, new_store: NewStore
) -> None:
    records = [
        make(field("245", "00", "a", "Same title"), fixed("1999", "eng")),
        make(field("245", "00", "a", "same title"), fixed("1970", "eng")),
        make(field("245", "00", "a", "Other title"), fixed("1970", "eng")),
    ]
    with new_store() as store:
        import_data(iso2709(*records), store)
        assert sort_ids(store, [1, 2, 3], [key(4), key(31)]) == [3, 2, 1]
        assert sort_ids(store, [1, 2, 3], [key(4)]) == [3, 1, 2]
        assert sort_ids(store, [2, 1, 3], [key(4)]) == [3, 2, 1]


@pytest.mark.parametrize(
    ("sort_key", "code"),
    [
        (key(21), 207),
        (SortKey(field="shelf order"), 207),
        (SortKey(attributes=((4, 1),)), 207),
        (SortKey(attributes=((1, 4),), attribute_set="1.2.840.10003.3.2"), 121),
    ],
)
def test_unsupported_sort_keys(store: CatalogStore, sort_key: SortKey, code: int) -> None:
    with pytest.raises(BackendError) as raised:
        sort_ids(store, ALL, [sort_key])
    assert raised.value.diagnostic.code == code
