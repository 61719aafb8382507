"""RPN queries written as CQL that cql_to_rpn reads back as the same search.

"The same search" is the promise of shelfnet.query.cqlwriter, written out again here as a
normal form of each term, so the writer is checked against the rule and not against itself:

* attributes are compared as a set, one per type, without relation equal (2=3), any position
  (3=3), no truncation (5=100) and incomplete subfield (6=1), which an omitted attribute means;
* a use or structure attribute the original term lacks is the target's choice: any will do;
* masks are part of the text: right, left and both truncation (5=1, 5=2, 5=3) and Z39.58
  patterns (5=104) all become the text with its masks;
* for a term of one word (or none), word (4=2) and word list (4=6) are phrase (4=1); a word list of
  several words is the AND of a word term per word;
* a proximity operator without an exclusion flag is one without exclusion.

Expected CQL is what the default mapping (cql.properties) calls things.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shelfnet.query import (
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    Query,
    QueryError,
    ResultSetId,
    Term,
    parse_ccl,
    parse_pqf,
)
from shelfnet.query.cql import (
    CqlError,
    CqlMapping,
    cql_to_rpn,
    default_cql_mapping,
    load_cql_mapping,
    parse_cql,
)
from shelfnet.query.cqlwriter import CqlWriteError, rpn_to_cql
from tests.strategies import rpn_trees

USE, STRUCTURE, TRUNCATION = 1, 4, 5
NEUTRAL = frozenset({(2, 3), (3, 3), (5, 100), (6, 1)})
ANY, ONE = "\x00", "\x01"  # masks in a normal form's text; terms here never hold them

# --- the same search ---------------------------------------------------------------------


def same_search(original: Node, read_back: Node) -> bool:
    """Whether ``read_back`` searches for what ``original`` does (see the module's rules)."""
    if isinstance(original, Term) and isinstance(read_back, Operator):
        words = as_words(original)
        return words != original and same_search(words, read_back)
    if isinstance(original, Term) and isinstance(read_back, Term):
        return normal_term(original, original) == normal_term(read_back, original)
    if isinstance(original, Operator) and isinstance(read_back, Operator):
        return (
            original.kind is read_back.kind
            and normal_proximity(original) == normal_proximity(read_back)
            and same_search(original.left, read_back.left)
            and same_search(original.right, read_back.right)
        )
    return original == read_back


def normal_term(term: Term, original: Term) -> tuple[str, dict[int, int | str]]:
    attributes = {a.type: a.value for a in term.attributes if (a.type, a.value) not in NEUTRAL}
    given_types = {a.type for a in original.attributes}
    for open_type in (USE, STRUCTURE):
        if open_type not in given_types:
            attributes.pop(open_type, None)
    text, truncation = term.term, attributes.pop(TRUNCATION, None)
    if truncation == 104:
        text = z3958_masks(text)
    elif truncation in (1, 2, 3):
        text = ANY * (truncation != 1) + text + ANY * (truncation != 2)
    elif truncation is not None:
        attributes[TRUNCATION] = truncation
    if attributes.get(STRUCTURE) in (2, 6) and not any(c.isspace() for c in text):
        attributes[STRUCTURE] = 1
    return text, attributes


def as_words(term: Term) -> Node:
    """A word list (4=6) of several words as the AND of word (4=2) terms, right-nested."""
    words = term.term.split()
    if AttributeElement(STRUCTURE, 6) not in term.attributes or len(words) < 2:
        return term
    word = AttributeElement(STRUCTURE, 2)
    attributes = tuple(word if a.type == STRUCTURE else a for a in term.attributes)
    node: Node = Term(words[-1], attributes)
    for text in reversed(words[:-1]):
        node = Operator(OperatorKind.AND, Term(text, attributes), node)
    return node


def z3958_masks(pattern: str) -> str:
    """A Z39.58 pattern with ANY for ``?``, ONE for ``#`` and its escapes undone."""
    out, escaped = [], False
    for char in pattern:
        if escaped or char not in "\\?#":
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(ANY if char == "?" else ONE)
    return "".join(out) + ("\\" if escaped else "")


def normal_proximity(operator: Operator) -> Proximity | None:
    if operator.kind is not OperatorKind.PROX:
        return operator.proximity
    proximity = operator.proximity or Proximity()
    return dataclasses.replace(proximity, exclusion=bool(proximity.exclusion))


def written(pqf: str, mapping: CqlMapping | None = None) -> str:
    """CQL for a PQF query, checked to read back as the same search."""
    query = parse_pqf(pqf)
    cql = rpn_to_cql(query, mapping)
    read_back = cql_to_rpn(parse_cql(cql), mapping)
    assert same_search(query.root, read_back.root), f"{cql} reads back as {read_back}"
    return cql


def write_error(query: Query | str, mapping: CqlMapping | None = None) -> CqlWriteError:
    with pytest.raises(CqlWriteError) as raised:
        rpn_to_cql(parse_pqf(query) if isinstance(query, str) else query, mapping)
    return raised.value


def term(text: str, *attributes: tuple[int, int | str]) -> Term:
    return Term(text, tuple(AttributeElement(t, v) for t, v in attributes))


# --- examples ----------------------------------------------------------------------------


def test_a_ccl_query_goes_to_sru_with_the_mapping_s_index_names() -> None:
    query = parse_ccl("ti=jazz and au=davis")
    cql = rpn_to_cql(query)
    assert cql == "dc.title=jazz and dc.creator=davis"
    assert same_search(query.root, cql_to_rpn(parse_cql(cql)).root)


@pytest.mark.parametrize(
    ("pqf", "cql"),
    [
        pytest.param("@attr 1=4 @attr 5=1 jaz", "dc.title=jaz*", id="right truncation"),
        pytest.param("@attr 1=4 @attr 5=2 azz", "dc.title=*azz", id="left truncation"),
        pytest.param("@attr 1=4 @attr 5=3 azz", "dc.title=*azz*", id="both truncation"),
        pytest.param("@attr 1=4 @attr 5=100 jazz", "dc.title=jazz", id="no truncation"),
        pytest.param('@attr 1=4 @attr 4=1 "blue note"', 'dc.title="blue note"', id="phrase"),
        pytest.param('@attr 1=4 "blue note"', 'dc.title="blue note"', id="structure left open"),
        pytest.param("@attr 1=4 @attr 4=2 concert", "dc.title=concert", id="one word"),
        pytest.param('@attr 1=4 @attr 4=6 "blue note"', 'dc.title all "blue note"', id="word list"),
        pytest.param("@attr 1=7 0863693180", "bath.isbn=0863693180", id="ISBN"),
        pytest.param("@attr 1=1003 davis", "dc.creator=davis", id="first of two indexes"),
        pytest.param("@attr 1=1016 jazz", "jazz", id="any is server choice"),
        pytest.param("jazz", "jazz", id="no use attribute"),
        pytest.param("@attr 2=1 1990", "cql.serverChoice<1990", id="server choice named"),
        pytest.param(
            '@attr 1=4 @attr 6=3 "the koln concert"',
            'dc.title=="the koln concert"',
            id="complete field",
        ),
        pytest.param("@attr 1=4 @attr 3=1 blue", "dc.title=^blue", id="first in field"),
        pytest.param("@attr 1=31 @attr 2=1 @attr 4=109 1960", "dc.date<1960", id="less"),
        pytest.param("@attr 1=31 @attr 2=2 @attr 4=109 1959", "dc.date<=1959", id="at most"),
        pytest.param("@attr 1=31 @attr 2=4 @attr 4=109 1990", "dc.date>=1990", id="at least"),
        pytest.param("@attr 1=31 @attr 2=5 @attr 4=109 1999", "dc.date>1999", id="greater"),
        pytest.param("@attr 1=31 @attr 2=6 @attr 4=109 1999", "dc.date<>1999", id="not equal"),
        pytest.param("@attr 1=31 @attr 2=4 1990", "dc.date>=1990", id="relation, no structure"),
        pytest.param("@attr 1=31 @attr 4=109 1975", "dc.date=/number 1975", id="numeric"),
        pytest.param("@attr 1=4 @attr 2=102 jazz", "dc.title=/relevant jazz", id="relevance"),
        pytest.param('@attr 1=4 @attr 5=102 "blu.*"', "dc.title=/regexp blu.*", id="regexp"),
        pytest.param('@attr 1=4 @attr 5=104 "a?b#c"', "dc.title=a*b?c", id="Z39.58 pattern"),
        pytest.param('@attr 1=4 @attr 5=104 "jaz?"', "dc.title=jaz*", id="Z39.58 at the end"),
        pytest.param('@attr 1=4 @attr 5=104 "a\\\\?b"', r'dc.title="a\?b"', id="Z39.58 escape"),
        pytest.param("@attr 1=4 @attr 3=1 @attr 5=2 ue", "dc.title=^*ue", id="anchor and mask"),
        pytest.param('@attr 1=_ALLRECORDS @attr 2=103 ""', 'cql.allrecords=""', id="every record"),
        pytest.param("@term numeric @attr 1=31 1990", "dc.date=1990", id="numeric term"),
    ],
)
def test_a_term_is_written_as_the_clause_the_mapping_reads_back(pqf: str, cql: str) -> None:
    assert written(pqf) == cql


@pytest.mark.parametrize(
    ("text", "cql"),
    [
        pytest.param('say "hi"', r'dc.title="say \"hi\""', id="quotes"),
        pytest.param(r"a\b", r'dc.title="a\\b"', id="backslash"),
        pytest.param("*now* ^ or ?", r'dc.title="\*now\* \^ or \?"', id="masking characters"),
        pytest.param("and", 'dc.title="and"', id="keyword"),
        pytest.param("SortBy", 'dc.title="SortBy"', id="sortBy"),
        pytest.param("a=b", 'dc.title="a=b"', id="comparison"),
        pytest.param("(x)/y", 'dc.title="(x)/y"', id="parentheses and slash"),
        pytest.param("", 'dc.title=""', id="empty"),
        pytest.param("köln", "dc.title=köln", id="non-ASCII word"),
    ],
)
def test_terms_are_quoted_and_escaped_as_the_cql_grammar_wants(text: str, cql: str) -> None:
    query = Query(term(text, (1, 4)))
    assert rpn_to_cql(query) == cql
    assert same_search(query.root, cql_to_rpn(parse_cql(cql)).root)


@pytest.mark.parametrize(
    ("pqf", "cql"),
    [
        pytest.param(
            "@or @attr 1=4 a @not @attr 1=21 b @attr 1=21 c",
            "dc.title=a or (dc.subject=b not dc.subject=c)",
            id="or, not",
        ),
        pytest.param("@and @or a b c", "(a or b) and c", id="other kind on the left"),
        pytest.param("@and @and a b c", "a and b and c", id="same kind on the left"),
        pytest.param("@and a @and b c", "a and (b and c)", id="right operand"),
        pytest.param(
            "@prox 0 3 1 2 k 2 @attr 1=4 blue @attr 1=4 note",
            "dc.title=blue prox/unit=word/distance<=3/ordered dc.title=note",
            id="proximity",
        ),
        pytest.param(
            "@prox void 0 0 3 k 3 a b", "a prox/unit=sentence/distance=0 b", id="sentence"
        ),
        pytest.param(
            "@prox 0 2 0 5 k 10 a b", "a prox/unit=elementType/distance>2 b", id="element type"
        ),
    ],
)
def test_operators_are_written_left_to_right_with_parentheses(pqf: str, cql: str) -> None:
    assert written(pqf) == cql


def test_a_proximity_node_without_parameters_takes_z3950_s_defaults() -> None:
    query = Query(Operator(OperatorKind.PROX, term("a"), term("b")))
    assert rpn_to_cql(query) == "a prox/unit=word/distance<=1 b"


def test_the_same_term_twice_is_written_twice() -> None:
    assert written("@or @attr 1=4 jazz @attr 1=4 jazz") == "dc.title=jazz or dc.title=jazz"


def test_a_left_deep_tree_of_thousands_of_terms_is_written_without_recursion() -> None:
    node: Node = term("w0")
    for i in range(1, 3000):
        node = Operator(OperatorKind.AND, node, term(f"w{i}"))
    assert rpn_to_cql(Query(node)) == " and ".join(f"w{i}" for i in range(3000))


# --- what CQL cannot carry ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pqf", "code", "part"),
    [
        pytest.param("@set foo", 18, "foo", id="result set"),
        pytest.param("@and @attr 1=4 a @set foo", 18, "foo", id="result set inside"),
        pytest.param("@attr 1=9999 x", 114, "1=9999", id="unmapped use"),
        pytest.param("@attr 1=4 @attr 2=7 x", 117, "2=7", id="unmapped relation"),
        pytest.param("@attr 1=4 @attr 3=2 x", 119, "3=2", id="first in subfield"),
        pytest.param("@attr 1=4 @attr 4=3 x", 118, "4=3", id="key structure"),
        pytest.param("@attr 1=4 @attr 5=101 bl#s", 120, "5=101", id="process #"),
        pytest.param('@attr 1=4 @attr 5=104 "ab?3"', 120, "ab?3", id="bounded Z39.58 mask"),
        pytest.param("@attr 1=4 @attr 6=2 x", 122, "6=2", id="complete subfield"),
        pytest.param("@attr 1=4 @attr 7=1 x", 113, "7=1", id="sort attribute"),
        pytest.param("@attr 1=4 @attr 2=1 @attr 4=2 x", 123, "1=4 2=1 4=2", id="combination"),
        pytest.param('@attr 1=4 @attr 4=2 "a b"', 123, "4=2", id="word with a space"),
        pytest.param("@attrset exp1 @attr 1=4 x", 121, "Exp-1", id="attribute set"),
        pytest.param("@attr gils 1=4 x", 121, "GILS", id="attribute set of one attribute"),
        pytest.param("@prox 1 1 0 2 k 2 a b", 110, "exclusion", id="exclusion"),
        pytest.param("@prox 0 1 0 2 p 2 a b", 132, "private", id="private unit"),
        pytest.param("@prox 0 1 0 2 k 12 a b", 132, "12", id="unknown unit"),
        pytest.param("@prox 0 1 0 7 k 2 a b", 131, "7", id="proximity relation"),
        pytest.param("@term oid 1.2.3", 229, "oid", id="OID term"),
    ],
)
def test_what_cql_cannot_carry_is_refused_with_a_bib1_diagnostic(
    pqf: str, code: int, part: str
) -> None:
    error = write_error(pqf)
    assert isinstance(error, QueryError)
    assert error.bib1_code == code
    assert part in str(error)
    assert "column" not in str(error)


