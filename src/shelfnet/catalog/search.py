"""Type-1 queries with Bib-1 attributes, turned into plans the store can run.

What each attribute type means here:

* **Use** (1): the indexes of ``shelfnet.catalog.indexing.Use``, by number or by name
  (``@attr 1=Title``); none given means Any (1016), as in Zebra. Zebra's
  ``@attr 1=_ALLRECORDS`` finds every record. Anything else: 114 with the value.
* **Relation** (2): 3 equal (default); 1 less, 2 less-or-equal, 4 greater-or-equal,
  5 greater and 6 not-equal compare numbers and need structure 4 (year) or 109 (numeric
  string), else 117, as in Zebra; 102 relevance ranks the result; 103 "always matches"
  finds every record with something in the index.
* **Position** (3): 3 any position (default), 1 first in field; 2 first in subfield: 119.
* **Structure** (4): 1 phrase, 2 word and 101 normalised name are all "these words next to
  each other in this order in one field" (the default too); 6 word list is every word
  anywhere (AND); 4 year and 109 numeric string compare numbers. Others: 118.
* **Truncation** (5): 100 none (default), 1 right, 2 left, 3 both (on the last and first
  word of a phrase, on every word of a word list), 101 ``#`` for any characters, 104
  Z39.58 (``#`` one character, ``?`` any, ``?3`` up to three), 102 a regular expression
  (Python syntax) per word, refused (125) when malformed, longer than 200 characters or
  with a repeated group that repeats inside. Others: 120.
* **Completeness** (6): 1 incomplete subfield (default, word search), 2 complete subfield,
  3 complete field: the term must be the whole (folded) subfield or field.

Attribute types outside 1-6 are 113; attribute sets other than Bib-1 are 121. Result-set
operands are 18: the server front end resolves ``@set`` itself. Proximity works in words
(unit 2, else 132) within one field, with any relation (else 131) and distance >= 0
(else 202); its operands must be word terms or other proximity nodes (else 3).

Other refusals: a term type other than general, character string or numeric (229), a term
longer than 1,024 characters (11), a non-number where structure 4 or 109 wants one (126),
more than 512 operands or 64 levels (6). Relevance (2=102) orders by tf-idf over the ranked
terms, ties by id; every other result is in id order, which is the order of addition.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pyroaring import BitMap

from shelfnet.backend import BackendError
from shelfnet.catalog import normalise
from shelfnet.catalog.docsets import ResultIds
from shelfnet.catalog.indexing import Kind, Use, index_names, query_heading, query_terms
from shelfnet.catalog.plan import (
    AllRecords,
    AnyTerm,
    Boolean,
    BooleanOp,
    Comparison,
    Exact,
    Glob,
    Lookup,
    Matcher,
    Near,
    Nothing,
    Number,
    Pattern,
    Plan,
    Prefix,
    lookups,
)
from shelfnet.catalog.store import CatalogStore
from shelfnet.query.rpn import (
    BIB1,
    AttributeElement,
    Node,
    Operator,
    OperatorKind,
    Proximity,
    Query,
    ResultSetId,
    Term,
    TermType,
)

ALL_RECORDS = "_allrecords"
MAX_NODES = 512
"""Operators and operands one query may hold (more: Bib-1 6, too many boolean operators)."""
MAX_DEPTH = 64
MAX_TERM_LENGTH = 1024
"""Characters of one term (more: Bib-1 11)."""
MAX_PATTERN_LENGTH = 200
_NESTED_REPETITION = re.compile(r"\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)[*+{]")

_USES = frozenset(int(use) for use in Use)
_INDEX_NAMES = index_names()
_COMPARISONS = {
    1: Comparison.LESS,
    2: Comparison.LESS_OR_EQUAL,
    3: Comparison.EQUAL,
    4: Comparison.GREATER_OR_EQUAL,
    5: Comparison.GREATER,
    6: Comparison.NOT_EQUAL,
}
_RELEVANCE, _ALWAYS_MATCHES = 102, 103
_RELATIONS = frozenset({*_COMPARISONS, _RELEVANCE, _ALWAYS_MATCHES})
_NUMERIC_STRUCTURES = frozenset({4, 109})
_STRUCTURES = frozenset({1, 2, 6, 101, *_NUMERIC_STRUCTURES})
_WORD_LIST = 6
_POSITIONS = frozenset({1, 3})
_RIGHT, _LEFT, _BOTH, _NONE, _HASH, _REGEX, _Z3958 = 1, 2, 3, 100, 101, 102, 104
_TRUNCATIONS = frozenset({_RIGHT, _LEFT, _BOTH, _NONE, _HASH, _REGEX, _Z3958})
_COMPLETENESS_KINDS = {1: Kind.WORD, 2: Kind.SUBFIELD, 3: Kind.FIELD}
_Z3958_MASK = re.compile(r"#|\?([0-9]*)")
_BOOLEANS = {
    OperatorKind.AND: BooleanOp.AND,
    OperatorKind.OR: BooleanOp.OR,
    OperatorKind.AND_NOT: BooleanOp.AND_NOT,
}
_WORD_UNIT = 2


@dataclass(frozen=True)
class Attributes:
    """The Bib-1 attributes of one term, defaults filled in."""

    use: int | str = int(Use.ANY)
    relation: int = 3
    position: int = 3
    structure: int | None = None
    truncation: int = _NONE
    completeness: int = 1


def plan_query(query: Query) -> Plan:
    """The plan for a query, or BackendError with the Bib-1 diagnostic it deserves."""
    _check_size(query.root)
    return _plan(query.root, query.attribute_set)


def run_search(store: CatalogStore, query: Query) -> Sequence[int]:
    """Record ids a query finds: by id, or by relevance when a term asked for it."""
    plan = plan_query(query)
    found = store.search(plan)
    ranked = [lookup for lookup in lookups(plan) if lookup.ranked]
    return rank(store, found, ranked, plan) if ranked and found else ResultIds(found)


def rank(
    store: CatalogStore, found: BitMap, ranked: Sequence[Lookup], plan: Plan | None = None
) -> ResultIds:
    """Order records by tf-idf over the ranked terms, then by id.

    Each match of a term in a record adds log(1 + records / records with the term). Records
    that match the same terms the same number of times score the same, so ranking splits
    the result into such classes, as bitmaps, one term at a time, and orders the classes;
    no record is scored one by one. Records no ranked term matches come last. When the
    ranked term is the whole ``plan``, ``found`` is what it holds: it is not searched again.
    """
    total = max(store.count(), 1)
    groups: list[tuple[float, BitMap]] = [(0.0, found)]
    for lookup in ranked:
        holding = found if lookup is plan else store.search(lookup)
        if not holding:
            continue
        weight = math.log(1 + total / len(holding))
        by_count: defaultdict[int, list[int]] = defaultdict(list)
        for record_id, count in store.repeats(lookup).items():
            by_count[count].append(record_id)
        repeated = {count: BitMap(ids) for count, ids in by_count.items()}
        once = holding - BitMap.union(BitMap(), *repeated.values())
        classes = [(weight, once), *((count * weight, ids) for count, ids in repeated.items())]
        split: list[tuple[float, BitMap]] = []
        for score, ids in groups:
            for gain, members in classes:
                part = ids & members
                if part:
                    split.append((score + gain, part))
            rest = ids - holding
            if rest:
                split.append((score, rest))
        groups = split
    by_score: dict[float, BitMap] = {}
    for score, ids in groups:
        by_score[score] = by_score[score] | ids if score in by_score else ids
    return ResultIds(*(by_score[score] for score in sorted(by_score, reverse=True)))


def _check_size(root: Node) -> None:
    # Walked without recursion: a hostile query must not reach Python's recursion limit.
    pending: list[tuple[Node, int]] = [(root, 1)]
    nodes = 0
    while pending:
        node, depth = pending.pop()
        nodes += 1
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            raise BackendError(6, f"at most {MAX_NODES} operands and {MAX_DEPTH} levels")
        if isinstance(node, Operator):
            pending.extend(((node.left, depth + 1), (node.right, depth + 1)))


def _plan(node: Node, attribute_set: str) -> Plan:
    if isinstance(node, Term):
        return term_plan(node, attribute_set)
    if isinstance(node, ResultSetId):
        raise BackendError(18, node.name)
    if node.kind is OperatorKind.PROX:
        return _near(node, attribute_set)
    left = _plan(node.left, attribute_set)
    right = _plan(node.right, attribute_set)
    return Boolean(_BOOLEANS[node.kind], left, right)


# --- proximity -------------------------------------------------------------------------


def _near(node: Operator, attribute_set: str) -> Plan:
    proximity = node.proximity or Proximity()
    _check_proximity(proximity)
    left = _near_operand(node.left, attribute_set)
    right = _near_operand(node.right, attribute_set)
    if left is None or right is None:
        return Nothing()
    return Near(
        left,
        right,
        distance=proximity.distance,
        comparison=_COMPARISONS[proximity.relation],
        ordered=proximity.ordered,
        exclusion=bool(proximity.exclusion),
    )


def _check_proximity(proximity: Proximity) -> None:
    if not proximity.known_unit:
        raise BackendError(132, f"private unit {proximity.unit}")
    if proximity.unit != _WORD_UNIT:
        raise BackendError(132, str(proximity.unit))
    if proximity.relation not in _COMPARISONS:
        raise BackendError(131, str(proximity.relation))
    if proximity.distance < 0:
        raise BackendError(202, str(proximity.distance))


def _near_operand(node: Node, attribute_set: str) -> Lookup | Near | None:
    """A proximity operand: a word lookup or another (non-exclusion) proximity node."""
    if isinstance(node, ResultSetId):
        raise BackendError(18, node.name)
    plan = _plan(node, attribute_set)
    if isinstance(plan, Nothing):
        return None
    if isinstance(plan, Lookup) and plan.kind is Kind.WORD:
        return plan
    if isinstance(plan, Near) and not plan.exclusion:
        return plan
    raise BackendError(3, "proximity works on word terms and proximity nodes only")


# --- terms -------------------------------------------------------------------------------


def attributes(term: Term, attribute_set: str = BIB1) -> Attributes:
    """A term's Bib-1 attributes, checked; the last of a type wins, as in YAZ."""
    values: dict[int, int | str] = {}
    for element in term.attributes:
        _check_element(element, attribute_set)
        values[element.type] = element.value
    use = values.get(1, int(Use.ANY))
    return Attributes(
        use=_use(use),
        relation=_number(values.get(2, 3), 117),
        position=_number(values.get(3, 3), 119),
        structure=None if 4 not in values else _number(values[4], 118),
        truncation=_number(values.get(5, _NONE), 120),
        completeness=_number(values.get(6, 1), 122),
    )


