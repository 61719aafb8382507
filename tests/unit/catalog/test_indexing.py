"""Which parts of a record feed which Bib-1 index, and in what form."""

from __future__ import annotations

import pytest
from pymarc import Record

from shelfnet.catalog.indexing import POSITION_BITS, Kind, Use, index_record, query_terms
from tests.unit.catalog.records import (
    BIRD,
    BLUE_NOTE,
    KIND_OF_BLUE,
    NO_AGENCY,
    NO_CONTROL_NUMBER,
    control,
    field,
    fixed,
    make,
)


def terms(record: Record, use: Use, kind: Kind = Kind.WORD) -> set[str]:
    return {t for u, k, t, _loc in index_record(record).postings if u == use and k == kind}


@pytest.mark.parametrize(
    ("record", "use", "present", "absent"),
    [
        # titles: 245 without $c and $h; series, uniform and added titles; name-title $t
        (KIND_OF_BLUE, Use.TITLE, {"kind", "blue", "jazz", "masters"}, {"miles", "sound"}),
        (BLUE_NOTE, Use.TITLE, {"koln", "concert", "series"}, {"kolner"}),
        (BIRD, Use.TITLE, {"parkers", "yardbird", "bebop"}, {"newport", "ornithology"}),
        (NO_AGENCY, Use.TITLE_UNIFORM, {"concerts"}, {"blue"}),
        (KIND_OF_BLUE, Use.TITLE_SERIES, {"jazz", "masters"}, {"kind"}),
        (BIRD, Use.TITLE_SERIES, {"bebop", "classics"}, {"bird"}),
        # names
        (KIND_OF_BLUE, Use.AUTHOR, {"davis", "coltrane", "1926"}, {"prf"}),
        (BLUE_NOTE, Use.AUTHOR, {"orchestra", "kolner"}, {"concert"}),
        (BIRD, Use.AUTHOR, {"newport"}, {"parker"}),  # 600 is a subject, not an author
        (BIRD, Use.PERSONAL_NAME, {"parker", "charlie"}, {"newport"}),
        (KIND_OF_BLUE, Use.AUTHOR_NAME_PERSONAL, {"davis", "coltrane"}, set()),
        (BIRD, Use.AUTHOR_NAME_PERSONAL, set(), {"parker"}),
        (BLUE_NOTE, Use.AUTHOR_NAME_CORPORATE, {"orchestra", "philharmonie"}, set()),
        (BIRD, Use.CORPORATE_NAME, {"savoy"}, set()),
        (BIRD, Use.CONFERENCE_NAME, {"newport", "monterey"}, set()),
        (BIRD, Use.AUTHOR_NAME_CONFERENCE, {"newport"}, {"monterey"}),
        # subjects, publisher, notes
        (KIND_OF_BLUE, Use.SUBJECT_HEADING, {"jazz", "1951", "1960"}, {"lcsh"}),
        (BIRD, Use.SUBJECT_HEADING, {"parker", "savoy", "monterey", "ornithology"}, set()),
        (BLUE_NOTE, Use.PUBLISHER, {"blue", "note", "records"}, {"paris"}),
        (KIND_OF_BLUE, Use.PUBLISHER, {"columbia"}, {"york"}),
        (KIND_OF_BLUE, Use.NOTE, {"recorded"}, set()),
        # Any: headings, ISBN and ISSN; not notes, imprint or control numbers
        (KIND_OF_BLUE, Use.ANY, {"kind", "miles", "sound", "jazz", "masters", "0"}, set()),
        (KIND_OF_BLUE, Use.ANY, set(), {"recorded", "columbia", "rec", "m1366"}),
        # numbers and codes
        (KIND_OF_BLUE, Use.ISBN, {"0306406152", "9780306406157"}, set()),
        (BLUE_NOTE, Use.ISSN, {"00125768"}, set()),
        (KIND_OF_BLUE, Use.LC_CARD_NUMBER, {"59012345"}, set()),
        (KIND_OF_BLUE, Use.LOCAL_NUMBER, {"rec-1"}, set()),
        (BLUE_NOTE, Use.IDENTIFIER_STANDARD, {"00125768", "074646123456"}, set()),
        (KIND_OF_BLUE, Use.IDENTIFIER_STANDARD, {"0306406152", "9780306406157"}, set()),
        (KIND_OF_BLUE, Use.DEWEY_CLASSIFICATION, {"78165"}, {"22"}),
        (KIND_OF_BLUE, Use.LC_CALL_NUMBER, {"m1366", "d38"}, set()),
        (KIND_OF_BLUE, Use.LOCAL_CLASSIFICATION, {"ml419d39", "k56"}, {"bc0001"}),
        (BLUE_NOTE, Use.LOCAL_CLASSIFICATION, {"ml", "3506", "b5"}, set()),
        (BIRD, Use.LOCAL_CLASSIFICATION, {"78165", "par"}, set()),
        (NO_AGENCY, Use.LOCAL_CLASSIFICATION, {"ml410", "e44"}, set()),
        (BLUE_NOTE, Use.CODE_LANGUAGE, {"fre"}, set()),
        # dates: 008/07-10, else the imprint year
        (KIND_OF_BLUE, Use.DATE_OF_PUBLICATION, {"1959"}, set()),
        (BIRD, Use.DATE_OF_PUBLICATION, {"1987"}, set()),
        (BIRD, Use.DATE, {"1987"}, set()),
    ],
)
def test_access_points(record: Record, use: Use, present: set[str], absent: set[str]) -> None:
    found = terms(record, use)
    assert present <= found
    assert not absent & found