def test_a_term_with_two_attributes_of_a_type_is_refused() -> None:
    error = write_error(Query(term("x", (1, 4), (1, 21))))
    assert error.bib1_code == 123
    assert "1=4 and 1=21" in str(error)


def test_a_negative_proximity_distance_is_refused() -> None:
    prox = Proximity(exclusion=False, distance=-1)
    error = write_error(Query(Operator(OperatorKind.PROX, term("a"), term("b"), prox)))
    assert error.bib1_code == 108


def test_a_result_set_is_refused_even_though_cql_can_name_one() -> None:
    # cql.resultSetId would be read back as this node; on another target it means nothing.
    assert write_error(Query(ResultSetId("default"))).addinfo == "default"


# --- other mappings ----------------------------------------------------------------------

WILDCARD = load_cql_mapping(
    """\
set.cql = info:srw/cql-context-set/1/cql-v1.2
set.dc = info:srw/cql-context-set/1/dc-v1.1
set.bath = http://zing.z3950.org/cql/bath/2.0/
set.rec = info:srw/cql-context-set/2/rec-1.1
set = info:srw/cql-context-set/1/dc-v1.1
index.cql.serverChoice = 1=1016
index.bath.title = 1=4
index.dc.title = 1=4
index.rec.* = 1=local-*
index.bath.* = 1=*
relation.eq = 2=3
relation.all = 2=3
structure.all = 4=2
structure.* = 4=1
position.any = 3=3 6=1
position.first = 3=1 6=1
truncation.right = 5=1
truncation.z3958 = 5=104
truncation.none = 5=100
"""
)


