"""The interop harness itself: real servers, real reference clients."""

from __future__ import annotations

import socket
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from pymarc import Record

from tests.interop.queries import (
    CCL_QUALIFIER_FILE,
    JAZZ_CCL,
    JAZZ_PQF,
    JAZZ_PQF_DIAGNOSTICS,
    DiagnosticCase,
    QueryCase,
)
from tests.peers import (
    ALL_RECORDS_PQF,
    MissingProgram,
    PeerDiagnostic,
    PeerError,
    Target,
    ZebraBuild,
    free_port,
    marc_data_dir,
    split_iso2709,
    start_ztest,
    yaz_client_hits_ccl,
    yaz_client_marcdump,
    zoomsh_hits,
    zoomsh_scan,
)

MARC21_SLIM = "{http://www.loc.gov/MARC21/slim}"


def jazz_file_records() -> list[bytes]:
    return split_iso2709((marc_data_dir() / "jazz_1k.mrc").read_bytes())


def accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


# --- harness basics ----------------------------------------------------------


def test_missing_program_names_the_package_to_install() -> None:
    assert str(MissingProgram("zebrasrv")) == (
        "zebrasrv not found: install Debian package idzebra-2.0 (make peers)"
    )


def test_target_zurl_is_host_port_database() -> None:
    assert Target("127.0.0.1", 2100, "jazz").zurl == "127.0.0.1:2100/jazz"


def test_free_port_can_be_bound() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))


def test_split_iso2709_rejects_bytes_without_a_record_length() -> None:
    with pytest.raises(ValueError, match="record length"):
        split_iso2709(b"not a MARC record")


# --- yaz-ztest ---------------------------------------------------------------


@pytest.mark.usefixtures("zoomsh")
def test_ztest_reports_the_number_that_starts_the_term(ztest_target: Target) -> None:
    assert zoomsh_hits(ztest_target, "42") == 42


@pytest.mark.usefixtures("zoomsh")
def test_ztest_stops_when_its_block_ends() -> None:
    with start_ztest() as (host, port):
        assert zoomsh_hits(Target(host, port), "7") == 7
    assert not accepts_connections(host, port)


@pytest.mark.usefixtures("zoomsh")
def test_unreachable_target_is_a_zoom_diagnostic() -> None:
    with pytest.raises(PeerDiagnostic) as raised:
        zoomsh_hits(Target("127.0.0.1", free_port(), "jazz"), "jazz", timeout=10)
    assert raised.value.diagset == "ZOOM"


# --- Zebra: building and searching ------------------------------------------


def test_zebra_indexes_every_record(zebra_build: ZebraBuild) -> None:
    assert zebra_build.records == {"jazz": 1000, "mixed": 668}


@pytest.mark.usefixtures("zoomsh")
def test_zoomsh_sees_all_1000_jazz_records(zebra_target: Target) -> None:
    assert zoomsh_hits(zebra_target, ALL_RECORDS_PQF) == 1000


@pytest.mark.usefixtures("zoomsh")
def test_any_jazz_finds_978_records(zebra_target: Target) -> None:
    # Any covers headings only; 22 records say "jazz" just in notes or imprint.
    assert zoomsh_hits(zebra_target, "@attr 1=1016 jazz") == 978


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("case", JAZZ_PQF, ids=lambda case: case.query)
def test_pqf_query_finds_the_recorded_hits(zebra_target: Target, case: QueryCase) -> None:
    assert zoomsh_hits(zebra_target, case.query) == case.hits


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("case", JAZZ_PQF_DIAGNOSTICS, ids=lambda case: case.query)
def test_refused_pqf_query_gives_its_diagnostic(zebra_target: Target, case: DiagnosticCase) -> None:
    with pytest.raises(PeerDiagnostic) as raised:
        zoomsh_hits(zebra_target, case.query)
    assert (raised.value.diagset, raised.value.code) == ("Bib-1", case.code)


@pytest.mark.usefixtures("yaz_client")
@pytest.mark.parametrize("case", JAZZ_CCL, ids=lambda case: case.query)
def test_ccl_query_finds_the_recorded_hits(zebra_target: Target, case: QueryCase) -> None:
    assert yaz_client_hits_ccl(zebra_target, case.query, CCL_QUALIFIER_FILE) == case.hits


