"""CQL 1.2 (the Contextual Query Language of SRU) parsed, and mapped to the RPN tree.

parse_cql reads the whole CQL 1.2 grammar into small frozen nodes:

* a search clause is ``index relation term`` or a bare term (``cql.serverChoice = term``);
  relations are ``= == <> < > <= >=`` or names (``adj all any within encloses``, or
  prefixed, ``cql.adj``), each with modifiers (``=/relevant/cql.stem``, ``=/locale=fr``);
* ``and or not prox`` join clauses left to right, with modifiers (``prox/unit=word/distance<3``);
* parentheses group; ``> dc = "uri"`` (or ``> "uri"`` for unprefixed indexes) assigns a
  prefix for the query that follows; ``sortBy dc.title/sort.descending`` ends a query;
* terms are words or ``"quoted strings"``; a backslash escapes the next character.  Terms
  keep their backslashes: masking (``* ?``) and anchoring (``^``) are the mapping's business.
* keywords (``and``, ``sortBy``...) are case insensitive, and are ordinary words where a term
  is due (``dc.title = and``).

cql_to_rpn maps a parsed query to Bib-1 the way YAZ's CQL-to-RPN converter does, driven by a
mapping file in YAZ's "CQL to PQF" properties format (``cql.properties`` beside this module;
yaz-client's ``set_cqlfile`` reads the same file, and tests/interop/test_cql_yaz.py checks
that both give the same type-1 query).  Per search clause, attributes are gathered in YAZ's
order: ``always``, ``relation``, ``structure``, then per term ``position`` (``^``),
``truncation`` (``*``, ``?``), ``index`` and the relation modifiers (last written first).  As
on YAZ's wire, the term carries them in reverse, one per type: the last gathered wins.
``all``/``any`` make one term per word, ANDed/ORed; ``prox`` becomes a Z39.50 proximity
operator.

Errors are CqlError (a QueryError) with the SRU diagnostic number in ``sru_code``, the
1-based column of the offending token and, as SRU wants, ``addinfo`` naming the culprit.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
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
    "CQL_CONTEXT_SET",
    "SORT_CONTEXT_SET",
    "BooleanClause",
    "BooleanOperator",
    "CqlDiagnostic",
    "CqlError",
    "CqlMapping",
    "CqlMappingError",
    "CqlNode",
    "CqlSortKey",
    "Modifier",
    "Relation",
    "SearchClause",
    "SortSpec",
    "SortedQuery",
    "cql_sort_keys",
    "cql_to_rpn",
    "default_cql_mapping",
    "load_cql_mapping",
    "parse_cql",
]

CQL_CONTEXT_SET = "info:srw/cql-context-set/1/cql-v1.2"
"""The CQL context set: serverChoice, allRecords, resultSetId..., prefix ``cql`` by default."""

SORT_CONTEXT_SET = "info:srw/cql-context-set/1/sort-v1.0"
"""The sort context set of CQL 1.2's sortBy modifiers, prefix ``sort``."""

# YAZ compares with the context set of CQL 1.2; queries written for CQL 1.1 name that one.
_CQL_CONTEXT_SETS = frozenset({CQL_CONTEXT_SET, "info:srw/cql-context-set/1/cql-v1.1"})

# --- diagnostics -------------------------------------------------------------------------


class CqlDiagnostic(enum.IntEnum):
    """The SRU diagnostics (info:srw/diagnostic/1) a CQL query can earn, by number."""

    QUERY_SYNTAX_ERROR = 10
    INVALID_PARENTHESES = 13
    INVALID_QUOTES = 14
    UNSUPPORTED_CONTEXT_SET = 15
    UNSUPPORTED_INDEX = 16
    UNSUPPORTED_RELATION = 19
    UNSUPPORTED_RELATION_MODIFIER = 20
    UNSUPPORTED_RELATION_AND_TERM = 24
    EMPTY_TERM_UNSUPPORTED = 27
    MASKING_CHARACTER_UNSUPPORTED = 28
    ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION = 32
    TOO_MANY_BOOLEAN_OPERATORS = 38
    UNSUPPORTED_PROXIMITY_RELATION = 40
    UNSUPPORTED_PROXIMITY_DISTANCE = 41
    UNSUPPORTED_PROXIMITY_UNIT = 42
    UNSUPPORTED_BOOLEAN_MODIFIER = 46
    SORT_NOT_SUPPORTED = 80


class CqlError(QueryError):
    """A CQL query that cannot be parsed or mapped.

    ``sru_code`` is the SRU diagnostic, ``addinfo`` the part of the query it is about (an
    index name, a relation...) or None.  ``column`` is 1-based; 0 when the node at fault was
    built by hand rather than parsed.  ``query`` is the text for parse errors; cql_to_rpn,
    given only nodes, leaves it empty.
    """

    def __init__(
        self,
        sru_code: CqlDiagnostic,
        message: str,
        column: int,
        query: str = "",
        addinfo: str | None = None,
    ) -> None:
        super().__init__(message, column, query)
        self.sru_code = sru_code
        self.addinfo = addinfo


