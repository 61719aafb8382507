"""Writing retrieved records (``shelfnet.output.RecordWriter``) in every format."""

from __future__ import annotations

import io

import pymarc
import pytest
from pymarc import Field, Subfield

from shelfnet.marc import decode_marc, from_mnemonic, parse_marcxml
from shelfnet.output import RecordWriter
from shelfnet.z3950 import oids
from shelfnet.z3950.records import Record


def _record() -> pymarc.Record:
    made = pymarc.Record(force_utf8=True)
    made.add_field(Field(tag="001", data="rec-1"))
    made.add_field(
        Field(
            tag="245",
            indicators=["1", "0"],
            subfields=[Subfield("a", "Köln concert /"), Subfield("c", "Keith Jarrett.")],
        )
    )
    return made


def _written(fmt: str) -> bytes:
    stream = io.BytesIO()
    writer = RecordWriter(stream, fmt, "here:210/db")
    retrieved = Record(syntax=oids.USMARC, raw=_record().as_marc())
    writer.write(1, retrieved)
    writer.write(2, retrieved)
    writer.close()
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["marc", "marc8"])
def test_iso2709_formats_read_back_to_the_same_fields(fmt: str) -> None:
    data = _written(fmt)
    records = list(pymarc.MARCReader(io.BytesIO(data), to_unicode=False))
    assert len(records) == 2
    for raw in records:
        assert raw is not None
        decoded = decode_marc(raw.as_marc()).record
        assert decoded["245"]["a"] == "Köln concert /"
        assert raw.leader[9] == ("a" if fmt == "marc" else " ")


def test_marcxml_and_mnemonic_read_back() -> None:
    assert [r["001"].data for r in parse_marcxml(_written("marcxml"))] == ["rec-1", "rec-1"]
    chunks = _written("mrk").decode("utf-8").split("\n\n")
    assert [from_mnemonic(chunk)["245"]["c"] for chunk in chunks] == ["Keith Jarrett."] * 2
