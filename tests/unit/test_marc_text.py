"""to_mnemonic / from_mnemonic: the MarcEdit-style line format, round-tripping."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc import DecodedMarc, MarcError, from_mnemonic, iter_marc, to_mnemonic

SHARED_MARC = Path(__file__).parents[2].parent / "shared" / "data" / "marc"


def sample_record() -> Record:
    record = Record()
    record.leader = Leader("00714cam a2200205 a 4500")
    record.fields = [
        Field(tag="001", data="ocm12345"),
        Field(tag="008", data="020121s1999    cau           000 0 eng d"),
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", "Title /"), Subfield("c", "Resp.")],
        ),
        Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", "Jazz.")]),
    ]
    return record


def test_records_are_written_one_field_a_line_with_backslash_blanks() -> None:
    assert to_mnemonic(sample_record()) == (
        "=LDR  00714cam a2200205 a 4500\n"
        "=001  ocm12345\n"
        "=008  020121s1999\\\\\\\\cau\\\\\\\\\\\\\\\\\\\\\\000\\0\\eng\\d\n"
        "=245  10$aTitle /$cResp.\n"
        "=650  \\0$aJazz.\n"
    )


def test_written_text_reads_back_as_the_same_record() -> None:
    record = sample_record()
    assert from_mnemonic(to_mnemonic(record)).as_dict() == record.as_dict()


def test_dollar_backslash_and_braces_in_data_are_written_as_mnemonics() -> None:
    record = Record()
    record.leader = Leader("00000nam a2200000 a 4500")
    record.fields = [
        Field(tag="001", data="a\\b {c}"),
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("c", "$5 {x} \\")]),
    ]
    text = to_mnemonic(record)
    assert "=001  a{bsol}b\\{lcub}c{rcub}\n" in text
    assert "=020  \\\\$c{dollar}5 {lcub}x{rcub} {bsol}\n" in text
    assert from_mnemonic(text).as_dict() == record.as_dict()


def test_control_characters_are_written_as_code_points() -> None:
    record = Record()
    record.leader = Leader("00000nam a2200000 a 4500")
    record.fields = [
        Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", "x\ny\x1bz")])
    ]
    text = to_mnemonic(record)
    assert "$ax{U+000A}y{U+001B}z" in text
    assert from_mnemonic(text).as_dict() == record.as_dict()


MARCEDIT_TEXT = """\
#=============================
# Hand-written, MarcEdit style
#=============================
=LDR  01070cem\\\\2200277Ia\\45e0
=001  ocm09773020\\
=034  1\\$aa$b10,000,000
=100  1\\$aMitchell, S. Augustus$q(Samuel Augustus),$d1792-1868.
=245  10$aNo. 15 map of Oregon /$cengraved to illustrate {esc} mnemonics.

"""


def test_a_marcedit_file_with_comments_and_backslashed_leader_is_read() -> None:
    record = from_mnemonic(MARCEDIT_TEXT)
    assert str(record.leader) == "01070cem  2200277Ia 45e0"
    assert record["001"].data == "ocm09773020 "
    assert record["034"].indicators == Indicators("1", " ")
    assert record["100"].get_subfields("q") == ["(Samuel Augustus),"]
    assert record["245"]["c"] == "engraved to illustrate {esc} mnemonics."


def test_a_single_space_after_the_tag_is_accepted() -> None:
    record = from_mnemonic("=LDR 00000nam a2200000 a 4500\n=245 00$aShort\n")
    assert record["245"]["a"] == "Short"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("=245  00$aNo leader\n", "no =LDR line"),
        ("=LDR  too short\n", "24 characters"),
        ("=LDR  00000nam a2200000 a 4500\nLDR\n", "line 2 is not"),
        ("=LDR  00000nam a2200000 a 4500\n=245  0\n", "two indicators"),
        ("=LDR  00000nam a2200000 a 4500\n=245  00a$bc\n", "before its first '\\$'"),
        ("=LDR  00000nam a2200000 a 4500\n=245  00$\n", "without a subfield code"),
    ],
)
def test_malformed_text_raises_marc_error(text: str, reason: str) -> None:
    with pytest.raises(MarcError, match=reason):
        from_mnemonic(text)


# Indicators are single characters other than the backslash, which means blank.
INDICATOR = st.sampled_from(" 0123456789abcz#|")
VALUE = st.text(st.characters(codec="utf-8"), max_size=30)
CODE = st.characters(codec="utf-8").filter(lambda code: code != "\\")


def data_fields() -> st.SearchStrategy[Field]:
    return st.builds(
        lambda tag, ind1, ind2, subfields: Field(
            tag=f"{tag:03d}", indicators=Indicators(ind1, ind2), subfields=subfields
        ),
        st.integers(10, 999),
        INDICATOR,
        INDICATOR,
        st.lists(st.builds(Subfield, CODE, VALUE), max_size=5),
    )


def control_fields() -> st.SearchStrategy[Field]:
    return st.builds(lambda tag, data: Field(tag=f"00{tag}", data=data), st.integers(1, 9), VALUE)


LEADER = st.text(st.sampled_from("0123456789abcdnmz |"), min_size=24, max_size=24)


@given(LEADER, st.lists(st.one_of(control_fields(), data_fields()), max_size=8))
def test_any_record_round_trips_through_mnemonic_text(leader: str, fields: list[Field]) -> None:
    record = Record()
    record.leader = Leader(leader)
    record.fields = list(fields)
    assert from_mnemonic(to_mnemonic(record)).as_dict() == record.as_dict()


def test_every_jazz_record_round_trips_through_mnemonic_text() -> None:
    path = SHARED_MARC / "jazz_1k.mrc"
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    records = [d.record for d in iter_marc(path.read_bytes()) if isinstance(d, DecodedMarc)]
    assert len(records) == 1000
    for record in records:
        assert from_mnemonic(to_mnemonic(record)).as_dict() == record.as_dict()
