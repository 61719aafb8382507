"""What the ILL REST API reads and writes: pydantic models, one per body shape.

Enumerations travel as their stored values (``borrowing``, ``awaiting_request_processing``),
times and dates as ISO 8601 (times in UTC), money as decimal strings (``"12.50"``). Input
models limit every string's length and every number's range; output models are built from
the store's frozen values by the ``from_*`` functions at the end, so the routes stay short.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
)
from shelfnet.ill.routing import Condition, Operator, RoutingRule
from shelfnet.ill.routing import Field as RuleField
from shelfnet.ill.store import FillRate, PartnerLending, PatronList, StatusCount, Turnaround
from shelfnet.ill.workflow import Action, Status, available_actions

MAX_TEXT = 1000
"""Longest citation value accepted (as for OpenURL links)."""
MAX_NOTE = 4000
MAX_LIMIT = 200
"""Most queue items one page may ask for."""

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Short = Annotated[str, Field(max_length=255)]
Symbol = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.:/-]*$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Version = Annotated[
    int, Field(ge=1, description="The version the change was prepared against (as read).")
]
NoteText = Annotated[str, Field(max_length=MAX_NOTE)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Errors


class FieldError(BaseModel):
    """One problem with one value of a request."""

    location: str = Field(description="Where the value is: body.citation.title, query.limit...")
    message: str
    type: str = Field(description="pydantic's error type, e.g. string_too_long.")


class ErrorOut(BaseModel):
    """Every error answer: a code for programs, a sentence for people."""

    error: str = Field(
        description="sign_in_required, forbidden, not_found, invalid_request, "
        "transition_refused, version_conflict, locked, duplicate, server_error...",
        examples=["transition_refused"],
    )
    detail: str = Field(examples=['A borrowing request in "Request Finished" cannot go to ...'])
    fields: list[FieldError] = Field(default=[], description="For invalid_request only.")


# Citations


class CitationIn(_Input):
    """A citation as sent. Every field may be left out (empty); a PATCH changes only the
    fields it sends."""

    title: Text = ""
    author: Text = ""
    journal_title: Text = ""
    article_title: Text = ""
    article_author: Text = ""
    volume: Short = ""
    issue: Short = ""
    month: Short = ""
    year: Short = ""
    pages: Short = ""
    edition: Short = ""
    publisher: Text = ""
    place: Text = ""
    isbn: Short = ""
    issn: Short = ""
    oclc_number: Short = ""
    lccn: Short = ""
    doi: Short = ""
    pmid: Short = ""
    call_number: Short = ""
    cited_in: Text = ""
    not_wanted_after: date | None = None
    max_cost: Money | None = None
    accept_alternate_edition: bool = True
    copyright_compliance: CopyrightCompliance = CopyrightCompliance.NONE

    def to_citation(self) -> Citation:
        return Citation(**self.model_dump())

    def changed(self, citation: Citation) -> Citation:
        """``citation`` with the fields this model was sent with."""
        return replace(citation, **{name: getattr(self, name) for name in self.model_fields_set})


class CitationOut(BaseModel):
    """What is wanted, as the requester described it (free text)."""

    title: str
    author: str
    journal_title: str
    article_title: str
    article_author: str
    volume: str
    issue: str
    month: str
    year: str
    pages: str
    edition: str
    publisher: str
    place: str
    isbn: str
    issn: str
    oclc_number: str
    lccn: str
    doi: str
    pmid: str
    call_number: str
    cited_in: str
    not_wanted_after: date | None
    max_cost: Decimal | None
    accept_alternate_edition: bool
    copyright_compliance: CopyrightCompliance


# People


class PatronOut(BaseModel):
    """The signed-in patron."""

    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    status: PatronStatus
    department: str
    address: list[str]
    delivery: DeliveryPreference
    cleared: ClearedState


class StaffOut(BaseModel):
    username: str
    name: str
    email: str
    role: StaffRole


# Transactions


class LockOut(BaseModel):
    """A soft lock: who opened the transaction from a queue, and when."""

    holder: str
    taken: datetime


class HistoryOut(BaseModel):
    """One status change; the first (no from_status) is the creation."""

    at: datetime
    by: str
    from_process: ProcessType | None
    from_status: Status | None
    to_process: ProcessType
    to_status: Status
    note: str


class NoteOut(BaseModel):
    id: int
    at: datetime
    by: str
    text: str
    patron_visible: bool


class TransactionOut(BaseModel):
    """A transaction as staff see it: everything, with its history and notes."""

    id: int = Field(description="The transaction (ILL) number.")
    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    status: Status
    status_display: str = Field(description="The status as staff know it.")
    citation: CitationOut
    patron: str | None = Field(description="The requesting patron's username.")
    lender_string: list[str]
    partner: str | None
    external_id: str
    due_date: date | None
    cost: Decimal | None
    fee: Decimal | None
    system_id: SystemId
    copyright_cleared: bool
    created: datetime
    updated: datetime
    version: int = Field(description="Send it back as expected_version with a change.")
    lock: LockOut | None
    actions: list[Action] = Field(description="The actions possible in this status.")
    history: list[HistoryOut]
    notes: list[NoteOut]


class PatronHistoryOut(BaseModel):
    at: datetime
    status: Status
    status_display: str


class PatronRequestOut(BaseModel):
    """One of the patron's own requests."""

    id: int
    request_type: RequestType
    document_type: DocumentType
    status: Status
    status_display: str
    citation: CitationOut
    due_date: date | None
    fee: Decimal | None
    created: datetime
    updated: datetime
    can_cancel: bool
    can_renew: bool
    history: list[PatronHistoryOut]
    notes: list[NoteOut] = Field(description="Only the notes staff made visible to the patron.")


