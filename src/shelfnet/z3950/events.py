"""APDUs as small frozen events, and their conversion to and from codec values.

Each event knows how to become the value asn1tools encodes (``to_value``) and how to be built
from a decoded value (``from_value``), so the protocol core never touches dictionaries.
Strings on the wire are octets; ``charset`` is the one negotiated at Init (UTF-8 by default).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar

from shelfnet.query.rpn import Query, Term
from shelfnet.z3950 import oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.records import (
    Record,
    decode_default_diag,
    decode_diag_rec,
    decode_name_plus_record,
    decode_text,
)
from shelfnet.z3950.type1 import (
    decode_attributes_plus_term,
    decode_query,
    encode_attributes_plus_term,
    encode_query,
)

Value = Any

OPTION_NAMES = [
    "search",
    "present",
    "delSet",
    "resourceReport",
    "triggerResourceCtrl",
    "resourceCtrl",
    "accessCtrl",
    "scan",
    "sort",
    "-",
    "extendedServices",
    "level-1Segmentation",
    "level-2Segmentation",
    "concurrentOperations",
    "namedResultSets",
    "encapsulation",
    "resultCountInSort",
    "negotiation",
    "dedup",
    "query104",
    "pQESCorrection",
    "stringSchema",
]
"""Init options in bit order (bit 9 is reserved)."""


def bits_to_names(value: tuple[bytes, int], names: list[str]) -> frozenset[str]:
    data, length = value
    found = set()
    for bit in range(min(length, len(data) * 8)):
        if data[bit // 8] & (0x80 >> (bit % 8)) and bit < len(names) and names[bit] != "-":
            found.add(names[bit])
    return frozenset(found)


def names_to_bits(chosen: frozenset[str] | set[str], names: list[str]) -> tuple[bytes, int]:
    length = max((names.index(n) + 1 for n in chosen), default=1)
    data = bytearray((length + 7) // 8)
    for name in chosen:
        bit = names.index(name)
        data[bit // 8] |= 0x80 >> (bit % 8)
    return bytes(data), length


def _text(value: Any, charset: str) -> str | None:
    return None if value is None else decode_text(value, charset)


def _put(target: dict[str, Any], key: str, value: Any, charset: str | None = None) -> None:
    """Set an OPTIONAL member only when present; strings become octets in ``charset``."""
    if value is None:
        return
    target[key] = value.encode(charset) if charset is not None and isinstance(value, str) else value


class CloseReason(enum.IntEnum):
    FINISHED = 0
    SHUTDOWN = 1
    SYSTEM_PROBLEM = 2
    COST_LIMIT = 3
    RESOURCES = 4
    SECURITY_VIOLATION = 5
    PROTOCOL_ERROR = 6
    LACK_OF_ACTIVITY = 7
    PEER_ABORT = 8
    UNSPECIFIED = 9


@dataclass(frozen=True)
class IdPass:
    """idAuthentication idPass: user, password and optional group."""

    user: str | None = None
    password: str | None = None
    group: str | None = None


Authentication = IdPass | str | None
"""idPass, an ``open`` string (``user/password``), or none."""


class Event:
    """Base of every APDU event. ``pdu`` is the PDU CHOICE alternative name."""

    pdu: ClassVar[str]

    def to_value(self, charset: str) -> Value:
        raise NotImplementedError

    @classmethod
    def from_value(cls, value: Value, charset: str) -> Event:
        raise NotImplementedError


@dataclass(frozen=True)
class InitRequest(Event):
    pdu: ClassVar[str] = "initRequest"
    options: frozenset[str] = frozenset(
        {"search", "present", "delSet", "scan", "sort", "namedResultSets", "triggerResourceCtrl"}
    )
    preferred_message_size: int = 1024 * 1024
    exceptional_record_size: int = 8 * 1024 * 1024
    authentication: Authentication = None
    implementation_id: str = "shelfnet"
    implementation_name: str = "shelfnet"
    implementation_version: str = ""
    charsets: tuple[str, ...] = ()
    """Character sets proposed in a negotiation record (empty: no negotiation)."""
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        options = set(self.options)
        value: dict[str, Any] = {
            "protocolVersion": names_to_bits({"version-1", "version-2", "version-3"}, _VERSIONS),
            "options": names_to_bits(options, OPTION_NAMES),
            "preferredMessageSize": self.preferred_message_size,
            "exceptionalRecordSize": self.exceptional_record_size,
            "implementationId": self.implementation_id.encode(charset),
            "implementationName": self.implementation_name.encode(charset),
            "implementationVersion": self.implementation_version.encode(charset),
        }
        _put(value, "referenceId", self.reference_id)
        if isinstance(self.authentication, IdPass):
            auth: dict[str, Any] = {}
            _put(auth, "groupId", self.authentication.group, charset)
            _put(auth, "userId", self.authentication.user, charset)
            _put(auth, "password", self.authentication.password, charset)
            value["idAuthentication"] = ("idPass", auth)
        elif isinstance(self.authentication, str):
            value["idAuthentication"] = ("open", self.authentication)
        if self.charsets:
            from shelfnet.z3950.charset import proposal_other_info

            value["otherInfo"] = [proposal_other_info(self.charsets)]
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> InitRequest:
        from shelfnet.z3950.charset import proposed_charsets

        auth: Authentication = None
        if "idAuthentication" in value:
            kind, body = value["idAuthentication"]
            if kind == "idPass":
                auth = IdPass(
                    _text(body.get("userId"), charset),
                    _text(body.get("password"), charset),
                    _text(body.get("groupId"), charset),
                )
            elif kind == "open":
                auth = str(body)
        return cls(
            options=bits_to_names(value["options"], OPTION_NAMES),
            preferred_message_size=value["preferredMessageSize"],
            exceptional_record_size=value["exceptionalRecordSize"],
            authentication=auth,
            implementation_id=_text(value.get("implementationId"), charset) or "",
            implementation_name=_text(value.get("implementationName"), charset) or "",
            implementation_version=_text(value.get("implementationVersion"), charset) or "",
            charsets=proposed_charsets(value.get("otherInfo", [])),
            reference_id=value.get("referenceId"),
        )


_VERSIONS = ["version-1", "version-2", "version-3"]


@dataclass(frozen=True)
class InitResponse(Event):
    pdu: ClassVar[str] = "initResponse"
    accepted: bool
    options: frozenset[str] = frozenset()
    version: int = 3
    preferred_message_size: int = 1024 * 1024
    exceptional_record_size: int = 8 * 1024 * 1024
    implementation_id: str = ""
    implementation_name: str = ""
    implementation_version: str = ""
    charset: str | None = None
    """The character set the target selected in negotiation, if any."""
    diagnostic: Diagnostic | None = None
    """Why the Init was refused, when the target said (userInformationField)."""
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        versions = set(_VERSIONS[: self.version])
        value: dict[str, Any] = {
            "protocolVersion": names_to_bits(versions, _VERSIONS),
            "options": names_to_bits(set(self.options), OPTION_NAMES),
            "preferredMessageSize": self.preferred_message_size,
            "exceptionalRecordSize": self.exceptional_record_size,
            "result": self.accepted,
            "implementationId": self.implementation_id.encode(charset),
            "implementationName": self.implementation_name.encode(charset),
            "implementationVersion": self.implementation_version.encode(charset),
        }
        _put(value, "referenceId", self.reference_id)
        if self.charset:
            from shelfnet.z3950.charset import response_other_info

            value["otherInfo"] = [response_other_info(self.charset)]
        if self.diagnostic is not None:
            value["userInformationField"] = _init_diagnostic_external(self.diagnostic, charset)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> InitResponse:
        from shelfnet.z3950.charset import selected_charset

        versions = bits_to_names(value["protocolVersion"], _VERSIONS)
        info = value.get("userInformationField")
        diagnostic = _init_diagnostic(info, charset) if info is not None else None
        return cls(
            accepted=bool(value["result"]),
            options=bits_to_names(value["options"], OPTION_NAMES),
            version=max((int(v[-1]) for v in versions), default=1),
            preferred_message_size=value["preferredMessageSize"],
            exceptional_record_size=value["exceptionalRecordSize"],
            implementation_id=_text(value.get("implementationId"), charset) or "",
            implementation_name=_text(value.get("implementationName"), charset) or "",
            implementation_version=_text(value.get("implementationVersion"), charset) or "",
            charset=selected_charset(value.get("otherInfo", [])),
            diagnostic=diagnostic,
            reference_id=value.get("referenceId"),
        )


def _diag1_external(diagnostic: Diagnostic, charset: str) -> Value:
    from shelfnet.z3950 import codec

    inner = codec.encode(
        "DiagnosticFormat",
        [{"diagnostic": ("defaultDiagRec", _default_diag(diagnostic, charset))}],
    )
    return {"direct-reference": oids.DIAG_1, "encoding": ("single-ASN1-type", inner)}


def _init_diagnostic_external(diagnostic: Diagnostic, charset: str) -> Value:
    """Why an Init was refused, as YAZ and Zebra send it: a diag-1 record inside userInfo-1
    (an OtherInformation), in the Init response's userInformationField."""
    from shelfnet.z3950 import codec

    entry = {"information": ("externallyDefinedInfo", _diag1_external(diagnostic, charset))}
    inner = codec.encode("OtherInformation", [entry])
    return {"direct-reference": oids.USER_INFO_1, "encoding": ("single-ASN1-type", inner)}


