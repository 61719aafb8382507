"""Query languages (PQF, CCL, CQL) parsed to one RPN tree; PQF written back.

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
    from shelfnet.query.cql import (
        CqlDiagnostic,
        CqlError,
        CqlMapping,
        cql_sort_keys,
        cql_to_rpn,
        load_cql_mapping,
        parse_cql,
    )
    from shelfnet.query.cqlwriter import rpn_to_cql
    from shelfnet.query.pqf import parse_pqf, to_pqf

_LAZY = {
    "CclError": "shelfnet.query.ccl",
    "QualifierMap": "shelfnet.query.ccl",
    "load_qualifiers": "shelfnet.query.ccl",
    "parse_ccl": "shelfnet.query.ccl",
    "CqlDiagnostic": "shelfnet.query.cql",
    "CqlError": "shelfnet.query.cql",
    "CqlMapping": "shelfnet.query.cql",
    "cql_sort_keys": "shelfnet.query.cql",
    "cql_to_rpn": "shelfnet.query.cql",
    "load_cql_mapping": "shelfnet.query.cql",
    "parse_cql": "shelfnet.query.cql",
    "rpn_to_cql": "shelfnet.query.cqlwriter",
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
    "CqlDiagnostic",
    "CqlError",
    "CqlMapping",
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
    "cql_sort_keys",
    "cql_to_rpn",
    "load_cql_mapping",
    "load_qualifiers",
    "parse_ccl",
    "parse_cql",
    "parse_pqf",
    "rpn_to_cql",
    "to_pqf",
]
