"""CCL as YAZ reads it: qualifier files, and queries turned into the RPN tree.

Expected trees are what YAZ 5 sends for the same query and qualifiers (attributes in the
order YAZ puts them on the wire); tests/interop/test_ccl_yaz.py asks YAZ itself.
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
    load_qualifiers,
    parse_ccl,
    parse_pqf,
    to_pqf,
)
from shelfnet.query.ccl import (
    CclError,
    CclErrorCode,
    Qualifier,
    QualifierAttribute,
    QualifierFileError,
    QualifierMap,
    SpecialValue,
    default_qualifiers,
)

GILS = "1.2.840.10003.3.5"

PROFILE = load_qualifiers(
    """\
# A profile in the style of YAZ's manual, with every pseudo-value somewhere.
term     u=1016 s=al,pw t=l,r
ti       u=4 s=pw t=l,r
au       u=1003 s=pw
ranked   r=102
date     u=30 r=o
yr       u=31 r=r
pd       u=31 r=r,omiteq
kw       u=1016 s=ol
ag       u=4 s=ag
split    u=2 s=sl
reg      u=4 t=x
zz       u=4 t=z
none     u=4 t=n
both     u=4 t=b
geo      gils,u=2008 4=109
path     1=/my/title
any      ti au
"""
)

WORD = (4, 2)
PHRASE = (4, 1)
ANY = (1, 1016)
TITLE = (1, 4)
AUTHOR = (1, 1003)

Pair = tuple[int, int | str]


def term(text: str, *attributes: Pair) -> Term:
    return Term(text, tuple(AttributeElement(t, v) for t, v in attributes))


def ccl(text: str, qualifiers: QualifierMap = PROFILE) -> Node:
    return parse_ccl(text, qualifiers).root


def and_(left: Node, right: Node) -> Operator:
    return Operator(OperatorKind.AND, left, right)


def or_(left: Node, right: Node) -> Operator:
    return Operator(OperatorKind.OR, left, right)


def error_of(text: str, qualifiers: QualifierMap = PROFILE) -> CclError:
    with pytest.raises(CclError) as raised:
        parse_ccl(text, qualifiers)
    return raised.value


# --- qualifier files -------------------------------------------------------------------


def test_a_qualifier_line_gives_its_attributes_in_order() -> None:
    assert PROFILE.lookup("ti") == Qualifier(
        "ti",
        (
            QualifierAttribute(1, 4),
            QualifierAttribute(4, SpecialValue.PHRASE_WORD),
            QualifierAttribute(5, SpecialValue.LEFT),
            QualifierAttribute(5, SpecialValue.RIGHT),
        ),
    )


def test_types_are_letters_or_numbers_and_pseudo_values_any_case() -> None:
    qualifiers = load_qualifiers("x U=4 2=102 S=PW r=O t=R c=3 p=1 1=/a/b")
    assert qualifiers.qualifiers["x"].attributes == (
        QualifierAttribute(1, 4),
        QualifierAttribute(2, 102),
        QualifierAttribute(4, SpecialValue.PHRASE_WORD),
        QualifierAttribute(2, SpecialValue.ORDERED),
        QualifierAttribute(5, SpecialValue.RIGHT),
        QualifierAttribute(6, 3),
        QualifierAttribute(3, 1),
        QualifierAttribute(1, "/a/b"),
    )


def test_pseudo_values_need_a_type_letter() -> None:
    assert load_qualifiers("x 4=pw").qualifiers["x"].attributes == (QualifierAttribute(4, "pw"),)


def test_an_attribute_set_prefix_names_the_set() -> None:
    assert PROFILE.qualifiers["geo"].attributes == (
        QualifierAttribute(1, 2008, GILS),
        QualifierAttribute(4, 109),
    )


def test_comments_blank_lines_and_crlf_are_ignored() -> None:
    qualifiers = load_qualifiers("# heading\r\n\r\nti u=4 # title\r\n  \r\n@case 0 # any case\r\n")
    assert qualifiers == QualifierMap(
        {"ti": Qualifier("ti", (QualifierAttribute(1, 4),))}, {"case": ("0",)}
    )


def test_a_name_with_other_names_is_an_alias_and_aliases_of_aliases_flatten() -> None:
    qualifiers = load_qualifiers("ti u=4\nau u=1003\nany ti au\nall any ti")
    assert qualifiers.qualifiers["any"].members == ("ti", "au")
    assert qualifiers.qualifiers["all"].members == ("ti", "au", "ti")
    assert [qualifiers.lookup("any", seq) for seq in range(3)] == [
        qualifiers.qualifiers["ti"],
        qualifiers.qualifiers["au"],
        None,
    ]


def test_a_repeated_qualifier_line_adds_attributes() -> None:
    qualifiers = load_qualifiers("ti u=4\nti s=pw")
    assert qualifiers.qualifiers["ti"].attributes == (
        QualifierAttribute(1, 4),
        QualifierAttribute(4, SpecialValue.PHRASE_WORD),
    )


def test_directives_take_words_and_quoted_strings() -> None:
    qualifiers = load_qualifiers('@and og "and also"\n@mask ""\n@truncation')
    assert qualifiers.directives == {"and": ("og", "and also"), "mask": ("",), "truncation": ()}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ti u=", 1, "attribute value expected"),
        ("# c\nti x=4", 2, "bad attribute type"),
        ("ti 0=4", 1, "bad attribute type"),
        ("ti bogus,u=4", 1, "unknown attribute set"),
        ("ti u=4x", 1, "is not a number"),
        ("ti u=4 other", 1, "type=value expected"),
        ("any ti", 1, "undefined qualifier"),
        ("ti u=4\nany ti u=4", 2, "qualifier names only"),
        ("ti u=4\nany ti\nany ti", 3, "already defined"),
        ("ti u=4\nany ti\nany u=4", 3, "is an alias"),
    ],
)
def test_qualifier_file_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(QualifierFileError) as raised:
        load_qualifiers(text)
    assert raised.value.line == line
    assert message in raised.value.message


def test_load_qualifiers_reads_a_path_or_text(tmp_path: Path) -> None:
    path = tmp_path / "my.qual"
    path.write_text("ti u=4\n", encoding="utf-8")
    assert load_qualifiers(path) == load_qualifiers(str(path)) == load_qualifiers("ti u=4")


@pytest.mark.parametrize(
    ("name", "use"),
    [
        ("term", 1016),
        ("any", 1016),
        ("kw", 1016),
        ("ti", 4),
        ("au", 1003),
        ("su", 21),
        ("isbn", 7),
        ("issn", 8),
        ("lccn", 9),
        ("pb", 1018),
        ("yr", 31),
        ("date", 30),
        ("loc", 16),
        ("callnumber", 16),
        ("dewey", 13),
        ("cn", 12),
        ("note", 63),
        ("series", 5),
        ("corp", 1005),
        ("pers", 1),
    ],
)
def test_the_default_qualifiers_cover_the_common_access_points(name: str, use: int) -> None:
    qualifier = default_qualifiers().lookup(name)
    assert qualifier is not None
    assert QualifierAttribute(1, use) in qualifier.attributes


# --- words and terms -------------------------------------------------------------------


def test_words_without_a_qualifier_get_the_term_qualifier() -> None:
    assert ccl("dylan") == term("dylan", ANY, WORD)


def test_and_list_makes_each_word_a_term_but_keeps_a_quoted_phrase() -> None:
    assert ccl('bob "slow train"') == and_(term("bob", ANY, WORD), term("slow train", ANY, PHRASE))


def test_phrase_word_makes_several_words_one_phrase_keeping_their_spacing() -> None:
    assert ccl("ti=self  portrait") == term("self  portrait", TITLE, PHRASE)
    assert ccl("au=dylan") == term("dylan", AUTHOR, WORD)


def test_or_list_ors_the_words() -> None:
    assert ccl("kw=a b c") == or_(or_(term("a", ANY), term("b", ANY)), term("c", ANY))


def test_auto_group_groups_plain_words_apart_from_quoted_phrases() -> None:
    assert ccl('ag=a b "c d" e') == and_(
        and_(term("a b", TITLE, WORD), term("c d", TITLE, PHRASE)), term("e", TITLE, WORD)
    )


def test_split_list_ors_every_way_to_cut_the_words_into_phrases() -> None:
    a, b, ab = term("a", (1, 2)), term("b", (1, 2)), term("a b", (1, 2))
    assert ccl("split=a b") == or_(and_(a, b), ab)


def test_a_qualifier_applies_to_its_own_words_only() -> None:
    assert ccl("ti=a and b") == and_(term("a", TITLE, WORD), term("b", ANY, WORD))


def test_a_qualifier_applies_to_a_parenthesised_query() -> None:
    assert ccl("au=(bob dylan and slow train coming)") == and_(
        term("bob dylan", AUTHOR, PHRASE), term("slow train coming", AUTHOR, PHRASE)
    )


def test_words_after_a_parenthesised_group_are_joined_by_adjacency() -> None:
    assert ccl("ti=(a) b") == Operator(
        OperatorKind.PROX,
        term("a", TITLE, WORD),
        term("b", TITLE, WORD),
        Proximity(exclusion=False, distance=2, ordered=False, relation=1, unit=2),
    )


def test_string_and_set_qualified_attributes_are_sent_as_given() -> None:
    assert ccl("path=x") == term("x", (1, "/my/title"))
    assert ccl("geo=12") == Term("12", (AttributeElement(1, 2008, GILS), AttributeElement(4, 109)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"and"', "and"),
        (r"a\ b", "a b"),
        ('x"y z"w', "xy zw"),
        (r"a\"b", 'a"b'),
        ('""', ""),
    ],
)
def test_quotes_and_backslashes_protect_characters(text: str, expected: str) -> None:
    node = ccl(text)
    assert isinstance(node, Term)
    assert node.term == expected


# --- qualifier lists and aliases -------------------------------------------------------


def test_a_qualifier_list_merges_attributes_taking_uses_from_the_first() -> None:
    # YAZ's manual: "ti,ranked=knuth computer" sets relation=ranked, use=title,
    # structure=phrase.
    assert ccl("ti,ranked=knuth computer") == term("knuth computer", TITLE, (2, 102), PHRASE)
    assert ccl("ti,au=x") == term("x", TITLE, WORD)


def test_an_alias_searches_each_of_its_qualifiers() -> None:
    assert ccl("any=x") == or_(term("x", TITLE, WORD), term("x", AUTHOR, WORD))


def test_field_or_searches_each_listed_qualifier_on_its_own() -> None:
    qualifiers = load_qualifiers("ti u=4\nau u=1003\n@field or")
    assert ccl("ti,au=x", qualifiers) == or_(term("x", TITLE), term("x", AUTHOR))


# --- operators -------------------------------------------------------------------------


def test_booleans_apply_left_to_right_without_precedence() -> None:
    a, b, c = (term(x, ANY, WORD) for x in "abc")
    assert ccl("a or b and c") == and_(or_(a, b), c)
    assert ccl("a or (b and c)") == or_(a, and_(b, c))
    assert ccl("a not b") == ccl("a andnot b") == Operator(OperatorKind.AND_NOT, a, b)


@pytest.mark.parametrize(
    ("text", "distance", "ordered"),
    [("a % b", 1, False), ("a%3b", 3, False), ("a ! b", 1, True), ("a !2 b", 2, True)],
)
def test_percent_and_bang_are_unordered_and_ordered_proximity(
    text: str, distance: int, ordered: bool
) -> None:
    assert ccl(text) == Operator(
        OperatorKind.PROX,
        term("a", ANY, WORD),
        term("b", ANY, WORD),
        Proximity(exclusion=False, distance=distance, ordered=ordered, relation=2, unit=2),
    )


def test_set_refers_to_a_result_set() -> None:
    assert ccl("set=1 and dylan") == and_(ResultSetId("1"), term("dylan", ANY, WORD))


def test_operator_words_are_case_sensitive_unless_case_0() -> None:
    assert ccl("ti=a AND b") == term("a AND b", TITLE, PHRASE)
    relaxed = load_qualifiers("ti u=4\n@case 0")
    assert ccl("TI=a AND ti=b", relaxed) == and_(term("a", TITLE), term("b", TITLE))


def test_operator_words_can_be_redefined() -> None:
    qualifiers = load_qualifiers("term u=1016\n@and og\n@or eller\n@not ikke\n@set saet")
    a, b, c = (term(x, ANY) for x in "abc")
    assert ccl("a og b eller c", qualifiers) == or_(and_(a, b), c)
    assert ccl("saet=x ikke a", qualifiers) == Operator(OperatorKind.AND_NOT, ResultSetId("x"), a)
    assert ccl("a and b", qualifiers) == term("a and b", ANY)


# --- relations and ranges --------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "relation"), [("<", 1), ("<=", 2), ("=", 3), (">=", 4), (">", 5), ("<>", 6)]
)
def test_ordered_qualifiers_take_relations(operator: str, relation: int) -> None:
    assert ccl(f"date{operator}1980") == term("1980", (1, 30), (2, relation))


def test_relations_need_an_ordered_qualifier() -> None:
    assert error_of("ti>1980").code is CclErrorCode.EQ_EXPECTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date=1980 - 1990", and_(term("1980", (1, 30), (2, 4)), term("1990", (1, 30), (2, 2)))),
        ("date=1980-1990", term("1980-1990", (1, 30), (2, 3))),
        ("date=-1980", term("-1980", (1, 30), (2, 3))),
        ("date=- 1980", term("1980", (1, 30), (2, 2))),
        ("yr=1980-1990", and_(term("1980", (1, 31), (2, 4)), term("1990", (1, 31), (2, 2)))),
        ("yr=-1990", term("1990", (1, 31), (2, 2))),
        ("yr=1980-", term("1980", (1, 31), (2, 4))),
        ("yr=1980", term("1980", (1, 31), (2, 3))),
        ("pd=1980", term("1980", (1, 31))),
    ],
)
def test_ranges_need_spaces_with_r_o_but_not_with_r_r(text: str, expected: Node) -> None:
    assert ccl(text) == expected


# --- truncation and masking ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ti=comput?", term("comput", TITLE, WORD, (5, 1))),
        ("ti=?puter", term("puter", TITLE, WORD, (5, 2))),
        ("both=?put?", term("put", TITLE, (5, 3))),
        ("none=x", term("x", TITLE, (5, 100))),
        ('ti="what?"', term("what?", TITLE, WORD)),
        (r"ti=what\?", term("what?", TITLE, WORD)),
        ("zz=a?b#c", term("a?b#c", TITLE, (5, 104))),
        ("reg=a?b#c.d", term(r"a.*b.c\.d", TITLE, (5, 102))),
    ],
)
def test_question_mark_truncates_and_hash_masks_as_the_qualifier_allows(
    text: str, expected: Node
) -> None:
    assert ccl(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ti=?put?", CclErrorCode.TRUNC_NOT_BOTH),
        ("au=dyl?", CclErrorCode.TRUNC_NOT_RIGHT),
        ("au=?lan", CclErrorCode.TRUNC_NOT_LEFT),
        ("ti=co?puter", CclErrorCode.TRUNC_NOT_EMBED),
        ("ti=a? b", CclErrorCode.TRUNC_NOT_EMBED),
        ("ti=a#b", CclErrorCode.TRUNC_NOT_SINGLE),
    ],
)
def test_truncation_the_qualifier_does_not_allow_is_an_error(text: str, code: CclErrorCode) -> None:
    assert error_of(text).code is code


def test_truncation_and_mask_characters_can_be_redefined() -> None:
    qualifiers = load_qualifiers("term u=1016 t=r\n@truncation *\n@mask")
    assert ccl("comput*", qualifiers) == term("comput", ANY, (5, 1))
    assert ccl("a?#", qualifiers) == term("a?#", ANY)


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ("", CclErrorCode.TERM_EXPECTED, 1),
        ("ti=", CclErrorCode.TERM_EXPECTED, 4),
        ("a and", CclErrorCode.TERM_EXPECTED, 6),
        ("(a", CclErrorCode.RP_EXPECTED, 3),
        ("a)", CclErrorCode.BAD_RP, 2),
        ("(a)(b)", CclErrorCode.OP_EXPECTED, 4),
        ("set=", CclErrorCode.SETNAME_EXPECTED, 5),
        ("ti=a and foo=bar", CclErrorCode.UNKNOWN_QUAL, 10),
        ("ti,foo=bar", CclErrorCode.UNKNOWN_QUAL, 4),
        ("TI=dune", CclErrorCode.UNKNOWN_QUAL, 1),
        ("date=>1980", CclErrorCode.BAD_RELATION, 5),
        ("date==1980", CclErrorCode.BAD_RELATION, 5),
        ("x and ti=co?puter", CclErrorCode.TRUNC_NOT_EMBED, 10),
    ],
)
def test_errors_carry_yaz_code_and_message_and_the_column(
    text: str, code: CclErrorCode, column: int
) -> None:
    error = error_of(text)
    assert (error.code, error.column, error.query) == (code, column, text)
    assert isinstance(error, QueryError)


def test_yaz_messages_are_kept() -> None:
    assert error_of("foo=bar").message == "Unknown qualifier"
    assert str(error_of("ti=?put?")) == "Both left - and right truncation not supported (column 4)"


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert parse_ccl("(" * 64 + "a" + ")" * 64, PROFILE).root == term("a", ANY, WORD)
    assert error_of("(" * 65 + "a" + ")" * 65).code is CclErrorCode.NESTED_TOO_DEEP


# --- the default qualifiers ------------------------------------------------------------


def test_parse_ccl_uses_the_default_qualifiers_when_given_none() -> None:
    assert parse_ccl("ti=dune and au=herbert") == parse_ccl("TI=dune AND AU=herbert")
    assert parse_ccl("ti=dune").root == term("dune", TITLE, WORD)
    assert parse_ccl("harry potter").root == and_(
        term("harry", ANY, WORD), term("potter", ANY, WORD)
    )


def test_default_years_take_ranges_without_spaces() -> None:
    assert parse_ccl("yr=1965-1970").root == and_(
        term("1965", (1, 31), (4, 109), (2, 4)), term("1970", (1, 31), (4, 109), (2, 2))
    )


# --- properties ------------------------------------------------------------------------

QUALIFIER_WORDS = ["ti", "au", "yr", "date", "any", "kw", "ag", "split", "reg", "zz", "none"]
OPERATOR_WORDS = ["and", "or", "not", "AND", "set", "(", ")", ",", "%", "!2", "=", ">", "<=", "<>"]
TERM_WORDS = ["-", "1990", "1990-2000", "-5", "?", "#", '"', '"a b"', "\\", "a?", "?a", "é", "  "]
CCL_WORDS = st.sampled_from([*QUALIFIER_WORDS, *OPERATOR_WORDS, *TERM_WORDS])
CCL_TEXT = st.text() | st.lists(CCL_WORDS, max_size=14).map(" ".join)


@given(CCL_TEXT, st.sampled_from([PROFILE, default_qualifiers()]))
def test_any_text_parses_or_raises_query_error(text: str, qualifiers: QualifierMap) -> None:
    try:
        parse_ccl(text, qualifiers)
    except QueryError as error:
        assert 1 <= error.column <= len(text) + 1


@given(CCL_TEXT)
def test_a_query_from_the_default_qualifiers_round_trips_through_pqf(text: str) -> None:
    try:
        query = parse_ccl(text)
    except QueryError:
        return
    assert parse_pqf(to_pqf(query)) == query