def _init_diagnostic(external: Value, charset: str) -> Diagnostic | None:
    """The diagnostic in an Init response's userInformationField: diag-1 on its own or
    inside userInfo-1. Anything else there is not a diagnostic and is ignored."""
    from shelfnet.z3950 import codec
    from shelfnet.z3950.errors import DecodeError

    reference = external.get("direct-reference")
    kind, raw = external["encoding"]
    if reference == oids.DIAG_1:
        return decode_diag_rec(("externallyDefined", external), charset)
    if reference != oids.USER_INFO_1 or kind != "single-ASN1-type":
        return None
    try:
        entries = codec.decode("OtherInformation", bytes(raw))
    except DecodeError:
        return None
    for entry in entries:
        info_kind, body = entry["information"]
        if info_kind == "externallyDefinedInfo" and body.get("direct-reference") == oids.DIAG_1:
            return decode_diag_rec(("externallyDefined", body), charset)
    return None


def _default_diag(diagnostic: Diagnostic, charset: str) -> Value:
    return {
        "diagnosticSetId": diagnostic.diagnostic_set,
        "condition": diagnostic.code,
        "addinfo": ("v3Addinfo", diagnostic.addinfo.encode(charset)),
    }


def _element_set_names(name: str | None) -> Value:
    return None if name is None else ("genericElementSetName", name.encode("ascii"))


