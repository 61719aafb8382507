"""The BER codec: round trips, hostile bytes, and the parse cache."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.z3950 import codec
from shelfnet.z3950.ber import definite, tlv_end
from shelfnet.z3950.errors import DecodeError
from shelfnet.z3950.events import Close, CloseReason, Event, event_from_apdu

from .strategies import events


def round_trip(event: Event) -> Event:
    name, value = codec.decode_apdu(codec.encode_apdu(event.pdu, event.to_value("utf-8")))
    assert name == event.pdu
    return event_from_apdu(name, value, "utf-8")


@given(events)
@settings(max_examples=300)
def test_every_valid_apdu_survives_encode_then_decode(event: Event) -> None:
    assert round_trip(event) == event


@given(st.binary(max_size=400))
@settings(max_examples=2000)
def test_any_bytes_either_decode_or_raise_shelfnets_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        codec.decode_apdu(data)


@given(events, st.data())
@settings(max_examples=300)
def test_corrupted_apdus_raise_only_decode_error(event: Event, data: st.DataObject) -> None:
    encoded = bytearray(codec.encode_apdu(event.pdu, event.to_value("utf-8")))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    try:
        name, value = codec.decode_apdu(encoded)
        event_from_apdu(name, value, "utf-8")
    except DecodeError:
        pass
    except (KeyError, TypeError, ValueError):
        # Structurally valid BER whose values make no sense as this event: the protocol core
        # turns these into RemoteProtocolError (see test_protocol).
        pass


def test_close_is_encoded_as_the_standard_says() -> None:
    # [48] IMPLICIT SEQUENCE { closeReason [211] IMPLICIT INTEGER }: BF 30, then 9F 81 53.
    encoded = codec.encode_apdu("close", Close(CloseReason.SYSTEM_PROBLEM).to_value("utf-8"))
    assert encoded == bytes.fromhex("bf30059f81530102")


def test_indefinite_lengths_decode_like_definite_ones() -> None:
    definite_form = codec.encode_apdu("close", Close(CloseReason.PEER_ABORT).to_value("utf-8"))
    indefinite_form = bytes.fromhex("bf3080") + definite_form[3:] + b"\x00\x00"
    assert tlv_end(indefinite_form) == len(indefinite_form)
    assert definite(indefinite_form) == definite_form
    assert codec.decode_apdu(indefinite_form) == codec.decode_apdu(definite_form)


def test_the_parse_cache_matches_the_asn1_sources() -> None:
    cached = codec.cached_modules()
    assert cached is not None, "asn/compiled.json is stale: run python -m shelfnet.z3950.codec"
    assert cached == json.loads(json.dumps(codec.parse_modules()))
