"""The directory's store: an SQLite file by default, a PostgreSQL database for a shared server.

Every change to a target (adding, editing, removing, a new status, group membership) takes
the next directory version and records it on the target; a removal leaves a tombstone with
its version. ``changes_since(v)`` is therefore all a client holding version ``v`` needs to
catch up. Probe results are history, not directory data: recording one changes no version.

The schema is made and upgraded by the Alembic migrations in ``migrations/`` whenever a
store is opened; the mapped tables are in ``tables.py``.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import (
    Engine,
    Select,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shelfnet.database import migrate, open_engine
from shelfnet.directory.model import (
    Address,
    Authentication,
    Diagnostic,
    Origin,
    ProbeResult,
    StoredTarget,
    Target,
    TargetProtocol,
    TargetRecord,
    TargetStatus,
    Tombstone,
)
from shelfnet.directory.tables import (
    Base,
    DatabaseRow,
    ElementSetRow,
    GroupRow,
    IndexRow,
    ProbeRow,
    StateRow,
    SyncRow,
    SyntaxRow,
    TargetRow,
    TombstoneRow,
)

VERSION_TABLE = "directory_alembic_version"
MIGRATIONS = Path(__file__).parent / "migrations"
CHUNK = 500
"""Keys looked up per query when writing many records."""

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class StoreError(Exception):
    """The directory cannot be used: unreachable, not a directory, made by a newer shelfnet."""


class UnknownTarget(StoreError):
    def __init__(self, target_id: int) -> None:
        super().__init__(f"no target {target_id}")
        self.target_id = target_id


class DuplicateTarget(StoreError):
    def __init__(self, key: str, existing_id: int) -> None:
        super().__init__(f"target {existing_id} already has the address {key}")
        self.key = key
        self.existing_id = existing_id


class Outcome(enum.Enum):
    """What writing one imported record did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT_LOCAL = "kept-local"
    """Not overwritten: the user's own target, or one the user edited."""


SyncProgress = Callable[[int, int], None]
"""Called as synced targets are written: (written so far, all), inside the transaction."""


@dataclass(frozen=True)
class SyncState:
    """What AutoSync holds: the server's version, from which server, and when it last asked."""

    server_version: int
    url: str
    last_sync: datetime