# --- the parsed query --------------------------------------------------------------------


class BooleanOperator(enum.Enum):
    AND = "and"
    OR = "or"
    NOT = "not"
    PROX = "prox"


@dataclass(frozen=True)
class Modifier:
    """``/name`` or ``/name<comparison>value``: ``name`` as written (``cql.stem``), ``value``
    with its escapes decoded; ``context_set`` is the URI the query assigned to its prefix."""

    name: str
    comparison: str | None = None
    value: str | None = None
    context_set: str | None = None
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Relation:
    """A comparison symbol (``=``, ``<=``...) or a name as written (``any``, ``cql.adj``)."""

    name: str
    modifiers: tuple[Modifier, ...] = ()
    context_set: str | None = None
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SearchClause:
    """``index relation term``; a bare term is ``cql.serverChoice = term``.

    ``term`` is as written, without its quotes but with its backslashes, since ``\\*`` and
    ``*`` differ.  ``context_set`` is the URI the query assigned to the index's prefix (or,
    for an index without one, with ``> "uri"``); None leaves it to the mapping.
    """

    index: str
    relation: Relation
    term: str
    context_set: str | None = None
    column: int = field(default=0, compare=False)
    term_column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BooleanClause:
    """``left operator right``; prox's parameters are its modifiers."""

    operator: BooleanOperator
    left: CqlNode
    right: CqlNode
    modifiers: tuple[Modifier, ...] = ()
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SortSpec:
    """One key of ``sortBy``: an index and its modifiers (``sort.descending``...)."""

    index: str
    modifiers: tuple[Modifier, ...] = ()
    context_set: str | None = None
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SortedQuery:
    """A query with a ``sortBy`` clause; cql_to_rpn maps the query, cql_sort_keys the keys."""

    query: SearchClause | BooleanClause
    sort: tuple[SortSpec, ...]


CqlNode = SearchClause | BooleanClause | SortedQuery

# --- tokens ------------------------------------------------------------------------------


class _Kind(enum.Enum):
    WORD = "word"
    QUOTED = "quoted string"
    LP = "("
    RP = ")"
    SLASH = "/"
    COMPARISON = "comparison"
    END = "end of query"


@dataclass(frozen=True)
class _Token:
    """``text`` as written, less the quotes of a quoted string; ``column`` 1-based."""

    kind: _Kind
    text: str
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind is _Kind.WORD and self.text.lower() in words

    def is_term(self) -> bool:
        return self.kind in (_Kind.WORD, _Kind.QUOTED)


_SPACE = " \t\r\n"
_WORD_STOPS = frozenset('()=<>"/' + _SPACE)
_SINGLE = {"(": _Kind.LP, ")": _Kind.RP, "/": _Kind.SLASH}
_TWO_CHARACTER_COMPARISONS = frozenset({"==", "<=", ">=", "<>"})


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos == len(text):
            tokens.append(_Token(_Kind.END, "", pos + 1))
            return tokens
        token, pos = _token_at(text, pos)
        tokens.append(token)


def _token_at(text: str, pos: int) -> tuple[_Token, int]:
    char = text[pos]
    if char in _SINGLE:
        return _Token(_SINGLE[char], char, pos + 1), pos + 1
    if char in "=<>":
        size = 2 if text[pos : pos + 2] in _TWO_CHARACTER_COMPARISONS else 1
        return _Token(_Kind.COMPARISON, text[pos : pos + size], pos + 1), pos + size
    if char == '"':
        end = _scan(text, pos + 1, frozenset('"'))
        if end == len(text):
            raise CqlError(
                CqlDiagnostic.INVALID_QUOTES, "missing closing quote", pos + 1, text, '"'
            )
        return _Token(_Kind.QUOTED, text[pos + 1 : end], pos + 1), end + 1
    end = _scan(text, pos, _WORD_STOPS)
    return _Token(_Kind.WORD, text[pos:end], pos + 1), end


def _scan(text: str, pos: int, stops: frozenset[str]) -> int:
    """Where a word or quoted string ends; a backslash shields the next character."""
    while pos < len(text) and text[pos] not in stops:
        pos += 2 if text[pos] == "\\" else 1
    return min(pos, len(text))


def _unescape(raw: str) -> str:
    """A backslash stands for the character after it; a lone one at the end for itself."""
    return re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)


# --- parser ------------------------------------------------------------------------------

_BOOLEANS = {operator.value: operator for operator in BooleanOperator}
_SORT_BY = "sortby"
_MAX_NESTING = 64
_MAX_BOOLEANS = 256
"""More would make trees deep enough to exhaust Python's stack when compared or printed."""

# Prefixes the query assigned so far, lower-cased; "" is the one for unprefixed indexes.
_Scope = Mapping[str, str]


def parse_cql(text: str) -> CqlNode:
    """Parse a CQL 1.2 query; raises CqlError (a QueryError) with the 1-based column."""
    return _Parser(text).parse()


