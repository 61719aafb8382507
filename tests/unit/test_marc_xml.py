"""MARCXML read and written through pymarc, round-tripping to the same record."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc import (
    MARCXML_NAMESPACE,
    DecodedMarc,
    MarcError,
    iter_marc,
    parse_marcxml,
    record_to_marcxml,
    write_marcxml,
    write_marcxml_collection,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "marc"
SHARED_MARC = Path(__file__).parents[2].parent / "shared" / "data" / "marc"

RECORD_XML = b"""<record>
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">x1</controlfield>
  <datafield tag="245" ind1="1" ind2="0">
    <subfield code="a">Grune &amp; Stratton &lt;1998-&gt;</subfield>
  </datafield>
</record>"""


def shared_file(name: str) -> bytes:
    path = SHARED_MARC / name
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    return path.read_bytes()


def fixture_records() -> list[Record]:
    data = (FIXTURES / "marc8_diacritics.mrc").read_bytes()
    return [item.record for item in iter_marc(data) if isinstance(item, DecodedMarc)]


def dicts(records: list[Record]) -> list[dict[str, object]]:
    return [record.as_dict() for record in records]


def test_a_lone_record_element_without_namespace_is_read() -> None:
    (record,) = parse_marcxml(RECORD_XML)
    assert record["001"].data == "x1"
    assert record["245"].indicators == Indicators("1", "0")
    assert record["245"]["a"] == "Grune & Stratton <1998->"


def test_a_namespaced_collection_is_read_in_order() -> None:
    body = RECORD_XML.replace(b"x1", b"x2")
    data = (
        f'<collection xmlns="{MARCXML_NAMESPACE}">'.encode() + RECORD_XML + body + b"</collection>"
    )
    assert [r["001"].data for r in parse_marcxml(data)] == ["x1", "x2"]


def test_records_one_after_another_without_a_root_are_read() -> None:
    data = b'<?xml version="1.0"?>\n' + RECORD_XML + b"\n" + RECORD_XML
    assert len(parse_marcxml(data)) == 2


def test_a_written_record_is_a_namespaced_utf8_document() -> None:
    data = write_marcxml(fixture_records()[0])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<record xmlns="')
    assert "Dvořák".encode() in data


def test_a_record_element_for_streaming_has_no_declaration() -> None:
    data = record_to_marcxml(fixture_records()[0])
    assert data.startswith(f'<record xmlns="{MARCXML_NAMESPACE}">'.encode())
    assert dicts(parse_marcxml(data)) == dicts(fixture_records()[:1])


def test_a_written_collection_reads_back_as_the_same_records() -> None:
    records = fixture_records()
    assert dicts(parse_marcxml(write_marcxml_collection(records))) == dicts(records)


def test_a_record_xml_cannot_carry_is_refused() -> None:
    record = Record()
    record.leader = Leader("00000nam a2200000 a 4500")
    record.fields = [
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "ESC\x1b")])
    ]
    with pytest.raises(MarcError, match="U\\+001B"):
        write_marcxml(record)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<record><leader>", "not well-formed"),
        (b"not xml", "not well-formed"),
        (b"<record><leader>short</leader></record>", "not MARCXML"),
        (b"<record/><record><oops></record>", "even as records without a root"),
    ],
)
def test_broken_xml_raises_marc_error(data: bytes, reason: str) -> None:
    with pytest.raises(MarcError, match=reason):
        parse_marcxml(data)


def test_an_external_entity_is_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    data = (
        f'<!DOCTYPE record [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
        + RECORD_XML.replace(b"x1", b"&x;")
    )
    records = parse_marcxml(data)
    assert all("do not read me" not in (r["001"].data or "") for r in records)


# XML 1.0 text without carriage returns (which XML reads back as line feeds).
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("\t\n"),
    max_size=20,
)


@given(
    st.lists(
        st.tuples(
            st.integers(10, 999), st.lists(st.tuples(st.sampled_from("a6z0"), XML_TEXT), max_size=4)
        ),
        max_size=5,
    ),
    XML_TEXT,
)
def test_any_xml_safe_record_round_trips(
    fields: list[tuple[int, list[tuple[str, str]]]], control: str
) -> None:
    record = Record()
    record.leader = Leader("00000nam a2200000 a 4500")
    record.fields = [Field(tag="005", data=control)] + [
        Field(
            tag=f"{tag:03d}",
            indicators=Indicators(" ", "4"),
            subfields=[Subfield(code, value) for code, value in subfields],
        )
        for tag, subfields in fields
    ]
    assert dicts(parse_marcxml(write_marcxml(record))) == dicts([record])


def test_serials_marcxml_round_trips_record_by_record() -> None:
    records = parse_marcxml(shared_file("serials_marc21.xml"))
    assert len(records) == 7
    for record in records:
        assert dicts(parse_marcxml(write_marcxml(record))) == dicts([record])
    assert dicts(parse_marcxml(write_marcxml_collection(records))) == dicts(records)


def test_jazz_records_converted_to_utf8_round_trip_through_marcxml() -> None:
    decoded = [d for d in iter_marc(shared_file("jazz_1k.mrc")) if isinstance(d, DecodedMarc)]
    assert len(decoded) == 1000
    records = [d.record for d in decoded]
    for record in records:
        assert dicts(parse_marcxml(write_marcxml(record))) == dicts([record])
    assert dicts(parse_marcxml(write_marcxml_collection(records))) == dicts(records)
