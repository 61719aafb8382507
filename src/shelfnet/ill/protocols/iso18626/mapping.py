"""ISO 18626 messages <-> shelfnet's transactions, statuses and staff actions.

Every code of both schemas' closed lists is in one of the tables below, either mapped or
refused with the errorType the standard has for it (a test checks both XSDs):

* ``SUPPLY_STATUS_EFFECTS``: a supplier's status -> what it does to our **borrowing**
  transaction (a staff action, a status, or only a note);
* ``REASON_HANDLING``: each reasonForMessage, and what it changes;
* ``REQUESTING_ACTION_EFFECTS``: a borrower's action -> what it does to our **lending**
  transaction; ``REFUSED_ACTIONS``: the ones we answer with an error;
* ``LENDING_ACTION_MESSAGES`` / ``BORROWING_ACTION_MESSAGES``: the reverse, which message a
  staff action on our side sends to the partner.

Partners are known by the agency id's *value* alone (``US-CST`` for ISIL ``US-CST``, ``CST``
for OCLC ``CST``): ``Partner.symbol`` is an OCLC symbol or an ISIL already, and the type goes
into the transaction's staff note. ``agency_for_symbol`` goes back (``TYPE:VALUE`` is taken
as written; a symbol with a hyphen is an ISIL, any other an OCLC symbol).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    Patron,
    ProcessType,
    RequestType,
    SystemId,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Authentication,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    Costs,
    ErrorType,
    Header,
    MessageInfo,
    PatronInfo,
    PreferredEdition,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestingAction,
    RequestingAgencyMessage,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    StatusInfo,
    SupplyingAgencyMessage,
    SupplyStatus,
)
from shelfnet.ill.workflow import Action, Status

# Incoming: what a partner's message does here


@dataclass(frozen=True)
class Effect:
    """What an incoming message does to a transaction: press ``action``, or move it to
    ``to_status``, or neither; ``note`` always goes on the transaction's history."""

    note: str
    action: Action | None = None
    to_status: Status | None = None
    reply: ReasonForMessage | None = None
    """(Lending side) the supplying agency message this asks for in answer."""


ST = SupplyStatus

SUPPLY_STATUS_EFFECTS: Mapping[SupplyStatus, Effect] = {
    ST.REQUEST_RECEIVED: Effect("The lender has received the request."),
    ST.EXPECT_TO_SUPPLY: Effect("The lender expects to supply the item."),
    ST.WILL_SUPPLY: Effect("The lender will supply the item."),
    ST.LOANED: Effect("The lender has sent the item: it is on its way."),
    ST.OVERDUE: Effect("The lender says the item is overdue."),
    ST.RECALLED: Effect("The lender has recalled the item."),
    ST.RETRY_POSSIBLE: Effect(
        "The lender could supply with conditions.", action=Action.CONDITIONALIZE
    ),
    ST.UNFILLED: Effect("The lender cannot fill the request.", action=Action.CANNOT_FILL),
    ST.HOLD_RETURN: Effect("The lender asks us to hold the item, not return it yet."),
    ST.RELEASE_HOLD_RETURN: Effect("The lender releases the hold: the item may be returned."),
    ST.COPY_COMPLETED: Effect("The lender has delivered the copy.", action=Action.MARK_RECEIVED),
    ST.LOAN_COMPLETED: Effect(
        "The lender has checked the returned item in.", to_status=Status.REQUEST_FINISHED
    ),
    ST.COMPLETED_WITHOUT_RETURN: Effect(
        "The lender has closed the loan without the item's return.",
        to_status=Status.REQUEST_FINISHED,
    ),
    ST.CANCELLED: Effect(
        "The lender has cancelled the request.", to_status=Status.CANCELLED_BY_ILL_STAFF
    ),
}
"""A supplier's status -> the effect on our borrowing transaction. Unfilled leaves the
request in "Awaiting Unfilled Processing", where staff (or routing) send it to the next
lender in the lender string; a Loaned item is marked received when it arrives."""

R = ReasonForMessage

