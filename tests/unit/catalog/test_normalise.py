"""Index terms are folded the same way for records and for queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.catalog import identifiers
from shelfnet.catalog.normalise import (
    display,
    fold,
    fold_pattern,
    masked_words,
    phrase,
    sort_form,
    words,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Köln", "koln"),
        ("KÖLN", "koln"),
        ("École", "ecole"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),  # compatibility ligature
        ("İstanbul", "istanbul"),  # case folding makes a combining dot; it goes too
    ],
)
def test_folding_removes_case_and_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kind of Blue", ["kind", "of", "blue"]),
        ("Ellington's U.S.A. tour", ["ellingtons", "usa", "tour"]),
        ("jazz-rock fusion", ["jazz", "rock", "fusion"]),
        ("Manhattan Records/Blue Note", ["manhattan", "records", "blue", "note"]),
        ("Davis, Miles, 1926-1991.", ["davis", "miles", "1926", "1991"]),
        ("C++ and rock + roll", ["c++", "and", "rock", "roll"]),
        ("Aus Köln — live", ["aus", "koln", "live"]),
        ("  ", []),
    ],
)
def test_words_split_at_spaces_dashes_and_slashes_and_lose_punctuation(
    text: str, expected: list[str]
) -> None:
    assert words(text) == expected


def test_a_phrase_is_its_words_joined_by_single_spaces() -> None:
    assert phrase("  Blue  note: live!  ") == "blue note live"


def test_masked_words_keep_their_masks() -> None:
    assert masked_words("Bl#e no?3 Köln", "#?") == ["bl#e", "no?3", "koln"]


def test_patterns_fold_literals_but_keep_escapes() -> None:
    assert fold_pattern(r"BLU\D+É") == r"blu\D+e"


def test_sort_form_keeps_case_but_not_diacritics_or_punctuation() -> None:
    assert sort_form("Dvořák, Antonín.") == "Dvorak Antonin"


def test_display_drops_isbd_punctuation_at_the_end() -> None:
    assert display("Davis, Miles,  1926-1991.") == "Davis, Miles, 1926-1991"


@given(st.text())
def test_words_are_folded_and_folding_them_again_changes_nothing(text: str) -> None:
    found = words(text)
    assert all(word and not any(c.isspace() for c in word) for word in found)
    assert words(" ".join(found)) == found
    assert phrase(phrase(text)) == phrase(text)


# --- standard numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "forms"),
    [
        ("0-306-40615-2 (pbk.)", ["0306406152", "9780306406157"]),
        ("978-0-306-40615-7", ["9780306406157", "0306406152"]),
        ("089898551X", ["089898551x", "9780898985511"]),
        ("9791234567896", ["9791234567896"]),  # 979 has no ISBN-10
        ("no number here", []),
    ],
)
def test_isbns_are_indexed_in_both_forms(text: str, forms: list[str]) -> None:
    assert identifiers.isbn_forms(text) == forms


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_isbn_10_to_13_and_back_is_the_same_number(body: str) -> None:
    ten = next(f for f in identifiers.isbn_forms(body + "0") if len(f) == 10)
    thirteen = identifiers.isbn_13(ten)
    assert thirteen is not None
    assert identifiers.isbn_forms(thirteen)[1][:9] == body


@pytest.mark.parametrize(
    ("text", "number"),
    [("0012-5768", "00125768"), ("ISSN 1494-939x", "1494939x"), ("12-34", None)],
)
def test_issns_lose_their_hyphen(text: str, number: str | None) -> None:
    assert identifiers.issn(text) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("n78-890351", "n78890351"),
        ("   85-2 ", "85000002"),
        ("75-425165//r75", "75425165"),
        ("   59012345 ", "59012345"),
        ("   ", None),
    ],
)
def test_lccns_are_normalised_as_lc_does(text: str, number: str | None) -> None:
    assert identifiers.lccn(text) == number
