"""CCL (ISO 8777) as YAZ reads it, turned into the RPN tree, and YAZ's CCL qualifier files.

YAZ's CCL parser is the reference: the same query and qualifier file give the same type-1
query YAZ sends (tests/interop/test_ccl_yaz.py checks this against yaz-client).  Its rules, in
brief:

* ``ti=self portrait`` gives one term; words after a qualifier run together up to the next
  operator, keeping the spacing between them.  How many terms they make depends on the
  qualifier's structure pseudo-values: ``s=pw`` one term, a word (4=2) or phrase (4=1);
  ``s=al`` / ``s=ol`` one term per word, ANDed / ORed; ``s=ag`` word groups apart from
  quoted phrases; ``s=sl`` every split into phrases of up to three words, ORed.
* ``"..."`` quotes a phrase or an operator word; a backslash escapes the next character.
* ``?`` truncates (left, right or both as ``t=l``/``t=r``/``t=b`` allow), ``#`` masks one
  character; ``t=z`` sends both as Z39.58 (5=104), ``t=x`` as a regular expression (5=102).
* ``<  <=  >  >=  <>  =`` need ``r=o`` or ``r=r``; ``x - y`` (``r=o``) or ``x-y`` (``r=r``) is
  a range.  ``r=omiteq`` leaves out the relation for ``=``.
* ``and or not`` (left to right, no precedence), ``%``/``!`` proximity (unordered/ordered,
  optional distance), ``set=name``, parentheses, qualifier lists ``ti,au=``.
* A term carries one attribute per type, the first its qualifiers give: YAZ passes its CCL
  result through its PQF parser, which drops the others.
* A qualifier file line is ``name [set,]type=value[,value]...`` (types ``u r p s t c`` or a
  number), ``name other-name...`` (an alias: any of them), or ``@directive value...``
  (``@case``, ``@field``, ``@truncation``, ``@mask``, ``@and``, ``@or``, ``@not``, ``@set``).
  ``#`` starts a comment.  Operators and qualifiers are case sensitive unless ``@case 0``.

Where YAZ reads a broken qualifier file in some undefined way, load_qualifiers refuses it.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources

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
    attribute_set_oid,
)

__all__ = [
    "CclError",
    "CclErrorCode",
    "Qualifier",
    "QualifierAttribute",
    "QualifierFileError",
    "QualifierMap",
    "SpecialValue",
    "default_qualifiers",
    "load_qualifiers",
    "parse_ccl",
]

USE, RELATION, POSITION, STRUCTURE, TRUNCATION, COMPLETENESS = 1, 2, 3, 4, 5, 6

# --- qualifier maps ----------------------------------------------------------------------


class SpecialValue(enum.Enum):
    """Pseudo attribute values that steer the CCL parser; they are never sent themselves."""

    ORDERED = (RELATION, "o")
    RANGE = (RELATION, "r")
    OMIT_EQUALS = (RELATION, "omiteq")
    PHRASE_WORD = (STRUCTURE, "pw")
    AND_LIST = (STRUCTURE, "al")
    OR_LIST = (STRUCTURE, "ol")
    AUTO_GROUP = (STRUCTURE, "ag")
    SPLIT_LIST = (STRUCTURE, "sl")
    LEFT = (TRUNCATION, "l")
    RIGHT = (TRUNCATION, "r")
    BOTH = (TRUNCATION, "b")
    NONE = (TRUNCATION, "n")
    REGEX = (TRUNCATION, "x")
    Z3958 = (TRUNCATION, "z")


_SPECIALS = {member.value: member for member in SpecialValue}
_DIRECTIVE_VALUE = re.compile(r'"(?P<quoted>[^"]*)"|(?P<bare>\S+)')
_TYPE_LETTERS = {
    "u": USE,
    "r": RELATION,
    "p": POSITION,
    "s": STRUCTURE,
    "t": TRUNCATION,
    "c": COMPLETENESS,
}


@dataclass(frozen=True)
class QualifierAttribute:
    """One ``[set,]type=value`` of a qualifier; ``attribute_set`` is an OID or None."""

    type: int
    value: int | str | SpecialValue
    attribute_set: str | None = None


@dataclass(frozen=True)
class Qualifier:
    """A named qualifier: attributes, or (an alias) the names of the qualifiers it stands for."""

    name: str
    attributes: tuple[QualifierAttribute, ...] = ()
    members: tuple[str, ...] = ()


class QualifierFileError(ValueError):
    """A qualifier file line that cannot be read; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"{message} (line {line})")
        self.message = message
        self.line = line


