"""Query languages (PQF, CCL; CQL later) parsed to one RPN tree and written back."""

from shelfnet.query.ccl import CclError, QualifierMap, load_qualifiers, parse_ccl
from shelfnet.query.pqf import parse_pqf, to_pqf
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
