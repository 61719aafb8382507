"""MARC-in-JSON as pymarc writes and reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc import (
    DecodedMarc,
    MarcError,
    iter_marc,
    marc_json_dict,
    parse_marc_json,
    write_marc_json,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "marc"


def fixture_records() -> list[Record]:
    data = (FIXTURES / "marc8_diacritics.mrc").read_bytes()
    return [item.record for item in iter_marc(data) if isinstance(item, DecodedMarc)]


def test_a_record_is_a_leader_and_a_list_of_one_key_field_objects() -> None:
    dvorak = fixture_records()[0]
    as_json = marc_json_dict(dvorak)
    assert as_json["leader"] == str(dvorak.leader)
    assert as_json["fields"][0] == {"001": "sn-marc8-1"}
    assert as_json["fields"][1] == {
        "100": {
            "ind1": "1",
            "ind2": "0",
            "subfields": [{"a": "Dvořák, Antonín,"}, {"d": "1841-1904."}],
        }
    }


def test_written_json_keeps_non_ascii_text_readable() -> None:
    text = write_marc_json(fixture_records()[0])
    assert "Dvořák" in text
    assert json.loads(text) == marc_json_dict(fixture_records()[0])


def test_a_single_object_and_an_array_both_read_back() -> None:
    records = fixture_records()
    one = parse_marc_json(write_marc_json(records[0]))
    many = parse_marc_json(json.dumps([marc_json_dict(r) for r in records]).encode("utf-8"))
    assert [r.as_dict() for r in one] == [records[0].as_dict()]
    assert [r.as_dict() for r in many] == [r.as_dict() for r in records]


def test_json_text_naming_a_file_is_read_as_json_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text(write_marc_json(fixture_records()[0]), encoding="utf-8")
    with pytest.raises(MarcError, match="not JSON"):
        parse_marc_json(str(path))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ('{"fields": []}', "not MARC-in-JSON"),
        ('{"leader": "short", "fields": []}', "not MARC-in-JSON"),
        ('{"leader": "00000nam a2200000 a 4500", "fields": [7]}', "not MARC-in-JSON"),
    ],
)
def test_json_that_is_not_marc_in_json_raises_marc_error(data: str | bytes, reason: str) -> None:
    with pytest.raises(MarcError, match=reason):
        parse_marc_json(data)


VALUE = st.text(st.characters(codec="utf-8"), max_size=20)


@given(
    st.lists(
        st.tuples(st.integers(10, 999), st.lists(st.tuples(st.sampled_from("abc0689"), VALUE))),
        max_size=5,
    ),
    VALUE,
)
def test_any_record_round_trips_through_marc_in_json(
    fields: list[tuple[int, list[tuple[str, str]]]], control: str
) -> None:
    record = Record()
    record.leader = Leader("00000nam a2200000 a 4500")
    record.fields = [Field(tag="001", data=control)] + [
        Field(
            tag=f"{tag:03d}",
            indicators=Indicators("1", " "),
            subfields=[Subfield(code, value) for code, value in subfields],
        )
        for tag, subfields in fields
    ]
    (back,) = parse_marc_json(write_marc_json(record))
    assert back.as_dict() == record.as_dict()