REASON_HANDLING: Mapping[ReasonForMessage, str] = {
    R.REQUEST_RESPONSE: "the status's effect",
    R.STATUS_REQUEST_RESPONSE: "the status's effect",
    R.STATUS_CHANGE: "the status's effect",
    R.NOTIFICATION: "a note only (the status is not acted on)",
    R.RENEW_RESPONSE: "answerYesNo Y: Renew with the new due date; N: a note",
    R.CANCEL_RESPONSE: "answerYesNo Y: cancelled; N: a note (the request goes on)",
}
"""Every reasonForMessage is accepted; this is what each does."""


def borrowing_effect(message: SupplyingAgencyMessage) -> Effect:
    """What a supplying agency message does to our borrowing transaction."""
    info = message.message_info
    status = message.status_info.status
    text = _with_note(SUPPLY_STATUS_EFFECTS[status].note, info.note)
    reason = info.reason_for_message
    if reason is R.NOTIFICATION:
        return Effect(_with_note("Message from the lender.", info.note))
    if reason is R.RENEW_RESPONSE:
        if info.answer_yes_no:
            return Effect(_with_note("The lender renewed the loan.", info.note), Action.RENEW)
        return Effect(_with_note("The lender did not renew the loan.", info.note))
    if reason is R.CANCEL_RESPONSE and not info.answer_yes_no:
        return Effect(_with_note("The lender did not cancel the request.", info.note))
    if reason is R.CANCEL_RESPONSE:
        return Effect(text, to_status=Status.CANCELLED_BY_ILL_STAFF)
    effect = SUPPLY_STATUS_EFFECTS[status]
    return Effect(text, effect.action, effect.to_status)


RA = RequestingAction

REQUESTING_ACTION_EFFECTS: Mapping[RequestingAction, Effect] = {
    RA.STATUS_REQUEST: Effect(
        "The borrower asked for the request's status.", reply=R.STATUS_REQUEST_RESPONSE
    ),
    RA.RECEIVED: Effect("The borrower has received the item."),
    RA.CANCEL: Effect(
        "The borrower cancelled the request.", action=Action.CANCEL, reply=R.CANCEL_RESPONSE
    ),
    RA.RENEW: Effect(
        "The borrower asks to renew the loan.",
        action=Action.REQUEST_RENEWAL,
        reply=R.RENEW_RESPONSE,
    ),
    RA.HOLD_RETURN: Effect("The borrower is holding the item for us."),
    RA.SHIPPED_RETURN: Effect("The borrower has sent the item back: check it in on arrival."),
    RA.NOTIFICATION: Effect("Message from the borrower."),
    RA.LOST: Effect("The borrower reports the item lost."),
}
"""A borrower's action -> the effect on our lending transaction. A Cancel answers with a
CancelResponse (Y when the cancel worked, N when the item had gone), a Renew waits for staff
to renew (RenewResponse then)."""

REFUSED_ACTIONS: Mapping[RequestingAction, ErrorType] = {
    RA.SHIPPED_FORWARD: ErrorType.UNSUPPORTED_ACTION_TYPE,
}
"""Actions we answer with an error confirmation: shelfnet does not forward loans."""


def lending_effect(message: RequestingAgencyMessage) -> Effect | ErrorType:
    effect = REQUESTING_ACTION_EFFECTS.get(message.action)
    if effect is None:
        return REFUSED_ACTIONS[message.action]
    return replace(effect, note=_with_note(effect.note, message.note))


def _with_note(text: str, note: str) -> str:
    return f"{text} Note: {note}" if note else text


# Outgoing: what a staff action here sends


@dataclass(frozen=True)
class Outgoing:
    """The supplying agency message a lending action sends."""

    loan: SupplyStatus
    copy: SupplyStatus
    reason: ReasonForMessage
    answer: bool | None = None


