"""Hypothesis strategies shared by the query and codec tests."""

from __future__ import annotations

from hypothesis import strategies as st

from shelfnet.query.rpn import Node, Operator, OperatorKind, Proximity

BOOLEAN_OPERATORS = [OperatorKind.AND, OperatorKind.OR, OperatorKind.AND_NOT]


def rpn_trees(
    leaves: st.SearchStrategy[Node],
    proximities: st.SearchStrategy[Proximity],
    *,
    max_leaves: int,
) -> st.SearchStrategy[Node]:
    """RPN trees over ``leaves``, joined by boolean and proximity operators."""

    def operators(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        boolean = st.builds(Operator, st.sampled_from(BOOLEAN_OPERATORS), children, children)
        prox = st.builds(Operator, st.just(OperatorKind.PROX), children, children, proximities)
        return boolean | prox

    return st.recursive(leaves, operators, max_leaves=max_leaves)