@pytest.mark.usefixtures("yaz_client")
def test_ccl_syntax_error_is_reported(zebra_target: Target) -> None:
    with pytest.raises(PeerError, match="cannot parse CCL"):
        yaz_client_hits_ccl(zebra_target, "ti=(blue", CCL_QUALIFIER_FILE)


@pytest.mark.usefixtures("zoomsh")
def test_unknown_database_is_diagnostic_109(zebra_target: Target) -> None:
    elsewhere = Target(zebra_target.host, zebra_target.port, "nosuchdb")
    with pytest.raises(PeerDiagnostic) as raised:
        zoomsh_hits(elsewhere, "jazz")
    assert raised.value.code == 109


@pytest.mark.usefixtures("zoomsh")
def test_mixed_database_finds_every_script(zebra_mixed_target: Target) -> None:
    assert zoomsh_hits(zebra_mixed_target, ALL_RECORDS_PQF) == 668
    assert zoomsh_hits(zebra_mixed_target, "@attr 1=1016 théâtre") == 8  # MARC-8 French
    assert zoomsh_hits(zebra_mixed_target, "@attr 1=4 стихотворения") == 1  # UTF-8 Russian
    assert zoomsh_hits(zebra_mixed_target, "@attr 1=1003 शाह") == 2  # UTF-8 Nepali


# --- Zebra: scan ------------------------------------------------------------


@pytest.mark.usefixtures("zoomsh")
def test_title_scan_starts_at_the_term_with_its_count(zebra_target: Target) -> None:
    entries = zoomsh_scan(zebra_target, "@attr 1=4 jazz", number=5)
    assert len(entries) == 5
    assert entries[0] == ("jazz", 415)
    assert all(count > 0 for _, count in entries)


@pytest.mark.usefixtures("zoomsh")
def test_author_scan_places_the_term_where_asked(zebra_target: Target) -> None:
    entries = zoomsh_scan(zebra_target, "@attr 1=1003 ellington", number=5, position=3)
    assert entries[2] == ("Ellington", 21)


@pytest.mark.usefixtures("zoomsh")
def test_phrase_scan_lists_whole_headings(zebra_target: Target) -> None:
    entries = zoomsh_scan(zebra_target, "@attr 1=21 @attr 4=1 @attr 6=3 jazz", number=3)
    assert entries == [("Jazz", 299), ("Jazz dance", 4), ("Jazz ensemble with orchestra", 1)]


# --- Zebra: retrieval -------------------------------------------------------


@pytest.mark.usefixtures("yaz_client")
def test_marcdump_of_three_records_gives_three_iso2709_records(zebra_target: Target) -> None:
    records = split_iso2709(yaz_client_marcdump(zebra_target, "@attr 1=4 blue", count=3))
    assert len(records) == 3
    for raw in records:
        leader = raw[:24].decode("ascii")
        assert int(leader[:5]) == len(raw)
        assert leader[10:12] == "22"
        assert leader[20:24] == "4500"
        assert raw[int(leader[12:17]) - 1] == 0x1E  # directory ends where data begins
        assert "blue" in Record(data=raw)["245"].value().lower()


@pytest.mark.usefixtures("yaz_client")
def test_usmarc_records_are_the_original_bytes(zebra_target: Target) -> None:
    dump = yaz_client_marcdump(zebra_target, ALL_RECORDS_PQF, count=1000)
    assert split_iso2709(dump) == jazz_file_records()


@pytest.mark.usefixtures("yaz_client")
def test_xml_records_are_marcxml_in_utf8(zebra_target: Target) -> None:
    document = yaz_client_marcdump(zebra_target, "@attr 1=4 köln", syntax="xml")
    record = ET.fromstring(document)
    assert record.tag == f"{MARC21_SLIM}record"
    title = record.find(f"{MARC21_SLIM}datafield[@tag='245']/{MARC21_SLIM}subfield[@code='a']")
    assert title is not None and title.text is not None
    assert unicodedata.normalize("NFC", title.text) == "The Köln concert"


@pytest.mark.usefixtures("yaz_client")
def test_sutrs_records_are_yaz_line_format(zebra_target: Target) -> None:
    text = yaz_client_marcdump(zebra_target, "@attr 1=4 köln", syntax="sutrs").decode()
    lines = text.splitlines()
    assert lines[0] == "00583njm  2200205 a 4500"
    assert "100 10 $a Jarrett, Keith" in lines
