"""ISO 2709 bytes to a pymarc record, decoded in the character set the bytes are really in.

Leader/09 names the character set: ``a`` for UCS/Unicode (UTF-8), blank for MARC-8. Many
systems get it wrong, so the claim is checked against the bytes. A record that says
MARC-8 but is valid UTF-8 with multibyte characters is decoded as UTF-8; a record that
says ``a`` but is not valid UTF-8 is decoded as MARC-8. Either way ``warnings`` says so.

pymarc splits the record into fields (``to_unicode=False`` keeps the values as bytes);
this module then decodes each value: UTF-8 with the codec, MARC-8 with pymarc's
``marc8_to_unicode``, which returns NFC text. UTF-8 values are kept in whatever
normalisation form they were catalogued in. The decoded record's leader/09 is ``a``, as
the record now holds Unicode; ``raw`` keeps the original bytes and leader untouched.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from pymarc import Field, Indicators, Leader, Record, Subfield, marc8_to_unicode
from pymarc.exceptions import PymarcException

from shelfnet.marc.errors import MarcError
from shelfnet.marc.iso2709 import MIN_RECORD_LENGTH, RECORD_TERMINATOR, split_records

Charset = Literal["utf-8", "marc-8"]

_CHARSET_NAMES: dict[str, Charset] = {"utf8": "utf-8", "marc8": "marc-8"}
# Everything pymarc's ISO 2709 parser lets escape on malformed input.
_PARSE_FAILURES = (PymarcException, ValueError, IndexError, TypeError, KeyError)
_DEL = 0x7F
_NON_ASCII_CODE = re.compile(rb"\x1f[\x80-\xff]")
# MARC-8 C1 controls; pymarc's converter skips all of 0x81-0x9F, so these are lost.
_MARC8_CONTROLS = {
    0x88: "NSB (0x88)",
    0x89: "NSE (0x89)",
    0x8D: "ZWJ (0x8D)",
    0x8E: "ZWNJ (0x8E)",
}


@dataclass(frozen=True)
class DecodedMarc:
    """One decoded record with the bytes it came from and what decoding noticed."""

    record: Record
    raw: bytes
    encoding: Charset
    warnings: tuple[str, ...] = ()


def decode_marc(raw: bytes, *, encoding: str | None = None) -> DecodedMarc:
    """Decode one ISO 2709 record; ``encoding`` ("utf-8" or "marc-8") overrides detection.

    Raises ``MarcError`` (and nothing else) for bytes that are not a MARC record.
    """
    forced = None if encoding is None else charset_name(encoding)
    raw = bytes(raw)
    if _PLAIN_RECORD.fullmatch(raw):
        return _decode_plain(raw, forced)
    parsed = _parse_structure(raw)
    charset, notes = (forced, []) if forced else _detect_charset(raw)
    notes.extend(_structure_notes(raw, parsed))
    record = Record()
    record.leader = Leader(_unicode_leader(str(parsed.leader)))
    for field in parsed.fields:
        decoded, field_notes = _decode_field(field, charset)
        record.fields.append(decoded)
        notes.extend(field_notes)
    return DecodedMarc(record=record, raw=raw, encoding=charset, warnings=tuple(notes))


_PLAIN_RECORD = re.compile(rb"[\x1d\x1e\x1f\x20-\x7e]*")
"""Printable ASCII and the ISO 2709 separators only: MARC-8 and UTF-8 read it the same."""


def _decode_plain(raw: bytes, forced: Charset | None) -> DecodedMarc:
    """Most records are plain ASCII: one pymarc parse, no character conversion."""
    if len(raw) < MIN_RECORD_LENGTH:
        raise MarcError(f"{len(raw)} bytes are too few for a MARC record")
    try:
        record = Record(data=raw, to_unicode=True, force_utf8=True)
    except _PARSE_FAILURES as exc:
        reason = str(exc) or type(exc).__name__
        raise MarcError(f"not a readable ISO 2709 record: {reason}") from exc
    charset, notes = (forced, []) if forced else _detect_charset(raw)
    notes.extend(_structure_notes(raw, record))
    record.leader = Leader(_unicode_leader(str(record.leader)))
    return DecodedMarc(record=record, raw=raw, encoding=charset, warnings=tuple(notes))


def iter_marc(
    data: bytes | BinaryIO, *, encoding: str | None = None
) -> Iterator[DecodedMarc | MarcError]:
    """Decode every record of an ISO 2709 stream, yielding a located ``MarcError`` for
    each record that cannot be read and carrying on with the next one."""
    if encoding is not None:
        charset_name(encoding)  # a bad name fails here, not at the first record
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    return _decode_stream(stream, encoding)


def _decode_stream(stream: BinaryIO, encoding: str | None) -> Iterator[DecodedMarc | MarcError]:
    for item in split_records(stream):
        if isinstance(item, MarcError):
            yield item
            continue
        result: DecodedMarc | MarcError
        try:
            result = decode_marc(item.data, encoding=encoding)
        except MarcError as error:
            result = error.at(item.offset)
        yield result


def charset_name(name: str) -> Charset:
    """The canonical name of a MARC character set: "utf-8" or "marc-8"."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in _CHARSET_NAMES:
        raise ValueError(f"unknown MARC character set {name!r}; use 'utf-8' or 'marc-8'")
    return _CHARSET_NAMES[key]


