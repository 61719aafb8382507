"""An incoming ILL-Request as a lending transaction: the draft, and a note for the rest.

The TransactionDraft takes the citation, the requester (``partner``), the requester's
transaction id (``external_id``) and the service type. What has no place in a draft
(addresses, the client, the requester's wishes about messages, notes) is summed up by
``request_summary`` so the store can keep it as a staff note on the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    TransactionDraft,
)
from shelfnet.ill.protocols.isoill.apdus import (
    DeliveryAddress,
    IllRequest,
    ItemId,
    ItemType,
    ServiceType,
)
from shelfnet.ill.protocols.isoill.apdus import SystemId as IllSystemId
from shelfnet.ill.store import IllStore

OnRequest = Callable[[TransactionDraft, IllRequest], int]
"""What the server calls for each accepted ILL-Request: returns the new transaction number."""


def requester_symbol(request: IllRequest) -> str:
    """The requesting library: requester-id, else the initial requester of the transaction."""
    for system in (request.requester_id, request.transaction_id.initial_requester):
        if system is not None and str(system):
            return str(system)
    return ""


def draft_from_request(request: IllRequest) -> TransactionDraft:
    """The lending transaction an incoming ILL-Request becomes."""
    item = request.item_id
    copy = request.service_types[:1] == (ServiceType.COPY_NON_RETURNABLE,)
    return TransactionDraft(
        process_type=ProcessType.LENDING,
        request_type=RequestType.COPY if copy else RequestType.LOAN,
        document_type=_document_type(item),
        citation=citation_from_item(request),
        partner=requester_symbol(request) or None,
        external_id=request.transaction_id.external_id,
        system_id=SystemId.ISOILL,
    )


def _document_type(item: ItemId) -> DocumentType:
    part = item.title_of_article is not None
    if item.item_type is ItemType.SERIAL:
        return DocumentType.ARTICLE if part else DocumentType.OTHER
    if item.item_type is ItemType.OTHER:
        return DocumentType.OTHER
    return DocumentType.BOOK_CHAPTER if part else DocumentType.BOOK


def citation_from_item(request: IllRequest) -> Citation:
    item = request.item_id
    title = item.title or ""
    if item.sub_title:
        title = f"{title}: {item.sub_title}" if title else item.sub_title
    serial = item.item_type is ItemType.SERIAL
    search = request.search_type
    need_before = search.need_before_date or search.expiry_date if search else None
    cost = request.cost_info.maximum_cost if request.cost_info else None
    return Citation(
        title="" if serial else title,
        journal_title=title if serial else "",
        author=item.author or "",
        article_title=item.title_of_article or "",
        article_author=item.author_of_article or "",
        volume=item.volume_issue or "",
        year=item.publication_date or "",
        pages=item.pagination or "",
        edition=item.edition or "",
        publisher=item.publisher or "",
        place=item.place_of_publication or "",
        isbn=item.isbn or "",
        issn=item.issn or "",
        call_number=item.call_number or "",
        cited_in=item.verification_reference_source or "",
        not_wanted_after=_iso_date(need_before),
        max_cost=_decimal(cost.monetary_value) if cost else None,
        copyright_compliance=_compliance(request.copyright_compliance),
    )


def _iso_date(text: str | None) -> date | None:
    if not text or len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".").strip())
    except InvalidOperation:
        return None


def _compliance(text: str | None) -> CopyrightCompliance:
    upper = (text or "").upper()
    if "CCG" in upper:
        return CopyrightCompliance.CCG
    if "CCL" in upper:
        return CopyrightCompliance.CCL
    return CopyrightCompliance.NONE


def _system(system: IllSystemId | None) -> str:
    if system is None:
        return ""
    parts = [p for p in (system.symbol, system.name) if p]
    return " / ".join(parts)


def _address(address: DeliveryAddress | None) -> str:
    if address is None:
        return ""
    lines = list(address.postal.lines()) if address.postal else []
    electronic = address.electronic
    if electronic and electronic.telecom_service_address:
        kind = electronic.telecom_service_identifier or "address"
        lines.append(f"{kind}: {electronic.telecom_service_address}")
    return "; ".join(lines)


def request_summary(request: IllRequest) -> list[tuple[str, str]]:
    """Every part of the request the draft does not hold, as (label, value), empty ones
    left out."""
    item = request.item_id
    search = request.search_type
    client = request.client_id
    messages = request.requester_optional_messages
    media = request.supply_medium_info or ()
    rows = [
        ("ISO ILL transaction", request.transaction_id.external_id),
        ("Initial requester", _system(request.transaction_id.initial_requester)),
        ("Requester", _system(request.requester_id)),
        ("Responder", _system(request.responder_id)),
        ("Protocol version", str(request.protocol_version)),
        (
            "Service date",
            " ".join(
                filter(None, (request.service_date_time.date, request.service_date_time.time))
            ),
        ),
        ("Transaction type", request.transaction_type.value),
        ("Service types", ", ".join(kind.value for kind in request.service_types)),
        ("Item type", item.item_type.value if item.item_type else ""),
        ("Sponsoring body", item.sponsoring_body or ""),
        ("Series", item.series_title_number or ""),
        ("Date of component", item.publication_date_of_component or ""),
        ("Additional numbers", item.additional_no_letters or ""),
        ("Delivery address", _address(request.delivery_address)),
        ("Delivery service", request.delivery_service or ""),
        ("Billing address", _address(request.billing_address)),
        (
            "Client",
            " / ".join(p for p in (client.name, client.status, client.identifier) if p)
            if client
            else "",
        ),
        ("Level of service", search.level_of_service or "" if search else ""),
        ("Need before", search.need_before_date or "" if search else ""),
        (
            "Expiry",
            f"{search.expiry_flag.value} {search.expiry_date or ''}".strip() if search else "",
        ),
        (
            "Supply media",
            ", ".join(
                f"{m.medium.value} ({m.characteristics})" if m.characteristics else m.medium.value
                for m in media
            ),
        ),
        ("Place on hold", request.place_on_hold.value),
        (
            "Optional messages",
            (
                f"can send RECEIVED: {_yes(messages.can_send_received)}, "
                f"can send RETURNED: {_yes(messages.can_send_returned)}, "
                f"SHIPPED: {messages.requester_shipped.value}, "
                f"CHECKED-IN: {messages.requester_checked_in.value}"
            ),
        ),
        ("Account number", request.cost_info.account_number or "" if request.cost_info else ""),
        ("Copyright compliance", request.copyright_compliance or ""),
        ("Retry", _yes(request.retry_flag) if request.retry_flag else ""),
        ("Forward", _yes(request.forward_flag) if request.forward_flag else ""),
        ("Requester note", request.note or ""),
        ("Forward note", request.forward_note or ""),
    ]
    return [(label, value) for label, value in rows if value]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def store_requests(store: IllStore, *, by: str = "isoill") -> OnRequest:
    """An ``on_request`` callback that files each request as a lending transaction, with
    the rest of the request as a staff note."""

    def on_request(draft: TransactionDraft, request: IllRequest) -> int:
        transaction = store.create_transaction(draft, by)
        summary = "\n".join(f"{label}: {value}" for label, value in request_summary(request))
        store.add_note(transaction.id, by, summary)
        return transaction.id

    return on_request
