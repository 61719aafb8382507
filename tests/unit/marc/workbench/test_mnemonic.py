"""Mnemonic text round-trips every real record to identical ISO 2709 bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield

from shelfnet.marc import parse_marcxml
from shelfnet.marc.mnemonic import (
    MnemonicError,
    parse_mnemonic,
    parse_mnemonic_file,
    record_from_iso2709,
    to_mnemonic,
)
from shelfnet.marc.text import to_mnemonic as text_to_mnemonic
from tests.unit.marc.workbench.conftest import DATA, raw_records

ISO_FILES = (
    sorted(p.name for p in DATA.glob("*") if p.suffix in (".mrc", ".marc")) if DATA.exists() else []
)


@pytest.mark.parametrize("name", ISO_FILES or ["(no data)"])
def test_every_record_round_trips_to_identical_bytes(name: str) -> None:
    if not ISO_FILES:
        pytest.skip(f"{DATA} is not here")
    raws = raw_records(DATA / name)
    assert raws
    for number, raw in enumerate(raws, start=1):
        text = to_mnemonic(record_from_iso2709(raw))
        assert parse_mnemonic(text).as_marc() == raw, f"{name} record {number}"


def test_marcxml_records_round_trip() -> None:
    path = DATA / "serials_marc21.xml"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    for record in parse_marcxml(path.read_bytes()):
        expected = record.as_marc()
        assert parse_mnemonic(to_mnemonic(record)).as_marc() == expected


def test_marc8_bytes_are_written_with_marcmaker_names() -> None:
    raw = raw_records(DATA / "lul_fre_500.mrc")[0] if DATA.exists() else pytest.skip("no data")
    text = to_mnemonic(record_from_iso2709(raw))
    assert any(name in text for name in ("{acute}", "{grave}", "{cedil}", "{circ}", "{uml}"))
    assert all(ord(char) < 0x80 for char in text)


def _record(*fields: Field, leader: str = "00000nam a2200000 a 4500") -> Record:
    record = Record(force_utf8=True)
    record.leader = leader  # type: ignore[assignment]
    record.fields.extend(fields)
    return record


@pytest.mark.parametrize(
    "field",
    [
        Field("245", Indicators("1", "0"), [Subfield("a", "Price $5 {sale} \\ back")]),
        Field("500", Indicators(" ", " "), [Subfield("a", "trailing spaces   ")]),
        Field("500", Indicators(" ", " "), [Subfield("a", "")]),
        Field("500", Indicators(" ", " "), [Subfield("", "")]),
        Field("500", Indicators(" ", " "), [Subfield("a", "inner\x1fdelimiter")]),
        Field("008", data="020121s1999    cau           000 0 eng  "),
        Field("500", Indicators(" ", "  "), [Subfield("a", "three indicator characters")]),
        Field("500", Indicators("", ""), []),
    ],
    ids=[
        "escapes",
        "trailing",
        "empty-value",
        "empty-subfield",
        "delimiter",
        "spaces",
        "ind3",
        "bare",
    ],
)
def test_hard_cases_round_trip(field: Field) -> None:
    record = _record(field)
    assert parse_mnemonic(to_mnemonic(record)).as_marc() == record.as_marc()


def test_text_module_output_is_read_the_same() -> None:
    record = _record(Field("245", Indicators("0", "0"), [Subfield("a", "A $ b")]))
    assert parse_mnemonic(text_to_mnemonic(record)).as_marc() == record.as_marc()


def test_blank_indicators_are_backslashes() -> None:
    text = to_mnemonic(_record(Field("650", Indicators(" ", "0"), [Subfield("a", "Jazz")])))
    assert "=650  \\0$aJazz" in text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("=LDR  00000nam a2200000 a 4500\n245  10$aNo", 2),
        ("=LDR  short\n", 1),
        ("\n=245  10$aTitle\n", 2),
        ("=LDR  00000nam  2200000 a 4500\n=245  10$aCaf\u00e9\n", 2),
        ("=LDR  00000nam a2200000 a 4500\n=245  10Title\n", 2),
    ],
    ids=["bad-line", "short-leader", "no-leader", "marc8-literal", "no-dollar"],
)
def test_errors_carry_the_line_number(text: str, line: int) -> None:
    with pytest.raises(MnemonicError) as caught:
        parse_mnemonic(text)
    assert caught.value.line == line


def test_file_of_several_records(tmp_path: Path) -> None:
    one = to_mnemonic(_record(Field("245", Indicators("0", "0"), [Subfield("a", "One")])))
    two = to_mnemonic(_record(Field("245", Indicators("0", "0"), [Subfield("a", "Two")])))
    records = parse_mnemonic_file(one + "\n" + two)
    assert [r["245"]["a"] for r in records] == ["One", "Two"]
