"""Records as they arrive in Present and Search responses: EXTERNALs decoded by their OID.

ISO 2709 MARC (every flavour), XML, SUTRS, OPAC (bibliographic record plus holdings and
circulation), GRS-1 (decoded to a tree) and per-record surrogate diagnostics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shelfnet.z3950 import codec, oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import DecodeError

if TYPE_CHECKING:
    from shelfnet.marc import DecodedMarc


def decode_text(raw: bytes | bytearray, charset: str = "utf-8") -> str:
    """Decode an InternationalString: the negotiated charset, else Latin-1 (never fails)."""
    try:
        return bytes(raw).decode(charset)
    except (UnicodeDecodeError, LookupError):
        return bytes(raw).decode("latin-1")


@dataclass(frozen=True)
class Circulation:
    """One item's circulation data (OPAC ``CircRecord``)."""

    available_now: bool
    renewable: bool
    on_hold: bool
    availability_date: str | None = None
    available_thru: str | None = None
    restrictions: str | None = None
    item_id: str | None = None
    enum_and_chron: str | None = None
    midspine: str | None = None
    temporary_location: str | None = None


@dataclass(frozen=True)
class Volume:
    enumeration: str | None = None
    chronology: str | None = None
    enum_and_chron: str | None = None


@dataclass(frozen=True)
class Holding:
    """One holdings statement (OPAC ``HoldingsAndCircData``)."""

    type_of_record: str | None = None
    encoding_level: str | None = None
    format: str | None = None
    receipt_acq_status: str | None = None
    general_retention: str | None = None
    completeness: str | None = None
    date_of_report: str | None = None
    nuc_code: str | None = None
    local_location: str | None = None
    shelving_location: str | None = None
    call_number: str | None = None
    shelving_data: str | None = None
    copy_number: str | None = None
    public_note: str | None = None
    reproduction_note: str | None = None
    terms_use_repro: str | None = None
    enum_and_chron: str | None = None
    volumes: tuple[Volume, ...] = ()
    circulation: tuple[Circulation, ...] = ()


@dataclass(frozen=True)
class OpacRecord:
    """An OPAC record: the bibliographic record and its holdings (typed or MARC holdings)."""

    bibliographic: Record | None
    holdings: tuple[Holding | Record, ...] = ()


@dataclass(frozen=True)
class GrsElement:
    """One GRS-1 tagged element. ``content`` is a scalar, or a tuple of children for subtrees."""

    tag_type: int | None
    tag_value: int | str
    content: Any
    content_kind: str
    occurrence: int | None = None

    @property
    def children(self) -> tuple[GrsElement, ...]:
        return self.content if self.content_kind == "subtree" else ()


@dataclass(frozen=True)
class Record:
    """One retrieved record, or a surrogate diagnostic standing in its place.

    ``raw`` is the record exactly as carried: ISO 2709 bytes for MARC, the document for XML, the
    text octets for SUTRS, and the BER encoding for OPAC and GRS-1.
    """

    syntax: str
    raw: bytes = b""
    database: str | None = None
    value: OpacRecord | tuple[GrsElement, ...] | None = None
    diagnostic: Diagnostic | None = None
    charset: str = field(default="utf-8", compare=False)
    problem: str | None = None
    """Why a structured record (OPAC, GRS-1) could not be decoded; ``raw`` still holds it."""

    @property
    def ok(self) -> bool:
        return self.diagnostic is None

    @property
    def syntax_name(self) -> str:
        return oids.syntax_name(self.syntax)

    @property
    def is_marc(self) -> bool:
        return self.syntax in oids.MARC_SYNTAXES

    def marc(self) -> DecodedMarc:
        """The ISO 2709 record decoded with pymarc (MARC-8 or UTF-8 detected per record)."""
        from shelfnet.marc import decode_marc

        if not self.is_marc:
            raise ValueError(f"a {self.syntax_name} record is not MARC")
        return decode_marc(self.raw)

    @property
    def text(self) -> str:
        """The record's text for SUTRS and XML (decoded in the negotiated character set)."""
        return decode_text(self.raw, self.charset)


def decode_name_plus_record(value: dict[str, Any], charset: str = "utf-8") -> Record:
    """Turn a decoded ``NamePlusRecord`` into a Record."""
    database = decode_text(value["name"], charset) if "name" in value else None
    kind, body = value["record"]
    if kind == "retrievalRecord":
        return decode_external_record(body, database, charset)
    if kind == "surrogateDiagnostic":
        return Record(syntax="", database=database, diagnostic=decode_diag_rec(body, charset))
    raise DecodeError(f"record fragments ({kind}) are not supported")


def decode_external_record(
    external: dict[str, Any], database: str | None = None, charset: str = "utf-8"
) -> Record:
    """Decode an EXTERNAL carrying a record, by its direct-reference OID."""
    syntax = str(external.get("direct-reference", ""))
    kind, body = external["encoding"]
    if kind == "octet-aligned":
        raw = bytes(body)
    elif kind == "single-ASN1-type":
        raw = bytes(body)
        if syntax in (oids.OPAC, oids.GRS1):
            return _structured(syntax, raw, database, charset)
        raw = _unwrap_string(raw)
    else:
        raise DecodeError(f"record encoded as {kind} is not supported")
    return Record(syntax, raw, database, charset=charset)


def _structured(syntax: str, raw: bytes, database: str | None, charset: str) -> Record:
    """An OPAC or GRS-1 record; one that does not decode is kept raw with the reason, so a
    single bad record never costs the others in the same response."""
    try:
        value = decode_opac(raw, charset) if syntax == oids.OPAC else decode_grs1(raw, charset)
    except DecodeError as exc:
        return Record(syntax, raw, database, charset=charset, problem=str(exc))
    return Record(syntax, raw, database, value=value, charset=charset)