def test_indexes_of_the_default_context_set_come_before_earlier_ones() -> None:
    assert written("@attr 1=4 dune", WILDCARD) == "dc.title=dune"


def test_a_wildcard_index_is_named_after_the_attribute_value() -> None:
    assert written("@attr 1=1004 parker", WILDCARD) == "bath.1004=parker"
    assert written("@attr 1=local-id 12", WILDCARD) == "rec.id=12"


def test_a_wildcard_index_takes_a_name_only_where_it_fits() -> None:
    assert write_error('@attr "1=a b" x', WILDCARD).bib1_code == 114


def test_masks_the_mapping_cannot_truncate_with_become_a_z3958_pattern() -> None:
    # No truncation.left here: *une is read as the pattern ?une, the same search.
    assert written("@attr 1=4 @attr 5=2 une", WILDCARD) == "dc.title=*une"
    pattern = cql_to_rpn(parse_cql("dc.title=*une"), WILDCARD).root
    assert isinstance(pattern, Term)
    assert (pattern.term, AttributeElement(5, 104) in pattern.attributes) == ("?une", True)


def test_a_term_without_use_needs_server_choice_in_the_mapping() -> None:
    default = default_cql_mapping()
    properties = {k: v for k, v in default.properties.items() if k != "index.cql.serverchoice"}
    mapping = CqlMapping(default.context_sets, properties)
    assert written("@attr 1=1016 jazz", mapping) == "cql.anywhere=jazz"
    assert write_error("jazz", mapping).bib1_code == 116


