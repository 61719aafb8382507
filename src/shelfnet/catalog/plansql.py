"""Plans (``shelfnet.catalog.plan``) to one SQL statement, for SQLite and for PostgreSQL.

Both stores keep the same tables (``terms``, ``postings``, ``records``), so a plan is the
same statement on both but for a few spellings: the parameter marker, two-argument min and
max, and how a term is matched by a pattern. A ``Dialect`` holds those; everything else is
shared, which is what makes the two stores give the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shelfnet.catalog.indexing import POSITION_BITS, Kind
from shelfnet.catalog.plan import (
    AllRecords,
    AnyTerm,
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
)

_POSITION_MASK = (1 << POSITION_BITS) - 1
# Above every character a term can hold: the end of a prefix range.
MAX_CHAR = "\U0010ffff"

MatcherSql = Callable[[str, Matcher], tuple[str, list[object]]]
"""(parameter marker, matcher) -> condition on ``term`` and its parameters (pattern kinds)."""


@dataclass(frozen=True)
class Dialect:
    param: str
    least: str
    greatest: str
    no_rows: str
    """A one-column statement that finds nothing."""
    pattern: MatcherSql
    """The condition for ``Glob``, ``Pattern`` and ``Number`` matchers."""
    member: Callable[[str, Sequence[int]], tuple[str, object]]
    """(column, ids) -> "the column is one of the ids" and its one parameter."""


def _sqlite_pattern(p: str, matcher: Matcher) -> tuple[str, list[object]]:
    if isinstance(matcher, Glob):
        return f"term GLOB {p}", [matcher.pattern]
    if isinstance(matcher, Pattern):
        return f"term REGEXP {p}", [matcher.regex]
    assert isinstance(matcher, Number)
    return (
        f"term GLOB '[0-9]*' AND NOT term GLOB '*[^0-9]*' "
        f"AND CAST(term AS INTEGER) {matcher.comparison.value} {p}",
        [matcher.value],
    )


def _postgres_pattern(p: str, matcher: Matcher) -> tuple[str, list[object]]:
    # PostgreSQL's own regular expressions (``~``), anchored: GLOB and Python's fullmatch
    # accept a term when the whole term matches.
    if isinstance(matcher, Glob):
        return f"term ~ {p}", [glob_to_regex(matcher.pattern)]
    if isinstance(matcher, Pattern):
        return f"term ~ {p}", [f"^(?:{matcher.regex})$"]
    assert isinstance(matcher, Number)
    # CASE keeps the cast away from terms that are not numbers (AND has no fixed order);
    # numeric has no overflow where SQLite's INTEGER would saturate.
    return (
        f"CASE WHEN term ~ '^[0-9]+$' THEN CAST(term AS numeric) END "
        f"{matcher.comparison.value} {p}",
        [matcher.value],
    )


def _sqlite_member(column: str, ids: Sequence[int]) -> tuple[str, object]:
    return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(ids))


def _postgres_member(column: str, ids: Sequence[int]) -> tuple[str, object]:
    return f"{column} = ANY(%s)", list(ids)


SQLITE = Dialect(
    "?",
    "min",
    "max",
    "SELECT NULL AS record_id WHERE 0",
    _sqlite_pattern,
    _sqlite_member,
)
POSTGRES = Dialect(
    "%s",
    "LEAST",
    "GREATEST",
    "SELECT CAST(NULL AS bigint) AS record_id WHERE false",
    _postgres_pattern,
    _postgres_member,
)


def glob_to_regex(pattern: str) -> str:
    """An SQLite GLOB pattern as an anchored POSIX regular expression (``*``, ``?``, sets)."""
    out = ["^"]
    position = 0
    while position < len(pattern):
        char = pattern[position]
        end = pattern.find("]", position + 2) if char == "[" else -1
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif end != -1:
            members = pattern[position + 1 : end]
            if len(members) == 1:
                out.append(_literal(members))  # "[*]": how search.py escapes one character
            else:
                negated = members.startswith("^")
                body = members[1:] if negated else members
                out.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\") + "]")
            position = end
        else:
            out.append(_literal(char))
        position += 1
    out.append("$")
    return "".join(out)


def _literal(char: str) -> str:
    return "\\" + char if not char.isalnum() and char != "_" and char.isascii() else char


@dataclass
class PlanCompiler:
    """Turns a plan into one statement: every node a named CTE (``n1``, ``n2``, ...), so that
    deep trees never nest SQL deeper than SQLite's parser allows."""

    dialect: Dialect
    ctes: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)
    within: Sequence[int] | None = None
    """When set, postings are read for these records only (the candidates)."""

    def search_sql(self, plan: Plan, *, within: Sequence[int] | None = None) -> str:
        """Ids of the records a plan finds, ascending; ``within`` limits the postings read
        to those records."""
        self.within = within
        root = self.records(plan)
        return f"{self.with_clause()} SELECT record_id FROM {root} ORDER BY record_id"

    def docs_sql(self, use: int, kind: Kind, matcher: Matcher) -> str:
        """The stored record bitmaps (``docs``) of the terms a matcher accepts."""
        sql, params = self._terms(use, kind, matcher, column="docs")
        self.params.extend(params)
        return sql

    def word_places_sql(
        self,
        use: int,
        kind: Kind,
        matcher: Matcher,
        offset: int,
        *,
        first_in_field: bool = False,
        within: Sequence[int] | None = None,
    ) -> str:
        """Where a phrase holding this word as its ``offset``-th would start: one integer,
        record id << 32 | location - offset, per posting (places before the field's start
        left out). The places of a phrase are those every one of its words gives."""
        p = self.dialect.param
        terms_sql, params = self._terms(use, kind, matcher)
        where = f"term_id IN ({terms_sql}) AND (loc & {_POSITION_MASK}) >= {p}"
        params.append(offset)
        if first_in_field:
            where += f" AND (loc & {_POSITION_MASK}) = 0"
        if within is not None:
            member, member_param = self.dialect.member("record_id", within)
            where += f" AND {member}"
            params.append(member_param)
        self.params.extend([offset, *params])  # the SELECT's marker comes first
        return f"SELECT record_id * {1 << 32} + loc - {p} FROM postings WHERE {where}"

    def repeats_sql(self, lookup: Lookup) -> str:
        """(record_id, matches) for the records a lookup matches more than once."""
        name = self.positions(lookup)
        return (
            f"{self.with_clause()} SELECT record_id, COUNT(*) FROM {name} "
            "GROUP BY record_id HAVING COUNT(*) > 1"
        )

    def with_clause(self) -> str:
        return "WITH " + ", ".join(self.ctes)

    def _add(self, sql: str, params: Sequence[object] = ()) -> str:
        name = f"n{len(self.ctes) + 1}"
        self.ctes.append(f"{name} AS ({sql})")
        self.params.extend(params)
        return name

    def records(self, plan: Plan) -> str:
        """A CTE of the record ids (column ``record_id``) a plan finds."""
        if isinstance(plan, Lookup | Near) and not (isinstance(plan, Near) and plan.exclusion):
            return self._add(f"SELECT DISTINCT record_id FROM {self.positions(plan)}")
        if isinstance(plan, Near):
            left, right = self.positions(plan.left), self.positions(plan.right)
            near = self._near(plan, left, right)
            return self._add(
                f"SELECT record_id FROM {left} INTERSECT SELECT record_id FROM {right} "
                f"EXCEPT SELECT record_id FROM {near}"
            )
        if isinstance(plan, AllRecords):
            return self._add("SELECT id AS record_id FROM records")
        if isinstance(plan, Nothing):
            return self._add(self.dialect.no_rows)
        left, right = self.records(plan.left), self.records(plan.right)
        return self._add(
            f"SELECT record_id FROM {left} {plan.op.value} SELECT record_id FROM {right}"
        )

    def positions(self, plan: Lookup | Near) -> str:
        """A CTE of matches with their place: ``record_id``, ``first`` and ``last`` loc."""
        if isinstance(plan, Near):
            return self._near(plan, self.positions(plan.left), self.positions(plan.right))
        joins: list[str] = []
        params: list[object] = []
        last = "p0"
        for number, matcher in enumerate(plan.words[1:], start=1):
            alias = f"p{number}"
            terms_sql, terms_params = self._terms(plan.use, plan.kind, matcher)
            joins.append(
                f"JOIN postings {alias} ON {alias}.record_id = p0.record_id "
                f"AND {alias}.loc = {last}.loc + 1 AND {alias}.term_id IN ({terms_sql})"
            )
            params.extend(terms_params)
            last = alias
        first_sql, first_params = self._terms(plan.use, plan.kind, plan.words[0])
        where = f"p0.term_id IN ({first_sql})"
        if plan.first_in_field:
            where += f" AND (p0.loc & {_POSITION_MASK}) = 0"
        if self.within is not None:
            member, member_param = self.dialect.member("p0.record_id", self.within)
            where += f" AND {member}"
            first_params = [*first_params, member_param]
        return self._add(
            f"SELECT p0.record_id AS record_id, p0.loc AS first, {last}.loc AS last "
            f"FROM postings p0 {' '.join(joins)} WHERE {where}",
            [*params, *first_params],
        )

    def _near(self, plan: Near, left: str, right: str) -> str:
        if plan.ordered:
            gap = "CASE WHEN r.first > l.last THEN r.first - l.last END"
        else:
            gap = (
                "CASE WHEN r.first > l.last THEN r.first - l.last "
                "WHEN l.first > r.last THEN l.first - r.last END"
            )
        d = self.dialect
        return self._add(
            f"SELECT l.record_id AS record_id, {d.least}(l.first, r.first) AS first, "
            f"{d.greatest}(l.last, r.last) AS last FROM {left} l JOIN {right} r "
            f"ON r.record_id = l.record_id AND (r.first >> {POSITION_BITS}) = "
            f"(l.first >> {POSITION_BITS}) WHERE ({gap}) {plan.comparison.value} {d.param}",
            [plan.distance],
        )

    def _terms(
        self, use: int, kind: Kind, matcher: Matcher, column: str = "id"
    ) -> tuple[str, list[object]]:
        """A subquery of the ids (or another column) of the terms a matcher accepts in one
        index."""
        p = self.dialect.param
        base = f"SELECT {column} FROM terms WHERE idx = {p} AND kind = {p}"
        params: list[object] = [use, int(kind)]
        if isinstance(matcher, Exact):
            return f"{base} AND term = {p}", [*params, matcher.term]
        if isinstance(matcher, Prefix):
            return f"{base} AND term >= {p} AND term < {p}", [
                *params,
                matcher.prefix,
                matcher.prefix + MAX_CHAR,
            ]
        if isinstance(matcher, AnyTerm):
            return base, params
        if isinstance(matcher, Pattern) and matcher.prefix:
            base += f" AND term >= {p} AND term < {p}"
            params += [matcher.prefix, matcher.prefix + MAX_CHAR]
        condition, more = self.dialect.pattern(p, matcher)
        return f"{base} AND {condition}", [*params, *more]