def test_class_numbers_lose_their_points_in_the_index_and_in_queries_alike() -> None:
    assert terms(KIND_OF_BLUE, Use.DEWEY_CLASSIFICATION) == {"78165"}
    assert query_terms(Use.DEWEY_CLASSIFICATION, "781.65") == ["78165"]
    assert terms(KIND_OF_BLUE, Use.DEWEY_CLASSIFICATION, Kind.FIELD) == {"78165"}


def test_date_has_both_coded_dates_and_the_imprint_years() -> None:
    record = make(
        fixed("1959", "eng", date2="1960"),
        field("245", "00", "a", "Reissue."),
        field("260", "  ", "c", "[1962], c1959."),
    )
    assert terms(record, Use.DATE) == {"1959", "1960", "1962"}
    assert terms(record, Use.DATE_OF_PUBLICATION) == {"1959"}


def test_headings_are_kept_whole_per_field_and_per_subfield() -> None:
    assert terms(KIND_OF_BLUE, Use.AUTHOR, Kind.FIELD) == {
        "davis miles 1926 1991",
        "coltrane john 1926 1967",
    }
    assert "davis miles" in terms(KIND_OF_BLUE, Use.AUTHOR, Kind.SUBFIELD)
    assert terms(KIND_OF_BLUE, Use.SUBJECT_HEADING, Kind.FIELD) == {"jazz 1951 1960"}


def test_words_of_one_field_are_adjacent_and_fields_are_apart() -> None:
    postings = [
        (term, loc)
        for use, kind, term, loc in index_record(KIND_OF_BLUE).postings
        if use == Use.AUTHOR and kind == Kind.WORD
    ]
    locs = dict(postings)
    assert locs["miles"] == locs["davis"] + 1
    assert locs["davis"] >> POSITION_BITS != locs["coltrane"] >> POSITION_BITS
    assert locs["davis"] & ((1 << POSITION_BITS) - 1) == 0


def test_sort_keys_skip_nonfiling_characters_and_keep_case() -> None:
    keys = index_record(KIND_OF_BLUE).sort_keys
    assert keys[Use.TITLE] == "kind of blue"
    assert keys[Use.AUTHOR] == "Davis Miles 1926 1991"
    assert keys[Use.DATE_OF_PUBLICATION] == "1959"
    assert keys[Use.LOCAL_NUMBER] == "rec-1"
    assert Use.LOCAL_NUMBER not in index_record(NO_CONTROL_NUMBER).sort_keys
    assert index_record(BIRD).sort_keys[Use.DATE_OF_PUBLICATION] == "1987"


def test_a_record_with_nothing_indexable_has_no_postings() -> None:
    assert index_record(make(control("005", "20240101000000.0"))).postings == []


@pytest.mark.parametrize(
    ("use", "text", "expected"),
    [
        (Use.ISBN, "0-306-40615-2", ["0306406152"]),
        (Use.ISBN, "030640", ["030640"]),  # a start for truncation, not an ISBN yet
        (Use.ISSN, "0012-5768", ["00125768"]),
        (Use.LOCAL_NUMBER, "REC-1", ["rec-1"]),
        (Use.IDENTIFIER_STANDARD, "0012-5768", ["00125768"]),
        (Use.TITLE, "Blue Note!", ["blue", "note"]),
    ],
)
def test_query_terms_are_folded_like_the_index(use: Use, text: str, expected: list[str]) -> None:
    assert query_terms(use, text) == expected
