"""What interlibrary loan is about: transactions, their citations, patrons, staff users and
partner libraries. Plain frozen values; no I/O.

The names are the field's (ILLiad's and ISO 10161's): a *transaction* is one request with its
*transaction number*; *borrowing* asks partners for items our patrons want, *lending* answers
partners' requests, *document delivery* serves our patrons from our own collection. The
*lender string* is the ordered list of partners a borrowing request goes to, one after the
other, until one fills it.

Statuses and the rules for moving between them are in ``workflow.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shelfnet.ill.workflow import Status


class ProcessType(enum.Enum):
    BORROWING = "borrowing"
    LENDING = "lending"
    DOCUMENT_DELIVERY = "document_delivery"


class RequestType(enum.Enum):
    LOAN = "loan"
    COPY = "copy"
    """A copy (article, chapter) the requester keeps."""


class DocumentType(enum.Enum):
    BOOK = "book"
    ARTICLE = "article"
    BOOK_CHAPTER = "book_chapter"
    CONFERENCE_PAPER = "conference_paper"
    THESIS = "thesis"
    REPORT = "report"
    PATENT = "patent"
    STANDARD = "standard"
    OTHER = "other"


class CopyrightCompliance(enum.Enum):
    """The borrowing library's copyright statement on a copy request."""

    CCG = "ccg"
    """Complies with the CONTU guidelines (within the rule of five)."""
    CCL = "ccl"
    """Complies with copyright law beyond the guidelines (fair use, older articles,
    permission or payment recorded)."""
    NONE = "none"
    """Not determined, or not a copy."""


class SystemId(enum.Enum):
    """Where a transaction came from."""

    WEB = "web"
    API = "api"
    ISOILL = "isoill"
    ISO18626 = "iso18626"
    OPENURL = "openurl"


class PatronStatus(enum.Enum):
    FACULTY = "faculty"
    GRADUATE = "graduate"
    UNDERGRADUATE = "undergraduate"
    STAFF = "staff"
    DISTANCE = "distance"
    EXTERNAL = "external"


class DeliveryPreference(enum.Enum):
    HOLD_FOR_PICKUP = "hold_for_pickup"
    MAIL = "mail"
    ELECTRONIC = "electronic"


class ClearedState(enum.Enum):
    """Whether staff have checked a patron's registration: ``new`` until they have;
    ``blocked`` may not request; ``disavowed`` is not ours (e.g. left the university)."""

    NEW = "new"
    CLEARED = "cleared"
    BLOCKED = "blocked"
    DISAVOWED = "disavowed"


class StaffRole(enum.Enum):
    ADMIN = "admin"
    STAFF = "staff"
    READ_ONLY = "read_only"


class PartnerProtocol(enum.Enum):
    """How requests reach a partner."""

    MANUAL = "manual"
    EMAIL = "email"
    ISOILL = "isoill"
    ISO18626 = "iso18626"


@dataclass(frozen=True)
class Citation:
    """What is wanted, as the requester described it. Text fields are free text: citations
    arrive from forms, OpenURLs and partners' messages as people typed them."""

    title: str = ""
    """The book's or journal's title as cited (for articles, see ``journal_title``)."""
    author: str = ""
    journal_title: str = ""
    article_title: str = ""
    """The article's or chapter's title."""
    article_author: str = ""
    volume: str = ""
    issue: str = ""
    month: str = ""
    year: str = ""
    pages: str = ""
    edition: str = ""
    publisher: str = ""
    place: str = ""
    isbn: str = ""
    issn: str = ""
    oclc_number: str = ""
    lccn: str = ""
    doi: str = ""
    pmid: str = ""
    call_number: str = ""
    cited_in: str = ""
    """Where the requester found the reference."""
    not_wanted_after: date | None = None
    max_cost: Decimal | None = None
    accept_alternate_edition: bool = True
    copyright_compliance: CopyrightCompliance = CopyrightCompliance.NONE


@dataclass(frozen=True)
class StatusChange:
    """One line of a transaction's history: who moved it, when, from where to where.
    The first line of every history has no ``from_status``: the transaction's creation."""

    at: datetime
    by: str
    from_process: ProcessType | None
    from_status: Status | None
    to_process: ProcessType
    to_status: Status
    note: str = ""


