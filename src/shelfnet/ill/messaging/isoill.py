"""The ISO ILL adapter: outgoing messages as APDUs, sent with ``IsoIllClient``.

``render`` builds the APDU for a change (at queue time: every try sends the same bytes, with
the same service date-time, so the partner recognises a repeat). ``send`` connects to the
partner's ``host:port``, loads the transaction's protocol state (``states.py``), sends the
APDU through the state table and waits for the partner's acknowledgement (a
Status-Or-Error-Report). The state is saved only when the partner has the APDU.

Transaction ids: a borrowing request is ``initial-requester-id`` = our symbol and
``transaction-qualifier`` = our transaction number; a lending transaction answers with the
id its ILL-Request came with (kept in ``ill_isoill_states``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy.orm import Session, sessionmaker

from shelfnet.ill.messaging import states
from shelfnet.ill.messaging.model import Message, MessageKind, Outgoing, Rendered
from shelfnet.ill.messaging.ports import NotApplicable, SendError
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import (
    CopyrightCompliance,
    DocumentType,
    Partner,
    ProcessType,
    RequestType,
    Transaction,
)
from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill import codec
from shelfnet.ill.protocols.isoill.client import IsoIllClient
from shelfnet.ill.protocols.isoill.errors import IsoIllError, LocalProtocolError
from shelfnet.ill.protocols.isoill.ports import ISOILL_PORT
from shelfnet.ill.protocols.isoill.protocol import Transaction as ProtocolState
from shelfnet.ill.protocols.isoill.protocol import TransactionKey, transaction_key
from shelfnet.ill.protocols.isoill.states import Role, State
from shelfnet.ill.store import IllStore

PROTOCOL = "isoill"

FROM_REQUESTER = frozenset({
    a.ApduType.ILL_REQUEST, a.ApduType.CONDITIONAL_REPLY, a.ApduType.CANCEL,
    a.ApduType.RECEIVED, a.ApduType.RETURNED, a.ApduType.RENEW,
})  # fmt: skip
FROM_RESPONDER = frozenset({
    a.ApduType.SHIPPED, a.ApduType.ILL_ANSWER, a.ApduType.CANCEL_REPLY,
    a.ApduType.CHECKED_IN, a.ApduType.RENEW_ANSWER, a.ApduType.RECALL, a.ApduType.OVERDUE,
    a.ApduType.FORWARD_NOTIFICATION, a.ApduType.EXPIRED,
})  # fmt: skip
"""Who sends which APDU; the rest (Lost, Damaged, Message, Status-Query,
Status-Or-Error-Report) either party."""


class Header(TypedDict):
    transaction_id: a.TransactionId
    service_date_time: a.ServiceDateTime
    requester_id: a.SystemId
    responder_id: a.SystemId


def iso_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def parse_date(text: str | None) -> date | None:
    if not text or len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def service_date_time(now: datetime) -> a.ServiceDateTime:
    return a.ServiceDateTime(now.strftime("%Y%m%d"), now.strftime("%H%M%S"))


def decode(raw: bytes) -> a.Apdu:
    return a.apdu_from_value(*codec.decode_apdu(raw))


def encode(apdu: a.Apdu) -> bytes:
    return codec.encode_apdu(*apdu.encode_value())


def summarize(apdu: a.Apdu) -> str:
    """One line for staff: the APDU type, the transaction id and what matters in it."""
    parts = [apdu.TYPE.value, f"transaction {apdu.transaction_id.external_id or '-'}"]
    if isinstance(apdu, a.IllRequest):
        parts.append(", ".join(s.value for s in apdu.service_types))
        parts.append(apdu.item_id.title_of_article or apdu.item_id.title or "")
    elif isinstance(apdu, a.Shipped):
        details = apdu.supply_details
        parts.append(f"shipped {details.date_shipped or '-'}")
        if details.date_due is not None:
            parts.append(f"due {details.date_due.date}")
    elif isinstance(apdu, a.IllAnswer):
        parts.append(apdu.transaction_results.value)
    elif isinstance(apdu, (a.CancelReply, a.ConditionalReply)):
        parts.append("yes" if apdu.answer else "no")
    elif isinstance(apdu, a.RenewAnswer):
        parts.append("yes" if apdu.answer else "no")
        if apdu.date_due is not None:
            parts.append(f"due {apdu.date_due.date}")
    elif isinstance(apdu, a.StatusOrErrorReport) and apdu.error_report is not None:
        parts.append(f"error: {apdu.error_report.correlation_information}")
    note = getattr(apdu, "note", None)
    if note:
        parts.append(f"note: {note}")
    return "; ".join(part for part in parts if part)


def endpoint(partner: Partner) -> tuple[str, int]:
    """``host:port`` (port 1611 when left out)."""
    text = partner.endpoint.strip()
    if text.startswith("tcp:"):
        text = text[4:]
    host, _sep, port = text.rpartition(":")
    if not host:
        return text, ISOILL_PORT
    return host.strip("[]"), int(port)


class IsoIllAdapter:
    """Renders and sends ISO ILL APDUs for one ILL store."""

    protocol = PROTOCOL

    def __init__(self, store: IllStore, settings: MessagingSettings) -> None:
        self.settings = settings
        self.our_id = a.SystemId(settings.symbol)
        self._reads = sessionmaker(store.engine, expire_on_commit=False)
        writer = store.write_engine
        self._writes = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._reads.begin() as session:
            yield session

    # Rendering

    def render(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> Rendered:
        apdu = self.apdu(outgoing, transaction, partner, now)
        return Rendered(apdu.TYPE.value, encode(apdu), summarize(apdu))

    def apdu(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> a.Apdu:
        kind = outgoing.kind
        note = outgoing.note or None
        if kind is MessageKind.REQUEST:
            return self.ill_request(transaction, partner, now, note)
        header = self._header(transaction, partner, now)
        today = iso_date(now.date())
        copy = transaction.request_type is RequestType.COPY
        service = a.ServiceType.COPY_NON_RETURNABLE if copy else a.ServiceType.LOAN
        if kind is MessageKind.CONDITIONS_ACCEPTED:
            return a.ConditionalReply(**header, answer=True, note=note)
        if kind is MessageKind.CONDITIONS_REFUSED:
            return a.ConditionalReply(**header, answer=False, note=note)
        if kind is MessageKind.RECEIVED:
            supplier = a.SystemId(partner.symbol)
            return a.Received(
                **header,
                date_received=today,
                shipped_service_type=service,
                supplier_id=supplier,
                note=note,
            )
        if kind is MessageKind.RETURNED:
            return a.Returned(**header, date_returned=today, note=note)
        if kind is MessageKind.CANCEL:
            return a.Cancel(**header, note=note)
        if kind is MessageKind.RENEW:
            return a.Renew(**header, note=note)
        if kind is MessageKind.SHIPPED:
            due = transaction.due_date
            details = a.SupplyDetails(
                date_shipped=today,
                date_due=a.DateDue(date=iso_date(due)) if due and not copy else None,
            )
            return a.Shipped(
                **header,
                shipped_service_type=service,
                supply_details=details,
                supplier_id=self.our_id,
                responder_optional_messages=a.ResponderOptionalMessages(),
                note=note,
            )
        if kind is MessageKind.UNFILLED:
            return a.IllAnswer(
                **header,
                transaction_results=a.TransactionResults.UNFILLED,
                results_explanation=("unfilled-results", {"reason-unfilled": "other"}),
                note=note,
            )
        if kind is MessageKind.CONDITIONAL:
            return a.IllAnswer(
                **header, transaction_results=a.TransactionResults.CONDITIONAL, note=note
            )
        if kind is MessageKind.CHECKED_IN:
            return a.CheckedIn(**header, date_checked_in=today, note=note)
        if kind is MessageKind.RENEW_ANSWER:
            due = transaction.due_date or now.date() + timedelta(days=self.settings.renewal_days)
            return a.RenewAnswer(**header, answer=True, date_due=a.DateDue(date=iso_date(due)))
        if kind in (MessageKind.CANCEL_REPLY, MessageKind.CANCEL_REFUSED):
            cancelling = kind is MessageKind.CANCEL_REPLY
            if cancelling and self._state(header["transaction_id"]) is not State.CANCEL_PENDING:
                raise NotApplicable("no Cancel to answer")
            return a.CancelReply(**header, answer=kind is MessageKind.CANCEL_REPLY, note=note)
        raise NotApplicable(kind.value)

    def _header(self, transaction: Transaction, partner: Partner, now: datetime) -> Header:
        them = a.SystemId(partner.symbol)
        if transaction.process_type is ProcessType.BORROWING:
            return {
                "transaction_id": self.borrowing_id(transaction.id),
                "service_date_time": service_date_time(now),
                "requester_id": self.our_id,
                "responder_id": them,
            }
        with self._reading() as session:
            known = states.transaction_id_of(session, Role.RESPONDER, transaction.id)
        if known is None:
            raise NotApplicable(f"transaction {transaction.id} did not come by ISO ILL")
        return {
            "transaction_id": known,
            "service_date_time": service_date_time(now),
            "requester_id": them,
            "responder_id": self.our_id,
        }

    def _state(self, transaction_id: a.TransactionId) -> State | None:
        with self._reading() as session:
            known = states.load(session, Role.RESPONDER, transaction_key(transaction_id))
        return None if known is None else known.state

    def borrowing_id(self, number: int) -> a.TransactionId:
        return a.TransactionId(initial_requester=self.our_id, qualifier=str(number))

    def ill_request(
        self, transaction: Transaction, partner: Partner, now: datetime, note: str | None
    ) -> a.IllRequest:
        citation = transaction.citation
        serial = transaction.document_type is DocumentType.ARTICLE
        kind = a.ItemType.SERIAL if serial else a.ItemType.MONOGRAPH
        if transaction.document_type is DocumentType.OTHER:
            kind = a.ItemType.OTHER

        def text(value: str) -> str | None:
            return value.strip() or None

        item = a.ItemId(
            item_type=kind,
            title=text(citation.journal_title if serial else citation.title)
            or text(citation.title),
            author=text(citation.author),
            title_of_article=text(citation.article_title),
            author_of_article=text(citation.article_author),
            volume_issue=text(" ".join(p for p in (citation.volume, citation.issue) if p)),
            publication_date=text(citation.year),
            pagination=text(citation.pages),
            edition=text(citation.edition),
            publisher=text(citation.publisher),
            place_of_publication=text(citation.place),
            isbn=text(citation.isbn),
            issn=text(citation.issn),
            call_number=text(citation.call_number),
            verification_reference_source=text(citation.cited_in),
        )
        copy = transaction.request_type is RequestType.COPY
        search = None
        if citation.not_wanted_after is not None:
            search = a.SearchType(
                need_before_date=iso_date(citation.not_wanted_after),
                expiry_flag=a.ExpiryFlag.NEED_BEFORE_DATE,
            )
        compliance = citation.copyright_compliance
        return a.IllRequest(
            transaction_id=self.borrowing_id(transaction.id),
            service_date_time=service_date_time(now),
            requester_id=self.our_id,
            responder_id=a.SystemId(partner.symbol),
            item_id=item,
            service_types=(a.ServiceType.COPY_NON_RETURNABLE if copy else a.ServiceType.LOAN,),
            requester_optional_messages=a.RequesterOptionalMessages(
                can_send_received=True, can_send_returned=True
            ),
            search_type=search,
            copyright_compliance=(
                compliance.value.upper() if compliance is not CopyrightCompliance.NONE else None
            ),
            note=note,
        )

    # Sending

    async def send(self, partner: Partner, message: Message) -> None:
        """Send the APDU and wait for the partner's acknowledgement; ``SendError`` when the
        partner cannot be reached (transient) or refuses it (permanent)."""
        apdu = decode(message.raw)
        role = Role.REQUESTER if apdu.TYPE in FROM_REQUESTER else Role.RESPONDER
        key = transaction_key(apdu.transaction_id)
        known = None
        if apdu.TYPE is not a.ApduType.ILL_REQUEST:  # a new request starts afresh
            known = await asyncio.to_thread(self._load, role, key)
        try:
            host, port = endpoint(partner)
        except ValueError as exc:
            raise SendError(f"bad endpoint {partner.endpoint!r}", permanent=True) from exc
        try:
            client = await IsoIllClient.connect(
                host, port, role=role, our_id=self.our_id, timeout=self.settings.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise SendError(f"cannot reach {partner.symbol} at {host}:{port}: {exc}") from exc
        async with client:
            if known is not None:
                client.protocol.transactions[key] = known
            try:
                await client.send(apdu)
            except LocalProtocolError as exc:
                raise SendError(str(exc), permanent=True) from exc
            except OSError as exc:
                raise SendError(f"connection to {partner.symbol} lost: {exc}") from exc
            state = client.protocol.transactions.get(key)
            await self._acknowledgement(client, partner)
        if state is not None:
            await asyncio.to_thread(self._save, role, key, state, message.transaction_id)

    async def _acknowledgement(self, client: IsoIllClient, partner: Partner) -> None:
        try:
            answer = await asyncio.wait_for(client.receive(), self.settings.ack_timeout)
        except TimeoutError:
            return  # a partner that does not acknowledge: the APDU was written
        except (IsoIllError, OSError) as exc:
            raise SendError(f"{partner.symbol} did not acknowledge: {exc}") from exc
        if not isinstance(answer, a.StatusOrErrorReport) or answer.error_report is None:
            return
        report = answer.error_report
        transient = report.unable_to_perform is a.UnableToPerform.RESOURCE_LIMITATION
        reason = answer.note or report.correlation_information
        raise SendError(
            f"{partner.symbol} refused it: {_problem(report)} ({reason})", permanent=not transient
        )

    def _load(self, role: Role, key: TransactionKey) -> ProtocolState | None:
        with self._reading() as session:
            return states.load(session, role, key)

    def _save(
        self,
        role: Role,
        key: TransactionKey,
        state: ProtocolState,
        transaction_id: int | None,
    ) -> None:
        with self._writes.begin() as session:
            states.save(session, role, key, replace(state), transaction_id=transaction_id)


def _problem(report: a.ErrorReport) -> str:
    for value in (
        report.general_problem,
        report.transaction_id_problem,
        report.unable_to_perform,
    ):
        if value is not None:
            return str(value.value)
    if report.state_transition_prohibited is not None:
        prohibited = report.state_transition_prohibited
        return f"{prohibited.apdu_type.value} not allowed in {prohibited.current_state.value}"
    if report.user_error is not None:
        return report.user_error[0]
    return "error"