@dataclass(frozen=True)
class SyncApplied:
    """What applying a sync document did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept_local: tuple[str, ...] = ()
    """Server changes not applied because the target is the user's (``key: changed`` or
    ``key: removed``)."""


def _engine(location: str) -> Engine:
    return open_engine(location, on_connect=_fold_case)


def _fold_case(dbapi_connection: Any) -> None:
    # SQLite's lower() folds ASCII only; searches fold every script, as PostgreSQL does.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def open_store(location: str | os.PathLike[str], *, clock: Clock | None = None) -> DirectoryStore:
    """The directory at a file path (SQLite, made if missing) or a database URL, its schema
    brought up to date."""
    location = str(location)
    try:
        engine = _engine(location)
    except SQLAlchemyError as exc:
        raise StoreError(str(exc)) from exc
    try:
        _migrate(engine)
    except (StoreError, SQLAlchemyError) as exc:
        engine.dispose()
        if isinstance(exc, StoreError):
            raise
        raise StoreError(str(getattr(exc, "orig", None) or exc)) from exc
    return DirectoryStore(engine, location=location, clock=clock or _utc_now)


def _migrate(engine: Engine) -> None:
    migrate(engine, MIGRATIONS, VERSION_TABLE, foreign=_foreign, error=StoreError)


def _foreign(dialect: str, tables: set[str]) -> str | None:
    if dialect == "sqlite" and tables and VERSION_TABLE not in tables:
        return "not a shelfnet directory (it holds other tables)"
    return None


_LOAD = (
    selectinload(TargetRow.databases),
    selectinload(TargetRow.syntaxes),
    selectinload(TargetRow.element_sets),
    selectinload(TargetRow.indexes),
    selectinload(TargetRow.groups),
)


class DirectoryStore:
    """Targets, groups, probe history and versions, in one database."""

    errors: tuple[type[Exception], ...] = (SQLAlchemyError,)
    """What a failing database raises midway (locked, gone away), for callers to catch."""

    def __init__(self, engine: Engine, *, location: str, clock: Clock = _utc_now) -> None:
        self.location = location
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # Reading

    def version(self) -> int:
        """The directory version: how many changes it has seen."""
        with self._transaction() as session:
            return session.execute(select(StateRow.version)).scalar_one()

    def get(self, target_id: int) -> StoredTarget:
        with self._transaction() as session:
            return _stored(self._row(session, target_id))

    def find(self, key: str) -> StoredTarget | None:
        """The target with this identity key (``Address.key``), if any."""
        with self._transaction() as session:
            row = session.scalars(select(TargetRow).where(TargetRow.key == key)).one_or_none()
            return None if row is None else _stored(row)

    def targets(
        self,
        *,
        group: str | None = None,
        status: TargetStatus | None = None,
        search: str | None = None,
    ) -> list[StoredTarget]:
        """Targets in id order; ``search`` finds text in names, institutions, countries,
        hosts and databases, without regard to case."""
        query = select(TargetRow).options(*_LOAD).order_by(TargetRow.id)
        query = _filtered(query, group=group, status=status, search=search)
        with self._transaction() as session:
            return [_stored(row) for row in session.scalars(query)]

    def groups(self) -> list[tuple[str, int]]:
        """Every group with its number of targets, by name."""
        query = (
            select(GroupRow.name, func.count())
            .group_by(GroupRow.name)
            .order_by(func.lower(GroupRow.name), GroupRow.name)
        )
        with self._transaction() as session:
            return [(name, count) for name, count in session.execute(query)]

    def probes(self, target_id: int, limit: int | None = None) -> list[ProbeResult]:
        """The target's probe history, newest first."""
        query = (
            select(ProbeRow)
            .where(ProbeRow.target_id == target_id)
            .order_by(ProbeRow.at.desc(), ProbeRow.id.desc())
            .limit(limit)
        )
        with self._transaction() as session:
            self._row(session, target_id)
            return [_probe(row) for row in session.scalars(query)]

    def count_by_port(self, status: TargetStatus | None = None) -> list[tuple[int, str, int]]:
        """(port, protocol, number of targets) for every port in use."""
        query = select(TargetRow.port, TargetRow.protocol, func.count()).group_by(
            TargetRow.port, TargetRow.protocol
        )
        if status is not None:
            query = query.where(TargetRow.status == status.value)
        with self._transaction() as session:
            return [(port, protocol, n) for port, protocol, n in session.execute(query)]

    def changes_since(self, version: int) -> tuple[list[StoredTarget], list[Tombstone]]:
        """Targets changed after ``version`` and tombstones of those removed after it."""
        query = (
            select(TargetRow)
            .options(*_LOAD)
            .where(TargetRow.version > version)
            .order_by(TargetRow.version)
        )
        gone = select(TombstoneRow).where(TombstoneRow.version > version)
        with self._transaction() as session:
            targets = [_stored(row) for row in session.scalars(query)]
            tombstones = [
                Tombstone(row.key, row.version, row.deleted)
                for row in session.scalars(gone.order_by(TombstoneRow.version))
            ]
        return targets, tombstones

    # Changing

    def add(
        self,
        target: Target,
        *,
        origin: Origin = Origin.LOCAL,
        probes: Sequence[ProbeResult] = (),
    ) -> StoredTarget:
        """A new target; ``DuplicateTarget`` when its address is already there."""
        with self._transaction() as session:
            existing = session.scalars(
                select(TargetRow.id).where(TargetRow.key == target.key)
            ).one_or_none()
            if existing is not None:
                raise DuplicateTarget(target.key, existing)
            (target_id,) = self._insert(session, [target], origin)
            self._add_probes(session, {target_id: probes}, known={})
            return _stored(self._row(session, target_id))

    def update(self, target_id: int, target: Target) -> StoredTarget:
        """The user's edit: the target is marked as locally edited, so that no import or
        sync overwrites it. A new address must not be another target's."""
        with self._transaction() as session:
            row = self._row(session, target_id)
            if target.key != row.key:
                other = session.scalars(
                    select(TargetRow.id).where(TargetRow.key == target.key)
                ).one_or_none()
                if other is not None:
                    raise DuplicateTarget(target.key, other)
            if _target(row) != target:
                self._change(session, row, target, origin=None, locally_edited=True)
            return _stored(row)

    def set_status(self, target_id: int, status: TargetStatus) -> StoredTarget:
        """A new status from probing: a change to the directory, not a local edit."""
        with self._transaction() as session:
            row = self._row(session, target_id)
            if row.status != status.value:
                row.status = status.value
                row.version = self._allocate(session)
                row.updated = self._now()
            return _stored(row)

    def remove(self, target_id: int) -> StoredTarget:
        """Delete the target and its history, leaving a tombstone."""
        with self._transaction() as session:
            row = self._row(session, target_id)
            stored = _stored(row)
            self._tombstone(session, row.key)
            session.delete(row)
            return stored

    def add_to_group(self, name: str, target_ids: Iterable[int]) -> int:
        """Put targets in a group (made if new); returns how many were not in it already.
        Membership is the user's choice: the targets count as locally edited."""
        return self._regroup(target_ids, lambda groups: (*groups, name))

    def remove_from_group(self, name: str, target_ids: Iterable[int]) -> int:
        return self._regroup(target_ids, lambda groups: tuple(g for g in groups if g != name))

    def _regroup(
        self, target_ids: Iterable[int], change: Callable[[tuple[str, ...]], tuple[str, ...]]
    ) -> int:
        changed = 0
        with self._transaction() as session:
            for target_id in dict.fromkeys(target_ids):
                row = self._row(session, target_id)
                target = _target(row)
                regrouped = replace(target, groups=change(target.groups))
                if regrouped != target:
                    self._change(session, row, regrouped, origin=None, locally_edited=True)
                    changed += 1
        return changed

    def record_probe(self, target_id: int, probe: ProbeResult) -> None:
        with self._transaction() as session:
            self._row(session, target_id)
            self._add_probes(session, {target_id: [probe]}, known={})

    def put_records(
        self, records: Sequence[TargetRecord], *, origin: Origin = Origin.IMPORTED
    ) -> list[Outcome]:
        """Write imported (or synced) targets, one outcome per record, in one transaction.
        New addresses are added; known ones are updated unless protected (the user's own
        or edited: ``KEPT_LOCAL``). Their probe history is added either way, without
        repeating probes already there."""
        outcomes: list[Outcome] = []
        with self._transaction() as session:
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                outcomes += self._put_chunk(session, chunk, origin)
        return outcomes

    def _put_chunk(
        self, session: Session, records: Sequence[TargetRecord], origin: Origin
    ) -> list[Outcome]:
        keys = [record.target.key for record in records]
        rows = {
            row.key: row
            for row in session.scalars(
                select(TargetRow).options(*_LOAD).where(TargetRow.key.in_(keys))
            )
        }
        known = _known_probes(session, [row.id for row in rows.values()])
        new: dict[str, Target] = {}
        outcomes = []
        for record in records:
            key = record.target.key
            row = rows.get(key)
            if row is None:
                # Keys are expected once each; a repeated one replaces the earlier.
                outcome = Outcome.UPDATED if key in new else Outcome.ADDED
                new[key] = record.target
            elif row.origin == Origin.LOCAL.value or row.locally_edited:
                outcome = Outcome.KEPT_LOCAL
            elif _target(row) == record.target and row.origin == origin.value:
                outcome = Outcome.UNCHANGED
            else:
                self._change(session, row, record.target, origin=origin, locally_edited=False)
                outcome = Outcome.UPDATED
            outcomes.append(outcome)
        ids = {row.key: row.id for row in rows.values()}
        ids.update(zip(new, self._insert(session, list(new.values()), origin), strict=True))
        probes: dict[int, list[ProbeResult]] = {}
        for record in records:
            probes.setdefault(ids[record.target.key], []).extend(record.probes)
        self._add_probes(session, probes, known=known)
        return outcomes

    # AutoSync

    def sync_state(self) -> SyncState | None:
        """The server version held, or None before the first sync."""
        with self._transaction() as session:
            row = session.get(SyncRow, 1)
            return None if row is None else SyncState(row.server_version, row.url, row.last_sync)

    def apply_sync(
        self,
        targets: Sequence[Target],
        removed: Iterable[str],
        *,
        server_version: int,
        url: str,
        at: datetime,
        full: bool,
        progress: SyncProgress | None = None,
    ) -> SyncApplied:
        """Apply a verified sync document and remember ``server_version`` from ``url``, in
        one transaction: a crash midway leaves the directory as it was.

        The user's targets win: a local or locally edited target is neither changed nor
        removed (reported in ``kept_local``). A removal deletes only synced targets, never
        imported ones. A ``full`` document (a snapshot) also removes the synced targets it no
        longer lists."""
        counts = {outcome: 0 for outcome in Outcome}
        kept_local: list[str] = []
        with self._transaction() as session:
            records = [TargetRecord(target) for target in targets]
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                outcomes = self._put_chunk(session, chunk, Origin.SYNCED)
                for record, outcome in zip(chunk, outcomes, strict=True):
                    counts[outcome] += 1
                    if outcome is Outcome.KEPT_LOCAL:
                        kept_local.append(f"{record.target.key}: changed")
                if progress is not None:
                    progress(start + len(chunk), len(records))
            gone = set(removed)
            if full:
                listed = {target.key for target in targets}
                synced = select(TargetRow.key).where(TargetRow.origin == Origin.SYNCED.value)
                gone |= {key for key in session.scalars(synced) if key not in listed}
            deleted = 0
            for key in sorted(gone):
                row = session.scalars(select(TargetRow).where(TargetRow.key == key)).one_or_none()
                if row is None:
                    continue
                if row.origin == Origin.LOCAL.value or row.locally_edited:
                    kept_local.append(f"{key}: removed")
                elif row.origin == Origin.SYNCED.value:
                    self._tombstone(session, key)
                    session.delete(row)
                    session.flush()
                    deleted += 1
            session.merge(SyncRow(id=1, server_version=server_version, url=url, last_sync=at))
        return SyncApplied(
            added=counts[Outcome.ADDED],
            updated=counts[Outcome.UPDATED],
            unchanged=counts[Outcome.UNCHANGED],
            removed=deleted,
            kept_local=tuple(kept_local),
        )

    def mark_synced(self, at: datetime) -> None:
        """A sync found the server unchanged: remember when it asked."""
        with self._transaction() as session:
            session.execute(update(SyncRow).where(SyncRow.id == 1).values(last_sync=at))

    # Internals

    def _row(self, session: Session, target_id: int) -> TargetRow:
        row = session.get(TargetRow, target_id, options=_LOAD)
        if row is None:
            raise UnknownTarget(target_id)
        return row

    def _allocate(self, session: Session, count: int = 1) -> int:
        """Take the next ``count`` directory versions; returns the first."""
        bumped = (
            update(StateRow)
            .where(StateRow.id == 1)
            .values(version=StateRow.version + count)
            .returning(StateRow.version)
        )
        return session.execute(bumped).scalar_one() - count + 1

    def _insert(self, session: Session, targets: Sequence[Target], origin: Origin) -> list[int]:
        """New targets, in bulk; returns their ids in order."""
        if not targets:
            return []
        now = self._now()
        first = self._allocate(session, len(targets))
        rows = [
            {
                **_columns(target),
                "origin": origin.value,
                "locally_edited": False,
                "created": now,
                "updated": now,
                "version": first + number,
            }
            for number, target in enumerate(targets)
        ]
        inserted = insert(TargetRow).returning(TargetRow.id, sort_by_parameter_order=True)
        ids = list(session.scalars(inserted, rows))
        keys = [target.key for target in targets]
        session.execute(delete(TombstoneRow).where(TombstoneRow.key.in_(keys)))
        pairs = list(zip(ids, targets, strict=True))
        children: list[tuple[type[Base], list[dict[str, object]]]] = [
            (
                DatabaseRow,
                [
                    {"target_id": i, "position": position, "name": name}
                    for i, t in pairs
                    for position, name in enumerate(t.address.databases)
                ],
            ),
            (SyntaxRow, [{"target_id": i, "name": n} for i, t in pairs for n in t.record_syntaxes]),
            (
                ElementSetRow,
                [{"target_id": i, "name": n} for i, t in pairs for n in t.element_sets],
            ),
            (IndexRow, [{"target_id": i, "use": n} for i, t in pairs for n in t.bib1_indexes]),
            (GroupRow, [{"target_id": i, "name": n} for i, t in pairs for n in t.groups]),
        ]
        for table, values in children:
            if values:
                session.execute(insert(table), values)
        return ids

    def _change(
        self,
        session: Session,
        row: TargetRow,
        target: Target,
        *,
        origin: Origin | None,
        locally_edited: bool,
    ) -> None:
        if target.key != row.key:
            self._tombstone(session, row.key)
            session.execute(delete(TombstoneRow).where(TombstoneRow.key == target.key))
        _fill(row, target)
        if origin is not None:
            row.origin = origin.value
        row.locally_edited = locally_edited
        row.version = self._allocate(session)
        row.updated = self._now()
        session.flush()

    def _tombstone(self, session: Session, key: str) -> None:
        version = self._allocate(session)
        stone = session.get(TombstoneRow, key)
        if stone is None:
            session.add(TombstoneRow(key=key, version=version, deleted=self._now()))
        else:
            stone.version, stone.deleted = version, self._now()

    def _add_probes(
        self,
        session: Session,
        probes: Mapping[int, Iterable[ProbeResult]],
        *,
        known: Mapping[int, set[tuple[datetime, str]]],
    ) -> None:
        """Add probe results not already recorded (same time, same prober)."""
        values = []
        for target_id, history in probes.items():
            seen = set(known.get(target_id, ()))
            for probe in history:
                when = probe.when.astimezone(UTC)
                if (when, probe.source) not in seen:
                    seen.add((when, probe.source))
                    values.append(_probe_values(target_id, probe))
        if values:
            session.execute(insert(ProbeRow), values)