@dataclass(frozen=True)
class Note:
    at: datetime
    by: str
    text: str
    patron_visible: bool = False
    id: int = 0


@dataclass(frozen=True)
class SoftLock:
    """Who opened the transaction from a queue, and when (see ``workflow.check_lock``)."""

    holder: str
    taken: datetime


@dataclass(frozen=True)
class TransactionDraft:
    """A new request, before it has a transaction number and a status."""

    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    citation: Citation = field(default_factory=Citation)
    patron_id: int | None = None
    """The requesting patron (borrowing and document delivery)."""
    lender_string: tuple[str, ...] = ()
    partner: str | None = None
    """The lender (borrowing) or the requesting library (lending), by symbol."""
    external_id: str = ""
    """The partner's number for this request."""
    due_date: date | None = None
    cost: Decimal | None = None
    """What the lender charges (borrowing) or what we charge (lending)."""
    fee: Decimal | None = None
    """What the patron pays."""
    system_id: SystemId = SystemId.WEB


@dataclass(frozen=True)
class Transaction:
    """One request, as stored: a draft with its number, status and history."""

    id: int
    """The transaction number (ILL number)."""
    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    status: Status
    citation: Citation
    patron_id: int | None
    lender_string: tuple[str, ...]
    partner: str | None
    external_id: str
    due_date: date | None
    cost: Decimal | None
    fee: Decimal | None
    system_id: SystemId
    copyright_cleared: bool
    """Permission or payment recorded: the rule of five no longer holds it back."""
    created: datetime
    updated: datetime
    version: int
    """Bumped by every change; a change made against an older version is refused."""
    lock: SoftLock | None = None
    history: tuple[StatusChange, ...] = ()
    """Oldest first, from creation on."""
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class QueueItem:
    """A transaction as a queue or search result lists it."""

    id: int
    process_type: ProcessType
    request_type: RequestType
    document_type: DocumentType
    status: Status
    title: str
    """The article's title for copies, else the title."""
    source: str
    """The journal for articles, else the author."""
    patron: str | None
    """The patron's username."""
    partner: str | None
    created: datetime
    updated: datetime
    lock: SoftLock | None


@dataclass(frozen=True)
class Patron:
    username: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    status: PatronStatus = PatronStatus.UNDERGRADUATE
    department: str = ""
    address: tuple[str, ...] = ()
    """Postal address, one line each."""
    delivery: DeliveryPreference = DeliveryPreference.HOLD_FOR_PICKUP
    cleared: ClearedState = ClearedState.NEW
    feed_token: str = ""
    """The unguessable key of the patron's personal feed; the store makes one."""
    password_hash: str | None = None
    """An argon2 hash (``hash_password``) for a local account; None when another system
    authenticates the patron."""
    id: int = 0
    """Given by the store."""


@dataclass(frozen=True)
class StaffUser:
    username: str
    name: str = ""
    email: str = ""
    role: StaffRole = StaffRole.STAFF
    password_hash: str | None = None
    id: int = 0


@dataclass(frozen=True)
class Partner:
    """A partner library, known by its symbol (an OCLC symbol or an ISIL such as US-CST)."""

    symbol: str
    name: str = ""
    address: tuple[str, ...] = ()
    email: str = ""
    protocol: PartnerProtocol = PartnerProtocol.MANUAL
    endpoint: str = ""
    """Where its protocol listener answers (host:port for ISO ILL, a URL for ISO 18626)."""
    delivery_address: str = ""
    """Where documents for it go (an email address or URL)."""
    trusted: bool = False
    """Documents it delivers may go straight to patrons."""
    shared_secret: str = ""
    """Placeholder for the protocol's credentials."""
    active: bool = True
    id: int = 0


def hash_password(password: str) -> str:
    """An argon2 hash of a password, for ``Patron.password_hash`` and
    ``StaffUser.password_hash``."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password is the one hashed; never for accounts without a hash."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    if not password_hash:
        return False
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
