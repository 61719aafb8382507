"""Scan lists: terms in index order with record counts, placed around the start term."""

from __future__ import annotations

import pytest

from shelfnet.backend import BackendError, ScanResult
from shelfnet.catalog.scan import scan_index
from shelfnet.catalog.store import CatalogStore
from shelfnet.query.rpn import AttributeElement, Term

TITLE_WORDS = [
    "anonymous",
    "at",
    "bebop",
    "bird",
    "blue",
    "blues",
    "c++",
    "charlie",
    "classics",
    "collection",
    "concert",
    "concerts",
]


def scan(
    store: CatalogStore, term: str, number: int, position: int, *attributes: int
) -> ScanResult:
    pairs = zip(attributes[0::2], attributes[1::2], strict=True)
    start = Term(term, tuple(AttributeElement(t, v) for t, v in pairs))
    return scan_index(store, start, number, position)


def terms(result: ScanResult) -> list[str]:
    return [entry.term for entry in result.entries]


def test_words_come_in_index_order_with_their_record_counts(store: CatalogStore) -> None:
    result = scan(store, "a", 12, 1, 1, 4)
    assert terms(result) == TITLE_WORDS
    counts = {entry.term: entry.count for entry in result.entries}
    assert counts["blue"] == 3 and counts["bird"] == 1 and counts["blues"] == 1
    assert result.position == 1


def test_the_start_term_stands_at_the_preferred_position(store: CatalogStore) -> None:
    result = scan(store, "blue", 5, 3, 1, 4)
    assert terms(result) == ["bebop", "bird", "blue", "blues", "c++"]
    assert result.position == 3


def test_a_missing_start_term_places_the_next_one(store: CatalogStore) -> None:
    result = scan(store, "bl", 3, 2, 1, 4)
    assert terms(result) == ["bird", "blue", "blues"]
    assert result.position == 2


def test_with_too_few_terms_before_the_list_is_filled_from_after(store: CatalogStore) -> None:
    # Only "12" (the series number in 490 $v) comes before "anonymous".
    result = scan(store, "anonymous", 4, 4, 1, 4)
    assert terms(result) == ["12", "anonymous", "at", "bebop"]
    assert result.position == 2


def test_position_after_the_last_entry_lists_only_preceding_terms(store: CatalogStore) -> None:
    result = scan(store, "blue", 2, 3, 1, 4)
    assert terms(result) == ["bebop", "bird"]
    assert result.position == 3


def test_past_the_end_of_the_index_the_list_is_short(store: CatalogStore) -> None:
    result = scan(store, "zzz", 5, 1, 1, 4)
    assert result.entries == [] and result.position == 1


def test_phrase_structure_scans_whole_headings_with_their_display_form(store: CatalogStore) -> None:
    result = scan(store, "davis", 2, 1, 1, 1003, 4, 1)
    assert terms(result) == ["davis miles 1926 1991", "ellington duke 1899 1974"]
    assert result.entries[0].display_term == "Davis, Miles, 1926-1991"


def test_complete_subfield_scans_subfields(store: CatalogStore) -> None:
    result = scan(store, "davis", 1, 1, 1, 1003, 6, 2)
    assert terms(result) == ["davis miles"]


def test_numbers_scan_in_their_normalised_form(store: CatalogStore) -> None:
    result = scan(store, "0", 3, 1, 1, 7)
    assert terms(result) == ["0306406152", "9780306406157"]


def test_zero_entries_is_an_empty_list(store: CatalogStore) -> None:
    assert scan(store, "blue", 0, 1, 1, 4).entries == []


@pytest.mark.parametrize(
    ("number", "position", "attributes", "code"),
    [
        (5, 0, (1, 4), 233),
        (5, 7, (1, 4), 233),
        (-1, 1, (1, 4), 228),
        (5, 1, (1, 9999), 114),
        (5, 1, (1, 4, 4, 3), 118),
        (5, 1, (1, 4, 7, 1), 113),
    ],
)
def test_scan_diagnostics(
    store: CatalogStore, number: int, position: int, attributes: tuple[int, ...], code: int
) -> None:
    with pytest.raises(BackendError) as raised:
        scan(store, "blue", number, position, *attributes)
    assert raised.value.diagnostic.code == code
