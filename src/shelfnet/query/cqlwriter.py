"""RPN queries written as CQL, so that a query typed once in CCL or PQF can go to SRU targets.

rpn_to_cql runs cql_to_rpn backwards through the same mapping (``cql.properties`` unless told
otherwise).  For each term it looks for a search clause -- an index, a relation, relation
modifiers, and the term with its ``^`` anchors and ``*`` ``?`` masks -- that the mapping turns
into the term's attributes, and reads the clause back with parse_cql and cql_to_rpn before
using it, so a clause is never sent that would search for something else.  When several
clauses do, it takes the one with the fewest modifiers, then the first index in the mapping
file (``cql.serverChoice`` first, written as a bare term, then the indexes of the context set
unprefixed names belong to), then the fewest anchors, then the first relation of
``= == < <= >= > <> adj all any scr``.

"The same search" is the query cql_to_rpn reads back, up to these rules:

* attribute order does not matter, and there is one attribute per type;
* Bib-1 leaves an omitted attribute to the target; as in Zebra and YAZ's own mappings, relation
  equal (2=3), any position (3=3), no truncation (5=100) and incomplete subfield (6=1) are
  taken for what an omitted one means, so they may appear or vanish;
* a term without a use attribute is cql.serverChoice's, and one without a structure attribute
  takes whatever structure the mapping gives the clause: the target chooses either way;
* masking is part of the term: right truncation (5=1) of ``jaz`` and the Z39.58 pattern
  (5=104, or whatever ``truncation.z3958`` maps to) ``jaz?`` are the same search, ``jaz*``;
* for a term of one word (or none), word (4=2) and word list (4=6) are phrase (4=1); a word
  list of several words is ``all`` of them, the AND of a word term per word;
* CQL terms are strings, whether the RPN term was general, character string or numeric; a
  proximity operator without an exclusion flag is one without exclusion.

Proximity is written in full (``prox/unit=word/distance<=1``, then ``/ordered`` when ordered),
since SRU targets differ in their defaults.  Index and modifier names are written in lower
case, as CqlMapping keeps them; CQL names are case insensitive.

What cannot be written raises CqlWriteError (a QueryError) with the Bib-1 diagnostic a target
would answer for it: a result set operand (18), proximity with exclusion (110), an unknown or
private proximity unit (132), an attribute no index, relation, anchor, mask or modifier of the
mapping gives (114 use, 117 relation, 118 structure, 119 position, 120 truncation, 122
completeness, 113 other types), attributes no one clause gives together (123), a term without
a use attribute when the mapping has no cql.serverChoice (116), an attribute set the mapping
does not use (121), an OID, date-time or null term (229).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from shelfnet.query.cql import CqlError, CqlMapping, cql_to_rpn, default_cql_mapping, parse_cql
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
)

__all__ = ["CqlWriteError", "rpn_to_cql"]


class _Bib1(enum.IntEnum):
    """The Bib-1 diagnostics a query CQL cannot carry earns."""

    RESULT_SET_AS_TERM = 18
    MALFORMED_QUERY = 108
    OPERATOR_UNSUPPORTED = 110
    UNSUPPORTED_ATTRIBUTE_TYPE = 113
    UNSUPPORTED_USE = 114
    USE_REQUIRED = 116
    UNSUPPORTED_RELATION = 117
    UNSUPPORTED_STRUCTURE = 118
    UNSUPPORTED_POSITION = 119
    UNSUPPORTED_TRUNCATION = 120
    UNSUPPORTED_ATTRIBUTE_SET = 121
    UNSUPPORTED_COMPLETENESS = 122
    UNSUPPORTED_COMBINATION = 123
    UNSUPPORTED_PROXIMITY_RELATION = 131
    UNSUPPORTED_PROXIMITY_UNIT = 132
    UNSUPPORTED_TERM_TYPE = 229


class CqlWriteError(QueryError):
    """A query rpn_to_cql cannot write as CQL with the mapping it was given.

    ``bib1_code`` is the Bib-1 diagnostic a Z39.50 target would answer for the part CQL cannot
    carry (114 for a use attribute no index maps to...), ``addinfo`` that part (``1=9999``).
    The query was a tree, not text, so there is no column: str() is the sentence alone.
    """

    def __init__(self, bib1_code: int, message: str, addinfo: str | None = None) -> None:
        super().__init__(message, 0)
        self.bib1_code = int(bib1_code)
        self.addinfo = addinfo

    def __str__(self) -> str:
        return self.message


def rpn_to_cql(query: Query, mapping: CqlMapping | None = None) -> str:
    """CQL that ``mapping`` (cql.properties when None) maps back to the same search as
    ``query`` (see the module's rules); raises CqlWriteError for what CQL cannot carry."""
    mapping = mapping if mapping is not None else default_cql_mapping()
    return _Writer(mapping, query.attribute_set).write(query.root)


# --- what a term searches for ------------------------------------------------------------


class _Mask(enum.Enum):
    ANY = "any number of characters"  # CQL *, Z39.58 ?
    ONE = "one character"  # CQL ?, Z39.58 #


# A term's text as characters (str of length 1) and masks.
_Piece = str | _Mask
_Key = tuple[str, int]  # attribute set OID, attribute type
_Value = int | str

_USE, _RELATION, _POSITION, _STRUCTURE, _TRUNCATION, _COMPLETENESS = 1, 2, 3, 4, 5, 6
_TRUNCATION_KEY: _Key = (BIB1, _TRUNCATION)
_STRUCTURE_KEY: _Key = (BIB1, _STRUCTURE)
_NEUTRAL: Mapping[_Key, _Value] = {
    (BIB1, _RELATION): 3,
    (BIB1, _POSITION): 3,
    (BIB1, _TRUNCATION): 100,
    (BIB1, _COMPLETENESS): 1,
}
_PHRASE, _WORD, _WORD_LIST = 1, 2, 6
_EDGE_TRUNCATIONS = {1: (False, True), 2: (True, False), 3: (True, True)}
_Z3958 = 104


@dataclass(frozen=True)
class _Search:
    """A term in the form two equal searches share: masks in ``pieces``, attributes keyed by
    set and type, without neutral values and without the truncation the masks stand for."""

    pieces: tuple[_Piece, ...]
    attributes: Mapping[_Key, _Value]

    @property
    def has_use(self) -> bool:
        return any(attribute_type == _USE for _, attribute_type in self.attributes)

    def literal(self) -> str | None:
        """The text, when it has no masks."""
        chars = [piece for piece in self.pieces if isinstance(piece, str)]
        return "".join(chars) if len(chars) == len(self.pieces) else None


def _search(
    text: str,
    attributes: Iterable[AttributeElement],
    default_set: str,
    z3958: frozenset[_Value],
) -> _Search | None:
    """What a term searches for; None for a Z39.58 pattern with a ``?N`` mask (at most N
    characters), which CQL cannot write.  Raises CqlWriteError for two attributes of a type."""
    found: dict[_Key, _Value] = {}
    for attribute in attributes:
        key = _key(attribute, default_set)
        if found.setdefault(key, attribute.value) != attribute.value:
            raise CqlWriteError(
                _Bib1.UNSUPPORTED_COMBINATION,
                f"the term {text!r} has two {_type_name(attribute.type)} attributes, "
                f"{_attribute_text(key, found[key])} and {_attribute_text(key, attribute.value)}; "
                "a CQL search clause gives one",
                _attribute_text(key, attribute.value),
            )
    truncation = found.pop(_TRUNCATION_KEY, None)
    pieces: tuple[_Piece, ...] | None = tuple(text)
    if isinstance(truncation, int) and truncation in _EDGE_TRUNCATIONS:
        left, right = _EDGE_TRUNCATIONS[truncation]
        pieces = (_Mask.ANY,) * left + tuple(text) + (_Mask.ANY,) * right
    elif truncation in z3958:
        pieces = _z3958_pieces(text)
    elif truncation is not None and truncation != 100:
        found[_TRUNCATION_KEY] = truncation
    if pieces is None:
        return None
    for key, value in _NEUTRAL.items():
        if found.get(key) == value:
            del found[key]
    if found.get(_STRUCTURE_KEY) in (_WORD, _WORD_LIST) and _is_one_word(pieces):
        found[_STRUCTURE_KEY] = _PHRASE
    return _Search(pieces, found)


def _z3958_pieces(pattern: str) -> tuple[_Piece, ...] | None:
    """A Z39.58 pattern: ``?`` any characters, ``#`` one, a backslash keeps the next."""
    pieces: list[_Piece] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            pieces.append(pattern[i + 1])
            i += 2
            continue
        if char == "?" and pattern[i + 1 : i + 2].isdigit():
            return None
        pieces.append(_Mask.ANY if char == "?" else _Mask.ONE if char == "#" else char)
        i += 1
    return tuple(pieces)


def _key(attribute: AttributeElement, default_set: str = BIB1) -> _Key:
    return (attribute.attribute_set or default_set, attribute.type)


def _is_one_word(pieces: Sequence[_Piece]) -> bool:
    """No spaces: one word, or none (an empty word is an empty phrase)."""
    return not any(isinstance(p, str) and p.isspace() for p in pieces)


def _same(wanted: _Search, found: _Search) -> bool:
    """Whether ``found`` is the search ``wanted`` asks for; a use or structure attribute that
    ``wanted`` lacks is the target's choice, so any will do."""
    if wanted.pieces != found.pieces:
        return False
    for key in wanted.attributes.keys() | found.attributes.keys():
        if key not in wanted.attributes and _is_open(key, wanted):
            continue
        if wanted.attributes.get(key) != found.attributes.get(key):
            return False
    return True


def _is_open(key: _Key, wanted: _Search) -> bool:
    return key == _STRUCTURE_KEY or (key[1] == _USE and not wanted.has_use)


def _agrees(attributes: Iterable[AttributeElement], wanted: _Search) -> bool:
    """Whether attributes that will be sent can belong to ``wanted``.  Truncation is left to
    the final comparison: the masks decide it."""
    for attribute in attributes:
        key = _key(attribute)
        if key == _TRUNCATION_KEY or (key not in wanted.attributes and _is_open(key, wanted)):
            continue
        expected = wanted.attributes.get(key, _NEUTRAL.get(key))
        if attribute.value != expected and not _is_word_for_phrase(key, attribute, expected):
            return False
    return True


def _is_word_for_phrase(key: _Key, attribute: AttributeElement, expected: _Value | None) -> bool:
    # Word and word-list structure may turn out to be phrase for a one-word term.
    return key == _STRUCTURE_KEY and expected == _PHRASE and attribute.value in (_WORD, _WORD_LIST)


# --- the parts of a search clause --------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    """An index as written (``dc.title``; "" for cql.serverChoice) and its attributes."""

    written: str
    attributes: tuple[AttributeElement, ...]


@dataclass(frozen=True)
class _Relation:
    """A relation as written and its attributes with its structure, in the order gathered."""

    written: str
    attributes: tuple[AttributeElement, ...]


@dataclass(frozen=True)
class _Modifier:
    name: str
    attributes: tuple[AttributeElement, ...]


@dataclass(frozen=True)
class _Masking:
    """A term as written in CQL, as cql_to_rpn sends it, and the position and truncation
    attributes it gets."""

    written: str
    sent: str
    attributes: tuple[AttributeElement, ...]


@dataclass(frozen=True)
class _Clause:
    index: _Index
    relation: _Relation
    modifiers: tuple[_Modifier, ...]
    term: str

    def text(self) -> str:
        term = _quoted(self.term)
        if not self.index.written and self.relation.written == "=" and not self.modifiers:
            return term
        index = self.index.written or "cql.serverChoice"
        relation = self.relation.written + "".join(f"/{m.name}" for m in self.modifiers)
        if relation[0] not in "=<>":
            return f"{index} {relation} {term}"
        return f"{index}{relation}{' ' if self.modifiers else ''}{term}"


_RELATION_NAMES = ("=", "==", "<", "<=", ">=", ">", "<>", "adj", "all", "any", "scr")
# The mapping's keys for relations that cannot be keys themselves (see cql.py).
_RELATION_KEYS = frozenset({"eq", "exact", "le", "ge", "*"})
_WORD_LIST_RELATIONS = frozenset({"all", "any"})
_UNPROCESSED_TERM_MODIFIERS = frozenset({"regexp", "unmasked"})
# Position names of the mapping, and whether they anchor the first and the last character.
_POSITIONS = (
    ("any", False, False),
    ("first", True, False),
    ("last", False, True),
    ("firstAndLast", True, True),
)
_TRUNCATION_KINDS = ("none", "right", "left", "both", "z3958", "cql")
_MAX_MODIFIERS = 3
_SERVER_CHOICE = ("cql", "serverchoice")

# --- CQL text ----------------------------------------------------------------------------

_TERM_SPECIALS = '\\"*?^'
_QUOTED_SPECIALS = '\\"'
_BREAKS = frozenset('()=<>"/\\')
_KEYWORDS = frozenset({"and", "or", "not", "prox", "sortby"})


def _escape(text: str, specials: str) -> str:
    return "".join("\\" + char if char in specials else char for char in text)


def _is_word(text: str) -> bool:
    """Whether CQL reads ``text`` unquoted as one word (not a keyword, nothing to escape)."""
    return (
        bool(text)
        and text.lower() not in _KEYWORDS
        and not any(char in _BREAKS or char.isspace() for char in text)
    )


def _quoted(term: str) -> str:
    return term if _is_word(term) else f'"{term}"'


def _cql_masks(pieces: Sequence[_Piece]) -> str:
    return "".join(
        "*" if p is _Mask.ANY else "?" if p is _Mask.ONE else _escape(p, _TERM_SPECIALS)
        for p in pieces
    )


def _z3958_text(pieces: Sequence[_Piece]) -> str:
    """The pattern cql_to_rpn makes of the CQL _cql_masks writes for ``pieces``."""
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if piece is _Mask.ANY:
            following = pieces[i + 1] if i + 1 < len(pieces) else None
            out.append("?\\" if isinstance(following, str) and following.isdigit() else "?")
        elif piece is _Mask.ONE:
            out.append("#")
        else:
            out.append("\\" + piece if piece in "#?" else piece)
    return "".join(out)


# --- the writer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Join:
    """An operator whose operands are being written."""

    operator: Operator


class _Writer:
    def __init__(self, mapping: CqlMapping, attribute_set: str) -> None:
        self.mapping = mapping
        self.attribute_set = attribute_set
        self.indexes = _indexes(mapping)
        self.wildcards = _wildcard_indexes(mapping)
        self.relations = _relations(mapping)
        self.modifiers = _modifiers(mapping)
        self.always = mapping.lookup("always") or ()
        # What the mapping sends for a Z39.58 pattern is read as one, besides Bib-1's 104.
        patterns = mapping.lookup("truncation", "z3958") or ()
        self.z3958 = frozenset[_Value](
            {_Z3958, *(a.value for a in patterns if _key(a) == _TRUNCATION_KEY)}
        )
        every = [a for value in mapping.properties.values() for a in value]
        self.sets = frozenset({BIB1, *(a.attribute_set for a in every if a.attribute_set)})
        self.written: dict[Term, str] = {}

    def write(self, root: Node) -> str:
        # Post-order with an explicit stack, so deep trees cannot exhaust Python's.
        done: list[_Written] = []
        pending: list[Node | _Join] = [root]
        while pending:
            item = pending.pop()
            if isinstance(item, _Join):
                right, left = done.pop(), done.pop()
                done.append(_joined(item.operator, left, right))
            elif isinstance(item, Operator):
                pending += [_Join(item), item.right, item.left]
            elif isinstance(item, ResultSetId):
                raise CqlWriteError(
                    _Bib1.RESULT_SET_AS_TERM,
                    f"result set {item.name!r} lives on the Z39.50 target that made it; "
                    "CQL cannot send it to another target",
                    item.name,
                )
            else:
                if item not in self.written:
                    self.written[item] = self._clause(item)
                done.append((self.written[item], None))
        return done[0][0]

    def _clause(self, term: Term) -> str:
        if term.term_type not in (TermType.GENERAL, TermType.CHARACTER_STRING, TermType.NUMERIC):
            raise CqlWriteError(
                _Bib1.UNSUPPORTED_TERM_TYPE,
                f"CQL terms are strings; the {term.term_type.value} term {term.term!r} is not",
                term.term_type.value,
            )
        self._check_attribute_sets(term)
        wanted = _search(term.term, term.attributes, self.attribute_set, self.z3958)
        if wanted is None:
            raise CqlWriteError(
                _Bib1.UNSUPPORTED_TRUNCATION,
                f"the Z39.58 pattern {term.term!r} has a ?N mask (at most N characters), "
                "which CQL cannot write",
                term.term,
            )
        for clause in self._clauses(wanted, self.relations):
            text = clause.text()
            if self._reads_back(text, [wanted]):
                return text
        word_list = self._word_list(wanted)
        if word_list is None:
            raise self._unsupported(term, wanted)
        return word_list

    def _check_attribute_sets(self, term: Term) -> None:
        for attribute in term.attributes:
            oid = attribute.attribute_set or self.attribute_set
            if oid not in self.sets:
                names = ", ".join(sorted(attribute_set_name(s) for s in self.sets))
                raise CqlWriteError(
                    _Bib1.UNSUPPORTED_ATTRIBUTE_SET,
                    f"attribute set {attribute_set_name(oid)} has no CQL form: "
                    f"the CQL mapping gives attributes of {names} only",
                    oid,
                )

    def _clauses(self, wanted: _Search, relations: Sequence[_Relation]) -> Iterator[_Clause]:
        """Clauses the mapping turns into ``wanted``, the preferred first.  Attributes are
        gathered as in cql.py (always, relation, structure, position, truncation, index,
        modifiers last written first) and the last of a type wins, so they are added here
        last-gathered first, each only if its type is still free."""
        maskings: dict[bool, list[_Masking]] = {}
        indexes = self._indexes_for(wanted)
        for modifiers in self._modifier_sets(wanted):
            sent: dict[int, AttributeElement] = {}
            for modifier in modifiers:
                sent = _under(sent, modifier.attributes)
            unprocessed = any(m.name in _UNPROCESSED_TERM_MODIFIERS for m in modifiers)
            if unprocessed not in maskings:
                maskings[unprocessed] = self._maskings(wanted, unprocessed)
            for index in indexes:
                with_index = _under(sent, index.attributes)
                if not _agrees(with_index.values(), wanted):
                    continue
                for masking in maskings[unprocessed]:
                    with_masking = _under(with_index, masking.attributes)
                    for relation in relations:
                        if self._gives(wanted, masking, relation, with_masking):
                            yield _Clause(index, relation, modifiers, masking.written)

    def _gives(
        self,
        wanted: _Search,
        masking: _Masking,
        relation: _Relation,
        sent: dict[int, AttributeElement],
    ) -> bool:
        written = masking.written
        if relation.written in _WORD_LIST_RELATIONS and written.split() != [written]:
            return False  # all and any would make a term of each word
        final = _under(_under(sent, relation.attributes), self.always)
        found = _search(masking.sent, final.values(), BIB1, self.z3958)
        return found is not None and _same(wanted, found)

    def _reads_back(self, text: str, expected: Sequence[_Search]) -> bool:
        """Whether cql_to_rpn reads ``text`` as the terms ``expected``, ANDed if several."""
        try:
            root = cql_to_rpn(parse_cql(text), self.mapping).root
        except CqlError:
            return False
        terms = _and_operands(root)
        if len(terms) != len(expected):
            return False
        for term, wanted in zip(terms, expected, strict=True):
            if not isinstance(term, Term):
                return False
            found = _search(term.term, term.attributes, BIB1, self.z3958)
            if found is None or not _same(wanted, found):
                return False
        return True

    def _word_list(self, wanted: _Search) -> str | None:
        """A word list (4=6) of several words as ``all`` of them: a word term for each."""
        literal = wanted.literal()
        words = [] if literal is None else literal.split()
        if wanted.attributes.get(_STRUCTURE_KEY) != _WORD_LIST or not words:
            return None
        attributes = {**wanted.attributes, _STRUCTURE_KEY: _PHRASE}  # one word: phrase
        each = [_Search(tuple(word), attributes) for word in words]
        written = " ".join(_escape(word, _TERM_SPECIALS) for word in words)
        relations = [r for r in self.relations if r.written == "all"]
        for clause in self._clauses(each[0], relations):
            text = replace(clause, term=written).text()
            if self._reads_back(text, each):
                return text
        return None

    # --- the candidates ---

    def _indexes_for(self, wanted: _Search) -> list[_Index]:
        """A term without a use attribute is cql.serverChoice's; one with is any index's
        whose attributes may give it, wildcard ones (``index.dc.* = 1=*``) last."""
        if not wanted.has_use:
            return [index for index in self.indexes if not index.written]
        solved: list[_Index] = []
        for prefix, attributes in self.wildcards:
            name = _wildcard_name(attributes, wanted)
            found = None if name is None else self.mapping.lookup("index", name, prefix)
            if name is not None and found is not None:
                solved.append(_Index(f"{prefix}.{name}", found))
        return [*self.indexes, *solved]

    def _modifier_sets(self, wanted: _Search) -> Iterator[tuple[_Modifier, ...]]:
        usable = [m for m in self.modifiers if _agrees(m.attributes, wanted)]
        for size in range(min(len(usable), _MAX_MODIFIERS) + 1):
            yield from itertools.combinations(usable, size)

    def _maskings(self, wanted: _Search, unprocessed: bool) -> list[_Masking]:
        """Ways to write the term: as it is, where modifiers (regexp, unmasked) or the
        mapping (truncation.cql) leave masking to the target; else with anchors and masks."""
        cql_masking = self.mapping.lookup("truncation", "cql")
        if unprocessed or cql_masking is not None:
            text = wanted.literal()
            if text is None:
                return []
            attributes = () if unprocessed or cql_masking is None else cql_masking
            return [_Masking(_escape(text, _QUOTED_SPECIALS), text, attributes)]
        maskings: list[_Masking] = []
        for position, first, last in _POSITIONS:
            masking = self._masking(wanted.pieces, position, first, last)
            if masking is not None:
                maskings.append(masking)
        return maskings

    def _masking(
        self, pieces: tuple[_Piece, ...], position: str, first: bool, last: bool
    ) -> _Masking | None:
        """The term anchored as ``position`` says, and its masking as cql_to_rpn reads it:
        ``*`` at an end of the text (not beside an anchor) truncates when the mapping can say
        so; any other mask makes the term a Z39.58 pattern."""
        position_attributes = self.mapping.lookup("position", position)
        if position_attributes is None:
            return None
        kind = _masking_kind(pieces, first, last)
        truncation = self.mapping.lookup("truncation", kind)
        if truncation is None and kind in ("left", "right", "both"):
            kind, truncation = "z3958", self.mapping.lookup("truncation", "z3958")
        elif truncation is None and kind == "none":
            truncation = ()
        if truncation is None:
            return None
        if kind == "z3958":
            sent = _z3958_text(pieces)
        else:
            sent = "".join(p for p in pieces if isinstance(p, str))
        written = "^" * first + _cql_masks(pieces) + "^" * last
        return _Masking(written, sent, position_attributes + truncation)

    # --- what is missing ---

    def _unsupported(self, term: Term, wanted: _Search) -> CqlWriteError:
        if not wanted.has_use and not any(not index.written for index in self.indexes):
            return CqlWriteError(
                _Bib1.USE_REQUIRED,
                f"the term {term.term!r} has no use attribute, which CQL says with "
                "cql.serverChoice, and the CQL mapping has no cql.serverChoice",
            )
        for key, value in sorted(wanted.attributes.items(), key=lambda item: item[0][1]):
            if not self._gives_at_all(key, value, wanted):
                return _attribute_error(key, value)
        attributes = " ".join(
            _attribute_text(_key(a, self.attribute_set), a.value) for a in term.attributes
        )
        masked = any(isinstance(p, _Mask) for p in wanted.pieces)
        if masked and not self._maskings(wanted, unprocessed=False):
            return CqlWriteError(
                _Bib1.UNSUPPORTED_TRUNCATION,
                f"the CQL mapping has no truncation or masking for the masks of {term.term!r}",
                term.term,
            )
        masks = " and masks" if masked else ""
        return CqlWriteError(
            _Bib1.UNSUPPORTED_COMBINATION,
            f"no CQL search clause gives the term {term.term!r} with attributes "
            f"{attributes or '(none)'}{masks} together: the mapping's indexes, relations, "
            "anchors, masks and modifiers cannot be combined into it",
            attributes,
        )

    def _gives_at_all(self, key: _Key, value: _Value, wanted: _Search) -> bool:
        """Whether any entry of the mapping gives this attribute."""
        if key[1] == _USE and any(_wildcard_name(w, wanted) for _, w in self.wildcards):
            return True
        lookup = self.mapping.lookup
        entries: list[tuple[AttributeElement, ...]] = [
            *(index.attributes for index in self.indexes),
            *(relation.attributes for relation in self.relations),
            *(modifier.attributes for modifier in self.modifiers),
            *(lookup("position", position) or () for position, _, _ in _POSITIONS),
            *(lookup("truncation", kind) or () for kind in _TRUNCATION_KINDS),
            self.always,
        ]
        return any(
            _key(a) == key and (a.value == value or _is_word_for_phrase(key, a, value))
            for entry in entries
            for a in entry
        )


def _under(
    sent: Mapping[int, AttributeElement], gathered: tuple[AttributeElement, ...]
) -> dict[int, AttributeElement]:
    """``sent`` with attributes gathered before it: of those, the last of a type wins."""
    merged = dict(sent)
    for attribute in reversed(gathered):
        merged.setdefault(attribute.type, attribute)
    return merged


def _masking_kind(pieces: Sequence[_Piece], first: bool, last: bool) -> str:
    """``none``, ``left``, ``right``, ``both`` or ``z3958``, as cql_to_rpn would see the
    written term: an anchor takes the end it is at."""
    left = right = False
    end = len(pieces) - 1 + first + last
    for i, piece in enumerate(pieces):
        at = i + first
        if piece is _Mask.ONE or (piece is _Mask.ANY and 0 < at < end):
            return "z3958"
        if piece is _Mask.ANY:
            left, right = left or at == 0, right or at == end != 0
    return {(False, False): "none", (True, False): "left", (False, True): "right"}.get(
        (left, right), "both"
    )


def _and_operands(root: Node) -> list[Node]:
    operands: list[Node] = []
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, Operator) and node.kind is OperatorKind.AND:
            pending += [node.right, node.left]
        else:
            operands.append(node)
    return operands


