"""The message log and outbox, in the ILL database beside the transactions.

**Where outgoing messages come from.** The store writes a line to ``ill_history`` in the same
database transaction as every status change. The scanner reads the lines after its cursor
(``ill_message_cursors``) and, for each change ``mapping.RULES`` names, renders the message
with the partner's protocol adapter and queues it in ``ill_messages``. The log's unique
``key`` (``out:<history line>:<kind>``) and ``INSERT ... ON CONFLICT DO NOTHING`` make a
change give its message at most once, however many scanners run. As in the notice outbox
(``notices/outbox.py``) the cursor lags by ``settle`` so that a PostgreSQL change committed
late is still seen. A change made before messaging existed gives no message. A transaction
whose partner is unknown, inactive or has no protocol with an adapter gives none either.

**Sending: at least once, never twice at the same time.** A sender claims due messages with
a lease (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), sends each and marks it sent
once the adapter returns (the partner acknowledged it). A sender that dies between the
partner's acknowledgement and marking it sent leaves the lease to expire and the message is
sent again: the partner sees the same bytes (same transaction id, type and service
date-time) and its message log recognises the repeat, acknowledging it without acting twice.
That is the at-least-once boundary; a message marked sent is never sent again.

**Failures.** A message is tried at 0, 5, 15 and 40 minutes (``try_at_minutes``, ILLiad's
four tries over an hour); when the last try fails, or the partner refuses the message, it is
"sending failed" and waits for staff: ``resend`` queues it again for four more tries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfnet.ill import queues
from shelfnet.ill.messaging.mapping import outgoing_for
from shelfnet.ill.messaging.model import (
    Direction,
    Message,
    MessageKind,
    MessageState,
    Outgoing,
    Rendered,
)
from shelfnet.ill.messaging.ports import Adapter, NotApplicable
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import PartnerProtocol, ProcessType, RequestType
from shelfnet.ill.store import (
    IllStore,
    IllStoreError,
    UnknownRecord,
    _partner,
    _transaction,
)
from shelfnet.ill.tables import HistoryRow, MessageCursorRow, MessageRow, PartnerRow, TransactionRow
from shelfnet.ill.workflow import Status

Clock = Callable[[], datetime]
HISTORY_CURSOR = "history"
SETTLE = timedelta(minutes=5)
BATCH = 500


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    owner: str
    until: datetime
    messages: tuple[Message, ...]


class MessageOutbox:
    """The scanner, the outbox and the log of incoming and outgoing messages."""

    def __init__(
        self,
        store: IllStore,
        settings: MessagingSettings,
        adapters: Mapping[str, Adapter],
        *,
        clock: Clock = _utc_now,
        settle: timedelta = SETTLE,
    ) -> None:
        self.settings = settings
        self.adapters = adapters
        self.settle = settle
        self._reads = sessionmaker(store.engine, expire_on_commit=False)
        writer = store.write_engine
        self._writes = sessionmaker(writer, expire_on_commit=False)
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._reads.begin() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction on the store's database (SQLite: BEGIN IMMEDIATE)."""
        with self._writes.begin() as session:
            yield session

    # Scanning

    def prepare(self) -> None:
        """Start the scanner's cursor at the end of the history, if it has none."""
        with self.writing() as session:
            end = session.scalar(select(func.max(HistoryRow.id))) or 0
            session.execute(
                queues.insert_once(
                    session, MessageCursorRow, {"name": HISTORY_CURSOR, "position": end}
                )
            )

    def position(self) -> int | None:
        with self._reading() as session:
            row = session.get(MessageCursorRow, HISTORY_CURSOR)
            return None if row is None else row.position

    def scan(self, *, limit: int = BATCH) -> int:
        """Queue the messages of every history line after the cursor; how many."""
        now = self._now()
        cursor = self.position()
        if cursor is None:
            raise IllStoreError("the message outbox is not prepared (MessageOutbox.prepare)")
        after, settling, queued = cursor, True, 0
        while True:
            with self.writing() as session:
                lines = list(
                    session.scalars(
                        select(HistoryRow)
                        .where(HistoryRow.id > after)
                        .order_by(HistoryRow.id)
                        .limit(limit)
                    )
                )
                settled = None
                for line in lines:
                    if settling and line.at <= now - self.settle:
                        settled = line.id
                    else:
                        settling = False
                    queued += self._queue_change(session, line, now)
                if settled is not None:
                    session.execute(
                        update(MessageCursorRow)
                        .where(
                            MessageCursorRow.name == HISTORY_CURSOR,
                            MessageCursorRow.position < settled,
                        )
                        .values(position=settled)
                    )
            if len(lines) < limit:
                return queued
            after = lines[-1].id

    def _queue_change(self, session: Session, line: HistoryRow, now: datetime) -> int:
        row = session.get(TransactionRow, line.transaction_id)
        if row is None or row.partner is None:
            return 0
        outgoing = outgoing_for(
            ProcessType(line.to_process),
            Status(line.from_status) if line.from_status else None,
            Status(line.to_status),
            RequestType(row.request_type),
            by_partner=line.by == self.settings.by,
            note=line.note,
        )
        if outgoing is None:
            return 0
        key = f"out:{line.id}:{outgoing.kind.value}"
        if session.scalar(select(MessageRow.id).where(MessageRow.key == key)) is not None:
            return 0
        return self.queue(session, row.id, row.partner, outgoing, key, now, history_id=line.id)

    def queue(
        self,
        session: Session,
        transaction_id: int,
        partner_symbol: str,
        outgoing: Outgoing,
        key: str,
        now: datetime,
        *,
        history_id: int | None = None,
    ) -> int:
        """Render and queue one message in ``session`` (the caller's database transaction);
        1 when it was queued, 0 when the partner has no adapter or the key exists."""
        partner_row = session.scalars(
            select(PartnerRow).where(PartnerRow.symbol == partner_symbol)
        ).first()
        if partner_row is None or not partner_row.active:
            return 0
        partner = _partner(partner_row)
        adapter = self.adapters.get(partner.protocol.value)
        if adapter is None or partner.protocol in (PartnerProtocol.MANUAL, PartnerProtocol.EMAIL):
            return 0
        row = session.get(TransactionRow, transaction_id)
        if row is None:
            return 0
        _set_due_date(row, outgoing, self.settings, now)
        transaction = _transaction(row, with_lists=False)
        state, error = MessageState.QUEUED, ""
        try:
            rendered = adapter.render(outgoing, transaction, partner, now)
        except NotApplicable:
            return 0
        except ValueError as exc:  # a value the protocol cannot carry: staff must see it
            rendered = Rendered(outgoing.kind.value, b"", outgoing.note)
            state, error = MessageState.FAILED, f"cannot be written: {exc}"
        values = _values(key, transaction_id, history_id, adapter.protocol, partner.symbol, now)
        values.update(
            kind=rendered.kind,
            raw=rendered.raw,
            summary=rendered.summary,
            direction=Direction.OUT.value,
            state=state.value,
            next_attempt=now,
            last_error=error[:2000],
        )
        return queues.inserted(session.execute(queues.insert_once(session, MessageRow, values)))

    # Incoming

    def log_incoming(
        self,
        session: Session,
        key: str,
        *,
        transaction_id: int | None,
        protocol: str,
        partner: str,
        rendered: Rendered,
        state: MessageState = MessageState.APPLIED,
        error: str = "",
    ) -> bool:
        """Keep an incoming message; False when its key is there already (a repeat)."""
        now = self._now()
        values = _values(key, transaction_id, None, protocol, partner, now)
        values.update(
            kind=rendered.kind,
            raw=rendered.raw,
            summary=rendered.summary,
            direction=Direction.IN.value,
            state=state.value,
            next_attempt=None,
            done=now,
            last_error=error,
        )
        return bool(
            queues.inserted(session.execute(queues.insert_once(session, MessageRow, values)))
        )

    def seen(self, key: str) -> bool:
        with self._reading() as session:
            return session.scalar(select(MessageRow.id).where(MessageRow.key == key)) is not None

    # Sending

    def claim(self, owner: str, *, limit: int, lease: timedelta) -> Claim:
        now = self._now()
        until = now + lease
        with self.writing() as session:
            rows = queues.claim_due(
                session,
                MessageRow,
                queued=MessageState.QUEUED.value,
                owner=owner,
                now=now,
                until=until,
                limit=limit,
                where=[MessageRow.direction == Direction.OUT.value],
            )
            return Claim(owner, until, tuple(_message(row) for row in rows))

    def mark_sent(self, message_id: int, owner: str) -> bool:
        now = self._now()
        with self.writing() as session:
            result = session.execute(
                update(MessageRow)
                .where(
                    MessageRow.id == message_id,
                    MessageRow.state == MessageState.QUEUED.value,
                    MessageRow.lease_owner == owner,
                )
                .values(
                    state=MessageState.SENT.value,
                    done=now,
                    attempts=MessageRow.attempts + 1,
                    lease_owner=None,
                    lease_until=None,
                    last_error="",
                )
            )
            return bool(queues.rowcount(result))

    def mark_failed(self, message_id: int, owner: str, error: str, *, permanent: bool) -> bool:
        """A try failed: the next try (``try_at_minutes``), or "sending failed" after the
        last try or when ``permanent``."""
        now = self._now()
        tries = self.settings.try_at_minutes
        with self.writing() as session:
            row = session.scalars(
                select(MessageRow)
                .where(
                    MessageRow.id == message_id,
                    MessageRow.state == MessageState.QUEUED.value,
                    MessageRow.lease_owner == owner,
                )
                .with_for_update()
            ).first()
            if row is None:
                return False
            row.attempts += 1
            row.last_error = error[:2000]
            row.lease_owner, row.lease_until = None, None
            if permanent or row.attempts >= len(tries):
                row.state = MessageState.FAILED.value
            else:
                wait = tries[row.attempts] - tries[row.attempts - 1]
                row.next_attempt = now + timedelta(minutes=wait)
            return True

    def release(self, owner: str, message_ids: list[int]) -> None:
        with self.writing() as session:
            queues.release(session, MessageRow, owner, message_ids)

    def resend(self, message_id: int) -> bool:
        """Staff's "Resend": a failed (or waiting) outgoing message is tried again now, with
        a fresh round of tries. False when it was sent, is incoming, or does not exist."""
        now = self._now()
        with self.writing() as session:
            result = session.execute(
                update(MessageRow)
                .where(
                    MessageRow.id == message_id,
                    MessageRow.direction == Direction.OUT.value,
                    MessageRow.state.in_([MessageState.QUEUED.value, MessageState.FAILED.value]),
                )
                .values(state=MessageState.QUEUED.value, next_attempt=now, attempts=0)
            )
            return bool(queues.rowcount(result))

    # Reading the log

    def messages(
        self,
        *,
        transaction_id: int | None = None,
        direction: Direction | None = None,
        state: MessageState | None = None,
        limit: int = 100,
    ) -> list[Message]:
        """Messages, oldest first."""
        query = select(MessageRow).order_by(MessageRow.id).limit(limit)
        if transaction_id is not None:
            query = query.where(MessageRow.transaction_id == transaction_id)
        if direction is not None:
            query = query.where(MessageRow.direction == direction.value)
        if state is not None:
            query = query.where(MessageRow.state == state.value)
        with self._reading() as session:
            return [_message(row) for row in session.scalars(query)]

    def get_message(self, message_id: int) -> Message:
        with self._reading() as session:
            row = session.get(MessageRow, message_id)
            if row is None:
                raise UnknownRecord(f"no message {message_id}")
            return _message(row)

    def counts(self) -> dict[MessageState, int]:
        query = select(MessageRow.state, func.count()).group_by(MessageRow.state)
        with self._reading() as session:
            found = {MessageState(state): count for state, count in session.execute(query)}
        return {state: found.get(state, 0) for state in MessageState}


