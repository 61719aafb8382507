"""export_records: records out as ISO 2709 (UTF-8, MARC-8), MARCXML and mnemonic text."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator

import pytest
from pymarc import Field, Indicators, MARCReader, Record, Subfield

from shelfnet.marc import MarcError, from_mnemonic, parse_marcxml, split_records
from shelfnet.marc.export import ExportFormat, export_records, suffix


def record(number: str, *titles: str) -> Record:
    built = Record(leader="00000cam a2200000 a 4500")
    built.fields = [
        Field(tag="001", data=number),
        Field(tag="008", data="020121s1999    ru            000 0 rus d"),
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield(code, text) for code, text in zip("abc", titles, strict=False)],
        ),
    ]
    return built


def records() -> list[Record]:
    """Latin with diacritics (one NFD), Cyrillic, Hebrew, Greek and CJK: all in MARC-8."""
    return [
        record("1", "Kind of blue /", "Miles Davis."),
        record("2", "Dvořák in Köln :", "Łódź, 1990 -", "Cafe\u0301 H₂O."),
        record("3", "Москва ;", "שלום עולם ;", "λόγος 中文."),
    ]


def armenian() -> Record:
    return record("4", "Երևան /", "Yerevan.")


def exported(fmt: ExportFormat, items: list[Record], *, errors: str = "strict") -> bytes:
    stream = io.BytesIO()
    assert export_records(items, fmt, stream, errors=errors) == len(items)
    return stream.getvalue()


def fields(source: Record, *, form: str | None = None) -> list[object]:
    def text(value: str) -> str:
        return unicodedata.normalize(form, value) if form else value

    out: list[object] = []
    for field in source.fields:
        if field.control_field:
            out.append((field.tag, text(field.data or "")))
        else:
            subfields = [(sub.code, text(sub.value)) for sub in field.subfields]
            out.append((field.tag, tuple(field.indicators or ()), subfields))
    return out


def read_iso2709(data: bytes) -> list[Record]:
    reader = MARCReader(io.BytesIO(data), to_unicode=True, hide_utf8_warnings=True)
    read = list(reader)
    assert all(item is not None for item in read)
    return [item for item in read if item is not None]


def leader_09(data: bytes) -> set[bytes]:
    raws = list(split_records(io.BytesIO(data)))
    assert all(not isinstance(item, MarcError) for item in raws)
    return {item.data[9:10] for item in raws if not isinstance(item, MarcError)}


def test_utf8_iso2709_reads_back_with_pymarc_unchanged_and_says_unicode() -> None:
    data = exported(ExportFormat.MARC_UTF8, records())
    assert leader_09(data) == {b"a"}
    assert [fields(r) for r in read_iso2709(data)] == [fields(r) for r in records()]


def test_marc8_iso2709_reads_back_with_pymarc_as_the_same_text_and_says_marc8() -> None:
    data = exported(ExportFormat.MARC8, records())
    assert leader_09(data) == {b" "}
    assert b"\x1b(N" in data and b"\xe2e" in data
    back = read_iso2709(data)  # pymarc decodes MARC-8 to NFC
    assert [fields(r) for r in back] == [fields(r, form="NFC") for r in records()]


def test_marcxml_is_one_collection_document_that_parses_back() -> None:
    data = exported(ExportFormat.MARCXML, records())
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<collection')
    assert data.count(b"<collection") == 1 and data.endswith(b"</collection>\n")
    back = parse_marcxml(data)
    assert [fields(r) for r in back] == [fields(r) for r in records()]
    assert [str(r.leader) for r in back] == [str(r.leader) for r in records()]


def test_mnemonic_text_is_utf8_with_a_blank_line_between_records() -> None:
    text = exported(ExportFormat.MNEMONIC, records()).decode("utf-8")
    chunks = text.split("\n\n")
    assert len(chunks) == len(records())
    assert all(chunk.startswith("=LDR  ") for chunk in chunks)
    back = [from_mnemonic(chunk) for chunk in chunks]
    assert [fields(r) for r in back] == [fields(r) for r in records()]
    assert [str(r.leader) for r in back] == [str(r.leader) for r in records()]


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_the_count_is_of_records_written_from_any_iterable(fmt: ExportFormat) -> None:
    def generated() -> Iterator[Record]:
        yield from records()

    assert export_records(generated(), fmt, io.BytesIO()) == 3
    assert export_records([], fmt, io.BytesIO()) == 0


def test_an_empty_marcxml_export_is_still_a_document() -> None:
    assert parse_marcxml(exported(ExportFormat.MARCXML, [])) == []


def test_a_strict_marc8_export_stops_at_the_record_marc8_cannot_carry() -> None:
    stream = io.BytesIO()
    with pytest.raises(MarcError, match=r"record 2: field 245 \$a: U\+0535"):
        export_records([records()[0], armenian()], ExportFormat.MARC8, stream)
    assert len(read_iso2709(stream.getvalue())) == 1  # the one before it is written


def test_an_ncr_marc8_export_writes_references_for_what_marc8_lacks() -> None:
    data = exported(ExportFormat.MARC8, [armenian()], errors="ncr")
    (back,) = read_iso2709(data)
    assert back["245"]["a"] == "&#x0535;&#x0580;&#x0587;&#x0561;&#x0576; /"


@pytest.mark.parametrize(
    "fmt", [ExportFormat.MARC_UTF8, ExportFormat.MARCXML, ExportFormat.MNEMONIC]
)
def test_unicode_formats_carry_every_character(fmt: ExportFormat) -> None:
    assert b"\xd4\xb5" in exported(fmt, [armenian()])  # Ե in UTF-8


def test_an_unknown_errors_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="'strict' or 'ncr'"):
        export_records(records(), ExportFormat.MARC8, io.BytesIO(), errors="ignore")


def test_format_names_are_the_words_a_command_line_takes() -> None:
    assert [fmt.value for fmt in ExportFormat] == ["marc", "marc8", "marcxml", "mrk"]
    assert ExportFormat("marc8") is ExportFormat.MARC8


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (ExportFormat.MARC_UTF8, ".mrc"),
        (ExportFormat.MARC8, ".mrc"),
        (ExportFormat.MARCXML, ".xml"),
        (ExportFormat.MNEMONIC, ".mrk"),
    ],
)
def test_file_suffixes(fmt: ExportFormat, expected: str) -> None:
    assert suffix(fmt) == expected