def _records_value(
    records: tuple[Record, ...], diagnostics: tuple[Diagnostic, ...], charset: str
) -> Value:
    if diagnostics:
        if len(diagnostics) == 1:
            return ("nonSurrogateDiagnostic", _default_diag(diagnostics[0], charset))
        return (
            "multipleNonSurDiagnostics",
            [("defaultFormat", _default_diag(d, charset)) for d in diagnostics],
        )
    if not records:
        return None
    return ("responseRecords", [_name_plus_record(r, charset) for r in records])


def _name_plus_record(record: Record, charset: str) -> Value:
    value: dict[str, Any] = {}
    if record.database is not None:
        value["name"] = record.database.encode(charset)
    if record.diagnostic is not None:
        value["record"] = (
            "surrogateDiagnostic",
            ("defaultFormat", _default_diag(record.diagnostic, charset)),
        )
        return value
    if record.syntax in (oids.OPAC, oids.GRS1):
        encoding: Value = ("single-ASN1-type", record.raw)
    elif record.syntax == oids.SUTRS:
        encoding = ("single-ASN1-type", _general_string(record.raw))
    else:
        encoding = ("octet-aligned", record.raw)
    value["record"] = ("retrievalRecord", {"direct-reference": record.syntax, "encoding": encoding})
    return value