@dataclass(frozen=True)
class QualifierMap:
    """Qualifiers by name (in definition order) and ``@`` directives by name."""

    qualifiers: Mapping[str, Qualifier] = field(default_factory=dict)
    directives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def case_sensitive(self) -> bool:
        """YAZ's ``@case``: 0 makes operators and qualifiers case insensitive (the YAZ manual
        says the opposite; YAZ 5 reads the value as "case sensitive", and so do we)."""
        values = self.directives.get("case")
        return values is None or _leading_int(values[0] if values else "") != 0

    def directive(self, name: str) -> tuple[str, ...] | None:
        return self.directives.get(name)

    def lookup(self, name: str, seq: int = 0) -> Qualifier | None:
        """The ``seq``-th qualifier ``name`` stands for: an alias's members, else itself."""
        qualifier = self._find(name)
        if qualifier is None:
            return None
        if qualifier.members:
            if seq >= len(qualifier.members):
                return None
            return self.qualifiers[qualifier.members[seq]]
        return qualifier if seq == 0 else None

    def _find(self, name: str) -> Qualifier | None:
        if self.case_sensitive:
            return self.qualifiers.get(name)
        folded = name.lower()
        # YAZ searches the most recent definition first.
        for qualifier in reversed(list(self.qualifiers.values())):
            if qualifier.name.lower() == folded:
                return qualifier
        return None


def _leading_int(text: str) -> int:
    """C's atoi: the leading digits, 0 when there are none."""
    match = re.match(r"\s*[+-]?[0-9]+", text)
    return int(match.group()) if match else 0


def load_qualifiers(source: str | os.PathLike[str]) -> QualifierMap:
    """Read a YAZ CCL qualifier file: a path (PathLike, or a str naming an existing file) or
    the file's text itself.  Raises QualifierFileError for lines YAZ would misread."""
    if isinstance(source, os.PathLike) or ("\n" not in source and os.path.isfile(source)):
        with open(source, encoding="utf-8") as file:
            return _read_qualifiers(file.read())
    return _read_qualifiers(source)


@functools.cache
def default_qualifiers() -> QualifierMap:
    """shelfnet's own qualifiers (``default.qual`` beside this module)."""
    text = resources.files("shelfnet.query").joinpath("default.qual").read_text("utf-8")
    return _read_qualifiers(text)


def _read_qualifiers(text: str) -> QualifierMap:
    qualifiers: dict[str, Qualifier] = {}
    directives: dict[str, tuple[str, ...]] = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        words = line.split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        name = words[0]
        # As in YAZ, "#" starts a comment anywhere after the name.
        rest = words[1].split("#", 1)[0] if len(words) > 1 else ""
        if name.startswith("@"):
            directives[name[1:]] = _directive_values(rest)
        else:
            qualifiers[name] = _define(qualifiers, name, rest.split(), number)
    return QualifierMap(qualifiers, directives)


def _directive_values(text: str) -> tuple[str, ...]:
    """Directive values are words, or "quoted strings" (which may be empty)."""
    return tuple(
        match["bare"] if match["bare"] is not None else match["quoted"]
        for match in _DIRECTIVE_VALUE.finditer(text)
    )


def _define(
    qualifiers: Mapping[str, Qualifier], name: str, words: list[str], line: int
) -> Qualifier:
    """The qualifier after this line: new, or an earlier one with more attributes."""
    existing = qualifiers.get(name)
    if words and "=" not in words[0]:
        if existing is not None:
            raise QualifierFileError(f"qualifier {name!r} is already defined", line)
        return Qualifier(name, members=_alias_members(qualifiers, words, line))
    if existing is not None and existing.members:
        raise QualifierFileError(f"{name!r} is an alias; it cannot get attributes", line)
    attributes = tuple(a for word in words for a in _attribute_spec(word, line))
    earlier = existing.attributes if existing is not None else ()
    return Qualifier(name, earlier + attributes)


def _alias_members(
    qualifiers: Mapping[str, Qualifier], names: list[str], line: int
) -> tuple[str, ...]:
    members: list[str] = []
    for member in names:
        if "=" in member:
            raise QualifierFileError(f"alias lists qualifier names only, not {member!r}", line)
        target = qualifiers.get(member)
        if target is None:
            raise QualifierFileError(f"alias refers to undefined qualifier {member!r}", line)
        # An alias of an alias stands for the members (YAZ would send no attributes).
        members += target.members or (member,)
    return tuple(members)


def _attribute_spec(word: str, line: int) -> list[QualifierAttribute]:
    """``[set,]type=value[,value...]`` as one attribute per value."""
    left, equals, right = word.partition("=")
    if not equals:
        raise QualifierFileError(f"type=value expected, not {word!r}", line)
    attribute_set: str | None = None
    if "," in left:
        set_name, left = left.split(",", 1)
        attribute_set = attribute_set_oid(set_name)
        if attribute_set is None:
            raise QualifierFileError(f"unknown attribute set {set_name!r}", line)
    attribute_type = _attribute_type(left, line)
    letter = left.lower() if left.lower() in _TYPE_LETTERS else None
    return [
        QualifierAttribute(attribute_type, _attribute_value(value, letter, line), attribute_set)
        for value in right.split(",")
    ]