def test_a_mapping_without_truncation_refuses_masks() -> None:
    mapping = load_cql_mapping(
        """\
set.dc = info:srw/cql-context-set/1/dc-v1.1
index.dc.title = 1=4
relation.eq = 2=3
structure.* =
position.any =
"""
    )
    assert written("@attr 1=4 jazz", mapping) == "dc.title=jazz"
    assert write_error("@attr 1=4 @attr 5=1 jaz", mapping).bib1_code == 120


# --- round trip --------------------------------------------------------------------------

MAPPING = default_cql_mapping()
_ALIASES = {"eq": "=", "exact": "==", "le": "<=", "ge": ">="}


def _names(category: str) -> list[str]:
    """What the mapping defines in a category, as named in CQL."""
    stem = f"{category.lower()}."
    names = [key[len(stem) :] for key in MAPPING.properties if key.startswith(stem)]
    return [_ALIASES.get(name, name) for name in names if not name.endswith("*")]


INDEXES = _names("index")
RELATIONS = _names("relation")
MODIFIERS = _names("relationModifier")
POSITIONS = _names("position")  # any, first, firstAndLast: ^ at the start, both ends
TRUNCATIONS = _names("truncation")  # right, left, both, z3958
_LITERALS = "aé1 "
_SPECIALS = '"\\*?^#'


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in '"\\*?^' else c for c in text)