class _Parser:
    """Recursive descent over the CQL 1.2 grammar; booleans are read in a loop."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.booleans = 0

    def parse(self) -> CqlNode:
        node = self._sorted_query({})
        token = self._current
        if token.kind is _Kind.RP:
            raise self._error(CqlDiagnostic.INVALID_PARENTHESES, "unbalanced ')'", token)
        if token.kind is not _Kind.END:
            expected = "sort key" if isinstance(node, SortedQuery) else "boolean operator"
            raise self._error(
                CqlDiagnostic.QUERY_SYNTAX_ERROR, f"{expected} expected, not {token.text!r}", token
            )
        return node

    @property
    def _current(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _error(self, code: CqlDiagnostic, message: str, token: _Token) -> CqlError:
        return CqlError(code, message, token.column, self.text, token.text or None)

    # sortedQuery ::= prefixAssignment sortedQuery | scopedClause ['sortBy' sortSpec]
    def _sorted_query(self, scope: _Scope) -> CqlNode:
        scope = self._prefix_assignments(scope)
        query = self._scoped_clause(scope)
        if not self._current.is_word(_SORT_BY):
            return query
        self.index += 1
        return SortedQuery(query, self._sort_spec(scope))

    # cqlQuery ::= prefixAssignment cqlQuery | scopedClause
    def _cql_query(self, scope: _Scope) -> SearchClause | BooleanClause:
        return self._scoped_clause(self._prefix_assignments(scope))

    # prefixAssignment ::= '>' prefix '=' uri | '>' uri
    def _prefix_assignments(self, scope: _Scope) -> _Scope:
        while self._current.kind is _Kind.COMPARISON and self._current.text == ">":
            self.index += 1
            first = self._term("prefix or context set URI")
            prefix, uri = "", first
            if self._current.kind is _Kind.COMPARISON and self._current.text == "=":
                self.index += 1
                prefix, uri = _unescape(first.text).lower(), self._term("context set URI")
            scope = {**scope, prefix: _unescape(uri.text)}
        return scope

    # scopedClause ::= scopedClause booleanGroup searchClause | searchClause
    def _scoped_clause(self, scope: _Scope) -> SearchClause | BooleanClause:
        node = self._search_clause(scope)
        while (token := self._current).kind is _Kind.WORD and token.text.lower() in _BOOLEANS:
            self.index += 1
            self.booleans += 1
            if self.booleans > _MAX_BOOLEANS:
                raise self._error(
                    CqlDiagnostic.TOO_MANY_BOOLEAN_OPERATORS,
                    f"more than {_MAX_BOOLEANS} boolean operators",
                    token,
                )
            modifiers = self._modifiers(scope)
            right = self._search_clause(scope)
            operator = _BOOLEANS[token.text.lower()]
            node = BooleanClause(operator, node, right, modifiers, token.column)
        return node

    # searchClause ::= '(' cqlQuery ')' | index relation searchTerm | searchTerm
    def _search_clause(self, scope: _Scope) -> SearchClause | BooleanClause:
        if self._current.kind is _Kind.LP:
            return self._parenthesised(scope)
        first = self._term("search term")
        if not self._at_relation():
            return SearchClause(
                "cql.serverChoice",
                Relation("=", column=first.column),
                first.text,
                scope.get("cql"),
                first.column,
                first.column,
            )
        index = _unescape(first.text)
        relation = self._relation(scope)
        term = self._term("search term")
        context_set = _assigned(scope, index, default=True)
        return SearchClause(index, relation, term.text, context_set, first.column, term.column)

    def _parenthesised(self, scope: _Scope) -> SearchClause | BooleanClause:
        opening = self._next()
        if self.depth == _MAX_NESTING:
            raise self._error(
                CqlDiagnostic.INVALID_PARENTHESES, "parentheses nested too deeply", opening
            )
        self.depth += 1
        node = self._cql_query(scope)
        self.depth -= 1
        if self._current.kind is not _Kind.RP:
            raise self._error(
                CqlDiagnostic.INVALID_PARENTHESES,
                f"')' expected for the '(' at column {opening.column}",
                self._current,
            )
        self.index += 1
        return node

    def _at_relation(self) -> bool:
        """After an index: a comparison symbol, or a name followed by modifiers or a term."""
        token = self._current
        if token.kind is _Kind.COMPARISON:
            return True
        if token.kind is not _Kind.WORD or token.is_word(_SORT_BY, *_BOOLEANS):
            return False
        following = self.tokens[self.index + 1]
        return following.kind is _Kind.SLASH or following.is_term()

    def _relation(self, scope: _Scope) -> Relation:
        token = self._next()
        name = token.text if token.kind is _Kind.COMPARISON else _unescape(token.text)
        modifiers = self._modifiers(scope)
        return Relation(name, modifiers, _assigned(scope, name), token.column)

    # modifierList ::= ('/' modifierName [comparitorSymbol modifierValue])+
    def _modifiers(self, scope: _Scope) -> tuple[Modifier, ...]:
        modifiers: list[Modifier] = []
        while self._current.kind is _Kind.SLASH:
            self.index += 1
            modifiers.append(self._modifier(scope))
        return tuple(modifiers)

    def _modifier(self, scope: _Scope) -> Modifier:
        name_token = self._term("modifier name")
        name = _unescape(name_token.text)
        if self._current.kind is not _Kind.COMPARISON:
            return Modifier(name, None, None, _assigned(scope, name), name_token.column)
        comparison = self._next().text
        value = _unescape(self._term("modifier value").text)
        return Modifier(name, comparison, value, _assigned(scope, name), name_token.column)

    # sortSpec ::= (index modifierList?)+
    def _sort_spec(self, scope: _Scope) -> tuple[SortSpec, ...]:
        keys: list[SortSpec] = []
        while self._current.is_term():
            token = self._next()
            index = _unescape(token.text)
            modifiers = self._modifiers(scope)
            context_set = _assigned(scope, index, default=True)
            keys.append(SortSpec(index, modifiers, context_set, token.column))
        if not keys:
            raise self._term_expected("sort key")
        return tuple(keys)

    def _term(self, what: str) -> _Token:
        if not self._current.is_term():
            raise self._term_expected(what)
        return self._next()

    def _term_expected(self, what: str) -> CqlError:
        token = self._current
        if token.kind is _Kind.END:
            message = f"{what} expected at end of query"
        else:
            message = f"{what} expected, not {token.text!r}"
        return self._error(CqlDiagnostic.QUERY_SYNTAX_ERROR, message, token)


def _assigned(scope: _Scope, name: str, default: bool = False) -> str | None:
    """The URI the query assigned to a name's prefix (``dc`` of ``dc.title``); for a name
    without a prefix, the query's default context set if ``default``."""
    prefix, dot, _ = name.partition(".")
    if dot:
        return scope.get(prefix.lower())
    return scope.get("") if default else None


