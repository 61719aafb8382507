"""A fast decoder for the APDU a server sees most, the SearchRequest with a type-1 query,
and a fast encoder for its answer when it carries no records.

asn1tools decodes any APDU of the specification by walking its compiled type tree, which
costs a server more than the search itself for a small catalogue. This module decodes the
common shape of SearchRequest directly: definite lengths, the fields and query nodes real
clients send (attribute-plus-term operands with numeric or string attribute values,
result-set operands, AND, OR, AND-NOT and proximity), into exactly the value asn1tools
would give. Anything else (an indefinite length, a constructed string, another query type,
other-information, a tag out of place) makes it give up, and ``codec`` lets asn1tools decode
the APDU, so the answer for odd or broken input is always asn1tools'. The encoder writes the
bytes asn1tools writes for a SearchResponse of counts and statuses only. The test suite
checks both directions against asn1tools, on generated and on damaged APDUs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

Value = Any


class _GiveUp(Exception):
    """Not a shape this decoder knows: asn1tools decides."""


# Identifier octets, as they stand in the encoding.
SEARCH_REQUEST = b"\xb6"  # [22] IMPLICIT SEQUENCE
_REFERENCE_ID = b"\x82"
_SMALL_SET_UPPER_BOUND = b"\x8d"
_LARGE_SET_LOWER_BOUND = b"\x8e"
_MEDIUM_SET_PRESENT_NUMBER = b"\x8f"
_REPLACE_INDICATOR = b"\x90"
_RESULT_SET_NAME = b"\x91"
_DATABASE_NAMES = b"\xb2"
_DATABASE_NAME = b"\x9f\x69"
_SMALL_SET_ELEMENT_SET_NAMES = b"\xbf\x64"
_MEDIUM_SET_ELEMENT_SET_NAMES = b"\xbf\x65"
_GENERIC_ELEMENT_SET_NAME = b"\x80"
_PREFERRED_RECORD_SYNTAX = b"\x9f\x68"
_QUERY = b"\xb5"
_TYPE_1 = b"\xa1"
_OID = b"\x06"
_OP = b"\xa0"
_RPN_RPN_OP = b"\xa1"
_ATTRIBUTES_PLUS_TERM = b"\xbf\x66"
_RESULT_SET = b"\x9f\x1f"
_ATTRIBUTE_LIST = b"\xbf\x2c"
_SEQUENCE = b"\x30"
_ATTRIBUTE_SET = b"\x81"
_ATTRIBUTE_TYPE = b"\x9f\x78"
_NUMERIC_VALUE = b"\x9f\x79"
_COMPLEX_VALUE = b"\xbf\x81\x60"
_COMPLEX_LIST = b"\xa1"
_STRING = b"\x81"
_NUMERIC = b"\x82"
_OPERATOR = b"\xbf\x2e"
_PROX = b"\xa3"
_EXCLUSION = b"\x81"
_DISTANCE = b"\x82"
_ORDERED = b"\x83"
_RELATION_TYPE = b"\x84"
_UNIT = b"\xa5"
_KNOWN_UNIT = b"\x81"
_PRIVATE_UNIT = b"\x82"
_TERMS = {
    b"\x9f\x2d": "general",
    b"\x9f\x81\x57": "numeric",
    b"\x9f\x81\x58": "characterString",
}
_BOOLEAN_OPERATORS = {b"\x80\x00": "and", b"\x81\x00": "or", b"\x82\x00": "and-not"}
_MAX_DEPTH = 200


def decode_search_request(data: bytes) -> Value | None:
    """The asn1tools value of a SearchRequest APDU (``("searchRequest", value)`` less the
    name), or None when asn1tools must decode it."""
    try:
        start, end = _expect(data, 0, len(data), SEARCH_REQUEST)
        if end != len(data):
            return None
        return _search_request(data, start, end)
    except (_GiveUp, IndexError, RecursionError):
        return None


def _search_request(data: bytes, pos: int, end: int) -> Value:
    value: dict[str, Value] = {}
    if data.startswith(_REFERENCE_ID, pos):
        start, pos = _expect(data, pos, end, _REFERENCE_ID)
        value["referenceId"] = data[start:pos]
    for name, tag in (
        ("smallSetUpperBound", _SMALL_SET_UPPER_BOUND),
        ("largeSetLowerBound", _LARGE_SET_LOWER_BOUND),
        ("mediumSetPresentNumber", _MEDIUM_SET_PRESENT_NUMBER),
    ):
        start, pos = _expect(data, pos, end, tag)
        value[name] = _integer(data, start, pos)
    start, pos = _expect(data, pos, end, _REPLACE_INDICATOR)
    value["replaceIndicator"] = _boolean(data, start, pos)
    start, pos = _expect(data, pos, end, _RESULT_SET_NAME)
    value["resultSetName"] = data[start:pos]
    start, pos = _expect(data, pos, end, _DATABASE_NAMES)
    names = []
    while start < pos:
        name_start, start = _expect(data, start, pos, _DATABASE_NAME)
        names.append(data[name_start:start])
    value["databaseNames"] = names
    for name, tag in (
        ("smallSetElementSetNames", _SMALL_SET_ELEMENT_SET_NAMES),
        ("mediumSetElementSetNames", _MEDIUM_SET_ELEMENT_SET_NAMES),
    ):
        if data.startswith(tag, pos):
            start, pos = _expect(data, pos, end, tag)
            name_start, name_end = _expect(data, start, pos, _GENERIC_ELEMENT_SET_NAME)
            if name_end != pos:
                raise _GiveUp
            value[name] = ("genericElementSetName", data[name_start:name_end])
    if data.startswith(_PREFERRED_RECORD_SYNTAX, pos):
        start, pos = _expect(data, pos, end, _PREFERRED_RECORD_SYNTAX)
        value["preferredRecordSyntax"] = _oid(data[start:pos])
    start, pos = _expect(data, pos, end, _QUERY)
    if pos != end:
        raise _GiveUp  # additionalSearchInfo, otherInfo, or something out of place
    query_start, query_end = _expect(data, start, pos, _TYPE_1)
    if query_end != pos:
        raise _GiveUp
    oid_start, rpn_start = _expect(data, query_start, query_end, _OID)
    rpn, rpn_end = _rpn(data, rpn_start, query_end, 0)
    if rpn_end != query_end:
        raise _GiveUp
    value["query"] = ("type-1", {"attributeSet": _oid(data[oid_start:rpn_start]), "rpn": rpn})
    return value


def _rpn(data: bytes, pos: int, end: int, depth: int) -> tuple[Value, int]:
    if depth > _MAX_DEPTH:
        raise _GiveUp
    if data.startswith(_OP, pos):
        start, stop = _expect(data, pos, end, _OP)
        operand, operand_end = _operand(data, start, stop)
        if operand_end != stop:
            raise _GiveUp
        return ("op", operand), stop
    start, stop = _expect(data, pos, end, _RPN_RPN_OP)
    rpn1, pos = _rpn(data, start, stop, depth + 1)
    rpn2, pos = _rpn(data, pos, stop, depth + 1)
    op_start, op_end = _expect(data, pos, stop, _OPERATOR)
    if op_end != stop:
        raise _GiveUp
    operator = _BOOLEAN_OPERATORS.get(data[op_start:op_end])
    op: Value = (
        (operator, None) if operator is not None else ("prox", _prox(data, op_start, op_end))
    )
    return ("rpnRpnOp", {"rpn1": rpn1, "rpn2": rpn2, "op": op}), stop


def _operand(data: bytes, pos: int, end: int) -> tuple[Value, int]:
    if data.startswith(_RESULT_SET, pos):
        start, stop = _expect(data, pos, end, _RESULT_SET)
        return ("resultSet", data[start:stop]), stop
    start, stop = _expect(data, pos, end, _ATTRIBUTES_PLUS_TERM)
    list_start, pos = _expect(data, start, stop, _ATTRIBUTE_LIST)
    attributes = []
    while list_start < pos:
        element_start, list_start = _expect(data, list_start, pos, _SEQUENCE)
        attributes.append(_attribute(data, element_start, list_start))
    tag = next((tag for tag in _TERMS if data.startswith(tag, pos)), None)
    if tag is None:
        raise _GiveUp
    kind = _TERMS[tag]
    term_start, term_end = _expect(data, pos, stop, tag)
    if term_end != stop:
        raise _GiveUp
    raw = data[term_start:term_end]
    term = (kind, _integer(data, term_start, term_end) if kind == "numeric" else raw)
    return ("attrTerm", {"attributes": attributes, "term": term}), stop


def _attribute(data: bytes, pos: int, end: int) -> Value:
    element: dict[str, Value] = {}
    if data.startswith(_ATTRIBUTE_SET, pos):
        start, pos = _expect(data, pos, end, _ATTRIBUTE_SET)
        element["attributeSet"] = _oid(data[start:pos])
    start, pos = _expect(data, pos, end, _ATTRIBUTE_TYPE)
    element["attributeType"] = _integer(data, start, pos)
    if data.startswith(_NUMERIC_VALUE, pos):
        start, pos = _expect(data, pos, end, _NUMERIC_VALUE)
        element["attributeValue"] = ("numeric", _integer(data, start, pos))
    else:
        start, pos = _expect(data, pos, end, _COMPLEX_VALUE)
        list_start, list_end = _expect(data, start, pos, _COMPLEX_LIST)
        if list_end != pos:
            raise _GiveUp  # semanticAction
        items: list[Value] = []
        while list_start < list_end:
            if data.startswith(_STRING, list_start):
                item_start, list_start = _expect(data, list_start, list_end, _STRING)
                items.append(("string", data[item_start:list_start]))
            else:
                item_start, list_start = _expect(data, list_start, list_end, _NUMERIC)
                items.append(("numeric", _integer(data, item_start, list_start)))
        element["attributeValue"] = ("complex", {"list": items})
    if pos != end:
        raise _GiveUp
    return element


def _prox(data: bytes, pos: int, end: int) -> Value:
    start, stop = _expect(data, pos, end, _PROX)
    if stop != end:
        raise _GiveUp
    prox: dict[str, Value] = {}
    pos = start
    if data.startswith(_EXCLUSION, pos):
        value_start, pos = _expect(data, pos, stop, _EXCLUSION)
        prox["exclusion"] = _boolean(data, value_start, pos)
    value_start, pos = _expect(data, pos, stop, _DISTANCE)
    prox["distance"] = _integer(data, value_start, pos)
    value_start, pos = _expect(data, pos, stop, _ORDERED)
    prox["ordered"] = _boolean(data, value_start, pos)
    value_start, pos = _expect(data, pos, stop, _RELATION_TYPE)
    prox["relationType"] = _integer(data, value_start, pos)
    unit_start, pos = _expect(data, pos, stop, _UNIT)
    if pos != stop:
        raise _GiveUp
    if data.startswith(_KNOWN_UNIT, unit_start):
        value_start, unit_end = _expect(data, unit_start, pos, _KNOWN_UNIT)
        unit: Value = ("known", _integer(data, value_start, unit_end))
    else:
        value_start, unit_end = _expect(data, unit_start, pos, _PRIVATE_UNIT)
        unit = ("private", _integer(data, value_start, unit_end))
    if unit_end != pos:
        raise _GiveUp
    prox["proximityUnitCode"] = unit
    return prox


# --- encoding ------------------------------------------------------------------------------

SEARCH_RESPONSE = b"\xb7"  # [23] IMPLICIT SEQUENCE
_RESPONSE_FIELDS = (
    ("referenceId", b"\x82", False),
    ("resultCount", b"\x97", True),
    ("numberOfRecordsReturned", b"\x98", True),
    ("nextResultSetPosition", b"\x99", True),
    ("searchStatus", b"\x96", True),
    ("resultSetStatus", b"\x9a", False),
    ("presentStatus", b"\x9b", False),
)
_RESPONSE_KEYS = frozenset(name for name, _tag, _required in _RESPONSE_FIELDS)


def encode_search_response(value: Value) -> bytes | None:
    """The BER asn1tools writes for a SearchResponse value without records or other
    information, or None when the value holds more (asn1tools encodes it then)."""
    if not isinstance(value, dict) or not value.keys() <= _RESPONSE_KEYS:
        return None
    parts = []
    for name, tag, required in _RESPONSE_FIELDS:
        if name not in value:
            if required:
                return None
            continue
        item = value[name]
        if isinstance(item, bool):
            content = b"\xff" if item else b"\x00"
        elif isinstance(item, int):
            size = (item if item >= 0 else ~item).bit_length() // 8 + 1  # minimal octets
            content = item.to_bytes(size, "big", signed=True)
        elif isinstance(item, bytes):
            content = item
        else:
            return None
        parts.append(tag + _length(len(content)) + content)
    body = b"".join(parts)
    return SEARCH_RESPONSE + _length(len(body)) + body


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


# --- primitives ----------------------------------------------------------------------------


def _expect(data: bytes, pos: int, end: int, tag: bytes) -> tuple[int, int]:
    """The content (start, end) of the TLV at ``pos``, which must have identifier ``tag``
    and a definite length that ends by ``end``."""
    if not data.startswith(tag, pos):
        raise _GiveUp
    pos += len(tag)
    if pos >= end:
        raise _GiveUp
    first = data[pos]
    if first < 0x80:
        start = pos + 1
        stop = start + first
    elif 0x81 <= first <= 0x84:
        start = pos + 1 + (first & 0x7F)
        stop = start + int.from_bytes(data[pos + 1 : start], "big")
    else:
        raise _GiveUp  # indefinite, or a length no APDU of ours reaches
    if stop > end:
        raise _GiveUp
    return start, stop


def _integer(data: bytes, start: int, end: int) -> int:
    if start == end:
        raise _GiveUp
    return int.from_bytes(data[start:end], "big", signed=True)


def _boolean(data: bytes, start: int, end: int) -> bool:
    if end - start != 1:
        raise _GiveUp
    return data[start] != 0


@lru_cache(maxsize=256)
def _oid(encoded: bytes) -> str:
    if not encoded or encoded[-1] & 0x80:
        raise _GiveUp
    arcs: list[int] = []
    value = 0
    for byte in encoded:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    if first >= 80:
        raise _GiveUp  # arc 2 with a large second arc: asn1tools has its own reading of it
    return ".".join(str(arc) for arc in [*divmod(first, 40), *arcs[1:]])
