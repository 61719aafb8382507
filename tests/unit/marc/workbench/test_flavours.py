"""Telling UNIMARC and national MARCs from MARC 21, and UNIMARC to MARC 21."""

from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Record, Subfield

from shelfnet.marc.flavours import Flavour, detect, labels, unimarc_to_marc21
from shelfnet.marc.validate import validate
from tests.unit.marc.workbench.conftest import unicode_records


def _add(record: Record, *fields: Field) -> None:
    record.fields.extend(fields)


def _field(tag: str, ind: str, *pairs: str) -> Field:
    subfields = [Subfield(p[0], p[1:]) for p in pairs]
    return Field(tag, Indicators(ind[0], ind[1]), subfields)


def unimarc_book() -> Record:
    record = Record(force_utf8=True)
    record.leader = "00000nam0 2200000   450 "  # type: ignore[assignment]
    _add(record, Field("001", data="FRBNF1234"))
    _add(record, _field("010", "  ", "a2-07-036822-X", "bbr.", "d25 F"))
    _add(record, _field("011", "  ", "a0395-2037"))
    _add(record, _field("100", "  ", "a20010101d2001    m  y0frey0103    ba"))
    _add(record, _field("101", "0 ", "afre"))
    _add(
        record,
        _field(
            "200",
            "1 ",
            "aLe petit prince",
            "eroman",
            "fAntoine de Saint-Exupéry",
            "gill. de l'auteur",
        ),
    )
    _add(record, _field("205", "  ", "a2e éd."))
    _add(record, _field("210", "  ", "aParis", "cGallimard", "d2001"))
    _add(record, _field("215", "  ", "a93 p.", "cill.", "d18 cm"))
    _add(record, _field("606", "  ", "aContes", "yFrance", "z20e siècle"))
    _add(record, _field("600", " 1", "aSaint-Exupéry", "bAntoine de"))
    _add(record, _field("700", " 1", "aSaint-Exupéry", "bAntoine de", "f1900-1944", "4070"))
    _add(record, _field("702", " 1", "aDupont", "bMarie", "4730"))
    _add(record, _field("712", "02", "aGallimard"))
    return record


def test_unimarc_is_detected() -> None:
    assert detect(unimarc_book()) is Flavour.UNIMARC


@pytest.mark.parametrize("name", ["jazz_1k.mrc", "FSL.marc", "hebrew.marc", "nepali.marc"])
def test_real_marc21_files_are_marc21(name: str) -> None:
    assert {detect(r) for r in unicode_records(name, 20)} == {Flavour.MARC21}


def test_mab2_danmarc2_normarc_ukmarc_and_unknown() -> None:
    mab = Record(force_utf8=True)
    _add(mab, _field("331", "  ", "aHauptsachtitel"), _field("425", "a ", "a1999"))
    assert detect(mab) is Flavour.MAB2
    dan = Record(force_utf8=True)
    _add(dan, Field("001", data="00\x1fa12345678\x1fb870970"), _field("245", "00", "aTitel"))
    assert detect(dan) is Flavour.DANMARC2
    nor = Record(force_utf8=True)
    _add(nor, _field("019", "  ", "bl", "dN"), _field("245", "10", "aTittel"))
    assert detect(nor) is Flavour.NORMARC
    uk = Record(force_utf8=True)
    _add(
        uk,
        _field("015", "  ", "aGB123"),
        _field("245", "10", "aTitle"),
        _field("690", "  ", "aPRECIS"),
    )
    assert detect(uk) is Flavour.UKMARC
    assert detect(Record()) is Flavour.UNKNOWN


def test_labels_name_fields_in_the_flavour() -> None:
    shown = dict(labels(unimarc_book(), Flavour.UNIMARC))
    assert shown["200"] == "Title and statement of responsibility [UNIMARC]"
    assert shown["LDR"] == "Leader (UNIMARC)"
    marc21 = dict(labels(unicode_records("jazz_1k.mrc", 1)[0], Flavour.MARC21))
    assert marc21["245"].startswith("Title statement")


def test_unimarc_maps_to_marc21() -> None:
    out = unimarc_to_marc21(unimarc_book())
    assert out["245"].get_subfields("a", "b", "c") == [
        "Le petit prince",
        "roman",
        "Antoine de Saint-Exupéry ; ill. de l'auteur",
    ]
    assert out["245"].indicator1 == "1"
    assert out["020"].get_subfields("a", "q", "c") == ["2-07-036822-X", "br.", "25 F"]
    assert out["022"]["a"] == "0395-2037"
    assert out["250"]["a"] == "2e éd."
    assert out["260"].get_subfields("a", "b", "c") == ["Paris", "Gallimard", "2001"]
    assert out["300"].get_subfields("a", "b", "c") == ["93 p.", "ill.", "18 cm"]
    assert out["650"].get_subfields("a", "z", "y") == ["Contes", "France", "20e siècle"]
    assert out["600"]["a"] == "Saint-Exupéry, Antoine de"
    assert out["100"].get_subfields("a", "d", "4") == [
        "Saint-Exupéry, Antoine de",
        "1900-1944",
        "aut",
    ]
    assert out["700"].get_subfields("4") == ["trl"]
    assert out["710"]["a"] == "Gallimard"
    fixed = out["008"].data or ""
    assert fixed[7:11] == "2001" and fixed[35:38] == "fre"
    assert detect(out) is Flavour.MARC21
    assert [p for p in validate(out) if p.severity == "error"] == []
