"""Where a received document goes: to the patron who asked for it, to staff for review, or
to the "No ILL Number Match" queue.

``route`` is what the delivery wire server calls for each accepted file (through
``on_document``). It looks for our borrowing request by the transaction number the sender
gave (ours: we are the receiver), else by the ILL number taken as our transaction number,
else by the ILL number as the partner's number (``external_id``) on a request to that
sender. A copy request that is waiting for its document (``AWAITING_DELIVERY``) takes it:

* from a trusted partner (``Partner.trusted``) the document is converted (TIFF to PDF), gets
  its cover sheet and is delivered: the request moves to "Delivered to Web" (which queues the
  patron's e-mail notice, as every status change does) and the patron may download it for a
  number of days and views;
* from anyone else it waits for staff review (``release``);
* with no such request it waits in the unmatched queue until staff ``assign`` it.

The received file is copied into the delivery folder first, so the wire server may clean
its spool whatever happens next.
"""

from __future__ import annotations

import enum
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy import select

from shelfnet.ill import feed
from shelfnet.ill.delivery.convert import (
    COPYRIGHT_NOTICE,
    MEDIA_TYPES,
    PDF,
    TIFF,
    ConversionError,
    Cover,
    write_delivered,
)
from shelfnet.ill.delivery.documents import (
    Direction,
    Document,
    Documents,
    DocumentState,
    NewDocument,
)
from shelfnet.ill.delivery.links import LinkSettings, exchange_link, patron_link, purge_document
from shelfnet.ill.model import Citation, ProcessType, RequestType, Transaction
from shelfnet.ill.store import IllStore, UnknownRecord, VersionConflict
from shelfnet.ill.tables import TransactionRow
from shelfnet.ill.workflow import Action, Locked, Status, TransitionRefused

DELIVERY = "document delivery"
"""Who the history says moved a request when a document arrived."""

AWAITING_DELIVERY = frozenset(
    {Status.REQUEST_SENT, Status.AWAITING_POST_RECEIPT_PROCESSING, Status.DELIVERED_TO_WEB}
)
"""A borrowing copy request in one of these takes a document ("Delivered to Web": a second
part of one already delivered)."""

_SUFFIXES = {PDF: ".pdf", TIFF: ".tif"}


@dataclass(frozen=True)
class RoutingSettings:
    folder: Path
    """Where received, converted and outgoing files are kept."""
    links: LinkSettings = field(default_factory=LinkSettings)
    """How long the patron's download lasts (days and views)."""
    library: str = ""
    """Our library's name, for the cover sheet."""
    notice: str = COPYRIGHT_NOTICE
    """The copyright notice on the cover sheet."""


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    AWAITING_REVIEW = "awaiting_review"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Received:
    """One accepted file and what its sender said about it."""

    sender: str
    receiver: str
    ill_number: str
    transaction_number: str
    media_type: str
    path: Path
    sha256: str
    size: int
    file_name: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Routed:
    outcome: Outcome
    document: Document
    reason: str = ""


class NotDeliverable(Exception):
    """Staff asked for a delivery that cannot happen; the message says why."""