_Select = TypeVar("_Select", bound=Select[Any])


def _filtered(
    query: _Select,
    *,
    group: str | None,
    status: TargetStatus | None,
    search: str | None,
) -> _Select:
    if group is not None:
        members = select(GroupRow.target_id).where(GroupRow.name == group)
        query = query.where(TargetRow.id.in_(members))
    if status is not None:
        query = query.where(TargetRow.status == status.value)
    if search:
        in_databases = select(DatabaseRow.target_id).where(
            DatabaseRow.name.icontains(search, autoescape=True)
        )
        query = query.where(
            or_(
                *(
                    column.icontains(search, autoescape=True)
                    for column in (
                        TargetRow.name,
                        TargetRow.institution,
                        TargetRow.country,
                        TargetRow.host,
                        TargetRow.description,
                    )
                ),
                TargetRow.id.in_(in_databases),
            )
        )
    return query


_Row = TypeVar("_Row", SyntaxRow, ElementSetRow, GroupRow, IndexRow)
_Value = TypeVar("_Value", str, int)


def _sync(
    rows: list[_Row],
    wanted: Iterable[_Value],
    value: Callable[[_Row], _Value],
    make: Callable[[_Value], _Row],
) -> None:
    """Make a set-like collection hold ``wanted``, touching only what differs (a row
    removed and added again with the same key would collide in one flush)."""
    wanted_set = set(wanted)
    for row in [row for row in rows if value(row) not in wanted_set]:
        rows.remove(row)
    have = {value(row) for row in rows}
    rows.extend(make(item) for item in sorted(wanted_set - have))


