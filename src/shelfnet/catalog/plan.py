"""A search as the store runs it: index lookups combined by boolean and proximity nodes.

``shelfnet.catalog.search`` turns a type-1 query and its Bib-1 attributes into a plan; the
store (``shelfnet.catalog.store``) turns the plan into SQL. Nothing here knows about
attributes or SQL: a plan says which index terms to look for and how they must stand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shelfnet.catalog.indexing import Kind


@dataclass(frozen=True)
class Exact:
    """The term itself."""

    term: str


@dataclass(frozen=True)
class Prefix:
    """Every term that starts with ``prefix`` (right truncation)."""

    prefix: str


@dataclass(frozen=True)
class Glob:
    """Terms matching an SQLite GLOB pattern (left truncation, ``#`` masks)."""

    pattern: str


@dataclass(frozen=True)
class Pattern:
    """Terms a regular expression matches in full (Python ``re`` syntax)."""

    regex: str
    prefix: str = ""
    """What every matching term starts with (the regular expression's literal start), so
    that only those terms need trying."""


class Comparison(enum.Enum):
    LESS = "<"
    LESS_OR_EQUAL = "<="
    EQUAL = "="
    GREATER_OR_EQUAL = ">="
    GREATER = ">"
    NOT_EQUAL = "<>"


@dataclass(frozen=True)
class Number:
    """Terms that are decimal numbers standing in ``comparison`` to ``value``."""

    comparison: Comparison
    value: int


@dataclass(frozen=True)
class AnyTerm:
    """Any term at all (relation "always matches")."""


Matcher = Exact | Prefix | Glob | Pattern | Number | AnyTerm


@dataclass(frozen=True)
class Lookup:
    """Records with the ``words`` of one index standing next to each other, in order, in the
    same field (one word: anywhere; ``first_in_field``: starting the field)."""

    use: int
    kind: Kind
    words: tuple[Matcher, ...]
    first_in_field: bool = False
    ranked: bool = False
    """The term asked for relevance ranking (relation 102)."""


@dataclass(frozen=True)
class AllRecords:
    """Every record of the catalogue."""


@dataclass(frozen=True)
class Nothing:
    """No record (a term with no words in it)."""


class BooleanOp(enum.Enum):
    AND = "INTERSECT"
    OR = "UNION"
    AND_NOT = "EXCEPT"


@dataclass(frozen=True)
class Boolean:
    op: BooleanOp
    left: Plan
    right: Plan


@dataclass(frozen=True)
class Near:
    """Proximity in words within one field: the distance from the end of ``left`` to the
    start of ``right`` (either way round unless ``ordered``) compares to ``distance``;
    ``exclusion`` keeps the records with both operands where no such pair exists."""

    left: Lookup | Near
    right: Lookup | Near
    distance: int
    comparison: Comparison
    ordered: bool
    exclusion: bool = False


Plan = Lookup | AllRecords | Nothing | Boolean | Near


def lookups(plan: Plan) -> list[Lookup]:
    """Every lookup in a plan, left to right."""
    found: list[Lookup] = []
    pending: list[Plan] = [plan]
    while pending:
        node = pending.pop()
        if isinstance(node, Lookup):
            found.append(node)
        elif isinstance(node, Boolean | Near):
            pending.extend((node.right, node.left))
    return found