class PatronRequestList(BaseModel):
    kind: PatronList = Field(description="Which list: outstanding, history or cancelled.")
    requests: list[PatronRequestOut]


class QueueItemOut(BaseModel):
    """A transaction as a queue or a search lists it."""

    id: int
    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    status: Status
    title: str = Field(description="The article's title for copies, else the title.")
    source: str = Field(description="The journal for articles, else the author.")
    patron: str | None
    partner: str | None
    created: datetime
    updated: datetime
    lock: LockOut | None


class QueueCountOut(BaseModel):
    process_type: ProcessType
    status: Status
    status_display: str
    count: int


class QueueCounts(BaseModel):
    """Every queue that is not empty."""

    queues: list[QueueCountOut]


class QueuePage(BaseModel):
    process_type: ProcessType
    status: Status
    total: int = Field(description="How many wait in the queue altogether.")
    offset: int
    limit: int
    items: list[QueueItemOut]


class SearchResult(BaseModel):
    items: list[QueueItemOut]


# Changing transactions


class PatronRequestIn(_Input):
    """A patron's new request: a citation, an OpenURL query string that fills it in, or both
    (the citation's non-empty fields win)."""

    request_type: RequestType | None = Field(
        default=None, description="Default: from the OpenURL, else loan."
    )
    document_type: DocumentType | None = Field(
        default=None, description="Default: from the OpenURL, else book."
    )
    citation: CitationIn = Field(default_factory=CitationIn)
    openurl: str | None = Field(
        default=None,
        max_length=8000,
        description="An OpenURL 0.1 or 1.0 (KEV) query string, e.g. genre=article&atitle=...",
    )


class TransactionIn(_Input):
    """A new transaction of any process, e.g. a lending request from a discovery layer."""

    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    citation: CitationIn
    patron: Short | None = Field(default=None, description="The requesting patron's username.")
    lender_string: list[Symbol] = Field(default=[], max_length=50)
    partner: Symbol | None = None
    external_id: Short = ""
    due_date: date | None = None
    cost: Money | None = None
    fee: Money | None = None
    system_id: SystemId = SystemId.API
    note: NoteText = Field(default="", description="A staff note to add at once.")


