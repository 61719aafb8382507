"""Importing record files: counts, updates by match key, damaged input, crashes midway;
and exporting, statistics, deletion."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shelfnet.catalog.importer import (
    ImportProgress,
    export,
    import_data,
    import_files,
    reindexed,
    stats,
)
from shelfnet.catalog.indexing import Kind, Use
from shelfnet.catalog.matchkey import MatchPoint
from shelfnet.catalog.search import run_search
from shelfnet.catalog.store import CatalogStore, Store, StoreError, open_store
from shelfnet.marc import decode_marc, parse_marcxml, split_records
from shelfnet.query.pqf import parse_pqf
from tests.unit.catalog.conftest import NewStore
from tests.unit.catalog.records import (
    BLUE_NOTE,
    CATALOG_FIXTURES,
    CATALOGUE,
    KIND_OF_BLUE,
    NO_AGENCY,
    control,
    field,
    fixed,
    iso2709,
    make,
)


def count(store: CatalogStore, pqf: str) -> int:
    return len(run_search(store, parse_pqf(pqf)))


def test_import_adds_every_record_and_keeps_its_bytes(store: CatalogStore) -> None:
    assert store.count() == 5
    records = store.records([1, 2, 3, 4, 5])
    assert [records[i].raw for i in range(1, 6)] == [bytes(r.as_marc()) for r in CATALOGUE]
    assert {r.source_format for r in records.values()} == {"iso2709"}
    assert records[1].match_key == "SHN:rec-1"
    assert records[4].match_key == "rec-4"  # no 003: the 001 alone
    assert records[5].match_key is not None and records[5].match_key.startswith("sha1:")


def test_importing_the_same_file_again_changes_nothing(store: CatalogStore) -> None:
    again = import_data(iso2709(*CATALOGUE), store)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert store.count() == 5 and store.check() == []


def test_a_changed_record_replaces_the_one_with_its_match_key(
    tmp_path: Path, new_store: NewStore
) -> None:
    clock = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(10))
    with new_store(clock=lambda: next(clock)) as store:
        import_data(iso2709(*CATALOGUE), store)
        changed = make(*KIND_OF_BLUE.fields[:8], field("245", "10", "a", "Kind of green."))
        result = import_data(iso2709(changed), store)
        assert (result.added, result.updated) == (0, 1)
        assert store.count() == 5
        record = store.records([1])[1]
        assert record.raw == bytes(changed.as_marc())
        assert (record.created, record.updated) == (
            "2026-01-01T00:00:00+00:00",
            "2026-01-02T00:00:00+00:00",
        )
        assert count(store, "@attr 1=4 green") == 1
        assert count(store, "@attr 1=4 kind") == 1
        assert count(store, "@attr 1=4 @attr 3=1 blue") == 2  # record 1's old title is gone
        assert store.check() == []


def test_records_are_matched_on_another_field_when_asked(
    tmp_path: Path, new_store: NewStore
) -> None:
    first = make(control("001", "a-1"), field("020", "  ", "a", "0-306-40615-2"))
    second = make(control("001", "b-9"), field("020", "  ", "a", "9780306406157 (hbk.)"))
    with new_store() as store:
        import_data(iso2709(first), store, match_point="020$a")
        result = import_data(iso2709(second), store, match_point="020$a")
        assert (result.added, result.updated) == (0, 1)
        assert store.records([1])[1].match_key == "9780306406157"


def test_another_match_point_rekeys_the_catalogue_first(store: CatalogStore) -> None:
    result = import_data(iso2709(BLUE_NOTE), store, match_point="022$a")
    assert (result.added, result.unchanged) == (0, 1)
    assert store.match_point == "022$a"
    assert store.records([2])[2].match_key == "00125768"
    with pytest.raises(StoreError):
        store.write_batch([], match_point="001")


@pytest.mark.parametrize(
    ("spec", "key"),
    [("001+003", "SHN:rec-1"), ("001", "rec-1"), ("035$a", None), ("650", "Jazz")],
)
def test_match_points(spec: str, key: str | None) -> None:
    assert MatchPoint.parse(spec).key(KIND_OF_BLUE) == key
    assert str(MatchPoint.parse(spec)) == spec


def test_a_bad_match_point_is_refused() -> None:
    with pytest.raises(ValueError):
        MatchPoint.parse("title")


def test_damaged_iso2709_records_are_reported_with_their_offsets(
    tmp_path: Path, new_store: NewStore
) -> None:
    path = CATALOG_FIXTURES / "broken.mrc"
    with new_store() as store:
        result = import_files([path], store)
        assert result.added == 3
        failures = [(f.path, f.location) for f in result.failures]
        assert failures == [
            (str(path), "byte 127"),
            (str(path), "byte 275"),
            (str(path), "byte 548"),
        ]
        assert "not five digits" in result.failures[0].message
        assert "no record terminator" in result.failures[1].message
        assert "the stream ends" in result.failures[2].message
        assert count(store, "@attr 1=4 good") == 3
        assert store.check() == []


def test_damaged_marcxml_records_are_reported_by_number(
    tmp_path: Path, new_store: NewStore
) -> None:
    with new_store() as store:
        result = import_files([CATALOG_FIXTURES / "broken.xml"], store)
        assert result.added == 2
        assert [f.location for f in result.failures] == ["record 2", "record 3", "record 5"]
        assert "leader" in result.failures[0].message
        assert "not well-formed" in result.failures[2].message
        stored = store.records([1, 2])
        assert {r.source_format for r in stored.values()} == {"marcxml"}
        assert {r.charset for r in stored.values()} == {"utf-8"}
        assert decode_marc(stored[1].raw).record["001"].data == "xml-1"
        assert stored[1].raw[9:10] == b"a"  # pymarc's UTF-8 ISO 2709


def test_the_format_is_told_by_content_not_by_name(tmp_path: Path, new_store: NewStore) -> None:
    with new_store() as store:
        result = import_files([CATALOG_FIXTURES / "no-root.mrc"], store)
        assert (result.added, result.failed) == (2, 0)


def test_mixed_marc8_and_utf8_files(tmp_path: Path, new_store: NewStore) -> None:
    marc8 = Path(__file__).resolve().parents[2] / "fixtures" / "marc" / "marc8_diacritics.mrc"
    with new_store() as store:
        result = import_files([marc8], store)
        import_data(iso2709(BLUE_NOTE), store)
        assert result.added == 2
        assert result.warnings  # the second record's leader lies about its charset
        assert stats(store).by_charset == {"marc-8": 2, "utf-8": 1}
        assert count(store, "@attr 1=4 koln") == 2


def test_progress_is_reported_after_each_batch(tmp_path: Path, new_store: NewStore) -> None:
    seen: list[ImportProgress] = []
    data = iso2709(*CATALOGUE)
    path = tmp_path / "records.mrc"
    path.write_bytes(data)
    with new_store() as store:
        import_files([path], store, batch_size=2, progress=seen.append)
    assert [p.records for p in seen] == [2, 4, 5]  # batches of 2, 2 and 1
    assert seen[-1].bytes_read == seen[-1].bytes_total == len(data)


def test_export_marc_gives_back_the_bytes_and_marcxml_the_records(store: CatalogStore) -> None:
    out = io.BytesIO()
    assert export(store, out, "marc").written == 5
    assert out.getvalue() == iso2709(*CATALOGUE)
    xml = io.BytesIO()
    export(store, xml, "marcxml")
    records = parse_marcxml(xml.getvalue())
    assert [r.as_marc() for r in records] == [r.as_marc() for r in CATALOGUE]


def test_stats(store: CatalogStore) -> None:
    figures = stats(store)
    assert figures.records == 5 and figures.by_charset == {"utf-8": 5}
    assert figures.by_source_format == {"iso2709": 5}
    assert figures.match_point == "001+003" and figures.file_bytes > 0
    sizes = {(size.use, size.kind): size for size in figures.indexes}
    assert sizes[(Use.ISSN, Kind.WORD)].terms == 1
    assert sizes[(Use.TITLE, Kind.WORD)].postings > 20


def test_delete_by_match_key_and_by_id(store: CatalogStore) -> None:
    assert store.delete(keys=["SHN:rec-1", "nothing"]) == [1]
    assert store.delete(ids=[4, 99]) == [4]
    assert store.count() == 3
    assert count(store, "@attr 1=4 blue") == 1
    assert store.records([1, 2]).keys() == {2}
    assert store.check() == []
    # Ids are never reused: a stale result set cannot fetch someone else's record.
    import_data(iso2709(NO_AGENCY), store)
    assert store.ids_for_keys(["rec-4"]) == {"rec-4": [6]}


def test_a_catalogue_indexed_by_other_rules_is_reindexed_before_an_import(
    store: CatalogStore,
) -> None:
    connection = store._connection()  # a test may reach in to age the catalogue
    connection.execute("UPDATE meta SET value = '0' WHERE key = 'indexing_version'")
    connection.execute("DELETE FROM postings")
    connection.execute("DELETE FROM terms")
    assert count(store, "@attr 1=4 blue") == 0
    import_data(iso2709(BLUE_NOTE), store)
    assert count(store, "@attr 1=4 blue") == 3
    assert store.indexing_version > 0 and store.check() == []


def test_a_file_that_is_not_a_catalogue_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-a-catalogue.sqlite"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError):
        Store(path)


# --- crash safety -----------------------------------------------------------------------------

_HANGS_INSIDE_A_TRANSACTION = """
import sys, time
from shelfnet.catalog import postgres, store
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.store import is_database_url, open_store

