"""Query languages (PQF, CCL; CQL later) parsed to one RPN tree and written back."""

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
    "Node",
    "Operator",
    "OperatorKind",
    "Proximity",
    "Query",
    "QueryError",
    "ResultSetId",
    "Term",
    "TermType",
]
