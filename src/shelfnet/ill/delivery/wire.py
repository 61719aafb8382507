"""The delivery protocol's bytes: preamble, frames and field lists (docs/delivery-protocol.md).

Everything here is pure: encoders return bytes, decoders take bytes and raise ``WireError``.
Integers are unsigned and big-endian (network byte order).

    preamble   "SNDD" version(u8) 0x00 0x00 0x00                          8 bytes
    frame      type(u8) length(u32) payload(length bytes)                  5 + length bytes
    field list count(u16) { key-length(u8) key value-length(u16) value }  keys ASCII, values UTF-8
"""

from __future__ import annotations

import enum
import re
import struct
from collections.abc import Mapping

MAGIC = b"SNDD"
VERSION = 1
PREAMBLE = MAGIC + bytes([VERSION, 0, 0, 0])
PREAMBLE_SIZE = len(PREAMBLE)
FRAME_HEAD = struct.Struct(">BI")
FRAME_HEAD_SIZE = FRAME_HEAD.size

MAX_HEADER_SIZE = 16 * 1024
"""The largest HEADER, RECEIPT or REFUSAL payload; larger declared lengths are refused unread."""
MAX_CHUNK_SIZE = 1024 * 1024
"""The largest DATA payload."""
MAX_FIELDS = 32
KEY_PATTERN = re.compile(rb"[a-z0-9][a-z0-9-]{0,63}\Z")


class FrameType(enum.IntEnum):
    HEADER = 0x01  # client: the document's header (field list)
    DATA = 0x02  # client: 1..MAX_CHUNK_SIZE bytes of the document
    END = 0x03  # client: no more DATA (empty payload)
    CONTINUE = 0x10  # server: header accepted, send the body (empty payload)
    RECEIPT = 0x11  # server: document accepted (field list)
    REFUSAL = 0x12  # server: document refused (field list)


CLIENT_FRAMES = frozenset({FrameType.HEADER, FrameType.DATA, FrameType.END})
SERVER_FRAMES = frozenset({FrameType.CONTINUE, FrameType.RECEIPT, FrameType.REFUSAL})
EMPTY_FRAMES = frozenset({FrameType.END, FrameType.CONTINUE})


class WireError(ValueError):
    """Bytes that do not follow the wire format."""


def check_preamble(data: bytes) -> None:
    """Raise WireError unless ``data`` (8 bytes) is a preamble of our version."""
    if data[:4] != MAGIC:
        raise WireError("not a shelfnet delivery connection (bad magic)")
    if data[4] != VERSION:
        raise WireError(f"protocol version {data[4]} is not supported (this is version {VERSION})")
    if data[5:8] != b"\0\0\0":
        raise WireError("reserved preamble bytes are not zero")


def frame(kind: FrameType, payload: bytes = b"") -> bytes:
    return FRAME_HEAD.pack(kind, len(payload)) + payload


def frame_head(kind: FrameType, length: int) -> bytes:
    """Just the 5-byte head: a DATA payload can then be written without copying it."""
    return FRAME_HEAD.pack(kind, length)


def parse_frame_head(data: bytes | bytearray | memoryview) -> tuple[int, int]:
    """(type, length) of the 5-byte frame head at the start of ``data``."""
    kind, length = FRAME_HEAD.unpack_from(data, 0)
    return int(kind), int(length)


def max_payload(kind: FrameType) -> int:
    if kind in EMPTY_FRAMES:
        return 0
    return MAX_CHUNK_SIZE if kind is FrameType.DATA else MAX_HEADER_SIZE


def encode_fields(fields: Mapping[str, str]) -> bytes:
    """A field list; empty values are left out (absent and empty mean the same)."""
    present = [(k, v) for k, v in fields.items() if v != ""]
    if len(present) > MAX_FIELDS:
        raise WireError(f"more than {MAX_FIELDS} fields")
    parts = [struct.pack(">H", len(present))]
    for key, value in present:
        raw_key = key.encode("ascii")
        raw_value = value.encode("utf-8")
        if not KEY_PATTERN.match(raw_key):
            raise WireError(f"bad field name {key!r}")
        if len(raw_value) > 0xFFFF:
            raise WireError(f"field {key} is longer than 65535 bytes")
        parts += [bytes([len(raw_key)]), raw_key, struct.pack(">H", len(raw_value)), raw_value]
    return b"".join(parts)


def decode_fields(data: bytes) -> dict[str, str]:
    """The field list in ``data``: every byte accounted for, names unique, values UTF-8."""
    if len(data) < 2:
        raise WireError("field list shorter than its count")
    (count,) = struct.unpack_from(">H", data, 0)
    if count > MAX_FIELDS:
        raise WireError(f"{count} fields (at most {MAX_FIELDS})")
    fields: dict[str, str] = {}
    at = 2
    for _ in range(count):
        key, at = _take(data, at, 1)
        value, at = _take(data, at, 2)
        if not KEY_PATTERN.match(key):
            raise WireError(f"bad field name {key!r}")
        name = key.decode("ascii")
        if name in fields:
            raise WireError(f"field {name} appears twice")
        try:
            fields[name] = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireError(f"field {name} is not UTF-8") from exc
    if at != len(data):
        raise WireError(f"{len(data) - at} bytes after the last field")
    return fields


def _take(data: bytes, at: int, size_bytes: int) -> tuple[bytes, int]:
    if at + size_bytes > len(data):
        raise WireError("field list ends inside a length")
    length = int.from_bytes(data[at : at + size_bytes], "big")
    at += size_bytes
    if at + length > len(data):
        raise WireError("field list ends inside a field")
    return data[at : at + length], at + length
