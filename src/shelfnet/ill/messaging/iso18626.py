"""ISO 18626 on the durable outbox and the message log.

``Iso18626Adapter`` (``ports.Adapter``) renders the outbox's protocol-neutral messages as ISO
18626 XML, once, at queue time (every try POSTs the same bytes with the same timestamp, so
the partner recognises a repeat), in the version ``[iso18626] version`` names, and POSTs them
with ``Iso18626Client.send_bytes``:

* OK confirmation: sent;
* ERROR confirmation: refused (``SendError(permanent=True)``), except an unknown request id
  on a message about a request (the partner may still be filing the request: tried again);
* network, timeout, HTTP 5xx, 408, 429: tried again (``SendError``).

Our agency is ``[iso18626] agency_type`` + ``[ill] symbol``; the partner's comes from its
symbol (``mapping.agency_for_symbol``). The partner's ``shared_secret`` goes out as the
header's ``securityCode`` and as ``Authorization: Bearer``.

``logged_callbacks(store, settings)`` are the endpoint's callbacks (``store_callbacks``) with
the message log behind them: every incoming message is kept in ``ill_messages`` with its
transaction (direction in, protocol ``iso18626``), idempotency uses the log's unique key
(``in:iso18626:<message key>``) instead of the in-memory ``SeenMessages``, and the replies a
borrower's message asks for are queued in the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shelfnet.ill import queues
from shelfnet.ill.messaging.model import Message, MessageKind, MessageState, Outgoing, Rendered
from shelfnet.ill.messaging.outbox import MessageOutbox, _values
from shelfnet.ill.messaging.ports import NotApplicable, SendError
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import Partner, ProcessType, RequestType, Transaction, TransactionDraft
from shelfnet.ill.protocols.iso18626.backend import store_callbacks, transaction_for
from shelfnet.ill.protocols.iso18626.callbacks import Callbacks
from shelfnet.ill.protocols.iso18626.client import (
    ConfirmationError,
    DeliveryError,
    Iso18626Client,
)
from shelfnet.ill.protocols.iso18626.endpoint import message_key
from shelfnet.ill.protocols.iso18626.errors import Refused
from shelfnet.ill.protocols.iso18626.mapping import (
    agency_for_symbol,
    agency_symbol,
    lending_effect,
    request_from_transaction,
    requesting_message_for,
    supplying_message_for,
)
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Authentication,
    DeliveryInfo,
    ErrorType,
    Header,
    MessageInfo,
    ReasonForMessage,
    Request,
    RequestingAction,
    RequestingAgencyMessage,
    SchemeValue,
    StatusInfo,
    SupplyingAgencyMessage,
    SupplyStatus,
    Version,
)
from shelfnet.ill.protocols.iso18626.writer import WriteError, write_message
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import MessageRow
from shelfnet.ill.workflow import Action, Status, TransitionRefused

if TYPE_CHECKING:
    from shelfnet.config import Settings

PROTOCOL = "iso18626"
STALE = timedelta(minutes=2)
"""An incoming message being filed for longer than this was abandoned (a crash): a repeat
files it again."""

K = MessageKind
S = Status
Outbound = Request | SupplyingAgencyMessage | RequestingAgencyMessage

BORROWING_ACTIONS: dict[MessageKind, Action] = {
    K.RECEIVED: Action.MARK_RECEIVED,
    K.RETURNED: Action.RETURN_TO_LENDER,
    K.CANCEL: Action.CANCEL,
    K.CONDITIONS_REFUSED: Action.CANCEL,
    K.RENEW: Action.REQUEST_RENEWAL,
}
"""Borrowing kinds -> the staff action whose requesting agency message they send."""

LENDING_ACTIONS: dict[MessageKind, tuple[Action, bool | None]] = {
    K.SHIPPED: (Action.FILL, None),
    K.UNFILLED: (Action.CANNOT_FILL, None),
    K.CONDITIONAL: (Action.CONDITIONALIZE, None),
    K.CHECKED_IN: (Action.CHECK_IN, None),
    K.RENEW_ANSWER: (Action.RENEW, True),
    K.CANCEL_REPLY: (Action.CANCEL, True),
}
"""Lending kinds -> the staff action whose supplying agency message they send (and the
answerYesNo it carries)."""

SUPPLY_STATUS_OF: dict[Status, SupplyStatus] = {
    S.AWAITING_LENDING_REQUEST_PROCESSING: SupplyStatus.REQUEST_RECEIVED,
    S.AWAITING_STACKS_SEARCHING: SupplyStatus.EXPECT_TO_SUPPLY,
    S.IN_STACKS_SEARCHING: SupplyStatus.WILL_SUPPLY,
    S.REQUEST_CONDITIONALIZED: SupplyStatus.RETRY_POSSIBLE,
    S.ITEM_SHIPPED: SupplyStatus.LOANED,
    S.AWAITING_LENDING_RENEWAL_PROCESSING: SupplyStatus.LOANED,
    S.REQUEST_FINISHED: SupplyStatus.LOAN_COMPLETED,
    S.CANCELLED_BY_ILL_STAFF: SupplyStatus.CANCELLED,
    S.CANCELLED_BY_CUSTOMER: SupplyStatus.CANCELLED,
}
"""A lending status as a supplying agency's status (StatusRequestResponse, a refused
CancelResponse); a copy that went out is CopyCompleted rather than Loaned/LoanCompleted."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def supply_status(transaction: Transaction) -> SupplyStatus:
    status = SUPPLY_STATUS_OF.get(transaction.status, SupplyStatus.EXPECT_TO_SUPPLY)
    copy = transaction.request_type is RequestType.COPY
    if copy and status in (SupplyStatus.LOANED, SupplyStatus.LOAN_COMPLETED):
        return SupplyStatus.COPY_COMPLETED
    return status


