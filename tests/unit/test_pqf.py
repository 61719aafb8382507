"""PQF, YAZ's Prefix Query Format: parse_pqf reads it into the RPN tree, to_pqf writes it back.

The examples are YAZ's own (its manual's "PQF queries" section) plus the corners of its
grammar: quoting and escapes, attribute scope, @prox parameters, @term.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.query import (
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
    parse_pqf,
    to_pqf,
)
from tests.strategies import rpn_trees

GILS = "1.2.840.10003.3.5"
EXP1 = "1.2.840.10003.3.2"


def attr(
    attribute_type: int, value: int | str, attribute_set: str | None = None
) -> AttributeElement:
    return AttributeElement(attribute_type, value, attribute_set)


def root(text: str) -> Node:
    return parse_pqf(text).root


# --- terms -----------------------------------------------------------------------------


def test_a_bare_word_is_a_general_term_in_bib1() -> None:
    assert parse_pqf("dylan") == Query(Term("dylan"), attribute_set=BIB1)


@pytest.mark.parametrize("text", ['"bob dylan"', "{bob dylan}"])
def test_quotes_and_braces_keep_spaces_in_one_term(text: str) -> None:
    assert root(text) == Term("bob dylan")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r"tab\there", "tab\there"),
        (r"\x41\102C", "ABC"),
        (r"bob\ dylan", "bob dylan"),
        (r"\@and", "@and"),
    ],
)
def test_backslash_escapes_as_yaz_decodes_them(text: str, term: str) -> None:
    assert root(text) == Term(term)


def test_an_empty_quoted_term_is_allowed() -> None:
    assert root('""') == Term("")


def test_a_quoted_or_unknown_at_word_is_a_term_not_an_operator() -> None:
    assert root('"@and"') == Term("@and")
    assert root("@foo") == Term("@foo")


def test_only_the_space_separates_tokens_as_in_yaz() -> None:
    assert root("@and a\tb c") == Operator(OperatorKind.AND, Term("a\tb"), Term("c"))


# --- attributes ------------------------------------------------------------------------


def test_attributes_numeric_and_string_values() -> None:
    assert root('@attr 1=4 @attr 4=1 "self portrait"') == Term(
        "self portrait", (attr(1, 4), attr(4, 1))
    )
    assert root("@attr 1=/book/title computer") == Term("computer", (attr(1, "/book/title"),))


def test_a_string_attribute_value_may_be_quoted_whole() -> None:
    assert root('@attr "1=main title" x') == Term("x", (attr(1, "main title"),))


@pytest.mark.parametrize(
    ("name", "oid"),
    [
        ("bib-1", BIB1),
        ("Bib-1", BIB1),
        ("gils", GILS),
        ("exp-1", EXP1),
        ("exp1", EXP1),
        ("explain", EXP1),
        ("util", "1.2.840.10003.3.11"),
        ("zthes", "1.2.840.10003.3.13"),
        ("idxpath", "1.2.840.10003.3.1000.81.2"),
        ("1.2.840.10003.3.99", "1.2.840.10003.3.99"),
    ],
)
def test_attribute_sets_by_name_or_dotted_oid(name: str, oid: str) -> None:
    assert root(f"@attr {name} 1=4 x") == Term("x", (attr(1, 4, oid),))
    assert parse_pqf(f"@attrset {name} x").attribute_set == oid


def test_attrset_at_the_start_sets_the_query_attribute_set() -> None:
    assert parse_pqf("@attrset exp1 @attr 1=1 CategoryList") == Query(
        Term("CategoryList", (attr(1, 1),)), attribute_set=EXP1
    )


def test_attributes_apply_to_every_term_beneath_them() -> None:
    expected = Operator(
        OperatorKind.AND,
        Term("bob dylan", (attr(4, 1), attr(1, 1))),
        Term("slow train coming", (attr(4, 1), attr(1, 4))),
    )
    assert root('@attr 4=1 @and @attr 1=1 "bob dylan" @attr 1=4 "slow train coming"') == expected


def test_an_inner_attribute_overrides_an_outer_one_of_the_same_type() -> None:
    assert root("@attr 1=4 @and @attr 1=1003 a b") == Operator(
        OperatorKind.AND, Term("a", (attr(1, 1003),)), Term("b", (attr(1, 4),))
    )


def test_an_attribute_without_a_set_does_not_take_the_previous_ones_set() -> None:
    # YAZ's own parser would give 2=3 the GILS set too; its PQF printers assume it does not.
    assert root("@attr gils 1=2008 @attr 2=3 x") == Term("x", (attr(1, 2008, GILS), attr(2, 3)))


def test_at_digit_is_short_for_attr() -> None:
    assert root("@1=4 x") == root("@attr 1=4 x")


# --- operators -------------------------------------------------------------------------


def test_boolean_operators_take_two_operands_in_prefix_order() -> None:
    assert root("@and @or dylan zimmerman when") == Operator(
        OperatorKind.AND,
        Operator(OperatorKind.OR, Term("dylan"), Term("zimmerman")),
        Term("when"),
    )
    assert root("@not a b") == Operator(OperatorKind.AND_NOT, Term("a"), Term("b"))


def test_prox_reads_exclusion_distance_ordered_relation_which_and_unit() -> None:
    assert root("@prox 0 3 1 2 k 2 dylan zimmerman") == Operator(
        OperatorKind.PROX,
        Term("dylan"),
        Term("zimmerman"),
        Proximity(exclusion=False, distance=3, ordered=True, relation=2, unit=2),
    )


@pytest.mark.parametrize(
    ("parameters", "proximity"),
    [
        ("1 0 0 3 known 1", Proximity(True, 0, False, 3, 1, True)),
        ("void 5 0 1 p 9", Proximity(None, 5, False, 1, 9, False)),
        ("n 5 0 1 private 9", Proximity(None, 5, False, 1, 9, False)),
    ],
)
def test_prox_exclusion_may_be_void_and_unit_private(parameters: str, proximity: Proximity) -> None:
    assert root(f"@prox {parameters} a b") == Operator(
        OperatorKind.PROX, Term("a"), Term("b"), proximity
    )


def test_set_names_an_earlier_result_set() -> None:
    assert root("@or @and bob dylan @set Result-1") == Operator(
        OperatorKind.OR,
        Operator(OperatorKind.AND, Term("bob"), Term("dylan")),
        ResultSetId("Result-1"),
    )


def test_a_long_or_chain_parses_without_recursion() -> None:
    count = 5000
    query = parse_pqf("@or " * (count - 1) + " ".join(f"isbn{n}" for n in range(count)))
    node = query.root
    depth = 0
    while isinstance(node, Operator):
        node, depth = node.left, depth + 1
    assert (depth, node) == (count - 1, Term("isbn0"))


# --- term types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "term_type", "text"),
    [
        ("general", TermType.GENERAL, "x"),
        ("numeric", TermType.NUMERIC, "42"),
        ("string", TermType.CHARACTER_STRING, "a UTF-8 string, maybe?"),
        ("oid", TermType.OID, "1.2.840.10003.5.10"),
        ("datetime", TermType.DATETIME, "20240101"),
        ("null", TermType.NULL, "x"),
    ],
)
def test_term_sets_how_the_term_is_encoded(name: str, term_type: TermType, text: str) -> None:
    assert root(f'@term {name} "{text}"') == Term(text, term_type=term_type)


def test_a_term_type_stays_in_force_for_the_rest_of_the_query_as_in_yaz() -> None:
    assert root("@or @term numeric 1 2") == Operator(
        OperatorKind.OR,
        Term("1", term_type=TermType.NUMERIC),
        Term("2", term_type=TermType.NUMERIC),
    )


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 1, "expected at end"),
        ("@and a", 7, "expected at end"),
        ("a b", 3, "extra token"),
        ("@attr foo 1=4 x", 7, "unknown attribute set"),
        ("@attrset bogus x", 10, "unknown attribute set"),
        ("@attr x=1 y", 7, "attribute type must be an integer"),
        ("@attr 1= y", 7, "attribute value expected"),
        ("@attr gils x", 12, "type=value expected"),
        ("@prox 0 x 1 2 k 2 a b", 9, "distance must be an integer"),
        ("@prox 2 1 1 2 k 2 a b", 7, "exclusion"),
        ("@prox 0 1 1 2 q 2 a b", 15, "unit kind"),
        ('"abc', 1, "missing closing"),
        ("{abc", 1, "missing closing }"),
        ("@term weird x", 7, "term type must be one of"),
        ("@term numeric x", 15, "numeric term expected"),
        ("@term oid x", 11, "OID term expected"),
        ("@and a @attrset bib-1 b", 8, "only allowed at the start"),
    ],
)
def test_errors_name_the_column_of_the_offending_token(
    text: str, column: int, message: str
) -> None:
    with pytest.raises(QueryError) as raised:
        parse_pqf(text)
    assert raised.value.column == column
    assert message in raised.value.message
    assert raised.value.query == text


# --- writer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (Query(Term("dylan")), "dylan"),
        (Query(Term("bob dylan")), '"bob dylan"'),
        (Query(Term("")), '""'),
        (Query(Term("@and")), '"@and"'),
        (Query(Term('say "hi"')), r'"say \"hi\""'),
        (Query(Term("x", (attr(1, 4), attr(2, "a b", GILS)))), '@attr 1=4 @attr GILS "2=a b" x'),
        (Query(Term("x", (attr(1, "123"),))), r"@attr 1=\x3123 x"),
        (Query(Term("x"), attribute_set=EXP1), "@attrset Exp-1 x"),
        (
            Query(Operator(OperatorKind.PROX, Term("a"), Term("b"), Proximity(None, 3, True))),
            "@prox void 3 1 2 k 2 a b",
        ),
        (
            Query(
                Operator(
                    OperatorKind.AND,
                    Operator(
                        OperatorKind.OR,
                        Term("1", term_type=TermType.NUMERIC),
                        Term("2", term_type=TermType.NUMERIC),
                    ),
                    Term("b"),
                )
            ),
            "@and @or @term numeric 1 2 @term general b",
        ),
    ],
)
def test_to_pqf_writes_plain_pqf(query: Query, text: str) -> None:
    assert to_pqf(query) == text
    assert parse_pqf(text) == query


@pytest.mark.parametrize(
    "query",
    [
        Query(Term("x", (attr(1, -4),))),
        Query(Term("x", (attr(-1, 4),))),
        Query(Term("x", (attr(1, ""),))),
        Query(Term("x", (attr(1, 4, "not an oid"),))),
        Query(Operator(OperatorKind.PROX, Term("a"), Term("b"), Proximity(distance=-1))),
    ],
)
def test_to_pqf_refuses_what_pqf_cannot_carry(query: Query) -> None:
    with pytest.raises(ValueError):
        to_pqf(query)


# --- properties ------------------------------------------------------------------------

OIDS = st.sampled_from([BIB1, GILS, EXP1, "1.2.840.10003.3.1000.81.2"]) | st.lists(
    st.integers(0, 10**6), min_size=2, max_size=7
).map(lambda parts: ".".join(map(str, parts)))

ATTRIBUTES = st.lists(
    st.builds(
        AttributeElement,
        type=st.integers(0, 10**6),
        value=st.integers(0, 2**31) | st.text(min_size=1),
        attribute_set=st.none() | OIDS,
    ),
    unique_by=lambda element: element.type,
    max_size=4,
).map(tuple)


@st.composite
def terms(draw: st.DrawFn) -> Term:
    term_type = draw(st.sampled_from(TermType))
    if term_type is TermType.NUMERIC:
        text = str(draw(st.integers()))
    elif term_type is TermType.OID:
        text = draw(OIDS)
    else:
        text = draw(st.text())
    return Term(text, draw(ATTRIBUTES), term_type)


PROXIMITIES = st.builds(
    Proximity,
    exclusion=st.none() | st.booleans(),
    distance=st.integers(0, 1000),
    ordered=st.booleans(),
    relation=st.integers(0, 10),
    unit=st.integers(0, 1000),
    known_unit=st.booleans(),
)


NODES: st.SearchStrategy[Node] = rpn_trees(
    terms() | st.builds(ResultSetId, st.text()), PROXIMITIES, max_leaves=12
)
QUERIES = st.builds(Query, NODES, OIDS)


@given(QUERIES)
def test_any_tree_written_as_pqf_reads_back_equal(query: Query) -> None:
    assert parse_pqf(to_pqf(query)) == query


PQF_OPERATORS = ["@and", "@or", "@not", "@prox", "@attr", "@attrset", "@set", "@term", "@1=4"]
PQF_ARGUMENTS = ["@", "1=4", "4=1", "=", "gils", "bib-1", "0", "1", "k", "p", "void", "numeric"]
PQF_TERMS = ["string", "oid", "{", "}", "x", '"', '"a b"', "\\", ""]
PQF_WORDS = st.sampled_from([*PQF_OPERATORS, *PQF_ARGUMENTS, *PQF_TERMS])


@given(st.text() | st.lists(PQF_WORDS, max_size=20).map(" ".join))
def test_any_text_parses_or_raises_query_error_and_parsed_text_round_trips(text: str) -> None:
    try:
        query = parse_pqf(text)
    except QueryError as error:
        assert 1 <= error.column <= len(text) + 1
        return
    assert parse_pqf(to_pqf(query)) == query
