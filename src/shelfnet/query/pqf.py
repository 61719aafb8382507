"""YAZ's Prefix Query Format (PQF) read into the RPN tree and written back.

The grammar is YAZ's (``@attrset``, ``@attr``, ``@and``/``@or``/``@not``, ``@prox``, ``@set``,
``@term``; terms bare, in ``"..."`` or ``{...}``, with backslash escapes).  Tokens are separated
by spaces only, as in YAZ, so a tab is part of a term.  Three choices differ from YAZ's own
parser:

* an ``@attr`` without a set does not inherit the set of the ``@attr`` before it (YAZ's own
  PQF printers assume it does not, and a tree could not be written back otherwise);
* ``@set`` names have their backslash escapes decoded, like terms (YAZ keeps them);
* an unknown ``@term`` type or ``@prox`` parameter, an unterminated quote, an empty attribute
  value or a non-integer where one is due is an error (YAZ ignores it or guesses).

As in YAZ, an inner ``@attr`` overrides an outer one of the same type, and ``@term`` sets the
term type for every term after it in the text, not just the next sub-query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

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
    attribute_set_name,
    attribute_set_oid,
)

__all__ = ["parse_pqf", "to_pqf"]

_T = TypeVar("_T")

# Only the space separates tokens, as in YAZ, so terms YAZ prints with tabs read back.
_WHITESPACE = " "
_KEYWORDS = frozenset({"and", "or", "not", "attr", "set", "attrset", "prox", "term"})
_OPERATORS = {"and": OperatorKind.AND, "or": OperatorKind.OR, "not": OperatorKind.AND_NOT}
_OPERATOR_NAMES = {kind: name for name, kind in _OPERATORS.items()} | {OperatorKind.PROX: "prox"}
_TERM_TYPES = {
    "general": TermType.GENERAL,
    "numeric": TermType.NUMERIC,
    "string": TermType.CHARACTER_STRING,
    "oid": TermType.OID,
    "datetime": TermType.DATETIME,
    "null": TermType.NULL,
}
_TERM_TYPE_NAMES = {term_type: name for name, term_type in _TERM_TYPES.items()}
_EXCLUSION = {"0": False, "1": True, "void": None, "null": None, "n": None}
_KNOWN_UNIT = {"k": True, "known": True, "1": True, "p": False, "private": False, "2": False}
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_NUMERIC_TERM = re.compile(r"[+-]?[0-9]+")
_OID_TERM = re.compile(r"[0-9]+(\.[0-9]+)+")
_OCTAL = re.compile(r"[0-3][0-7]{2}")
_HEX = re.compile(r"[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class _Token:
    """One PQF token: ``raw`` as written (quotes removed), ``keyword`` set for bare ``@name``."""

    raw: str
    column: int
    keyword: str | None = None

    @property
    def text(self) -> str:
        return _unescape(self.raw)


def parse_pqf(text: str) -> Query:
    """Parse a PQF query; raises QueryError naming the 1-based column of the problem."""
    return _Parser(text).query()


def _unescape(raw: str) -> str:
    """Decode YAZ's escapes: \\t \\n \\r \\f, \\xHH, three-digit octal, else the next char."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\" or i + 1 == len(raw):
            out.append(char)
            i += 1
            continue
        code, i = _escape_at(raw, i + 1)
        out.append(code)
    return "".join(out)


def _escape_at(raw: str, i: int) -> tuple[str, int]:
    """The character an escape starting at ``raw[i]`` (just after the backslash) stands for."""
    char = raw[i]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], i + 1
    if char == "x" and _HEX.fullmatch(raw[i + 1 : i + 3]):
        return chr(int(raw[i + 1 : i + 3], 16)), i + 3
    if _OCTAL.fullmatch(raw[i : i + 3]):
        return chr(int(raw[i : i + 3], 8)), i + 3
    return char, i + 1


