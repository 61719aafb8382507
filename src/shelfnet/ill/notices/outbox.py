"""The notice outbox, kept in the ILL database beside the transactions.

**Where notices come from.** The store writes a line to ``ill_history`` in the same database
transaction as every status change. The scanner reads history lines after its cursor and,
for each line whose new status has an active template for the transaction's request type,
queues one notice. ``ill_notices`` has a unique key (history line, template), and notices
are inserted with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL alike), so however many
scanners run, in however many processes, a change gives a template's notice at most once.

**The cursor lags on purpose.** On PostgreSQL a history line's id is given when it is
written, not when it is committed: a slow change may commit line 10 after a quick one
committed line 11. The scanner therefore reads every line after its cursor, but moves the
cursor only past lines older than ``settle`` (five minutes): lines newer than that are read
again next time, and the unique key makes that harmless. A change whose database
transaction stays open longer than ``settle`` could be missed; the store's changes take
milliseconds. (SQLite has one writer at a time, so its ids commit in order.) A new outbox
starts at the end of the history: changes made before notices existed give none.

**Sending: at least once, never twice at the same time.** A sender *claims* due notices
by writing a lease (its name and an expiry) on them in one database transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock serialises it),
sends them, and marks each one sent right after the mail server accepted it. Another sender
skips leased notices until the lease expires, so two senders never send one notice at the
same time. If a sender dies after the server accepted a message but before it marked it
sent, the lease expires and the notice is sent again: a patron may, rarely, get a notice
twice, but never none. A notice marked sent is never sent again.

**Failures.** A transient failure (server down, timeout, a 4xx answer) leaves the notice
queued, its next attempt after 1, 5, 15, 60 minutes, 4 and 12 hours, then once a day,
for ever: nothing is dropped. A permanent refusal (a 5xx answer, such as an unknown
address) marks it failed; staff may send it again (``retry_now``). A patron with no e-mail
address gets a notice recorded as skipped.

**Overdue loans** (``schedule_overdue``): a loan checked out to a patron past its due date
gets the ``overdue`` template once in every ``overdue_every_days`` days, keyed by
(transaction, template, due date, round): a renewal (a new due date) starts the rounds again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfnet.config import NoticeSettings
from shelfnet.ill import queues
from shelfnet.ill.model import RequestType
from shelfnet.ill.notices.model import (
    DEFAULT_TEMPLATES,
    EVENTS,
    OVERDUE,
    Notice,
    NoticeFacts,
    NoticeState,
    NoticeTemplate,
)
from shelfnet.ill.notices.rendering import (
    Rendered,
    TemplateProblem,
    check,
    facts_of,
    reason,
    render,
    title_of,
    variables,
)
from shelfnet.ill.store import IllStore, IllStoreError, UnknownRecord
from shelfnet.ill.tables import (
    HistoryRow,
    NoticeCursorRow,
    NoticeRow,
    NoticeTemplateRow,
    PatronRow,
    TransactionRow,
)
from shelfnet.ill.workflow import Status

Clock = Callable[[], datetime]

HISTORY_CURSOR = "history"
SETTLE = timedelta(minutes=5)
BATCH = 500
RETRY_MINUTES = (1, 5, 15, 60, 240, 720, 1440)
"""Minutes to wait after the first, second... failure; the last for every one after."""
NO_ADDRESS = "The patron has no e-mail address."


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after a notice has failed ``attempts`` times (1 or more)."""
    index = min(max(attempts, 1), len(RETRY_MINUTES)) - 1
    return timedelta(minutes=RETRY_MINUTES[index])


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    """Notices a sender may send until ``until``."""

    owner: str
    until: datetime
    notices: tuple[Notice, ...]


