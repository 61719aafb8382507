"""BER framing: where an APDU ends, without trusting declared lengths."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.z3950.ber import tlv_end
from shelfnet.z3950.errors import DecodeError


def test_a_complete_definite_tlv_ends_after_its_content() -> None:
    assert tlv_end(b"\x30\x03\x02\x01\x05trailing") == 5


def test_an_incomplete_tlv_needs_more_data() -> None:
    assert tlv_end(b"\x30\x05\x02\x01") is None
    assert tlv_end(b"\x30") is None
    assert tlv_end(b"") is None


def test_long_form_lengths_and_high_tag_numbers() -> None:
    tlv = b"\xbf\x81\x53\x82\x01\x00" + bytes(256)
    assert tlv_end(tlv) == len(tlv)


def test_nested_indefinite_lengths_end_at_the_matching_end_of_contents() -> None:
    tlv = b"\x30\x80\x30\x80\x02\x01\x01\x00\x00\x04\x00\x00\x00"
    assert tlv_end(tlv + b"\x30\x00") == len(tlv)


def test_a_declared_length_of_two_to_the_forty_allocates_nothing() -> None:
    header = b"\x30\x86" + (2**40).to_bytes(6, "big")
    tracemalloc.start()
    try:
        assert tlv_end(header + b"x" * 10) is None
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


def test_a_declared_length_above_the_limit_is_refused_at_once() -> None:
    header = b"\x30\x86" + (2**40).to_bytes(6, "big")
    with pytest.raises(DecodeError, match="more than"):
        tlv_end(header, max_length=1024 * 1024)


def test_absurd_length_octets_are_refused() -> None:
    with pytest.raises(DecodeError):
        tlv_end(b"\x30\x89" + bytes(9))
    with pytest.raises(DecodeError):
        tlv_end(b"\x30\xff")


def test_indefinite_length_on_a_primitive_is_refused() -> None:
    with pytest.raises(DecodeError):
        tlv_end(b"\x04\x80abc\x00\x00")


@given(st.binary(max_size=200))
def test_any_bytes_frame_or_wait_or_raise_decode_error(data: bytes) -> None:
    try:
        end = tlv_end(data, max_length=10_000)
    except DecodeError:
        return
    assert end is None or 0 < end <= len(data)