LENDING_ACTION_MESSAGES: Mapping[Action, Outgoing] = {
    Action.SEARCH_STACKS: Outgoing(ST.EXPECT_TO_SUPPLY, ST.EXPECT_TO_SUPPLY, R.STATUS_CHANGE),
    Action.PRINT_PULL_SLIP: Outgoing(ST.WILL_SUPPLY, ST.WILL_SUPPLY, R.STATUS_CHANGE),
    Action.FILL: Outgoing(ST.LOANED, ST.COPY_COMPLETED, R.STATUS_CHANGE),
    Action.CANNOT_FILL: Outgoing(ST.UNFILLED, ST.UNFILLED, R.REQUEST_RESPONSE),
    Action.CONDITIONALIZE: Outgoing(ST.RETRY_POSSIBLE, ST.RETRY_POSSIBLE, R.REQUEST_RESPONSE),
    Action.CANCEL: Outgoing(ST.CANCELLED, ST.CANCELLED, R.CANCEL_RESPONSE, True),
    Action.RENEW: Outgoing(ST.LOANED, ST.LOANED, R.RENEW_RESPONSE, True),
    Action.CHECK_IN: Outgoing(ST.LOAN_COMPLETED, ST.COPY_COMPLETED, R.STATUS_CHANGE),
    Action.FINISH: Outgoing(ST.LOAN_COMPLETED, ST.COPY_COMPLETED, R.STATUS_CHANGE),
}
"""A lending action -> the status it reports (for a loan, for a copy). Other lending actions
(conditions accepted, renewal requested) send nothing."""

BORROWING_ACTION_MESSAGES: Mapping[Action, RequestingAction] = {
    Action.MARK_RECEIVED: RA.RECEIVED,
    Action.RETURN_TO_LENDER: RA.SHIPPED_RETURN,
    Action.CANCEL: RA.CANCEL,
    Action.CANCEL_BY_CUSTOMER: RA.CANCEL,
    Action.REQUEST_RENEWAL: RA.RENEW,
}
"""A borrowing action -> the requesting agency message it sends. Send Request sends a
``request`` (``request_from_transaction``)."""


# Agencies


def agency_symbol(agency: AgencyId) -> str:
    """The partner symbol for an agency id: its value."""
    return agency.value


def agency_for_symbol(symbol: str) -> AgencyId:
    if ":" in symbol:
        kind, value = symbol.split(":", 1)
        return AgencyId(kind, value)
    return AgencyId("ISIL" if "-" in symbol else "OCLC", symbol)


# A request -> a lending transaction

_ITEM_CODES = {"ISBN": "isbn", "ISSN": "issn", "DOI": "doi", "PMID": "pmid"}
_RECORD_CODES = {"OCLC": "oclc_number", "LCCN": "lccn"}
_PUBLICATION_TYPES: Mapping[str, DocumentType] = {
    "book": DocumentType.BOOK,
    "article": DocumentType.ARTICLE,
    "journal": DocumentType.ARTICLE,
    "serial": DocumentType.ARTICLE,
    "chapter": DocumentType.BOOK_CHAPTER,
    "conferenceproceeding": DocumentType.CONFERENCE_PAPER,
    "conferencepaper": DocumentType.CONFERENCE_PAPER,
    "thesis": DocumentType.THESIS,
    "report": DocumentType.REPORT,
    "patent": DocumentType.PATENT,
    "standard": DocumentType.STANDARD,
}
_DOCUMENT_PUBLICATION_TYPES: Mapping[DocumentType, str] = {
    DocumentType.BOOK: "Book",
    DocumentType.ARTICLE: "Article",
    DocumentType.BOOK_CHAPTER: "Chapter",
    DocumentType.CONFERENCE_PAPER: "ConferenceProc",
    DocumentType.THESIS: "Thesis",
    DocumentType.REPORT: "Report",
    DocumentType.PATENT: "Patent",
    DocumentType.STANDARD: "Standard",
    DocumentType.OTHER: "Other",
}


def draft_from_request(request: Request) -> TransactionDraft:
    """The lending transaction an incoming request becomes."""
    return TransactionDraft(
        process_type=ProcessType.LENDING,
        request_type=_request_type(request),
        document_type=document_type(request),
        citation=citation_from_request(request),
        partner=agency_symbol(request.header.requesting_agency_id) or None,
        external_id=request.header.requesting_agency_request_id,
        system_id=SystemId.ISO18626,
    )


def _request_type(request: Request) -> RequestType:
    service = request.service_info.service_type if request.service_info else ServiceType.LOAN
    if service is ServiceType.COPY_OR_LOAN:
        # The supplier's choice: a part (article, chapter) is copied, a whole item lent.
        part = bool(request.bibliographic_info.title_of_component)
        return RequestType.COPY if part else RequestType.LOAN
    return RequestType.COPY if service is ServiceType.COPY else RequestType.LOAN


