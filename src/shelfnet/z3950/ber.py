"""BER framing: where does one APDU end?

Z39.50 runs APDUs back to back over TCP with no other framing, so a reader must find the end of
each outermost BER TLV before it can decode it. This module does only that, without decoding
contents and without allocating anything proportional to a declared length: a header that claims
2**40 bytes costs nothing until that many bytes have actually arrived.
"""

from __future__ import annotations

from shelfnet.z3950.errors import DecodeError

MAX_NESTING = 64
"""Indefinite-length constructed values may nest; deeper than this is taken as an attack."""


def _header(buf: bytes | bytearray, pos: int) -> tuple[int, int | None, bool] | None:
    """Parse the identifier and length octets at ``pos``.

    Returns ``(content_start, length, constructed)`` with ``length`` None for the indefinite form,
    or None when the header itself is not complete yet.
    """
    end = len(buf)
    if pos >= end:
        return None
    first = buf[pos]
    constructed = bool(first & 0x20)
    pos += 1
    if first & 0x1F == 0x1F:  # high tag number form: base-128 digits, last one without bit 8
        digits = 0
        while True:
            if pos >= end:
                return None
            digits += 1
            if digits > 4:
                raise DecodeError("tag number too large")
            more = buf[pos] & 0x80
            pos += 1
            if not more:
                break
    if pos >= end:
        return None
    octet = buf[pos]
    pos += 1
    if octet < 0x80:
        return pos, octet, constructed
    if octet == 0x80:
        if not constructed:
            raise DecodeError("indefinite length on a primitive value")
        return pos, None, constructed
    count = octet & 0x7F
    if count == 0x7F:
        raise DecodeError("reserved length octet 0xFF")
    if count > 8:
        raise DecodeError(f"length of {count} octets is not plausible")
    if pos + count > end:
        return None
    length = int.from_bytes(buf[pos : pos + count], "big")
    return pos + count, length, constructed


def tlv_end(buf: bytes | bytearray, start: int = 0, max_length: int | None = None) -> int | None:
    """Return the offset just past the complete TLV starting at ``start``, or None if incomplete.

    Raises DecodeError for malformed framing, or when the TLV declares more than ``max_length``
    bytes (so a peer cannot make us wait for, or buffer, an absurd message).
    """
    # Iterative walk: ``depth`` counts the indefinite-length constructions still open.
    pos = start
    depth = 0
    while True:
        if max_length is not None and pos - start > max_length:
            raise DecodeError(f"APDU longer than the {max_length} bytes allowed")
        if depth:
            if pos + 2 > len(buf):
                return None
            if buf[pos] == 0 and buf[pos + 1] == 0:  # end-of-contents octets
                pos += 2
                depth -= 1
                if depth == 0:
                    return pos
                continue
        header = _header(buf, pos)
        if header is None:
            return None
        content, length, _constructed = header
        if length is None:
            depth += 1
            if depth > MAX_NESTING:
                raise DecodeError("indefinite-length values nested too deeply")
            pos = content
            continue
        pos = content + length
        if max_length is not None and pos - start > max_length:
            raise DecodeError(
                f"APDU declares {pos - start} bytes, more than the {max_length} allowed"
            )
        if pos > len(buf):
            return None
        if depth == 0:
            return pos


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def definite(data: bytes | bytearray) -> bytes:
    """Re-encode one complete TLV with every indefinite length made definite.

    asn1tools cannot decode indefinite lengths inside ANY values (YAZ sends OPAC records that
    way), so the codec falls back to this when a first decode fails.
    """
    out, end = _definite(data, 0, 0)
    if end != len(data):
        raise DecodeError("trailing bytes after the APDU")
    return out


def _definite(buf: bytes | bytearray, pos: int, depth: int) -> tuple[bytes, int]:
    if depth > MAX_NESTING:
        raise DecodeError("values nested too deeply")
    header = _header(buf, pos)
    if header is None:
        raise DecodeError("truncated value")
    content, length, constructed = header
    identifier = bytes(buf[pos : content - _length_octets(buf, pos, content)])
    if not constructed:
        assert length is not None
        if content + length > len(buf):
            raise DecodeError("truncated value")
        return bytes(buf[pos : content + length]), content + length
    children = bytearray()
    cursor = content
    limit = len(buf) if length is None else content + length
    while True:
        if length is None:
            if cursor + 2 > len(buf):
                raise DecodeError("missing end-of-contents")
            if buf[cursor] == 0 and buf[cursor + 1] == 0:
                cursor += 2
                break
        elif cursor >= limit:
            break
        child, cursor = _definite(buf, cursor, depth + 1)
        children += child
    if length is not None and cursor != limit:
        raise DecodeError("constructed value overruns its length")
    return identifier + _encode_length(len(children)) + bytes(children), cursor


def _length_octets(buf: bytes | bytearray, pos: int, content: int) -> int:
    """How many of the header octets before ``content`` are length octets."""
    first_length = pos + 1
    if buf[pos] & 0x1F == 0x1F:
        while buf[first_length] & 0x80:
            first_length += 1
        first_length += 1
    return content - first_length
