"""Records inside EXTERNALs: decoded by OID, and a bad one never costs the others."""

from __future__ import annotations

from shelfnet.z3950 import codec, oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.records import (
    Holding,
    OpacRecord,
    decode_diag_rec,
    decode_external_record,
    decode_name_plus_record,
)

MARC = b"00026nam  2200025   4500\x1e\x1d"


def external(syntax: str, encoding: tuple[str, bytes]) -> dict[str, object]:
    return {"direct-reference": syntax, "encoding": encoding}


def test_marc_arrives_octet_aligned_and_is_kept_byte_for_byte() -> None:
    record = decode_external_record(external(oids.USMARC, ("octet-aligned", MARC)))
    assert record.is_marc and record.raw == MARC and record.syntax_name == "usmarc"


def test_sutrs_is_a_general_string_inside_single_asn1_type() -> None:
    text = b"Kind of blue / Miles Davis."
    encoded = codec.encode("InternationalString", text)
    record = decode_external_record(external(oids.SUTRS, ("single-ASN1-type", encoded)))
    assert record.text == "Kind of blue / Miles Davis."


def test_opac_records_decode_to_typed_holdings() -> None:
    opac = codec.encode(
        "OPACRecord",
        {
            "bibliographicRecord": external(oids.USMARC, ("octet-aligned", MARC)),
            "holdingsData": [
                (
                    "holdingsAndCirc",
                    {
                        "callNumber": b"ML3506 .D38",
                        "localLocation": b"Music Library",
                        "circulationData": [
                            {
                                "availableNow": True,
                                "renewable": False,
                                "onHold": False,
                                "availablityDate": b"2026-12-01",
                                "itemId": b"39001",
                            }
                        ],
                    },
                )
            ],
        },
    )
    record = decode_external_record(external(oids.OPAC, ("single-ASN1-type", opac)))
    assert isinstance(record.value, OpacRecord)
    assert record.value.bibliographic is not None and record.value.bibliographic.raw == MARC
    (holding,) = record.value.holdings
    assert isinstance(holding, Holding)
    assert holding.call_number == "ML3506 .D38" and holding.local_location == "Music Library"
    assert holding.circulation[0].available_now
    assert holding.circulation[0].availability_date == "2026-12-01"


def test_an_undecodable_opac_record_is_kept_raw_with_the_reason() -> None:
    broken = b"\x30\x05\xa1\x03\x02\x01\x01"
    record = decode_external_record(external(oids.OPAC, ("single-ASN1-type", broken)))
    assert record.value is None and record.raw == broken
    assert record.problem


def test_a_surrogate_diagnostic_stands_in_for_its_record() -> None:
    value = {
        "name": b"jazz",
        "record": (
            "surrogateDiagnostic",
            (
                "defaultFormat",
                {
                    "diagnosticSetId": oids.DIAG_BIB1,
                    "condition": 238,
                    "addinfo": ("v3Addinfo", b"grs-1"),
                },
            ),
        ),
    }
    record = decode_name_plus_record(value)
    assert not record.ok and record.database == "jazz"
    assert record.diagnostic == Diagnostic(238, "grs-1")
    assert str(record.diagnostic) == "Bib-1 238: Record not available in requested syntax (grs-1)"


def test_diag1_diagnostics_are_understood() -> None:
    inner = codec.encode(
        "DiagnosticFormat",
        [
            {
                "diagnostic": (
                    "defaultDiagRec",
                    {
                        "diagnosticSetId": oids.DIAG_BIB1,
                        "condition": 1011,
                        "addinfo": ("v3Addinfo", b""),
                    },
                ),
                "message": b"bad password",
            }
        ],
    )
    diagnostic = decode_diag_rec(
        ("externallyDefined", external(oids.DIAG_1, ("single-ASN1-type", inner)))
    )
    assert diagnostic == Diagnostic(1011, "bad password")