def _check_element(element: AttributeElement, attribute_set: str) -> None:
    oid = element.attribute_set or attribute_set
    if oid != BIB1:
        raise BackendError(121, oid)
    if not 1 <= element.type <= 6:
        raise BackendError(113, str(element.type))


def _number(value: int | str, code: int) -> int:
    if isinstance(value, str):
        raise BackendError(code, value)
    return value


def _use(value: int | str) -> int | str:
    if isinstance(value, str):
        name = value.lower()
        if name == ALL_RECORDS:
            return ALL_RECORDS
        if name in _INDEX_NAMES:
            return _INDEX_NAMES[name]
        raise BackendError(114, value)
    if value not in _USES:
        raise BackendError(114, str(value))
    return value


def term_plan(term: Term, attribute_set: str = BIB1) -> Plan:
    """The plan for one attributes-plus-term operand."""
    attrs = attributes(term, attribute_set)
    _check_values(attrs)
    text = _term_text(term)
    if attrs.use == ALL_RECORDS:
        return AllRecords()
    assert isinstance(attrs.use, int)
    use = attrs.use
    if attrs.relation == _ALWAYS_MATCHES:
        return Lookup(use, Kind.FIELD, (AnyTerm(),))
    if attrs.relation in (1, 2, 4, 5, 6) or attrs.structure in _NUMERIC_STRUCTURES:
        return _numeric(use, attrs, text)
    ranked = attrs.relation == _RELEVANCE
    kind = _COMPLETENESS_KINDS[attrs.completeness]
    if kind is not Kind.WORD:
        matcher = _heading_matcher(use, text, attrs.truncation)
        return Nothing() if matcher is None else Lookup(use, kind, (matcher,), ranked=ranked)
    matchers = _word_matchers(use, text, attrs)
    if not matchers:
        return Nothing()
    if attrs.structure == _WORD_LIST:
        return _all_of([Lookup(use, kind, (m,), ranked=ranked) for m in matchers])
    return Lookup(use, kind, tuple(matchers), first_in_field=attrs.position == 1, ranked=ranked)