def _columns(target: Target) -> dict[str, object]:
    """The target's own columns (not its lists)."""
    address = target.address
    auth = target.authentication
    return {
        "key": target.key,
        "protocol": address.protocol.value,
        "host": address.host,
        "port": address.port,
        "tls": address.tls,
        "name": target.name,
        "institution": target.institution,
        "description": target.description,
        "contact": target.contact,
        "country": target.country,
        "library_type": target.library_type,
        "charset": target.charset,
        "auth_user": auth.user,
        "auth_password": auth.password,
        "auth_group": auth.group,
        "implementation_id": target.implementation_id,
        "implementation_name": target.implementation_name,
        "implementation_version": target.implementation_version,
        "status": target.status.value,
        "modified": target.modified,
    }


def _fill(row: TargetRow, target: Target) -> None:
    for name, value in _columns(target).items():
        setattr(row, name, value)
    address = target.address
    for position, name in enumerate(address.databases):
        if position < len(row.databases):
            row.databases[position].name = name
        else:
            row.databases.append(DatabaseRow(position=position, name=name))
    del row.databases[len(address.databases) :]
    _sync(row.syntaxes, target.record_syntaxes, lambda r: r.name, lambda v: SyntaxRow(name=v))
    _sync(row.element_sets, target.element_sets, lambda r: r.name, lambda v: ElementSetRow(name=v))
    _sync(row.indexes, target.bib1_indexes, lambda r: r.use, lambda v: IndexRow(use=v))
    _sync(row.groups, target.groups, lambda r: r.name, lambda v: GroupRow(name=v))


