"""The ISO ILL codec: round trips through BER, hostile bytes, the parse cache."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.ill.protocols.isoill import apdus, codec
from shelfnet.ill.protocols.isoill.errors import DecodeError

from .strategies import all_apdus


def round_trip(apdu: apdus.Apdu) -> apdus.Apdu:
    return apdus.apdu_from_value(*codec.decode_apdu(codec.encode_apdu(*apdu.encode_value())))


@given(all_apdus)
@settings(max_examples=200)
def test_every_apdu_survives_encode_then_decode(apdu: apdus.Apdu) -> None:
    assert round_trip(apdu) == apdu


def test_all_twenty_apdus_have_a_class_and_an_application_tag() -> None:
    assert len(apdus.APDU_CLASSES) == 20
    for number, kind in enumerate(apdus.ApduType, start=1):
        minimal = apdus.APDU_CLASSES[kind](
            transaction_id=apdus.TransactionId(qualifier="1"),
            service_date_time=apdus.ServiceDateTime("20240101"),
            responder_id=apdus.SystemId("RESP"),
        )
        data = codec.encode_apdu(*minimal.encode_value())
        assert data[0] == 0x60 | number  # [APPLICATION n], constructed


@given(st.binary(max_size=300))
@settings(max_examples=800)
def test_any_bytes_either_decode_or_raise_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        codec.decode_apdu(data)


@given(all_apdus, st.data())
@settings(max_examples=200)
def test_corrupted_apdus_raise_only_decode_error(apdu: apdus.Apdu, data: st.DataObject) -> None:
    encoded = bytearray(codec.encode_apdu(*apdu.encode_value()))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] ^= data.draw(st.integers(1, 255))
    with contextlib.suppress(DecodeError):
        name, value = codec.decode_apdu(encoded)
        with contextlib.suppress(KeyError, ValueError, TypeError, IndexError):
            apdus.apdu_from_value(name, value)


def test_unknown_fields_ride_along_in_other() -> None:
    request = apdus.IllRequest(
        transaction_id=apdus.TransactionId(qualifier="7"),
        service_date_time=apdus.ServiceDateTime("20240101"),
        other={
            "iLL-request-extensions": [{"identifier": 1, "critical": False, "item": b"\x04\x01x"}]
        },
    )
    assert round_trip(request) == request


def test_the_parse_cache_is_fresh() -> None:
    assert codec.cached_modules() is not None, "run python -m shelfnet.ill.protocols.isoill.codec"
    document = json.loads((codec.ASN_DIR / "compiled.json").read_text(encoding="utf-8"))
    assert "ISO-10161-ILL-1" in document["modules"]


def test_latin1_strings_are_read_rather_than_refused() -> None:
    assert apdus.text(("generalstring", "Müller".encode("latin-1"))) == "Müller"
