"""Record files for import, ISO 2709 or MARCXML (told apart by their content), read one
record at a time so that a damaged record costs that record and no more.

ISO 2709 records keep their bytes exactly; MARC-8 or UTF-8 is detected per record by
``shelfnet.marc.decode_marc``. A MARCXML record becomes the UTF-8 ISO 2709 pymarc writes from
it (leader/09 ``a``), checked by decoding it back. Each failure says where it happened: the
byte offset of an ISO 2709 record, the number (1-based) of a MARCXML record.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc import MARCXML_NAMESPACE, DecodedMarc, MarcError, decode_marc, split_records

SourceFormat = Literal["iso2709", "marcxml"]
_BOM = b"\xef\xbb\xbf"
_MARC_TAGS = (f"{{{MARCXML_NAMESPACE}}}", "")
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class SourceRecord:
    """One readable record: the decoded record and the bytes the catalogue keeps."""

    decoded: DecodedMarc
    source_format: SourceFormat
    location: str

    @property
    def record(self) -> Record:
        return self.decoded.record


@dataclass(frozen=True)
class ReadFailure:
    """A record (or stretch of file) that could not be read, and where it was."""

    location: str
    message: str


def detect_format(head: bytes) -> SourceFormat:
    """MARCXML when the data starts (after a byte-order mark and blanks) with ``<``."""
    return "marcxml" if head.removeprefix(_BOM).lstrip().startswith(b"<") else "iso2709"


def read_records(stream: BinaryIO) -> Iterator[SourceRecord | ReadFailure]:
    """Every record of a binary stream, or a failure in its place."""
    if not stream.seekable():
        stream = io.BytesIO(stream.read())  # a pipe: the format is told from its start
    head = stream.read(512)
    stream.seek(-len(head), io.SEEK_CUR)
    if detect_format(head) == "marcxml":
        return _read_marcxml(stream)
    return _read_iso2709(stream)


def _read_iso2709(stream: BinaryIO) -> Iterator[SourceRecord | ReadFailure]:
    # split_records + decode_marc is what iter_marc does, but keeps every record's offset.
    for item in split_records(stream):
        if isinstance(item, MarcError):
            yield ReadFailure(f"byte {item.offset}", item.message)
            continue
        try:
            decoded = decode_marc(item.data)
        except MarcError as exc:
            yield ReadFailure(f"byte {item.offset}", exc.message)
            continue
        yield SourceRecord(decoded, "iso2709", f"byte {item.offset}")


class _Wrapped:
    """A MARCXML stream inside a ``<collection>`` of our own, so that records written one
    after another with no root element (as some exports do) still make one document."""

    def __init__(self, stream: BinaryIO) -> None:
        head = stream.read(4096)
        declaration = _DECLARATION.match(head)
        cut = declaration.end() if declaration else 0
        self._pieces: list[bytes | BinaryIO] = [
            head[:cut] + b"<collection>" + head[cut:],
            stream,
            b"</collection>",
        ]

    def read(self, size: int = -1) -> bytes:
        while self._pieces:
            piece = self._pieces[0]
            if isinstance(piece, bytes):
                chunk, rest = (piece, b"") if size < 0 else (piece[:size], piece[size:])
                if rest:
                    self._pieces[0] = rest
                else:
                    self._pieces.pop(0)
            else:
                chunk = piece.read(size)
                if not chunk:
                    self._pieces.pop(0)
                    continue
            if chunk:
                return chunk
        return b""


def _read_marcxml(stream: BinaryIO) -> Iterator[SourceRecord | ReadFailure]:
    number = 0
    root: ET.Element | None = None
    try:
        for event, element in ET.iterparse(_Wrapped(stream), events=("start", "end")):
            if event == "start":
                root = element if root is None else root
                continue
            if element.tag not in ("record", f"{{{MARCXML_NAMESPACE}}}record"):
                continue
            number += 1
            yield _xml_record(element, number)
            # Keep memory flat on big files: the record is done with.
            element.clear()
            if root is not None and root is not element:
                root.clear()
    except ET.ParseError as exc:
        yield ReadFailure(f"record {number + 1}", f"not well-formed XML: {exc}")


def _xml_record(element: ET.Element, number: int) -> SourceRecord | ReadFailure:
    location = f"record {number}"
    try:
        record = _record_from_xml(element)
        raw = record.as_marc()
        if len(raw) > 99999:
            raise MarcError(f"{len(raw)} bytes are too many for one ISO 2709 record")
        decoded = decode_marc(raw, encoding="utf-8")
    except MarcError as exc:
        return ReadFailure(location, exc.message)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        return ReadFailure(location, f"not a MARCXML record: {exc}")
    return SourceRecord(decoded, "marcxml", location)


def _record_from_xml(element: ET.Element) -> Record:
    record = Record(force_utf8=True)
    has_leader = False
    for child in element:
        name = _local_name(child.tag)
        if name == "leader":
            leader = child.text or ""
            if len(leader) != 24:
                raise MarcError(f"the leader has {len(leader)} characters, not 24")
            record.leader = Leader(leader)
            has_leader = True
        elif name == "controlfield":
            record.fields.append(Field(tag=_tag(child), data=child.text or ""))
        elif name == "datafield":
            record.fields.append(_data_field(child))
    if not has_leader:
        raise MarcError("the record has no leader")
    return record


def _data_field(element: ET.Element) -> Field:
    subfields = []
    for child in element:
        if _local_name(child.tag) != "subfield":
            continue
        code = child.get("code", "")
        if len(code) != 1:
            raise MarcError(f"field {_tag(element)} has a subfield code {code!r}")
        subfields.append(Subfield(code=code, value=child.text or ""))
    indicators = Indicators(_indicator(element, "ind1"), _indicator(element, "ind2"))
    return Field(tag=_tag(element), indicators=indicators, subfields=subfields)


def _indicator(element: ET.Element, name: str) -> str:
    return (element.get(name) or " ")[:1]


def _tag(element: ET.Element) -> str:
    tag = element.get("tag", "")
    if len(tag) != 3 or not tag.isascii() or not tag.isalnum():
        raise MarcError(f"a field has the tag {tag!r}, not three letters or digits")
    return tag


def _local_name(tag: str) -> str:
    for prefix in _MARC_TAGS:
        if prefix and tag.startswith(prefix):
            return tag[len(prefix) :]
    return tag