class _Lexer:
    """Splits PQF into tokens; a backslash always protects the next character from ending one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> list[_Token]:
        found: list[_Token] = []
        while (token := self._next()) is not None:
            found.append(token)
        return found

    def _next(self) -> _Token | None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in _WHITESPACE:
            self.pos += 1
        if self.pos == len(text):
            return None
        start = self.pos
        if text[start] in '"{':
            return self._quoted(start, '"' if text[start] == '"' else "}")
        if text[start] == "@" and _is_ascii_digits(text[start + 1 : start + 2]):
            # YAZ reads "@1=4" as "@attr 1=4".
            self.pos += 1
            return _Token("@", start + 1, keyword="attr")
        end = self._scan(start, _WHITESPACE)
        raw = text[start:end]
        self.pos = end
        keyword = raw[1:] if raw.startswith("@") and raw[1:] in _KEYWORDS else None
        return _Token(raw, start + 1, keyword)

    def _quoted(self, start: int, closing: str) -> _Token:
        end = self._scan(start + 1, closing)
        if end == len(self.text):
            raise QueryError(f"missing closing {closing}", start + 1, self.text)
        self.pos = end + 1
        return _Token(self.text[start + 1 : end], start + 1)

    def _scan(self, pos: int, stops: str) -> int:
        text = self.text
        while pos < len(text) and text[pos] not in stops:
            pos += 2 if text[pos] == "\\" else 1
        return min(pos, len(text))


@dataclass
class _Frame:
    """An operator whose operands are still being read, and the attributes in scope for them."""

    kind: OperatorKind
    proximity: Proximity | None
    attributes: tuple[AttributeElement, ...]
    left: Node | None = None


class _Parser:
    """Reads the prefix notation with an explicit stack, so long @or chains cannot overflow."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Lexer(text).tokens()
        self.index = 0
        self.term_type = TermType.GENERAL

    def query(self) -> Query:
        attribute_set = BIB1
        if self._peek_keyword() == "attrset":
            self.index += 1
            attribute_set = self._attribute_set(self._take("attribute set name"))
        root = self._structure()
        if self.index < len(self.tokens):
            raise self._error("extra token after the query", self.tokens[self.index])
        return Query(root=root, attribute_set=attribute_set)

    def _structure(self) -> Node:
        stack: list[_Frame] = []
        attributes: tuple[AttributeElement, ...] = ()
        while True:
            token = self._take("operator or operand")
            match token.keyword:
                case "attr":
                    attributes += (self._attribute(),)
                case "term":
                    self.term_type = self._term_type(self._take("term type"))
                case "and" | "or" | "not" | "prox":
                    proximity = self._proximity() if token.keyword == "prox" else None
                    kind = _OPERATORS.get(token.keyword, OperatorKind.PROX)
                    stack.append(_Frame(kind, proximity, attributes))
                case "attrset":
                    raise self._error("@attrset is only allowed at the start", token)
                case _:
                    node = self._operand(token, attributes)
                    completed = _reduce(stack, node)
                    if completed is not None:
                        return completed
                    attributes = stack[-1].attributes

    def _operand(self, token: _Token, attributes: tuple[AttributeElement, ...]) -> Node:
        if token.keyword == "set":
            return ResultSetId(self._take("result set name").text)
        text = token.text
        if self.term_type is TermType.NUMERIC and not _NUMERIC_TERM.fullmatch(text):
            raise self._error(f"numeric term expected, not {text!r}", token)
        if self.term_type is TermType.OID and not _OID_TERM.fullmatch(text):
            raise self._error(f"OID term expected, not {text!r}", token)
        return Term(text, _innermost_per_type(attributes), self.term_type)

    def _attribute(self) -> AttributeElement:
        token = self._take("attribute type=value")
        attribute_set: str | None = None
        if "=" not in token.raw:
            attribute_set = self._attribute_set(token)
            token = self._take("attribute type=value")
            if "=" not in token.raw:
                raise self._error("attribute type=value expected", token)
        type_text, _, value_raw = token.raw.partition("=")
        if not _is_ascii_digits(type_text):
            raise self._error(f"attribute type must be an integer, not {type_text!r}", token)
        if not value_raw:
            raise self._error("attribute value expected after =", token)
        value: int | str = int(value_raw) if _is_ascii_digits(value_raw) else _unescape(value_raw)
        return AttributeElement(int(type_text), value, attribute_set)

    def _attribute_set(self, token: _Token) -> str:
        oid = attribute_set_oid(token.text)
        if oid is None:
            raise self._error(f"unknown attribute set {token.text!r}", token)
        return oid

    def _term_type(self, token: _Token) -> TermType:
        term_type = _TERM_TYPES.get(token.text)
        if term_type is None:
            names = ", ".join(_TERM_TYPES)
            raise self._error(f"term type must be one of {names}, not {token.text!r}", token)
        return term_type

    def _proximity(self) -> Proximity:
        exclusion = self._choice("exclusion (0, 1 or void)", _EXCLUSION)
        distance = self._integer("distance")
        ordered = self._choice("ordered (0 or 1)", {"0": False, "1": True})
        relation = self._integer("relation")
        known = self._choice("unit kind (known or private)", _KNOWN_UNIT)
        unit = self._integer("unit")
        return Proximity(exclusion, distance, ordered, relation, unit, known)

    def _choice(self, what: str, choices: dict[str, _T]) -> _T:
        token = self._take(what)
        if token.text not in choices:
            raise self._error(f"@prox {what} expected, not {token.text!r}", token)
        return choices[token.text]

    def _integer(self, what: str) -> int:
        token = self._take(what)
        if not _is_ascii_digits(token.text):
            raise self._error(f"@prox {what} must be an integer, not {token.text!r}", token)
        return int(token.text)

    def _peek_keyword(self) -> str | None:
        return self.tokens[self.index].keyword if self.index < len(self.tokens) else None

    def _take(self, what: str) -> _Token:
        if self.index == len(self.tokens):
            raise QueryError(f"{what} expected at end of query", len(self.text) + 1, self.text)
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _error(self, message: str, token: _Token) -> QueryError:
        return QueryError(message, token.column, self.text)