def _check_values(attrs: Attributes) -> None:
    if attrs.relation not in _RELATIONS:
        raise BackendError(117, str(attrs.relation))
    if attrs.position not in _POSITIONS:
        raise BackendError(119, str(attrs.position))
    if attrs.structure is not None and attrs.structure not in _STRUCTURES:
        raise BackendError(118, str(attrs.structure))
    if attrs.truncation not in _TRUNCATIONS:
        raise BackendError(120, str(attrs.truncation))
    if attrs.completeness not in _COMPLETENESS_KINDS:
        raise BackendError(122, str(attrs.completeness))
    if attrs.relation in (1, 2, 4, 5, 6) and attrs.structure not in _NUMERIC_STRUCTURES:
        # As Zebra: ordering words makes no sense; say structure 4 or 109 for numbers.
        raise BackendError(117, str(attrs.relation))


def _term_text(term: Term) -> str:
    if term.term_type not in (TermType.GENERAL, TermType.CHARACTER_STRING, TermType.NUMERIC):
        raise BackendError(229, term.term_type.value)
    if len(term.term) > MAX_TERM_LENGTH:
        raise BackendError(11, f"{len(term.term)} characters, at most {MAX_TERM_LENGTH}")
    return term.term


def _all_of(plans: list[Lookup]) -> Plan:
    combined: Plan = plans[0]
    for plan in plans[1:]:
        combined = Boolean(BooleanOp.AND, combined, plan)
    return combined


