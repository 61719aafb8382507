"""Which records hold each index term, as compressed bitmaps, and searches run on them.

Beside its postings, every row of ``terms`` carries ``docs``: the ids of the records that
hold the term, as a Roaring bitmap in the portable serialisation (pyroaring, a binding of
CRoaring). ``record_sets`` keeps one more bitmap, ``all``: every record id. A one-word
search is then one row read however many records it finds, a truncated word is the union
of a few rows, and booleans are set algebra in C. Only what needs word positions (phrases,
first-in-field, proximity) reads postings, and then only within the records whose bitmaps
hold every word. Both stores (SQLite and PostgreSQL) keep the bitmaps in the transaction
that writes the postings, so the two never disagree; ``check`` verifies it.

``execute`` runs a plan against a ``PlanReader`` (what a store offers) and returns the
records found as a bitmap; ``ResultIds`` shows one as the ascending sequence of ids the
servers present from, without ever making a Python list of it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Protocol, overload

from pyroaring import BitMap

from shelfnet.catalog.indexing import Kind
from shelfnet.catalog.plan import (
    AllRecords,
    Boolean,
    BooleanOp,
    Lookup,
    Matcher,
    Near,
    Nothing,
    Plan,
)
from shelfnet.catalog.plansql import Dialect, PlanCompiler

ALL_RECORDS = "all"
"""The ``record_sets`` row that holds every record id."""
SCAN_FACTOR = 4
"""A phrase word held by more than this many times the records that hold every word of the
phrase has its postings read for those records only (an index look-up each), not all."""
MAX_CANDIDATES = 20_000
"""Above this many candidate records a phrase reads every posting of its first word: one
pass through them is cheaper than that many look-ups."""


def load(blob: bytes | None) -> BitMap:
    """A stored bitmap (an empty or missing blob is the empty set)."""
    return BitMap.deserialize(blob) if blob else BitMap()


def dump(ids: BitMap) -> bytes:
    ids.run_optimize()
    return bytes(ids.serialize())


def union(blobs: Iterable[bytes | None]) -> BitMap:
    maps = [load(blob) for blob in blobs]
    if not maps:
        return BitMap()
    return maps[0] if len(maps) == 1 else BitMap.union(*maps)


def by_term(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """(term id, record id) pairs grouped by term."""
    grouped: defaultdict[int, list[int]] = defaultdict(list)
    for term_id, record_id in pairs:
        grouped[term_id].append(record_id)
    return grouped


def updated_docs(
    current: Mapping[int, bytes | None],
    added: Mapping[int, Iterable[int]] | None = None,
    removed: Mapping[int, Iterable[int]] | None = None,
) -> tuple[list[tuple[bytes, int, int]], list[int]]:
    """New bitmaps for terms whose records changed.

    ``current`` holds every changed term's stored bitmap. Returns ``(docs, records, term
    id)`` rows to write, and the ids of the terms no record holds any more.
    """
    rows: list[tuple[bytes, int, int]] = []
    emptied: list[int] = []
    added = added or {}
    removed = removed or {}
    for term_id in sorted({*added, *removed}):
        docs = load(current.get(term_id))
        if term_id in removed:
            docs.difference_update(BitMap(removed[term_id]))
        if term_id in added:
            docs.update(added[term_id])
        if docs:
            rows.append((dump(docs), len(docs), term_id))
        else:
            emptied.append(term_id)
    return rows, emptied


def from_postings(postings: Iterable[tuple[int, int]]) -> Iterator[tuple[int, BitMap]]:
    """(term id, its records) from (term id, record id) pairs sorted by term id."""
    for term_id, pairs in groupby(postings, key=itemgetter(0)):
        yield term_id, BitMap(record_id for _term_id, record_id in pairs)


def mismatches(
    terms: Iterable[tuple[int, bytes | None]], postings: Iterable[tuple[int, int]]
) -> int:
    """How many terms' bitmaps differ from their postings. Both streams are sorted by term
    id; postings are (term id, record id). Postings of terms not in ``terms`` are left to
    the stores' own check."""
    expected = from_postings(postings)
    pending = next(expected, None)
    wrong = 0
    for term_id, blob in terms:
        while pending is not None and pending[0] < term_id:
            pending = next(expected, None)
        records = pending[1] if pending is not None and pending[0] == term_id else BitMap()
        wrong += load(blob) != records
    return wrong


def bitmap_problems(wrong_terms: int, records: BitMap, all_records: BitMap) -> list[str]:
    """What ``check`` says of the bitmaps: terms whose bitmap disagrees with their postings
    (``mismatches``), and a set of all records that is not the records there are."""
    problems = []
    if wrong_terms:
        problems.append(f"{wrong_terms} terms whose record bitmap disagrees with their postings")
    if records != all_records:
        problems.append(
            f"the set of all records lists {len(all_records - records)} that do not exist "
            f"and misses {len(records - all_records)}"
        )
    return problems


# --- searching ---------------------------------------------------------------------------


class PlanReader(Protocol):
    """What a store offers ``execute``: its SQL dialect and three kinds of read."""

    @property
    def dialect(self) -> Dialect: ...
    def blobs(self, sql: str, params: Sequence[object]) -> list[bytes]:
        """The first column of every row: stored bitmaps."""
        ...

    def ids(self, sql: str, params: Sequence[object]) -> list[int]:
        """The first column of every row: record ids."""
        ...

    def all_records(self) -> BitMap: ...