def _unwrap_string(tlv: bytes) -> bytes:
    """Content octets of a primitive string TLV (SUTRS is a GeneralString; some MARC too)."""
    from shelfnet.z3950.ber import tlv_end

    end = tlv_end(tlv)
    if end is None or len(tlv) < 2:
        raise DecodeError("truncated record")
    first_length = tlv[1]
    offset = 2 if first_length < 0x80 else 2 + (first_length & 0x7F)
    return tlv[offset:end]


def decode_diag_rec(value: tuple[str, Any], charset: str = "utf-8") -> Diagnostic:
    """A ``DiagRec``: the default format, or an EXTERNAL (diag-1 understood)."""
    kind, body = value
    if kind == "defaultFormat":
        return decode_default_diag(body, charset)
    external = body
    if external.get("direct-reference") == oids.DIAG_1:
        enc_kind, raw = external["encoding"]
        if enc_kind == "single-ASN1-type":
            return decode_diag1(bytes(raw), charset)
    return Diagnostic(
        code=0,
        addinfo="externally defined diagnostic",
        diagnostic_set=str(external.get("direct-reference", "")),
    )


def decode_default_diag(value: dict[str, Any], charset: str = "utf-8") -> Diagnostic:
    _kind, addinfo = value.get("addinfo", ("v3Addinfo", b""))
    return Diagnostic(
        code=int(value["condition"]),
        addinfo=decode_text(addinfo, charset),
        diagnostic_set=str(value["diagnosticSetId"]),
    )


def decode_diag1(raw: bytes, charset: str = "utf-8") -> Diagnostic:
    """The first diagnostic of a diag-1 ``DiagnosticFormat`` (with its message as addinfo)."""
    entries = codec.decode("DiagnosticFormat", raw)
    for entry in entries:
        message = decode_text(entry.get("message", b""), charset)
        if "diagnostic" in entry:
            kind, body = entry["diagnostic"]
            if kind == "defaultDiagRec":
                diag = decode_default_diag(body, charset)
                return Diagnostic(diag.code, diag.addinfo or message, diag.diagnostic_set)
            explicit_kind, _detail = body
            return Diagnostic(0, f"{explicit_kind}: {message}".rstrip(": "), oids.DIAG_1)
        if message:
            return Diagnostic(0, message, oids.DIAG_1)
    return Diagnostic(0, "empty diag-1 diagnostic", oids.DIAG_1)


def decode_opac(raw: bytes, charset: str = "utf-8") -> OpacRecord:
    value = codec.decode("OPACRecord", raw)
    bib = value.get("bibliographicRecord")
    bibliographic = decode_external_record(bib, None, charset) if bib is not None else None
    holdings: list[Holding | Record] = []
    for kind, body in value.get("holdingsData", []):
        if kind == "marcHoldingsRecord":
            holdings.append(decode_external_record(body, None, charset))
        else:
            holdings.append(_holding(body, charset))
    return OpacRecord(bibliographic, tuple(holdings))


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


_HOLDING_TEXT = [
    "typeOfRecord",
    "encodingLevel",
    "format",
    "receiptAcqStatus",
    "generalRetention",
    "completeness",
    "dateOfReport",
    "nucCode",
    "localLocation",
    "shelvingLocation",
    "callNumber",
    "shelvingData",
    "copyNumber",
    "publicNote",
    "reproductionNote",
    "termsUseRepro",
    "enumAndChron",
]
_CIRC_TEXT = [
    "availablityDate",
    "availableThru",
    "restrictions",
    "itemId",
    "enumAndChron",
    "midspine",
    "temporaryLocation",
]


def _texts(value: dict[str, Any], names: list[str], charset: str) -> dict[str, str]:
    texts = {_snake(n): decode_text(value[n], charset) for n in names if n in value}
    if "availablity_date" in texts:  # the standard's own spelling, mapped to ours
        texts["availability_date"] = texts.pop("availablity_date")
    return texts


def _holding(value: dict[str, Any], charset: str) -> Holding:
    volumes = tuple(
        Volume(**_texts(v, ["enumeration", "chronology", "enumAndChron"], charset))
        for v in value.get("volumes", [])
    )
    circulation = tuple(
        Circulation(
            available_now=bool(c["availableNow"]),
            renewable=bool(c["renewable"]),
            on_hold=bool(c["onHold"]),
            **_texts(c, _CIRC_TEXT, charset),
        )
        for c in value.get("circulationData", [])
    )
    return Holding(
        **_texts(value, _HOLDING_TEXT, charset), volumes=volumes, circulation=circulation
    )


def decode_grs1(raw: bytes, charset: str = "utf-8") -> tuple[GrsElement, ...]:
    return tuple(_grs_element(e, charset) for e in codec.decode("GenericRecord", raw))


def _grs_element(value: dict[str, Any], charset: str) -> GrsElement:
    tag_kind, tag = value["tagValue"]
    tag_value: int | str = decode_text(tag, charset) if tag_kind == "string" else int(tag)
    kind, content = value["content"]
    if kind == "subtree":
        content = tuple(_grs_element(child, charset) for child in content)
    elif kind == "string":
        content = decode_text(content, charset)
    elif kind == "octets":
        content = bytes(content)
    elif kind == "date" and isinstance(content, dt.datetime):
        content = content.isoformat()
    elif kind in ("ext", "diagnostic"):
        content = decode_external_record(content, None, charset)
    return GrsElement(
        tag_type=value.get("tagType"),
        tag_value=tag_value,
        content=content,
        content_kind=kind,
        occurrence=value.get("tagOccurrence"),
    )