def _numeric(use: int, attrs: Attributes, text: str) -> Plan:
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit():
        raise BackendError(126, f"{text!r} is not a number")
    comparison = _COMPARISONS.get(attrs.relation, Comparison.EQUAL)
    return Lookup(use, Kind.WORD, (Number(comparison, int(digits)),))


def _heading_matcher(use: int, text: str, truncation: int) -> Matcher | None:
    if truncation == _REGEX:
        return _pattern(normalise.fold_pattern(text.strip()))
    if truncation in (_HASH, _Z3958):
        heading = " ".join(normalise.masked_words(text, "#?"))
        return _masked(heading, truncation) if heading else None
    heading = query_heading(use, text)
    return _truncated(heading, truncation) if heading else None


def _word_matchers(use: int, text: str, attrs: Attributes) -> list[Matcher]:
    truncation = attrs.truncation
    if truncation == _REGEX:
        return [_pattern(normalise.fold_pattern(piece)) for piece in text.split()]
    if truncation in (_HASH, _Z3958):
        return [_masked(word, truncation) for word in normalise.masked_words(text, "#?")]
    words = query_terms(use, text)
    if not words:
        return []
    if attrs.structure == _WORD_LIST:
        return [_truncated(word, truncation) for word in words]
    matchers: list[Matcher] = [Exact(word) for word in words]
    if truncation in (_LEFT, _BOTH):
        matchers[0] = _truncated(words[0], _LEFT if len(words) > 1 else truncation)
    if truncation in (_RIGHT, _BOTH) and (len(words) > 1 or truncation == _RIGHT):
        matchers[-1] = _truncated(words[-1], _RIGHT)
    return matchers


def _truncated(word: str, truncation: int) -> Matcher:
    if truncation == _RIGHT:
        return Prefix(word)
    if truncation == _LEFT:
        return Glob("*" + _glob_escape(word))
    if truncation == _BOTH:
        return Glob("*" + _glob_escape(word) + "*")
    return Exact(word)


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _masked(word: str, truncation: int) -> Matcher:
    if truncation == _HASH:
        # Process '#': each '#' stands for any run of characters, as in Zebra.
        return Glob("*".join(_glob_escape(part) for part in word.split("#")))
    pieces: list[str] = []
    last = 0
    for mask in _Z3958_MASK.finditer(word):
        pieces.append(re.escape(word[last : mask.start()]))
        if mask[0] == "#":
            pieces.append(".")
        else:
            pieces.append(f".{{0,{int(mask[1])}}}" if mask[1] else ".*")
        last = mask.end()
    pieces.append(re.escape(word[last:]))
    return _pattern("".join(pieces))


def _pattern(regex: str) -> Matcher:
    # Python's re has no time limit: a repeated group that itself repeats ("(a+)+") can
    # backtrack for minutes on one long heading, so such patterns are refused.
    if len(regex) > MAX_PATTERN_LENGTH or _NESTED_REPETITION.search(regex):
        raise BackendError(125, f"{regex!r}: too long, or a repeated group that repeats")
    try:
        re.compile(regex)
    except (re.error, RecursionError, OverflowError) as exc:
        raise BackendError(125, f"{regex!r}: {exc}") from exc
    return Pattern(regex, literal_prefix(regex))


_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()")
_OPTIONAL = frozenset("*?{")


def literal_prefix(regex: str) -> str:
    """The characters every full match of ``regex`` starts with: its literal start, less a
    last character a quantifier makes optional ("" when the pattern has alternatives)."""
    if "|" in regex:
        return ""
    literal: list[str] = []
    position = 0
    while position < len(regex):
        char = regex[position]
        if char == "\\":
            escaped = regex[position + 1 : position + 2]
            if not escaped or escaped.isalnum() or escaped == "_":
                break  # \d, \w, \1 ...: classes and references, not characters
            literal.append(escaped)
            position += 2
            continue
        if char in _REGEX_SYNTAX:
            break
        literal.append(char)
        position += 1
    if literal and position < len(regex) and regex[position] in _OPTIONAL:
        literal.pop()
    return "".join(literal)