class TransactionPatch(_Input):
    """Changes to a transaction's citation and details; only the fields sent change. The
    status changes through actions (or, for administrators, /status)."""

    expected_version: Version
    citation: CitationIn | None = None
    request_type: RequestType | None = None
    document_type: DocumentType | None = None
    lender_string: list[Symbol] | None = Field(default=None, max_length=50)
    partner: Symbol | None = None
    external_id: Short | None = None
    due_date: date | None = None
    cost: Money | None = None
    fee: Money | None = None
    force: bool = Field(default=False, description="Change it even if another user holds it.")


class ActionIn(_Input):
    action: Action
    note: NoteText = ""
    expected_version: Version
    force: bool = Field(default=False, description="Override another user's soft lock.")


class StatusIn(_Input):
    """A direct move (administrators): still only where the workflow allows."""

    status: Status
    process_type: ProcessType | None = Field(
        default=None, description="The process to move to, when not the transaction's own."
    )
    note: NoteText = ""
    expected_version: Version
    force: bool = False


class NoteIn(_Input):
    text: Annotated[str, Field(min_length=1, max_length=MAX_NOTE)]
    patron_visible: bool = False


# Partners and routing rules


class PartnerIn(_Input):
    name: Text = ""
    address: list[Text] = Field(default=[], max_length=10)
    email: Short = ""
    protocol: PartnerProtocol = PartnerProtocol.MANUAL
    endpoint: Text = ""
    delivery_address: Text = ""
    trusted: bool = False
    shared_secret: Short | None = Field(
        default=None, description="Left out: the stored one is kept. Never sent back."
    )
    active: bool = True


class NewPartnerIn(PartnerIn):
    symbol: Symbol


class PartnerOut(BaseModel):
    """A partner library (its shared secret is never shown)."""

    symbol: str
    name: str
    address: list[str]
    email: str
    protocol: PartnerProtocol
    endpoint: str
    delivery_address: str
    trusted: bool
    active: bool


class PartnerList(BaseModel):
    partners: list[PartnerOut]


class ConditionModel(_Input):
    field: RuleField
    operator: Operator
    value: Short = ""


class RoutingRuleModel(_Input):
    """A routing rule: when a transaction enters ``status`` and every condition holds, it
    moves to ``new_status`` and/or ``new_process_type``."""

    number: Annotated[int, Field(ge=0, le=1_000_000)]
    status: Status
    conditions: list[ConditionModel] = Field(default=[], max_length=20)
    new_status: Status | None = None
    new_process_type: ProcessType | None = None
    description: Text = ""
    active: bool = True

    @model_validator(mode="after")
    def _sets_something(self) -> Self:
        if self.new_status is None and self.new_process_type is None:
            raise ValueError("a rule must set new_status, new_process_type or both")
        return self

    def to_rule(self) -> RoutingRule:
        return RoutingRule(
            self.number,
            self.status,
            tuple(Condition(c.field, c.operator, c.value) for c in self.conditions),
            new_status=self.new_status,
            new_process_type=self.new_process_type,
            description=self.description,
            active=self.active,
        )


class RoutingRules(_Input):
    rules: list[RoutingRuleModel] = Field(max_length=500)


# Reports


class StatusCountOut(BaseModel):
    process_type: ProcessType
    status: Status
    count: int


class TurnaroundOut(BaseModel):
    process_type: ProcessType
    request_type: RequestType
    filled: int
    mean_days: float
    median_days: float


class FillRateOut(BaseModel):
    process_type: ProcessType
    closed: int
    filled: int
    rate: float


class PartnerLendingOut(BaseModel):
    partner: str
    requests: int
    filled: int
    unfilled: int
    open: int


class CopyrightRowOut(BaseModel):
    journal_title: str
    journal_key: str
    year: int
    within_guidelines: int
    older: int
    exceeds: bool = Field(description="More than five recent articles: the rule of five.")


class RequestsByStatusReport(BaseModel):
    rows: list[StatusCountOut]


class TurnaroundReport(BaseModel):
    rows: list[TurnaroundOut]


class FillRateReport(BaseModel):
    rows: list[FillRateOut]


class LendingByPartnerReport(BaseModel):
    rows: list[PartnerLendingOut]


class CopyrightReport(BaseModel):
    rows: list[CopyrightRowOut]


# From the store's values


def _fields(value: Any, names: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in names}


