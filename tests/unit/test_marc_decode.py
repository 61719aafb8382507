"""decode_marc: ISO 2709 bytes to a pymarc record in the character set the bytes are in."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pymarc import Field, Indicators, Leader, RawField, Record, Subfield

from shelfnet.marc import DecodedMarc, MarcError, charset_name, decode_marc, iter_marc
from tests.peers import SHARED_MARC_DIR

FIXTURES = Path(__file__).parents[1] / "fixtures" / "marc"


def fixture_records(name: str) -> list[DecodedMarc]:
    decoded = list(iter_marc((FIXTURES / name).read_bytes()))
    assert all(isinstance(item, DecodedMarc) for item in decoded)
    return [item for item in decoded if isinstance(item, DecodedMarc)]


def shared_file(name: str) -> bytes:
    path = SHARED_MARC_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    return path.read_bytes()


def marc8_bytes(*values: bytes, leader09: str = " ") -> bytes:
    """A one-field MARC-8 record: 245 with one $a per value."""
    record = Record(to_unicode=False)
    record.leader = Leader(f"00000nam {leader09}2200000 a 4500")
    # RawField keeps bytes where pymarc's annotations say str.
    subfields = [Subfield(code="a", value=value) for value in values]  # type: ignore[arg-type]
    record.fields = [RawField(tag="245", indicators=Indicators("0", "0"), subfields=subfields)]
    return bytes(record.as_marc())


def utf8_bytes(text: str, leader09: str = "a") -> bytes:
    field = Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", text)])
    raw = bytes(Record(fields=[Field(tag="001", data="x"), field]).as_marc())
    return raw[:9] + leader09.encode("ascii") + raw[10:]


def title(decoded: DecodedMarc) -> str:
    return str(decoded.record["245"]["a"])


# --- character sets -----------------------------------------------------------------


def test_marc8_ansel_diacritics_become_precomposed_nfc_text() -> None:
    dvorak = fixture_records("marc8_diacritics.mrc")[0]
    assert dvorak.encoding == "marc-8"
    assert dvorak.record["100"]["a"] == "Dvořák, Antonín,"
    assert dvorak.record["245"]["a"] == "Aus Köln und Østfold /"
    assert unicodedata.is_normalized("NFC", dvorak.record["100"]["a"])


def test_marc8_hebrew_after_escape_sequence_decodes_and_a_stray_del_is_dropped() -> None:
    dvorak = fixture_records("marc8_diacritics.mrc")[0]
    assert dvorak.record["880"]["a"] == "שות"
    assert dvorak.warnings == ("880 $a: dropped DEL (0x7F), which is not a MARC-8 character",)


def test_decoded_record_leader_says_unicode_while_raw_keeps_the_original_bytes() -> None:
    raw = (FIXTURES / "marc8_diacritics.mrc").read_bytes()
    first = decode_marc(raw[: int(raw[:5])])
    assert first.raw == raw[: int(raw[:5])]
    assert first.raw[9:10] == b" "
    assert first.record.leader[9] == "a"
    assert str(first.record.leader)[10:] == raw[10:24].decode("ascii")


def test_leader_a_over_marc8_bytes_is_decoded_as_marc8_and_said_so() -> None:
    cafe = fixture_records("marc8_diacritics.mrc")[1]
    assert cafe.encoding == "marc-8"
    assert title(cafe) == "Café de la Paix."
    assert len(cafe.warnings) == 1
    assert "leader/09 says UCS/Unicode ('a')" in cafe.warnings[0]
    assert "decoded as MARC-8" in cafe.warnings[0]


def test_blank_leader_over_utf8_bytes_is_decoded_as_utf8_and_said_so() -> None:
    cyrillic = fixture_records("utf8_leaders.mrc")[0]
    assert cyrillic.encoding == "utf-8"
    assert title(cyrillic) == "Люди с чистой совестью /"  # noqa: RUF001 (Cyrillic on purpose)
    assert len(cyrillic.warnings) == 1
    assert "leader/09 says MARC-8 (blank) but the record is UTF-8" in cyrillic.warnings[0]


def test_utf8_values_keep_the_normalisation_form_they_were_catalogued_in() -> None:
    decomposed = fixture_records("utf8_leaders.mrc")[1]
    assert decomposed.encoding == "utf-8"
    assert decomposed.warnings == ()
    assert decomposed.record["100"]["a"] == "S\u0301a\u0304ha, Vi\u0304rendra."


def test_ascii_only_record_with_blank_leader_is_marc8_so_escapes_still_work() -> None:
    decoded = decode_marc(marc8_bytes(b"plain \x1b(2yez\x1b(B"))
    assert decoded.encoding == "marc-8"
    assert title(decoded) == "plain שות"
    assert decoded.warnings == ()


def test_undefined_leader_09_is_reported_and_the_bytes_decide() -> None:
    decoded = decode_marc(utf8_bytes("Ереван", leader09="z"))
    assert decoded.encoding == "utf-8"
    assert title(decoded) == "Ереван"
    assert "leader/09 is 'z'" in decoded.warnings[0]


def test_forced_marc8_overrides_a_truthful_utf8_leader() -> None:
    decoded = decode_marc(utf8_bytes("Ереван"), encoding="MARC-8")
    assert decoded.encoding == "marc-8"
    assert title(decoded) != "Ереван"


def test_forced_utf8_over_marc8_bytes_replaces_bad_bytes_and_says_so() -> None:
    decoded = decode_marc(marc8_bytes(b"Caf\xe2e"), encoding="utf8")
    assert decoded.encoding == "utf-8"
    assert title(decoded) == "Caf\ufffde"
    assert decoded.warnings == ("245 $a: invalid UTF-8 replaced by U+FFFD",)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("UTF-8", "utf-8"), ("utf8", "utf-8"), ("MARC-8", "marc-8"), ("marc8", "marc-8")],
)
def test_charset_names_accept_the_usual_spellings(name: str, canonical: str) -> None:
    assert charset_name(name) == canonical


def test_unknown_forced_charset_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown MARC character set"):
        decode_marc(utf8_bytes("x"), encoding="latin-1")


def test_marc8_controls_that_pymarc_drops_are_reported() -> None:
    decoded = decode_marc(marc8_bytes(b"\x88The \x89title"))
    assert title(decoded) == "The title"
    assert decoded.warnings == ("245 $a: MARC-8 control character NSB (0x88), NSE (0x89) not kept",)


def test_broken_marc8_escape_keeps_the_ascii_and_says_so() -> None:
    decoded = decode_marc(marc8_bytes(b"ends in a broken escape \x1b)"))
    assert title(decoded) == "ends in a broken escape \ufffd)"
    assert "not valid MARC-8" in decoded.warnings[0]


# --- framing --------------------------------------------------------------------------


def test_leader_length_shorter_than_the_record_and_missing_terminator_are_warned() -> None:
    raw = utf8_bytes("x")
    decoded = decode_marc(raw[:-1] + b"\x1e\x1e")
    assert any("leader/00-04 gives the length" in note for note in decoded.warnings)
    assert any("record terminator" in note for note in decoded.warnings)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "too few"),
        (b"00010nam a2200000 a 4500\x1e\x1d", "not a readable ISO 2709 record"),
        (utf8_bytes("truncated")[:-10], "not a readable ISO 2709 record"),
        (b"\xff" * 40, "not a readable ISO 2709 record"),
    ],
)
def test_bytes_that_are_not_a_record_raise_marc_error(raw: bytes, reason: str) -> None:
    with pytest.raises(MarcError, match=reason):
        decode_marc(raw)


# --- robustness (hypothesis) ----------------------------------------------------------

CHARSETS = st.sampled_from([None, "utf-8", "marc-8"])


@pytest.mark.filterwarnings("ignore::pymarc.exceptions.BadSubfieldCodeWarning")
@given(st.binary(max_size=300), CHARSETS)
@example(b"00026nam a2200025 a 4500\x1e\x1d", None)
def test_arbitrary_bytes_decode_or_raise_marc_error(raw: bytes, encoding: str | None) -> None:
    try:
        decoded = decode_marc(raw, encoding=encoding)
    except MarcError:
        return
    assert decoded.raw == raw


def _fixture_bytes() -> list[bytes]:
    return [
        d.raw
        for name in ("marc8_diacritics.mrc", "utf8_leaders.mrc")
        for d in fixture_records(name)
    ]


@pytest.mark.filterwarnings("ignore::pymarc.exceptions.BadSubfieldCodeWarning")
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(_fixture_bytes()),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 400),
    CHARSETS,
)
def test_damaged_records_decode_or_raise_marc_error(
    raw: bytes, flips: list[tuple[int, int]], cut: int, encoding: str | None
) -> None:
    damaged = bytearray(raw)
    for position, value in flips:
        damaged[position % len(damaged)] = value
    try:
        decoded = decode_marc(bytes(damaged[: max(cut, 24)]), encoding=encoding)
    except MarcError:
        return
    assert isinstance(decoded.record, Record)


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda text: not text.isspace()
)


@given(TEXT)
def test_utf8_text_survives_whatever_leader_09_claims(text: str) -> None:
    for leader09 in ("a", " "):
        decoded = decode_marc(utf8_bytes(text, leader09=leader09))
        if not text.isascii():
            assert decoded.encoding == "utf-8"
            assert title(decoded) == text
        assert bool(decoded.warnings) == (leader09 == " " and not text.isascii())


# --- the shared MARC files ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "charset", "leader_lies"),
    [
        ("jazz_1k.mrc", 1000, "marc-8", False),
        ("lul_fre_500.mrc", 500, "marc-8", False),
        ("hebrew.marc", 20, "marc-8", False),
        ("FSL.marc", 52, "utf-8", True),
        ("map_data.mrc", 3, "utf-8", True),
        ("nepali.marc", 96, "utf-8", False),
        ("auth-1066.mrc", 1066, "utf-8", False),
    ],
)
def test_shared_files_decode_in_the_charset_their_bytes_are_in(
    name: str, count: int, charset: str, leader_lies: bool
) -> None:
    decoded = list(iter_marc(shared_file(name)))
    assert len(decoded) == count
    assert all(isinstance(item, DecodedMarc) and item.encoding == charset for item in decoded)
    lying = [
        item
        for item in decoded
        if isinstance(item, DecodedMarc) and any("leader/09 says" in w for w in item.warnings)
    ]
    assert len(lying) == (count if leader_lies else 0)


def test_jazz_records_written_as_utf8_iso2709_decode_to_the_same_fields() -> None:
    for decoded in iter_marc(shared_file("jazz_1k.mrc")):
        assert isinstance(decoded, DecodedMarc)
        again = decode_marc(decoded.record.as_marc())
        assert again.encoding == "utf-8"
        assert again.warnings == ()
        assert again.record.as_dict()["fields"] == decoded.record.as_dict()["fields"]
