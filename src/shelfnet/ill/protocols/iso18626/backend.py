"""Callbacks over an ``IllStore``: what the endpoint's messages do to transactions.

* requests become lending transactions (once per partner and request id), with a staff
  note holding what the draft has no field for;
* a lender's message finds our borrowing transaction by its requestingAgencyRequestId (our
  transaction number) and applies ``mapping.borrowing_effect``;
* a borrower's message finds our lending transaction by its supplyingAgencyRequestId (our
  number), else by partner and requestingAgencyRequestId, and applies
  ``mapping.lending_effect``;
* a partner is authenticated by its ``Partner.shared_secret``: as the header's securityCode
  or as ``Authorization: Bearer <secret>``. A partner without a secret, inactive, or unknown
  is refused.

A move the workflow does not allow from where the transaction stands is not an error
towards the partner: the message is noted on the transaction for staff.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfnet.ill.model import ProcessType, Transaction, TransactionDraft
from shelfnet.ill.protocols.iso18626.callbacks import (
    Authenticate,
    Callbacks,
    OnRequest,
    OnRequestingMessage,
    OnSupplyingMessage,
    SeenMessages,
)
from shelfnet.ill.protocols.iso18626.errors import Refused
from shelfnet.ill.protocols.iso18626.mapping import (
    Effect,
    agency_symbol,
    borrowing_effect,
    lending_effect,
    request_summary,
)
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    ErrorType,
    ReasonForMessage,
    Request,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
    SupplyStatus,
)
from shelfnet.ill.store import IllStore, UnknownRecord
from shelfnet.ill.tables import TransactionRow
from shelfnet.ill.workflow import TransitionRefused


def find_transaction(
    store: IllStore, process: ProcessType, partner: str, external_id: str
) -> int | None:
    """The newest transaction of ``process`` with this partner and partner's number."""
    query = (
        select(TransactionRow.id)
        .where(TransactionRow.process_type == process.value)
        .where(TransactionRow.partner == partner)
        .where(TransactionRow.external_id == external_id)
        .order_by(TransactionRow.id.desc())
        .limit(1)
    )
    with Session(store.engine) as session:
        return session.scalar(query)


def store_requests(store: IllStore, *, by: str = "iso18626") -> OnRequest:
    def on_request(draft: TransactionDraft, request: Request) -> int:
        if draft.partner is not None:
            known = find_transaction(store, ProcessType.LENDING, draft.partner, draft.external_id)
            if known is not None:
                return known
        transaction = store.create_transaction(draft, by)
        summary = "\n".join(f"{label}: {value}" for label, value in request_summary(request))
        store.add_note(transaction.id, by, summary)
        return transaction.id

    return on_request


def _ours(store: IllStore, number: str, process: ProcessType, partner: str) -> Transaction | None:
    if not number.strip().isdigit() or len(number.strip()) > 18:
        return None
    try:
        transaction = store.get_transaction(int(number))
    except UnknownRecord:
        return None
    if transaction.process_type is not process or (transaction.partner or "") != partner:
        return None
    return transaction


def _unknown(name: str, value: str) -> Refused:
    return Refused(
        ErrorType.UNRECOGNISED_DATA_VALUE,
        f"{name}: {value}",
        f"There is no request {value!r} for this partner here.",
    )


def _apply(store: IllStore, transaction: Transaction, effect: Effect, by: str) -> Transaction:
    try:
        if effect.action is not None:
            return store.apply_action(transaction.id, effect.action, by, note=effect.note)
        if effect.to_status is not None and effect.to_status is not transaction.status:
            return store.change_status(transaction.id, effect.to_status, by, note=effect.note)
    except TransitionRefused as refused:
        store.add_note(transaction.id, by, f"ISO 18626: {effect.note} ({refused})")
        return store.get_transaction(transaction.id)
    store.add_note(transaction.id, by, f"ISO 18626: {effect.note}")
    return transaction