_Written = tuple[str, OperatorKind | None]  # CQL, and the operator at its top


def _joined(operator: Operator, left: _Written, right: _Written) -> _Written:
    """CQL's booleans have one precedence, left to right: an operator on the right needs
    parentheses; one of another kind on the left gets them for the reader's sake."""
    left_text, left_kind = left
    right_text, right_kind = right
    if left_kind is not None and left_kind is not operator.kind:
        left_text = f"({left_text})"
    if right_kind is not None:
        right_text = f"({right_text})"
    return f"{left_text} {_boolean(operator)} {right_text}", operator.kind


_BOOLEANS = {OperatorKind.AND: "and", OperatorKind.OR: "or", OperatorKind.AND_NOT: "not"}
_PROXIMITY_UNITS = {
    1: "character",
    2: "word",
    3: "sentence",
    4: "paragraph",
    5: "section",
    6: "chapter",
    7: "document",
    8: "element",
    9: "subelement",
    10: "elementType",
    11: "byte",
}
_PROXIMITY_RELATIONS = {1: "<", 2: "<=", 3: "=", 4: ">=", 5: ">", 6: "<>"}


def _boolean(operator: Operator) -> str:
    if operator.kind is not OperatorKind.PROX:
        return _BOOLEANS[operator.kind]
    prox = operator.proximity or Proximity()
    if prox.exclusion:
        raise CqlWriteError(
            _Bib1.OPERATOR_UNSUPPORTED,
            "CQL's prox has no exclusion, so a proximity operator with exclusion has no CQL form",
            "exclusion",
        )
    unit = _PROXIMITY_UNITS.get(prox.unit) if prox.known_unit else None
    if unit is None:
        kind = "known" if prox.known_unit else "private"
        raise CqlWriteError(
            _Bib1.UNSUPPORTED_PROXIMITY_UNIT,
            f"CQL has no name for the {kind} proximity unit {prox.unit}",
            str(prox.unit),
        )
    relation = _PROXIMITY_RELATIONS.get(prox.relation)
    if relation is None:
        raise CqlWriteError(
            _Bib1.UNSUPPORTED_PROXIMITY_RELATION,
            f"proximity relation {prox.relation} is none of Z39.50's six, so CQL has none for it",
            str(prox.relation),
        )
    if prox.distance < 0:
        raise CqlWriteError(
            _Bib1.MALFORMED_QUERY,
            f"CQL proximity distances are not negative, and this one is {prox.distance}",
            str(prox.distance),
        )
    written = f"prox/unit={unit}/distance{relation}{prox.distance}"
    return written + "/ordered" if prox.ordered else written