def _target(row: TargetRow) -> Target:
    return Target(
        Address(
            row.host,
            row.port,
            tuple(database.name for database in row.databases),
            TargetProtocol(row.protocol),
            row.tls,
        ),
        name=row.name,
        institution=row.institution,
        description=row.description,
        contact=row.contact,
        country=row.country,
        library_type=row.library_type,
        record_syntaxes=tuple(syntax.name for syntax in row.syntaxes),
        element_sets=tuple(element_set.name for element_set in row.element_sets),
        charset=row.charset,
        authentication=Authentication(row.auth_user, row.auth_password, row.auth_group),
        bib1_indexes=tuple(index.use for index in row.indexes),
        groups=tuple(group.name for group in row.groups),
        status=TargetStatus(row.status),
        implementation_id=row.implementation_id,
        implementation_name=row.implementation_name,
        implementation_version=row.implementation_version,
        modified=row.modified,
    )


def _stored(row: TargetRow) -> StoredTarget:
    return StoredTarget(
        id=row.id,
        target=_target(row),
        origin=Origin(row.origin),
        locally_edited=row.locally_edited,
        version=row.version,
        created=row.created,
        updated=row.updated,
    )


def _known_probes(session: Session, target_ids: list[int]) -> dict[int, set[tuple[datetime, str]]]:
    known: dict[int, set[tuple[datetime, str]]] = {}
    if not target_ids:
        return known
    query = select(ProbeRow.target_id, ProbeRow.at, ProbeRow.source).where(
        ProbeRow.target_id.in_(target_ids)
    )
    for target_id, at, source in session.execute(query):
        known.setdefault(target_id, set()).add((at, source))
    return known


