"""Records as clients ask for them: syntaxes, element sets, OPAC holdings."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfnet.backend import BackendError
from shelfnet.catalog.formats import BRIEF_TAGS, element_set_name, iso2709_subset, render
from shelfnet.catalog.holdings import holdings
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.store import CatalogStore, StoredRecord
from shelfnet.marc import decode_marc, from_mnemonic, parse_marcxml
from shelfnet.z3950 import oids
from shelfnet.z3950.records import Circulation, Holding, OpacRecord, decode_opac
from tests.unit.catalog.conftest import NewStore
from tests.unit.catalog.records import BIRD, BLUE_NOTE, KIND_OF_BLUE, MARC8_FILE, NO_AGENCY


def stored(store: CatalogStore, record_id: int) -> StoredRecord:
    return store.records([record_id])[record_id]


def test_usmarc_is_the_stored_bytes_exactly(store: CatalogStore) -> None:
    record = render(stored(store, 1), oids.USMARC, "F", "Default")
    assert record.raw == bytes(KIND_OF_BLUE.as_marc())
    assert record.syntax == oids.USMARC and record.database == "Default"


def test_marc8_records_stay_marc8(tmp_path: Path, new_store: NewStore) -> None:
    with new_store() as store:
        import_files([MARC8_FILE], store)
        first = stored(store, 1)
        assert first.charset == "marc-8"
        assert (
            render(first, oids.USMARC, "F", "Default").raw
            == MARC8_FILE.read_bytes()[: len(first.raw)]
        )
        brief = render(first, oids.USMARC, "B", "Default").raw
        assert b"K\xe8oln" in brief  # MARC-8 umlaut, untouched
        xml = render(first, oids.XML, "F", "Default").raw
        assert "Aus Köln und Østfold".encode() in xml


def test_brief_usmarc_keeps_only_the_brief_fields(store: CatalogStore) -> None:
    brief = render(stored(store, 1), oids.USMARC, "B", "Default").raw
    record = decode_marc(brief).record
    assert [f.tag for f in record.fields] == ["001", "003", "008", "020", "100", "245", "260"]
    assert record["245"]["c"] == "Miles Davis."
    assert str(record.leader)[5:12] == str(KIND_OF_BLUE.leader)[5:12]
    assert {f.tag for f in record.fields} <= BRIEF_TAGS


def test_iso2709_subset_of_nothing_is_a_leader_and_terminators(store: CatalogStore) -> None:
    raw = iso2709_subset(stored(store, 1).raw, ())
    assert len(raw) == int(raw[:5]) == 26 and int(raw[12:17]) == 25
    assert raw.endswith(b"\x1e\x1d")


def test_marcxml_reads_back_as_the_same_record(store: CatalogStore) -> None:
    xml = render(stored(store, 2), oids.XML, "F", "Default").raw
    (record,) = parse_marcxml(xml)
    assert record.as_marc() == BLUE_NOTE.as_marc()
    assert render(stored(store, 2), oids.APPLICATION_XML, "F", "Default").raw == xml


def test_brief_marcxml(store: CatalogStore) -> None:
    (record,) = parse_marcxml(render(stored(store, 2), oids.XML, "B", "Default").raw)
    assert [f.tag for f in record.fields] == ["001", "003", "008", "022", "110", "245", "264"]


def test_sutrs_is_the_mnemonic_text(store: CatalogStore) -> None:
    text = render(stored(store, 1), oids.SUTRS, "F", "Default").raw.decode()
    assert "=245  14$aThe kind of blue /$h[sound recording]$cMiles Davis.\n" in text
    assert from_mnemonic(text).as_marc() == KIND_OF_BLUE.as_marc()


def test_opac_holdings_come_from_852(store: CatalogStore) -> None:
    record = render(stored(store, 1), oids.OPAC, "F", "Default")
    assert record.syntax == oids.OPAC and isinstance(record.value, OpacRecord)
    expected = Holding(
        nuc_code="SHN",
        local_location="Main Library",
        shelving_location="Stacks",
        call_number="ML419.D39 K56",
        copy_number="1",
        public_note="Signed copy",
        circulation=(
            Circulation(available_now=True, renewable=False, on_hold=False, item_id="BC0001"),
        ),
    )
    assert record.value.holdings == (expected,)
    # What goes on the wire decodes to the same thing.
    decoded = decode_opac(record.raw)
    assert decoded.holdings == (expected,)
    assert decoded.bibliographic is not None
    assert decoded.bibliographic.raw == stored(store, 1).raw


def test_opac_brief_has_a_brief_bibliographic_record_and_all_holdings(store: CatalogStore) -> None:
    record = render(stored(store, 1), oids.OPAC, "B", "Default")
    decoded = decode_opac(record.raw)
    assert decoded.bibliographic is not None
    assert b"Recorded in New York" not in decoded.bibliographic.raw
    assert len(decoded.holdings) == 1


def test_a_record_without_holdings_is_an_opac_record_without_holdings(store: CatalogStore) -> None:
    decoded = decode_opac(render(stored(store, 5), oids.OPAC, "F", "Default").raw)
    assert decoded.holdings == ()


def test_item_fields_of_common_systems_are_holdings_too() -> None:
    (sirsi,) = holdings(BLUE_NOTE)
    assert (sirsi.local_location, sirsi.shelving_location, sirsi.call_number) == (
        "MAIN",
        "AUDIO",
        "ML 3506 B5",
    )
    assert sirsi.circulation[0].item_id == "30007001"
    (koha,) = holdings(BIRD)
    assert (koha.local_location, koha.call_number, koha.copy_number) == (
        "BRANCH",
        "781.65 PAR",
        "2",
    )
    loan = koha.circulation[0]
    assert not loan.available_now and loan.availability_date == "2026-12-01"
    (innovative,) = holdings(NO_AGENCY)
    assert innovative.call_number == "ML410 .E44" and innovative.circulation[0].available_now


def test_unsupported_syntaxes_are_surrogate_diagnostics(store: CatalogStore) -> None:
    record = render(stored(store, 1), oids.GRS1, "F", "Default")
    assert not record.ok and record.syntax == ""
    assert record.diagnostic is not None
    assert (record.diagnostic.code, record.diagnostic.addinfo) == (239, oids.GRS1)


@pytest.mark.parametrize(("name", "expected"), [(None, "F"), ("f", "F"), ("F", "F"), ("b", "B")])
def test_element_set_names(name: str | None, expected: str) -> None:
    assert element_set_name(name) == expected


def test_unknown_element_sets_are_25() -> None:
    with pytest.raises(BackendError) as raised:
        element_set_name("dc")
    assert (raised.value.diagnostic.code, raised.value.diagnostic.addinfo) == (25, "dc")
