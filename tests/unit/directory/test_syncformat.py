"""Signed sync documents: canonical bytes, a detached Ed25519 signature, and nothing read
before the signature verifies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from shelfnet.directory.syncformat import (
    DocumentError,
    SyncDocument,
    decode_document,
    encode_document,
    parse_public_key,
    public_key_text,
    sign,
)
from tests.unit.directory.syncpeers import NOW, made_up_targets

KEY = SigningKey(b"k" * 32)
OTHER = SigningKey(b"o" * 32)
DOCUMENT = SyncDocument(12, 7, NOW, tuple(made_up_targets(3)), ("z3950:gone.example.org:210/X",))
PAYLOAD = encode_document(DOCUMENT)


def test_a_signed_document_reads_back_as_written() -> None:
    assert decode_document(PAYLOAD, sign(PAYLOAD, KEY), KEY.verify_key) == DOCUMENT


def test_the_document_is_canonical_json() -> None:
    assert PAYLOAD.startswith(b'{"format":"shelfnet-directory-sync","format_version":1,')
    assert b" :" not in PAYLOAD and b", " not in PAYLOAD
    assert encode_document(DOCUMENT) == PAYLOAD


@given(st.integers(0, len(PAYLOAD) - 1), st.integers(1, 255))
def test_any_changed_byte_is_refused(position: int, mask: int) -> None:
    tampered = bytearray(PAYLOAD)
    tampered[position] ^= mask
    with pytest.raises(DocumentError, match="signature"):
        decode_document(bytes(tampered), sign(PAYLOAD, KEY), KEY.verify_key)


def test_a_document_signed_with_another_key_is_refused() -> None:
    with pytest.raises(DocumentError, match="does not verify"):
        decode_document(PAYLOAD, sign(PAYLOAD, OTHER), KEY.verify_key)


@pytest.mark.parametrize("signature", [None, "", "ed25519:not base64!", "rsa:AAAA"])
def test_a_missing_or_malformed_signature_is_refused(signature: str | None) -> None:
    with pytest.raises(DocumentError):
        decode_document(PAYLOAD, signature, KEY.verify_key)


def test_a_signed_document_of_the_wrong_form_is_refused() -> None:
    payload = b'{"format":"shelfnet-directory-sync","format_version":1,"version":-1}'
    with pytest.raises(DocumentError, match="whole numbers"):
        decode_document(payload, sign(payload, KEY), KEY.verify_key)


def test_public_keys_read_back_in_the_printed_form() -> None:
    text = public_key_text(KEY.verify_key)
    assert text.startswith("ed25519:")
    assert parse_public_key(text) == KEY.verify_key
    with pytest.raises(DocumentError):
        parse_public_key("ed25519:AAAA")
