"""The catalogue in a PostgreSQL database: the tables of ``store`` (SQLite), same answers.

For large catalogues and several server processes sharing one catalogue. The tables and
their meaning are those of ``shelfnet.catalog.store``; searches are the same SQL
(``plansql``) but for PostgreSQL's own regular expressions (``~``) in place of GLOB and
REGEXP. Terms and sort keys are ``COLLATE "C"``: code point order, as SQLite compares, so
scans list terms in the same order and the prefix ranges use the B-tree.

Concurrency: readers never wait (MVCC); each read is one statement, hence one snapshot.
Writers take a transaction-level advisory lock, so writes from any number of processes run
one after another, as SQLite's ``BEGIN IMMEDIATE`` makes them. That keeps "a known match
key updates the oldest record with that key" exact when two processes import the same
records at once; ``terms`` is unique on (index, kind, term) all the same. Each thread has
its own connection, opened on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from pyroaring import BitMap

from shelfnet.catalog import docsets
from shelfnet.catalog.connections import PerThread
from shelfnet.catalog.indexing import INDEXING_VERSION, IndexedRecord, Kind
from shelfnet.catalog.plan import Lookup, Plan
from shelfnet.catalog.plansql import POSTGRES, PlanCompiler
from shelfnet.catalog.store import (
    SCHEMA_VERSION,
    BatchPlan,
    Clock,
    IndexSize,
    NewRecord,
    Outcome,
    StoredRecord,
    StoreError,
    StoreStats,
    TermCount,
    stored_record,
    term_counts,
)

# Any constant will do, as long as every shelfnet process uses the same one.
_WRITE_LOCK = 0x5E1F_CA7A

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    match_key text,
    raw bytea NOT NULL,
    charset text NOT NULL,
    source_format text NOT NULL,
    created text NOT NULL,
    updated text NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_match_key ON records (match_key, id);
CREATE TABLE IF NOT EXISTS terms (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idx integer NOT NULL,
    kind integer NOT NULL,
    term text COLLATE "C" NOT NULL,
    records integer NOT NULL,
    display text,
    docs bytea NOT NULL DEFAULT '\\x',
    UNIQUE (idx, kind, term)
);
CREATE TABLE IF NOT EXISTS postings (
    term_id bigint NOT NULL,
    record_id bigint NOT NULL,
    loc bigint NOT NULL,
    PRIMARY KEY (term_id, record_id, loc)
);
CREATE INDEX IF NOT EXISTS postings_by_record ON postings (record_id);
CREATE TABLE IF NOT EXISTS sort_keys (
    record_id bigint NOT NULL,
    idx integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    PRIMARY KEY (record_id, idx)
);
CREATE TABLE IF NOT EXISTS record_sets (
    name text PRIMARY KEY,
    docs bytea NOT NULL
);
INSERT INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}')
    ON CONFLICT DO NOTHING;
INSERT INTO meta (key, value) VALUES ('indexing_version', '{INDEXING_VERSION}')
    ON CONFLICT DO NOTHING;
"""

_RECORD_COLUMNS = "id, raw, charset, source_format, match_key, created, updated"
_BATCH = 500