catalogue, records, hang_in_batch, batch_size = sys.argv[1:]
store_module = postgres if is_database_url(catalogue) else store
write_index = store_module._index
batches = 0

def index_then_hang(connection, indexed):
    # Stop inside the batch's transaction, after its rows are written, before COMMIT.
    global batches
    batches += 1
    write_index(connection, indexed)
    if batches == int(hang_in_batch):
        print("inside the transaction", flush=True)
        time.sleep(120)

store_module._index = index_then_hang
import_files([records], open_store(catalogue), batch_size=int(batch_size))
"""

_REPORTS_EACH_BATCH = """
import sys
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.store import open_store

catalogue, records, batch_size = sys.argv[1:]
import_files(
    [records], open_store(catalogue), batch_size=int(batch_size),
    progress=lambda step: print(step.records, flush=True),
)
"""


def many_records(path: Path, number: int) -> None:
    records = [
        make(
            control("001", f"many-{n}"),
            fixed(str(1900 + n % 100), "eng"),
            field("100", "1 ", "a", f"Author {n % 37}"),
            field("245", "10", "a", f"Title number {n} of many", "c", "someone"),
            field("650", " 0", "a", "Jazz", "x", f"Topic {n % 11}"),
        )
        for n in range(number)
    ]
    path.write_bytes(iso2709(*records))


def killed(argv: list[str], *, after_lines: int) -> None:
    """Run a child import and SIGKILL it once it has printed ``after_lines`` lines."""
    child = subprocess.Popen(
        [sys.executable, "-c", *argv], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert child.stdout is not None
    for _ in range(after_lines):
        assert child.stdout.readline(), "the child import ended before it was killed"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL


def test_an_import_killed_inside_a_transaction_leaves_the_batches_before_it(
    tmp_path: Path, location: str
) -> None:
    catalogue, records = location, tmp_path / "many.mrc"
    many_records(records, 1000)
    script = [_HANGS_INSIDE_A_TRANSACTION, str(catalogue), str(records), "4", "100"]
    killed(script, after_lines=1)
    with open_store(catalogue) as store:
        assert store.count() == 300
        assert store.check() == []
        assert count(store, "@attr 1=4 many") == 300
        again = import_files([records], store, batch_size=100)
        assert (again.added, again.updated, again.unchanged) == (700, 0, 300)
        assert store.count() == 1000 and store.check() == []
        assert count(store, "@attr 1=4 many") == 1000


def test_an_import_killed_at_any_moment_is_consistent_and_resumable(
    tmp_path: Path, location: str
) -> None:
    catalogue, records = location, tmp_path / "many.mrc"
    many_records(records, 2000)
    killed([_REPORTS_EACH_BATCH, str(catalogue), str(records), "50"], after_lines=3)
    with open_store(catalogue) as store:
        done = store.count()
        assert done >= 150 and done % 50 == 0
        assert store.check() == []
        again = import_files([records], store, batch_size=500)
        assert again.added == 2000 - done and again.unchanged == done
        assert store.count() == 2000 and store.check() == []


def test_the_stored_file_has_the_records_as_separate_iso2709(store: CatalogStore) -> None:
    out = io.BytesIO()
    export(store, out)
    out.seek(0)
    assert len(list(split_records(out))) == 5


def test_reindex_rebuilds_the_same_index(tmp_path: Path, new_store: NewStore) -> None:
    records = tmp_path / "many.mrc"
    many_records(records, 1200)
    with new_store() as store:
        import_files([records], store)
        before = stats(store).indexes
        assert store.reindex(reindexed) == 1200
        assert stats(store).indexes == before
        assert count(store, '@attr 1=1003 @attr 4=1 "author 7"') == 33
        assert store.check() == []