class Outbox:
    """Templates, the scanner, overdue reminders and the outbox, in the store's database."""

    def __init__(
        self,
        store: IllStore,
        settings: NoticeSettings,
        *,
        clock: Clock = _utc_now,
        settle: timedelta = SETTLE,
    ) -> None:
        self.settings = settings
        self.settle = settle
        self._reads = sessionmaker(store.engine, expire_on_commit=False)
        # The store's marker: SQLite transactions on this engine begin IMMEDIATE (write lock).
        writer = store.write_engine
        self._writes = sessionmaker(writer, expire_on_commit=False)
        self._clock = clock
        self._store = store

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._reads.begin() as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session

    # Setting up

    def prepare(self) -> int:
        """Add the shipped templates that are missing, and start the scanner's cursor at
        the end of the history if it has none. How many templates were added."""
        now = self._now()
        added = 0
        with self._writing() as session:
            for template in DEFAULT_TEMPLATES:
                values = _template_values(template, now, "shelfnet")
                result = session.execute(queues.insert_once(session, NoticeTemplateRow, values))
                added += queues.inserted(result)
            end = session.scalar(select(func.max(HistoryRow.id))) or 0
            session.execute(
                queues.insert_once(
                    session, NoticeCursorRow, {"name": HISTORY_CURSOR, "position": end}
                )
            )
        return added

    def position(self) -> int | None:
        """How far the scanner has read the history (None: not started)."""
        with self._reading() as session:
            row = session.get(NoticeCursorRow, HISTORY_CURSOR)
            return None if row is None else row.position

    # Templates

    def templates(self) -> list[NoticeTemplate]:
        query = select(NoticeTemplateRow).order_by(
            NoticeTemplateRow.event, NoticeTemplateRow.request_type
        )
        with self._reading() as session:
            return [_template(row) for row in session.scalars(query)]

    def get_template(self, template_id: int) -> NoticeTemplate:
        with self._reading() as session:
            return _template(_template_row(session, template_id))

    def save_template(
        self, template_id: int, subject: str, body: str, *, active: bool, by: str
    ) -> NoticeTemplate:
        """Change a template; ``TemplateProblem`` (nothing saved) when it is not valid."""
        problems = check(subject, body)
        if problems:
            raise TemplateProblem(problems)
        with self._writing() as session:
            row = _template_row(session, template_id)
            row.subject, row.body, row.active = subject, _newlines(body), active
            row.updated, row.updated_by = self._now(), by
            session.flush()
            return _template(row)

    def add_template(
        self, event: str, request_type: RequestType, subject: str, body: str, *, by: str
    ) -> NoticeTemplate:
        """A template for another event; ``TemplateProblem`` when it is not valid or the
        event and request type have one already."""
        problems = check(subject, body)
        if event not in EVENTS:
            problems.append(f"There is no status {event!r}.")
        if problems:
            raise TemplateProblem(problems)
        template = NoticeTemplate(event, request_type, subject, _newlines(body))
        with self._writing() as session:
            values = _template_values(template, self._now(), by)
            if not queues.inserted(
                session.execute(queues.insert_once(session, NoticeTemplateRow, values))
            ):
                raise TemplateProblem(
                    [f"There is a template for {template.event_name} ({request_type.value})."]
                )
            query = select(NoticeTemplateRow).where(
                NoticeTemplateRow.event == event,
                NoticeTemplateRow.request_type == request_type.value,
            )
            return _template(session.scalars(query).one())

    def preview(self, subject: str, body: str, transaction_id: int) -> Rendered:
        """The template rendered for a real transaction and its patron, as its latest
        status change would give it. ``UnknownRecord``: no such transaction or it has no
        patron; ``TemplateProblem``: the template is wrong."""
        transaction = self._store.get_transaction(transaction_id)
        if transaction.patron_id is None:
            raise UnknownRecord(f"transaction {transaction_id} has no patron to notify")
        patron = self._store.get_patron(transaction.patron_id)
        note = transaction.history[-1].note if transaction.history else ""
        days = 0
        if transaction.due_date is not None:
            days = max(0, (self._now().date() - transaction.due_date).days)
        facts = facts_of(transaction, patron, note=note, days_overdue=days)
        return render(subject, body, variables(facts, self.settings))

    # Queueing

    def scan(self, *, limit: int = BATCH) -> int:
        """Queue the notices of every history line after the cursor, ``limit`` lines to a
        database transaction; how many were queued."""
        now = self._now()
        cursor = self.position()
        if cursor is None:
            raise IllStoreError("the notice outbox is not prepared (Outbox.prepare)")
        after, settling, queued = cursor, True, 0
        while True:
            with self._writing() as session:
                lines = session.execute(_history_after(after).limit(limit)).all()
                templates = _active_templates(session)
                settled = None
                for line in lines:
                    if settling and line.at <= now - self.settle:
                        settled = line.id
                    else:
                        settling = False
                    queued += self._queue_change(session, line, templates, now)
                if settled is not None:
                    _move_cursor(session, settled)
            if len(lines) < limit:
                return queued
            after = lines[-1].id

    def _queue_change(
        self,
        session: Session,
        line: Any,
        templates: dict[tuple[str, str], NoticeTemplateRow],
        now: datetime,
    ) -> int:
        template = templates.get((line.to_status, line.request_type))
        if template is None or line.patron_id is None:
            return 0
        exists = select(NoticeRow.id).where(
            NoticeRow.history_id == line.id, NoticeRow.template_id == template.id
        )
        if session.scalar(exists) is not None:
            return 0
        facts = _facts(line, Status(line.to_status), reason(line.note))
        values = self._notice_values(template, facts, now, history_id=line.id)
        return queues.inserted(session.execute(queues.insert_once(session, NoticeRow, values)))

    def schedule_overdue(self) -> int:
        """Queue reminders for loans checked out past their due date, once in every
        ``overdue_every_days`` days each; how many were queued."""
        now = self._now()
        today = now.date()
        every = max(1, self.settings.overdue_every_days)
        with self._writing() as session:
            templates = _active_templates(session)
            if not any(event == OVERDUE for event, _type in templates):
                return 0
            queued = 0
            for line in session.execute(_overdue(today)):
                template = templates.get((OVERDUE, line.request_type))
                if template is None or line.due_date is None:
                    continue
                days = (today - line.due_date).days
                overdue_round = (days - 1) // every
                exists = select(NoticeRow.id).where(
                    NoticeRow.transaction_id == line.transaction_id,
                    NoticeRow.template_id == template.id,
                    NoticeRow.due_date == line.due_date,
                    NoticeRow.overdue_round == overdue_round,
                )
                if session.scalar(exists) is not None:
                    continue
                facts = _facts(line, Status.CHECKED_OUT_TO_CUSTOMER, "", days_overdue=days)
                values = self._notice_values(
                    template, facts, now, due_date=line.due_date, overdue_round=overdue_round
                )
                queued += queues.inserted(
                    session.execute(queues.insert_once(session, NoticeRow, values))
                )
        return queued

    def _notice_values(
        self,
        template: NoticeTemplateRow,
        facts: NoticeFacts,
        now: datetime,
        *,
        history_id: int | None = None,
        due_date: date | None = None,
        overdue_round: int | None = None,
    ) -> dict[str, Any]:
        state, error = NoticeState.QUEUED, ""
        try:
            rendered = render(template.subject, template.body, variables(facts, self.settings))
        except TemplateProblem as exc:
            rendered, state, error = Rendered("", ""), NoticeState.FAILED, str(exc)
        if not facts.email.strip():
            state, error = NoticeState.SKIPPED, NO_ADDRESS
        return {
            "template_id": template.id,
            "transaction_id": facts.transaction_id,
            "history_id": history_id,
            "due_date": due_date,
            "overdue_round": overdue_round,
            "recipient": facts.email.strip(),
            "subject": rendered.subject,
            "body": rendered.body,
            "state": state.value,
            "attempts": 0,
            "next_attempt": now,
            "lease_owner": None,
            "lease_until": None,
            "last_error": error,
            "created": now,
            "sent": None,
        }

    # Sending

    def claim(self, owner: str, *, limit: int, lease: timedelta) -> Claim:
        """Lease up to ``limit`` due notices to ``owner`` until now + ``lease``."""
        now = self._now()
        until = now + lease
        with self._writing() as session:
            rows = queues.claim_due(
                session,
                NoticeRow,
                queued=NoticeState.QUEUED.value,
                owner=owner,
                now=now,
                until=until,
                limit=limit,
            )
            return Claim(owner, until, tuple(_notice(row) for row in rows))

    def mark_sent(self, notice_id: int) -> bool:
        """The mail server accepted the notice: never send it again."""
        now = self._now()
        with self._writing() as session:
            result = session.execute(
                update(NoticeRow)
                .where(NoticeRow.id == notice_id, NoticeRow.state == NoticeState.QUEUED.value)
                .values(
                    state=NoticeState.SENT.value,
                    sent=now,
                    attempts=NoticeRow.attempts + 1,
                    lease_owner=None,
                    lease_until=None,
                    last_error="",
                )
            )
            return bool(queues.rowcount(result))

    def mark_failed(self, notice_id: int, owner: str, error: str, *, permanent: bool) -> bool:
        """Sending failed: try again later (``retry_delay``), or never when ``permanent``.
        Only the lease holder may say so."""
        now = self._now()
        with self._writing() as session:
            row = session.scalars(
                select(NoticeRow)
                .where(
                    NoticeRow.id == notice_id,
                    NoticeRow.state == NoticeState.QUEUED.value,
                    NoticeRow.lease_owner == owner,
                )
                .with_for_update()
            ).first()
            if row is None:
                return False
            row.attempts += 1
            row.last_error = error[:2000]
            row.lease_owner, row.lease_until = None, None
            if permanent:
                row.state = NoticeState.FAILED.value
            else:
                row.next_attempt = now + retry_delay(row.attempts)
            return True

    def release(self, owner: str, notice_ids: list[int]) -> None:
        """Give back leased notices that were not tried."""
        with self._writing() as session:
            queues.release(session, NoticeRow, owner, notice_ids)

    def retry_now(self, notice_id: int) -> bool:
        """Send a failed or waiting notice at the next round; False when it was sent or
        skipped (or there is no such notice)."""
        now = self._now()
        with self._writing() as session:
            result = session.execute(
                update(NoticeRow)
                .where(
                    NoticeRow.id == notice_id,
                    NoticeRow.state.in_([NoticeState.QUEUED.value, NoticeState.FAILED.value]),
                )
                .values(state=NoticeState.QUEUED.value, next_attempt=now)
            )
            return bool(queues.rowcount(result))

    # Reading the outbox

    def notices(
        self,
        state: NoticeState | None = None,
        *,
        transaction_id: int | None = None,
        limit: int = 100,
    ) -> list[Notice]:
        """Notices, newest first."""
        query = select(NoticeRow).order_by(NoticeRow.id.desc()).limit(limit)
        if state is not None:
            query = query.where(NoticeRow.state == state.value)
        if transaction_id is not None:
            query = query.where(NoticeRow.transaction_id == transaction_id)
        with self._reading() as session:
            return [_notice(row) for row in session.scalars(query)]

    def get_notice(self, notice_id: int) -> Notice:
        with self._reading() as session:
            row = session.get(NoticeRow, notice_id)
            if row is None:
                raise UnknownRecord(f"no notice {notice_id}")
            return _notice(row)

    def counts(self) -> dict[NoticeState, int]:
        """How many notices are in each state (every state listed)."""
        query = select(NoticeRow.state, func.count()).group_by(NoticeRow.state)
        with self._reading() as session:
            found = {NoticeState(state): count for state, count in session.execute(query)}
        return {state: found.get(state, 0) for state in NoticeState}

    def waiting(self) -> int:
        """Queued notices that have failed at least once."""
        query = select(func.count()).where(
            NoticeRow.state == NoticeState.QUEUED.value, NoticeRow.attempts > 0
        )
        with self._reading() as session:
            return session.scalar(query) or 0