# --- mapping files -----------------------------------------------------------------------


class CqlMappingError(ValueError):
    """A mapping file line that cannot be read; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"{message} (line {line})")
        self.message = message
        self.line = line


# YAZ spells these relations another way, since a key cannot hold "=".
_RELATION_ALIASES = {"==": "exact", "=": "eq", "<=": "le", ">=": "ge"}


@dataclass(frozen=True)
class CqlMapping:
    """A CQL-to-Bib-1 mapping in YAZ's properties format, with YAZ's lookup rules.

    ``context_sets`` maps prefixes (lower case; "" for unprefixed indexes) to URIs,
    ``properties`` the other keys (lower case) to their attributes.  A string attribute
    value may hold ``*``, which stands for the name looked up (``index.pass.* = 1=*``).
    """

    context_sets: Mapping[str, str] = field(default_factory=dict)
    properties: Mapping[str, tuple[AttributeElement, ...]] = field(default_factory=dict)

    def context_set(self, prefix: str) -> str | None:
        """The URI of a prefix ("" for indexes without one); ``cql`` is always known."""
        uri = self.context_sets.get(prefix.lower())
        if uri is None and prefix.lower() == "cql":
            return CQL_CONTEXT_SET
        return uri

    def prefix(self, uri: str) -> str | None:
        """The prefix this mapping knows a context set by (its first ``set.`` line)."""
        return next((p for p, u in self.context_sets.items() if p and u == uri), None)

    def lookup(
        self, category: str, name: str | None = None, prefix: str | None = None
    ) -> tuple[AttributeElement, ...] | None:
        """``category[.prefix].name``, else a relation's alias, else ``category[.prefix].*``;
        None when none is defined (an empty tuple is defined, with no attributes)."""
        stem = category if prefix is None else f"{category}.{prefix}"
        if name is None:
            return self.properties.get(stem.lower())
        candidates = [name]
        if category == "relation" and prefix is None and name in _RELATION_ALIASES:
            candidates.append(_RELATION_ALIASES[name])
        candidates.append("*")
        for candidate in candidates:
            found = self.properties.get(f"{stem}.{candidate}".lower())
            if found is not None:
                return tuple(_expand_wildcard(attribute, name) for attribute in found)
        return None


def _expand_wildcard(attribute: AttributeElement, name: str) -> AttributeElement:
    if not isinstance(attribute.value, str) or "*" not in attribute.value:
        return attribute
    value = attribute.value.replace("*", name)
    number: int | str = int(value) if value.isascii() and value.isdigit() else value
    return AttributeElement(attribute.type, number, attribute.attribute_set)


def load_cql_mapping(source: str | os.PathLike[str], base: CqlMapping | None = None) -> CqlMapping:
    """Read a mapping file: a path (PathLike, or a str naming an existing file) or the file's
    text.  With ``base``, the file's keys override base's and the rest of base stays.

    Raises CqlMappingError for lines YAZ would refuse or misread.
    """
    if isinstance(source, os.PathLike) or ("\n" not in source and os.path.isfile(source)):
        with open(source, encoding="utf-8") as file:
            mapping = _read_mapping(file.read())
    else:
        mapping = _read_mapping(source)
    if base is None:
        return mapping
    return CqlMapping(
        {**base.context_sets, **mapping.context_sets},
        {**base.properties, **mapping.properties},
    )


@functools.cache
def default_cql_mapping() -> CqlMapping:
    """shelfnet's own mapping (``cql.properties`` beside this module)."""
    text = resources.files("shelfnet.query").joinpath("cql.properties").read_text("utf-8")
    return _read_mapping(text)


