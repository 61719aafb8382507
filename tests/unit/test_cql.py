"""CQL 1.2 parsed into CQL nodes, and mapped to the RPN tree as YAZ maps it.

Expected RPN trees are what YAZ 5 sends for the same query and mapping file (attributes in the
order YAZ puts them on the wire); tests/interop/test_cql_yaz.py asks YAZ itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.query import (
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    QueryError,
    ResultSetId,
    Term,
    parse_pqf,
    to_pqf,
)
from shelfnet.query.cql import (
    CQL_CONTEXT_SET,
    SORT_CONTEXT_SET,
    BooleanClause,
    BooleanOperator,
    CqlDiagnostic,
    CqlError,
    CqlMapping,
    CqlMappingError,
    CqlNode,
    CqlSortKey,
    Modifier,
    Relation,
    SearchClause,
    SortedQuery,
    SortSpec,
    cql_sort_keys,
    cql_to_rpn,
    default_cql_mapping,
    load_cql_mapping,
    parse_cql,
)

DC = "info:srw/cql-context-set/1/dc-v1.1"
BATH = "http://zing.z3950.org/cql/bath/2.0/"
EXP1 = "1.2.840.10003.3.2"

# A small mapping in the style of YAZ's pqf.properties: every category, short attributes.
PROFILE = load_cql_mapping(
    """\