def document_type(request: Request) -> DocumentType:
    bib = request.bibliographic_info
    kind = request.publication_info.publication_type if request.publication_info else None
    if kind is not None:
        found = _PUBLICATION_TYPES.get(kind.value.strip().lower().replace(" ", ""))
        if found is DocumentType.BOOK and bib.title_of_component:
            return DocumentType.BOOK_CHAPTER
        if found is not None:
            return found
    if bib.title_of_component:
        serial = any(item.code.value.upper() == "ISSN" for item in bib.item_ids)
        return DocumentType.ARTICLE if serial or bib.issue else DocumentType.BOOK_CHAPTER
    return DocumentType.BOOK


def citation_from_request(request: Request) -> Citation:
    bib = request.bibliographic_info
    publication = request.publication_info or PublicationInfo()
    service = request.service_info
    title = f"{bib.title}: {bib.subtitle}" if bib.title and bib.subtitle else bib.title
    article = document_type(request) is DocumentType.ARTICLE
    numbers = {
        field: item.identifier
        for item in reversed(bib.item_ids)
        if (field := _ITEM_CODES.get(item.code.value.strip().upper()))
    }
    numbers |= {
        field: record.identifier
        for record in reversed(bib.record_ids)
        if (field := _RECORD_CODES.get(record.code.value.strip().upper()))
    }
    costs = request.billing_info.maximum_costs if request.billing_info else None
    call_numbers = [s.call_number for s in request.supplier_info if s.call_number]
    return Citation(
        title="" if article else title,
        journal_title=title if article else "",
        author=bib.author,
        article_title=bib.title_of_component,
        article_author=bib.author_of_component,
        volume=bib.volume,
        issue=bib.issue,
        year=publication.publication_date,
        pages=bib.pages_requested,
        edition=bib.edition,
        publisher=publication.publisher,
        place=publication.place_of_publication,
        call_number=call_numbers[0] if call_numbers else "",
        cited_in=bib.information_source,
        not_wanted_after=service.need_before_date.date()
        if service and service.need_before_date
        else None,
        max_cost=costs.monetary_value if costs else None,
        accept_alternate_edition=_alternate_edition(service),
        copyright_compliance=_compliance(service),
        **numbers,
    )


def _alternate_edition(service: ServiceInfo | None) -> bool:
    if service is None:
        return True
    if service.preferred_edition is not None:
        return service.preferred_edition is not PreferredEdition.THIS_EDITION
    return service.any_edition is not False


def _compliance(service: ServiceInfo | None) -> CopyrightCompliance:
    code = (
        service.copyright_compliance.value.upper()
        if service and service.copyright_compliance
        else ""
    )
    if "CCG" in code:
        return CopyrightCompliance.CCG
    if "CCL" in code:
        return CopyrightCompliance.CCL
    return CopyrightCompliance.NONE


def request_summary(request: Request) -> list[tuple[str, str]]:
    """What the draft does not hold, as (label, value) rows for a staff note."""
    header = request.header
    service = request.service_info
    patron = request.patron_info
    agency = request.requesting_agency_info
    rows = [
        ("ISO 18626 request", header.requesting_agency_request_id),
        ("Requesting agency", str(header.requesting_agency_id)),
        ("Supplying agency", str(header.supplying_agency_id or "")),
        ("Requesting agency name", agency.name if agency else ""),
        ("Contact", agency.contact_name if agency else ""),
        ("Service type", service.service_type.value if service else ""),
        ("Service level", service.service_level.value if service and service.service_level else ""),
        ("Service note", service.note if service else ""),
        ("Series", request.bibliographic_info.series_title),
        ("Sponsor", request.bibliographic_info.sponsor),
        ("Patron", " ".join(filter(None, (patron.given_name, patron.surname))) if patron else ""),
        ("Patron id", patron.patron_id if patron else ""),
    ]
    return [(label, value) for label, value in rows if value]


# A borrowing transaction -> a request; actions -> messages


