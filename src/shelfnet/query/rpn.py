"""The type-1 (RPN) query tree of Z39.50 (ISO 23950 section 3.7), independent of syntax.

PQF and CCL parse to it; the Z39.50 codec encodes it; writers turn it back into PQF.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

BIB1 = "1.2.840.10003.3.1"
"""OID of the Bib-1 attribute set."""


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
