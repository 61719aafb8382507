"""Records written out for other systems: ISO 2709 in UTF-8 or MARC-8, MARCXML, mnemonic text.

Records are written one at a time as they come, so an export of any size runs in the
memory of one record. MARCXML is one ``<collection>`` document; mnemonic (.mrk) text is
UTF-8 with a blank line between records. A record that cannot be written in the format
stops the export with a ``MarcError`` that says which record it was; the records before
it have been written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import BinaryIO

from pymarc import Record

from shelfnet.marc.errors import MarcError
from shelfnet.marc.marc8 import record_to_marc8, record_to_utf8
from shelfnet.marc.text import to_mnemonic
from shelfnet.marc.xml import MARCXML_NAMESPACE, record_to_marcxml


class ExportFormat(StrEnum):
    MARC_UTF8 = "marc"
    MARC8 = "marc8"
    MARCXML = "marcxml"
    MNEMONIC = "mrk"


_SUFFIXES = {
    ExportFormat.MARC_UTF8: ".mrc",
    ExportFormat.MARC8: ".mrc",
    ExportFormat.MARCXML: ".xml",
    ExportFormat.MNEMONIC: ".mrk",
}
_COLLECTION_START = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARCXML_NAMESPACE}">\n'
).encode("ascii")
_COLLECTION_END = b"</collection>\n"


def suffix(fmt: ExportFormat) -> str:
    """The file name suffix for ``fmt``: ``.mrc``, ``.xml`` or ``.mrk``."""
    return _SUFFIXES[fmt]


def export_records(
    records: Iterable[Record], fmt: ExportFormat, stream: BinaryIO, *, errors: str = "strict"
) -> int:
    """Write ``records`` to ``stream`` in ``fmt`` and return how many were written.

    ``errors`` is for MARC-8: ``"strict"`` refuses a character MARC-8 lacks, ``"ncr"``
    writes it as ``&#xXXXX;``. The other formats carry every character.
    """
    if errors not in ("strict", "ncr"):
        raise ValueError(f"errors must be 'strict' or 'ncr', not {errors!r}")
    fmt = ExportFormat(fmt)
    encode = _encoder(fmt, errors)
    if fmt is ExportFormat.MARCXML:
        stream.write(_COLLECTION_START)
    count = 0
    for count, record in enumerate(records, start=1):
        try:
            data = encode(record)
        except MarcError as exc:
            raise MarcError(f"record {count}: {exc.message}") from exc
        if fmt is ExportFormat.MNEMONIC and count > 1:
            data = b"\n" + data
        stream.write(data)
    if fmt is ExportFormat.MARCXML:
        stream.write(_COLLECTION_END)
    return count


def _encoder(fmt: ExportFormat, errors: str) -> Callable[[Record], bytes]:
    if fmt is ExportFormat.MARC_UTF8:
        return record_to_utf8
    if fmt is ExportFormat.MARC8:
        return lambda record: record_to_marc8(record, errors=errors)
    if fmt is ExportFormat.MARCXML:
        return lambda record: record_to_marcxml(record) + b"\n"
    return _mnemonic


def _mnemonic(record: Record) -> bytes:
    text = to_mnemonic(record)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MarcError(f"U+{ord(text[exc.start]):04X} is a lone surrogate") from exc