def _attribute_type(text: str, line: int) -> int:
    if text.lower() in _TYPE_LETTERS:
        return _TYPE_LETTERS[text.lower()]
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    raise QualifierFileError(f"bad attribute type {text!r} (u r p s t c or a number)", line)


def _attribute_value(text: str, letter: str | None, line: int) -> int | str | SpecialValue:
    if not text:
        raise QualifierFileError("attribute value expected", line)
    if letter is not None and (_TYPE_LETTERS[letter], text.lower()) in _SPECIALS:
        return _SPECIALS[(_TYPE_LETTERS[letter], text.lower())]
    if text[0].isascii() and text[0].isdigit():
        if not (text.isascii() and text.isdigit()):
            raise QualifierFileError(f"attribute value {text!r} is not a number", line)
        return int(text)
    return text


def _find_special(
    qualifiers: Sequence[Qualifier] | None, attribute_type: int, special: SpecialValue
) -> QualifierAttribute | None:
    """YAZ's test for a pseudo-value: the first qualifier with numeric or pseudo values of
    this type decides, whether or not it has the one asked for."""
    for qualifier in qualifiers or ():
        typed = [
            a
            for a in qualifier.attributes
            if a.type == attribute_type and not isinstance(a.value, str)
        ]
        if typed:
            return next((a for a in typed if a.value is special), None)
    return None


# --- errors ------------------------------------------------------------------------------


class CclErrorCode(enum.IntEnum):
    """YAZ's CCL error codes (``ccl.h``; 7 is never raised); NESTED_TOO_DEEP is ours."""

    TERM_EXPECTED = 1
    RP_EXPECTED = 2
    SETNAME_EXPECTED = 3
    OP_EXPECTED = 4
    BAD_RP = 5
    UNKNOWN_QUAL = 6
    EQ_EXPECTED = 8
    BAD_RELATION = 9
    TRUNC_NOT_LEFT = 10
    TRUNC_NOT_BOTH = 11
    TRUNC_NOT_RIGHT = 12
    TRUNC_NOT_EMBED = 13
    TRUNC_NOT_SINGLE = 14
    NESTED_TOO_DEEP = 100


_MESSAGES = {
    CclErrorCode.TERM_EXPECTED: "Search word expected",
    CclErrorCode.RP_EXPECTED: "')' expected",
    CclErrorCode.SETNAME_EXPECTED: "Set name expected",
    CclErrorCode.OP_EXPECTED: "Operator expected",
    CclErrorCode.BAD_RP: "Unbalanced ')'",
    CclErrorCode.UNKNOWN_QUAL: "Unknown qualifier",
    CclErrorCode.EQ_EXPECTED: "'=' expected",
    CclErrorCode.BAD_RELATION: "Bad relation",
    CclErrorCode.TRUNC_NOT_LEFT: "Left truncation not supported",
    CclErrorCode.TRUNC_NOT_BOTH: "Both left - and right truncation not supported",
    CclErrorCode.TRUNC_NOT_RIGHT: "Right truncation not supported",
    CclErrorCode.TRUNC_NOT_EMBED: "Embedded truncation not supported",
    CclErrorCode.TRUNC_NOT_SINGLE: "Single character mask not supported",
    CclErrorCode.NESTED_TOO_DEEP: "Parentheses nested too deeply",
}


class CclError(QueryError):
    """A CCL query YAZ would also reject; ``code`` is YAZ's CCL error number."""

    def __init__(self, code: CclErrorCode, column: int, query: str) -> None:
        super().__init__(_MESSAGES[code], column, query)
        self.code = code


# --- tokens ------------------------------------------------------------------------------


class _Kind(enum.Enum):
    TERM = "term"
    LP = "("
    RP = ")"
    COMMA = ","
    PROX = "prox"
    REL = "relation"
    EQ = "="
    AND = "and"
    OR = "or"
    NOT = "not"
    SET = "set"
    EOL = "end"


@dataclass(frozen=True)
class _Token:
    """``raw`` as typed (quotes and backslashes kept), ``start`` its offset, ``space`` the
    whitespace before it, which multi-word terms keep."""

    kind: _Kind
    raw: str
    start: int
    space: str = ""


_SPACE = " \t\r\n"
_TERM_STOPS = "(),%!><=" + _SPACE
_SINGLE = {"(": _Kind.LP, ")": _Kind.RP, ",": _Kind.COMMA}
_DEFAULT_WORDS = {
    _Kind.AND: ("and",),
    _Kind.OR: ("or",),
    _Kind.NOT: ("not", "andnot"),
    _Kind.SET: ("set",),
}


def _tokenize(text: str, qualifiers: QualifierMap) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        space_start = pos
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        space = text[space_start:pos]
        if pos == len(text):
            tokens.append(_Token(_Kind.EOL, "", pos, space))
            return tokens
        kind, end = _token_at(text, pos)
        if kind is _Kind.TERM:
            kind = _word_kind(text[pos:end], qualifiers)
        tokens.append(_Token(kind, text[pos:end], pos, space))
        pos = end


