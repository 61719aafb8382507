"""The catalogue's SQLite file: records, index terms, postings and sort keys.

All of SQLite's SQL lives here, but for searches: ``plansql`` turns plans into SQL for both
this store and the PostgreSQL one (``postgres``); ``CatalogStore`` is what both offer.

Tables
    ``meta``       key/value: schema version, indexing rules version, match point.
    ``records``    the record bytes exactly as received (ISO 2709; MARCXML arrives here as the
                   UTF-8 ISO 2709 pymarc writes from it), their character set and source
                   format, the match key, created/updated times. Ids come from AUTOINCREMENT
                   and are never reused, so a stale result set cannot fetch someone else's
                   record. Deletion is real: the row, its postings and sort keys go.
    ``terms``      one row per (index, kind, term) with the records holding it (``docs``, a
                   bitmap: ``shelfnet.catalog.docsets``) and their number, which is what
                   scan shows, and a display form for headings.
    ``postings``   (term, record, location); location = access point number << 16 | word
                   position, so words adjacent in one field are ``loc`` and ``loc + 1``.
    ``sort_keys``  one value per record and sortable index.
    ``record_sets`` named bitmaps of record ids: ``all``, every record.

The file is in WAL mode: any number of reader processes and threads search while one writer
imports. Every write is one transaction (``BEGIN IMMEDIATE``), so a writer killed midway
leaves the file as it was before that transaction. Each thread gets its own connection.
"""

from __future__ import annotations

import enum
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Self

from pyroaring import BitMap

from shelfnet.catalog import docsets
from shelfnet.catalog.connections import PerThread
from shelfnet.catalog.indexing import INDEXING_VERSION, IndexedRecord, Kind
from shelfnet.catalog.plan import Lookup, Plan
from shelfnet.catalog.plansql import SQLITE, PlanCompiler

SCHEMA_VERSION = 2

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    match_key TEXT,
    raw BLOB NOT NULL,
    charset TEXT NOT NULL,
    source_format TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_match_key ON records (match_key);
CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY,
    idx INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    term TEXT NOT NULL,
    records INTEGER NOT NULL,
    display TEXT,
    docs BLOB NOT NULL DEFAULT x'',
    UNIQUE (idx, kind, term)
);
CREATE TABLE IF NOT EXISTS postings (
    term_id INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    loc INTEGER NOT NULL,
    PRIMARY KEY (term_id, record_id, loc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_by_record ON postings (record_id);
CREATE TABLE IF NOT EXISTS sort_keys (
    record_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (record_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_sets (
    name TEXT PRIMARY KEY,
    docs BLOB NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
INSERT OR IGNORE INTO meta (key, value) VALUES ('indexing_version', '{INDEXING_VERSION}');
"""


@dataclass
class BatchPlan:
    """What one write batch does to the index, whichever the store: the last version of each
    record in the batch is the one indexed, and a record indexed before the batch loses its
    old postings first."""

    outcomes: list[tuple[Outcome, int]]
    to_index: dict[int, IndexedRecord]
    stale: list[int]
    """Records updated by the batch that were indexed before it."""

    @classmethod
    def of(
        cls, records: Sequence[NewRecord], upsert: Callable[[NewRecord], tuple[Outcome, int]]
    ) -> BatchPlan:
        plan = cls([], {}, [])
        for record in records:
            outcome, record_id = upsert(record)
            plan.outcomes.append((outcome, record_id))
            if outcome is Outcome.UNCHANGED:
                continue
            if outcome is Outcome.UPDATED and record_id not in plan.to_index:
                plan.stale.append(record_id)
            plan.to_index[record_id] = record.index
        return plan

    @property
    def added(self) -> list[int]:
        return [record_id for outcome, record_id in self.outcomes if outcome is Outcome.ADDED]


class StoreError(Exception):
    """The catalogue file cannot be used: newer schema, older index, not a catalogue."""


class Outcome(enum.Enum):
    """What writing one record did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class NewRecord:
    """A record ready to be written: bytes, what they are, their key and their index terms."""

    raw: bytes
    charset: str
    source_format: str
    match_key: str | None
    index: IndexedRecord


@dataclass(frozen=True)
class StoredRecord:
    id: int
    raw: bytes
    charset: str
    source_format: str
    match_key: str | None
    created: str
    updated: str


@dataclass(frozen=True)
class TermCount:
    """One line of a scan: the index term, the records holding it, its display form."""

    term: str
    records: int
    display: str | None = None


@dataclass(frozen=True)
class IndexSize:
    use: int
    kind: Kind
    terms: int
    postings: int


@dataclass(frozen=True)
class StoreStats:
    records: int
    by_charset: dict[str, int]
    by_source_format: dict[str, int]
    indexes: list[IndexSize]
    file_bytes: int
    match_point: str | None
    schema_version: int
    indexing_version: int


Clock = Callable[[], datetime]
TermKey = tuple[int, int, str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CatalogStore(Protocol):
    """What the catalogue asks of its storage; ``Store`` (SQLite, one file) and
    ``shelfnet.catalog.postgres.PostgresStore`` (a PostgreSQL database) both are one.

    Every method may be called from any thread. Writes are transactions: all or nothing.
    """

    location: str
    """The file or database URL, for messages."""
    errors: tuple[type[Exception], ...]
    """The database driver's errors (besides ``StoreError``)."""
    transient_errors: tuple[type[Exception], ...]
    """Those of ``errors`` worth trying again later (busy, locked, connection lost)."""

    @property
    def match_point(self) -> str | None: ...
    @property
    def indexing_version(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...
    def write_batch(
        self, records: Sequence[NewRecord], *, match_point: str
    ) -> list[tuple[Outcome, int]]: ...
    def rekey(self, match_point: str, key: Callable[[StoredRecord], str | None]) -> int: ...
    def reindex(self, indexer: Callable[[StoredRecord], IndexedRecord]) -> int: ...
    def delete(self, ids: Iterable[int] = (), keys: Iterable[str] = ()) -> list[int]: ...
    def records(self, ids: Sequence[int]) -> dict[int, StoredRecord]: ...
    def iter_records(self) -> Iterator[StoredRecord]: ...
    def count(self) -> int: ...
    def ids_for_keys(self, keys: Iterable[str]) -> dict[str, list[int]]: ...
    def search(self, plan: Plan) -> BitMap: ...
    def repeats(self, lookup: Lookup) -> dict[int, int]: ...
    def scan(
        self, use: int, kind: Kind, start: str, before: int, after: int
    ) -> tuple[list[TermCount], list[TermCount]]: ...
    def sort_values(self, ids: Sequence[int], use: int) -> dict[int, str]: ...
    def stats(self) -> StoreStats: ...
    def check(self) -> list[str]: ...


def is_database_url(location: str | os.PathLike[str]) -> bool:
    """Whether a catalogue location is a PostgreSQL URL rather than a file."""
    return str(location).startswith(("postgresql://", "postgres://"))


def open_store(location: str | os.PathLike[str], *, clock: Clock | None = None) -> CatalogStore:
    """The catalogue at a file path (SQLite) or a ``postgresql://`` URL."""
    options = {} if clock is None else {"clock": clock}
    if is_database_url(location):
        from shelfnet.catalog.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(str(location), **options)
    return Store(location, **options)


class Store:
    """One catalogue file. Safe to share between threads: each gets its own connection."""

    errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    transient_errors: tuple[type[Exception], ...] = (sqlite3.OperationalError,)

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock = _utc_now) -> None:
        self.path = Path(path)
        self.location = str(path)
        self._clock = clock
        self._connections = PerThread(lambda: _connect(self.path))
        self._create_schema()

    # --- connections and transactions -------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        """Close every thread's connection; the store must not be used afterwards."""
        self._connections.close_all()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _create_schema(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._transaction() as connection:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use {self.path} as a catalogue: {exc}") from exc
        version = int(self._meta("schema_version") or 0)
        if version == 1:
            self._upgrade_from_1()
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has catalogue schema {version}; this shelfnet reads "
                f"schema {SCHEMA_VERSION}"
            )

    def _upgrade_from_1(self) -> None:
        """Schema 1 had no bitmaps: make them from the postings, in one transaction."""
        with self._transaction() as connection:
            connection.execute("ALTER TABLE terms ADD COLUMN docs BLOB NOT NULL DEFAULT x''")
            # Streamed: SQLite lets one connection read postings while it writes terms.
            postings = connection.execute(
                "SELECT term_id, record_id FROM postings ORDER BY term_id, record_id"
            )
            updates = docsets.from_postings(postings)
            connection.executemany(
                "UPDATE terms SET docs = ? WHERE id = ?",
                ((docsets.dump(docs), term_id) for term_id, docs in updates),
            )
            ids = BitMap(row[0] for row in connection.execute("SELECT id FROM records"))
            _set_all_records(connection, ids)
            self._set_meta(connection, "schema_version", str(SCHEMA_VERSION))

    def _meta(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, connection: sqlite3.Connection, key: str, value: str) -> None:
        connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def match_point(self) -> str | None:
        """The match point the stored match keys were computed with (None: nothing yet)."""
        return self._meta("match_point")

    @property
    def indexing_version(self) -> int:
        """The version of the indexing rules the postings were made by."""
        return int(self._meta("indexing_version") or 0)

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    # --- writing --------------------------------------------------------------------

    def write_batch(
        self, records: Sequence[NewRecord], *, match_point: str
    ) -> list[tuple[Outcome, int]]:
        """Add or update records in one transaction, matching on ``match_key``.

        A record whose key is already stored replaces the oldest record with that key; one
        without a key (the record lacks the match point) is always added. A replacement with
        the same bytes is left alone (``UNCHANGED``), which makes re-running an interrupted
        import cheap. Returns each record's outcome and id, in order.
        """
        with self._transaction() as connection:
            self._claim_match_point(connection, match_point)
            now = self._now()
            batch = BatchPlan.of(records, lambda record: _upsert(connection, record, now))
            _unindex(connection, batch.stale)
            _index(connection, list(batch.to_index.items()))
            if batch.added:
                everything = _all_records(connection)
                everything.update(batch.added)
                _set_all_records(connection, everything)
        return batch.outcomes

    def _claim_match_point(self, connection: sqlite3.Connection, match_point: str) -> None:
        stored = connection.execute("SELECT value FROM meta WHERE key = 'match_point'").fetchone()
        if stored is None:
            self._set_meta(connection, "match_point", match_point)
        elif stored[0] != match_point:
            raise StoreError(
                f"the catalogue's match keys are {stored[0]}, not {match_point}: rekey it first"
            )

    def rekey(self, match_point: str, key: Callable[[StoredRecord], str | None]) -> int:
        """Recompute every match key for another match point, in one transaction."""
        with self._transaction() as connection:
            rows = connection.execute(f"SELECT {_RECORD_COLUMNS} FROM records").fetchall()
            updates = [(key(stored_record(row)), row[0]) for row in rows]
            connection.executemany("UPDATE records SET match_key = ? WHERE id = ?", updates)
            self._set_meta(connection, "match_point", match_point)
        return len(updates)

    def reindex(self, indexer: Callable[[StoredRecord], IndexedRecord]) -> int:
        """Rebuild every posting, term and sort key with the current indexing rules, in one
        transaction (readers see the old index until it commits)."""
        with self._transaction() as connection:
            connection.execute("DELETE FROM postings")
            connection.execute("DELETE FROM terms")
            connection.execute("DELETE FROM sort_keys")
            _set_all_records(
                connection, BitMap(row[0] for row in connection.execute("SELECT id FROM records"))
            )
            count = 0
            cursor = connection.execute(f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY id")
            while rows := cursor.fetchmany(500):
                # SQLite lets one connection read records while it writes other tables.
                _index(connection, [(row[0], indexer(stored_record(row))) for row in rows])
                count += len(rows)
            self._set_meta(connection, "indexing_version", str(INDEXING_VERSION))
        return count

    def delete(self, ids: Iterable[int] = (), keys: Iterable[str] = ()) -> list[int]:
        """Delete records by id and by match key, in one transaction; returns the ids gone."""
        with self._transaction() as connection:
            wanted = set(ids)
            for key in keys:
                rows = connection.execute("SELECT id FROM records WHERE match_key = ?", (key,))
                wanted.update(row[0] for row in rows)
            deleted = sorted(
                row[0]
                for row in connection.execute(
                    "SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(wanted)),),
                )
            )
            _unindex(connection, deleted)
            connection.executemany("DELETE FROM records WHERE id = ?", ((i,) for i in deleted))
            if deleted:
                everything = _all_records(connection)
                everything.difference_update(BitMap(deleted))
                _set_all_records(connection, everything)
        return deleted

    # --- reading records -------------------------------------------------------------

    def records(self, ids: Sequence[int]) -> dict[int, StoredRecord]:
        """The stored records among ``ids``, by id (deleted ones are missing)."""
        rows = self._connection().execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        return {row[0]: stored_record(row) for row in rows}

    def iter_records(self) -> Iterator[StoredRecord]:
        """Every record in id order, from one consistent snapshot."""
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            for row in connection.execute(f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY id"):
                yield stored_record(row)
        finally:
            connection.execute("COMMIT")

    def count(self) -> int:
        row = self._connection().execute("SELECT COUNT(*) FROM records").fetchone()
        return int(row[0])

    def ids_for_keys(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """The ids of the records with each match key, oldest first."""
        connection = self._connection()
        return {key: [r[0] for r in connection.execute(_IDS_FOR_KEY, (key,))] for key in set(keys)}

    # --- searching ---------------------------------------------------------------------

    def search(self, plan: Plan) -> BitMap:
        """Ids of the records a plan finds, read from one snapshot of the file."""
        connection = self._connection()
        if docsets.one_read(plan):
            return docsets.execute(plan, _Reader(connection))
        connection.execute("BEGIN")
        try:
            return docsets.execute(plan, _Reader(connection))
        finally:
            connection.execute("COMMIT")

    def repeats(self, lookup: Lookup) -> dict[int, int]:
        """The records a lookup matches more than once, and how often (for ranking)."""
        compiler = PlanCompiler(SQLITE)
        sql = compiler.repeats_sql(lookup)
        return dict(self._connection().execute(sql, compiler.params).fetchall())

    def scan(
        self, use: int, kind: Kind, start: str, before: int, after: int
    ) -> tuple[list[TermCount], list[TermCount]]:
        """Up to ``before`` terms preceding ``start`` (nearest first) and up to ``after``
        terms from ``start`` on, in one index."""
        connection = self._connection()
        preceding = connection.execute(_SCAN_BEFORE, (use, int(kind), start, before)).fetchall()
        following = connection.execute(_SCAN_AFTER, (use, int(kind), start, after)).fetchall()
        return [TermCount(*row) for row in preceding], [TermCount(*row) for row in following]

    def sort_values(self, ids: Sequence[int], use: int) -> dict[int, str]:
        """The sort key of index ``use`` of each record that has one."""
        rows = self._connection().execute(
            "SELECT record_id, value FROM sort_keys WHERE idx = ? "
            "AND record_id IN (SELECT value FROM json_each(?))",
            (use, json.dumps(list(ids))),
        )
        return dict(rows.fetchall())

    # --- statistics -------------------------------------------------------------------

    def stats(self) -> StoreStats:
        connection = self._connection()
        by_charset = dict(
            connection.execute("SELECT charset, COUNT(*) FROM records GROUP BY charset")
        )
        by_format = dict(
            connection.execute("SELECT source_format, COUNT(*) FROM records GROUP BY source_format")
        )
        postings = Counter(
            {
                (use, kind): count
                for use, kind, count in connection.execute(
                    "SELECT t.idx, t.kind, COUNT(*) FROM postings p JOIN terms t "
                    "ON t.id = p.term_id GROUP BY t.idx, t.kind"
                )
            }
        )
        indexes = [
            IndexSize(use, Kind(kind), terms, postings[(use, kind)])
            for use, kind, terms in connection.execute(
                "SELECT idx, kind, COUNT(*) FROM terms GROUP BY idx, kind ORDER BY idx, kind"
            )
        ]
        files = [self.path, Path(f"{self.path}-wal")]
        return StoreStats(
            records=sum(by_charset.values()),
            by_charset=by_charset,
            by_source_format=by_format,
            indexes=indexes,
            file_bytes=sum(p.stat().st_size for p in files if p.exists()),
            match_point=self.match_point,
            schema_version=int(self._meta("schema_version") or 0),
            indexing_version=self.indexing_version,
        )

    def check(self) -> list[str]:
        """SQLite's integrity check plus the catalogue's own invariants; [] when all is well."""
        connection = self._connection()
        problems = [
            row[0]
            for row in connection.execute("PRAGMA integrity_check")
            if row[0] != "ok"  # a healthy file answers one row, "ok"
        ]
        for sql, what in _INVARIANTS:
            count = connection.execute(sql).fetchone()[0]
            if count:
                problems.append(f"{count} {what}")
        connection.execute("BEGIN")
        try:
            wrong = docsets.mismatches(
                connection.execute("SELECT id, docs FROM terms ORDER BY id"),
                connection.execute("SELECT term_id, record_id FROM postings ORDER BY term_id"),
            )
            ids = BitMap(row[0] for row in connection.execute("SELECT id FROM records"))
            listed = _all_records(connection)
        finally:
            connection.execute("COMMIT")
        return problems + docsets.bitmap_problems(wrong, ids, listed)


# --- SQL used above -----------------------------------------------------------------------

_RECORD_COLUMNS = "id, raw, charset, source_format, match_key, created, updated"
_IDS_FOR_KEY = "SELECT id FROM records WHERE match_key = ? ORDER BY id"
_SCAN_BEFORE = (
    "SELECT term, records, display FROM terms WHERE idx = ? AND kind = ? AND term < ? "
    "ORDER BY term DESC LIMIT ?"
)
_SCAN_AFTER = (
    "SELECT term, records, display FROM terms WHERE idx = ? AND kind = ? AND term >= ? "
    "ORDER BY term LIMIT ?"
)
_INVARIANTS = (
    (
        "SELECT COUNT(*) FROM postings WHERE record_id NOT IN (SELECT id FROM records)",
        "postings of records that do not exist",
    ),
    (
        "SELECT COUNT(*) FROM postings WHERE term_id NOT IN (SELECT id FROM terms)",
        "postings of terms that do not exist",
    ),
    (
        "SELECT COUNT(*) FROM terms t WHERE records != "
        "(SELECT COUNT(DISTINCT record_id) FROM postings p WHERE p.term_id = t.id)",
        "terms whose record count is wrong",
    ),
)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE themselves.
    # check_same_thread=False only so that close() may run on another thread: each
    # connection is used by the one thread that opened it.
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    # NORMAL is crash-safe in WAL mode (a killed process loses nothing committed); only a
    # power failure may lose the last transactions, never consistency.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA temp_store = MEMORY")
    connection.execute("PRAGMA cache_size = -16000")
    connection.execute("PRAGMA mmap_size = 268435456")
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    return connection


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _regexp(pattern: str, value: str) -> bool:
    """SQLite's ``value REGEXP pattern``: the whole term must match."""
    compiled = _compiled(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


def stored_record(row: tuple[object, ...]) -> StoredRecord:
    record_id, raw, charset, source_format, match_key, created, updated = row
    assert isinstance(record_id, int) and isinstance(raw, bytes)
    return StoredRecord(
        id=record_id,
        raw=raw,
        charset=str(charset),
        source_format=str(source_format),
        match_key=None if match_key is None else str(match_key),
        created=str(created),
        updated=str(updated),
    )


def _upsert(connection: sqlite3.Connection, record: NewRecord, now: str) -> tuple[Outcome, int]:
    existing = None
    if record.match_key is not None:
        existing = connection.execute(
            "SELECT id, raw, charset FROM records WHERE match_key = ? ORDER BY id LIMIT 1",
            (record.match_key,),
        ).fetchone()
    if existing is None:
        cursor = connection.execute(
            "INSERT INTO records (match_key, raw, charset, source_format, created, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (record.match_key, record.raw, record.charset, record.source_format, now, now),
        )
        assert cursor.lastrowid is not None
        return Outcome.ADDED, cursor.lastrowid
    record_id, raw, charset = existing
    if raw == record.raw and charset == record.charset:
        return Outcome.UNCHANGED, record_id
    connection.execute(
        "UPDATE records SET raw = ?, charset = ?, source_format = ?, updated = ? WHERE id = ?",
        (record.raw, record.charset, record.source_format, now, record_id),
    )
    return Outcome.UPDATED, record_id


def _unindex(connection: sqlite3.Connection, record_ids: Sequence[int]) -> None:
    """Take records out of the index: postings, term bitmaps and counts, sort keys."""
    if not record_ids:
        return
    wanted = json.dumps(list(record_ids))
    removed = docsets.by_term(
        connection.execute(
            "SELECT term_id, record_id FROM postings "
            "WHERE record_id IN (SELECT value FROM json_each(?))",
            (wanted,),
        )
    )
    current = dict(
        connection.execute(
            "SELECT id, docs FROM terms WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(removed)),),
        )
    )
    rows, emptied = docsets.updated_docs(current, removed=removed)
    connection.executemany("UPDATE terms SET docs = ?, records = ? WHERE id = ?", rows)
    connection.executemany("DELETE FROM terms WHERE id = ?", ((i,) for i in emptied))
    for table in ("postings", "sort_keys"):
        connection.execute(
            f"DELETE FROM {table} WHERE record_id IN (SELECT value FROM json_each(?))", (wanted,)
        )


def _index(connection: sqlite3.Connection, records: Sequence[tuple[int, IndexedRecord]]) -> None:
    """Write the postings, term bitmaps and counts, and sort keys of records just written
    (new ones, or old ones just taken out of the index)."""
    if not records:
        return
    _counts, displays = term_counts(records)
    connection.executemany(
        "INSERT INTO terms (idx, kind, term, records, display) VALUES (?, ?, ?, 0, ?) "
        "ON CONFLICT (idx, kind, term) DO UPDATE SET "
        "display = coalesce(display, excluded.display)",
        ((*key, displays.get(key)) for key in _counts),
    )
    found = _term_ids(connection, _counts.keys())
    rows = [
        (found[(use, kind, term)][0], record_id, loc)
        for record_id, indexed in records
        for use, kind, term, loc in indexed.postings
    ]
    # In primary-key order, the B-tree fills page by page instead of all over the place.
    rows.sort()
    connection.executemany(
        "INSERT OR IGNORE INTO postings (term_id, record_id, loc) VALUES (?, ?, ?)", rows
    )
    added = docsets.by_term((term_id, record_id) for term_id, record_id, _loc in rows)
    current = {term_id: docs for term_id, docs in found.values()}
    updates, _emptied = docsets.updated_docs(current, added=added)
    connection.executemany("UPDATE terms SET docs = ?, records = ? WHERE id = ?", updates)
    connection.executemany(
        "INSERT OR REPLACE INTO sort_keys (record_id, idx, value) VALUES (?, ?, ?)",
        (
            (record_id, use, value)
            for record_id, indexed in records
            for use, value in indexed.sort_keys.items()
        ),
    )


def _all_records(connection: sqlite3.Connection) -> BitMap:
    row = connection.execute(
        "SELECT docs FROM record_sets WHERE name = ?", (docsets.ALL_RECORDS,)
    ).fetchone()
    return docsets.load(None if row is None else row[0])


def _set_all_records(connection: sqlite3.Connection, ids: BitMap) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO record_sets (name, docs) VALUES (?, ?)",
        (docsets.ALL_RECORDS, docsets.dump(ids)),
    )


class _Reader:
    """``docsets.PlanReader`` on one SQLite connection."""

    dialect = SQLITE

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def blobs(self, sql: str, params: Sequence[object]) -> list[bytes]:
        return [row[0] for row in self._connection.execute(sql, params)]

    def ids(self, sql: str, params: Sequence[object]) -> list[int]:
        return [row[0] for row in self._connection.execute(sql, params)]

    def all_records(self) -> BitMap:
        return _all_records(self._connection)


def term_counts(
    records: Sequence[tuple[int, IndexedRecord]],
) -> tuple[Counter[TermKey], dict[TermKey, str]]:
    """How many of ``records`` hold each (index, kind, term), and the terms' display forms."""
    counts: Counter[TermKey] = Counter()
    displays: dict[TermKey, str] = {}
    for _record_id, indexed in records:
        counts.update({(use, kind, term) for use, kind, term, _loc in indexed.postings})
        for key, shown in indexed.displays.items():
            displays.setdefault(key, shown)
    return counts, displays


def _term_ids(
    connection: sqlite3.Connection, keys: Iterable[tuple[int, int, str]]
) -> dict[tuple[int, int, str], tuple[int, bytes]]:
    """The id and record bitmap of each term."""
    # One join through a temporary table instead of a query per term.
    connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS wanted_terms (idx INTEGER, kind INTEGER, term TEXT)"
    )
    connection.execute("DELETE FROM wanted_terms")
    connection.executemany("INSERT INTO wanted_terms VALUES (?, ?, ?)", keys)
    rows = connection.execute(
        "SELECT w.idx, w.kind, w.term, t.id, t.docs FROM wanted_terms w JOIN terms t "
        "ON t.idx = w.idx AND t.kind = w.kind AND t.term = w.term"
    )
    found = {(use, kind, term): (term_id, docs) for use, kind, term, term_id, docs in rows}
    connection.execute("DELETE FROM wanted_terms")
    return found
