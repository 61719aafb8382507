"""score_record: a documented record-quality score, every point of it explained."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc import DecodedMarc, decode_marc, quality, split_records
from shelfnet.marc.quality import DEFAULT_WEIGHTS, Contribution, Weights, score_record
from tests.peers import SHARED_MARC_DIR


def shared_record(name: str, position: int, control_number: str) -> Record:
    """Record ``position`` (0-based) of a shared MARC file, checked by its 001."""
    path = SHARED_MARC_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    with path.open("rb") as stream:
        for index, item in enumerate(split_records(stream)):
            if index == position:
                assert not isinstance(item, Exception), item
                decoded: DecodedMarc = decode_marc(item.data)
                assert decoded.record["001"].data == control_number
                return decoded.record
    raise AssertionError(f"{name} has no record {position}")


def built(leader: str = "00000nam a2200000 a 4500", *data: Field) -> Record:
    record = Record()
    record.leader = Leader(leader)
    record.fields = list(data)
    return record


def field(tag: str, indicators: str, *pairs: str) -> Field:
    """``field("020", "  ", "a", "0195038916")``."""
    subfields = [
        Subfield(code, value) for code, value in zip(pairs[0::2], pairs[1::2], strict=True)
    ]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def lines_of(record: Record, rule: str, weights: Weights = DEFAULT_WEIGHTS) -> list[str]:
    return [str(c) for c in score_record(record, weights).contributions if c.rule == rule]


# --- real records, scored by hand -----------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    file: str
    position: int
    control_number: str
    total: float
    explanation: list[str]


FULL_LC_RECORD = Pinned(
    "jazz_1k.mrc",
    990,
    "01-0250955",
    96,
    [
        "+20 full level (encoding level ' ')",
        "+5 cataloguing agency named (040 $a DLC)",
        "+10 Library of Congress record (040 DLC)",
        "+5 AACR 2 description (leader/18 'a')",
        "+10 LC call number ML'3477'S475'1987 (050)",
        "+8 4 LC subject headings (6XX second indicator 0)",
        "+5 valid ISBN 0195038916 (020 $a)",
        "+5 physical description (300 $a)",
        "+5 publisher and date (260 $b $c)",
        "+3 statement of responsibility (245 $c)",
        "+5 personal name main entry, surname form (100 first indicator '1')",
        "+10 22 data fields (010-899), 20 counted",
        "+5 fixed-length data with date 1 '1987' (008/07-10)",
    ],
)
MINIMAL_LOCAL_RECORD = Pinned(
    "jazz_1k.mrc",
    220,
    "03-0017131",
    -17.5,
    [
        "-10 minimal level (encoding level '7')",
        "-5 no cataloguing agency (040 $a/$c)",
        "-5 non-ISBD description (leader/18 ' ')",
        "-5 malformed LC call number '4493' (050 $a)",
        "-10 no LC subject headings (6XX second indicator 0), only 650 without a thesaurus",
        "+5 physical description (300 $a)",
        "+2.5 date but no publisher (260 $c)",
        "+5 personal name main entry, surname form (100 first indicator '1')",
        "+7.5 15 data fields (010-899)",
        "-2.5 fixed-length data without a valid date 1: '    ' (008/07-10)",
    ],
)
BAD_ISBN_RECORD = Pinned(
    "FSL.marc",
    26,
    "000538891",
    36.5,
    [
        "+20 full level (encoding level ' ')",
        "+5 cataloguing agency named (040 $a AM-YeHGA)",
        "-2.5 unknown descriptive cataloguing form (leader/18 'u')",
        "-10 no LC subject headings (6XX second indicator 0), only 653 without a thesaurus",
        "-5 1 invalid ISBN (020 $a 5-02-016536-2: check digit should be 0)",
        "+5 physical description (300 $a)",
        "+5 publisher and date (260 $b $c)",
        "+3 statement of responsibility (245 $c)",
        "+5 personal name main entry, surname form (100 first indicator '1')",
        "+6 12 data fields (010-899)",
        "+5 fixed-length data with date 1 '1989' (008/07-10)",
    ],
)
AUTHENTICATED_COPY_RECORD = Pinned(
    "hebrew.marc",
    19,
    "37695513",
    68,
    [
        "+20 full level (encoding level ' ')",
        "+5 cataloguing agency named (040 $a NN)",
        "+5 authenticated (042 lccopycat)",
        "+5 AACR 2 description (leader/18 'a')",
        "-5 malformed LC call number 'JUD BM674.6' (050 $a)",
        "+10 6 LC subject headings (6XX second indicator 0), 5 counted",
        "+5 physical description (300 $a)",
        "+5 publisher and date (260 $b $c)",
        "+3 statement of responsibility (245 $c)",
        "+10 24 data fields (010-899), 20 counted",
        "+5 fixed-length data with date 1 '1988' (008/07-10)",
    ],
)


@pytest.mark.parametrize(
    "pinned",
    [
        pytest.param(FULL_LC_RECORD, id="full-level LC record with subjects"),
        pytest.param(MINIMAL_LOCAL_RECORD, id="minimal-level local record"),
        pytest.param(BAD_ISBN_RECORD, id="ISBN with a wrong check digit"),
        pytest.param(AUTHENTICATED_COPY_RECORD, id="lccopycat record with a local call number"),
    ],
)
def test_real_records_score_as_checked_by_hand(pinned: Pinned) -> None:
    record = shared_record(pinned.file, pinned.position, pinned.control_number)
    score = score_record(record)
    assert score.explain() == pinned.explanation
    assert score.total == pinned.total


def test_a_full_level_lc_record_with_subjects_outranks_a_minimal_copy_of_it() -> None:
    pinned = FULL_LC_RECORD
    full = shared_record(pinned.file, pinned.position, pinned.control_number)
    minimal = copy.deepcopy(full)
    leader = str(full.leader)
    minimal.leader = Leader(leader[:17] + "7" + leader[18:])
    minimal.fields = [
        kept
        for kept in minimal.fields
        if not kept.tag.startswith("6") and kept.tag not in ("050", "300")
    ]

    full_score, minimal_score = score_record(full), score_record(minimal)

    assert full_score.total > minimal_score.total
    assert minimal_score.total == 25
    for score in (full_score, minimal_score):
        assert score.explain() == [str(c) for c in score.contributions]
        assert score.total == sum(c.points for c in score.contributions)
    assert minimal_score.explain() == [
        "-10 minimal level (encoding level '7')",
        "+5 cataloguing agency named (040 $a DLC)",
        "+10 Library of Congress record (040 DLC)",
        "+5 AACR 2 description (leader/18 'a')",
        "-10 no subject headings (6XX)",
        "+5 valid ISBN 0195038916 (020 $a)",
        "-5 no physical description (300 $a)",
        "+5 publisher and date (260 $b $c)",
        "+3 statement of responsibility (245 $c)",
        "+5 personal name main entry, surname form (100 first indicator '1')",
        "+7 14 data fields (010-899)",
        "+5 fixed-length data with date 1 '1987' (008/07-10)",
    ]


# --- rules on built records -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "number", "expected"),
    [
        ("020", "0195038916", "+5 valid ISBN 0195038916 (020 $a)"),
        ("020", "843202645X (pbk.)", "+5 valid ISBN 843202645X (020 $a)"),
        ("020", "978-0-19-503891-0", "+5 valid ISBN 978-0-19-503891-0 (020 $a)"),
        (
            "020",
            "9780195038915",
            "-5 1 invalid ISBN (020 $a 9780195038915: check digit should be 0)",
        ),
        ("020", "0195038917", "-5 1 invalid ISBN (020 $a 0195038917: check digit should be 6)"),
        ("020", "(pbk.)", "-5 1 invalid ISBN (020 $a '(pbk.)': not an ISBN-10 or ISBN-13)"),
        ("022", "0012-5768", "+5 valid ISSN 0012-5768 (022 $a)"),
        ("022", "1050-124X", "+5 valid ISSN 1050-124X (022 $a)"),
        ("022", "1050-1240", "-5 1 invalid ISSN (022 $a 1050-1240: check digit should be X)"),
    ],
)
def test_standard_numbers_are_checked_digit_by_digit(tag: str, number: str, expected: str) -> None:
    record = built("00000nas a2200000 a 4500", field(tag, "  ", "a", number))
    rule = "isbn" if tag == "020" else "issn"
    assert lines_of(record, rule) + lines_of(record, f"invalid_{rule}") == [expected]


def test_a_cancelled_isbn_in_020_z_costs_nothing() -> None:
    record = built("00000nam a2200000 a 4500", field("020", "  ", "z", "0195038917"))
    assert lines_of(record, "invalid_isbn") == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("ML3506 .G5 1996", "+10 LC call number ML3506 .G5 1996 (050)"),
        ("BX'830'1511'A3", "+10 LC call number BX'830'1511'A3 (050)"),
        ("3489 V.96", "-5 malformed LC call number '3489 V.96' (050 $a)"),
        ("IX100", "-5 malformed LC call number 'IX100' (050 $a)"),
    ],
)
def test_lc_call_numbers_need_class_letters_and_a_number(number: str, expected: str) -> None:
    record = built("00000nam a2200000 a 4500", field("050", "00", "a", number))
    assert lines_of(record, "lc_call_number") == [expected]


def test_dewey_numbers_may_carry_segmentation_marks() -> None:
    segmented = built("00000nam a2200000 a 4500", field("082", "00", "a", "781.65/092"))
    bracketed = built("00000nam a2200000 a 4500", field("082", "00", "a", "[Fic]"))
    assert lines_of(segmented, "dewey_call_number") == ["+5 Dewey call number 781.65/092 (082)"]
    assert lines_of(bracketed, "dewey_call_number") == [
        "-2.5 malformed Dewey call number '[Fic]' (082 $a)"
    ]


def test_damaged_characters_cost_points_and_say_where_they_are() -> None:
    record = built(
        "00000nam a2200000 a 4500",
        Field(tag="001", data="x\x07y"),
        field("245", "10", "a", "Caf\ufffd au lait", "c", "\x1b(BDvorak"),
        field("500", "  ", "a", "\ufffd"),
    )
    damage = {"replacement_characters", "control_characters", "marc8_escapes"}
    assert [str(c) for c in score_record(record).contributions if c.rule in damage] == [
        "-10 U+FFFD replacement characters in 245 $a, 500 $a",
        "-5 control characters in 001",
        "-10 MARC-8 escape sequences (ESC) left in 245 $c",
    ]


def test_authority_links_count_per_heading() -> None:
    record = built(
        "00000nam a2200000 a 4500",
        field("100", "1 ", "a", "Shaw, Arnold.", "0", "http://id.loc.gov/authorities/names/n1"),
        field("650", " 0", "a", "Jazz.", "1", "http://www.wikidata.org/entity/Q8341"),
        field("650", " 0", "a", "Blues (Music)"),
    )
    assert lines_of(record, "authority_link") == ["+2 2 headings linked to authorities ($0/$1)"]


def test_rda_is_recognised_by_040_e_or_by_content_types() -> None:
    by_rules = built("00000nam a2200000 i 4500", field("040", "  ", "a", "DLC", "e", "rda"))
    by_types = built("00000nam a2200000 i 4500", field("336", "  ", "a", "text", "b", "txt"))
    assert lines_of(by_rules, "rda") == ["+5 RDA (040 $e rda)"]
    assert lines_of(by_types, "rda") == ["+5 RDA content, media and carrier types (336/337/338)"]


def test_contributions_print_signed_points_then_the_reason() -> None:
    assert str(Contribution(20.0, "full level (encoding level ' ')", "encoding_level")) == (
        "+20 full level (encoding level ' ')"
    )
    assert str(Contribution(-10.0, "no subject headings (6XX)", "no_subject_headings")) == (
        "-10 no subject headings (6XX)"
    )
    assert str(Contribution(2.5, "date but no publisher (260 $c)", "publication")) == (
        "+2.5 date but no publisher (260 $c)"
    )


# --- weights --------------------------------------------------------------------------------


def test_every_weight_is_documented_with_its_default() -> None:
    table = quality.__doc__ or ""
    for weight in fields(Weights):
        default = getattr(DEFAULT_WEIGHTS, weight.name)
        assert re.search(rf"(?m)^{weight.name} +{default:g} ", table), weight.name


def test_overriding_a_weight_changes_the_score() -> None:
    record = built("00000nam a2200000 a 4500", field("040", "  ", "a", "DLC", "c", "DLC"))
    heavier = Weights.from_mapping({"lc_record": 30, "encoding_level": 25.5})
    assert heavier.lc_record == 30.0
    assert DEFAULT_WEIGHTS.cataloguing_agency == heavier.cataloguing_agency
    assert score_record(record, heavier).total == score_record(record).total + 20 + 5.5
    assert lines_of(record, "lc_record", heavier) == ["+30 Library of Congress record (040 DLC)"]


def test_a_zero_weight_switches_its_rule_off() -> None:
    record = built("00000nam a2200000 a 4500")
    silent = Weights.from_mapping({"no_subject_headings": 0})
    assert lines_of(record, "no_subject_headings") == ["-10 no subject headings (6XX)"]
    assert lines_of(record, "no_subject_headings", silent) == []


def test_an_unknown_weight_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'lc_recrod'"):
        Weights.from_mapping({"lc_record": 1, "lc_recrod": 30})


@pytest.mark.parametrize("value", ["high", True, float("nan"), float("inf")])
def test_a_weight_must_be_a_finite_number(value: object) -> None:
    with pytest.raises(ValueError, match="'lc_record'"):
        Weights.from_mapping({"lc_record": value})  # type: ignore[dict-item]


# --- any record -----------------------------------------------------------------------------

# Tags the rules read, and any other; text with the characters the rules look for.
RULE_TAGS = "001 008 020 022 040 042 050 082 090 092 100 110 111 245 260 264 300 336 650 700"
TAGS = st.sampled_from(RULE_TAGS.split()) | st.integers(1, 999).map("{:03d}".format)
TEXT = st.text(st.sampled_from("0123456789uX-., \x00\x07\x1b\ufffdDLCrda") | st.characters())
CODES = st.sampled_from("abcez01") | st.characters(max_codepoint=127)
INDICATORS = st.text(st.sampled_from(" 0123479#") | st.characters(), min_size=2, max_size=2)
LEADERS = st.text(
    st.sampled_from(" 12345678IJKLMuzaicn") | st.characters(), min_size=24, max_size=24
)


@st.composite
def any_field(draw: st.DrawFn) -> Field:
    tag = draw(TAGS)
    if tag < "010":
        return Field(tag=tag, data=draw(TEXT))
    subfields = draw(st.lists(st.builds(Subfield, CODES, TEXT), max_size=5))
    return Field(tag=tag, indicators=Indicators(*draw(INDICATORS)), subfields=subfields)


@settings(max_examples=300)
@given(LEADERS, st.lists(any_field(), max_size=25))
def test_any_record_scores_without_raising_and_totals_its_contributions(
    leader: str, data: list[Field]
) -> None:
    score = score_record(built(leader, *data))
    assert score.total == sum(c.points for c in score.contributions)
    assert len(score.explain()) == len(score.contributions)
    assert all(c.points != 0 and hasattr(DEFAULT_WEIGHTS, c.rule) for c in score.contributions)
