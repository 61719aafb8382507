"""The type-1 (RPN) query tree of Z39.50 (ISO 23950 section 3.7), independent of syntax.

PQF and CCL parse to it; the Z39.50 codec encodes it; writers turn it back into PQF.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

BIB1 = "1.2.840.10003.3.1"
"""OID of the Bib-1 attribute set."""

# Attribute sets registered under 1.2.840.10003.3, by the names YAZ prints first.
_ATTRIBUTE_SET_NAMES: dict[str, str] = {
    BIB1: "Bib-1",
    "1.2.840.10003.3.2": "Exp-1",
    "1.2.840.10003.3.3": "Ext-1",
    "1.2.840.10003.3.4": "CCL-1",
    "1.2.840.10003.3.5": "GILS",
    "1.2.840.10003.3.6": "STAS-attset",
    "1.2.840.10003.3.7": "Collections-attset",
    "1.2.840.10003.3.8": "CIMI-attset",
    "1.2.840.10003.3.9": "Geo-attset",
    "1.2.840.10003.3.10": "ZBIG",
    "1.2.840.10003.3.11": "Util",
    "1.2.840.10003.3.12": "XD-1",
    "1.2.840.10003.3.13": "Zthes",
    "1.2.840.10003.3.14": "Fin-1",
    "1.2.840.10003.3.15": "Dan-1",
    "1.2.840.10003.3.16": "Holdings",
    "1.2.840.10003.3.17": "MARC",
    "1.2.840.10003.3.18": "Bib-2",
    "1.2.840.10003.3.19": "ZeeRex",
    "1.2.840.10003.3.1000.81.1": "Thesaurus-attset",
    "1.2.840.10003.3.1000.81.2": "IDXPATH",
    "1.2.840.10003.3.1000.81.3": "EXTLITE",
}

# Other spellings users type (YAZ accepts them too); "explain" is the Explain attribute set.
_ATTRIBUTE_SET_ALIASES: dict[str, str] = {
    "bib1": BIB1,
    "exp1": "1.2.840.10003.3.2",
    "explain": "1.2.840.10003.3.2",
    "gils-attset": "1.2.840.10003.3.5",
    "stas": "1.2.840.10003.3.6",
    "collections-1": "1.2.840.10003.3.7",
    "cimi-1": "1.2.840.10003.3.8",
    "geo-1": "1.2.840.10003.3.9",
    "thesaurus": "1.2.840.10003.3.1000.81.1",
}

_OIDS_BY_NAME: dict[str, str] = {
    **{name.lower(): oid for oid, name in _ATTRIBUTE_SET_NAMES.items()},
    **_ATTRIBUTE_SET_ALIASES,
}


def attribute_set_oid(name_or_oid: str) -> str | None:
    """The OID for an attribute-set name (any case) or dotted OID; None when unknown."""
    if _is_dotted_oid(name_or_oid):
        return name_or_oid
    return _OIDS_BY_NAME.get(name_or_oid.lower())


def attribute_set_name(oid: str) -> str:
    """The usual name of a registered attribute set, or the dotted OID itself."""
    return _ATTRIBUTE_SET_NAMES.get(oid, oid)


def _is_dotted_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) >= 2 and all(part.isascii() and part.isdigit() for part in parts)


class QueryError(ValueError):
    """A query that cannot be parsed. ``column`` is 1-based, pointing at the offending token."""

    def __init__(self, message: str, column: int, query: str = "") -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column
        self.query = query


class TermType(enum.Enum):
    """How a term is carried on the wire (Z39.50 ``Term`` CHOICE)."""

    GENERAL = "general"
    NUMERIC = "numeric"
    CHARACTER_STRING = "characterString"
    OID = "oid"
    DATETIME = "dateTime"
    NULL = "null"


@dataclass(frozen=True)
class AttributeElement:
    """One ``@attr [set] type=value``. ``value`` is an int (numeric) or str (complex string)."""

    type: int
    value: int | str
    attribute_set: str | None = None


@dataclass(frozen=True)
class Term:
    """An attributes-plus-term operand."""

    term: str
    attributes: tuple[AttributeElement, ...] = ()
    term_type: TermType = TermType.GENERAL


@dataclass(frozen=True)
class ResultSetId:
    """An operand that names an earlier result set (``@set name``)."""

    name: str


@dataclass(frozen=True)
class Proximity:
    """Proximity operator parameters (Z39.50 ``ProximityOperator``).

    ``relation``: 1 less-than, 2 less-or-equal, 3 equal, 4 greater-or-equal, 5 greater, 6 not-equal.
    ``unit``: for known units 1 character, 2 word, 3 sentence, 4 paragraph, 5 section, 6 chapter,
    7 document, 8 element, 9 subelement, 10 elementType, 11 byte; ``known_unit`` False for private.
    """

    exclusion: bool | None = None
    distance: int = 1
    ordered: bool = False
    relation: int = 2
    unit: int = 2
    known_unit: bool = True


class OperatorKind(enum.Enum):
    AND = "and"
    OR = "or"
    AND_NOT = "and-not"
    PROX = "prox"


@dataclass(frozen=True)
class Operator:
    """A boolean or proximity node with two operands."""

    kind: OperatorKind
    left: Node
    right: Node
    proximity: Proximity | None = None


Node = Term | ResultSetId | Operator


@dataclass(frozen=True)
class Query:
    """A complete type-1 query: the default attribute set and the tree."""

    root: Node
    attribute_set: str = BIB1