def describe(message: Outbound) -> tuple[str, str]:
    """(kind for the log, at most 32 characters; a line for staff)."""
    header = message.header
    if isinstance(message, Request):
        title = message.bibliographic_info.title or message.bibliographic_info.title_of_component
        return "request", f"request {header.requesting_agency_request_id}: {title}"
    if isinstance(message, SupplyingAgencyMessage):
        status = message.status_info.status.value
        reason = message.message_info.reason_for_message.value
        answer = message.message_info.answer_yes_no
        said = f"{status} ({reason}{'' if answer is None else ' ' + 'YN'[not answer]})"
        note = message.message_info.note
    else:
        status = message.action.value
        said, note = status, message.note
    kind = "supplying:" if isinstance(message, SupplyingAgencyMessage) else "requesting:"
    line = f"{said} for request {header.requesting_agency_request_id}"
    return (kind + status)[:32], line + (f": {note}" if note else "")


class Iso18626Adapter:
    """Renders and sends ISO 18626 messages for one ILL store (``ports.Adapter``)."""

    protocol = PROTOCOL

    def __init__(
        self,
        store: IllStore,
        messaging: MessagingSettings,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport``: an httpx transport for the POSTs (tests); default the network."""
        self.store = store
        self.messaging = messaging
        self.version = Version(settings.iso18626.version)
        self.ours = AgencyId(settings.iso18626.agency_type, settings.ill.symbol)
        self.timeout = httpx.Timeout(messaging.timeout, connect=min(messaging.timeout, 10.0))
        self.transport = transport
        self._client: Iso18626Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # Rendering

    def render(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> Rendered:
        message = self.message(outgoing, transaction, partner, now)
        return self.rendered(message)

    def rendered(self, message: Outbound) -> Rendered:
        """``WriteError`` (a ``ValueError``) when the version cannot carry it: the outbox
        keeps the message as "sending failed" for staff."""
        raw = write_message(message, self.version)
        kind, line = describe(message)
        return Rendered(kind, raw, f"ISO 18626 {self.version.value}: {line}")

    def message(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> Outbound:
        """The ISO 18626 message for an outgoing change; ``NotApplicable`` when there is none."""
        theirs = agency_for_symbol(partner.symbol)
        auth = (
            Authentication(security_code=partner.shared_secret) if partner.shared_secret else None
        )
        kind, note = outgoing.kind, outgoing.note
        borrowing = transaction.process_type is ProcessType.BORROWING
        if kind is K.REQUEST and borrowing:
            return request_from_transaction(
                transaction, requesting=self.ours, supplying=theirs, now=now, authentication=auth
            )
        if borrowing:
            requesting: RequestingAgencyMessage | None
            if kind is K.CONDITIONS_ACCEPTED:
                # 18626 has no "conditions accepted": a notification tells the lender.
                header = Header(
                    requesting_agency_id=self.ours,
                    requesting_agency_request_id=str(transaction.id),
                    timestamp=now,
                    supplying_agency_id=theirs,
                    supplying_agency_request_id=transaction.external_id,
                )
                text = "We accept the conditions." + (f" {note}" if note else "")
                requesting = RequestingAgencyMessage(header, RequestingAction.NOTIFICATION, text)
            elif kind in BORROWING_ACTIONS:
                requesting = requesting_message_for(
                    transaction, BORROWING_ACTIONS[kind], requesting=self.ours,
                    supplying=theirs, now=now, note=note,
                )  # fmt: skip
            else:
                requesting = None
            if requesting is None:
                raise NotApplicable(f"ISO 18626 has no {kind.value} from a borrower")
            return replace(requesting, header=replace(requesting.header, authentication=auth))
        if not transaction.external_id:
            raise NotApplicable(f"lending transaction {transaction.id} has no partner request id")
        supplying: SupplyingAgencyMessage | None
        if kind is K.CANCEL_REFUSED:
            supplying = self.status_message(
                transaction, partner, now, ReasonForMessage.CANCEL_RESPONSE, answer=False,
                note=note,
            )  # fmt: skip
        elif kind in LENDING_ACTIONS:
            action, answer = LENDING_ACTIONS[kind]
            supplying = supplying_message_for(
                transaction, action, supplying=self.ours, requesting=theirs, now=now,
                note=note, answer=answer,
            )  # fmt: skip
        else:
            supplying = None
        if supplying is None:
            raise NotApplicable(f"ISO 18626 has no {kind.value} from a lender")
        if kind is K.SHIPPED:
            copy = transaction.request_type is RequestType.COPY
            delivery = DeliveryInfo(
                date_sent=now,
                item_id=f"{self.ours.value}:{transaction.id}",
                sent_via=SchemeValue("Email" if copy else "Mail"),
            )
            supplying = replace(supplying, delivery_info=delivery)
        return replace(supplying, header=replace(supplying.header, authentication=auth))

    def status_message(
        self,
        transaction: Transaction,
        partner: Partner,
        now: datetime,
        reason: ReasonForMessage,
        *,
        answer: bool | None = None,
        note: str = "",
    ) -> SupplyingAgencyMessage:
        """A supplying agency message telling where our lending transaction stands."""
        auth = (
            Authentication(security_code=partner.shared_secret) if partner.shared_secret else None
        )
        copy = transaction.request_type is RequestType.COPY
        status = supply_status(transaction)
        return SupplyingAgencyMessage(
            header=Header(
                requesting_agency_id=agency_for_symbol(partner.symbol),
                requesting_agency_request_id=transaction.external_id,
                timestamp=now,
                supplying_agency_id=self.ours,
                supplying_agency_request_id=str(transaction.id),
                authentication=auth,
            ),
            message_info=MessageInfo(reason, answer_yes_no=answer, note=note),
            status_info=StatusInfo(
                status,
                last_change=transaction.updated if transaction.updated else now,
                due_date=datetime.combine(transaction.due_date, datetime.min.time())
                if transaction.due_date and not copy
                else None,
            ),
        )

    # Sending

    def _http(self) -> Iso18626Client:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = Iso18626Client(
                httpx.AsyncClient(timeout=self.timeout, transport=self.transport),
                timeout=self.timeout,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.http.aclose()
            self._client = None

    async def send(self, partner: Partner, message: Message) -> None:
        url = partner.endpoint.strip()
        if not url.startswith(("http://", "https://")):
            raise SendError(f"bad ISO 18626 endpoint {partner.endpoint!r}", permanent=True)
        bearer = f"Bearer {partner.shared_secret}" if partner.shared_secret else ""
        try:
            await self._http().send_bytes(url, message.raw, bearer)
        except ConfirmationError as exc:
            raise SendError(
                f"{partner.symbol}: {exc}", permanent=not retryable(exc, message)
            ) from exc
        except DeliveryError as exc:
            raise SendError(f"{partner.symbol}: {exc}", permanent=not exc.retry) from exc


def retryable(error: ConfirmationError, message: Message) -> bool:
    """An ERROR confirmation that trying again may cure: the partner does not know the
    request yet (a message about a request the partner is still filing)."""
    if message.kind == "request":
        return False
    return bool(error.errors) and all(
        e.error_type is ErrorType.UNRECOGNISED_DATA_VALUE
        and e.error_value.split(":", 1)[0]
        in ("requestingAgencyRequestId", "supplyingAgencyRequestId")
        for e in error.errors
    )


# Incoming: the endpoint's callbacks over the message log


def log_key(key: str) -> str:
    """The message log's unique key for an incoming message's ``endpoint.message_key``."""
    text = f"in:{PROTOCOL}:{key}"
    if len(text) <= 255:
        return text
    return f"in:{PROTOCOL}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


class Busy(Exception):
    """The same message is being filed right now (HTTP 500: the sender tries again)."""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_written(message: Outbound, preferred: Version) -> bytes:
    """The message as XML again (the endpoint hands callbacks the parsed message, not its
    bytes): in our version, else the other."""
    for version in (preferred, *(v for v in Version if v is not preferred)):
        try:
            return write_message(message, version)
        except WriteError:
            continue
    return b""


class MessageLog:
    """The incoming side of the log: ``seen``/``forget`` and filing for the endpoint."""

    def __init__(self, store: IllStore, outbox: MessageOutbox, adapter: Iso18626Adapter) -> None:
        self.store = store
        self.outbox = outbox
        self.adapter = adapter

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self.outbox.writing() as session:
            yield session

    def seen(self, key: str) -> bool:
        """Check and record: False (and a "being filed" line) for a new message, True for
        one filed (or refused) before. A line left behind by a crash is taken over."""
        wanted = log_key(key)
        now = _utc_now()
        pending = Rendered("pending", b"", "being filed")
        with self._writing() as session:
            if self.outbox.log_incoming(
                session, wanted, transaction_id=None, protocol=PROTOCOL, partner="",
                rendered=pending, state=MessageState.QUEUED,
            ):  # fmt: skip
                return False
            row = session.scalars(
                select(MessageRow).where(MessageRow.key == wanted).with_for_update()
            ).first()
            if row is None or row.state != MessageState.QUEUED.value:
                return row is not None
            if _aware(row.created) <= now - STALE:
                row.created = now
                return False
        raise Busy(f"{key} is being filed")

    def forget(self, key: str) -> None:
        with self._writing() as session:
            session.execute(
                delete(MessageRow).where(
                    MessageRow.key == log_key(key),
                    MessageRow.state == MessageState.QUEUED.value,
                )
            )

    def file(
        self,
        message: Outbound,
        transaction_id: int | None,
        partner: str,
        *,
        refused: Refused | None = None,
    ) -> None:
        """Complete the message's line: its transaction, bytes and summary (or refusal)."""
        key = log_key(message_key(message))
        kind, line = describe(message)
        values: dict[str, object] = {
            "transaction_id": transaction_id,
            "partner": partner[:64],
            "kind": kind,
            "raw": _as_written(message, self.adapter.version),
            "summary": f"ISO 18626: {line}",
            "state": MessageState.APPLIED.value,
            "done": _utc_now(),
        }
        with self._writing() as session:
            if refused is not None:
                row_id = session.scalar(select(MessageRow.id).where(MessageRow.key == key))
                reason = f"{refused.error.error_type.value} ({refused.error.error_value})"
                values.update(
                    key=f"refused:{row_id}:{key}"[:255],
                    state=MessageState.REFUSED.value,
                    last_error=reason,
                    summary=f"ISO 18626: {line}; refused: {reason}",
                )
            session.execute(update(MessageRow).where(MessageRow.key == key).values(**values))

    def refused_agency(self, agency: AgencyId, why: str) -> None:
        """An unauthenticated sender: a refused line (the endpoint does not tell us the
        message itself)."""
        now = _utc_now()
        stamp = now.strftime("%Y%m%dT%H%M%S.%f")
        digest = hashlib.sha256(f"{agency}|{stamp}|{id(why)}".encode()).hexdigest()[:16]
        with self._writing() as session:
            self.outbox.log_incoming(
                session,
                f"refused:{PROTOCOL}:{agency}:{stamp}:{digest}"[:255],
                transaction_id=None,
                protocol=PROTOCOL,
                partner=agency_symbol(agency)[:64],
                rendered=Rendered("refused", b"", f"ISO 18626 from {agency}: refused: {why}"),
                state=MessageState.REFUSED,
                error=why,
            )

    def queue_reply(self, transaction: Transaction, rendered: Rendered, key: str) -> None:
        """Queue a reply in the outbox, once per incoming message (``out:reply:...``)."""
        now = _utc_now()
        values = _values(
            f"out:reply:{log_key(key)}"[:255], transaction.id, None, PROTOCOL,
            transaction.partner or "", now,
        )  # fmt: skip
        values.update(
            kind=rendered.kind, raw=rendered.raw, summary=rendered.summary,
            direction="out", state=MessageState.QUEUED.value, next_attempt=now,
        )  # fmt: skip
        with self._writing() as session:
            queues.inserted(session.execute(queues.insert_once(session, MessageRow, values)))

    def queue_outgoing(self, transaction: Transaction, outgoing: Outgoing, key: str) -> None:
        with self._writing() as session:
            self.outbox.queue(
                session, transaction.id, transaction.partner or "", outgoing,
                f"out:reply:{log_key(key)}"[:255], _utc_now(),
            )  # fmt: skip


def logged_callbacks(store: IllStore, settings: Settings) -> Callbacks:
    """The endpoint's callbacks (``store_callbacks``) kept in the message log: every
    incoming message logged with its transaction, repeats recognised by the log (also after
    a restart), and the replies a borrower's message asks for queued in the outbox.

    Changes are made under ``[ill.messaging] by`` so the outbox does not echo them back
    (except where ``messaging.mapping`` says so: a Cancel is answered with a CancelResponse).
    """
    messaging = replace(settings.ill.messaging, symbol=settings.ill.symbol)
    adapter = Iso18626Adapter(store, messaging, settings)
    outbox = MessageOutbox(store, messaging, {PROTOCOL: adapter})
    log = MessageLog(store, outbox, adapter)
    by = messaging.by
    inner = store_callbacks(store, by=by)

    def on_request(draft: TransactionDraft, request: Request) -> int:
        partner = agency_symbol(request.header.requesting_agency_id)
        try:
            number = inner.on_request(draft, request)
        except Refused as refused:
            log.file(request, None, partner, refused=refused)
            raise
        log.file(request, number, partner)
        return number

    def on_supplying_message(message: SupplyingAgencyMessage) -> None:
        header = message.header
        partner = agency_symbol(header.supplying_agency_id) if header.supplying_agency_id else ""
        found = transaction_for(store, message)
        number = found.id if found is not None else None
        try:
            inner.on_supplying_message(message)
        except Refused as refused:
            log.file(message, number, partner, refused=refused)
            raise
        log.file(message, number, partner)

    def on_requesting_message(message: RequestingAgencyMessage) -> None:
        partner = agency_symbol(message.header.requesting_agency_id)
        found = transaction_for(store, message)
        number = found.id if found is not None else None
        try:
            inner.on_requesting_message(message)
        except Refused as refused:
            log.file(message, number, partner, refused=refused)
            raise
        log.file(message, number, partner)
        if found is not None:
            _follow_up(store, log, message, found.id, by)

    def authenticate(agency: AgencyId, account: str, code: str, http: str) -> bool:
        if inner.authenticate(agency, account, code, http):
            return True
        log.refused_agency(agency, f"unknown or unauthenticated agency {agency}")
        return False

    return Callbacks(
        on_request=on_request,
        on_supplying_message=on_supplying_message,
        on_requesting_message=on_requesting_message,
        authenticate=authenticate,
        seen=log.seen,
        forget=log.forget,
    )


def _follow_up(
    store: IllStore, log: MessageLog, message: RequestingAgencyMessage, number: int, by: str
) -> None:
    """After a borrower's message: the reply it asks for, and a copy finished on Received."""
    transaction = store.get_transaction(number)
    key = message_key(message)
    effect = lending_effect(message)
    if isinstance(effect, ErrorType):
        return
    if effect.reply is ReasonForMessage.STATUS_REQUEST_RESPONSE:
        partner = store.get_partner(transaction.partner or "")
        if partner is None or not transaction.external_id:
            return
        reply = log.adapter.status_message(
            transaction, partner, _utc_now(), ReasonForMessage.STATUS_REQUEST_RESPONSE
        )
        log.queue_reply(transaction, log.adapter.rendered(reply), key)
    elif effect.reply is ReasonForMessage.CANCEL_RESPONSE:
        # A Cancel that worked is answered by the outbox (mapping: CANCEL_REPLY); one that
        # came too late is answered N here.
        if transaction.status is not S.CANCELLED_BY_ILL_STAFF:
            outgoing = Outgoing(K.CANCEL_REFUSED, "The request can no longer be cancelled.")
            log.queue_outgoing(transaction, outgoing, key)
    elif message.action is RequestingAction.RECEIVED:
        copy = transaction.request_type is RequestType.COPY
        if copy and transaction.status is S.ITEM_SHIPPED:
            with suppress(TransitionRefused):
                store.apply_action(number, Action.FINISH, by, note="The borrower has the copy.")