# --- reading the mapping ------------------------------------------------------------------


def _indexes(mapping: CqlMapping) -> list[_Index]:
    """The mapping's indexes a query can name, cql.serverChoice first, then those of the
    default context set, then the others, each group in the file's order."""
    default_uri = mapping.context_set("")
    default_prefix = None if default_uri is None else mapping.prefix(default_uri)
    ranked: list[tuple[int, _Index]] = []
    for prefix, name in _index_names(mapping):
        attributes = mapping.lookup("index", name, prefix)
        if name == "*" or attributes is None:
            continue
        if (prefix, name) == _SERVER_CHOICE:
            ranked.append((0, _Index("", attributes)))
        else:
            rank = 1 if prefix == default_prefix else 2
            ranked.append((rank, _Index(f"{prefix}.{name}", attributes)))
    return [index for _, index in sorted(ranked, key=lambda item: item[0])]


def _wildcard_indexes(mapping: CqlMapping) -> list[tuple[str, tuple[AttributeElement, ...]]]:
    """``index.PREFIX.*`` entries: the prefix and the attributes as written, ``*`` and all."""
    return [
        (prefix, mapping.properties[f"index.{prefix}.*"])
        for prefix, name in _index_names(mapping)
        if name == "*"
    ]


def _index_names(mapping: CqlMapping) -> Iterator[tuple[str, str]]:
    """(prefix, name) of each ``index.`` key whose prefix a query can use, in file order."""
    for key in mapping.properties:
        category, _, rest = key.partition(".")
        prefix, dot, name = rest.partition(".")
        if category != "index" or not dot or not _is_word(prefix):
            continue
        if name != "*" and not _is_word(name):
            continue
        uri = mapping.context_set(prefix)
        # Another prefix for the same context set is read with the first one's indexes.
        if uri is not None and mapping.prefix(uri) == prefix:
            yield prefix, name