def _token_at(text: str, pos: int) -> tuple[_Kind, int]:
    char = text[pos]
    if char in _SINGLE:
        return _SINGLE[char], pos + 1
    if char in "%!":
        end = pos + 1
        while end < len(text) and text[end].isascii() and text[end].isdigit():
            end += 1
        return _Kind.PROX, end
    if char in "<>=":
        if text[pos + 1 : pos + 2] in ("=", "<", ">"):
            return _Kind.REL, pos + 2
        return (_Kind.EQ if char == "=" else _Kind.REL), pos + 1
    return _Kind.TERM, _term_end(text, pos)


def _term_end(text: str, pos: int) -> int:
    """A word runs to a delimiter outside quotes; a backslash shields the next character."""
    quoted = False
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char in _TERM_STOPS:
            break
        pos += 1
    return min(pos, len(text))


def _word_kind(word: str, qualifiers: QualifierMap) -> _Kind:
    kind = _Kind.TERM
    sensitive = qualifiers.case_sensitive
    # YAZ checks and, or, not, set in turn; a word listed twice ends as the last one.
    for candidate, default in _DEFAULT_WORDS.items():
        words = qualifiers.directive(candidate.value)
        for operator_word in default if words is None else words:
            if word == operator_word or (not sensitive and word.lower() == operator_word.lower()):
                kind = candidate
    return kind


# --- parser ------------------------------------------------------------------------------