# Queries and rows


def _move_cursor(session: Session, position: int) -> None:
    """Forward only: another scanner may have moved it further already."""
    session.execute(
        update(NoticeCursorRow)
        .where(NoticeCursorRow.name == HISTORY_CURSOR, NoticeCursorRow.position < position)
        .values(position=position)
    )


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _active_templates(session: Session) -> dict[tuple[str, str], NoticeTemplateRow]:
    rows = session.scalars(select(NoticeTemplateRow).where(NoticeTemplateRow.active.is_(True)))
    return {(row.event, row.request_type): row for row in rows}


_FACT_COLUMNS = (
    TransactionRow.request_type,
    TransactionRow.patron_id,
    TransactionRow.title,
    TransactionRow.article_title,
    TransactionRow.journal_title,
    TransactionRow.due_date,
    PatronRow.first_name,
    PatronRow.last_name,
    PatronRow.email,
)


def _history_after(position: int) -> Select[*tuple[Any, ...]]:
    return (
        select(
            HistoryRow.id,
            HistoryRow.at,
            HistoryRow.to_status,
            HistoryRow.note,
            HistoryRow.transaction_id,
            *_FACT_COLUMNS,
        )
        .join(TransactionRow, TransactionRow.id == HistoryRow.transaction_id)
        .outerjoin(PatronRow, PatronRow.id == TransactionRow.patron_id)
        .where(HistoryRow.id > position)
        .order_by(HistoryRow.id)
    )


