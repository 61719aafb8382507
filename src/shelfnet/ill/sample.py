"""A small, believable ILL service for trying shelfnet out: a few patrons, an administrator,
partner libraries, two routing rules and about twenty transactions spread over the queues.
``shelfnet serve`` puts it in an empty embedded store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shelfnet.ill.model import (
    Citation,
    ClearedState,
    DeliveryPreference,
    DocumentType,
    Partner,
    PartnerProtocol,
    Patron,
    PatronStatus,
    ProcessType,
    RequestType,
    StaffRole,
    StaffUser,
    SystemId,
    TransactionDraft,
    hash_password,
)
from shelfnet.ill.routing import Condition, Field, Operator, RoutingRule
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Action, Status

B, L, D = ProcessType.BORROWING, ProcessType.LENDING, ProcessType.DOCUMENT_DELIVERY
LOAN, COPY = RequestType.LOAN, RequestType.COPY

PATRONS = (
    Patron("mjones", "Maria", "Jones", "mjones@example.edu", status=PatronStatus.FACULTY,
           department="History", cleared=ClearedState.CLEARED),
    Patron("tnguyen", "Thanh", "Nguyen", "tnguyen@example.edu", status=PatronStatus.GRADUATE,
           department="Chemistry", delivery=DeliveryPreference.ELECTRONIC,
           cleared=ClearedState.CLEARED),
    Patron("asmith", "Alex", "Smith", "asmith@example.edu", status=PatronStatus.UNDERGRADUATE,
           department="English"),
    Patron("rokafor", "Ruth", "Okafor", "rokafor@example.net", status=PatronStatus.DISTANCE,
           department="Nursing", address=("12 Elm Street", "Springfield"),
           delivery=DeliveryPreference.MAIL, cleared=ClearedState.CLEARED),
)  # fmt: skip

PARTNERS = (
    Partner("US-CST", "Stanford University Libraries", protocol=PartnerProtocol.ISO18626,
            endpoint="https://ill.stanford.example/iso18626", trusted=True),
    Partner("US-MH", "Harvard Library", protocol=PartnerProtocol.ISOILL,
            endpoint="ill.harvard.example:1611"),
    Partner("US-NIC", "Cornell University Library", protocol=PartnerProtocol.EMAIL,
            email="ill@cornell.example"),
    Partner("GB-UkOxU", "Bodleian Libraries", protocol=PartnerProtocol.MANUAL),
)  # fmt: skip

RULES = (
    RoutingRule(
        10,
        Status.AWAITING_REQUEST_PROCESSING,
        (Condition(Field.CLEARED, Operator.EQUALS, ClearedState.NEW.value),),
        new_status=Status.REQUEST_IN_PROCESSING,
        description="Requests from patrons not yet cleared wait for a check",
    ),
    RoutingRule(
        20,
        Status.AWAITING_REQUEST_PROCESSING,
        (Condition(Field.JOURNAL_TITLE, Operator.CONTAINS, "shelfnet quarterly"),),
        new_process_type=D,
        new_status=Status.AWAITING_DOCUMENT_DELIVERY_PROCESSING,
        description="We hold Shelfnet Quarterly: serve it from our own shelves",
    ),
)


def _book(title: str, author: str, year: str, isbn: str = "") -> Citation:
    return Citation(title=title, author=author, year=year, isbn=isbn)


def _article(journal: str, issn: str, title: str, author: str, year: str) -> Citation:
    return Citation(
        journal_title=journal, issn=issn, article_title=title, article_author=author,
        year=year, volume="12", issue="3", pages="101-120",
    )  # fmt: skip


@dataclass(frozen=True)
class _Sample:
    process: ProcessType
    request: RequestType
    document: DocumentType
    citation: Citation
    patron: int | None
    """Index into PATRONS."""
    actions: Sequence[Action] = ()
    partner: str | None = None


_ITEMS = (
    _Sample(B, LOAN, DocumentType.BOOK, _book("The Mediterranean", "Braudel, Fernand", "1972"), 0),
    _Sample(B, LOAN, DocumentType.BOOK, _book("Middlemarch", "Eliot, George", "1994"), 2),
    _Sample(B, COPY, DocumentType.ARTICLE,
            _article("Journal of Organic Chemistry", "0022-3263", "Flow synthesis", "Ito, K.",
                     "2023"), 1, (Action.SEND_REQUEST,)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("The Making of the English Working Class",
            "Thompson, E. P.", "1963"), 0, (Action.SEND_REQUEST,)),
    _Sample(B, LOAN, DocumentType.THESIS, _book("Nursing in rural Ohio", "Park, J.", "2015"), 3,
            (Action.SEND_REQUEST, Action.CANNOT_FILL)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("Capital in the Twenty-First Century",
            "Piketty, Thomas", "2014"), 0, (Action.SEND_REQUEST, Action.MARK_RECEIVED)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("Bleak House", "Dickens, Charles", "2003"), 2,
            (Action.SEND_REQUEST, Action.MARK_RECEIVED, Action.NOTIFY_CUSTOMER)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("Silent Spring", "Carson, Rachel", "2002"), 3,
            (Action.SEND_REQUEST, Action.MARK_RECEIVED, Action.NOTIFY_CUSTOMER,
             Action.CHECK_OUT)),
    _Sample(B, COPY, DocumentType.ARTICLE,
            _article("Nature", "0028-0836", "A new catalyst", "Chen, L.", "2021"), 1,
            (Action.SEND_REQUEST, Action.MARK_RECEIVED, Action.DELIVER_TO_WEB)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("The Guns of August", "Tuchman, B.", "1962"), 0,
            (Action.SEND_REQUEST, Action.MARK_RECEIVED, Action.NOTIFY_CUSTOMER,
             Action.CHECK_OUT, Action.CHECK_IN, Action.RETURN_TO_LENDER,
             Action.PRINT_RETURN_LABEL)),
    _Sample(B, LOAN, DocumentType.BOOK, _book("Beloved", "Morrison, Toni", "1987"), 2,
            (Action.CANCEL_BY_CUSTOMER,)),
    _Sample(B, COPY, DocumentType.ARTICLE,
            _article("Shelfnet Quarterly", "", "Queues we know", "Doe, J.", "2022"), 0),
    _Sample(L, LOAN, DocumentType.BOOK, _book("Walden", "Thoreau, Henry David", "1854"), None,
            partner="US-MH"),
    _Sample(L, COPY, DocumentType.ARTICLE,
            _article("Library Trends", "0024-2594", "Resource sharing", "Ray, P.", "2019"),
            None, (Action.SEARCH_STACKS,), partner="US-CST"),
    _Sample(L, LOAN, DocumentType.BOOK, _book("Ulysses", "Joyce, James", "1922"), None,
            (Action.SEARCH_STACKS, Action.PRINT_PULL_SLIP), partner="US-NIC"),
    _Sample(L, LOAN, DocumentType.BOOK, _book("Dubliners", "Joyce, James", "1914"), None,
            (Action.SEARCH_STACKS, Action.PRINT_PULL_SLIP, Action.FILL), partner="GB-UkOxU"),
    _Sample(L, LOAN, DocumentType.BOOK, _book("Emma", "Austen, Jane", "1815"), None,
            (Action.CONDITIONALIZE,), partner="US-MH"),
    _Sample(L, LOAN, DocumentType.BOOK, _book("Persuasion", "Austen, Jane", "1817"), None,
            (Action.CANNOT_FILL,), partner="US-CST"),
    _Sample(D, COPY, DocumentType.BOOK_CHAPTER,
            Citation(title="Handbook of Nursing", article_title="Wound care", pages="33-51",
                     year="2020"), 3),
    _Sample(D, COPY, DocumentType.ARTICLE,
            _article("Library Trends", "0024-2594", "Open stacks", "Lim, S.", "2018"), 1,
            (Action.START_PROCESSING, Action.FILL)),
)  # fmt: skip

STAFF = "admin"


def fill_sample(store: IllStore, *, admin_password: str | None = None) -> int:
    """Put the sample in an empty store; returns how many transactions it made. A store that
    already has staff users is left alone (returns 0)."""
    if store.list_staff():
        return 0
    password_hash = hash_password(admin_password) if admin_password else None
    store.create_staff(
        StaffUser(STAFF, "ILL Administrator", "ill@example.edu", StaffRole.ADMIN, password_hash)
    )
    patrons = [store.create_patron(patron) for patron in PATRONS]
    for partner in PARTNERS:
        store.create_partner(partner)
    store.replace_routing_rules(RULES)
    lenders = tuple(partner.symbol for partner in PARTNERS[:3])
    for item in _ITEMS:
        draft = TransactionDraft(
            item.process,
            item.request,
            item.document,
            item.citation,
            patron_id=None if item.patron is None else patrons[item.patron].id,
            lender_string=lenders if item.process is B else (),
            partner=item.partner,
            system_id=SystemId.ISO18626 if item.process is L else SystemId.WEB,
        )
        transaction = store.create_transaction(draft, by=STAFF)
        for action in item.actions:
            store.apply_action(transaction.id, action, STAFF)
    return len(_ITEMS)