def _general_string(data: bytes) -> bytes:
    from shelfnet.z3950 import codec

    return codec.encode("InternationalString", data)


def _decode_records(
    value: Value, charset: str
) -> tuple[tuple[Record, ...], tuple[Diagnostic, ...]]:
    if value is None:
        return (), ()
    kind, body = value
    if kind == "responseRecords":
        return tuple(decode_name_plus_record(r, charset) for r in body), ()
    if kind == "nonSurrogateDiagnostic":
        return (), (decode_default_diag(body, charset),)
    return (), tuple(decode_diag_rec(d, charset) for d in body)


@dataclass(frozen=True)
class SearchRequest(Event):
    pdu: ClassVar[str] = "searchRequest"
    query: Query
    databases: tuple[str, ...] = ("Default",)
    result_set_name: str = "default"
    replace: bool = True
    small_set_upper_bound: int = 0
    large_set_lower_bound: int = 1
    medium_set_present_number: int = 0
    small_set_element_set_name: str | None = None
    medium_set_element_set_name: str | None = None
    preferred_record_syntax: str | None = None
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "smallSetUpperBound": self.small_set_upper_bound,
            "largeSetLowerBound": self.large_set_lower_bound,
            "mediumSetPresentNumber": self.medium_set_present_number,
            "replaceIndicator": self.replace,
            "resultSetName": self.result_set_name.encode(charset),
            "databaseNames": [db.encode(charset) for db in self.databases],
            "query": encode_query(self.query, charset),
        }
        _put(value, "referenceId", self.reference_id)
        _put(value, "smallSetElementSetNames", _element_set_names(self.small_set_element_set_name))
        _put(
            value, "mediumSetElementSetNames", _element_set_names(self.medium_set_element_set_name)
        )
        _put(value, "preferredRecordSyntax", self.preferred_record_syntax)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> SearchRequest:
        return cls(
            query=decode_query(value["query"], charset),
            databases=tuple(decode_text(db, charset) for db in value["databaseNames"]),
            result_set_name=decode_text(value["resultSetName"], charset),
            replace=bool(value["replaceIndicator"]),
            small_set_upper_bound=value["smallSetUpperBound"],
            large_set_lower_bound=value["largeSetLowerBound"],
            medium_set_present_number=value["mediumSetPresentNumber"],
            small_set_element_set_name=_generic_esn(value.get("smallSetElementSetNames"), charset),
            medium_set_element_set_name=_generic_esn(
                value.get("mediumSetElementSetNames"), charset
            ),
            preferred_record_syntax=value.get("preferredRecordSyntax"),
            reference_id=value.get("referenceId"),
        )


def _generic_esn(value: Value, charset: str) -> str | None:
    if value is None:
        return None
    kind, body = value
    if kind == "genericElementSetName":
        return decode_text(body, charset)
    return decode_text(body[0]["esn"], charset) if body else None