_KEY_LINE = re.compile(r"\s*(?P<key>[^\s=]+)\s*=(?P<value>.*)")
_VALUE_TOKEN = re.compile(r"=|[^\s=]+")


def _read_mapping(text: str) -> CqlMapping:
    context_sets: dict[str, str] = {}
    properties: dict[str, tuple[AttributeElement, ...]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        if not content.strip():
            continue
        match = _KEY_LINE.fullmatch(content)
        if match is None:
            raise CqlMappingError(f"key = value expected, not {content.strip()!r}", number)
        key, tokens = match["key"].lower(), _VALUE_TOKEN.findall(match["value"])
        # As in YAZ, the first definition of a key is the one used.
        if key == "set" or key.startswith("set."):
            context_sets.setdefault(key[4:], _uri(tokens, number))
        else:
            properties.setdefault(key, _attributes(tokens, number))
    return CqlMapping(context_sets, properties)


def _uri(tokens: list[str], line: int) -> str:
    if len(tokens) != 1 or tokens[0] == "=":
        raise CqlMappingError("one context set URI expected (without '=')", line)
    return tokens[0]


def _attributes(tokens: list[str], line: int) -> tuple[AttributeElement, ...]:
    """``[set] type=value ...``; the set is an attribute set name or dotted OID."""
    attributes: list[AttributeElement] = []
    i = 0
    while i < len(tokens):
        attribute_set: str | None = None
        if i + 1 < len(tokens) and tokens[i + 1] != "=":
            attribute_set = attribute_set_oid(tokens[i])
            if attribute_set is None:
                raise CqlMappingError(f"unknown attribute set {tokens[i]!r}", line)
            i += 1
        if tokens[i + 1 : i + 2] != ["="] or i + 2 >= len(tokens) or tokens[i + 2] == "=":
            raise CqlMappingError(f"type=value expected at {' '.join(tokens[i:])!r}", line)
        attribute_type, value = tokens[i], tokens[i + 2]
        if not (attribute_type.isascii() and attribute_type.isdigit() and int(attribute_type)):
            raise CqlMappingError(f"attribute type must be a positive integer: {value!r}", line)
        attributes.append(AttributeElement(int(attribute_type), _value(value, line), attribute_set))
        i += 3
    return tuple(attributes)


def _value(text: str, line: int) -> int | str:
    if text[0].isascii() and text[0].isdigit():
        if not (text.isascii() and text.isdigit()):
            raise CqlMappingError(f"attribute value {text!r} is not a number", line)
        return int(text)
    return text


# --- CQL to RPN --------------------------------------------------------------------------

_OPERATOR_KINDS = {
    BooleanOperator.AND: OperatorKind.AND,
    BooleanOperator.OR: OperatorKind.OR,
    BooleanOperator.NOT: OperatorKind.AND_NOT,
    BooleanOperator.PROX: OperatorKind.PROX,
}
_PROXIMITY_RELATIONS = {"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5, "<>": 6}
_PROXIMITY_UNITS = {
    "character": 1,
    "word": 2,
    "sentence": 3,
    "paragraph": 4,
    "section": 5,
    "chapter": 6,
    "document": 7,
    "element": 8,
    "subelement": 9,
    "elementtype": 10,
    "byte": 11,
}
_WORD_LISTS = {"all": OperatorKind.AND, "any": OperatorKind.OR}
_RESULT_SET_INDEXES = frozenset({"resultsetid", "resultset"})
_UNPROCESSED_TERM_MODIFIERS = frozenset({"regexp", "unmasked"})
# What a search cannot do without, when the mapping lacks it.
_MISSING = {
    "relation": "unsupported relation {name!r}",
    "structure": "relation {name!r} has no structure in this mapping",
    "position": "anchoring not supported here (position {name!r})",
    "truncation": "masking character not supported (a {name} pattern)",
}
_MAX_OPERATORS = 512
"""More would make trees deep enough to exhaust Python's stack when compared or printed."""


def cql_to_rpn(node: CqlNode, mapping: CqlMapping | None = None) -> Query:
    """Map a parsed query to a Bib-1 type-1 query with ``mapping`` (cql.properties when
    None), as YAZ does; a sortBy clause is left out (see cql_sort_keys).

    Raises CqlError with the SRU diagnostic of the first part the mapping cannot express.
    """
    converter = _Converter(mapping if mapping is not None else default_cql_mapping())
    return Query(root=converter.convert(node), attribute_set=BIB1)


@dataclass
class _Pending:
    """A boolean clause whose operands are being mapped."""

    clause: BooleanClause
    proximity: Proximity | None


class _Converter:
    def __init__(self, mapping: CqlMapping) -> None:
        self.mapping = mapping
        self.operators = 0

    def convert(self, root: CqlNode) -> Node:
        # Post-order with an explicit stack: operands left to right, so the first error YAZ
        # would meet is the one raised.
        done: list[Node] = []
        pending: list[CqlNode | _Pending] = [root]
        while pending:
            item = pending.pop()
            if isinstance(item, _Pending):
                right, left = done.pop(), done.pop()
                kind = _OPERATOR_KINDS[item.clause.operator]
                column = item.clause.column
                done.append(self._operator(kind, left, right, column, item.proximity))
            elif isinstance(item, SortedQuery):
                pending.append(item.query)
            elif isinstance(item, BooleanClause):
                pending += [_Pending(item, self._proximity(item)), item.right, item.left]
            else:
                done.append(self._search_clause(item))
        return done[0]

    def _operator(
        self,
        kind: OperatorKind,
        left: Node,
        right: Node,
        column: int,
        proximity: Proximity | None = None,
    ) -> Operator:
        self.operators += 1
        if self.operators > _MAX_OPERATORS:
            raise CqlError(
                CqlDiagnostic.TOO_MANY_BOOLEAN_OPERATORS,
                f"the query needs more than {_MAX_OPERATORS} operators",
                column,
            )
        return Operator(kind, left, right, proximity)

    # --- booleans and proximity ---

    def _proximity(self, clause: BooleanClause) -> Proximity | None:
        """Prox's parameters from its modifiers (YAZ's defaults: distance 1 for words, else
        0; relation <=; unordered); other booleans take no modifiers."""
        if clause.operator is not BooleanOperator.PROX:
            if clause.modifiers:
                raise _unsupported_boolean_modifier(clause.modifiers[0])
            return None
        distance: int | None = None
        ordered, relation, unit = False, 2, 2
        # YAZ reads them last first, so the first of two that disagree wins.
        for modifier in reversed(clause.modifiers):
            name = self._bare(modifier.name, modifier.context_set)
            if name == "distance":
                relation, distance = _proximity_distance(modifier)
            elif name in ("ordered", "unordered"):
                ordered = name == "ordered"
            elif name == "unit":
                unit = _proximity_unit(modifier)
            else:
                raise _unsupported_boolean_modifier(modifier)
        if distance is None:
            distance = 1 if unit == 2 else 0
        return Proximity(
            exclusion=False, distance=distance, ordered=ordered, relation=relation, unit=unit
        )

    # --- search clauses ---

    def _search_clause(self, clause: SearchClause) -> Node:
        uri, name = self._index_context_set(clause)
        if uri in _CQL_CONTEXT_SETS and name.lower() in _RESULT_SET_INDEXES:
            return ResultSetId(_unescape(clause.term))
        relation = self._relation_name(clause.relation)
        column = clause.relation.column
        outer = [
            *(self.mapping.lookup("always") or ()),
            *self._required("relation", relation, column, CqlDiagnostic.UNSUPPORTED_RELATION),
            *self._required(
                "structure", relation, column, CqlDiagnostic.UNSUPPORTED_RELATION_AND_TERM
            ),
        ]
        kind = _WORD_LISTS.get(relation.lower())
        if kind is None:
            return self._term(clause, clause.term, outer, uri, name)
        words = clause.term.split()
        if not words:
            raise CqlError(
                CqlDiagnostic.EMPTY_TERM_UNSUPPORTED,
                f"no words to search for with {clause.relation.name}",
                clause.term_column,
                addinfo=clause.relation.name,
            )
        terms = [self._term(clause, word, outer, uri, name) for word in words]
        node: Node = terms[-1]
        for term in reversed(terms[:-1]):
            # Right-nested, as YAZ writes word lists: a AND (b AND c).
            node = self._operator(kind, term, node, clause.term_column)
        return node

    def _index_context_set(self, clause: SearchClause) -> tuple[str, str]:
        prefix, dot, name = clause.index.partition(".")
        if not dot:
            prefix, name = "", clause.index
        uri = clause.context_set or self.mapping.context_set(prefix)
        if uri is None:
            raise CqlError(
                CqlDiagnostic.UNSUPPORTED_CONTEXT_SET,
                f"unknown context set prefix {prefix!r}" if prefix else "no default context set",
                clause.column,
                addinfo=prefix or None,
            )
        return uri, name

    def _relation_name(self, relation: Relation) -> str:
        name = self._bare(relation.name, relation.context_set)
        if name is None:
            raise _unsupported(
                CqlDiagnostic.UNSUPPORTED_RELATION, "relation", relation.name, relation.column
            )
        return name

    def _bare(self, name: str, context_set: str | None) -> str | None:
        """A relation or modifier name without its prefix, or None for an unknown prefix."""
        prefix, dot, rest = name.partition(".")
        if not dot:
            return name.lower()
        if context_set is None and self.mapping.context_set(prefix) is None:
            return None
        return rest.lower()

    def _term(
        self, clause: SearchClause, raw: str, outer: list[AttributeElement], uri: str, name: str
    ) -> Term:
        modifiers = clause.relation.modifiers
        bare = {self._bare(m.name, m.context_set) for m in modifiers}
        inner: list[AttributeElement] = []
        cql_masking = self.mapping.lookup("truncation", "cql")
        if bare & _UNPROCESSED_TERM_MODIFIERS:
            text = _unescape(raw)
        elif cql_masking is not None:
            # The server reads CQL's own masking: the term goes as written.
            inner += cql_masking
            text = _unescape(raw)
        else:
            text = self._masked(raw, inner, clause.term_column)
        inner += self._index_attributes(clause, uri, name)
        for modifier in reversed(modifiers):
            inner += self._modifier_attributes(modifier)
        return Term(text, _as_sent([*outer, *inner]))

    def _masked(self, raw: str, attributes: list[AttributeElement], column: int) -> str:
        """Anchoring and masking, as YAZ reads them: ``^`` first or last anchors; ``*`` first
        or last truncates when the mapping can say so; any other ``*`` or ``?`` makes the
        term a Z39.58 pattern.  Adds their attributes and returns the term to send."""
        anchor, truncation, pattern = _masking_of(raw)
        position = {3: "firstAndLast", 1: "first", 2: "last", 0: "any"}[anchor]
        attributes += self._required(
            "position", position, column, CqlDiagnostic.ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION
        )
        raw = _strip(raw, anchor)
        if not pattern and truncation:
            kind = {3: "both", 1: "left", 2: "right"}[truncation]
            found = self.mapping.lookup("truncation", kind)
            if found is None:
                pattern = True
            else:
                attributes += found
                raw = _strip(raw, truncation)
        elif not pattern:
            attributes += self.mapping.lookup("truncation", "none") or ()
        if not pattern:
            return _unescape(raw)
        attributes += self._required(
            "truncation", "z3958", column, CqlDiagnostic.MASKING_CHARACTER_UNSUPPORTED
        )
        return _z3958(raw)

    def _index_attributes(
        self, clause: SearchClause, uri: str, name: str
    ) -> tuple[AttributeElement, ...]:
        prefix = self.mapping.prefix(uri)
        found = None if prefix is None else self.mapping.lookup("index", name, prefix)
        if found is None:
            raise _unsupported(
                CqlDiagnostic.UNSUPPORTED_INDEX, "index", clause.index, clause.column
            )
        return found

    def _modifier_attributes(self, modifier: Modifier) -> tuple[AttributeElement, ...]:
        name = self._bare(modifier.name, modifier.context_set)
        found = None if name is None else self.mapping.lookup("relationModifier", name)
        if found is None or modifier.comparison is not None:
            raise _unsupported(
                CqlDiagnostic.UNSUPPORTED_RELATION_MODIFIER,
                "relation modifier",
                modifier.name,
                modifier.column,
            )
        return found

    def _required(
        self, category: str, name: str, column: int, code: CqlDiagnostic
    ) -> tuple[AttributeElement, ...]:
        found = self.mapping.lookup(category, name)
        if found is None:
            message = _MISSING[category].format(name=name)
            raise CqlError(code, message, column, addinfo=name)
        return found


def _strip(raw: str, ends: int) -> str:
    """``raw`` less its first character (bit 1 of ``ends``) and its last (bit 2)."""
    return raw[ends & 1 : len(raw) - (ends & 2) // 2]


def _masking_of(raw: str) -> tuple[int, int, bool]:
    """Where ``raw`` has unescaped ``^`` and ``*`` at its ends (bit 1 first, bit 2 last),
    and whether it has a ``*`` elsewhere or a ``?`` (a Z39.58 pattern)."""
    anchor = truncation = 0
    pattern = False
    last = len(raw) - 1
    i = 0
    while i <= last:
        char = raw[i]
        if char == "\\" and i < last:
            i += 2
            continue
        edge = 1 if i == 0 else 2 if i == last else 0
        if char == "^":
            anchor |= edge
        elif char == "*":
            truncation |= edge
            pattern = pattern or edge == 0
        elif char == "?":
            pattern = True
        i += 1
    return anchor, truncation, pattern


def _z3958(raw: str) -> str:
    """A CQL term as a Z39.58 pattern: ``*`` is ``?``, ``?`` is ``#``, a literal ``?`` or
    ``#`` is escaped, and a backslash keeps ``?`` from taking a following digit as a count."""
    out: list[str] = []
    last = len(raw) - 1
    i = 0
    while i <= last:
        char = raw[i]
        if char == "\\" and i < last:
            i += 1
            char = raw[i]
            out.append("\\" + char if char in "#?" else char)
        elif char == "*":
            out.append("?\\" if i < last and raw[i + 1].isdigit() else "?")
        elif char == "?":
            out.append("#")
        else:
            out.append("\\#" if char == "#" else char)
        i += 1
    return "".join(out)


def _as_sent(attributes: Iterable[AttributeElement]) -> tuple[AttributeElement, ...]:
    """YAZ's order on the wire: last gathered first, and only the last of each type."""
    seen: set[int] = set()
    sent: list[AttributeElement] = []
    for attribute in reversed(list(attributes)):
        if attribute.type not in seen:
            seen.add(attribute.type)
            sent.append(attribute)
    return tuple(sent)


def _proximity_distance(modifier: Modifier) -> tuple[int, int]:
    relation = _PROXIMITY_RELATIONS.get(modifier.comparison or "")
    if relation is None:
        raise _unsupported(
            CqlDiagnostic.UNSUPPORTED_PROXIMITY_RELATION,
            "proximity relation",
            modifier.comparison or "",
            modifier.column,
        )
    value = modifier.value or ""
    if not (value.isascii() and value.isdigit()):
        raise _unsupported(
            CqlDiagnostic.UNSUPPORTED_PROXIMITY_DISTANCE,
            "proximity distance",
            value,
            modifier.column,
        )
    return relation, int(value)


def _proximity_unit(modifier: Modifier) -> int:
    unit = _PROXIMITY_UNITS.get((modifier.value or "").lower())
    if unit is None or modifier.comparison != "=":
        raise _unsupported(
            CqlDiagnostic.UNSUPPORTED_PROXIMITY_UNIT,
            "proximity unit",
            modifier.value or "",
            modifier.column,
        )
    return unit


def _unsupported_boolean_modifier(modifier: Modifier) -> CqlError:
    return _unsupported(
        CqlDiagnostic.UNSUPPORTED_BOOLEAN_MODIFIER,
        "boolean modifier",
        modifier.name,
        modifier.column,
    )


def _unsupported(code: CqlDiagnostic, what: str, name: str, column: int) -> CqlError:
    return CqlError(code, f"unsupported {what} {name!r}", column, addinfo=name)


# --- sortBy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CqlSortKey:
    """One sortBy key for a server to sort by.

    ``index`` as written and its ``context_set`` URI (None: the query did not assign its
    prefix); ``case_sensitive`` and ``missing`` None leave the choice to the server;
    ``missing`` is ``omit``, ``fail``, ``low``, ``high`` or ``value`` (then
    ``missing_value`` is the value to use).
    """

    index: str
    context_set: str | None = None
    ascending: bool = True
    case_sensitive: bool | None = None
    missing: str | None = None
    missing_value: str | None = None


# The sort context set's flags, by lower-case name.
_SORT_FLAGS: dict[str, Callable[[CqlSortKey], CqlSortKey]] = {
    "ascending": lambda key: replace(key, ascending=True),
    "descending": lambda key: replace(key, ascending=False),
    "respectcase": lambda key: replace(key, case_sensitive=True),
    "ignorecase": lambda key: replace(key, case_sensitive=False),
    "missingomit": lambda key: replace(key, missing="omit", missing_value=None),
    "missingfail": lambda key: replace(key, missing="fail", missing_value=None),
    "missinglow": lambda key: replace(key, missing="low", missing_value=None),
    "missinghigh": lambda key: replace(key, missing="high", missing_value=None),
}


def cql_sort_keys(node: CqlNode) -> tuple[CqlSortKey, ...]:
    """The sortBy keys of a query, in order; () when it has none.

    Modifiers are those of the sort context set, prefixed ``sort.`` or not.  Raises CqlError
    (SRU 80) for others, and for flags (``ascending`` and so on) given a value.
    """
    if not isinstance(node, SortedQuery):
        return ()
    return tuple(_sort_key(spec) for spec in node.sort)


def _sort_key(spec: SortSpec) -> CqlSortKey:
    key = CqlSortKey(spec.index, spec.context_set)
    for modifier in spec.modifiers:
        name = _sort_modifier_name(modifier)
        if name == "missingvalue" and modifier.comparison == "=":
            key = replace(key, missing="value", missing_value=modifier.value)
        elif name in _SORT_FLAGS and modifier.comparison is None:
            key = _SORT_FLAGS[name](key)
        else:
            raise _unsupported(
                CqlDiagnostic.SORT_NOT_SUPPORTED, "sort modifier", modifier.name, modifier.column
            )
    return key


def _sort_modifier_name(modifier: Modifier) -> str | None:
    prefix, dot, rest = modifier.name.partition(".")
    if not dot:
        return modifier.name.lower()
    if modifier.context_set == SORT_CONTEXT_SET or (
        modifier.context_set is None and prefix.lower() == "sort"
    ):
        return rest.lower()
    return None