def _wildcard_name(attributes: tuple[AttributeElement, ...], wanted: _Search) -> str | None:
    """The name that makes a wildcard index's ``*`` value the one ``wanted`` has."""
    for attribute in attributes:
        if not isinstance(attribute.value, str) or attribute.value.count("*") != 1:
            continue
        value = wanted.attributes.get(_key(attribute))
        head, _, tail = attribute.value.partition("*")
        text = "" if value is None else str(value)
        if len(text) <= len(head) + len(tail) or not text.startswith(head):
            return None
        name = text[len(head) : len(text) - len(tail)]
        return name if text.endswith(tail) and _is_word(name) else None
    return None


def _relations(mapping: CqlMapping) -> list[_Relation]:
    extra = [
        key.partition(".")[2]
        for key in mapping.properties
        if key.startswith("relation.") and key.count(".") == 1
    ]
    names = dict.fromkeys(
        [*_RELATION_NAMES, *(n for n in extra if n not in _RELATION_KEYS and _is_word(n))]
    )
    relations: list[_Relation] = []
    for name in names:
        relation = mapping.lookup("relation", name)
        structure = mapping.lookup("structure", name)
        if relation is not None and structure is not None:
            relations.append(_Relation(name, relation + structure))
    return relations


def _modifiers(mapping: CqlMapping) -> list[_Modifier]:
    """Relation modifiers that send something, in the file's order."""
    modifiers: list[_Modifier] = []
    for key in mapping.properties:
        category, _, name = key.partition(".")
        if category != "relationmodifier" or name == "*" or not _is_word(name) or "." in name:
            continue
        attributes = mapping.lookup("relationModifier", name)
        if attributes:
            modifiers.append(_Modifier(name, attributes))
    return modifiers