def _parse_structure(raw: bytes) -> Record:
    if len(raw) < MIN_RECORD_LENGTH:
        raise MarcError(f"{len(raw)} bytes are too few for a MARC record")
    try:
        return Record(data=raw, to_unicode=False)
    except _PARSE_FAILURES as exc:
        reason = str(exc) or type(exc).__name__
        raise MarcError(f"not a readable ISO 2709 record: {reason}") from exc


def _detect_charset(raw: bytes) -> tuple[Charset, list[str]]:
    claimed = raw[9:10]
    bad_byte = _first_invalid_utf8(raw)
    is_utf8_text = bad_byte is None and not raw.isascii()
    if claimed == b"a":
        if bad_byte is None:
            return "utf-8", []
        return "marc-8", [
            f"leader/09 says UCS/Unicode ('a') but byte {bad_byte} is not valid UTF-8; "
            "decoded as MARC-8"
        ]
    if claimed == b" ":
        if is_utf8_text:
            return "utf-8", [
                "leader/09 says MARC-8 (blank) but the record is UTF-8 with multibyte "
                "characters; decoded as UTF-8"
            ]
        return "marc-8", []
    charset: Charset = "utf-8" if is_utf8_text else "marc-8"
    return charset, [
        f"leader/09 is {claimed.decode('latin-1')!r}, neither blank (MARC-8) nor 'a' "
        f"(UCS/Unicode); decoded as {charset.upper()}"
    ]


def _first_invalid_utf8(raw: bytes) -> int | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _structure_notes(raw: bytes, parsed: Record) -> list[str]:
    notes: list[str] = []
    stated = str(parsed.leader)[:5]
    if stated != f"{len(raw):05d}":
        notes.append(f"leader/00-04 gives the length as {stated!r} but the record is {len(raw)}")
    if raw[-1] != RECORD_TERMINATOR:
        notes.append("the record does not end with the record terminator (0x1D)")
    if _NON_ASCII_CODE.search(raw):
        notes.append("a subfield code is not ASCII; pymarc put an ASCII letter in its place")
    return notes


def _unicode_leader(leader: str) -> str:
    return leader[:9] + "a" + leader[10:]


def _decode_field(field: Field, charset: Charset) -> tuple[Field, list[str]]:
    if field.control_field:
        text, problems = _decode_value(field.data, charset)
        return Field(tag=field.tag, data=text), [f"{field.tag}: {p}" for p in problems]
    subfields: list[Subfield] = []
    notes: list[str] = []
    for subfield in field.subfields:
        text, problems = _decode_value(subfield.value, charset)
        subfields.append(Subfield(code=subfield.code, value=text))
        notes.extend(f"{field.tag} ${subfield.code}: {p}" for p in problems)
    indicators = Indicators(field.indicator1, field.indicator2)
    return Field(tag=field.tag, indicators=indicators, subfields=subfields), notes


def _decode_value(value: object, charset: Charset) -> tuple[str, list[str]]:
    if not isinstance(value, bytes):
        raise MarcError(f"pymarc returned {type(value).__name__} where bytes were expected")
    if charset == "utf-8":
        return _utf8_text(value)
    return _marc8_text(value)


def _utf8_text(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), ["invalid UTF-8 replaced by U+FFFD"]


_PLAIN_ASCII = re.compile(rb"[\x20-\x7e]*")


def _marc8_text(data: bytes) -> tuple[str, list[str]]:
    # Printable ASCII is the same in MARC-8 (its default G0 set) and needs no escape handling:
    # most field values are such, and pymarc's converter walks them a character at a time.
    if data.isascii() and _PLAIN_ASCII.fullmatch(data):
        return data.decode("ascii"), []
    problems: list[str] = []
    # DEL is never MARC-8 text, but one III extension in EACC (ESC $) uses 0x7F as a
    # lead byte; elsewhere it is dropped, as YAZ drops it.
    if _DEL in data and b"\x1b$" not in data:
        data = data.replace(bytes([_DEL]), b"")
        problems.append("dropped DEL (0x7F), which is not a MARC-8 character")
    lost = [name for byte, name in _MARC8_CONTROLS.items() if byte in data]
    if lost:
        problems.append(f"MARC-8 control character {', '.join(lost)} not kept")
    try:
        return marc8_to_unicode(data, hide_utf8_warnings=True), problems
    except (UnicodeDecodeError, ValueError, IndexError, TypeError, KeyError):
        problems.append("not valid MARC-8; kept printable ASCII, the rest became U+FFFD")
        return "".join(chr(b) if 0x20 <= b < 0x7F else "\ufffd" for b in data), problems
