"""The store, on SQLite and PostgreSQL alike: targets in and out, every change versioned,
deletions leaving tombstones, the user's own targets and edits never overwritten, probe
history, groups, and a schema made by the migrations."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shelfnet.directory.model import (
    Address,
    Diagnostic,
    Origin,
    ProbeResult,
    Target,
    TargetRecord,
    TargetStatus,
)
from shelfnet.directory.store import (
    VERSION_TABLE,
    DirectoryStore,
    DuplicateTarget,
    Outcome,
    StoreError,
    UnknownTarget,
    open_store,
)
from shelfnet.directory.tables import Base
from tests.unit.directory.conftest import Clock, NewStore
from tests.unit.directory.records import sample_targets

LOC = Target(Address("lx2.loc.gov", 210, ("LCDB",)), name="Library of Congress")
BIBSYS = Target(Address("z3950.bibsys.no", 2100, ("BIBSYS",)), name="BIBSYS")


def test_targets_go_in_and_come_out_as_they_were(store: DirectoryStore) -> None:
    stored = [store.add(target) for target in sample_targets()]
    assert [entry.target for entry in store.targets()] == sample_targets()
    for entry in stored:
        assert store.get(entry.id) == entry
        assert store.find(entry.target.key) == entry
    assert store.find("z3950:nowhere.example:210/x") is None
    with pytest.raises(UnknownTarget):
        store.get(999)


def test_times_come_from_the_clock(store: DirectoryStore, clock: Clock) -> None:
    added = store.add(LOC)
    later = clock.tick()
    edited = store.update(added.id, replace(LOC, name="LC"))
    assert added.created == added.updated == clock.now - timedelta(seconds=60)
    assert edited.created == added.created and edited.updated == later


def test_every_change_takes_the_next_version(store: DirectoryStore) -> None:
    assert store.version() == 0
    loc = store.add(LOC)
    bibsys = store.add(BIBSYS)
    assert (loc.version, bibsys.version, store.version()) == (1, 2, 2)
    assert store.update(loc.id, replace(LOC, name="LC")).version == 3
    assert store.set_status(bibsys.id, TargetStatus.QUARANTINED).version == 4
    assert store.add_to_group("national", [loc.id, bibsys.id]) == 2
    assert store.version() == 6
    store.remove(bibsys.id)
    assert store.version() == 7
    changed, tombstones = store.changes_since(4)
    assert [entry.id for entry in changed] == [loc.id]
    assert [(stone.key, stone.version) for stone in tombstones] == [(BIBSYS.key, 7)]


def test_nothing_changed_is_no_new_version(store: DirectoryStore) -> None:
    loc = store.add(LOC)
    store.update(loc.id, LOC)
    store.set_status(loc.id, TargetStatus.ACTIVE)
    assert store.add_to_group("x", [loc.id]) == 1 and store.add_to_group("x", [loc.id]) == 0
    assert store.version() == 2


def test_removal_leaves_a_tombstone_until_the_address_comes_back(store: DirectoryStore) -> None:
    loc = store.add(LOC)
    store.record_probe(loc.id, ProbeResult(loc.created, reachable=True))
    store.remove(loc.id)
    assert store.targets() == []
    assert [stone.key for stone in store.changes_since(0)[1]] == [LOC.key]
    again = store.add(LOC)
    assert again.id != loc.id  # ids are never reused
    assert store.changes_since(0)[1] == []
    assert store.probes(again.id) == []  # the history went with the old target


def test_a_new_address_leaves_a_tombstone_for_the_old_one(store: DirectoryStore) -> None:
    loc = store.add(LOC)
    moved = replace(LOC, address=Address("lx2.loc.gov", 210, ("LCDB", "NAMES")))
    store.update(loc.id, moved)
    assert store.find(LOC.key) is None and store.find(moved.key) is not None
    assert [stone.key for stone in store.changes_since(0)[1]] == [LOC.key]


def test_an_address_is_one_target(store: DirectoryStore) -> None:
    loc = store.add(LOC)
    with pytest.raises(DuplicateTarget) as raised:
        store.add(replace(BIBSYS, address=Address("LX2.loc.gov.", 210, ("LCDB",))))
    assert raised.value.existing_id == loc.id
    bibsys = store.add(BIBSYS)
    with pytest.raises(DuplicateTarget):
        store.update(bibsys.id, replace(BIBSYS, address=LOC.address))


def test_imports_add_update_and_leave_alone(store: DirectoryStore) -> None:
    records = [TargetRecord(LOC), TargetRecord(BIBSYS)]
    assert store.put_records(records) == [Outcome.ADDED, Outcome.ADDED]
    assert store.put_records(records) == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    renamed = [TargetRecord(replace(LOC, name="LC")), TargetRecord(BIBSYS)]
    assert store.put_records(renamed) == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert store.find(LOC.key).target.name == "LC"  # type: ignore[union-attr]
    assert {entry.origin for entry in store.targets()} == {Origin.IMPORTED}


def test_the_users_own_targets_and_edits_are_never_overwritten(store: DirectoryStore) -> None:
    own = store.add(LOC, origin=Origin.LOCAL)
    assert not own.locally_edited and own.protected
    store.put_records([TargetRecord(BIBSYS)])
    bibsys = store.find(BIBSYS.key)
    assert bibsys is not None and not bibsys.protected
    edited = store.update(bibsys.id, replace(BIBSYS, name="Our BIBSYS"))
    assert edited.locally_edited and edited.origin is Origin.IMPORTED and edited.protected
    outcomes = store.put_records(
        [TargetRecord(replace(LOC, name="theirs")), TargetRecord(replace(BIBSYS, name="theirs"))]
    )
    assert outcomes == [Outcome.KEPT_LOCAL, Outcome.KEPT_LOCAL]
    assert [entry.target.name for entry in store.targets()] == [LOC.name, "Our BIBSYS"]


def test_probe_history_keeps_every_field_and_no_repeats(
    store: DirectoryStore, clock: Clock
) -> None:
    full = ProbeResult(
        clock.tick(),
        reachable=True,
        init_ok=True,
        search_ok=False,
        hits=2**40,
        implementation_id="81",
        implementation_name="Zebra",
        implementation_version="2.0",
        syntaxes=("usmarc", "xml"),
        connect_seconds=0.125,
        init_seconds=0.25,
        search_seconds=1.5,
        diagnostic=Diagnostic("Bib-1", 114, "Unsupported Use attribute", "1016"),
    )
    bare = ProbeResult(clock.tick(), reachable=False, source="irspy")
    stored = store.add(LOC, probes=[full])
    store.put_records([TargetRecord(LOC, (full, bare))])
    assert store.probes(stored.id) == [bare, full]  # newest first, the repeat not added
    assert store.probes(stored.id, limit=1) == [bare]
    with pytest.raises(UnknownTarget):
        store.probes(999)


def test_lists_by_group_status_and_text(store: DirectoryStore) -> None:
    for target in sample_targets():
        store.add(target)

    def names(**filters: object) -> list[str]:
        return [entry.target.label for entry in store.targets(**filters)]  # type: ignore[arg-type]

    assert names(group="national") == ["Library of Congress"]
    assert names(status=TargetStatus.RETIRED) == ["opac.example.net:9999/bøger og tidsskrifter"]
    assert names(search="LIBRARY") == ["Library of Congress"]
    assert names(search="ubtø") == ["BIBSYS, Høgskolen i Østfold"]  # a database name
    assert names(search="%") == []  # literally, not a wildcard
    assert store.groups() == [("music, scores & recordings", 1), ("national", 1)]


def test_groups_gain_and_lose_members(store: DirectoryStore) -> None:
    ids = [store.add(target).id for target in (LOC, BIBSYS)]
    assert store.add_to_group("copy cataloguing", ids) == 2
    assert store.groups() == [("copy cataloguing", 2)]
    assert store.remove_from_group("copy cataloguing", ids[:1]) == 1
    assert store.groups() == [("copy cataloguing", 1)]
    assert store.get(ids[0]).locally_edited and store.get(ids[1]).locally_edited


def test_ports_are_counted_by_port_and_protocol(store: DirectoryStore) -> None:
    for target in sample_targets():
        store.add(target)
    assert sorted(store.count_by_port()) == [
        (210, "z3950", 2),
        (2100, "z3950", 1),
        (8443, "sru", 1),
        (9999, "z3950", 1),
    ]
    assert store.count_by_port(TargetStatus.RETIRED) == [(9999, "z3950", 1)]


def test_the_migrations_make_the_mapped_tables(store: DirectoryStore, location: str) -> None:
    engine = store._engine  # the test looks inside on purpose
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == "0002"


def test_reopening_keeps_everything(new_store: NewStore) -> None:
    first = new_store()
    first.add(LOC)
    first.close()
    assert [entry.target for entry in new_store().targets()] == [LOC]


def test_a_directory_from_a_newer_shelfnet_is_refused(new_store: NewStore, location: str) -> None:
    new_store().close()
    engine = new_store()._engine
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer shelfnet"):
        open_store(location)


def test_an_sqlite_file_that_is_something_else_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "catalog.sqlite"
    engine = sqlalchemy.create_engine(f"sqlite:///{other}")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE records (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a shelfnet directory"):
        open_store(other)


def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError):
        open_store("postgresql://nobody@127.0.0.1:1/none")
