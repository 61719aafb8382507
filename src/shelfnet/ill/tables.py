"""The ILL tables, mapped with SQLAlchemy's typed ORM.

The migrations (``migrations/versions``) create these tables; a test checks that the two
agree. Every name starts with ``ill_`` so that the ILL store can share a database with the
directory. Enumerations are stored as their string values, times as UTC, money as numeric.

    ill_patrons         our patrons: names, contact, status, delivery, cleared state, feed token
    ill_staff           staff users and their roles
    ill_partners        partner libraries by symbol: protocol, endpoint, delivery address
    ill_transactions    one row per request: process, status, citation, lender string,
                        partner, money, version (optimistic locking) and soft lock
    ill_history         every status change, creation included
    ill_notes           staff notes, some visible to the patron
    ill_routing_rules   routing rules by number, their conditions as JSON
    ill_signons         who is signed in to the web pages (hashed tokens; ``signon.py``)
    ill_api_keys        staff API keys for scripts (hashed; ``apikeys.py``)
    ill_notice_templates  e-mail notice templates per (status or "overdue", request type)
    ill_notices         the notice outbox: one row per notice, queued, sent, failed or skipped
    ill_notice_cursors  how far the notice scanner has read ``ill_history``
    ill_documents       delivered documents, received or sent (``delivery/documents.py``)
    ill_document_links  their expiring download links (hashed tokens, optional password)
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shelfnet.directory.tables import UTCDateTime

MONEY = Numeric(10, 2)


class Base(DeclarativeBase):
    pass


class PatronRow(Base):
    __tablename__ = "ill_patrons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    """Lines separated by newlines."""
    delivery: Mapped[str] = mapped_column(String(32))
    cleared: Mapped[str] = mapped_column(String(16))
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffRow(Base):
    __tablename__ = "ill_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)


class PartnerRow(Base):
    __tablename__ = "ill_partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    protocol: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(Text)
    delivery_address: Mapped[str] = mapped_column(Text)
    trusted: Mapped[bool] = mapped_column(Boolean)
    shared_secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)


CITATION_COLUMNS = (
    "title", "author", "journal_title", "article_title", "article_author", "volume", "issue",
    "month", "year", "pages", "edition", "publisher", "place", "isbn", "issn", "oclc_number",
    "lccn", "doi", "pmid", "call_number", "cited_in",
)  # fmt: skip
"""The citation's text columns, named as in ``model.Citation``."""


class TransactionRow(Base):
    __tablename__ = "ill_transactions"
    __table_args__ = (
        # The queues: one status of one process, oldest first.
        Index("ill_transactions_queue", "status", "process_type", "created", "id"),
        Index("ill_transactions_by_patron", "patron_id", "created"),
        Index("ill_transactions_by_journal", "journal_key", "created"),
        Index("ill_transactions_by_partner", "partner", "process_type"),
        {"sqlite_autoincrement": True},  # transaction numbers are never reused
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_type: Mapped[str] = mapped_column(String(32))
    request_type: Mapped[str] = mapped_column(String(16))
    document_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(64))
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("ill_patrons.id"), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    journal_title: Mapped[str] = mapped_column(Text)
    article_title: Mapped[str] = mapped_column(Text)
    article_author: Mapped[str] = mapped_column(Text)
    volume: Mapped[str] = mapped_column(Text)
    issue: Mapped[str] = mapped_column(Text)
    month: Mapped[str] = mapped_column(Text)
    year: Mapped[str] = mapped_column(Text)
    pages: Mapped[str] = mapped_column(Text)
    edition: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)
    isbn: Mapped[str] = mapped_column(Text)
    issn: Mapped[str] = mapped_column(Text)
    oclc_number: Mapped[str] = mapped_column(Text)
    lccn: Mapped[str] = mapped_column(Text)
    doi: Mapped[str] = mapped_column(Text)
    pmid: Mapped[str] = mapped_column(Text)
    call_number: Mapped[str] = mapped_column(Text)
    cited_in: Mapped[str] = mapped_column(Text)
    not_wanted_after: Mapped[date | None] = mapped_column(Date, nullable=True)
    max_cost: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    accept_alternate_edition: Mapped[bool] = mapped_column(Boolean)
    copyright_compliance: Mapped[str] = mapped_column(String(8))
    copyright_cleared: Mapped[bool] = mapped_column(Boolean)
    journal_key: Mapped[str] = mapped_column(String(255))
    """``copyright.journal_key`` of the citation, for the rule of five."""
    lender_string: Mapped[str] = mapped_column(Text)
    """Symbols separated by commas."""
    partner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    cost: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    fee: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    system_id: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    lock_holder: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lock_taken: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    history: Mapped[list[HistoryRow]] = relationship(
        order_by="HistoryRow.id", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[NoteRow]] = relationship(
        order_by="NoteRow.id", cascade="all, delete-orphan", passive_deletes=True
    )


def _transaction_id() -> Mapped[int]:
    return mapped_column(ForeignKey("ill_transactions.id", ondelete="CASCADE"))