def execute(plan: Plan, reader: PlanReader) -> BitMap:
    """The ids of the records a plan finds."""
    if isinstance(plan, Boolean):
        left = execute(plan.left, reader)
        if not left and plan.op is not BooleanOp.OR:
            return left  # nothing AND x, nothing AND-NOT x: the right side need not run
        right = execute(plan.right, reader)
        if plan.op is BooleanOp.AND:
            return left & right
        if plan.op is BooleanOp.OR:
            return left | right
        return left - right
    if isinstance(plan, Lookup) and _one_word(plan):
        return _docs(plan.use, plan.kind, plan.words[0], reader)
    if isinstance(plan, Lookup):
        return _phrase(plan, reader)
    if isinstance(plan, Near):
        # Positions are needed: read postings only for the records that hold every word.
        candidates = _every_word(plan, reader)
        if not candidates:
            return candidates
        compiler = PlanCompiler(reader.dialect)
        within = list(candidates) if len(candidates) <= MAX_CANDIDATES else None
        sql = compiler.search_sql(plan, within=within)
        return BitMap(reader.ids(sql, compiler.params))
    if isinstance(plan, AllRecords):
        return reader.all_records()
    assert isinstance(plan, Nothing)
    return BitMap()


def one_read(plan: Plan) -> bool:
    """Whether ``execute`` reads the store once at most for a plan (one statement is one
    snapshot by itself; more need a transaction around them)."""
    if isinstance(plan, Lookup):
        return _one_word(plan)
    return isinstance(plan, AllRecords | Nothing)


def _one_word(plan: Lookup) -> bool:
    """A lookup its terms' bitmaps answer alone, without positions."""
    return len(plan.words) == 1 and not plan.first_in_field


def _phrase(plan: Lookup, reader: PlanReader) -> BitMap:
    """Records with the words of a lookup next to each other in one field, in order (or one
    word starting a field).

    Each word's postings give the places a phrase would start at if the word stood at its
    offset in it (``PlanCompiler.word_places_sql``); the phrase is where every word says
    so. The rarest word goes first, so the sets shrink fast. A word far commoner than the
    records holding every word is read for those records only.
    """
    words = [_docs(plan.use, plan.kind, word, reader) for word in plan.words]
    candidates = words[0]
    for docs in words[1:]:
        candidates = candidates & docs
        if not candidates:
            return candidates
    places: set[int] | None = None
    for offset in sorted(range(len(words)), key=lambda i: len(words[i])):
        compiler = PlanCompiler(reader.dialect)
        narrow = len(words[offset]) > SCAN_FACTOR * len(candidates)
        sql = compiler.word_places_sql(
            plan.use,
            plan.kind,
            plan.words[offset],
            offset,
            first_in_field=plan.first_in_field and offset == 0,
            within=list(candidates) if narrow else None,
        )
        found = set(reader.ids(sql, compiler.params))
        places = found if places is None else places & found
        if not places:
            return BitMap()
    assert places is not None
    return BitMap({place >> 32 for place in places})


def _docs(use: int, kind: Kind, word: Matcher, reader: PlanReader) -> BitMap:
    compiler = PlanCompiler(reader.dialect)
    return union(reader.blobs(compiler.docs_sql(use, kind, word), compiler.params))


def _every_word(plan: Lookup | Near, reader: PlanReader) -> BitMap:
    """The records holding every word of a phrase, or both sides of a proximity node."""
    if isinstance(plan, Near):
        left = _every_word(plan.left, reader)
        return left & _every_word(plan.right, reader) if left else left
    found: BitMap | None = None
    for word in plan.words:
        docs = _docs(plan.use, plan.kind, word, reader)
        found = docs if found is None else found & docs
        if not found:
            break
    return found if found is not None else BitMap()


class ResultIds(Sequence[int]):
    """Record ids in result order, from bitmaps: the ids of the first in ascending order,
    then those of the next, and so on (one bitmap for a result in id order, one per score
    for a ranked one). Length, indexing and slices come from the bitmaps themselves (rank
    and select), so a million hits never become a list of a million ints."""

    __slots__ = ("_length", "_parts", "_starts")

    def __init__(self, *parts: BitMap) -> None:
        self._parts = [part for part in parts if part]
        self._starts: list[int] = []
        length = 0
        for part in self._parts:
            self._starts.append(length)
            length += len(part)
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._range(start, stop)
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        part = bisect_right(self._starts, index) - 1
        return int(self._parts[part][index - self._starts[part]])

    def _range(self, start: int, stop: int) -> list[int]:
        found: list[int] = []
        if start >= stop:
            return found
        part = bisect_right(self._starts, start) - 1
        while part < len(self._parts) and self._starts[part] < stop:
            first = self._starts[part]
            ids = self._parts[part]
            found.extend(ids[max(start - first, 0) : min(stop - first, len(ids))])
            part += 1
        return found

    def __iter__(self) -> Iterator[int]:
        for part in self._parts:
            yield from part

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int) or not 0 <= value < 1 << 32:
            return False  # no record id; and a bitmap refuses to look such numbers up
        return any(value in part for part in self._parts)

    def __repr__(self) -> str:
        return f"ResultIds({self._length} ids)"
