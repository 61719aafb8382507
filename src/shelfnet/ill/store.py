"""The ILL store: an SQLite file by default, a PostgreSQL database for a shared server.

Every status change is one database transaction: the new status, its history line, what
routing rules do next (with their history lines and notes) and the new version and update
time are written together or not at all. Changes to one transaction never interleave: the
row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every writing
transaction begins ``IMMEDIATE``, taking the database's write lock), and a change made
against an older version than the stored one is refused (``VersionConflict``).

The schema is made and upgraded by the Alembic migrations in ``migrations/`` whenever a
store is opened, with their own version table, so the ILL store may share a database with
the directory. The mapped tables are in ``tables.py``.
"""

from __future__ import annotations

import enum
import os
import secrets
import statistics
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shelfnet.database import migrate, open_engine, write_engine
from shelfnet.ill import copyright
from shelfnet.ill.model import (
    Citation,
    ClearedState,
    CopyrightCompliance,
    DeliveryPreference,
    DocumentType,
    Note,
    Partner,
    PartnerProtocol,
    Patron,
    PatronStatus,
    ProcessType,
    QueueItem,
    RequestType,
    SoftLock,
    StaffRole,
    StaffUser,
    StatusChange,
    SystemId,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.routing import MAX_HOPS, Condition, Field, Operator, RoutingRule, facts, route
from shelfnet.ill.tables import (
    CITATION_COLUMNS,
    HistoryRow,
    NoteRow,
    PartnerRow,
    PatronRow,
    QueueCountRow,
    RoutingRuleRow,
    StaffRow,
    TransactionRow,
)
from shelfnet.ill.workflow import (
    CANCELLED,
    DEFAULT_LOCK_MINUTES,
    FILLED,
    INITIAL,
    TERMINAL,
    Action,
    LenderStringExhausted,
    Status,
    TransitionRefused,
    action_target,
    check_lock,
    check_transition,
    lock_expired,
    next_lender,
)

VERSION_TABLE = "ill_alembic_version"
MIGRATIONS = Path(__file__).parent / "migrations"
ROUTING = "routing"
"""Who history says made the moves routing rules made."""
COPYRIGHT = "copyright"
"""Who history says held a request for copyright clearance."""
"""Execution option marking the engine whose SQLite transactions begin IMMEDIATE."""

Clock = Callable[[], datetime]
_Select = TypeVar("_Select", bound=Select[*tuple[Any, ...]])
TokenSource = Callable[[], str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class IllStoreError(Exception):
    """The store cannot be used, or a request of it cannot be met."""


class UnknownRecord(IllStoreError, LookupError):
    """No transaction, patron, partner or rule by that number or name."""


class Duplicate(IllStoreError):
    """A username, partner symbol or rule number already taken."""


class VersionConflict(IllStoreError):
    """The transaction changed since the caller read it."""

    def __init__(self, transaction_id: int, expected: int, actual: int) -> None:
        super().__init__(
            f"transaction {transaction_id} changed since it was read (version {expected}, "
            f"now {actual}): reload it and try again"
        )
        self.transaction_id = transaction_id
        self.expected = expected
        self.actual = actual


class PatronList(enum.Enum):
    """The lists a patron sees of their own requests."""

    OUTSTANDING = "outstanding"
    HISTORY = "history"
    """Finished."""
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StatusCount:
    process_type: ProcessType
    status: Status
    count: int


@dataclass(frozen=True)
class Turnaround:
    """Days from the request to its filling (borrowing: received; lending: shipped;
    document delivery: delivered)."""

    process_type: ProcessType
    request_type: RequestType
    filled: int
    mean_days: float
    median_days: float


@dataclass(frozen=True)
class FillRate:
    """Of the requests closed (finished or cancelled), how many were filled."""

    process_type: ProcessType
    closed: int
    filled: int

    @property
    def rate(self) -> float:
        return self.filled / self.closed if self.closed else 0.0


@dataclass(frozen=True)
class PartnerLending:
    """Lending to one requesting library."""

    partner: str
    requests: int
    filled: int
    unfilled: int
    open: int


def open_ill_store(
    location: str | os.PathLike[str],
    *,
    clock: Clock | None = None,
    lock_minutes: float = DEFAULT_LOCK_MINUTES,
    max_hops: int = MAX_HOPS,
    token: TokenSource = _feed_token,
) -> IllStore:
    """The ILL store at a file path (SQLite, made if missing) or a database URL, its schema
    brought up to date. ``lock_minutes``: how long a soft lock holds; ``max_hops``: how many
    moves routing makes before it calls a chain a loop; ``token``: makes feed tokens."""
    location = str(location)
    try:
        engine = open_engine(location)
    except SQLAlchemyError as exc:
        raise IllStoreError(str(exc)) from exc
    try:
        _migrate(engine)
    except (IllStoreError, SQLAlchemyError) as exc:
        engine.dispose()
        if isinstance(exc, IllStoreError):
            raise
        raise IllStoreError(str(getattr(exc, "orig", None) or exc)) from exc
    return IllStore(
        engine,
        location=location,
        clock=clock or _utc_now,
        lock_minutes=lock_minutes,
        max_hops=max_hops,
        token=token,
    )


def _migrate(engine: Engine) -> None:
    migrate(engine, MIGRATIONS, VERSION_TABLE, foreign=_foreign, error=IllStoreError)


def _foreign(_dialect: str, tables: set[str]) -> str | None:
    if "ill_transactions" in tables and VERSION_TABLE not in tables:
        return "not a shelfnet ILL store (its tables have no version)"
    return None


class IllStore:
    """Transactions, patrons, staff, partners and routing rules, in one database."""

    errors: tuple[type[Exception], ...] = (SQLAlchemyError,)
    """What a failing database raises midway (locked, gone away), for callers to catch."""

    def __init__(
        self,
        engine: Engine,
        *,
        location: str,
        clock: Clock = _utc_now,
        lock_minutes: float = DEFAULT_LOCK_MINUTES,
        max_hops: int = MAX_HOPS,
        token: TokenSource = _feed_token,
    ) -> None:
        self.location = location
        self.lock_minutes = lock_minutes
        self.max_hops = max_hops
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(write_engine(engine), expire_on_commit=False)
        self._clock = clock
        self._token = token

    @property
    def engine(self) -> Engine:
        """The database engine, for the parts kept beside the store (sign-ons, API keys)."""
        return self._engine

    @property
    def write_engine(self) -> Engine:
        """The engine for transactions that will write: on SQLite they take the write lock
        when they begin (BEGIN IMMEDIATE), so two writers wait for each other instead of one
        failing at once with "database is locked" when its read lock cannot be upgraded."""
        return write_engine(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._reads.begin() as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # Patrons

    def create_patron(self, patron: Patron) -> Patron:
        """A new patron (its ``id`` is ignored); a feed token is made unless given."""
        row = PatronRow(created=self._now())
        _fill_patron(row, patron)
        row.feed_token = patron.feed_token or self._token()
        with self._writing() as session:
            if session.scalar(select(PatronRow.id).where(PatronRow.username == row.username)):
                raise Duplicate(f"a patron already has the username {patron.username}")
            session.add(row)
            session.flush()
            return _patron(row)

    def get_patron(self, patron_id: int) -> Patron:
        with self._reading() as session:
            return _patron(_get(session, PatronRow, patron_id, "patron"))

    def find_patron(self, username: str) -> Patron | None:
        with self._reading() as session:
            row = session.scalars(select(PatronRow).where(PatronRow.username == username)).first()
            return None if row is None else _patron(row)

    def find_patron_by_feed_token(self, token: str) -> Patron | None:
        with self._reading() as session:
            query = select(PatronRow).where(PatronRow.feed_token == token)
            row = session.scalars(query).first() if token else None
            return None if row is None else _patron(row)

    def patrons(self, search: str = "", *, limit: int = 100) -> list[Patron]:
        """Patrons by username; ``search`` finds text in usernames, names and emails."""
        query = select(PatronRow).order_by(PatronRow.username).limit(limit)
        if search:
            query = query.where(
                or_(
                    *(
                        column.icontains(search, autoescape=True)
                        for column in (
                            PatronRow.username,
                            PatronRow.first_name,
                            PatronRow.last_name,
                            PatronRow.email,
                        )
                    )
                )
            )
        with self._reading() as session:
            return [_patron(row) for row in session.scalars(query)]

    def update_patron(self, patron: Patron) -> Patron:
        """Write the patron (found by ``id``); an empty feed token keeps the stored one."""
        with self._writing() as session:
            row = _get(session, PatronRow, patron.id, "patron")
            token = row.feed_token
            _fill_patron(row, patron)
            row.feed_token = patron.feed_token or token
            try:
                session.flush()
            except IntegrityError as exc:
                raise Duplicate(f"a patron already has the username {patron.username}") from exc
            return _patron(row)

    def renew_feed_token(self, patron_id: int) -> Patron:
        """A new feed token: the old feed address stops working."""
        with self._writing() as session:
            row = _get(session, PatronRow, patron_id, "patron")
            row.feed_token = self._token()
            return _patron(row)

    # Staff and partners

    def create_staff(self, user: StaffUser) -> StaffUser:
        row = StaffRow(
            username=user.username,
            name=user.name,
            email=user.email,
            role=user.role.value,
            password_hash=user.password_hash,
        )
        with self._writing() as session:
            if session.scalar(select(StaffRow.id).where(StaffRow.username == user.username)):
                raise Duplicate(f"a staff user already has the username {user.username}")
            session.add(row)
            session.flush()
            return _staff(row)

    def get_staff(self, username: str) -> StaffUser | None:
        with self._reading() as session:
            row = session.scalars(select(StaffRow).where(StaffRow.username == username)).first()
            return None if row is None else _staff(row)

    def list_staff(self) -> list[StaffUser]:
        with self._reading() as session:
            return [_staff(row) for row in session.scalars(select(StaffRow).order_by("username"))]

    def create_partner(self, partner: Partner) -> Partner:
        with self._writing() as session:
            if session.scalar(select(PartnerRow.id).where(PartnerRow.symbol == partner.symbol)):
                raise Duplicate(f"a partner already has the symbol {partner.symbol}")
            row = PartnerRow()
            _fill_partner(row, partner)
            session.add(row)
            session.flush()
            return _partner(row)

    def get_partner(self, symbol: str) -> Partner | None:
        with self._reading() as session:
            row = session.scalars(select(PartnerRow).where(PartnerRow.symbol == symbol)).first()
            return None if row is None else _partner(row)

    def list_partners(self, *, active_only: bool = False) -> list[Partner]:
        query = select(PartnerRow).order_by(PartnerRow.symbol)
        if active_only:
            query = query.where(PartnerRow.active.is_(True))
        with self._reading() as session:
            return [_partner(row) for row in session.scalars(query)]

    def update_partner(self, partner: Partner) -> Partner:
        """Write the partner found by its symbol."""
        with self._writing() as session:
            row = session.scalars(
                select(PartnerRow).where(PartnerRow.symbol == partner.symbol)
            ).first()
            if row is None:
                raise UnknownRecord(f"no partner {partner.symbol}")
            _fill_partner(row, partner)
            return _partner(row)

    # Routing rules

    def routing_rules(self) -> list[RoutingRule]:
        with self._reading() as session:
            return _rules(session)

    def replace_routing_rules(self, rules: Iterable[RoutingRule]) -> None:
        rules = list(rules)
        numbers = [rule.number for rule in rules]
        if len(set(numbers)) != len(numbers):
            raise Duplicate("two routing rules have the same number")
        with self._writing() as session:
            session.execute(delete(RoutingRuleRow))
            session.add_all(_rule_row(rule) for rule in rules)

    def add_routing_rule(self, rule: RoutingRule) -> None:
        with self._writing() as session:
            if session.get(RoutingRuleRow, rule.number) is not None:
                raise Duplicate(f"there is a routing rule {rule.number} already")
            session.add(_rule_row(rule))

    def delete_routing_rule(self, number: int) -> None:
        with self._writing() as session:
            session.delete(_get(session, RoutingRuleRow, number, "routing rule"))

    # Transactions: reading

    def get_transaction(self, transaction_id: int) -> Transaction:
        with self._reading() as session:
            return _full(session, transaction_id)

    def status_history(self, transaction_id: int) -> list[StatusChange]:
        """Oldest first, from creation on."""
        return list(self.get_transaction(transaction_id).history)

    def notes(self, transaction_id: int, *, patron_visible_only: bool = False) -> list[Note]:
        notes = self.get_transaction(transaction_id).notes
        return [note for note in notes if note.patron_visible or not patron_visible_only]

    def transactions_for_patron(
        self, patron_id: int, kind: PatronList = PatronList.OUTSTANDING
    ) -> list[Transaction]:
        """The patron's requests in one list, newest first."""
        statuses = {
            PatronList.OUTSTANDING: [status for status in Status if status not in TERMINAL],
            PatronList.HISTORY: [Status.REQUEST_FINISHED],
            PatronList.CANCELLED: list(CANCELLED),
        }[kind]
        query = (
            select(TransactionRow)
            .options(selectinload(TransactionRow.history), selectinload(TransactionRow.notes))
            .where(
                TransactionRow.patron_id == patron_id,
                TransactionRow.status.in_([status.value for status in statuses]),
            )
            .order_by(TransactionRow.created.desc(), TransactionRow.id.desc())
        )
        with self._reading() as session:
            return [_transaction(row) for row in session.scalars(query)]

    def queue(
        self,
        status: Status,
        process_type: ProcessType | None = None,
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> list[QueueItem]:
        """The transactions waiting in a status, oldest first."""
        query = _queue_items().where(TransactionRow.status == status.value)
        if process_type is not None:
            query = query.where(TransactionRow.process_type == process_type.value)
        query = query.order_by(TransactionRow.created, TransactionRow.id)
        with self._reading() as session:
            rows = session.execute(query.offset(offset).limit(limit))
            return [_queue_item(row) for row in rows]

    def queue_counts(self) -> dict[tuple[ProcessType, Status], int]:
        """How many transactions wait in each queue that is not empty (counts the database
        keeps up to date itself: ``ill_queue_counts``)."""
        query = select(QueueCountRow.process_type, QueueCountRow.status, QueueCountRow.count)
        with self._reading() as session:
            return {
                (ProcessType(process), Status(status)): count
                for process, status, count in session.execute(query.where(QueueCountRow.count > 0))
            }

    def queue_count(self, status: Status, process_type: ProcessType) -> int:
        """How many transactions are in one queue."""
        query = select(QueueCountRow.count).where(
            QueueCountRow.process_type == process_type.value, QueueCountRow.status == status.value
        )
        with self._reading() as session:
            return session.scalar(query) or 0

    def search(
        self,
        text: str = "",
        *,
        status: Status | None = None,
        process_type: ProcessType | None = None,
        patron: str | None = None,
        limit: int = 100,
    ) -> list[QueueItem]:
        """Transactions newest first: ``text`` is a transaction number or words of a title
        (title, article title, journal title); ``patron`` a username."""
        query = _queue_items()
        text = text.strip()
        if text:
            matches = [
                column.icontains(text, autoescape=True)
                for column in (
                    TransactionRow.title,
                    TransactionRow.article_title,
                    TransactionRow.journal_title,
                )
            ]
            if text.isdigit():
                matches.append(TransactionRow.id == int(text))
            query = query.where(or_(*matches))
        if status is not None:
            query = query.where(TransactionRow.status == status.value)
        if process_type is not None:
            query = query.where(TransactionRow.process_type == process_type.value)
        if patron is not None:
            query = query.where(PatronRow.username == patron)
        query = query.order_by(TransactionRow.created.desc(), TransactionRow.id.desc())
        with self._reading() as session:
            return [_queue_item(row) for row in session.execute(query.limit(limit))]

    # Transactions: changing

    def create_transaction(self, draft: TransactionDraft, by: str) -> Transaction:
        """A new transaction in its process's first status, moved on by the routing rules
        and held for copyright clearance when the rule of five says so."""
        now = self._now()
        with self._writing() as session:
            if draft.patron_id is not None:
                _get(session, PatronRow, draft.patron_id, "patron")
            row = _new_row(draft, now)
            session.add(row)
            session.flush()
            self._history(session, row, None, None, by, "created", now)
            self._route(session, row, now)
            self._check_copyright(session, row, now)
            session.flush()
            return _full(session, row.id)

    def change_status(
        self,
        transaction_id: int,
        to: Status,
        by: str,
        *,
        note: str | None = None,
        to_process: ProcessType | None = None,
        expected_version: int | None = None,
        force: bool = False,
    ) -> Transaction:
        """Move a transaction (to another process too, where the workflow allows), then let
        the routing rules move it on. Refused: a move the workflow does not allow
        (``TransitionRefused``), another user's soft lock unless ``force`` (``Locked``), a
        transaction changed since ``expected_version`` (``VersionConflict``)."""
        with self._writing() as session:
            row = self._for_change(session, transaction_id, by, expected_version, force)
            self._move(session, row, to_process, to, by, note or "")
            return _full(session, row.id)

    def apply_action(
        self,
        transaction_id: int,
        action: Action,
        by: str,
        *,
        note: str | None = None,
        expected_version: int | None = None,
        force: bool = False,
    ) -> Transaction:
        """Press a staff button: the action's move, with what goes with it (sending a
        request goes to the next lender in the lender string; clearing copyright records
        the clearance)."""
        with self._writing() as session:
            row = self._for_change(session, transaction_id, by, expected_version, force)
            process, status = ProcessType(row.process_type), Status(row.status)
            target = action_target(process, status, action)
            if action is Action.SEND_REQUEST:
                _choose_lender(row, status)
            elif action is Action.CLEAR_COPYRIGHT:
                row.copyright_cleared = True
                row.copyright_compliance = CopyrightCompliance.CCL.value
            self._move(session, row, None, target, by, note or action.label)
            return _full(session, row.id)

    def update_transaction(
        self, transaction: Transaction, by: str, *, force: bool = False
    ) -> Transaction:
        """Write a transaction's citation, lender string, partner, numbers, dates and money
        (status and process change only through ``change_status``), against the version it
        was read at."""
        with self._writing() as session:
            row = self._for_change(session, transaction.id, by, transaction.version, force)
            if (row.status, row.process_type) != (
                transaction.status.value,
                transaction.process_type.value,
            ):
                raise IllStoreError("a status changes through change_status, not an update")
            _fill_transaction(row, transaction)
            row.version += 1
            row.updated = self._now()
            session.flush()
            return _full(session, row.id)

    def add_note(
        self, transaction_id: int, by: str, text: str, *, patron_visible: bool = False
    ) -> Note:
        with self._writing() as session:
            row = _get(session, TransactionRow, transaction_id, "transaction")
            note = self._note(session, row, by, text, patron_visible=patron_visible)
            session.flush()
            return _note_value(note)

    def take_lock(self, transaction_id: int, user: str, *, force: bool = False) -> SoftLock:
        """Open a transaction from a queue. ``Locked`` when someone else holds an unexpired
        lock, unless ``force``: then the lock is taken over."""
        now = self._now()
        with self._writing() as session:
            row = self._locked_row(session, transaction_id)
            check_lock(_lock(row), user, now, minutes=self.lock_minutes, force=force)
            row.lock_holder, row.lock_taken = user, now
            return SoftLock(user, now)

    def release_lock(self, transaction_id: int, user: str, *, force: bool = False) -> None:
        """Let go of a lock; another user's unexpired lock only with ``force``."""
        now = self._now()
        with self._writing() as session:
            row = self._locked_row(session, transaction_id)
            check_lock(_lock(row), user, now, minutes=self.lock_minutes, force=force)
            row.lock_holder, row.lock_taken = None, None

    def current_lock(self, transaction_id: int) -> SoftLock | None:
        """The lock on a transaction, unless it has expired."""
        with self._reading() as session:
            lock = _lock(_get(session, TransactionRow, transaction_id, "transaction"))
        if lock is None or lock_expired(lock, self._now(), self.lock_minutes):
            return None
        return lock

    # Reports

    def requests_by_status(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[StatusCount]:
        """Requests made in the period, by process and current status."""
        query = _period(
            select(TransactionRow.process_type, TransactionRow.status, func.count()).group_by(
                TransactionRow.process_type, TransactionRow.status
            ),
            since,
            until,
        )
        with self._reading() as session:
            rows = [
                StatusCount(ProcessType(process), Status(status), count)
                for process, status, count in session.execute(query)
            ]
        return sorted(rows, key=lambda row: (row.process_type.value, row.status.value))

    def turnaround(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Turnaround]:
        """Days from request to filling, for loans and copies of each process."""
        days: dict[tuple[ProcessType, RequestType], list[float]] = {}
        with self._reading() as session:
            for process in ProcessType:
                filled = _filled_at(process)
                query = _period(
                    select(TransactionRow.request_type, TransactionRow.created, filled.c.at)
                    .join(filled, filled.c.transaction_id == TransactionRow.id)
                    .where(TransactionRow.process_type == process.value),
                    since,
                    until,
                )
                for request_type, created, at in session.execute(query):
                    at = at if at.tzinfo else at.replace(tzinfo=UTC)
                    key = (process, RequestType(request_type))
                    days.setdefault(key, []).append((at - created).total_seconds() / 86400)
        return [
            Turnaround(process, request_type, len(values), statistics.fmean(values),
                       statistics.median(values))
            for (process, request_type), values in sorted(
                days.items(), key=lambda item: (item[0][0].value, item[0][1].value)
            )
        ]  # fmt: skip

    def fill_rate(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[FillRate]:
        """For each process: requests made in the period and closed, and how many filled."""
        rates = []
        terminal = [status.value for status in TERMINAL]
        with self._reading() as session:
            for process in ProcessType:
                filled = _filled_at(process)
                query = _period(
                    select(func.count(), func.count(filled.c.transaction_id))
                    .select_from(TransactionRow)
                    .outerjoin(filled, filled.c.transaction_id == TransactionRow.id)
                    .where(
                        TransactionRow.process_type == process.value,
                        TransactionRow.status.in_(terminal),
                    ),
                    since,
                    until,
                )
                closed, done = session.execute(query).one()
                rates.append(FillRate(process, closed, done))
        return rates

    def lending_by_partner(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[PartnerLending]:
        """Lending requests made in the period, by requesting library."""
        filled = _filled_at(ProcessType.LENDING)
        terminal = [status.value for status in TERMINAL]
        closed = TransactionRow.status.in_(terminal)
        query = _period(
            select(
                TransactionRow.partner,
                func.count(),
                func.count(filled.c.transaction_id),
                func.count().filter(closed, filled.c.transaction_id.is_(None)),
                func.count().filter(~closed),
            )
            .select_from(TransactionRow)
            .outerjoin(filled, filled.c.transaction_id == TransactionRow.id)
            .where(TransactionRow.process_type == ProcessType.LENDING.value)
            .group_by(TransactionRow.partner),
            since,
            until,
        )
        with self._reading() as session:
            rows = [
                PartnerLending(partner or "", *counts)
                for partner, *counts in session.execute(query)
            ]
        return sorted(rows, key=lambda row: row.partner)

    def copyright_report(self, year: int | None = None) -> list[copyright.ReportRow]:
        """The rule of five's tally per journal and year (one year, or all)."""
        query = _subject_to_copyright()
        if year is not None:
            query = query.where(
                TransactionRow.created >= datetime(year, 1, 1, tzinfo=UTC),
                TransactionRow.created < datetime(year + 1, 1, 1, tzinfo=UTC),
            )
        with self._reading() as session:
            return copyright.report(_transaction(row) for row in session.scalars(query))

    # Inside a writing session

    def _locked_row(self, session: Session, transaction_id: int) -> TransactionRow:
        query = select(TransactionRow).where(TransactionRow.id == transaction_id)
        row = session.scalars(query.with_for_update()).first()
        if row is None:
            raise UnknownRecord(f"no transaction {transaction_id}")
        return row

    def _for_change(
        self,
        session: Session,
        transaction_id: int,
        by: str,
        expected_version: int | None,
        force: bool,
    ) -> TransactionRow:
        row = self._locked_row(session, transaction_id)
        if expected_version is not None and row.version != expected_version:
            raise VersionConflict(transaction_id, expected_version, row.version)
        check_lock(_lock(row), by, self._now(), minutes=self.lock_minutes, force=force)
        return row

    def _move(
        self,
        session: Session,
        row: TransactionRow,
        to_process: ProcessType | None,
        to: Status,
        by: str,
        note: str,
    ) -> None:
        """One checked move, the routing after it, and the new version."""
        now = self._now()
        process, status = ProcessType(row.process_type), Status(row.status)
        check_transition(process, status, to, to_process)
        row.process_type = (to_process or process).value
        row.status = to.value
        self._history(session, row, process, status, by, note, now)
        self._route(session, row, now)
        row.version += 1
        row.updated = now
        session.flush()

    def _route(self, session: Session, row: TransactionRow, now: datetime) -> None:
        """Let the routing rules move the transaction on from the status it just entered."""
        patron = None
        if row.patron_id is not None:
            patron = _patron(_get(session, PatronRow, row.patron_id, "patron"))
        routed = route(
            ProcessType(row.process_type),
            Status(row.status),
            facts(_transaction(row, with_lists=False), patron),
            _rules(session),
            max_hops=self.max_hops,
        )
        for hop in routed.hops:
            row.process_type, row.status = hop.to_process.value, hop.to_status.value
            note = f"routing rule {hop.rule}"
            self._history(session, row, hop.from_process, hop.from_status, ROUTING, note, now)
        if routed.loop:
            rules = ", ".join(str(hop.rule) for hop in routed.hops)
            text = f"Routing stopped after {len(routed.hops)} moves (rules {rules}): a loop?"
            self._note(session, row, ROUTING, text, at=now)
        if routed.refused is not None:
            number, sentence = routed.refused
            self._note(session, row, ROUTING, f"Routing rule {number} not applied: {sentence}")

    def _check_copyright(self, session: Session, row: TransactionRow, now: datetime) -> None:
        """The rule of five for a new borrowing copy of an article."""
        candidate = _transaction(row, with_lists=False)
        if not copyright.subject_to_rule(candidate):
            return
        start = datetime(row.created.year, 1, 1, tzinfo=UTC)
        others = session.scalars(
            _subject_to_copyright().where(
                TransactionRow.journal_key == row.journal_key,
                TransactionRow.created >= start,
                TransactionRow.created <= row.created,
                TransactionRow.id != row.id,
            )
        )
        earlier = [_transaction(other, with_lists=False) for other in others]
        assessment = copyright.assess(candidate, earlier)
        row.copyright_compliance = assessment.compliance.value
        if not assessment.needs_clearance:
            return
        process, status = ProcessType(row.process_type), Status(row.status)
        held = Status.AWAITING_COPYRIGHT_CLEARANCE
        try:
            check_transition(process, status, held)
        except TransitionRefused:
            # Routing has moved it on already; staff see why it should wait.
            text = f"Needs copyright clearance: {assessment.reason}"
            self._note(session, row, COPYRIGHT, text, at=now)
            return
        row.status = held.value
        self._history(session, row, process, status, COPYRIGHT, assessment.reason, now)
        self._route(session, row, now)

    def _history(
        self,
        session: Session,
        row: TransactionRow,
        from_process: ProcessType | None,
        from_status: Status | None,
        by: str,
        note: str,
        at: datetime,
    ) -> None:
        session.add(
            HistoryRow(
                transaction_id=row.id,
                at=at,
                by=by,
                from_process=None if from_process is None else from_process.value,
                from_status=None if from_status is None else from_status.value,
                to_process=row.process_type,
                to_status=row.status,
                note=note,
            )
        )

    def _note(
        self,
        session: Session,
        row: TransactionRow,
        by: str,
        text: str,
        *,
        patron_visible: bool = False,
        at: datetime | None = None,
    ) -> NoteRow:
        note = NoteRow(
            transaction_id=row.id,
            at=at or self._now(),
            by=by,
            text=text,
            patron_visible=patron_visible,
        )
        session.add(note)
        return note


def _get(session: Session, table: type[Any], key: int, what: str) -> Any:
    row = session.get(table, key)
    if row is None:
        raise UnknownRecord(f"no {what} {key}")
    return row


def _full(session: Session, transaction_id: int) -> Transaction:
    session.flush()
    query = (
        select(TransactionRow)
        .options(selectinload(TransactionRow.history), selectinload(TransactionRow.notes))
        .where(TransactionRow.id == transaction_id)
        .execution_options(populate_existing=True)
    )
    row = session.scalars(query).first()
    if row is None:
        raise UnknownRecord(f"no transaction {transaction_id}")
    return _transaction(row)


def _rules(session: Session) -> list[RoutingRule]:
    rows = session.scalars(select(RoutingRuleRow).order_by(RoutingRuleRow.number))
    return [_rule(row) for row in rows]


def _choose_lender(row: TransactionRow, status: Status) -> None:
    """Sending after an unfilled answer goes to the next lender; a first sending to the first
    lender unless a partner was chosen; a conditional answer goes back to the same one."""
    lenders = _split(row.lender_string)
    if status is Status.AWAITING_UNFILLED_PROCESSING:
        lender = next_lender(lenders, row.partner)
    elif row.partner is None:
        lender = next_lender(lenders, None)
    else:
        return
    if lender is None and lenders:
        raise LenderStringExhausted(
            ProcessType.BORROWING,
            status,
            Status.REQUEST_SENT,
            reason=f"Every lender in the lender string ({', '.join(lenders)}) has been tried.",
        )
    row.partner = lender


def _filled_at(process: ProcessType) -> Any:
    """(transaction_id, at): when each transaction of the process was first filled."""
    return (
        select(HistoryRow.transaction_id, func.min(HistoryRow.at).label("at"))
        .where(
            HistoryRow.to_process == process.value,
            HistoryRow.to_status.in_([status.value for status in FILLED[process]]),
        )
        .group_by(HistoryRow.transaction_id)
        .subquery()
    )


def _period(query: _Select, since: datetime | None, until: datetime | None) -> _Select:
    if since is not None:
        query = query.where(TransactionRow.created >= since)
    if until is not None:
        query = query.where(TransactionRow.created < until)
    return query


def _subject_to_copyright() -> Select[TransactionRow]:
    return select(TransactionRow).where(
        TransactionRow.process_type == ProcessType.BORROWING.value,
        TransactionRow.request_type == RequestType.COPY.value,
        TransactionRow.document_type == DocumentType.ARTICLE.value,
    )


def _queue_items() -> Select[*tuple[Any, ...]]:
    t = TransactionRow
    return select(
        t.id, t.process_type, t.request_type, t.document_type, t.status, t.title,
        t.article_title, t.journal_title, t.author, PatronRow.username, t.partner, t.created,
        t.updated, t.lock_holder, t.lock_taken,
    ).outerjoin(PatronRow, PatronRow.id == t.patron_id)  # fmt: skip


def _queue_item(row: Any) -> QueueItem:
    (id_, process, request, document, status, title, article_title, journal, author, username,
     partner, created, updated, lock_holder, lock_taken) = row  # fmt: skip
    is_article = bool(article_title)
    return QueueItem(
        id=id_,
        process_type=ProcessType(process),
        request_type=RequestType(request),
        document_type=DocumentType(document),
        status=Status(status),
        title=article_title if is_article else title,
        source=(journal or title) if is_article else author,
        patron=username,
        partner=partner,
        created=created,
        updated=updated,
        lock=None
        if lock_holder is None or lock_taken is None
        else SoftLock(lock_holder, lock_taken),
    )


# Rows and values


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _lines(value: str) -> tuple[str, ...]:
    return tuple(value.split("\n")) if value else ()


def _citation_columns(citation: Citation) -> dict[str, Any]:
    columns: dict[str, Any] = {name: getattr(citation, name) for name in CITATION_COLUMNS}
    columns.update(
        not_wanted_after=citation.not_wanted_after,
        max_cost=citation.max_cost,
        accept_alternate_edition=citation.accept_alternate_edition,
        copyright_compliance=citation.copyright_compliance.value,
        journal_key=copyright.journal_key(citation)[:255],
    )
    return columns


def _new_row(draft: TransactionDraft, now: datetime) -> TransactionRow:
    return TransactionRow(
        process_type=draft.process_type.value,
        request_type=draft.request_type.value,
        document_type=draft.document_type.value,
        status=INITIAL[draft.process_type].value,
        patron_id=draft.patron_id,
        **_citation_columns(draft.citation),
        copyright_cleared=False,
        lender_string=",".join(draft.lender_string),
        partner=draft.partner,
        external_id=draft.external_id,
        due_date=draft.due_date,
        cost=draft.cost,
        fee=draft.fee,
        system_id=draft.system_id.value,
        created=now,
        updated=now,
        version=1,
    )


def _fill_transaction(row: TransactionRow, transaction: Transaction) -> None:
    for name, value in _citation_columns(transaction.citation).items():
        setattr(row, name, value)
    row.request_type = transaction.request_type.value
    row.document_type = transaction.document_type.value
    row.patron_id = transaction.patron_id
    row.lender_string = ",".join(transaction.lender_string)
    row.partner = transaction.partner
    row.external_id = transaction.external_id
    row.due_date = transaction.due_date
    row.cost = transaction.cost
    row.fee = transaction.fee
    row.copyright_cleared = transaction.copyright_cleared


def _lock(row: TransactionRow) -> SoftLock | None:
    if row.lock_holder is None or row.lock_taken is None:
        return None
    return SoftLock(row.lock_holder, row.lock_taken)


def _transaction(row: TransactionRow, *, with_lists: bool = True) -> Transaction:
    citation = Citation(
        **{name: getattr(row, name) for name in CITATION_COLUMNS},
        not_wanted_after=row.not_wanted_after,
        max_cost=row.max_cost,
        accept_alternate_edition=row.accept_alternate_edition,
        copyright_compliance=CopyrightCompliance(row.copyright_compliance),
    )
    return Transaction(
        id=row.id,
        process_type=ProcessType(row.process_type),
        request_type=RequestType(row.request_type),
        document_type=DocumentType(row.document_type),
        status=Status(row.status),
        citation=citation,
        patron_id=row.patron_id,
        lender_string=_split(row.lender_string),
        partner=row.partner,
        external_id=row.external_id,
        due_date=row.due_date,
        cost=row.cost,
        fee=row.fee,
        system_id=SystemId(row.system_id),
        copyright_cleared=row.copyright_cleared,
        created=row.created,
        updated=row.updated,
        version=row.version,
        lock=_lock(row),
        history=tuple(_change(h) for h in row.history) if with_lists else (),
        notes=tuple(_note_value(n) for n in row.notes) if with_lists else (),
    )


def _change(row: HistoryRow) -> StatusChange:
    return StatusChange(
        at=row.at,
        by=row.by,
        from_process=None if row.from_process is None else ProcessType(row.from_process),
        from_status=None if row.from_status is None else Status(row.from_status),
        to_process=ProcessType(row.to_process),
        to_status=Status(row.to_status),
        note=row.note,
    )


def _note_value(row: NoteRow) -> Note:
    return Note(row.at, row.by, row.text, row.patron_visible, row.id)


def _fill_patron(row: PatronRow, patron: Patron) -> None:
    row.username = patron.username
    row.first_name = patron.first_name
    row.last_name = patron.last_name
    row.email = patron.email
    row.phone = patron.phone
    row.status = patron.status.value
    row.department = patron.department
    row.address = "\n".join(patron.address)
    row.delivery = patron.delivery.value
    row.cleared = patron.cleared.value
    row.password_hash = patron.password_hash


def _patron(row: PatronRow) -> Patron:
    return Patron(
        username=row.username,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        status=PatronStatus(row.status),
        department=row.department,
        address=_lines(row.address),
        delivery=DeliveryPreference(row.delivery),
        cleared=ClearedState(row.cleared),
        feed_token=row.feed_token,
        password_hash=row.password_hash,
        id=row.id,
    )


def _staff(row: StaffRow) -> StaffUser:
    return StaffUser(
        row.username, row.name, row.email, StaffRole(row.role), row.password_hash, row.id
    )


def _fill_partner(row: PartnerRow, partner: Partner) -> None:
    for item in fields(Partner):
        if item.name in ("id", "address", "protocol"):
            continue
        setattr(row, item.name, getattr(partner, item.name))
    row.address = "\n".join(partner.address)
    row.protocol = partner.protocol.value


def _partner(row: PartnerRow) -> Partner:
    return Partner(
        symbol=row.symbol,
        name=row.name,
        address=_lines(row.address),
        email=row.email,
        protocol=PartnerProtocol(row.protocol),
        endpoint=row.endpoint,
        delivery_address=row.delivery_address,
        trusted=row.trusted,
        shared_secret=row.shared_secret,
        active=row.active,
        id=row.id,
    )


def _rule_row(rule: RoutingRule) -> RoutingRuleRow:
    return RoutingRuleRow(
        number=rule.number,
        status=rule.status.value,
        conditions=[
            {"field": c.field.value, "operator": c.operator.value, "value": c.value}
            for c in rule.conditions
        ],
        new_status=None if rule.new_status is None else rule.new_status.value,
        new_process_type=None if rule.new_process_type is None else rule.new_process_type.value,
        description=rule.description,
        active=rule.active,
    )


def _rule(row: RoutingRuleRow) -> RoutingRule:
    return RoutingRule(
        number=row.number,
        status=Status(row.status),
        conditions=tuple(
            Condition(Field(c["field"]), Operator(c["operator"]), c.get("value", ""))
            for c in row.conditions
        ),
        new_status=None if row.new_status is None else Status(row.new_status),
        new_process_type=(
            None if row.new_process_type is None else ProcessType(row.new_process_type)
        ),
        description=row.description,
        active=row.active,
    )