def _overdue(today: date) -> Select[*tuple[Any, ...]]:
    return (
        select(TransactionRow.id.label("transaction_id"), *_FACT_COLUMNS)
        .join(PatronRow, PatronRow.id == TransactionRow.patron_id)
        .where(
            TransactionRow.status == Status.CHECKED_OUT_TO_CUSTOMER.value,
            TransactionRow.due_date < today,
        )
        .order_by(TransactionRow.id)
    )


def _facts(line: Any, status: Status, why: str, *, days_overdue: int = 0) -> NoticeFacts:
    request_type = RequestType(line.request_type)
    return NoticeFacts(
        transaction_id=line.transaction_id,
        request_type=request_type,
        title=title_of(request_type, line.title, line.article_title, line.journal_title),
        status=status,
        due_date=line.due_date,
        first_name=line.first_name or "",
        last_name=line.last_name or "",
        email=line.email or "",
        reason=why,
        days_overdue=days_overdue,
    )


def _template_row(session: Session, template_id: int) -> NoticeTemplateRow:
    row = session.get(NoticeTemplateRow, template_id)
    if row is None:
        raise UnknownRecord(f"no notice template {template_id}")
    return row


def _template_values(template: NoticeTemplate, now: datetime, by: str) -> dict[str, Any]:
    return {
        "event": template.event,
        "request_type": template.request_type.value,
        "subject": template.subject,
        "body": template.body,
        "active": template.active,
        "updated": now,
        "updated_by": by,
    }


def _template(row: NoticeTemplateRow) -> NoticeTemplate:
    return NoticeTemplate(
        event=row.event,
        request_type=RequestType(row.request_type),
        subject=row.subject,
        body=row.body,
        active=row.active,
        updated=row.updated,
        updated_by=row.updated_by,
        id=row.id,
    )


def _notice(row: NoticeRow) -> Notice:
    return Notice(
        id=row.id,
        template_id=row.template_id,
        transaction_id=row.transaction_id,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        state=NoticeState(row.state),
        attempts=row.attempts,
        next_attempt=row.next_attempt,
        last_error=row.last_error,
        created=row.created,
        sent=row.sent,
        history_id=row.history_id,
        overdue_round=row.overdue_round,
    )