# --- messages ----------------------------------------------------------------------------

_TYPES = {
    _USE: ("use", _Bib1.UNSUPPORTED_USE),
    _RELATION: ("relation", _Bib1.UNSUPPORTED_RELATION),
    _POSITION: ("position", _Bib1.UNSUPPORTED_POSITION),
    _STRUCTURE: ("structure", _Bib1.UNSUPPORTED_STRUCTURE),
    _TRUNCATION: ("truncation", _Bib1.UNSUPPORTED_TRUNCATION),
    _COMPLETENESS: ("completeness", _Bib1.UNSUPPORTED_COMPLETENESS),
}


def _type_name(attribute_type: int) -> str:
    return _TYPES[attribute_type][0] if attribute_type in _TYPES else f"type {attribute_type}"


def _attribute_text(key: _Key, value: _Value) -> str:
    attribute_set, attribute_type = key
    text = f"{attribute_type}={value}"
    return text if attribute_set == BIB1 else f"{attribute_set_name(attribute_set)} {text}"


def _attribute_error(key: _Key, value: _Value) -> CqlWriteError:
    text = _attribute_text(key, value)
    attribute_type = key[1]
    if attribute_type == _USE:
        message = f"no CQL index in the mapping searches use attribute {text}"
    elif attribute_type in _TYPES:
        message = (
            f"no CQL relation, anchor, mask or modifier in the mapping gives "
            f"{_type_name(attribute_type)} attribute {text}"
        )
    else:
        message = f"the CQL mapping gives no attributes of type {attribute_type} such as {text}"
    code = _TYPES[attribute_type][1] if attribute_type in _TYPES else None
    return CqlWriteError(code or _Bib1.UNSUPPORTED_ATTRIBUTE_TYPE, message, text)
