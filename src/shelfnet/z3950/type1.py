"""The type-1 query between shelfnet's RPN tree (``shelfnet.query.rpn``) and its BER value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shelfnet.query.rpn import (
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    Query,
    ResultSetId,
    Term,
    TermType,
)
from shelfnet.z3950.errors import DecodeError

_OPERATORS = {
    OperatorKind.AND: "and",
    OperatorKind.OR: "or",
    OperatorKind.AND_NOT: "and-not",
}
_OPERATOR_KINDS = {name: kind for kind, name in _OPERATORS.items()}


def encode_query(query: Query, charset: str = "utf-8") -> tuple[str, Any]:
    """The ``Query`` CHOICE value for a type-1 query, terms encoded in ``charset``."""
    return ("type-1", {"attributeSet": query.attribute_set, "rpn": _structure(query.root, charset)})


def encode_attributes_plus_term(term: Term, charset: str = "utf-8") -> dict[str, Any]:
    """An ``AttributesPlusTerm`` value (used by Search operands and by Scan)."""
    return {
        "attributes": [_attribute(a, charset) for a in term.attributes],
        "term": _term(term, charset),
    }


def _structure(node: Node, charset: str) -> tuple[str, Any]:
    if isinstance(node, Term):
        return ("op", ("attrTerm", encode_attributes_plus_term(node, charset)))
    if isinstance(node, ResultSetId):
        return ("op", ("resultSet", node.name.encode(charset)))
    return (
        "rpnRpnOp",
        {
            "rpn1": _structure(node.left, charset),
            "rpn2": _structure(node.right, charset),
            "op": _operator(node),
        },
    )


def _operator(node: Operator) -> tuple[str, Any]:
    if node.kind is not OperatorKind.PROX:
        return (_OPERATORS[node.kind], None)
    prox = node.proximity or Proximity()
    value: dict[str, Any] = {
        "distance": prox.distance,
        "ordered": prox.ordered,
        "relationType": prox.relation,
        "proximityUnitCode": ("known" if prox.known_unit else "private", prox.unit),
    }
    if prox.exclusion is not None:
        value["exclusion"] = prox.exclusion
    return ("prox", value)


def _attribute(element: AttributeElement, charset: str) -> dict[str, Any]:
    value: dict[str, Any] = {"attributeType": element.type}
    if isinstance(element.value, int):
        value["attributeValue"] = ("numeric", element.value)
    else:
        value["attributeValue"] = ("complex", {"list": [("string", element.value.encode(charset))]})
    if element.attribute_set is not None:
        value["attributeSet"] = element.attribute_set
    return value


def _term(term: Term, charset: str) -> tuple[str, Any]:
    match term.term_type:
        case TermType.GENERAL:
            return ("general", term.term.encode(charset))
        case TermType.NUMERIC:
            return ("numeric", int(term.term))
        case TermType.CHARACTER_STRING:
            return ("characterString", term.term.encode(charset))
        case TermType.OID:
            return ("oid", term.term)
        case TermType.DATETIME:
            return ("dateTime", _datetime(term.term))
        case TermType.NULL:
            return ("null", None)
    raise ValueError(f"unsupported term type {term.term_type}")


_GENERALIZED_TIME = "%Y%m%d%H%M%S"


def _datetime(text: str) -> dt.datetime:
    """A dateTime term: ``YYYYMMDD[hh[mm[ss]]]`` (GeneralizedTime) or ISO 8601."""
    digits = text.strip()
    if digits.isdigit() and len(digits) in (8, 10, 12, 14):
        return dt.datetime.strptime(digits.ljust(14, "0"), _GENERALIZED_TIME)
    try:
        return dt.datetime.fromisoformat(digits)
    except ValueError:
        raise ValueError(f"dateTime term {text!r} is not YYYYMMDDhhmmss or ISO 8601") from None


def decode_query(value: tuple[str, Any], charset: str = "utf-8") -> Query:
    """Turn a decoded ``Query`` CHOICE back into shelfnet's tree (type-1 and type-101 only)."""
    kind, body = value
    if kind not in ("type-1", "type-101"):
        raise DecodeError(f"query {kind} is not a type-1 (RPN) query")
    return Query(root=_node(body["rpn"], charset), attribute_set=body["attributeSet"])


def decode_attributes_plus_term(value: dict[str, Any], charset: str = "utf-8") -> Term:
    """Turn a decoded ``AttributesPlusTerm`` into a Term."""
    attributes = tuple(_decode_attribute(a, charset) for a in value["attributes"])
    kind, raw = value["term"]
    text, term_type = _decode_term(kind, raw, charset)
    return Term(term=text, attributes=attributes, term_type=term_type)


def _node(value: tuple[str, Any], charset: str) -> Node:
    kind, body = value
    if kind == "rpnRpnOp":
        op_name, op_value = body["op"]
        left, right = _node(body["rpn1"], charset), _node(body["rpn2"], charset)
        if op_name == "prox":
            unit_kind, unit = op_value["proximityUnitCode"]
            prox = Proximity(
                exclusion=op_value.get("exclusion"),
                distance=op_value["distance"],
                ordered=op_value["ordered"],
                relation=op_value["relationType"],
                unit=unit,
                known_unit=unit_kind == "known",
            )
            return Operator(OperatorKind.PROX, left, right, prox)
        return Operator(_OPERATOR_KINDS[op_name], left, right)
    operand_kind, operand = body
    if operand_kind == "attrTerm":
        return decode_attributes_plus_term(operand, charset)
    if operand_kind == "resultSet":
        return ResultSetId(bytes(operand).decode(charset, "replace"))
    raise DecodeError(f"unsupported operand {operand_kind}")


def _decode_attribute(value: dict[str, Any], charset: str) -> AttributeElement:
    kind, body = value["attributeValue"]
    attr_value: int | str
    if kind == "numeric":
        attr_value = int(body)
    else:
        parts = [
            bytes(v).decode(charset, "replace") if k == "string" else str(v)
            for k, v in body["list"]
        ]
        attr_value = ",".join(parts)
    return AttributeElement(value["attributeType"], attr_value, value.get("attributeSet"))


def _decode_term(kind: str, raw: Any, charset: str) -> tuple[str, TermType]:
    if kind == "general":
        return bytes(raw).decode(charset, "replace"), TermType.GENERAL
    if kind == "characterString":
        return bytes(raw).decode(charset, "replace"), TermType.CHARACTER_STRING
    if kind == "numeric":
        return str(raw), TermType.NUMERIC
    if kind == "oid":
        return str(raw), TermType.OID
    if kind == "dateTime":
        return raw.strftime(_GENERALIZED_TIME), TermType.DATETIME
    if kind == "null":
        return "", TermType.NULL
    raise DecodeError(f"unsupported term type {kind}")