def _reduce(stack: list[_Frame], node: Node) -> Node | None:
    """Hand a finished operand to the waiting operators; the root once none is left waiting."""
    while stack:
        frame = stack[-1]
        if frame.left is None:
            frame.left = node
            return None
        stack.pop()
        node = Operator(frame.kind, frame.left, node, frame.proximity)
    return node


def _innermost_per_type(
    attributes: tuple[AttributeElement, ...],
) -> tuple[AttributeElement, ...]:
    """YAZ sends one attribute per type, the innermost; the others keep their written order."""
    last = {attribute.type: index for index, attribute in enumerate(attributes)}
    return tuple(a for index, a in enumerate(attributes) if last[a.type] == index)


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --- writer -------------------------------------------------------------------------------


def to_pqf(query: Query) -> str:
    """Write a query as PQF that parse_pqf reads back to an equal Query.

    Raises ValueError for what PQF cannot carry: negative integers where PQF has only digits,
    empty string attribute values, attribute sets that are neither registered nor OIDs.
    """
    words: list[str] = []
    if query.attribute_set != BIB1:
        words += ["@attrset", _attribute_set_word(query.attribute_set)]
    term_type = TermType.GENERAL
    pending: list[Node] = [query.root]
    while pending:
        node = pending.pop()
        if isinstance(node, Operator):
            words += _operator_words(node)
            pending += [node.right, node.left]
        elif isinstance(node, ResultSetId):
            words += ["@set", _quote(node.name)]
        else:
            if node.term_type is not term_type:
                # @term lasts for the rest of the text, so it is written only on a change.
                term_type = node.term_type
                words += ["@term", _TERM_TYPE_NAMES[term_type]]
            words += _term_words(node)
    return " ".join(words)


def _operator_words(node: Operator) -> list[str]:
    words = ["@" + _OPERATOR_NAMES[node.kind]]
    if node.kind is OperatorKind.PROX:
        prox = node.proximity or Proximity()
        exclusion = "void" if prox.exclusion is None else str(int(prox.exclusion))
        words += [
            exclusion,
            _natural(prox.distance, "proximity distance"),
            str(int(prox.ordered)),
            _natural(prox.relation, "proximity relation"),
            "k" if prox.known_unit else "p",
            _natural(prox.unit, "proximity unit"),
        ]
    return words


def _term_words(term: Term) -> list[str]:
    words: list[str] = []
    for attribute in term.attributes:
        words.append("@attr")
        if attribute.attribute_set is not None:
            words.append(_attribute_set_word(attribute.attribute_set))
        words.append(_attribute_word(attribute))
    words.append(_quote(term.term))
    return words


def _attribute_word(attribute: AttributeElement) -> str:
    attribute_type = _natural(attribute.type, "attribute type")
    if isinstance(attribute.value, int):
        return f"{attribute_type}={_natural(attribute.value, 'numeric attribute value')}"
    if not attribute.value:
        raise ValueError("PQF cannot carry an empty string attribute value")
    value = _escape(attribute.value)
    if _is_ascii_digits(value):
        # All digits would read back as a number; an escaped first digit keeps it a string.
        value = f"\\x{ord(value[0]):02x}{value[1:]}"
    return _quote_raw(f"{attribute_type}={value}")


def _attribute_set_word(oid: str) -> str:
    word = attribute_set_name(oid)
    if attribute_set_oid(word) != oid:
        raise ValueError(f"attribute set {oid!r} is neither registered nor a dotted OID")
    return word


def _natural(value: int, what: str) -> str:
    if value < 0:
        raise ValueError(f"PQF cannot carry a negative {what} ({value})")
    return str(value)


def _quote(text: str) -> str:
    """A term or name as one token: bare when that is unambiguous, else quoted and escaped."""
    return _quote_raw(_escape(text))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote_raw(escaped: str) -> str:
    bare = (
        escaped
        and not escaped.startswith(("@", "{", '"'))
        and not any(char.isspace() for char in escaped)
    )
    return escaped if bare else f'"{escaped}"'