Connection = psycopg.Connection[tuple[object, ...]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PostgresStore:
    """One catalogue in one PostgreSQL database (``postgresql://user@host:port/name``)."""

    errors: tuple[type[Exception], ...] = (psycopg.Error,)
    transient_errors: tuple[type[Exception], ...] = (
        psycopg.OperationalError,
        psycopg.errors.SerializationFailure,
        psycopg.errors.DeadlockDetected,
    )

    def __init__(self, url: str, *, clock: Clock = _utc_now) -> None:
        self.location = url
        self._clock = clock
        # autocommit: a read is one statement and one snapshot; writes open transactions
        self._connections: PerThread[Connection] = PerThread(
            lambda: psycopg.connect(url, autocommit=True), usable=lambda c: not c.closed
        )
        try:
            self._create_schema()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot use {url} as a catalogue: {exc}") from exc

    # --- connections and transactions -------------------------------------------------

    def _connection(self) -> Connection:
        return self._connections.get()

    def close(self) -> None:
        """Close every thread's connection; the store must not be used afterwards."""
        self._connections.close_all()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction, one writer at a time over every process."""
        connection = self._connection()
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield connection

    def _create_schema(self) -> None:
        with self._transaction() as connection:
            connection.execute(_SCHEMA)
        version = int(self._meta("schema_version") or 0)
        if version == 1:
            self._upgrade_from_1()
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.location} has catalogue schema {version}; this shelfnet reads "
                f"schema {SCHEMA_VERSION}"
            )

    def _upgrade_from_1(self) -> None:
        """Schema 1 had no bitmaps: make them from the postings, in one transaction."""
        with self._transaction() as connection:
            connection.execute(
                "ALTER TABLE terms ADD COLUMN IF NOT EXISTS docs bytea NOT NULL DEFAULT '\\x'"
            )
            with connection.cursor(name="upgrade_postings") as postings:
                postings.itersize = 10_000
                postings.execute(
                    "SELECT term_id, record_id FROM postings ORDER BY term_id, record_id"
                )
                updates = docsets.from_postings((_int(t), _int(r)) for t, r in postings)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        "UPDATE terms SET docs = %s WHERE id = %s",
                        ((docsets.dump(docs), term_id) for term_id, docs in updates),
                    )
            ids = BitMap(_id(row) for row in connection.execute("SELECT id FROM records"))
            _set_all_records(connection, ids)
            self._set_meta(connection, "schema_version", str(SCHEMA_VERSION))

    def _meta(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, connection: Connection, key: str, value: str) -> None:
        connection.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def match_point(self) -> str | None:
        """The match point the stored match keys were computed with (None: nothing yet)."""
        return self._meta("match_point")

    @property
    def indexing_version(self) -> int:
        return int(self._meta("indexing_version") or 0)

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    # --- writing --------------------------------------------------------------------

    def write_batch(
        self, records: Sequence[NewRecord], *, match_point: str
    ) -> list[tuple[Outcome, int]]:
        """As ``Store.write_batch``: add or update records in one transaction."""
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

    def _claim_match_point(self, connection: Connection, match_point: str) -> None:
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
            with connection.cursor() as cursor:
                cursor.executemany("UPDATE records SET match_key = %s WHERE id = %s", updates)
            self._set_meta(connection, "match_point", match_point)
        return len(updates)

    def reindex(self, indexer: Callable[[StoredRecord], IndexedRecord]) -> int:
        """Rebuild every posting, term and sort key, in one transaction."""
        with self._transaction() as connection:
            # DELETE, not TRUNCATE: readers go on seeing the old index until this commits.
            connection.execute("DELETE FROM postings")
            connection.execute("DELETE FROM terms")
            connection.execute("DELETE FROM sort_keys")
            _set_all_records(
                connection, BitMap(_id(row) for row in connection.execute("SELECT id FROM records"))
            )
            count, last = 0, 0
            while rows := connection.execute(
                f"SELECT {_RECORD_COLUMNS} FROM records WHERE id > %s ORDER BY id LIMIT %s",
                (last, _BATCH),
            ).fetchall():
                _index(connection, [(_id(row), indexer(stored_record(row))) for row in rows])
                count += len(rows)
                last = _id(rows[-1])
            self._set_meta(connection, "indexing_version", str(INDEXING_VERSION))
        return count

    def delete(self, ids: Iterable[int] = (), keys: Iterable[str] = ()) -> list[int]:
        """Delete records by id and by match key, in one transaction; returns the ids gone."""
        with self._transaction() as connection:
            wanted = set(ids)
            keys = list(keys)
            if keys:
                rows = connection.execute(
                    "SELECT id FROM records WHERE match_key = ANY(%s)", (keys,)
                )
                wanted.update(_id(row) for row in rows)
            deleted = sorted(
                _id(row)
                for row in connection.execute(
                    "SELECT id FROM records WHERE id = ANY(%s)", (list(wanted),)
                )
            )
            _unindex(connection, deleted)
            connection.execute("DELETE FROM records WHERE id = ANY(%s)", (deleted,))
            if deleted:
                everything = _all_records(connection)
                everything.difference_update(BitMap(deleted))
                _set_all_records(connection, everything)
        return deleted

    # --- reading records -------------------------------------------------------------

    def records(self, ids: Sequence[int]) -> dict[int, StoredRecord]:
        """The stored records among ``ids``, by id (deleted ones are missing)."""
        rows = self._connection().execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ANY(%s)", (list(ids),)
        )
        return {_id(row): stored_record(row) for row in rows}

    def iter_records(self) -> Iterator[StoredRecord]:
        """Every record in id order, from one consistent snapshot (a server-side cursor)."""
        connection = self._connection()
        with (
            connection.transaction(),
            connection.cursor(name="iter_records") as cursor,
        ):
            cursor.itersize = _BATCH
            cursor.execute(f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY id")
            for row in cursor:
                yield stored_record(row)

    def count(self) -> int:
        row = self._connection().execute("SELECT COUNT(*) FROM records").fetchone()
        assert row is not None
        return _id(row)

    def ids_for_keys(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """The ids of the records with each match key, oldest first."""
        found: dict[str, list[int]] = {key: [] for key in set(keys)}
        rows = self._connection().execute(
            "SELECT match_key, id FROM records WHERE match_key = ANY(%s) ORDER BY id",
            (list(found),),
        )
        for key, record_id in rows:
            found[str(key)].append(_int(record_id))
        return found

    # --- searching ---------------------------------------------------------------------

    def search(self, plan: Plan) -> BitMap:
        """Ids of the records a plan finds, read from one snapshot (repeatable read)."""
        connection = self._connection()
        with connection.transaction():
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return docsets.execute(plan, _Reader(self, connection))

    def repeats(self, lookup: Lookup) -> dict[int, int]:
        """The records a lookup matches more than once, and how often (for ranking)."""
        compiler = PlanCompiler(POSTGRES)
        rows = self._run_plan(compiler.repeats_sql(lookup), compiler.params)
        return {_id(row): _int(row[1]) for row in rows}

    def _run_plan(
        self, sql: str, params: Sequence[object], connection: Connection | None = None
    ) -> list[tuple[object, ...]]:
        try:
            return (connection or self._connection()).execute(sql, params).fetchall()
        except psycopg.errors.InvalidRegularExpression as exc:
            # Python's re accepted the pattern (search.py checks), PostgreSQL's does not.
            raise StoreError(f"PostgreSQL cannot use this regular expression: {exc}") from exc

    def scan(
        self, use: int, kind: Kind, start: str, before: int, after: int
    ) -> tuple[list[TermCount], list[TermCount]]:
        """Up to ``before`` terms preceding ``start`` (nearest first) and up to ``after``
        terms from ``start`` on, in one index."""
        connection = self._connection()
        preceding = connection.execute(_SCAN_BEFORE, (use, int(kind), start, before))
        following = connection.execute(_SCAN_AFTER, (use, int(kind), start, after))
        return _term_counts(preceding.fetchall()), _term_counts(following.fetchall())

    def sort_values(self, ids: Sequence[int], use: int) -> dict[int, str]:
        """The sort key of index ``use`` of each record that has one."""
        rows = self._connection().execute(
            "SELECT record_id, value FROM sort_keys WHERE idx = %s AND record_id = ANY(%s)",
            (use, list(ids)),
        )
        return {_id(row): str(row[1]) for row in rows}

    # --- statistics -------------------------------------------------------------------

    def stats(self) -> StoreStats:
        connection = self._connection()

        def counts(sql: str) -> dict[str, int]:
            return {str(name): _int(count) for name, count in connection.execute(sql)}

        by_charset = counts("SELECT charset, COUNT(*) FROM records GROUP BY charset")
        by_format = counts("SELECT source_format, COUNT(*) FROM records GROUP BY source_format")
        postings = {
            (_int(use), _int(kind)): _int(count)
            for use, kind, count in connection.execute(
                "SELECT t.idx, t.kind, COUNT(*) FROM postings p JOIN terms t "
                "ON t.id = p.term_id GROUP BY t.idx, t.kind"
            )
        }
        sizes = connection.execute(
            "SELECT idx, kind, COUNT(*) FROM terms GROUP BY idx, kind ORDER BY idx, kind"
        )
        indexes = [
            IndexSize(use, Kind(kind), _int(terms), postings.get((use, kind), 0))
            for use, kind, terms in ((_int(u), _int(k), t) for u, k, t in sizes)
        ]
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        assert size is not None
        return StoreStats(
            records=sum(by_charset.values()),
            by_charset=by_charset,
            by_source_format=by_format,
            indexes=indexes,
            file_bytes=_int(size[0]),
            match_point=self.match_point,
            schema_version=int(self._meta("schema_version") or 0),
            indexing_version=self.indexing_version,
        )

    def check(self) -> list[str]:
        """The catalogue's own invariants (PostgreSQL looks after its files); [] when well."""
        connection = self._connection()
        problems = []
        for sql, what in _INVARIANTS:
            row = connection.execute(sql).fetchone()
            assert row is not None
            if row[0]:
                problems.append(f"{row[0]} {what}")
        with (
            connection.transaction(),
            connection.cursor(name="check_terms") as terms,
            connection.cursor(name="check_postings") as postings,
        ):
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            terms.itersize = postings.itersize = 10_000
            terms.execute("SELECT id, docs FROM terms ORDER BY id")
            postings.execute("SELECT term_id, record_id FROM postings ORDER BY term_id")
            wrong = docsets.mismatches(
                ((_int(t), bytes(d)) for t, d in terms),  # type: ignore[call-overload]
                ((_int(t), _int(r)) for t, r in postings),
            )
            ids = BitMap(_id(row) for row in connection.execute("SELECT id FROM records"))
            listed = _all_records(connection)
        return problems + docsets.bitmap_problems(wrong, ids, listed)


# --- SQL used above -----------------------------------------------------------------------

_SCAN_BEFORE = (
    "SELECT term, records, display FROM terms WHERE idx = %s AND kind = %s AND term < %s "
    "ORDER BY term DESC LIMIT %s"
)
_SCAN_AFTER = (
    "SELECT term, records, display FROM terms WHERE idx = %s AND kind = %s AND term >= %s "
    "ORDER BY term LIMIT %s"
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
_UPSERT_TERMS = (
    "INSERT INTO terms (idx, kind, term, records, display) "
    "SELECT idx, kind, term, 0, display "
    "FROM unnest(%s::integer[], %s::integer[], %s::text[], %s::text[]) "
    "AS t (idx, kind, term, display) "
    "ON CONFLICT (idx, kind, term) DO UPDATE SET "
    "display = coalesce(terms.display, excluded.display) "
    "RETURNING idx, kind, term, id, docs"
)
_UPDATE_DOCS = (
    "UPDATE terms SET docs = u.docs, records = u.records "
    "FROM unnest(%s::bytea[], %s::integer[], %s::bigint[]) AS u (docs, records, id) "
    "WHERE terms.id = u.id"
)
_UPSERT_SORT_KEYS = (
    "INSERT INTO sort_keys (record_id, idx, value) "
    "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::text[]) "
    "ON CONFLICT (record_id, idx) DO UPDATE SET value = excluded.value"
)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _id(row: tuple[object, ...]) -> int:
    return _int(row[0])


def _term_counts(rows: Sequence[tuple[object, ...]]) -> list[TermCount]:
    return [
        TermCount(str(term), _int(records), None if display is None else str(display))
        for term, records, display in rows
    ]


def _upsert(connection: Connection, record: NewRecord, now: str) -> tuple[Outcome, int]:
    existing = None
    if record.match_key is not None:
        existing = connection.execute(
            "SELECT id, raw, charset FROM records WHERE match_key = %s ORDER BY id LIMIT 1",
            (record.match_key,),
        ).fetchone()
    if existing is None:
        row = connection.execute(
            "INSERT INTO records (match_key, raw, charset, source_format, created, updated) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (record.match_key, record.raw, record.charset, record.source_format, now, now),
        ).fetchone()
        assert row is not None
        return Outcome.ADDED, _id(row)
    record_id, raw, charset = _id(existing), existing[1], existing[2]
    if raw == record.raw and charset == record.charset:
        return Outcome.UNCHANGED, record_id
    connection.execute(
        "UPDATE records SET raw = %s, charset = %s, source_format = %s, updated = %s WHERE id = %s",
        (record.raw, record.charset, record.source_format, now, record_id),
    )
    return Outcome.UPDATED, record_id


def _unindex(connection: Connection, record_ids: Sequence[int]) -> None:
    """Take records out of the index: postings, term bitmaps and counts, sort keys."""
    if not record_ids:
        return
    wanted = list(record_ids)
    removed = docsets.by_term(
        (_int(t), _int(r))
        for t, r in connection.execute(
            "SELECT term_id, record_id FROM postings WHERE record_id = ANY(%s)", (wanted,)
        )
    )
    current = {
        _int(term_id): bytes(docs)  # type: ignore[call-overload]
        for term_id, docs in connection.execute(
            "SELECT id, docs FROM terms WHERE id = ANY(%s)", (list(removed),)
        )
    }
    rows, emptied = docsets.updated_docs(current, removed=removed)
    _write_docs(connection, rows)
    connection.execute("DELETE FROM terms WHERE id = ANY(%s)", (emptied,))
    connection.execute("DELETE FROM postings WHERE record_id = ANY(%s)", (wanted,))
    connection.execute("DELETE FROM sort_keys WHERE record_id = ANY(%s)", (wanted,))


def _write_docs(connection: Connection, rows: Sequence[tuple[bytes, int, int]]) -> None:
    if rows:
        connection.execute(
            _UPDATE_DOCS,
            ([docs for docs, _n, _t in rows], [n for _d, n, _t in rows], [t for _d, _n, t in rows]),
        )


def _all_records(connection: Connection) -> BitMap:
    row = connection.execute(
        "SELECT docs FROM record_sets WHERE name = %s", (docsets.ALL_RECORDS,)
    ).fetchone()
    return docsets.load(None if row is None else bytes(row[0]))  # type: ignore[call-overload]


def _set_all_records(connection: Connection, ids: BitMap) -> None:
    connection.execute(
        "INSERT INTO record_sets (name, docs) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET docs = excluded.docs",
        (docsets.ALL_RECORDS, docsets.dump(ids)),
    )


class _Reader:
    """``docsets.PlanReader`` on one PostgreSQL connection, inside one transaction."""

    dialect = POSTGRES

    def __init__(self, store: PostgresStore, connection: Connection) -> None:
        self._store = store
        self._connection = connection

    def blobs(self, sql: str, params: Sequence[object]) -> list[bytes]:
        rows = self._store._run_plan(sql, params, self._connection)
        return [bytes(row[0]) for row in rows]  # type: ignore[call-overload]

    def ids(self, sql: str, params: Sequence[object]) -> list[int]:
        return [_id(row) for row in self._store._run_plan(sql, params, self._connection)]

    def all_records(self) -> BitMap:
        return _all_records(self._connection)


def _index(connection: Connection, records: Sequence[tuple[int, IndexedRecord]]) -> None:
    """Write the postings, term counts and sort keys of freshly written records."""
    if not records:
        return
    counts, displays = term_counts(records)
    # In key order, so that concurrent upserts (there are none while the write lock holds,
    # but a manual one may run) take row locks in one order.
    keys = sorted(counts)
    upserted = connection.execute(
        _UPSERT_TERMS,
        (
            [use for use, _kind, _term in keys],
            [kind for _use, kind, _term in keys],
            [term for _use, _kind, term in keys],
            [displays.get(key) for key in keys],
        ),
    ).fetchall()
    term_ids = {
        (_int(use), _int(kind), str(term)): _int(term_id)
        for use, kind, term, term_id, _docs in upserted
    }
    current = {_int(row[3]): bytes(row[4]) for row in upserted}  # type: ignore[call-overload]
    # The records are new or were just unindexed: none of these postings exists yet, so
    # COPY (much faster than INSERT) needs only the duplicates taken out.
    rows = sorted(
        {
            (term_ids[(use, kind, term)], record_id, loc)
            for record_id, indexed in records
            for use, kind, term, loc in indexed.postings
        }
    )
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY postings (term_id, record_id, loc) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    added = docsets.by_term((term_id, record_id) for term_id, record_id, _loc in rows)
    updates, _emptied = docsets.updated_docs(current, added=added)
    _write_docs(connection, updates)
    sort_keys = {
        (record_id, use): value
        for record_id, indexed in records
        for use, value in indexed.sort_keys.items()
    }
    connection.execute(
        _UPSERT_SORT_KEYS,
        (
            [record_id for record_id, _use in sort_keys],
            [use for _record_id, use in sort_keys],
            list(sort_keys.values()),
        ),
    )
