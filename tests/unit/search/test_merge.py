"""Clustering records of one book from many targets (``shelfnet.search.merge``)."""

from __future__ import annotations

import pymarc
from hypothesis import given
from hypothesis import strategies as st
from pymarc import Field, Subfield

from shelfnet.search.engine import FoundRecord
from shelfnet.search.merge import Merger, description_key, match_keys


def record(*fields: Field, date: str = "1959") -> pymarc.Record:
    made = pymarc.Record()
    made.add_field(Field(tag="008", data=f"991231s{date}    nyu           000 0 eng d"))
    for field in fields:
        made.add_field(field)
    return made


def df(tag: str, *pairs: str, indicators: tuple[str, str] = (" ", " ")) -> Field:
    codes = pairs[0::2]
    values = pairs[1::2]
    return Field(
        tag=tag,
        indicators=list(indicators),
        subfields=[Subfield(code, value) for code, value in zip(codes, values, strict=True)],
    )


def found(target: str, made: pymarc.Record, position: int = 1) -> FoundRecord:
    return FoundRecord(target, position, made, b"", "usmarc")


KIND_OF_BLUE = record(
    df("020", "a", "0-306-40615-2 (pbk.)"),
    df("100", "a", "Davis, Miles."),
    df("245", "a", "Kind of blue /", "c", "Miles Davis.", indicators=("1", "0")),
)


def test_isbn_10_and_13_are_one_key() -> None:
    other = record(df("020", "a", "9780306406157"), df("245", "a", "Something else"))
    assert "isbn:9780306406157" in match_keys(KIND_OF_BLUE)
    assert "isbn:9780306406157" in match_keys(other)


def test_standard_numbers_and_the_description_key() -> None:
    made = record(
        df("010", "a", "   85-153773 "),
        df("022", "a", "0012-5768"),
        df("035", "a", "(OCoLC)ocm00012345"),
        df("245", "a", "The Köln concert.", indicators=("1", "4")),
        df("250", "a", "2nd ed."),
        df("110", "a", "ECM Records"),
        date="1975",
    )
    assert match_keys(made) == [
        "issn:00125768",
        "lccn:85153773",
        "oclc:12345",
        "tad:koln concert|ecm|1975|2",
    ]
    assert description_key(record()) is None


def test_records_sharing_any_key_share_a_cluster_and_keep_their_sources() -> None:
    merger = Merger()
    same_isbn = record(df("020", "a", "9780306406157"), df("245", "a", "Kind of blue"))
    unrelated = record(df("245", "a", "A love supreme"), df("100", "a", "Coltrane, John."))
    first = merger.add(found("LC", KIND_OF_BLUE))
    assert merger.add(found("Yale", same_isbn)) is first
    merger.add(found("LC", unrelated, 2))
    assert len(merger) == 2
    assert first.targets == ["LC", "Yale"]


def test_a_record_linking_two_clusters_merges_them() -> None:
    merger = Merger()
    by_isbn = record(df("020", "a", "0306406152"), df("245", "a", "Title one"))
    by_oclc = record(df("035", "a", "(OCoLC)99"), df("245", "a", "Title two"))
    both = record(df("020", "a", "0306406152"), df("035", "a", "(OCoLC)99"), df("245", "a", "x"))
    merger.add(found("A", by_isbn))
    merger.add(found("B", by_oclc))
    assert len(merger) == 2
    merged = merger.add(found("C", both))
    assert len(merger) == 1 and merged.targets == ["A", "B", "C"]
    assert merger.cluster_of(2) is merged


_isbns = st.sampled_from(["0306406152", "9780306406157", "0863693180", "089898551X", ""])


@given(st.lists(st.tuples(_isbns, st.sampled_from(["a", "b", "c"])), max_size=30))
def test_clusters_are_the_connected_components_of_shared_keys(
    items: list[tuple[str, str]],
) -> None:
    merger = Merger()
    for number, (isbn, title) in enumerate(items):
        fields = [df("245", "a", f"Title {title}")]
        if isbn:
            fields.append(df("020", "a", isbn))
        merger.add(found("T", record(*fields), number))
    assert sum(len(c.records) for c in merger.clusters) == len(items)
    for cluster in merger.clusters:
        for other in merger.clusters:
            if other is not cluster:
                assert not (cluster.keys & other.keys)
