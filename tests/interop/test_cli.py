"""The ``shelfnet`` command as a user runs it, against zebrasrv and yaz-ztest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shelfnet.marc import decode_marc
from tests.peers import Target, split_iso2709, yaz_client_marcdump, zoomsh_scan


def shelfnet(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "shelfnet", *args], capture_output=True, timeout=120, check=False
    )


def test_json_output_is_one_object_per_record(zebra_target: Target) -> None:
    done = shelfnet(
        "search", zebra_target.zurl, "@attr 1=1003 ellington", "--limit", "5", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [line["position"] for line in lines] == [1, 2, 3, 4, 5]
    assert all(line["target"] == zebra_target.zurl for line in lines)
    assert all(line["syntax"] == "usmarc" for line in lines)
    assert all("fields" in line["marc"] and "leader" in line["marc"] for line in lines)
    assert b"21 hits" in done.stderr


@pytest.mark.usefixtures("yaz_client")
def test_marc_output_is_the_targets_bytes(zebra_target: Target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "found.mrc"
    done = shelfnet(
        "search",
        zebra_target.zurl,
        "@attr 1=21 saxophone",
        "--limit",
        "30",
        "--format",
        "marc",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    theirs = yaz_client_marcdump(zebra_target, "@attr 1=21 saxophone", count=30)
    assert out.read_bytes() == theirs
    assert len(split_iso2709(out.read_bytes())) == 30


def test_text_output_is_the_mnemonic_format(zebra_target: Target) -> None:
    done = shelfnet(
        "search", zebra_target.zurl, "au=ellington and ti=duke", "--ccl", "--limit", "1"
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.startswith("=LDR  ")
    assert "\n=245  " in text and "Ellington" in text


def test_marcxml_output_parses_back_to_the_same_records(zebra_target: Target) -> None:
    from shelfnet.marc import parse_marcxml

    xml = shelfnet(
        "search", zebra_target.zurl, "@attr 1=4 blue", "--limit", "4", "--format", "marcxml"
    )
    marc = shelfnet(
        "search", zebra_target.zurl, "@attr 1=4 blue", "--limit", "4", "--format", "marc"
    )
    assert xml.returncode == marc.returncode == 0
    from_xml = [r.as_dict() for r in parse_marcxml(xml.stdout)]
    from_marc = [decode_marc(raw).record.as_dict() for raw in split_iso2709(marc.stdout)]
    assert from_xml == from_marc


@pytest.mark.usefixtures("zoomsh")
def test_scan_prints_terms_and_counts(zebra_target: Target) -> None:
    done = shelfnet("scan", zebra_target.zurl, "@attr 1=1003 davis", "--number", "5")
    assert done.returncode == 0, done.stderr
    rows = [tuple(line.split("\t")) for line in done.stdout.decode().splitlines()]
    assert [(t, int(c)) for t, c in rows] == zoomsh_scan(zebra_target, "@attr 1=1003 davis", 5)


def test_a_query_that_does_not_parse_is_a_usage_error_naming_the_column(
    zebra_target: Target,
) -> None:
    done = shelfnet("search", zebra_target.zurl, "@and @attr 1=4 jazz")
    assert done.returncode == 2
    assert b"column" in done.stderr


def test_a_bad_target_address_is_a_usage_error() -> None:
    assert shelfnet("search", "host:notaport/db", "jazz").returncode == 2


def test_a_diagnostic_is_a_target_error_with_code_and_addinfo(zebra_target: Target) -> None:
    done = shelfnet("search", zebra_target.zurl, "@attr 1=9999 jazz")
    assert done.returncode == 3
    assert b"114" in done.stderr and b"9999" in done.stderr


def test_a_closed_port_is_a_target_error() -> None:
    from tests.peers import free_port

    done = shelfnet("search", f"127.0.0.1:{free_port()}/db", "jazz", "--timeout", "3")
    assert done.returncode == 3


def test_opac_records_from_ztest_show_holdings(ztest_target: Target) -> None:
    done = shelfnet(
        "search", ztest_target.zurl, "@attr 1=4 computer", "--syntax", "opac", "--limit", "10"
    )
    assert done.returncode == 0, done.stderr
    assert b"=HOLDING" in done.stdout and b"call_number" in done.stdout


def test_marcxml_records_can_be_saved_as_iso2709_and_json(zebra_target: Target) -> None:
    query = "@attr 1=1003 ellington"
    as_json = shelfnet(
        "search", zebra_target.zurl, query, "--syntax", "xml", "--limit", "3", "--format", "json"
    )
    as_marc = shelfnet(
        "search", zebra_target.zurl, query, "--syntax", "xml", "--limit", "3", "--format", "marc"
    )
    assert as_json.returncode == as_marc.returncode == 0
    lines = [json.loads(line) for line in as_json.stdout.decode().splitlines()]
    assert all(line["syntax"] == "xml" and "marc" in line for line in lines)
    records = [decode_marc(raw).record for raw in split_iso2709(as_marc.stdout)]
    assert [r.as_dict() for r in records] == [line["marc"] for line in lines]
