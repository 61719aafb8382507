"""encode_marc8 and the ISO 2709 writers: Unicode out as MARC-8 that reads back as it was."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymarc import Field, Indicators, MARC8ToUnicode, Record, Subfield, marc8_mapping

from shelfnet.marc import DecodedMarc, MarcError, decode_marc, iter_marc
from shelfnet.marc.marc8 import encode_marc8, record_to_marc8, record_to_utf8
from tests.peers import SHARED_MARC_DIR

CODESETS = marc8_mapping.CODESETS
ASCII, ANSEL, HEBREW, CYRILLIC, EXTENDED_CYRILLIC = 0x42, 0x45, 0x32, 0x4E, 0x51
GREEK, GREEK_SYMBOLS, SUBSCRIPTS, SUPERSCRIPTS, EACC = 0x53, 0x67, 0x62, 0x70, 0x31
BASIC_ARABIC, EXTENDED_ARABIC = 0x33, 0x34

NFC = "NFC"
NCR = re.compile(r"&#x([0-9A-F]{4,6});")


def nfc(text: str) -> str:
    return unicodedata.normalize(NFC, text)


def unescape_ncr(text: str) -> str:
    return NCR.sub(lambda match: chr(int(match[1], 16)), text)


def record(*fields: Field, leader: str = "00000cam a2200000 a 4500") -> Record:
    built = Record(leader=leader)
    built.fields = list(fields)
    return built


def title(text: str, *more: str) -> Field:
    subfields = [Subfield("a", text), *(Subfield("b", value) for value in more)]
    return Field(tag="245", indicators=Indicators("1", "0"), subfields=subfields)


# --- known bytes, checked against pymarc's tables -----------------------------------------


def test_pymarc_tables_hold_the_codes_these_tests_expect() -> None:
    assert CODESETS[ANSEL][0xE2] == (0x0301, 1)  # combining acute
    assert CODESETS[ANSEL][0xE8] == (0x0308, 1)  # combining umlaut (diaeresis)
    assert CODESETS[ANSEL][0xA1] == (0x0141, 0)  # Ł
    assert CODESETS[ANSEL][0xBC] == (0x01A1, 0)  # ơ
    assert [CODESETS[CYRILLIC][b][0] for b in b"mOSKWA"] == [ord(c) for c in "Москва"]
    assert [CODESETS[HEBREW][b][0] for b in b"ylem"] == [ord(c) for c in "שלום"]
    assert CODESETS[SUBSCRIPTS][0x32] == (0x2082, 0)  # ₂
    assert CODESETS[SUPERSCRIPTS][0x32] == (0x00B2, 0)  # ²
    assert CODESETS[GREEK_SYMBOLS][0x61] == (0x03B1, 0)  # alpha
    assert CODESETS[EXTENDED_CYRILLIC][0xE0] == (0x0490, 0)  # Ґ
    assert CODESETS[EACC][0x213034] == (0x4E2D, 0)  # 中


def test_plain_ascii_is_written_as_it_is() -> None:
    assert encode_marc8("Kind of blue / Miles Davis.") == b"Kind of blue / Miles Davis."


@pytest.mark.parametrize("text", ["é", "e\u0301"], ids=["NFC", "NFD"])
def test_a_diacritic_comes_before_the_letter_it_modifies(text: str) -> None:
    assert encode_marc8(text) == b"\xe2e"


def test_umlaut_in_a_word() -> None:
    assert encode_marc8("Köln") == b"K\xe8oln"


def test_ansel_letters_need_no_escape() -> None:
    assert encode_marc8("Łódź") == b"\xa1\xe2od\xe2z"


def test_two_diacritics_keep_their_unicode_order_before_the_letter() -> None:
    # ệ is e, dot below, circumflex
    assert encode_marc8("ệ") == b"\xf2\xe3e"


def test_a_letter_ansel_has_precomposed_carries_the_remaining_diacritic() -> None:
    # ờ decomposes fully to o + horn + grave; ANSEL has ơ but no combining horn
    assert encode_marc8("ờ") == b"\xe1\xbc"
    assert encode_marc8("o\u031b\u0300") == b"\xe1\xbc"


def test_a_letter_nfc_composed_otherwise_is_spelt_with_the_ansel_letter() -> None:
    # NFC makes Ơ + ogonek into Ǫ + combining horn, and MARC-8 has no combining horn
    assert encode_marc8("\u01a0\u0328") == b"\xf1\xac"
    assert MARC8ToUnicode(quiet=True).translate(b"\xf1\xac") == "\u01ea\u031b"


def test_cyrillic_is_written_in_the_basic_cyrillic_set_and_returns_to_ascii() -> None:
    assert encode_marc8("Москва") == b"\x1b(NmOSKWA\x1b(B"


def test_extended_cyrillic_goes_into_g1_and_ansel_comes_back() -> None:
    assert encode_marc8("Ґрунт") == b"\x1b)Q\xe0\x1b(NRUNT\x1b)E\x1b(B"


def test_hebrew_spaces_and_digits_stay_in_the_hebrew_set() -> None:
    assert encode_marc8("שלום 1990 עולם") == b"\x1b(2ylem 1990 relm\x1b(B"


def test_subscripts_superscripts_and_greek_symbols_use_their_own_escapes() -> None:
    assert encode_marc8("H₂O") == b"H\x1bb2\x1bsO"
    assert encode_marc8("x²") == b"x\x1bp2\x1bs"
    assert encode_marc8("α-amylase") == b"\x1bga\x1bs-amylase"  # noqa: RUF001


def test_greek_words_use_basic_greek_with_its_own_accents() -> None:
    encoded = encode_marc8("λόγος")
    assert encoded.startswith(b"\x1b(S") and encoded.endswith(b"\x1b(B")
    assert b"\xe2" not in encoded  # not ANSEL's acute
    assert MARC8ToUnicode(quiet=True).translate(encoded) == "λόγος"


def test_cjk_is_three_bytes_a_character_and_a_space_goes_back_to_ascii() -> None:
    assert encode_marc8("中") == b"\x1b$1" + bytes.fromhex("213034") + b"\x1b(B"
    encoded = encode_marc8("中 文")
    assert encoded.count(b"\x1b$1") == 2
    assert b"\x1b(B \x1b$1" in encoded


# --- characters MARC-8 lacks ----------------------------------------------------------------


def test_a_character_outside_marc8_is_an_error_naming_it_and_its_position() -> None:
    with pytest.raises(MarcError, match=r"U\+0561 ARMENIAN SMALL LETTER AYB at position 1"):
        encode_marc8("дա")


@pytest.mark.parametrize("text", ["\t", "\u200d", "\x1f"], ids=["tab", "ZWJ", "subfield mark"])
def test_controls_pymarc_would_drop_are_outside_the_repertoire(text: str) -> None:
    with pytest.raises(MarcError, match="has no MARC-8 form"):
        encode_marc8(text)


def test_ncr_writes_the_character_as_a_reference_back_in_ascii() -> None:
    assert encode_marc8("дա", errors="ncr") == b"\x1b(ND\x1b(B&#x0561;"
    assert encode_marc8("\U0001d11e", errors="ncr") == b"&#x1D11E;"


def test_diacritics_after_a_referenced_character_are_references_too() -> None:
    # Written before the reference they would land on its '&'.
    assert encode_marc8("Ա\u0301", errors="ncr") == b"&#x0531;&#x0301;"


def test_a_diacritic_with_no_base_before_it_cannot_be_moved_in_front_of_one() -> None:
    with pytest.raises(MarcError, match="no base character"):
        encode_marc8("\u0301a")
    assert encode_marc8("\u0301a", errors="ncr") == b"&#x0301;a"


def test_an_unknown_errors_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="'strict' or 'ncr'"):
        encode_marc8("é", errors="replace")


def test_pymarc_leaves_references_as_text_so_a_reader_unescapes_them() -> None:
    raw = record_to_marc8(record(title("Երևան")), errors="ncr")
    decoded = decode_marc(raw).record["245"]["a"]
    assert decoded == "&#x0535;&#x0580;&#x0587;&#x0561;&#x0576;"
    assert unescape_ncr(decoded) == "Երևան"


# --- any text in the repertoire round-trips -------------------------------------------------


def table_chars(charset: int, *, combining: bool) -> list[str]:
    """Characters pymarc decodes from ``charset``: bases, or its combining diacritics."""
    chars = []
    for code, (point, flag) in sorted(CODESETS[charset].items()):
        if charset != EACC and (code <= 0x20 or 0x80 < code < 0xA0):
            continue  # controls pymarc skips, and the space (drawn separately)
        char = chr(point)
        # A base with a combining class (Arabic superscript alef) would let NFC move a
        # diacritic in front of it at the start of a text; pymarc's NFC output already
        # puts a non-NFC code's character in its NFC form.
        if bool(flag) != combining or nfc(char) != char:
            continue
        if not combining and unicodedata.combining(char):
            continue
        chars.append(char)
    return chars


SCRIPTS = {
    "latin": table_chars(ASCII, combining=False) + table_chars(ANSEL, combining=False),
    "hebrew": table_chars(HEBREW, combining=False),
    "cyrillic": table_chars(CYRILLIC, combining=False)
    + table_chars(EXTENDED_CYRILLIC, combining=False),
    "greek": table_chars(GREEK, combining=False) + table_chars(GREEK_SYMBOLS, combining=False),
    "arabic": table_chars(BASIC_ARABIC, combining=False)
    + table_chars(EXTENDED_ARABIC, combining=False),
    "symbols": table_chars(SUBSCRIPTS, combining=False)
    + table_chars(SUPERSCRIPTS, combining=False),
    "cjk": table_chars(EACC, combining=False)[::97],
}
DIACRITICS = [
    mark
    for charset in (ANSEL, HEBREW, GREEK, BASIC_ARABIC, EXTENDED_ARABIC)
    for mark in table_chars(charset, combining=True)
]


def words(bases: list[str]) -> st.SearchStrategy[str]:
    letter = st.tuples(st.sampled_from(bases), st.lists(st.sampled_from(DIACRITICS), max_size=2))
    return st.lists(
        letter.map(lambda pair: pair[0] + "".join(pair[1])), min_size=1, max_size=8
    ).map("".join)


marc8_texts = st.lists(
    st.one_of(st.just(" "), *(words(bases) for bases in SCRIPTS.values())), max_size=8
).map("".join)


def test_the_drawn_repertoire_covers_every_script() -> None:
    assert all(len(chars) > 2 for chars in SCRIPTS.values())
    assert len(DIACRITICS) > 40
    assert len(SCRIPTS["cjk"]) > 100


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marc8_texts)
def test_any_text_in_the_marc8_repertoire_reads_back_through_pymarc(text: str) -> None:
    converter = MARC8ToUnicode(quiet=True)
    assert converter.translate(encode_marc8(text)) == nfc(text)
    assert (converter.g0, converter.g1) == (ASCII, ANSEL)  # ends in the default sets


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marc8_texts)
def test_the_normalisation_form_of_the_input_does_not_matter(text: str) -> None:
    assert encode_marc8(unicodedata.normalize("NFD", text)) == encode_marc8(nfc(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(marc8_texts, st.text(st.characters(exclude_characters="&"), max_size=4)),
        max_size=4,
    ).map("".join)
)
def test_with_references_any_text_reads_back_once_they_are_unescaped(text: str) -> None:
    # '&' is left out: a literal "&#x41;" in the text would read back as "A".
    decoded = MARC8ToUnicode(quiet=True).translate(encode_marc8(text, errors="ncr"))
    assert nfc(unescape_ncr(decoded)) == nfc(text)


# --- records --------------------------------------------------------------------------------


def directory(raw: bytes) -> list[tuple[bytes, int, int]]:
    base = int(raw[12:17])
    entries = raw[24 : base - 1]
    return [
        (entries[i : i + 3], int(entries[i + 3 : i + 7]), int(entries[i + 7 : i + 12]))
        for i in range(0, len(entries), 12)
    ]


def sample() -> Record:
    return record(
        Field(tag="001", data="sn 1"),
        title("Москва / ", "Köln, 中文 - שלום"),
        Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", "H₂O.")]),
        leader="00000cam  2200000 a 4500",
    )


@pytest.mark.parametrize("write", [record_to_marc8, record_to_utf8], ids=["marc8", "utf8"])
def test_lengths_and_addresses_count_bytes_of_the_encoded_data(
    write: Callable[[Record], bytes],
) -> None:
    raw = write(sample())
    assert int(raw[:5]) == len(raw)
    base = int(raw[12:17])
    assert base == 24 + 12 * len(sample().fields) + 1
    assert raw[base - 1] == 0x1E and raw[-1] == 0x1D
    for _tag, length, start in directory(raw):
        assert raw[base + start + length - 1] == 0x1E
    assert raw[10:12] == b"22" and raw[20:24] == b"4500"
    assert decode_marc(raw).warnings == ()


def test_marc8_record_says_marc8_in_leader_09_and_decodes_back() -> None:
    raw = record_to_marc8(sample())
    assert raw[9:10] == b" "
    decoded = decode_marc(raw)
    assert decoded.encoding == "marc-8"
    assert decoded.record["245"]["b"] == "Köln, 中文 - שלום"


def test_utf8_record_says_unicode_in_leader_09_whatever_the_source_leader_says() -> None:
    source = sample()
    raw = record_to_utf8(source)
    assert raw[9:10] == b"a"
    assert str(source.leader)[9] == " "  # the record given is not changed
    assert decode_marc(raw).record["245"]["a"] == "Москва / "


def test_a_value_marc8_lacks_is_reported_with_its_field_and_subfield() -> None:
    with pytest.raises(MarcError, match=r"field 245 \$b: U\+0531 .* at position 3"):
        record_to_marc8(record(title("Hay", "in Ա")))


def test_a_field_longer_than_iso2709_allows_is_refused() -> None:
    long_note = Field(
        tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", "x" * 9999)]
    )
    with pytest.raises(MarcError, match="field 520 is 10004 bytes"):
        record_to_utf8(record(long_note))


def test_a_record_longer_than_iso2709_allows_is_refused() -> None:
    notes = [
        Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", "x" * 9000)])
        for _ in range(12)
    ]
    with pytest.raises(MarcError, match="ISO 2709 allows 99999"):
        record_to_marc8(record(*notes))


def test_utf8_counts_bytes_not_characters_against_the_field_limit() -> None:
    note = Field(tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", "é" * 5000)])
    with pytest.raises(MarcError, match="field 520 is 10005 bytes"):
        record_to_utf8(record(note))


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (Field(tag="245", indicators=Indicators("é", "0"), subfields=[]), "indicator"),
        (Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("ä", "x")]), "code"),
        (Field(tag="AB", indicators=Indicators("1", "0"), subfields=[]), "tag"),
    ],
)
def test_structure_that_is_not_one_ascii_byte_each_is_refused(field: Field, problem: str) -> None:
    with pytest.raises(MarcError, match=problem):
        record_to_marc8(record(field))


def test_a_separator_inside_a_utf8_value_is_refused() -> None:
    with pytest.raises(MarcError, match=r"U\+001E .* separator"):
        record_to_utf8(record(title("one\x1etwo")))


def test_a_leader_that_is_not_24_characters_is_refused() -> None:
    broken = record(title("x"))
    broken.leader = "00000cam"  # type: ignore[assignment]  # as a MARCXML reader may leave it
    with pytest.raises(MarcError, match="leader"):
        record_to_utf8(broken)


# --- the shared test files ------------------------------------------------------------------

# Records in each file: all of them are read, written and read back.
SHARED_FILES = {
    "jazz_1k.mrc": ("marc-8", 1000),
    "hebrew.marc": ("marc-8", 20),
    "lul_fre_500.mrc": ("marc-8", 500),
    "FSL.marc": ("utf-8", 52),  # Armenian (outside MARC-8) and Cyrillic
    "nepali.marc": ("utf-8", 96),  # Devanagari (outside MARC-8)
    "map_data.mrc": ("utf-8", 3),
    "auth-1066.mrc": ("utf-8", 1066),  # decomposed (NFD) diacritics
}


def shared_records(name: str) -> list[DecodedMarc]:
    path = SHARED_MARC_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    items = list(iter_marc(path.read_bytes()))
    decoded = [item for item in items if isinstance(item, DecodedMarc)]
    assert len(decoded) == len(items), "every record of the file is readable"
    charset, count = SHARED_FILES[name]
    assert len(decoded) == count
    assert {item.encoding for item in decoded} == {charset}
    return decoded


def comparable(source: Record, *, references: bool = False) -> list[object]:
    """The fields in NFC, with references turned back into characters if asked."""

    def text(value: str) -> str:
        return nfc(unescape_ncr(value) if references else value)

    fields: list[object] = []
    for field in source.fields:
        if field.control_field:
            fields.append((field.tag, text(field.data or "")))
        else:
            subfields = [(sub.code, text(sub.value)) for sub in field.subfields]
            fields.append((field.tag, tuple(field.indicators or ()), subfields))
    return fields


def same_leader(a: Record, b: Record) -> bool:
    """Record status, type, level and control; encoding level, form and multipart level."""
    return str(a.leader)[5:9] == str(b.leader)[5:9] and str(a.leader)[17:20] == str(b.leader)[17:20]


@pytest.mark.parametrize("name", [n for n, (cs, _) in SHARED_FILES.items() if cs == "marc-8"])
def test_marc8_files_read_write_and_read_back_to_the_same_text(name: str) -> None:
    for original in shared_records(name):
        again = decode_marc(record_to_marc8(original.record))
        assert again.encoding == "marc-8"
        assert again.warnings == ()
        assert comparable(again.record) == comparable(original.record)
        assert same_leader(again.record, original.record)


@pytest.mark.parametrize("name", [n for n, (cs, _) in SHARED_FILES.items() if cs == "utf-8"])
def test_utf8_files_go_to_marc8_with_references_for_what_it_lacks(name: str) -> None:
    referenced = 0
    for original in shared_records(name):
        raw = record_to_marc8(original.record, errors="ncr")
        again = decode_marc(raw)
        assert again.encoding == "marc-8"
        assert comparable(again.record, references=True) == comparable(original.record)
        referenced += b"&#x" in raw
    if name in ("FSL.marc", "nepali.marc"):
        assert referenced > 0


@pytest.mark.parametrize("name", list(SHARED_FILES))
def test_utf8_records_read_back_exactly_as_they_were(name: str) -> None:
    for original in shared_records(name):
        raw = record_to_utf8(original.record)
        again = decode_marc(raw)
        assert (raw[9:10], again.encoding, again.warnings) == (b"a", "utf-8", ())
        assert again.record.as_dict()["fields"] == original.record.as_dict()["fields"]
