"""Stored records in the record syntaxes and element sets clients ask for.

Syntaxes
    USMARC/MARC21   the stored ISO 2709 bytes exactly (MARC-8 stays MARC-8).
    XML             MARCXML (``<record xmlns=...>``, UTF-8), made by pymarc; also for
                    application/xml.
    SUTRS           the mnemonic line format (``=245  10$aTitle``), UTF-8.
    OPAC            the USMARC record plus holdings (``shelfnet.catalog.holdings``).
    anything else   a surrogate diagnostic, Bib-1 239, in the record's place.

Element sets
    F   the full record.
    B   brief: the leader and 001, 003, 005, 008 (identification and fixed data), 020 and
        022 (ISBN, ISSN), 100/110/111 (main entry), 245 (title), 250 (edition) and 260/264
        (imprint): enough to pick a record from a list and to tell editions apart. For
        USMARC the brief record is cut from the stored bytes, so it keeps their character
        set. OPAC holdings are given in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymarc import Record as MarcRecord

from shelfnet.backend import BackendError
from shelfnet.catalog.holdings import holdings
from shelfnet.catalog.store import StoredRecord
from shelfnet.marc import MarcError, decode_marc, record_to_marcxml, to_mnemonic
from shelfnet.z3950 import codec, oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.records import Circulation, Holding, OpacRecord, Record

FULL, BRIEF = "F", "B"
BRIEF_TAGS = frozenset(
    {"001", "003", "005", "008", "020", "022", "100", "110", "111", "245", "250", "260", "264"}
)
SYNTAXES = (oids.USMARC, oids.XML, oids.APPLICATION_XML, oids.SUTRS, oids.OPAC)
"""The record syntaxes the catalogue delivers, preferred first."""
_XML = frozenset({oids.XML, oids.APPLICATION_XML})
_FIELD_TERMINATOR = 0x1E


def element_set_name(name: str | None) -> str:
    """``F`` or ``B`` (any case; none given means full), else Bib-1 25."""
    if name is None or name.upper() == FULL:
        return FULL
    if name.upper() == BRIEF:
        return BRIEF
    raise BackendError(25, name)


def render(stored: StoredRecord, syntax: str, element_set: str, database: str) -> Record:
    """One stored record in ``syntax`` (an OID), or a surrogate diagnostic."""
    try:
        if syntax == oids.USMARC:
            return Record(oids.USMARC, _marc_bytes(stored, element_set), database)
        if syntax in _XML:
            xml = record_to_marcxml(_decoded(stored, element_set))
            return Record(syntax, xml, database)
        if syntax == oids.SUTRS:
            text = to_mnemonic(_decoded(stored, element_set))
            return Record(oids.SUTRS, text.encode("utf-8"), database)
        if syntax == oids.OPAC:
            return _opac(stored, element_set, database)
    except MarcError as exc:
        return _surrogate(238, f"record {stored.id}: {exc.message}", database)
    return _surrogate(239, syntax, database)


def _surrogate(code: int, addinfo: str, database: str) -> Record:
    return Record(syntax="", database=database, diagnostic=Diagnostic(code, addinfo))


def _decoded(stored: StoredRecord, element_set: str) -> MarcRecord:
    record = decode_marc(stored.raw, encoding=stored.charset).record
    if element_set == BRIEF:
        record.fields = [f for f in record.fields if f.tag in BRIEF_TAGS]
    return record


def _marc_bytes(stored: StoredRecord, element_set: str) -> bytes:
    if element_set == BRIEF:
        return iso2709_subset(stored.raw, BRIEF_TAGS)
    return stored.raw


def iso2709_subset(raw: bytes, tags: Iterable[str]) -> bytes:
    """An ISO 2709 record with only the fields tagged ``tags``, their bytes untouched."""
    keep = frozenset(tags)
    try:
        base = int(raw[12:17])
        directory_end = raw.index(_FIELD_TERMINATOR, 24)
    except ValueError as exc:
        raise MarcError("the record's leader or directory is unreadable") from exc
    entries = raw[24:directory_end]
    directory = bytearray()
    data = bytearray()
    for start in range(0, len(entries) - len(entries) % 12, 12):
        entry = entries[start : start + 12]
        tag = entry[:3].decode("ascii", "replace")
        if tag not in keep:
            continue
        length, offset = int(entry[3:7]), int(entry[7:12])
        directory += entry[:3] + f"{length:04d}{len(data):05d}".encode("ascii")
        data += raw[base + offset : base + offset + length]
    new_base = 24 + len(directory) + 1
    total = new_base + len(data) + 1
    leader = f"{total:05d}".encode("ascii") + raw[5:12] + f"{new_base:05d}".encode("ascii")
    return leader + raw[17:24] + bytes(directory) + b"\x1e" + bytes(data) + b"\x1d"


# --- OPAC ------------------------------------------------------------------------------------


def _opac(stored: StoredRecord, element_set: str, database: str) -> Record:
    marc = _marc_bytes(stored, element_set)
    found = holdings(decode_marc(stored.raw, encoding=stored.charset).record)
    value: dict[str, Any] = {
        "bibliographicRecord": {
            "direct-reference": oids.USMARC,
            "encoding": ("octet-aligned", marc),
        }
    }
    if found:
        value["holdingsData"] = [("holdingsAndCirc", _holding_value(h)) for h in found]
    opac = OpacRecord(Record(oids.USMARC, marc, database), found)
    return Record(oids.OPAC, codec.encode("OPACRecord", value), database, value=opac)


# Holding attributes and the OPAC syntax's names for them.
_HOLDING_NAMES = {
    "type_of_record": "typeOfRecord",
    "encoding_level": "encodingLevel",
    "format": "format",
    "receipt_acq_status": "receiptAcqStatus",
    "general_retention": "generalRetention",
    "completeness": "completeness",
    "date_of_report": "dateOfReport",
    "nuc_code": "nucCode",
    "local_location": "localLocation",
    "shelving_location": "shelvingLocation",
    "call_number": "callNumber",
    "shelving_data": "shelvingData",
    "copy_number": "copyNumber",
    "public_note": "publicNote",
    "reproduction_note": "reproductionNote",
    "terms_use_repro": "termsUseRepro",
    "enum_and_chron": "enumAndChron",
}
_CIRCULATION_NAMES = {
    "availability_date": "availablityDate",  # sic: the standard's spelling
    "available_thru": "availableThru",
    "restrictions": "restrictions",
    "item_id": "itemId",
    "enum_and_chron": "enumAndChron",
    "midspine": "midspine",
    "temporary_location": "temporaryLocation",
}


def _strings(source: object, names: dict[str, str]) -> dict[str, Any]:
    # InternationalStrings go out in UTF-8, the character set of every record we deliver.
    values = ((asn1, getattr(source, attribute)) for attribute, asn1 in names.items())
    return {asn1: value.encode("utf-8") for asn1, value in values if value is not None}


def _holding_value(holding: Holding) -> dict[str, Any]:
    value = _strings(holding, _HOLDING_NAMES)
    if holding.circulation:
        value["circulationData"] = [_circulation_value(c) for c in holding.circulation]
    return value


def _circulation_value(circulation: Circulation) -> dict[str, Any]:
    return {
        "availableNow": circulation.available_now,
        "renewable": circulation.renewable,
        "onHold": circulation.on_hold,
        **_strings(circulation, _CIRCULATION_NAMES),
    }