def _set_due_date(
    row: TransactionRow, outgoing: Outgoing, settings: MessagingSettings, now: datetime
) -> None:
    """A loan shipped without a due date gets the loan period; a granted renewal extends
    the due date. The lending transaction keeps the date its message gives."""
    if row.request_type != RequestType.LOAN.value:
        return
    if outgoing.kind is MessageKind.SHIPPED and row.due_date is None:
        row.due_date = now.date() + timedelta(days=settings.loan_days)
    elif outgoing.kind is MessageKind.RENEW_ANSWER:
        row.due_date = max(row.due_date or now.date(), now.date()) + timedelta(
            days=settings.renewal_days
        )


def _values(
    key: str,
    transaction_id: int | None,
    history_id: int | None,
    protocol: str,
    partner: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "key": key,
        "transaction_id": transaction_id,
        "history_id": history_id,
        "protocol": protocol,
        "partner": partner,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "last_error": "",
        "created": now,
        "done": None,
    }


def _message(row: MessageRow) -> Message:
    return Message(
        id=row.id,
        key=row.key,
        transaction_id=row.transaction_id,
        direction=Direction(row.direction),
        protocol=row.protocol,
        partner=row.partner,
        kind=row.kind,
        raw=row.raw,
        summary=row.summary,
        state=MessageState(row.state),
        attempts=row.attempts,
        next_attempt=row.next_attempt,
        last_error=row.last_error,
        created=row.created,
        done=row.done,
        history_id=row.history_id,
    )