def citation_out(citation: Citation) -> CitationOut:
    return CitationOut(**_fields(citation, CitationOut.model_fields))


def patron_out(patron: Patron) -> PatronOut:
    values = _fields(patron, PatronOut.model_fields)
    return PatronOut(**{**values, "address": list(patron.address)})


def staff_out(user: StaffUser) -> StaffOut:
    return StaffOut(**_fields(user, StaffOut.model_fields))


def lock_out(lock: SoftLock | None) -> LockOut | None:
    return None if lock is None else LockOut(holder=lock.holder, taken=lock.taken)


def history_out(change: StatusChange) -> HistoryOut:
    return HistoryOut(**_fields(change, HistoryOut.model_fields))


def note_out(note: Note) -> NoteOut:
    return NoteOut(**_fields(note, NoteOut.model_fields))


def transaction_out(transaction: Transaction, patron: str | None) -> TransactionOut:
    t = transaction
    return TransactionOut(
        id=t.id,
        process_type=t.process_type,
        request_type=t.request_type,
        document_type=t.document_type,
        status=t.status,
        status_display=t.status.display,
        citation=citation_out(t.citation),
        patron=patron,
        lender_string=list(t.lender_string),
        partner=t.partner,
        external_id=t.external_id,
        due_date=t.due_date,
        cost=t.cost,
        fee=t.fee,
        system_id=t.system_id,
        copyright_cleared=t.copyright_cleared,
        created=t.created,
        updated=t.updated,
        version=t.version,
        lock=lock_out(t.lock),
        actions=available_actions(t.process_type, t.status),
        history=[history_out(change) for change in t.history],
        notes=[note_out(note) for note in t.notes],
    )


def patron_request_out(transaction: Transaction) -> PatronRequestOut:
    t = transaction
    offered = available_actions(t.process_type, t.status)
    return PatronRequestOut(
        id=t.id,
        request_type=t.request_type,
        document_type=t.document_type,
        status=t.status,
        status_display=t.status.display,
        citation=citation_out(t.citation),
        due_date=t.due_date,
        fee=t.fee,
        created=t.created,
        updated=t.updated,
        can_cancel=Action.CANCEL_BY_CUSTOMER in offered,
        can_renew=Action.REQUEST_RENEWAL in offered and t.process_type is ProcessType.BORROWING,
        history=[
            PatronHistoryOut(at=c.at, status=c.to_status, status_display=c.to_status.display)
            for c in t.history
        ],
        notes=[note_out(note) for note in t.notes if note.patron_visible],
    )


def queue_item_out(item: QueueItem) -> QueueItemOut:
    values = _fields(item, QueueItemOut.model_fields)
    return QueueItemOut(**{**values, "lock": lock_out(item.lock)})


def partner_out(partner: Partner) -> PartnerOut:
    values = _fields(partner, PartnerOut.model_fields)
    return PartnerOut(**{**values, "address": list(partner.address)})


def rule_model(rule: RoutingRule) -> RoutingRuleModel:
    return RoutingRuleModel(
        number=rule.number,
        status=rule.status,
        conditions=[
            ConditionModel(field=c.field, operator=c.operator, value=c.value)
            for c in rule.conditions
        ],
        new_status=rule.new_status,
        new_process_type=rule.new_process_type,
        description=rule.description,
        active=rule.active,
    )


def status_count_out(row: StatusCount) -> StatusCountOut:
    return StatusCountOut(**_fields(row, StatusCountOut.model_fields))


def turnaround_out(row: Turnaround) -> TurnaroundOut:
    return TurnaroundOut(**_fields(row, TurnaroundOut.model_fields))


def fill_rate_out(row: FillRate) -> FillRateOut:
    return FillRateOut(**_fields(row, FillRateOut.model_fields))


def partner_lending_out(row: PartnerLending) -> PartnerLendingOut:
    return PartnerLendingOut(**_fields(row, PartnerLendingOut.model_fields))


def copyright_row_out(row: copyright.ReportRow) -> CopyrightRowOut:
    return CopyrightRowOut(**_fields(row, CopyrightRowOut.model_fields))