def _probe_values(target_id: int, probe: ProbeResult) -> dict[str, object]:
    diagnostic = probe.diagnostic
    return {
        "target_id": target_id,
        "at": probe.when,
        "source": probe.source,
        "reachable": probe.reachable,
        "init_ok": probe.init_ok,
        "search_ok": probe.search_ok,
        "hits": probe.hits,
        "implementation_id": probe.implementation_id,
        "implementation_name": probe.implementation_name,
        "implementation_version": probe.implementation_version,
        "syntaxes": " ".join(probe.syntaxes),
        "connect_seconds": probe.connect_seconds,
        "init_seconds": probe.init_seconds,
        "search_seconds": probe.search_seconds,
        "diagnostic_set": diagnostic.set if diagnostic else None,
        "diagnostic_code": diagnostic.code if diagnostic else None,
        "diagnostic_message": diagnostic.message if diagnostic else "",
        "diagnostic_addinfo": diagnostic.addinfo if diagnostic else "",
    }


def _probe(row: ProbeRow) -> ProbeResult:
    diagnostic = None
    if row.diagnostic_set is not None:
        diagnostic = Diagnostic(
            row.diagnostic_set, row.diagnostic_code, row.diagnostic_message, row.diagnostic_addinfo
        )
    return ProbeResult(
        when=row.at,
        reachable=row.reachable,
        init_ok=row.init_ok,
        search_ok=row.search_ok,
        hits=row.hits,
        implementation_id=row.implementation_id,
        implementation_name=row.implementation_name,
        implementation_version=row.implementation_version,
        syntaxes=tuple(row.syntaxes.split()),
        connect_seconds=row.connect_seconds,
        init_seconds=row.init_seconds,
        search_seconds=row.search_seconds,
        diagnostic=diagnostic,
        source=row.source,
    )