@dataclass(frozen=True)
class SearchResponse(Event):
    pdu: ClassVar[str] = "searchResponse"
    result_count: int
    search_status: bool = True
    records_returned: int = 0
    next_position: int = 1
    result_set_status: int | None = None
    present_status: int | None = None
    records: tuple[Record, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "resultCount": self.result_count,
            "numberOfRecordsReturned": self.records_returned,
            "nextResultSetPosition": self.next_position,
            "searchStatus": self.search_status,
        }
        _put(value, "referenceId", self.reference_id)
        _put(value, "resultSetStatus", self.result_set_status)
        _put(value, "presentStatus", self.present_status)
        _put(value, "records", _records_value(self.records, self.diagnostics, charset))
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> SearchResponse:
        records, diagnostics = _decode_records(value.get("records"), charset)
        return cls(
            result_count=value["resultCount"],
            search_status=bool(value["searchStatus"]),
            records_returned=value["numberOfRecordsReturned"],
            next_position=value["nextResultSetPosition"],
            result_set_status=value.get("resultSetStatus"),
            present_status=value.get("presentStatus"),
            records=records,
            diagnostics=diagnostics,
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class PresentRequest(Event):
    pdu: ClassVar[str] = "presentRequest"
    result_set: str
    start: int
    count: int
    element_set_name: str | None = None
    preferred_record_syntax: str | None = None
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "resultSetId": self.result_set.encode(charset),
            "resultSetStartPoint": self.start,
            "numberOfRecordsRequested": self.count,
        }
        _put(value, "referenceId", self.reference_id)
        if self.element_set_name is not None:
            value["recordComposition"] = ("simple", _element_set_names(self.element_set_name))
        _put(value, "preferredRecordSyntax", self.preferred_record_syntax)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> PresentRequest:
        esn = None
        if "recordComposition" in value:
            kind, body = value["recordComposition"]
            if kind == "simple":
                esn = _generic_esn(body, charset)
        return cls(
            result_set=decode_text(value["resultSetId"], charset),
            start=value["resultSetStartPoint"],
            count=value["numberOfRecordsRequested"],
            element_set_name=esn,
            preferred_record_syntax=value.get("preferredRecordSyntax"),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class PresentResponse(Event):
    pdu: ClassVar[str] = "presentResponse"
    records_returned: int
    next_position: int
    present_status: int = 0
    records: tuple[Record, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "numberOfRecordsReturned": self.records_returned,
            "nextResultSetPosition": self.next_position,
            "presentStatus": self.present_status,
        }
        _put(value, "referenceId", self.reference_id)
        _put(value, "records", _records_value(self.records, self.diagnostics, charset))
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> PresentResponse:
        records, diagnostics = _decode_records(value.get("records"), charset)
        return cls(
            records_returned=value["numberOfRecordsReturned"],
            next_position=value["nextResultSetPosition"],
            present_status=value["presentStatus"],
            records=records,
            diagnostics=diagnostics,
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class ScanRequest(Event):
    pdu: ClassVar[str] = "scanRequest"
    term: Term
    databases: tuple[str, ...] = ("Default",)
    attribute_set: str | None = oids.BIB1
    number: int = 20
    position: int | None = 1
    step_size: int | None = 0
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "databaseNames": [db.encode(charset) for db in self.databases],
            "termListAndStartPoint": encode_attributes_plus_term(self.term, charset),
            "numberOfTermsRequested": self.number,
        }
        _put(value, "referenceId", self.reference_id)
        _put(value, "attributeSet", self.attribute_set)
        _put(value, "stepSize", self.step_size)
        _put(value, "preferredPositionInResponse", self.position)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> ScanRequest:
        return cls(
            term=decode_attributes_plus_term(value["termListAndStartPoint"], charset),
            databases=tuple(decode_text(db, charset) for db in value["databaseNames"]),
            attribute_set=value.get("attributeSet"),
            number=value["numberOfTermsRequested"],
            position=value.get("preferredPositionInResponse"),
            step_size=value.get("stepSize"),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class ScanEntry:
    """One term of a scan list, with its occurrence count when the target gave one."""

    term: str
    count: int | None = None
    display_term: str | None = None
    diagnostic: Diagnostic | None = None


@dataclass(frozen=True)
class ScanResponse(Event):
    pdu: ClassVar[str] = "scanResponse"
    status: int
    entries: tuple[ScanEntry, ...] = ()
    position: int | None = None
    step_size: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "scanStatus": self.status,
            "numberOfEntriesReturned": len(self.entries),
        }
        _put(value, "referenceId", self.reference_id)
        _put(value, "stepSize", self.step_size)
        _put(value, "positionOfTerm", self.position)
        entries: dict[str, Any] = {}
        if self.entries:
            entries["entries"] = [_scan_entry_value(e, charset) for e in self.entries]
        if self.diagnostics:
            entries["nonsurrogateDiagnostics"] = [
                ("defaultFormat", _default_diag(d, charset)) for d in self.diagnostics
            ]
        if entries:
            value["entries"] = entries
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> ScanResponse:
        lists = value.get("entries", {})
        return cls(
            status=value["scanStatus"],
            entries=tuple(_scan_entry(e, charset) for e in lists.get("entries", [])),
            position=value.get("positionOfTerm"),
            step_size=value.get("stepSize"),
            diagnostics=tuple(
                decode_diag_rec(d, charset) for d in lists.get("nonsurrogateDiagnostics", [])
            ),
            reference_id=value.get("referenceId"),
        )


def _scan_entry_value(entry: ScanEntry, charset: str) -> Value:
    if entry.diagnostic is not None:
        return ("surrogateDiagnostic", ("defaultFormat", _default_diag(entry.diagnostic, charset)))
    info: dict[str, Any] = {"term": ("general", entry.term.encode(charset))}
    _put(info, "displayTerm", entry.display_term, charset)
    _put(info, "globalOccurrences", entry.count)
    return ("termInfo", info)


def _scan_entry(value: Value, charset: str) -> ScanEntry:
    kind, body = value
    if kind == "surrogateDiagnostic":
        return ScanEntry(term="", diagnostic=decode_diag_rec(body, charset))
    _term_kind, raw = body["term"]
    term = decode_text(raw, charset) if isinstance(raw, bytes | bytearray) else str(raw)
    return ScanEntry(
        term=term,
        count=body.get("globalOccurrences"),
        display_term=_text(body.get("displayTerm"), charset),
    )


@dataclass(frozen=True)
class SortKey:
    """One sort key: a sort field name, or Bib-1 style attributes (e.g. ``1=4`` for title)."""

    field: str | None = None
    attributes: tuple[tuple[int, int], ...] = ()
    attribute_set: str = oids.BIB1
    descending: bool = False
    case_sensitive: bool = False


@dataclass(frozen=True)
class SortRequest(Event):
    pdu: ClassVar[str] = "sortRequest"
    input_sets: tuple[str, ...]
    output_set: str
    keys: tuple[SortKey, ...]
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {
            "inputResultSetNames": [n.encode(charset) for n in self.input_sets],
            "sortedResultSetName": self.output_set.encode(charset),
            "sortSequence": [_sort_key_value(k, charset) for k in self.keys],
        }
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> SortRequest:
        return cls(
            input_sets=tuple(decode_text(n, charset) for n in value["inputResultSetNames"]),
            output_set=decode_text(value["sortedResultSetName"], charset),
            keys=tuple(_sort_key(k, charset) for k in value["sortSequence"]),
            reference_id=value.get("referenceId"),
        )


def _sort_key_value(key: SortKey, charset: str) -> Value:
    if key.field is not None:
        sort_key: Value = ("sortfield", key.field.encode(charset))
    else:
        attributes = [
            {"attributeType": t, "attributeValue": ("numeric", v)} for t, v in key.attributes
        ]
        sort_key = ("sortAttributes", {"id": key.attribute_set, "list": attributes})
    return {
        "sortElement": ("generic", sort_key),
        "sortRelation": 1 if key.descending else 0,
        "caseSensitivity": 0 if key.case_sensitive else 1,
    }


def _sort_key(value: Value, charset: str) -> SortKey:
    kind, element = value["sortElement"]
    if kind != "generic":
        element = element[0]["dbSort"]
    key_kind, body = element
    common = {
        "descending": value["sortRelation"] in (1, 4),
        "case_sensitive": value["caseSensitivity"] == 0,
    }
    if key_kind == "sortfield":
        return SortKey(field=decode_text(body, charset), **common)
    if key_kind == "sortAttributes":
        attributes = tuple(
            (a["attributeType"], a["attributeValue"][1])
            for a in body["list"]
            if a["attributeValue"][0] == "numeric"
        )
        return SortKey(attributes=attributes, attribute_set=body["id"], **common)
    return SortKey(field="", **common)


@dataclass(frozen=True)
class SortResponse(Event):
    pdu: ClassVar[str] = "sortResponse"
    status: int
    result_set_status: int | None = None
    result_count: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {"sortStatus": self.status}
        _put(value, "referenceId", self.reference_id)
        _put(value, "resultSetStatus", self.result_set_status)
        _put(value, "resultCount", self.result_count)
        if self.diagnostics:
            value["diagnostics"] = [
                ("defaultFormat", _default_diag(d, charset)) for d in self.diagnostics
            ]
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> SortResponse:
        return cls(
            status=value["sortStatus"],
            result_set_status=value.get("resultSetStatus"),
            result_count=value.get("resultCount"),
            diagnostics=tuple(decode_diag_rec(d, charset) for d in value.get("diagnostics", [])),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class DeleteResultSetRequest(Event):
    pdu: ClassVar[str] = "deleteResultSetRequest"
    names: tuple[str, ...] = ()
    """Result sets to delete; empty means all of them."""
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {"deleteFunction": 0 if self.names else 1}
        if self.names:
            value["resultSetList"] = [n.encode(charset) for n in self.names]
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> DeleteResultSetRequest:
        names = tuple(decode_text(n, charset) for n in value.get("resultSetList", []))
        return cls(
            names=names if value["deleteFunction"] == 0 else (),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class DeleteResultSetResponse(Event):
    pdu: ClassVar[str] = "deleteResultSetResponse"
    status: int
    statuses: tuple[tuple[str, int], ...] = ()
    message: str | None = None
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {"deleteOperationStatus": self.status}
        if self.statuses:
            value["deleteListStatuses"] = [
                {"id": n.encode(charset), "status": s} for n, s in self.statuses
            ]
        _put(value, "deleteMessage", self.message, charset)
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> DeleteResultSetResponse:
        statuses = tuple(
            (decode_text(s["id"], charset), s["status"])
            for s in value.get("deleteListStatuses", [])
        )
        return cls(
            status=value["deleteOperationStatus"],
            statuses=statuses,
            message=_text(value.get("deleteMessage"), charset),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class AccessControlRequest(Event):
    """A target's security challenge: ``simple`` octets, or an EXTERNAL kept as its value."""

    pdu: ClassVar[str] = "accessControlRequest"
    simple: bytes | None = None
    external: Value = field(default=None, compare=False)
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        challenge = (
            ("simpleForm", self.simple)
            if self.simple is not None
            else ("externallyDefined", self.external)
        )
        value: dict[str, Any] = {"securityChallenge": challenge}
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> AccessControlRequest:
        kind, body = value["securityChallenge"]
        if kind == "simpleForm":
            return cls(simple=bytes(body), reference_id=value.get("referenceId"))
        return cls(external=body, reference_id=value.get("referenceId"))


@dataclass(frozen=True)
class AccessControlResponse(Event):
    pdu: ClassVar[str] = "accessControlResponse"
    simple: bytes | None = None
    diagnostic: Diagnostic | None = None
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {}
        if self.simple is not None:
            value["securityChallengeResponse"] = ("simpleForm", self.simple)
        if self.diagnostic is not None:
            value["diagnostic"] = ("defaultFormat", _default_diag(self.diagnostic, charset))
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> AccessControlResponse:
        simple = None
        if "securityChallengeResponse" in value:
            kind, body = value["securityChallengeResponse"]
            simple = bytes(body) if kind == "simpleForm" else None
        diagnostic = (
            decode_diag_rec(value["diagnostic"], charset) if "diagnostic" in value else None
        )
        return cls(simple=simple, diagnostic=diagnostic, reference_id=value.get("referenceId"))


class _FlatEvent(Event):
    """An APDU whose members are all plain values: ``members`` maps field to ASN.1 member."""

    members: ClassVar[dict[str, str]]

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {}
        for attribute, member in {**self.members, "reference_id": "referenceId"}.items():
            _put(value, member, getattr(self, attribute))
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> Event:
        members = {**cls.members, "reference_id": "referenceId"}
        return cls(**{a: value[m] for a, m in members.items() if m in value})


@dataclass(frozen=True)
class ResourceControlRequest(_FlatEvent):
    pdu: ClassVar[str] = "resourceControlRequest"
    members: ClassVar[dict[str, str]] = {
        "response_required": "responseRequired",
        "suspended": "suspendedFlag",
        "partial_results_available": "partialResultsAvailable",
        "triggered": "triggeredRequestFlag",
    }
    response_required: bool = True
    suspended: bool | None = None
    partial_results_available: int | None = None
    triggered: bool | None = None
    reference_id: bytes | None = None


@dataclass(frozen=True)
class ResourceControlResponse(_FlatEvent):
    pdu: ClassVar[str] = "resourceControlResponse"
    members: ClassVar[dict[str, str]] = {
        "continue_": "continueFlag",
        "result_set_wanted": "resultSetWanted",
    }
    continue_: bool = True
    result_set_wanted: bool | None = None
    reference_id: bytes | None = None


@dataclass(frozen=True)
class TriggerResourceControlRequest(_FlatEvent):
    """Origin asks the target for a resource report (1), resource control (2) or to cancel (3)."""

    pdu: ClassVar[str] = "triggerResourceControlRequest"
    members: ClassVar[dict[str, str]] = {
        "action": "requestedAction",
        "result_set_wanted": "resultSetWanted",
    }
    action: int = 3
    result_set_wanted: bool | None = None
    reference_id: bytes | None = None


@dataclass(frozen=True)
class Close(Event):
    pdu: ClassVar[str] = "close"
    reason: CloseReason = CloseReason.FINISHED
    info: str | None = None
    reference_id: bytes | None = None

    def to_value(self, charset: str) -> Value:
        value: dict[str, Any] = {"closeReason": int(self.reason)}
        _put(value, "diagnosticInformation", self.info, charset)
        _put(value, "referenceId", self.reference_id)
        return value

    @classmethod
    def from_value(cls, value: Value, charset: str) -> Close:
        code = value["closeReason"]
        reason = (
            CloseReason(code)
            if code in CloseReason._value2member_map_
            else (CloseReason.UNSPECIFIED)
        )
        return cls(
            reason=reason,
            info=_text(value.get("diagnosticInformation"), charset),
            reference_id=value.get("referenceId"),
        )


@dataclass(frozen=True)
class OtherAPDU(Event):
    """An APDU shelfnet decodes but does not act on (extended services, segments, dedup, ...)."""

    name: str
    value: Value = field(compare=False)
    pdu: ClassVar[str] = ""

    def to_value(self, charset: str) -> Value:
        return self.value


@dataclass(frozen=True)
class ConnectionClosed:
    """The transport reached end of file."""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.pdu: cls
    for cls in (
        InitRequest,
        InitResponse,
        SearchRequest,
        SearchResponse,
        PresentRequest,
        PresentResponse,
        ScanRequest,
        ScanResponse,
        SortRequest,
        SortResponse,
        DeleteResultSetRequest,
        DeleteResultSetResponse,
        AccessControlRequest,
        AccessControlResponse,
        ResourceControlRequest,
        ResourceControlResponse,
        TriggerResourceControlRequest,
        Close,
    )
}


def event_from_apdu(name: str, value: Value, charset: str) -> Event:
    """Build the event for a decoded APDU (OtherAPDU for those shelfnet only carries)."""
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        return OtherAPDU(name, value)
    return event_type.from_value(value, charset)