_TERM_LIKE = frozenset({_Kind.TERM, _Kind.COMMA, _Kind.EQ, _Kind.REL, _Kind.SET})
_SINGLE_TERM = frozenset({_Kind.TERM, _Kind.COMMA})
_BOOLEANS = {
    _Kind.AND: OperatorKind.AND,
    _Kind.OR: OperatorKind.OR,
    _Kind.NOT: OperatorKind.AND_NOT,
}
_RELATIONS = {"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5, "<>": 6}
_ADJACENT = Proximity(exclusion=False, distance=2, ordered=False, relation=1, unit=2)
_MAX_WORDS_PER_TERM = 200
_MAX_NESTING = 64
_REGEX_SPECIALS = "^[]{}()|.*+?!$"
_Z3958_SPECIALS = "#?\\"

# The qualifiers in force for a term: those written before it, innermost first.
_Applied = Sequence[Qualifier] | None


def parse_ccl(text: str, qualifiers: QualifierMap | None = None) -> Query:
    """Parse a CCL FIND query with ``qualifiers`` (shelfnet's default.qual when None).

    Raises CclError (a QueryError) with YAZ's message and the 1-based column of the problem.
    """
    parser = _Parser(text, qualifiers if qualifiers is not None else default_qualifiers())
    return Query(root=_one_attribute_per_type(parser.parse()), attribute_set=BIB1)


class _Parser:
    """Recursive descent in the shape of YAZ's cclfind.c, so behaviour can be compared."""

    def __init__(self, text: str, qualifiers: QualifierMap) -> None:
        self.text = text
        self.qualifiers = qualifiers
        self.tokens = _tokenize(text, qualifiers)
        self.index = 0
        self.depth = 0
        truncation = qualifiers.directive("truncation")
        mask = qualifiers.directive("mask")
        self.truncation = ("?",) if truncation is None else truncation
        self.mask = ("#",) if mask is None else mask
        mode = qualifiers.directive("field")
        self.merge_fields = not (mode and mode[0] == "or")

    def parse(self) -> Node:
        root = self._find(None)
        token = self._current
        if token.kind is not _Kind.EOL:
            code = CclErrorCode.BAD_RP if token.kind is _Kind.RP else CclErrorCode.OP_EXPECTED
            raise self._error(code, token)
        return root

    @property
    def _current(self) -> _Token:
        return self.tokens[self.index]

    def _error(self, code: CclErrorCode, token: _Token) -> CclError:
        return CclError(code, token.start + 1, self.text)

    # find ::= elements (and|or|not elements)*
    def _find(self, applied: _Applied) -> Node:
        node = self._elements(applied)
        while self._current.kind in _BOOLEANS:
            kind = _BOOLEANS[self._current.kind]
            self.index += 1
            node = Operator(kind, node, self._elements(applied))
        return node

    def _elements(self, applied: _Applied) -> Node:
        if self._current.kind is _Kind.SET:
            return self._result_set()
        ahead = self.index
        while self.tokens[ahead].kind is _Kind.TERM:
            ahead += 1
            if self.tokens[ahead].kind in (_Kind.REL, _Kind.EQ):
                return self._qualifier_list(ahead, applied)
            if self.tokens[ahead].kind is not _Kind.COMMA:
                break
            ahead += 1
        if applied is not None or self.tokens[ahead].kind is _Kind.LP:
            return self._terms(applied)
        return self._unqualified()

    def _result_set(self) -> Node:
        self.index += 1
        if self._current.kind is _Kind.EQ:
            self.index += 1
        token = self._current
        if token.kind is not _Kind.TERM:
            raise self._error(CclErrorCode.SETNAME_EXPECTED, token)
        self.index += 1
        return ResultSetId(token.raw)

    def _unqualified(self) -> Node:
        """Words with no qualifier get those of ``term``: each of them if it is an alias."""
        start = self.index
        node: Node | None = None
        seq = 0
        while (qualifier := self.qualifiers.lookup("term", seq)) is not None:
            self.index = start
            node = _combine(node, self._terms([qualifier]), OperatorKind.OR)
            seq += 1
        return node if node is not None else self._terms(None)

    def _qualifier_list(self, relation_index: int, applied: _Applied) -> Node:
        names = []
        position = self.index
        while position < relation_index:
            names.append(self.tokens[position])
            position += 1
            if self.tokens[position].kind is _Kind.COMMA:
                position += 1
        if self.merge_fields:
            return self._merged_fields(names, relation_index, applied)
        return self._ored_fields(names, relation_index)

    def _merged_fields(self, names: list[_Token], relation_index: int, outer: _Applied) -> Node:
        """``ti,au=x``: one term with the attributes of all of them and of the qualifiers
        around (use attributes from the first only); once per alias member, ORed."""
        node: Node | None = None
        seq = 0
        while True:
            found = 0
            listed: list[Qualifier] = []
            for name in names:
                qualifier = self.qualifiers.lookup(name.raw, seq)
                if qualifier is not None:
                    found += 1
                elif seq > 0:
                    # A plain qualifier next to an alias stays in every alternative.
                    qualifier = self.qualifiers.lookup(name.raw, 0)
                if qualifier is None:
                    raise self._error(CclErrorCode.UNKNOWN_QUAL, name)
                listed.append(qualifier)
            if not found:
                return _required(node)
            self.index = relation_index
            node = _combine(node, self._relation(listed + list(outer or ())), OperatorKind.OR)
            seq += 1

    def _ored_fields(self, names: list[_Token], relation_index: int) -> Node:
        """``@field or``: each qualifier (and alias member) searched on its own, ORed."""
        node: Node | None = None
        for name in names:
            seq = 0
            while (qualifier := self.qualifiers.lookup(name.raw, seq)) is not None:
                self.index = relation_index
                node = _combine(node, self._relation([qualifier]), OperatorKind.OR)
                seq += 1
            if seq == 0:
                raise self._error(CclErrorCode.UNKNOWN_QUAL, name)
        return _required(node)

    def _relation(self, applied: Sequence[Qualifier]) -> Node:
        ordered = _find_special(applied, RELATION, SpecialValue.ORDERED) or _find_special(
            applied, RELATION, SpecialValue.RANGE
        )
        if ordered is not None:
            return self._ordered_relation(applied, ordered.attribute_set)
        if self._current.kind is not _Kind.EQ:
            raise self._error(CclErrorCode.EQ_EXPECTED, self._current)
        self.index += 1
        return self._terms(applied)

    def _ordered_relation(self, applied: Sequence[Qualifier], attribute_set: str | None) -> Node:
        relation = _RELATIONS.get(self._current.raw)
        if relation is None:
            raise self._error(CclErrorCode.BAD_RELATION, self._current)
        self.index += 1
        if relation != 3:
            return _with_relation(self._terms(applied), attribute_set, relation)
        if _find_special(applied, RELATION, SpecialValue.RANGE):
            self._split_range()
        current, following = self._current, self.tokens[min(self.index + 1, len(self.tokens) - 1)]
        if current.kind is _Kind.TERM and following.raw == "-":
            return self._range(applied, attribute_set)
        if current.raw == "-":
            self.index += 1
            return _with_relation(self._single_term(applied), attribute_set, 2)
        node = self._terms(applied)
        if _find_special(applied, RELATION, SpecialValue.OMIT_EQUALS):
            return node
        return _with_relation(node, attribute_set, relation)

    def _range(self, applied: Sequence[Qualifier], attribute_set: str | None) -> Node:
        """``low - high`` is low <= x AND x <= high; ``low -`` is open above."""
        low = _with_relation(self._single_term(applied), attribute_set, 4)
        self.index += 1  # the "-"
        if self._current.kind is not _Kind.TERM:
            return low
        high = _with_relation(self._single_term(applied), attribute_set, 2)
        return Operator(OperatorKind.AND, low, high)

    def _split_range(self) -> None:
        """For ``r=r``: split the first unquoted "-" out of ``a-b``, ``-b``, ``a-`` or ``a -b``."""
        token = self._current
        if token.kind is not _Kind.TERM:
            return
        raw, at = token.raw, _first_dash(token.raw)
        dash = _Token(_Kind.TERM, "-", token.start + at)
        if len(raw) > 1 and at == 0:
            parts = [replace(token, raw="-"), _Token(_Kind.TERM, raw[1:], token.start + 1)]
        elif len(raw) > 1 and at == len(raw) - 1:
            parts = [replace(token, raw=raw[:-1]), dash]
        elif len(raw) > 2 and at < len(raw):
            parts = [
                replace(token, raw=raw[:at]),
                dash,
                _Token(_Kind.TERM, raw[at + 1 :], dash.start + 1),
            ]
        else:
            if at == len(raw):
                self._split_leading_dash_of_next()
            return
        self.tokens[self.index : self.index + 1] = parts

    def _split_leading_dash_of_next(self) -> None:
        following = self.tokens[self.index + 1]
        if following.kind is _Kind.TERM and len(following.raw) > 1 and following.raw[0] == "-":
            rest = replace(following, raw=following.raw[1:], start=following.start + 1)
            dash = _Token(_Kind.TERM, "-", following.start)
            self.tokens[self.index + 1 : self.index + 2] = [dash, rest]

    # terms ::= terms2 ((% | !)? terms2)*
    def _terms(self, applied: _Applied) -> Node:
        node = self._terms2(applied)
        while True:
            token = self._current
            if token.kind is _Kind.PROX:
                self.index += 1
                node = Operator(
                    OperatorKind.PROX, node, self._terms2(applied), _proximity(token.raw)
                )
            elif token.kind in _TERM_LIKE:
                # Words right after a parenthesised group: YAZ joins them by adjacency.
                node = Operator(OperatorKind.PROX, node, self._terms2(applied), _ADJACENT)
            else:
                return node

    def _terms2(self, applied: _Applied) -> Node:
        opening = self._current
        if opening.kind is not _Kind.LP:
            return self._term_run(applied, _TERM_LIKE, multi=True)
        if self.depth == _MAX_NESTING:
            raise self._error(CclErrorCode.NESTED_TOO_DEEP, opening)
        self.index += 1
        self.depth += 1
        node = self._find(applied)
        self.depth -= 1
        if self._current.kind is not _Kind.RP:
            raise self._error(CclErrorCode.RP_EXPECTED, self._current)
        self.index += 1
        return node

    def _single_term(self, applied: _Applied) -> Node:
        return self._term_run(applied, _SINGLE_TERM, multi=False)

    def _term_run(self, applied: _Applied, kinds: frozenset[_Kind], multi: bool) -> Node:
        """Consecutive words become terms as the structure pseudo-values say."""
        if _find_special(applied, STRUCTURE, SpecialValue.SPLIT_LIST):
            return self._split_list(applied, kinds)
        and_list = _find_special(applied, STRUCTURE, SpecialValue.AND_LIST) is not None
        or_list = _find_special(applied, STRUCTURE, SpecialValue.OR_LIST) is not None
        auto_group = _find_special(applied, STRUCTURE, SpecialValue.AUTO_GROUP) is not None
        limit = 1 if (and_list or or_list or not multi) else _MAX_WORDS_PER_TERM
        top: Node | None = None
        while True:
            if and_list and self._current.kind is _Kind.COMMA:
                self.index += 1
                continue
            count, is_phrase = self._word_group(kinds, limit, auto_group)
            if count == 0:
                break
            words = self.tokens[self.index : self.index + count]
            node = self._term_per_use(applied, words, is_phrase, auto_group)
            self.index += count
            top = _combine(top, node, OperatorKind.OR if or_list else OperatorKind.AND)
            if not multi:
                break
        if top is None:
            raise self._error(CclErrorCode.TERM_EXPECTED, self._current)
        return top

    def _word_group(
        self, kinds: frozenset[_Kind], limit: int, auto_group: bool
    ) -> tuple[int, bool]:
        """How many words the next term takes, and whether it is a phrase."""
        count, is_phrase = 0, False
        while count < limit and self.tokens[self.index + count].kind in kinds:
            this_is_phrase = " " in self.tokens[self.index + count].raw
            if auto_group:
                # s=ag: plain words group together; a quoted phrase stands alone.
                if count > 0 and (is_phrase or is_phrase != this_is_phrase):
                    break
                is_phrase = this_is_phrase
            elif this_is_phrase or count > 0:
                is_phrase = True
            count += 1
        return count, is_phrase

    def _split_list(self, applied: _Applied, kinds: frozenset[_Kind]) -> Node:
        """s=sl: every way to cut the words into phrases, ORed; shorter phrases for long runs
        so the tree stays small (YAZ's limits)."""
        count = 0
        while self.tokens[self.index + count].kind in kinds:
            count += 1
        if count == 0:
            raise self._error(CclErrorCode.TERM_EXPECTED, self._current)
        words = self.tokens[self.index : self.index + count]
        longest = 1 if count >= 7 else 2 if count >= 5 else 3
        # Terms are made in the order YAZ's recursion first reaches them, so the same bad
        # term is the one reported: every single word left to right, then longer phrases
        # from the right.
        order = [(start, 1) for start in range(count)] + [
            (start, length)
            for start in range(count - 1, -1, -1)
            for length in range(2, min(count - start, longest) + 1)
        ]
        pieces = {
            (start, length): self._term_per_use(
                applied, words[start : start + length], length > 1, False
            )
            for start, length in order
        }
        suffixes: dict[int, Node] = {}
        for start in range(count - 1, -1, -1):
            node: Node | None = None
            for length in range(1, min(count - start, longest) + 1):
                piece = pieces[(start, length)]
                if start + length < count:
                    piece = Operator(OperatorKind.AND, piece, suffixes[start + length])
                node = _combine(node, piece, OperatorKind.OR)
            suffixes[start] = _required(node)
        self.index += count
        return suffixes[0]

    def _term_per_use(
        self, applied: _Applied, words: list[_Token], is_phrase: bool, auto_group: bool
    ) -> Node:
        """One term per use attribute of the first qualifier, ORed."""
        node: Node | None = None
        uses = [a for a in applied[0].attributes if a.type == USE] if applied else []
        for use in uses:
            term = self._term(applied, words, use, is_phrase, auto_group)
            node = _combine(node, term, OperatorKind.OR)
        return node if node is not None else self._term(applied, words, None, is_phrase, auto_group)

    def _term(
        self,
        applied: _Applied,
        words: list[_Token],
        use: QualifierAttribute | None,
        is_phrase: bool,
        auto_group: bool,
    ) -> Term:
        attributes = _sent(applied, use)
        if not any(a.type == STRUCTURE and isinstance(a.value, int) for a in attributes):
            phrase_word = (
                None if auto_group else _find_special(applied, STRUCTURE, SpecialValue.PHRASE_WORD)
            )
            if auto_group or phrase_word is not None:
                attribute_set = phrase_word.attribute_set if phrase_word else None
                attributes.append(AttributeElement(STRUCTURE, 1 if is_phrase else 2, attribute_set))
        # t=x or t=z (x decides when both) rewrites a term that has ? or # in it.
        mode = _find_special(applied, TRUNCATION, SpecialValue.REGEX) or _find_special(
            applied, TRUNCATION, SpecialValue.Z3958
        )
        if not any(self._has_masking(word.raw) for word in words):
            mode = None
        text, left, right = self._term_text(words, mode)
        truncation = self._truncation(applied, words[0], left, right, mode)
        if truncation is not None:
            attributes.append(truncation)
        return Term(text, tuple(attributes))

    def _truncation(
        self,
        applied: _Applied,
        first: _Token,
        left: bool,
        right: bool,
        mode: QualifierAttribute | None,
    ) -> AttributeElement | None:
        """The truncation attribute for ``?`` at either end, or for a masked term."""
        if left or right:
            wanted, value, code = {
                (True, True): (SpecialValue.BOTH, 3, CclErrorCode.TRUNC_NOT_BOTH),
                (False, True): (SpecialValue.RIGHT, 1, CclErrorCode.TRUNC_NOT_RIGHT),
                (True, False): (SpecialValue.LEFT, 2, CclErrorCode.TRUNC_NOT_LEFT),
            }[(left, right)]
            allowed = _find_special(applied, TRUNCATION, wanted)
            if allowed is None:
                raise self._error(code, first)
            return AttributeElement(TRUNCATION, value, allowed.attribute_set)
        if mode is not None:
            value = 102 if mode.value is SpecialValue.REGEX else 104
            return AttributeElement(TRUNCATION, value, mode.attribute_set)
        none = _find_special(applied, TRUNCATION, SpecialValue.NONE)
        return None if none is None else AttributeElement(TRUNCATION, 100, none.attribute_set)

    def _term_text(
        self, words: list[_Token], mode: QualifierAttribute | None
    ) -> tuple[str, bool, bool]:
        text = ""
        left = right = False
        for number, word in enumerate(words):
            if text:
                text += word.space
            piece, word_left, word_right = self._word_text(
                word, mode, first=number == 0, last=number == len(words) - 1
            )
            text += piece
            left, right = left or word_left, right or word_right
        return text, left, right

    def _word_text(
        self, word: _Token, mode: QualifierAttribute | None, first: bool, last: bool
    ) -> tuple[str, bool, bool]:
        """A word without quotes and escapes; ``?`` at its ends becomes left/right truncation,
        or the whole word is rewritten for t=x (regex) or t=z (Z39.58) masking."""
        raw = word.raw
        regex = mode is not None and mode.value is SpecialValue.REGEX
        z3958 = mode is not None and not regex
        out: list[str] = []
        left = right = quoted = False
        j = 0
        while j < len(raw):
            char = raw[j]
            if j > 0 and raw[j - 1] == "\\":
                out.append(_protect(char, regex, z3958, extra="\\") + char)
            elif char == '"':
                quoted = not quoted
            elif not quoted and (size := _match(self.truncation, raw, j)):
                j += size - 1
                if regex or z3958:
                    out.append(".*" if regex else "?")
                elif first and j == 0:
                    left = True
                elif last and j == len(raw) - 1:
                    right = True
                else:
                    raise self._error(CclErrorCode.TRUNC_NOT_EMBED, word)
            elif not quoted and (size := _match(self.mask, raw, j)):
                j += size - 1
                if not (regex or z3958):
                    raise self._error(CclErrorCode.TRUNC_NOT_SINGLE, word)
                out.append("." if regex else "#")
            elif char != "\\":
                out.append(_protect(char, regex, z3958, extra="") + char)
            j += 1
        return "".join(out), left, right

    def _has_masking(self, raw: str) -> bool:
        quoted = False
        for j, char in enumerate(raw):
            if j > 0 and raw[j - 1] == "\\":
                continue
            if char == '"':
                quoted = not quoted
            elif not quoted and (_match(self.truncation, raw, j) or _match(self.mask, raw, j)):
                return True
        return False


def _protect(char: str, regex: bool, z3958: bool, extra: str) -> str:
    """The backslash a regex or Z39.58 term needs before a character special to it."""
    if regex and char in _REGEX_SPECIALS + extra:
        return "\\"
    if z3958 and char in _Z3958_SPECIALS + extra:
        return "\\"
    return ""


def _match(aliases: tuple[str, ...], raw: str, at: int) -> int:
    for alias in aliases:
        if alias and raw.startswith(alias, at):
            return len(alias)
    return 0


def _first_dash(raw: str) -> int:
    quoted = False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "-" and not quoted:
            return index
    return len(raw)


def _sent(applied: _Applied, use: QualifierAttribute | None) -> list[AttributeElement]:
    """The qualifiers' attributes that go on the wire: real values (not pseudo, not 0), only
    the chosen use attribute, and only the first numeric structure attribute."""
    sent: list[AttributeElement] = []
    structure_seen = False
    for qualifier in applied or ():
        for attribute in qualifier.attributes:
            value = attribute.value
            if attribute.type == USE and use is not None and attribute is not use:
                continue
            if isinstance(value, SpecialValue) or (isinstance(value, int) and value <= 0):
                continue
            if isinstance(value, int) and attribute.type == STRUCTURE:
                if structure_seen:
                    continue
                structure_seen = True
            sent.append(AttributeElement(attribute.type, value, attribute.attribute_set))
    return sent


def _proximity(raw: str) -> Proximity:
    """``%`` unordered, ``!`` ordered; digits after them give the word distance (default 1)."""
    distance = int(raw[1:]) if raw[1:] else 1
    return Proximity(exclusion=False, distance=distance, ordered=raw[0] == "!", relation=2)


def _with_relation(node: Node, attribute_set: str | None, relation: int) -> Node:
    """Set the relation attribute of a single term, replacing the one added last.  YAZ sets
    none when the operand is a boolean or proximity result (it writes into the wrong node
    type there, and can crash), so neither do we."""
    if not isinstance(node, Term):
        return node
    attributes = list(node.attributes)
    element = AttributeElement(RELATION, relation, attribute_set)
    for index in range(len(attributes) - 1, -1, -1):
        if attributes[index].type == RELATION:
            attributes[index] = element
            break
    else:
        attributes.append(element)
    return replace(node, attributes=tuple(attributes))


def _one_attribute_per_type(root: Node) -> Node:
    """YAZ sends a CCL query through its PQF parser, which keeps one attribute per type: the
    first one the qualifiers gave (e.g. ``ti,ti=x`` sends 1=4 once)."""
    # Post-order walk with an explicit stack: a long list of words makes a deep tree.
    done: list[Node] = []
    pending: list[tuple[Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        if isinstance(node, Operator) and not children_done:
            pending += [(node, True), (node.right, False), (node.left, False)]
        elif isinstance(node, Operator):
            right, left = done.pop(), done.pop()
            done.append(replace(node, left=left, right=right))
        elif isinstance(node, Term):
            done.append(replace(node, attributes=_first_of_each_type(node.attributes)))
        else:
            done.append(node)
    return done[0]


def _first_of_each_type(
    attributes: tuple[AttributeElement, ...],
) -> tuple[AttributeElement, ...]:
    seen: set[int] = set()
    kept: list[AttributeElement] = []
    for attribute in attributes:
        if attribute.type not in seen:
            seen.add(attribute.type)
            kept.append(attribute)
    return tuple(kept)


def _combine(left: Node | None, right: Node, kind: OperatorKind) -> Node:
    return right if left is None else Operator(kind, left, right)


def _required(node: Node | None) -> Node:
    if node is None:
        raise AssertionError("a qualifier list always yields at least one term")
    return node
