"""Query languages (PQF, CCL; CQL later) parsed to one RPN tree and written back.

The parsers load on first use, so code that only needs the tree (the Z39.50 codec, say)
does not pay for them at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from shelfnet.query.rpn import (
    BIB1,
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    Query,
    QueryError,
    ResultSetId,
    Term,
    TermType,
)

if TYPE_CHECKING:
    from shelfnet.query.ccl import CclError, QualifierMap, load_qualifiers, parse_ccl
    from shelfnet.query.pqf import parse_pqf, to_pqf

_LAZY = {
    "CclError": "shelfnet.query.ccl",
    "QualifierMap": "shelfnet.query.ccl",
    "load_qualifiers": "shelfnet.query.ccl",
    "parse_ccl": "shelfnet.query.ccl",
    "parse_pqf": "shelfnet.query.pqf",
    "to_pqf": "shelfnet.query.pqf",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BIB1",
    "AttributeElement",
    "CclError",
    "Node",
    "Operator",
    "OperatorKind",
    "Proximity",
    "QualifierMap",
    "Query",
    "QueryError",
    "ResultSetId",
    "Term",
    "TermType",
    "load_qualifiers",
    "parse_ccl",
    "parse_pqf",
    "to_pqf",
]