def request_from_transaction(
    transaction: Transaction,
    *,
    requesting: AgencyId,
    supplying: AgencyId,
    now: datetime,
    authentication: Authentication | None = None,
    patron: Patron | None = None,
) -> Request:
    """The request our borrowing transaction sends to ``supplying``: its requestingAgency-
    RequestId is our transaction number, which the lender's messages quote back."""
    citation = transaction.citation
    article = transaction.document_type is DocumentType.ARTICLE
    ids = [
        BibliographicItemId(SchemeValue(code), value)
        for code, field in _ITEM_CODES.items()
        if (value := getattr(citation, field))
    ]
    records = [
        BibliographicRecordId(SchemeValue(code), value)
        for code, field in _RECORD_CODES.items()
        if (value := getattr(citation, field))
    ]
    copy = transaction.request_type is RequestType.COPY
    return Request(
        header=Header(
            requesting_agency_id=requesting,
            requesting_agency_request_id=str(transaction.id),
            timestamp=now,
            supplying_agency_id=supplying,
            authentication=authentication,
        ),
        bibliographic_info=BibliographicInfo(
            title=citation.journal_title if article else citation.title,
            author=citation.author,
            edition=citation.edition,
            title_of_component=citation.article_title,
            author_of_component=citation.article_author,
            volume=citation.volume,
            issue=citation.issue,
            pages_requested=citation.pages,
            item_ids=tuple(ids),
            information_source=citation.cited_in,
            record_ids=tuple(records),
        ),
        publication_info=PublicationInfo(
            publisher=citation.publisher,
            publication_type=SchemeValue(_DOCUMENT_PUBLICATION_TYPES[transaction.document_type]),
            publication_date=citation.year,
            place_of_publication=citation.place,
        ),
        service_info=ServiceInfo(
            service_type=ServiceType.COPY if copy else ServiceType.LOAN,
            need_before_date=datetime.combine(citation.not_wanted_after, datetime.min.time())
            if citation.not_wanted_after
            else None,
            copyright_compliance=SchemeValue(citation.copyright_compliance.value.upper())
            if copy and citation.copyright_compliance is not CopyrightCompliance.NONE
            else None,
            any_edition=citation.accept_alternate_edition,
        ),
        patron_info=PatronInfo(patron.username, patron.last_name, patron.first_name)
        if patron
        else None,
        billing_info=BillingInfo(maximum_costs=Costs("USD", citation.max_cost))
        if citation.max_cost is not None
        else None,
    )


def supplying_message_for(
    transaction: Transaction,
    action: Action,
    *,
    supplying: AgencyId,
    requesting: AgencyId,
    now: datetime,
    note: str = "",
    answer: bool | None = None,
) -> SupplyingAgencyMessage | None:
    """The message our lending action sends to the borrower, None when it sends none.
    ``answer``: for a Cancel or Renew that answers the borrower, whether it worked."""
    outgoing = LENDING_ACTION_MESSAGES.get(action)
    if outgoing is None:
        return None
    copy = transaction.request_type is RequestType.COPY
    return SupplyingAgencyMessage(
        header=Header(
            requesting_agency_id=requesting,
            requesting_agency_request_id=transaction.external_id,
            timestamp=now,
            supplying_agency_id=supplying,
            supplying_agency_request_id=str(transaction.id),
        ),
        message_info=MessageInfo(
            outgoing.reason,
            answer_yes_no=outgoing.answer if answer is None else answer,
            note=note,
        ),
        status_info=StatusInfo(
            outgoing.copy if copy else outgoing.loan,
            last_change=now,
            due_date=datetime.combine(transaction.due_date, datetime.min.time())
            if transaction.due_date and not copy
            else None,
        ),
    )


def requesting_message_for(
    transaction: Transaction,
    action: Action,
    *,
    requesting: AgencyId,
    supplying: AgencyId,
    now: datetime,
    note: str = "",
) -> RequestingAgencyMessage | None:
    """The message our borrowing action sends to the lender, None when it sends none."""
    code = BORROWING_ACTION_MESSAGES.get(action)
    if code is None:
        return None
    header = Header(
        requesting_agency_id=requesting,
        requesting_agency_request_id=str(transaction.id),
        timestamp=now,
        supplying_agency_id=supplying,
        supplying_agency_request_id=transaction.external_id,
    )
    return RequestingAgencyMessage(header, code, note)