class HistoryRow(Base):
    __tablename__ = "ill_history"
    __table_args__ = (
        Index("ill_history_by_transaction", "transaction_id", "id"),
        Index("ill_history_by_status", "to_status", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = _transaction_id()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(255))
    from_process: Mapped[str | None] = mapped_column(String(32), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_process: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


class NoteRow(Base):
    __tablename__ = "ill_notes"
    __table_args__ = (Index("ill_notes_by_transaction", "transaction_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = _transaction_id()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    patron_visible: Mapped[bool] = mapped_column(Boolean)


class RoutingRuleRow(Base):
    __tablename__ = "ill_routing_rules"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(64))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``[{"field": ..., "operator": ..., "value": ...}, ...]``"""
    new_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_process_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)


class SignOnRow(Base):
    """A web sign-on: the SHA-256 of the browser's cookie token, never the token."""

    __tablename__ = "ill_signons"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(255))
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    expires: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ill_signons_by_user", "kind", "username"),
        Index("ill_signons_by_expiry", "expires"),
    )


class ApiKeyRow(Base):
    """A staff member's API key: its SHA-256 and a prefix to recognise it by."""

    __tablename__ = "ill_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean)


class NoticeTemplateRow(Base):
    """A notice template (``notices/``): its subject and body are Jinja2 source."""

    __tablename__ = "ill_notice_templates"
    __table_args__ = (UniqueConstraint("event", "request_type", name="ill_notice_templates_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    """A status code, or ``overdue``."""
    request_type: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    updated: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(255))


class NoticeRow(Base):
    """One notice in the outbox, rendered when it was queued. A status change gives at most
    one notice per template (``history_id``, ``template_id``); an overdue loan one per
    template, due date and round."""

    __tablename__ = "ill_notices"
    __table_args__ = (
        UniqueConstraint("history_id", "template_id", name="ill_notices_once_per_change"),
        UniqueConstraint(
            "transaction_id",
            "template_id",
            "due_date",
            "overdue_round",
            name="ill_notices_once_per_overdue_round",
        ),
        Index("ill_notices_due", "state", "next_attempt"),
        Index("ill_notices_by_transaction", "transaction_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("ill_notice_templates.id"))
    transaction_id: Mapped[int] = _transaction_id()
    history_id: Mapped[int | None] = mapped_column(
        ForeignKey("ill_history.id", ondelete="CASCADE"), nullable=True
    )
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    overdue_round: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NoticeCursorRow(Base):
    """How far a reader of ``ill_history`` has got: every row up to ``position`` is done."""

    __tablename__ = "ill_notice_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class DocumentRow(Base):
    """A delivered document (``delivery/documents.py``): received from a partner over the
    delivery wire, or uploaded by staff to send. The files are on disk; the rows stay after
    the files are purged."""

    __tablename__ = "ill_documents"
    __table_args__ = (
        Index("ill_documents_by_state", "state", "received"),
        Index("ill_documents_by_transaction", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    """``received`` or ``outgoing``."""
    sender: Mapped[str] = mapped_column(String(64))
    receiver: Mapped[str] = mapped_column(String(64))
    ill_number: Mapped[str] = mapped_column(String(64))
    transaction_number: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ill_transactions.id", ondelete="SET NULL"), nullable=True
    )
    media_type: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str] = mapped_column(Text)
    pdf_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    changed: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(255))


class DocumentLinkRow(Base):
    """A download link to a document: the SHA-256 of its token, never the token; expiring
    at a time or after a number of views, whichever comes first."""

    __tablename__ = "ill_document_links"
    __table_args__ = (Index("ill_document_links_by_expiry", "expires"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("ill_documents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    """``patron`` (signed-in download) or ``exchange`` (password link for a partner)."""
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    expires: Mapped[datetime] = mapped_column(UTCDateTime())
    max_views: Mapped[int | None] = mapped_column(Integer, nullable=True)
    views: Mapped[int] = mapped_column(Integer)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer)
    """Wrong passwords since the last right one."""
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MessageRow(Base):
    """One protocol message (``messaging/``), in or out, kept with its transaction.

    Outgoing rows are the message outbox: ``state`` queued, sent or failed, with a lease and
    the next attempt. ``key`` makes each message unique: an outgoing one per (history line,
    kind) or per incoming message it answers; an incoming one per (protocol, transaction id,
    message type, service date-time), so a repeated message is recognised."""

    __tablename__ = "ill_messages"
    __table_args__ = (
        Index("ill_messages_due", "direction", "state", "next_attempt"),
        Index("ill_messages_by_transaction", "transaction_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ill_transactions.id", ondelete="CASCADE"), nullable=True
    )
    history_id: Mapped[int | None] = mapped_column(
        ForeignKey("ill_history.id", ondelete="SET NULL"), nullable=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    """``in`` or ``out``."""
    protocol: Mapped[str] = mapped_column(String(16))
    partner: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    """The message type in the protocol's words (an ISO ILL APDU type such as ``shipped``)."""
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    done: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """When it was delivered (out) or applied (in)."""


class MessageCursorRow(Base):
    """How far the message scanner has read ``ill_history``."""

    __tablename__ = "ill_message_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class IsoIllStateRow(Base):
    """An ISO ILL transaction's protocol state at our end (``states.py``), kept so that a
    restarted listener or sender still knows where each transaction stands."""

    __tablename__ = "ill_isoill_states"
    __table_args__ = (Index("ill_isoill_states_by_transaction", "transaction_id"),)

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    initial_requester: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_qualifier: Mapped[str] = mapped_column(String(255), primary_key=True)
    qualifier: Mapped[str] = mapped_column(String(255), primary_key=True)
    sub_qualifier: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    previous: Mapped[str] = mapped_column(String(32))
    last_apdu: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_initiator: Mapped[str] = mapped_column(Text)
    last_transition: Mapped[str] = mapped_column(String(16))
    requested: Mapped[str | None] = mapped_column(String(16), nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Our transaction (borrowing or lending) that this protocol transaction belongs to."""
    updated: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueCountRow(Base):
    """How many transactions are in one queue: kept by triggers on ``ill_transactions``
    (migration 0005), never written by the code."""

    __tablename__ = "ill_queue_counts"

    process_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