class WireHeader(Protocol):
    """What ``on_document`` reads from the wire server's document header."""

    @property
    def sender(self) -> str: ...
    @property
    def receiver(self) -> str: ...
    @property
    def ill_number(self) -> str: ...
    @property
    def transaction(self) -> str: ...
    @property
    def notes(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def media_type(self) -> str: ...


def on_document(
    store: IllStore, documents: Documents, settings: RoutingSettings
) -> Callable[[WireHeader, Path, str, int], str]:
    """The wire server's callback: routes the file, answers with a sentence for its log."""

    def callback(header: WireHeader, path: Path, sha256: str, size: int) -> str:
        received = Received(
            sender=header.sender,
            receiver=header.receiver,
            ill_number=header.ill_number,
            transaction_number=header.transaction,
            media_type=header.media_type,
            path=path,
            sha256=sha256,
            size=size,
            file_name=header.filename,
            notes=header.notes,
        )
        routed = route(store, documents, received, settings)
        return f"document {routed.document.id}: {routed.outcome.value}. {routed.reason}".strip()

    return callback


def route(
    store: IllStore, documents: Documents, received: Received, settings: RoutingSettings
) -> Routed:
    """Keep the file and send it where it belongs (see the module's description)."""
    kept = _keep(received.path, settings.folder / "received", received.media_type)
    new = NewDocument(
        sender=received.sender,
        receiver=received.receiver,
        ill_number=received.ill_number,
        transaction_number=received.transaction_number,
        media_type=received.media_type,
        original_path=kept,
        sha256=received.sha256,
        size=received.size,
        file_name=received.file_name,
        notes=received.notes,
    )
    transaction, problem = find_request(
        store, received.sender, received.ill_number, received.transaction_number
    )
    if transaction is None:
        document = documents.add(new, DocumentState.UNMATCHED, reason=problem, by=DELIVERY)
        return Routed(Outcome.UNMATCHED, document, problem)
    doubt = _doubt(store, received.sender, transaction)
    if doubt:
        document = documents.add(
            new,
            DocumentState.AWAITING_REVIEW,
            reason=doubt,
            transaction_id=transaction.id,
            by=DELIVERY,
        )
        return Routed(Outcome.AWAITING_REVIEW, document, doubt)
    document = documents.add(
        new,
        DocumentState.AWAITING_REVIEW,
        reason="Being delivered.",
        transaction_id=transaction.id,
        by=DELIVERY,
    )
    return _delivered(store, documents, document, transaction, settings, DELIVERY)


def find_request(
    store: IllStore, sender: str, ill_number: str, transaction_number: str
) -> tuple[Transaction | None, str]:
    """Our borrowing copy request awaiting this document, or None and why not.
    ``transaction_number``: ours, as the sender gave it; ``ill_number``: the request's
    number, which is ours too when we made it, else the partner's (``external_id``)."""
    transaction = None
    for number in (transaction_number.strip(), ill_number.strip()):
        if transaction is None and number.isdigit() and len(number) < 12:
            try:
                transaction = store.get_transaction(int(number))
            except UnknownRecord:
                transaction = None
    if transaction is None and ill_number.strip():
        transaction = _by_partner_number(store, sender, ill_number.strip())
    if transaction is None:
        return None, (
            f'No request has ILL number "{ill_number}" or transaction number '
            f'"{transaction_number}".'
        )
    problem = acceptance_problem(transaction)
    return (None, problem) if problem else (transaction, "")


def acceptance_problem(transaction: Transaction) -> str:
    """Why a document cannot go to this request ("" when it can)."""
    if transaction.process_type is not ProcessType.BORROWING:
        return f"Request {transaction.id} is not a borrowing request."
    if transaction.request_type is not RequestType.COPY:
        return f"Request {transaction.id} is a loan, not a copy request."
    if transaction.status not in AWAITING_DELIVERY:
        return (
            f'Request {transaction.id} is in "{transaction.status.display}", not awaiting '
            "a delivery."
        )
    if transaction.patron_id is None:
        return f"Request {transaction.id} has no patron to deliver to."
    return ""


def _by_partner_number(store: IllStore, sender: str, number: str) -> Transaction | None:
    query = (
        select(TransactionRow.id)
        .where(TransactionRow.external_id == number)
        .where(TransactionRow.partner == sender)
        .where(TransactionRow.process_type == ProcessType.BORROWING.value)
        .order_by(TransactionRow.id.desc())
    )
    with store.engine.connect() as connection:
        found = connection.execute(query).scalars().first()
    return None if found is None else store.get_transaction(found)


def _doubt(store: IllStore, sender: str, transaction: Transaction) -> str:
    """Why staff should look first ("" when the document may go straight to the patron)."""
    partner = store.get_partner(sender)
    if partner is None:
        return f"{sender} is not one of our partners."
    if not partner.trusted:
        return f"{sender} is not a trusted sender: staff check its documents first."
    if transaction.partner and transaction.partner != sender:
        return f"Request {transaction.id} went to {transaction.partner}, not to {sender}."
    return ""


def release(
    store: IllStore,
    documents: Documents,
    document_id: int,
    settings: RoutingSettings,
    by: str,
) -> Routed:
    """Staff looked at a document awaiting review: deliver it to the patron."""
    document = documents.get(document_id)
    if document.state is not DocumentState.AWAITING_REVIEW or document.transaction_id is None:
        raise NotDeliverable(f"Document {document_id} is not awaiting review.")
    return _delivered_checked(store, documents, document, document.transaction_id, settings, by)


def assign(
    store: IllStore,
    documents: Documents,
    document_id: int,
    transaction_id: int,
    settings: RoutingSettings,
    by: str,
) -> Routed:
    """Staff found the request an unmatched document belongs to: deliver it there."""
    document = documents.get(document_id)
    if document.state is not DocumentState.UNMATCHED:
        raise NotDeliverable(f"Document {document_id} is not in the unmatched queue.")
    return _delivered_checked(store, documents, document, transaction_id, settings, by)


def discard(documents: Documents, document_id: int, by: str) -> Document:
    """Staff threw a received document away (junk, a duplicate): its files are deleted."""
    document = documents.get(document_id)
    if document.state not in (DocumentState.UNMATCHED, DocumentState.AWAITING_REVIEW):
        raise NotDeliverable(f"Document {document_id} is not waiting in a queue.")
    return purge_document(documents, document, by, f"Discarded by {by}.")


def _delivered_checked(
    store: IllStore,
    documents: Documents,
    document: Document,
    transaction_id: int,
    settings: RoutingSettings,
    by: str,
) -> Routed:
    try:
        transaction = store.get_transaction(transaction_id)
    except UnknownRecord:
        raise NotDeliverable(f"There is no request {transaction_id}.") from None
    problem = acceptance_problem(transaction)
    if problem:
        raise NotDeliverable(problem)
    return _delivered(store, documents, document, transaction, settings, by)


def _delivered(
    store: IllStore,
    documents: Documents,
    document: Document,
    transaction: Transaction,
    settings: RoutingSettings,
    by: str,
) -> Routed:
    """Convert, move the request to "Delivered to Web", open the patron's download. Whatever
    fails leaves the document with staff, saying why."""
    target = settings.folder / "delivered" / f"{document.id}-{secrets.token_hex(8)}.pdf"
    try:
        sheet = cover(store, transaction, settings, documents.now().date())
        write_delivered(sheet, document.original_path, document.media_type, target)
        _move_to_delivered(store, transaction.id, by)
    except (ConversionError, OSError, TransitionRefused, Locked, VersionConflict) as exc:
        target.unlink(missing_ok=True)
        reason = f"Could not be delivered: {exc}"
        document = documents.change(
            document.id,
            DocumentState.AWAITING_REVIEW,
            by,
            reason=reason,
            transaction_id=transaction.id,
        )
        return Routed(Outcome.AWAITING_REVIEW, document, reason)
    patron_link(documents, document.id, settings.links)
    reason = f"Delivered to the patron of request {transaction.id}."
    document = documents.change(
        document.id,
        DocumentState.DELIVERED,
        by,
        reason=reason,
        transaction_id=transaction.id,
        pdf_path=target,
    )
    return Routed(Outcome.DELIVERED, document, reason)


def _move_to_delivered(store: IllStore, transaction_id: int, by: str) -> None:
    # A document is the proof of receipt: "Request Sent" goes through post-receipt first.
    transaction = store.get_transaction(transaction_id)
    if transaction.status is Status.REQUEST_SENT:
        transaction = store.apply_action(transaction_id, Action.MARK_RECEIVED, by, force=True)
    if transaction.status is Status.AWAITING_POST_RECEIPT_PROCESSING:
        store.apply_action(transaction_id, Action.DELIVER_TO_WEB, by, force=True)
    elif transaction.status is not Status.DELIVERED_TO_WEB:
        raise TransitionRefused(
            transaction.process_type, transaction.status, Status.DELIVERED_TO_WEB
        )


def cover(
    store: IllStore, transaction: Transaction, settings: RoutingSettings, today: date
) -> Cover:
    """The cover sheet of a request's delivery."""
    patron = store.get_patron(transaction.patron_id) if transaction.patron_id else None
    name = ""
    if patron is not None:
        name = " ".join(part for part in (patron.first_name, patron.last_name) if part)
        name = name or patron.username
    return Cover(
        request_number=transaction.id,
        title=feed.cited_title(transaction.citation),
        patron_name=name,
        delivered=today,
        library=settings.library,
        source=_source(transaction.citation),
        notice=settings.notice,
    )


def _source(citation: Citation) -> str:
    parts = [citation.journal_title or citation.title]
    for label, value in (
        ("vol.", citation.volume),
        ("no.", citation.issue),
        ("", citation.year),
        ("pp.", citation.pages),
    ):
        if value:
            parts.append(f"{label} {value}".strip())
    return ", ".join(part for part in parts if part)


# Sending


def sniff(data: bytes) -> str | None:
    """The media type of a PDF or TIFF by its first bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    return None


def outgoing(
    store: IllStore,
    documents: Documents,
    transaction_id: int,
    data: bytes,
    settings: RoutingSettings,
    by: str,
    *,
    symbol: str,
    file_name: str = "",
    notes: str = "",
) -> Document:
    """A document staff upload for a lending request: kept and queued for the wire client."""
    return _outgoing(
        store,
        documents,
        transaction_id,
        data,
        settings,
        by,
        symbol=symbol,
        file_name=file_name,
        notes=notes,
        state=DocumentState.QUEUED,
        reason="Waiting for the delivery wire client.",
    )


def outgoing_link(
    store: IllStore,
    documents: Documents,
    transaction_id: int,
    data: bytes,
    settings: RoutingSettings,
    by: str,
    *,
    symbol: str,
    password: str,
    days: int,
    views: int,
    file_name: str = "",
) -> tuple[Document, str]:
    """A document for a partner without the delivery wire: behind a password link
    (``/delivery/{token}``). Returns the document and the link's token."""
    document = _outgoing(
        store,
        documents,
        transaction_id,
        data,
        settings,
        by,
        symbol=symbol,
        file_name=file_name,
        notes="",
        state=DocumentState.SENT,
        reason=f"Behind a password link: {days} days, {views} views.",
    )
    token, _link = exchange_link(documents, document.id, password, days=days, views=views)
    return document, token


def _outgoing(
    store: IllStore,
    documents: Documents,
    transaction_id: int,
    data: bytes,
    settings: RoutingSettings,
    by: str,
    *,
    symbol: str,
    file_name: str,
    notes: str,
    state: DocumentState,
    reason: str,
) -> Document:
    import hashlib

    media_type = sniff(data)
    if media_type is None:
        raise NotDeliverable("Only PDF and TIFF files can be sent.")
    try:
        transaction = store.get_transaction(transaction_id)
    except UnknownRecord:
        raise NotDeliverable(f"There is no request {transaction_id}.") from None
    if transaction.process_type is not ProcessType.LENDING or not transaction.partner:
        raise NotDeliverable(f"Request {transaction_id} is not a lending request to a partner.")
    folder = settings.folder / "outgoing"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}{_SUFFIXES[media_type]}"
    path.write_bytes(data)
    new = NewDocument(
        sender=symbol,
        receiver=transaction.partner,
        ill_number=transaction.external_id,
        transaction_number=transaction.external_id,
        media_type=media_type,
        original_path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        file_name=Path(file_name).name[:200],
        notes=notes,
        direction=Direction.OUTGOING,
    )
    return documents.add(new, state, reason=reason, transaction_id=transaction.id, by=by)


def _keep(source: Path, folder: Path, media_type: str) -> Path:
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"{media_type} is not a document type shelfnet delivers")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(16)}{_SUFFIXES[media_type]}"
    shutil.copyfile(source, target)
    return target