def store_supplying_messages(store: IllStore, *, by: str = "iso18626") -> OnSupplyingMessage:
    def on_supplying_message(message: SupplyingAgencyMessage) -> None:
        header = message.header
        partner = agency_symbol(header.supplying_agency_id) if header.supplying_agency_id else ""
        number = header.requesting_agency_request_id
        transaction = _ours(store, number, ProcessType.BORROWING, partner)
        if transaction is None:
            raise _unknown("requestingAgencyRequestId", number)
        transaction = _apply(store, transaction, borrowing_effect(message), by)
        _record_lender_details(store, transaction, message, by)

    return on_supplying_message


def _record_lender_details(
    store: IllStore, transaction: Transaction, message: SupplyingAgencyMessage, by: str
) -> None:
    """The lender's number for the request and, for a loan or renewal, the due date."""
    changes: dict[str, object] = {}
    theirs = message.header.supplying_agency_request_id
    if theirs and transaction.external_id != theirs:
        changes["external_id"] = theirs
    due = message.status_info.due_date
    renewed = message.message_info.reason_for_message is ReasonForMessage.RENEW_RESPONSE
    loaned = message.status_info.status is SupplyStatus.LOANED or renewed
    if due is not None and loaned and transaction.due_date != due.date():
        changes["due_date"] = due.date()
    if changes:
        store.update_transaction(replace(transaction, **changes), by, force=True)  # type: ignore[arg-type]


def store_requesting_messages(store: IllStore, *, by: str = "iso18626") -> OnRequestingMessage:
    def on_requesting_message(message: RequestingAgencyMessage) -> None:
        header = message.header
        partner = agency_symbol(header.requesting_agency_id)
        transaction = _ours(store, header.supplying_agency_request_id, ProcessType.LENDING, partner)
        if transaction is None:
            number = find_transaction(
                store, ProcessType.LENDING, partner, header.requesting_agency_request_id
            )
            transaction = store.get_transaction(number) if number is not None else None
        if transaction is None:
            raise _unknown("requestingAgencyRequestId", header.requesting_agency_request_id)
        effect = lending_effect(message)
        if isinstance(effect, ErrorType):
            raise Refused(effect, message.action.value, f"{message.action.value} is not supported.")
        _apply(store, transaction, effect, by)

    return on_requesting_message


def partner_authenticator(store: IllStore) -> Authenticate:
    def authenticate(agency: AgencyId, account_id: str, security_code: str, http: str) -> bool:
        partner = store.get_partner(agency_symbol(agency))
        if partner is None or not partner.active or not partner.shared_secret:
            return False
        secret = partner.shared_secret.encode()
        offered = [security_code]
        if http.lower().startswith("bearer "):
            offered.append(http[7:].strip())
        return any(hmac.compare_digest(secret, code.encode()) for code in offered if code)

    return authenticate


def store_callbacks(
    store: IllStore, *, by: str = "iso18626", seen: SeenMessages | None = None
) -> Callbacks:
    """All the endpoint's callbacks over one store; ``seen`` defaults to an in-memory one."""
    seen = seen or SeenMessages()
    return Callbacks(
        on_request=store_requests(store, by=by),
        on_supplying_message=store_supplying_messages(store, by=by),
        on_requesting_message=store_requesting_messages(store, by=by),
        authenticate=partner_authenticator(store),
        seen=seen,
        forget=seen.forget,
    )


def transaction_for(
    store: IllStore, message: SupplyingAgencyMessage | RequestingAgencyMessage
) -> Transaction | None:
    """The transaction a partner's message is about, found as the callbacks find it (for a
    message log that keeps incoming messages with their transaction); None if none."""
    header = message.header
    if isinstance(message, SupplyingAgencyMessage):
        partner = agency_symbol(header.supplying_agency_id) if header.supplying_agency_id else ""
        return _ours(store, header.requesting_agency_request_id, ProcessType.BORROWING, partner)
    partner = agency_symbol(header.requesting_agency_id)
    transaction = _ours(store, header.supplying_agency_request_id, ProcessType.LENDING, partner)
    if transaction is None:
        number = find_transaction(
            store, ProcessType.LENDING, partner, header.requesting_agency_request_id
        )
        transaction = store.get_transaction(number) if number is not None else None
    return transaction