@st.composite
def mapped_clauses(draw: st.DrawFn) -> str:
    """A search clause made of the default mapping's entries."""
    index, relation = draw(st.sampled_from(INDEXES)), draw(st.sampled_from(RELATIONS))
    modifiers = draw(st.lists(st.sampled_from(MODIFIERS), max_size=2, unique=True))
    truncation = draw(st.sampled_from([None, *TRUNCATIONS]))
    # A backslash in a masked term would be a bare one in its Z39.58 pattern (as in YAZ),
    # which no CQL gives back.
    specials = _SPECIALS if truncation is None else _SPECIALS.replace("\\", "")
    literal = draw(st.text(_LITERALS + specials, max_size=8))
    text = _escaped(literal)
    if truncation in ("left", "both"):
        text = "*" + text
    if truncation in ("right", "both"):
        text += "*"
    if truncation == "z3958":
        at = draw(st.integers(0, len(literal)))
        mask = draw(st.sampled_from("*?"))
        text = _escaped(literal[:at]) + mask + _escaped(literal[at:])
    position = draw(st.sampled_from(POSITIONS))
    text = "^" * (position != "any") + text + "^" * (position == "firstAndLast")
    return f'{index} {relation}{"".join("/" + m for m in modifiers)} "{text}"'


@st.composite
def perturbed(draw: st.DrawFn, node: Node) -> Node:
    """``node`` with its terms' attributes shuffled, neutral ones added or dropped, structure
    left to the target, and cql.serverChoice's use attribute (1=1016) too."""
    if isinstance(node, Operator):
        return dataclasses.replace(
            node, left=draw(perturbed(node.left)), right=draw(perturbed(node.right))
        )
    if not isinstance(node, Term):
        return node
    attributes = list(node.attributes)
    present = {a.type for a in attributes}
    if draw(st.booleans()):
        attributes = [a for a in attributes if (a.type, a.value) not in NEUTRAL]
    if draw(st.booleans()):
        attributes += [AttributeElement(t, v) for t, v in NEUTRAL if t not in present]
    for left_open in (AttributeElement(USE, 1016), STRUCTURE):
        if draw(st.booleans()):
            attributes = [a for a in attributes if left_open not in (a, a.type)]
    return dataclasses.replace(node, attributes=tuple(draw(st.permutations(attributes))))


@st.composite
def mapped_nodes(draw: st.DrawFn) -> Node:
    """What cql_to_rpn makes of a clause of the mapping's entries: a term, or the terms of
    ``all`` and ``any``."""
    try:
        return cql_to_rpn(parse_cql(draw(mapped_clauses()))).root
    except CqlError:
        assume(False)
        raise


PROXIMITIES = st.builds(
    Proximity,
    exclusion=st.sampled_from([None, False]),
    distance=st.integers(0, 20),
    ordered=st.booleans(),
    relation=st.integers(1, 6),
    unit=st.integers(1, 11),
)


@given(rpn_trees(mapped_nodes().flatmap(perturbed), PROXIMITIES, max_leaves=6))
def test_written_cql_reads_back_as_the_same_search(root: Node) -> None:
    cql = rpn_to_cql(Query(root))
    read_back = cql_to_rpn(parse_cql(cql)).root
    assert same_search(root, read_back), f"{cql} reads back as {read_back}"


@given(mapped_nodes())
def test_what_the_mapping_makes_of_cql_is_written_as_cql_it_makes_again(root: Node) -> None:
    # Terms as cql_to_rpn sends them: every attribute the clause gives, in its order.
    cql = rpn_to_cql(Query(root))
    assert same_search(root, cql_to_rpn(parse_cql(cql)).root), cql
