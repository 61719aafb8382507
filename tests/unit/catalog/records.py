"""A handful of invented records that exercise every access point, and helpers to build more.

Ids in a fresh catalogue loaded with ``CATALOGUE`` follow the list order: ``KIND_OF_BLUE``
is 1, ``BLUE_NOTE`` 2, and so on.
"""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield

MARC_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "marc"
CATALOG_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"


def field(tag: str, indicators: str, *pairs: str) -> Field:
    """``field("245", "14", "a", "The title", "c", "Someone")``."""
    codes, values = pairs[0::2], pairs[1::2]
    subfields = [Subfield(code, value) for code, value in zip(codes, values, strict=True)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def control(tag: str, data: str) -> Field:
    return Field(tag=tag, data=data)


def fixed(date1: str, language: str, date2: str = "    ") -> Field:
    """An 008 with date 1, date 2 and language where MARC 21 puts them."""
    data = f"200101s{date1}{date2}xx            000 0 {language} d"
    assert len(data) == 40
    return control("008", data)


def make(*fields: Field, leader: str = "00000njm a2200000 a 4500") -> Record:
    record = Record(leader=leader)
    record.fields = list(fields)
    return record


def iso2709(*records: Record) -> bytes:
    return b"".join(bytes(record.as_marc()) for record in records)


KIND_OF_BLUE = make(
    control("001", "rec-1"),
    control("003", "SHN"),
    fixed("1959", "eng"),
    field("010", "  ", "a", "   59012345 "),
    field("020", "  ", "a", "0-306-40615-2 (pbk.)"),
    field("050", "00", "a", "M1366", "b", ".D38"),
    field("082", "04", "a", "781.65", "2", "22"),
    field("100", "1 ", "a", "Davis, Miles,", "d", "1926-1991.", "4", "prf"),
    field("245", "14", "a", "The kind of blue /", "h", "[sound recording]", "c", "Miles Davis."),
    field("260", "  ", "a", "New York :", "b", "Columbia,", "c", "1959."),
    field("490", "1 ", "a", "Jazz masters ;", "v", "12"),
    field("500", "  ", "a", "Recorded in New York, 1959."),
    field("650", " 0", "a", "Jazz", "y", "1951-1960.", "2", "lcsh"),
    field("700", "1 ", "a", "Coltrane, John,", "d", "1926-1967."),
    field("830", " 0", "a", "Jazz masters."),
    field(
        "852",
        "0 ",
        "a",
        "SHN",
        "b",
        "Main Library",
        "c",
        "Stacks",
        "h",
        "ML419.D39",
        "i",
        "K56",
        "p",
        "BC0001",
        "t",
        "1",
        "z",
        "Signed copy",
    ),
)

BLUE_NOTE = make(
    control("001", "rec-2"),
    control("003", "SHN"),
    fixed("1975", "fre"),
    field("022", "  ", "a", "0012-5768"),
    field("024", "1 ", "a", "074646123456"),
    field("110", "2 ", "a", "Blue Note Orchestra."),
    field("245", "10", "a", "Blue note live at Köln :", "b", "the concert."),
    field("264", " 1", "a", "Paris :", "b", "Blue Note Records,", "c", "1975."),
    field("650", " 0", "a", "Jazz vocals."),
    field("710", "2 ", "a", "Kölner Philharmonie.", "t", "Concert series."),
    field("949", "  ", "a", "ML 3506 B5", "i", "30007001", "l", "AUDIO", "m", "MAIN", "v", "2"),
)

BIRD = make(
    control("001", "rec-3"),
    control("003", "SHN"),
    fixed("    ", "eng"),
    field("111", "2 ", "a", "Newport Jazz Festival", "d", "(1958)"),
    field("130", "0 ", "a", "Bird songs."),
    field("245", "00", "a", "Charlie Parker's bird songs :", "b", "jazz-rock & C++ / bebop."),
    field("246", "3 ", "a", "Bird songs"),
    field("260", "  ", "a", "London :", "b", "Jazz Hall,", "c", "c1987."),
    field("440", " 0", "a", "Bebop classics"),
    field("600", "10", "a", "Parker, Charlie,", "d", "1920-1955."),
    field("610", "20", "a", "Savoy Records."),
    field("611", "20", "a", "Monterey Jazz Festival."),
    field("630", "00", "a", "Ornithology (Song)"),
    field("740", "0 ", "a", "Yardbird suite."),
    field(
        "952",
        "  ",
        "a",
        "BRANCH",
        "c",
        "CD",
        "o",
        "781.65 PAR",
        "p",
        "39001",
        "q",
        "2026-12-01",
        "t",
        "2",
        "z",
        "Scratched",
    ),
)

NO_AGENCY = make(
    control("001", "rec-4"),
    fixed("1990", "ger"),
    field("100", "1 ", "a", "Ellington, Duke,", "d", "1899-1974."),
    field("240", "10", "a", "Concerts."),
    field("245", "10", "a", "Blue Ellington."),
    field("945", "  ", "a", "ML410", "b", ".E44", "g", "1", "i", "III-77", "l", "stk", "s", "-"),
)

NO_CONTROL_NUMBER = make(
    fixed("2001", "eng"),
    field("245", "00", "a", "Anonymous blues."),
    field("730", "0 ", "a", "Blues collection."),
)

CATALOGUE = (KIND_OF_BLUE, BLUE_NOTE, BIRD, NO_AGENCY, NO_CONTROL_NUMBER)
"""Loaded in this order, so their ids are 1 to 5."""

MARC8_FILE = MARC_FIXTURES / "marc8_diacritics.mrc"
"""Two MARC-8 records: Dvořák's "Aus Köln und Østfold" and "Café de la Paix"."""