set.cql = info:srw/cql-context-set/1/cql-v1.2
set.dc = info:srw/cql-context-set/1/dc-v1.1
set = info:srw/cql-context-set/1/dc-v1.1
index.cql.serverChoice = 1=1016
index.dc.title = 1=4
index.dc.* = 1=*
relation.eq = 2=3
relation.exact = 2=3
relation.< = 2=1
relation.le = 2=2
relation.all = 2=3
relation.any = 2=3
structure.all = 4=2
structure.any = 4=2
structure.* = 4=1
position.any = 3=3 6=1
position.first = 3=1 6=1
position.last = 3=4 6=1
position.firstAndLast = 3=3 6=3
truncation.right = 5=1
truncation.z3958 = 5=104
truncation.none = 5=100
relationModifier.relevant = 2=102
relationModifier.stem = 2=101
relationModifier.regexp = 5=102
relationModifier.masked =
always = 6=1
"""
)

Pair = tuple[int, int | str]
# What PROFILE adds to every unmasked, unanchored term, in YAZ's order; and to a pattern.
PLAIN: tuple[Pair, ...] = ((5, 100), (6, 1), (3, 3), (4, 1), (2, 3))
Z3958: tuple[Pair, ...] = ((1, 4), (5, 104), *PLAIN[1:])


def term(text: str, *attributes: Pair) -> Term:
    return Term(text, tuple(AttributeElement(t, v) for t, v in attributes))


def title(text: str, *attributes: Pair) -> Term:
    """A dc.title term under PROFILE: ``attributes`` as sent, by default those of ``=``."""
    return term(text, *(attributes or ((1, 4), *PLAIN)))


def rpn(text: str, mapping: CqlMapping = PROFILE) -> Node:
    return cql_to_rpn(parse_cql(text), mapping).root


def rpn_default(text: str) -> Node:
    return cql_to_rpn(parse_cql(text)).root


def clause(
    index: str, relation: str | Relation, term_text: str, context_set: str | None = None
) -> SearchClause:
    if isinstance(relation, str):
        relation = Relation(relation)
    return SearchClause(index, relation, term_text, context_set)


def bare(term_text: str) -> SearchClause:
    return clause("cql.serverChoice", "=", term_text)


def syntax_error_of(text: str) -> CqlError:
    with pytest.raises(CqlError) as raised:
        parse_cql(text)
    return raised.value


def mapping_error_of(text: str, mapping: CqlMapping = PROFILE) -> CqlError:
    node = parse_cql(text)
    with pytest.raises(CqlError) as raised:
        cql_to_rpn(node, mapping)
    return raised.value


# --- search clauses --------------------------------------------------------------------


def test_a_bare_term_searches_server_choice_with_equals() -> None:
    assert parse_cql("dune") == bare("dune")


def test_a_search_clause_is_index_relation_term() -> None:
    assert parse_cql("dc.title = dune") == clause("dc.title", "=", "dune")
    assert parse_cql("dc.title=dune") == clause("dc.title", "=", "dune")


@pytest.mark.parametrize("symbol", ["=", "==", "<>", "<", ">", "<=", ">="])
def test_every_comparison_symbol_is_a_relation(symbol: str) -> None:
    assert parse_cql(f"dc.date{symbol}1990") == clause("dc.date", symbol, "1990")


@pytest.mark.parametrize("name", ["adj", "all", "any", "within", "encloses", "cql.adj", "ANY"])
def test_a_name_between_index_and_term_is_a_named_relation(name: str) -> None:
    assert parse_cql(f'dc.title {name} "a b"') == clause("dc.title", name, "a b")


def test_quoted_terms_keep_their_backslashes_and_may_hold_anything() -> None:
    assert parse_cql(r'dc.title = "a \"b\" (c) = d/e"') == clause(
        "dc.title", "=", r"a \"b\" (c) = d/e"
    )
    assert parse_cql(r"a\(b\ c") == bare(r"a\(b\ c")
    assert parse_cql('""') == bare("")


def test_an_index_may_be_quoted() -> None:
    assert parse_cql('"dc.title" = dune') == clause("dc.title", "=", "dune")


def test_keywords_are_ordinary_words_where_a_term_is_due() -> None:
    assert parse_cql("dc.title = and") == clause("dc.title", "=", "and")
    assert parse_cql("sortby") == bare("sortby")
    assert parse_cql('"or" and "not"') == BooleanClause(
        BooleanOperator.AND, bare("or"), bare("not")
    )


def test_relation_modifiers_take_an_optional_comparison_and_value() -> None:
    assert parse_cql("dc.title any/relevant/cql.stem/locale=fr dune") == clause(
        "dc.title",
        Relation(
            "any",
            (Modifier("relevant"), Modifier("cql.stem"), Modifier("locale", "=", "fr")),
        ),
        "dune",
    )


# --- booleans and parentheses ----------------------------------------------------------


def test_booleans_join_left_to_right_without_precedence() -> None:
    a, b, c = bare("a"), bare("b"), bare("c")
    assert parse_cql("a or b and c") == BooleanClause(
        BooleanOperator.AND, BooleanClause(BooleanOperator.OR, a, b), c
    )
    assert parse_cql("a or (b and c)") == BooleanClause(
        BooleanOperator.OR, a, BooleanClause(BooleanOperator.AND, b, c)
    )


@pytest.mark.parametrize(
    ("word", "operator"),
    [
        ("and", BooleanOperator.AND),
        ("OR", BooleanOperator.OR),
        ("Not", BooleanOperator.NOT),
        ("PROX", BooleanOperator.PROX),
    ],
)
def test_boolean_keywords_are_case_insensitive(word: str, operator: BooleanOperator) -> None:
    assert parse_cql(f"a {word} b") == BooleanClause(operator, bare("a"), bare("b"))


def test_booleans_take_modifiers() -> None:
    assert parse_cql("a prox/unit=word/distance<=3/ordered b") == BooleanClause(
        BooleanOperator.PROX,
        bare("a"),
        bare("b"),
        (Modifier("unit", "=", "word"), Modifier("distance", "<=", "3"), Modifier("ordered")),
    )


# --- prefix assignments ----------------------------------------------------------------


def test_a_prefix_assignment_gives_the_prefix_a_context_set() -> None:
    assert parse_cql(f'> x = "{DC}" x.title = dune') == clause(
        "x.title", "=", "dune", context_set=DC
    )


def test_an_assignment_without_a_prefix_names_the_default_context_set() -> None:
    assert parse_cql(f'> "{BATH}" isbn = 1 and dc.title = x') == BooleanClause(
        BooleanOperator.AND,
        clause("isbn", "=", "1", context_set=BATH),
        clause("dc.title", "=", "x"),
    )


def test_an_assignment_inside_parentheses_ends_with_them() -> None:
    assert parse_cql(f'(> x = "{DC}" x.title = a) and x.title = b') == BooleanClause(
        BooleanOperator.AND,
        clause("x.title", "=", "a", context_set=DC),
        clause("x.title", "=", "b"),
    )


def test_an_inner_assignment_overrides_an_outer_one() -> None:
    node = parse_cql(f'> x = "{DC}" (> X = "{BATH}" x.isbn = 1)')
    assert node == clause("x.isbn", "=", "1", context_set=BATH)


def test_relation_and_modifier_prefixes_are_resolved_too() -> None:
    node = parse_cql(f'> c = "{CQL_CONTEXT_SET}" dc.title c.adj/c.relevant dune')
    assert node == clause(
        "dc.title",
        Relation("c.adj", (Modifier("c.relevant", context_set=CQL_CONTEXT_SET),), CQL_CONTEXT_SET),
        "dune",
    )


# --- sortBy ----------------------------------------------------------------------------


def test_sortby_ends_a_query_with_keys_and_their_modifiers() -> None:
    assert parse_cql("dune SORTBY dc.date/sort.descending dc.title") == SortedQuery(
        bare("dune"),
        (SortSpec("dc.date", (Modifier("sort.descending"),)), SortSpec("dc.title")),
    )


def test_sort_keys_give_direction_case_and_missing_value_handling() -> None:
    node = parse_cql(
        "dune sortBy dc.date/sort.descending/sort.respectCase "
        "dc.title/ignoreCase/missingLow bath.name/sort.missingValue=zzz"
    )
    assert cql_sort_keys(node) == (
        CqlSortKey("dc.date", ascending=False, case_sensitive=True),
        CqlSortKey("dc.title", case_sensitive=False, missing="low"),
        CqlSortKey("bath.name", missing="value", missing_value="zzz"),
    )


def test_sort_keys_see_the_query_prefix_assignments() -> None:
    node = parse_cql(f'> s = "{SORT_CONTEXT_SET}" > "{DC}" a sortby title/s.descending')
    assert cql_sort_keys(node) == (CqlSortKey("title", DC, ascending=False),)


def test_a_query_without_sortby_has_no_sort_keys() -> None:
    assert cql_sort_keys(parse_cql("dune")) == ()


@pytest.mark.parametrize(
    "text", ["a sortby x/sort.locale=fr", "a sortby x/ascending=1", "a sortby x/dc.descending"]
)
def test_unknown_sort_modifiers_are_sru_80(text: str) -> None:
    with pytest.raises(CqlError) as raised:
        cql_sort_keys(parse_cql(text))
    assert raised.value.sru_code == CqlDiagnostic.SORT_NOT_SUPPORTED
    assert raised.value.column == text.index("/") + 2


def test_sortby_is_left_out_of_the_rpn_query() -> None:
    assert rpn("dc.title = x sortby dc.date") == rpn("dc.title = x")


# --- syntax errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ("", CqlDiagnostic.QUERY_SYNTAX_ERROR, 1),
        ("dc.title =", CqlDiagnostic.QUERY_SYNTAX_ERROR, 11),
        ("dc.title = )", CqlDiagnostic.QUERY_SYNTAX_ERROR, 12),
        ("a and", CqlDiagnostic.QUERY_SYNTAX_ERROR, 6),
        ("a b", CqlDiagnostic.QUERY_SYNTAX_ERROR, 3),
        ('a "b"', CqlDiagnostic.QUERY_SYNTAX_ERROR, 3),
        ("a sortby", CqlDiagnostic.QUERY_SYNTAX_ERROR, 9),
        ("a sortby b = c", CqlDiagnostic.QUERY_SYNTAX_ERROR, 12),
        ("(a sortby b)", CqlDiagnostic.INVALID_PARENTHESES, 4),
        ("dc.title =/ x", CqlDiagnostic.QUERY_SYNTAX_ERROR, 14),
        ("dc.title =/locale= x", CqlDiagnostic.QUERY_SYNTAX_ERROR, 21),
        ("a and > dc = x b", CqlDiagnostic.QUERY_SYNTAX_ERROR, 7),
        ("> dc =", CqlDiagnostic.QUERY_SYNTAX_ERROR, 7),
        ("()", CqlDiagnostic.QUERY_SYNTAX_ERROR, 2),
        ("(a", CqlDiagnostic.INVALID_PARENTHESES, 3),
        ("(a))", CqlDiagnostic.INVALID_PARENTHESES, 4),
        ('dc.title = "dune', CqlDiagnostic.INVALID_QUOTES, 12),
        ('"a\\"', CqlDiagnostic.INVALID_QUOTES, 1),
    ],
)
def test_syntax_errors_carry_sru_code_and_column(
    text: str, code: CqlDiagnostic, column: int
) -> None:
    error = syntax_error_of(text)
    assert (error.sru_code, error.column, error.query) == (code, column, text)
    assert isinstance(error, QueryError)


def test_error_messages_name_what_was_expected() -> None:
    assert syntax_error_of("dc.title =").message == "search term expected at end of query"
    assert str(syntax_error_of("a b")) == "boolean operator expected, not 'b' (column 3)"


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert parse_cql("(" * 64 + "a" + ")" * 64) == bare("a")
    error = syntax_error_of("(" * 65 + "a" + ")" * 65)
    assert (error.sru_code, error.column) == (CqlDiagnostic.INVALID_PARENTHESES, 65)


def test_too_many_booleans_are_sru_38() -> None:
    assert isinstance(parse_cql(" or ".join(["a"] * 257)), BooleanClause)
    error = syntax_error_of(" or ".join(["a"] * 258))
    assert (error.sru_code, error.column) == (CqlDiagnostic.TOO_MANY_BOOLEAN_OPERATORS, 1283)


# --- mapping files ---------------------------------------------------------------------


def test_a_mapping_file_has_context_sets_and_attribute_lists() -> None:
    mapping = load_cql_mapping(
        "# heading\nset.dc = info:x\r\nset = info:x\nindex.dc.title = 1=4 exp1 4=1 # title\n"
        "index.dc.path = 1=/my/title\nposition.any =\n"
    )
    assert mapping.context_sets == {"dc": "info:x", "": "info:x"}
    assert mapping.properties == {
        "index.dc.title": (AttributeElement(1, 4), AttributeElement(4, 1, EXP1)),
        "index.dc.path": (AttributeElement(1, "/my/title"),),
        "position.any": (),
    }


def test_keys_are_case_insensitive_and_the_first_definition_wins() -> None:
    mapping = load_cql_mapping("Index.DC.Title = 1=4\nindex.dc.title = 1=5")
    assert mapping.lookup("index", "TITLE", "dc") == (AttributeElement(1, 4),)


def test_lookups_fall_back_to_relation_aliases_then_wildcards() -> None:
    mapping = load_cql_mapping("relation.le = 2=2\nrelation.* = 2=3\nindex.x.* = 1=* 2=103")
    assert mapping.lookup("relation", "<=") == (AttributeElement(2, 2),)
    assert mapping.lookup("relation", "adj") == (AttributeElement(2, 3),)
    assert mapping.lookup("index", "4", "x") == (AttributeElement(1, 4), AttributeElement(2, 103))
    assert mapping.lookup("index", "any", "x") == (
        AttributeElement(1, "any"),
        AttributeElement(2, 103),
    )
    assert mapping.lookup("structure", "=") is None


def test_load_cql_mapping_reads_a_path_or_text(tmp_path: Path) -> None:
    path = tmp_path / "my.properties"
    path.write_text("index.dc.title = 1=4\n", encoding="utf-8")
    assert load_cql_mapping(path) == load_cql_mapping(str(path))
    assert load_cql_mapping(path) == load_cql_mapping("index.dc.title = 1=4")


def test_a_mapping_can_override_another() -> None:
    mine = load_cql_mapping("index.dc.title = 1=5\nset.my = info:my", base=default_cql_mapping())
    assert mine.lookup("index", "title", "dc") == (AttributeElement(1, 5),)
    assert mine.lookup("index", "creator", "dc") == (AttributeElement(1, 1003),)
    assert mine.context_set("my") == "info:my"
    assert mine.context_set("dc") == DC


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("index.dc.title 1=4", 1, "key = value expected"),
        ("# c\nindex.dc.title = 1=", 2, "type=value expected"),
        ("index.dc.title = 1", 1, "type=value expected"),
        ("index.dc.title = 1==4", 1, "type=value expected"),
        ("index.dc.title = x=4", 1, "positive integer"),
        ("index.dc.title = 0=4", 1, "positive integer"),
        ("index.dc.title = bogus 1=4", 1, "unknown attribute set"),
        ("index.dc.title = 1=4x", 1, "is not a number"),
        ("set.dc = a b", 1, "one context set URI"),
        ("set.dc = http://x?a=b", 1, "one context set URI"),
    ],
)
def test_mapping_file_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(CqlMappingError) as raised:
        load_cql_mapping(text)
    assert raised.value.line == line
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("index", "use"),
    [
        ("cql.serverChoice", 1016),
        ("cql.anywhere", 1016),
        ("cql.allIndexes", 1016),
        ("cql.keywords", 1016),
        ("dc.title", 4),
        ("dc.creator", 1003),
        ("dc.contributor", 1003),
        ("dc.subject", 21),
        ("dc.publisher", 1018),
        ("dc.date", 31),
        ("dc.identifier", 1007),
        ("dc.description", 62),
        ("dc.language", 54),
        ("dc.type", 1031),
        ("bath.name", 1002),
        ("bath.personalName", 1),
        ("bath.corporateName", 2),
        ("bath.conferenceName", 3),
        ("bath.keyTitle", 33),
        ("bath.uniformTitle", 6),
        ("bath.isbn", 7),
        ("bath.issn", 8),
        ("bath.geographicName", 58),
        ("bath.notes", 63),
        ("bath.topicalSubject", 1079),
        ("bath.genreForm", 1075),
        ("bath.possessingInstitution", 1044),
        ("rec.id", 12),
        ("rec.creationDate", 1011),
        ("rec.lastModificationDate", 1012),
        ("title", 4),
    ],
)
def test_the_default_mapping_covers_the_context_sets(index: str, use: int) -> None:
    node = rpn_default(f"{index} = x")
    assert isinstance(node, Term)
    assert node.attributes[0] == AttributeElement(1, use)


# --- relations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "attributes"),
    [
        ("=", ((4, 1), (2, 3))),
        ("adj", ((4, 1), (2, 3))),
        ("scr", ((4, 1), (2, 3))),
        ("==", ((6, 3), (4, 1), (2, 3))),
        ("<", ((4, 109), (2, 1))),
        ("<=", ((4, 109), (2, 2))),
        (">=", ((4, 109), (2, 4))),
        (">", ((4, 109), (2, 5))),
        ("<>", ((4, 109), (2, 6))),
        ("cql.adj", ((4, 1), (2, 3))),
    ],
)
def test_the_default_mapping_gives_each_relation_its_attributes(
    relation: str, attributes: tuple[Pair, ...]
) -> None:
    assert rpn_default(f"dc.date {relation} 1990") == term("1990", (1, 31), *attributes)


def test_all_ands_and_any_ors_the_words_nested_to_the_right() -> None:
    a, b, c = (term(w, (1, 4), (4, 2), (2, 3)) for w in "abc")
    assert rpn_default('dc.title all " a  b\tc "') == Operator(
        OperatorKind.AND, a, Operator(OperatorKind.AND, b, c)
    )
    assert rpn_default('dc.title ANY "a b"') == Operator(OperatorKind.OR, a, b)


def test_all_or_any_without_words_is_an_empty_term() -> None:
    error = mapping_error_of('dc.title all " "')
    assert (error.sru_code, error.column) == (CqlDiagnostic.EMPTY_TERM_UNSUPPORTED, 14)


def test_a_phrase_stays_one_term() -> None:
    assert rpn_default('dc.title = "dune messiah"') == term("dune messiah", (1, 4), (4, 1), (2, 3))


@pytest.mark.parametrize("relation", ["within", "encloses", "cql.within", "foo.adj", "bogus"])
def test_relations_the_mapping_lacks_are_sru_19(relation: str) -> None:
    error = mapping_error_of(f'dc.title {relation} "a b"', default_cql_mapping())
    assert (error.sru_code, error.column, error.addinfo) == (
        CqlDiagnostic.UNSUPPORTED_RELATION,
        10,
        relation.removeprefix("cql."),
    )


def test_a_relation_without_structure_is_sru_24() -> None:
    mapping = load_cql_mapping("set = info:x\nindex.x.title = 1=4\nrelation.eq = 2=3")
    assert mapping_error_of("title = x", mapping).sru_code == (
        CqlDiagnostic.UNSUPPORTED_RELATION_AND_TERM
    )


# --- the attribute order YAZ sends -----------------------------------------------------


def test_attributes_go_last_gathered_first_and_the_last_of_each_type_wins() -> None:
    # always 6=1, relation 2=3, structure 4=1, position 3=3 6=1, truncation 5=100, index 1=4
    assert rpn("dc.title = dune") == title("dune")
    # ...and the modifier's 2=102 comes last, so it replaces the relation's 2=3.
    assert rpn("dc.title =/relevant dune") == title(
        "dune", (2, 102), (1, 4), (5, 100), (6, 1), (3, 3), (4, 1)
    )


def test_the_first_written_of_two_modifiers_of_one_type_wins() -> None:
    relevant = rpn("dc.title =/relevant/stem dune")
    stem = rpn("dc.title =/stem/relevant dune")
    assert isinstance(relevant, Term)
    assert isinstance(stem, Term)
    assert relevant.attributes[0] == AttributeElement(2, 102)
    assert stem.attributes[0] == AttributeElement(2, 101)


def test_an_attribute_set_in_the_mapping_goes_with_its_attribute() -> None:
    mapping = load_cql_mapping(
        "set.x = info:x\nset = info:x\nindex.x.title = exp1 1=4\nrelation.eq = 2=3\n"
        "structure.* =\nposition.any ="
    )
    assert rpn("title = x", mapping) == Term(
        "x", (AttributeElement(1, 4, EXP1), AttributeElement(2, 3))
    )


# --- masking and anchoring -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dun*", title("dun", (1, 4), (5, 1), (6, 1), (3, 3), (4, 1), (2, 3))),
        ("^dune", title("dune", (1, 4), (5, 100), (6, 1), (3, 1), (4, 1), (2, 3))),
        ("dune^", title("dune", (1, 4), (5, 100), (6, 1), (3, 4), (4, 1), (2, 3))),
        ("^dune^", title("dune", (1, 4), (5, 100), (6, 3), (3, 3), (4, 1), (2, 3))),
        ('"^dune messiah*"', title("dune messiah", (1, 4), (5, 1), (6, 1), (3, 1), (4, 1), (2, 3))),
        ("d*ne", title("d?ne", *Z3958)),
        ("du?e", title("du#e", *Z3958)),
        # No truncation.left in PROFILE: a leading * falls back to Z39.58.
        ("*une", title("?une", *Z3958)),
        # A literal # or escaped ? is escaped in a Z39.58 pattern; ? before a digit too.
        (r"a*#\?", title(r"a?\#\?", *Z3958)),
        ("a*1", title("a?\\1", *Z3958)),
        # Escaped masking and anchoring characters are plain characters.
        (r"d\*ne\?", title("d*ne?")),
        (r"\^dune\*", title("^dune*")),
        (r"a\\*", title("a\\", (1, 4), (5, 1), (6, 1), (3, 3), (4, 1), (2, 3))),
        # ^ in the middle is a plain character; * after ^ is not at the edge.
        ("a^b", title("a^b")),
        ("^*a", title("?a", (1, 4), (5, 104), (6, 1), (3, 1), (4, 1), (2, 3))),
        ('""', title("")),
    ],
)
def test_masking_and_anchoring_become_truncation_and_position(text: str, expected: Node) -> None:
    assert rpn(f"dc.title = {text}") == expected


@pytest.mark.parametrize("modifier", ["regexp", "cql.regexp"])
def test_regexp_sends_the_term_unprocessed(modifier: str) -> None:
    assert rpn(rf'dc.title =/{modifier} "^a\.*b?"') == title(
        "^a.*b?", (5, 102), (1, 4), (4, 1), (2, 3), (6, 1)
    )


def test_a_truncation_cql_mapping_sends_cql_masking_as_it_is() -> None:
    mapping = load_cql_mapping(
        "set.x = info:x\nset = info:x\nindex.x.title = 1=4\nrelation.eq = 2=3\n"
        "structure.* =\nposition.any =\ntruncation.cql = 5=107"
    )
    assert rpn("title = ^d*n?e", mapping) == term("^d*n?e", (1, 4), (5, 107), (2, 3))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a?", CqlDiagnostic.MASKING_CHARACTER_UNSUPPORTED),
        ("a*b", CqlDiagnostic.MASKING_CHARACTER_UNSUPPORTED),
        ("^a", CqlDiagnostic.ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION),
    ],
)
def test_masking_the_mapping_cannot_express_is_refused(text: str, code: CqlDiagnostic) -> None:
    mapping = load_cql_mapping(
        "set.x = info:x\nset = info:x\nindex.x.title = 1=4\nrelation.eq = 2=3\n"
        "structure.* =\nposition.any ="
    )
    error = mapping_error_of(f"title = {text}", mapping)
    assert (error.sru_code, error.column) == (code, 9)


def test_the_default_mapping_refuses_an_anchor_at_the_end_only() -> None:
    error = mapping_error_of("dc.title = dune^", default_cql_mapping())
    assert (error.sru_code, error.addinfo) == (
        CqlDiagnostic.ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION,
        "last",
    )


# --- indexes, context sets and result sets ---------------------------------------------


def test_an_index_without_a_prefix_is_in_the_default_context_set() -> None:
    assert rpn("title = x") == rpn("dc.title = x")


def test_a_query_assigned_uri_is_mapped_by_the_prefix_the_mapping_gives_it() -> None:
    assert rpn_default(f'> b = "{BATH}" b.isbn = 1') == rpn_default("bath.isbn = 1")
    assert rpn_default(f'> "{BATH}" isbn = 1') == rpn_default("bath.isbn = 1")


def test_a_wildcard_index_sends_the_index_name() -> None:
    assert rpn("dc.1004 = x") == title("x", (1, 1004), *PLAIN)


@pytest.mark.parametrize(
    ("text", "code", "column", "addinfo"),
    [
        ("foo.title = x", CqlDiagnostic.UNSUPPORTED_CONTEXT_SET, 1, "foo"),
        ("a and dc.foo = x", CqlDiagnostic.UNSUPPORTED_INDEX, 7, "dc.foo"),
        (f'> dc = "{BATH}" dc.title = x', CqlDiagnostic.UNSUPPORTED_INDEX, 46, "dc.title"),
        ('> x = "info:other" x.title = y', CqlDiagnostic.UNSUPPORTED_INDEX, 20, "x.title"),
        (
            "dc.title =/respectCase x",
            CqlDiagnostic.UNSUPPORTED_RELATION_MODIFIER,
            12,
            "respectCase",
        ),
        ("dc.title =/foo.stem x", CqlDiagnostic.UNSUPPORTED_RELATION_MODIFIER, 12, "foo.stem"),
        ("dc.title =/stem=1 x", CqlDiagnostic.UNSUPPORTED_RELATION_MODIFIER, 12, "stem"),
        # YAZ looks at the relation before the index.
        ("dc.foo within x", CqlDiagnostic.UNSUPPORTED_RELATION, 8, "within"),
    ],
)
def test_what_the_mapping_lacks_is_refused_with_sru_code_and_column(
    text: str, code: CqlDiagnostic, column: int, addinfo: str
) -> None:
    error = mapping_error_of(text, default_cql_mapping())
    assert (error.sru_code, error.column, error.addinfo) == (code, column, addinfo)


def test_unprefixed_indexes_need_a_default_context_set() -> None:
    mapping = load_cql_mapping("set.dc = info:x")
    assert mapping_error_of("title = x", mapping).sru_code == (
        CqlDiagnostic.UNSUPPORTED_CONTEXT_SET
    )


@pytest.mark.parametrize("index", ["cql.resultSetId", "cql.resultSet", "CQL.RESULTSETID"])
def test_result_set_indexes_refer_to_result_sets(index: str) -> None:
    assert rpn_default(f'{index} = "my set"') == ResultSetId("my set")


def test_every_record_is_zebra_s_all_records() -> None:
    assert rpn_default("cql.allRecords = 1") == term("1", (2, 103), (1, "_ALLRECORDS"), (4, 1))


# --- booleans and proximity ------------------------------------------------------------


def test_booleans_become_rpn_operators() -> None:
    a, b = title("a"), title("b")
    assert rpn("dc.title = a and dc.title = b") == Operator(OperatorKind.AND, a, b)
    assert rpn("dc.title = a or dc.title = b") == Operator(OperatorKind.OR, a, b)
    assert rpn("dc.title = a not dc.title = b") == Operator(OperatorKind.AND_NOT, a, b)


@pytest.mark.parametrize(
    ("modifiers", "proximity"),
    [
        ("", Proximity(False, 1, False, 2, 2)),
        ("/unit=sentence", Proximity(False, 0, False, 2, 3)),
        ("/distance<=3/unit=word", Proximity(False, 3, False, 2, 2)),
        ("/distance=0/ordered", Proximity(False, 0, True, 3, 2)),
        ("/distance>2/unit=paragraph", Proximity(False, 2, False, 5, 4)),
        ("/distance<>1", Proximity(False, 1, False, 6, 2)),
        ("/unit=element/distance>=4", Proximity(False, 4, False, 4, 8)),
        ("/unit=chapter/unordered", Proximity(False, 0, False, 2, 6)),
        # Of two that disagree, the first written wins.
        ("/ordered/unordered", Proximity(False, 1, True, 2, 2)),
        ("/cql.unit=byte", Proximity(False, 0, False, 2, 11)),
    ],
)
def test_prox_modifiers_become_proximity_parameters(modifiers: str, proximity: Proximity) -> None:
    node = rpn(f"a prox{modifiers} b")
    assert node == Operator(
        OperatorKind.PROX, term("a", (1, 1016), *PLAIN), term("b", (1, 1016), *PLAIN), proximity
    )


@pytest.mark.parametrize(
    ("text", "code", "addinfo"),
    [
        ("a prox/distance==2 b", CqlDiagnostic.UNSUPPORTED_PROXIMITY_RELATION, "=="),
        ("a prox/distance b", CqlDiagnostic.UNSUPPORTED_PROXIMITY_RELATION, ""),
        ("a prox/distance<two b", CqlDiagnostic.UNSUPPORTED_PROXIMITY_DISTANCE, "two"),
        ("a prox/unit=verse b", CqlDiagnostic.UNSUPPORTED_PROXIMITY_UNIT, "verse"),
        ("a prox/near b", CqlDiagnostic.UNSUPPORTED_BOOLEAN_MODIFIER, "near"),
        ("a and/near b", CqlDiagnostic.UNSUPPORTED_BOOLEAN_MODIFIER, "near"),
    ],
)
def test_boolean_modifiers_the_mapping_cannot_express_are_refused(
    text: str, code: CqlDiagnostic, addinfo: str
) -> None:
    error = mapping_error_of(text)
    assert (error.sru_code, error.addinfo, error.column) == (code, addinfo, text.index("/") + 2)


def test_the_first_error_in_reading_order_is_the_one_raised() -> None:
    error = mapping_error_of("dc.title = a? and/x dc.foo = b")
    assert error.sru_code == CqlDiagnostic.UNSUPPORTED_BOOLEAN_MODIFIER
    error = mapping_error_of("dc.foo = a and dc.title = b^", default_cql_mapping())
    assert error.sru_code == CqlDiagnostic.UNSUPPORTED_INDEX
    error = mapping_error_of("dc.foo = b^", default_cql_mapping())
    assert error.sru_code == CqlDiagnostic.ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION


def test_long_word_lists_are_bounded() -> None:
    words = " ".join(["w"] * 600)
    error = mapping_error_of(f'dc.title any "{words}"')
    assert error.sru_code == CqlDiagnostic.TOO_MANY_BOOLEAN_OPERATORS


def test_hand_built_nodes_map_too() -> None:
    node = BooleanClause(
        BooleanOperator.OR, clause("dc.title", "=", "a"), clause("title", "any", "b c")
    )
    assert cql_to_rpn(node).root == Operator(
        OperatorKind.OR,
        term("a", (1, 4), (4, 1), (2, 3)),
        Operator(
            OperatorKind.OR, term("b", (1, 4), (4, 2), (2, 3)), term("c", (1, 4), (4, 2), (2, 3))
        ),
    )


# --- properties ------------------------------------------------------------------------

CQL_WORDS = [
    *("dc.title", "title", "bath.isbn", "cql.resultSetId", "foo.bar", "sortBy", "SORTBY"),
    *("and", "OR", "not", "prox", "prox/unit=word", "/distance<3", "/relevant", "/"),
    *("=", "==", "<>", "<=", ">", "adj", "all", "any", "within", "(", ")", ">", '> dc = "x"'),
    *("dune", "a*", "^a^", "a?b", '"a b"', '"', "\\", "é", "  ", "1990", '"*^"', "x/y"),
]
CQL_TEXT = st.text() | st.lists(st.sampled_from(CQL_WORDS), max_size=14).map(" ".join)


@given(CQL_TEXT)
def test_any_text_parses_or_raises_cql_error(text: str) -> None:
    try:
        parse_cql(text)
    except CqlError as error:
        assert 1 <= error.column <= len(text) + 1
        assert error.sru_code in set(CqlDiagnostic)


@given(CQL_TEXT)
def test_a_mapped_query_round_trips_through_pqf(text: str) -> None:
    try:
        query = cql_to_rpn(parse_cql(text))
    except CqlError:
        return
    assert parse_pqf(to_pqf(query)) == query


# Valid CQL written out from the node it must parse to.
_Case = tuple[str, CqlNode]
_INDEXES = st.sampled_from(["dc.title", "title", "bath.isbn", "rec.id", "cql.serverChoice"])
_RELATIONS = st.sampled_from(["=", "==", "<>", "<", ">", "<=", ">=", "adj", "ALL", "cql.any"])
_RELATION_MODIFIERS = st.lists(
    st.sampled_from([Modifier("relevant"), Modifier("cql.stem"), Modifier("locale", "=", "fr")]),
    max_size=2,
).map(tuple)
_BARE_WORDS = st.text(
    st.characters(codec="utf-8", exclude_characters='()=<>"/\\ \t\r\n'),
    min_size=1,
).filter(lambda word: word.lower() not in ("and", "or", "not", "prox", "sortby"))
_QUOTED = st.text(st.characters(codec="utf-8", exclude_characters='"\\'))


def _modifiers_text(modifiers: tuple[Modifier, ...]) -> str:
    return "".join(f"/{m.name}{m.comparison or ''}{m.value or ''}" for m in modifiers)


@st.composite
def _search_clauses(draw: st.DrawFn) -> _Case:
    quoted = draw(st.booleans())
    raw = draw(_QUOTED if quoted else _BARE_WORDS)
    written = f'"{raw}"' if quoted else raw
    if draw(st.booleans()):
        return written, bare(raw)
    index, name, modifiers = draw(_INDEXES), draw(_RELATIONS), draw(_RELATION_MODIFIERS)
    text = f"{index} {name}{_modifiers_text(modifiers)} {written}"
    return text, clause(index, Relation(name, modifiers), raw)


def _booleans(operands: st.SearchStrategy[_Case]) -> st.SearchStrategy[_Case]:
    def join(left: _Case, word: str, modifiers: tuple[Modifier, ...], right: _Case) -> _Case:
        text = f"({left[0]}) {word}{_modifiers_text(modifiers)} ({right[0]})"
        return text, BooleanClause(BooleanOperator(word.lower()), left[1], right[1], modifiers)

    prox_modifiers = st.sampled_from([(), (Modifier("unit", "=", "word"),)])
    words = st.sampled_from(["and", "OR", "Not", "prox"])
    return st.builds(join, operands, words, prox_modifiers, operands)


@given(st.recursive(_search_clauses(), _booleans, max_leaves=8), st.booleans())
def test_generated_valid_cql_parses_to_the_query_written(case: _Case, sorted_: bool) -> None:
    text, node = case
    if sorted_ and not isinstance(node, SortedQuery):
        text += " sortBy dc.date/sort.descending"
        node = SortedQuery(node, (SortSpec("dc.date", (Modifier("sort.descending"),)),))
    assert parse_cql(text) == node
