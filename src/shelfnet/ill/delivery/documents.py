"""Delivered documents and their download links, kept beside the ILL store.

A *document* is one file that came in over the delivery wire (``direction`` received) or that
staff uploaded to send to a partner (outgoing). Its *state* says where it is:

    unmatched        no borrowing request takes it: waits in the "No ILL Number Match" queue
    awaiting_review  it matched, but its sender is not trusted (or it could not be converted):
                     staff look at it and release it to the patron
    delivered        the patron may download it (as long as its link lasts)
    queued           an outgoing document waiting for the delivery wire client
    sent             an outgoing document: sent over the wire, or behind a password link
    purged           its files are deleted; the record stays for the history

A *link* lets someone fetch a document until it expires: at a time or after a number of
views, whichever comes first. Only the SHA-256 of a link's token is stored; an exchange link
(for a partner, Article-Exchange style) also has a password, stored as an argon2 hash.

Nothing here reads the clock by itself or touches the files: the caller passes ``now`` (or a
clock) and ``routing.py`` and ``links.py`` handle the disk.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfnet.ill.tables import DocumentLinkRow, DocumentRow

Clock = Callable[[], datetime]
TokenSource = Callable[[], str]


class DocumentState(enum.Enum):
    UNMATCHED = "unmatched"
    AWAITING_REVIEW = "awaiting_review"
    DELIVERED = "delivered"
    QUEUED = "queued"
    SENT = "sent"
    PURGED = "purged"

    @property
    def display(self) -> str:
        return _DISPLAY[self]


_DISPLAY = {
    DocumentState.UNMATCHED: "No ILL Number Match",
    DocumentState.AWAITING_REVIEW: "Awaiting Staff Review",
    DocumentState.DELIVERED: "Delivered",
    DocumentState.QUEUED: "Queued for Sending",
    DocumentState.SENT: "Sent",
    DocumentState.PURGED: "Purged",
}


class Direction(enum.Enum):
    RECEIVED = "received"
    OUTGOING = "outgoing"


class LinkKind(enum.Enum):
    PATRON = "patron"
    """The patron's download from their request page (signed in)."""
    EXCHANGE = "exchange"
    """A password link for a partner without the delivery wire (``/delivery/{token}``)."""


class UnknownDocument(LookupError):
    pass


@dataclass(frozen=True)
class Document:
    id: int
    direction: Direction
    sender: str
    receiver: str
    ill_number: str
    """The request's ILL number, as the sender gave it."""
    transaction_number: str
    """The receiving library's transaction number for it, when the sender knew it."""
    transaction_id: int | None
    """Our transaction, once the document is matched to one."""
    media_type: str
    file_name: str
    """As the sender named it: informational only, never a path."""
    notes: str
    original_path: Path
    pdf_path: Path | None
    """What the patron downloads: cover sheet and pages (None before delivery)."""
    sha256: str
    size: int
    received: datetime
    state: DocumentState
    reason: str
    """Why it is in its state, in a sentence for staff."""
    changed: datetime
    changed_by: str


@dataclass(frozen=True)
class NewDocument:
    """What is known about a file before it is stored."""

    sender: str
    receiver: str
    ill_number: str
    transaction_number: str
    media_type: str
    original_path: Path
    sha256: str
    size: int
    file_name: str = ""
    notes: str = ""
    direction: Direction = Direction.RECEIVED


@dataclass(frozen=True)
class Link:
    id: int
    document_id: int
    kind: LinkKind
    created: datetime
    expires: datetime
    max_views: int | None
    views: int
    has_password: bool
    failures: int
    blocked_until: datetime | None

    def expired(self, now: datetime) -> bool:
        """Past its time, or every allowed view used."""
        return now >= self.expires or (self.max_views is not None and self.views >= self.max_views)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _token() -> str:
    return secrets.token_urlsafe(32)


class Documents:
    """The ``ill_documents`` and ``ill_document_links`` tables of an ILL store's database.
    Give it ``IllStore.write_engine``: most of its transactions read, then write (a view
    counted, a state changed), which on SQLite must hold the write lock from the start."""

    def __init__(
        self, engine: Engine, *, clock: Clock = _utc_now, token: TokenSource = _token
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self._token = token

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # Documents

    def add(
        self,
        new: NewDocument,
        state: DocumentState,
        *,
        reason: str = "",
        transaction_id: int | None = None,
        by: str = "",
    ) -> Document:
        now = self.now()
        row = DocumentRow(
            direction=new.direction.value,
            sender=new.sender,
            receiver=new.receiver,
            ill_number=new.ill_number,
            transaction_number=new.transaction_number,
            transaction_id=transaction_id,
            media_type=new.media_type,
            file_name=new.file_name,
            notes=new.notes,
            original_path=str(new.original_path),
            pdf_path=None,
            sha256=new.sha256,
            size=new.size,
            received=now,
            state=state.value,
            reason=reason,
            changed=now,
            changed_by=by,
        )
        with self._session() as session:
            session.add(row)
            session.flush()
            return _document(row)

    def get(self, document_id: int) -> Document:
        with self._session() as session:
            row = session.get(DocumentRow, document_id)
            if row is None:
                raise UnknownDocument(f"no document {document_id}")
            return _document(row)

    def in_state(self, state: DocumentState, *, limit: int = 500) -> list[Document]:
        """Oldest first: a queue."""
        query = (
            select(DocumentRow)
            .where(DocumentRow.state == state.value)
            .order_by(DocumentRow.received, DocumentRow.id)
            .limit(limit)
        )
        with self._session() as session:
            return [_document(row) for row in session.scalars(query)]

    def for_transaction(self, transaction_id: int) -> list[Document]:
        query = (
            select(DocumentRow)
            .where(DocumentRow.transaction_id == transaction_id)
            .order_by(DocumentRow.id)
        )
        with self._session() as session:
            return [_document(row) for row in session.scalars(query)]

    def change(
        self,
        document_id: int,
        state: DocumentState,
        by: str,
        *,
        reason: str = "",
        transaction_id: int | None = None,
        pdf_path: Path | None = None,
    ) -> Document:
        """A new state (with its reason); the transaction and the PDF only when given."""
        with self._session() as session:
            row = session.get(DocumentRow, document_id)
            if row is None:
                raise UnknownDocument(f"no document {document_id}")
            row.state = state.value
            row.reason = reason
            row.changed = self.now()
            row.changed_by = by
            if transaction_id is not None:
                row.transaction_id = transaction_id
            if pdf_path is not None:
                row.pdf_path = str(pdf_path)
            session.flush()
            return _document(row)

    # Links

    def add_link(
        self,
        document_id: int,
        kind: LinkKind,
        expires: datetime,
        *,
        max_views: int | None = None,
        password_hash: str | None = None,
    ) -> tuple[str, Link]:
        """A new link and its token: the only time the token is known."""
        token = self._token()
        row = DocumentLinkRow(
            token_hash=token_hash(token),
            document_id=document_id,
            kind=kind.value,
            created=self.now(),
            expires=expires,
            max_views=max_views,
            views=0,
            password_hash=password_hash,
            failures=0,
            blocked_until=None,
        )
        with self._session() as session:
            session.add(row)
            session.flush()
            return token, _link(row)

    def find_link(self, token: str) -> tuple[Link, str | None] | None:
        """The link of a token, with its password hash (None: no password)."""
        if not 20 <= len(token) <= 100:
            return None
        query = select(DocumentLinkRow).where(DocumentLinkRow.token_hash == token_hash(token))
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else (_link(row), row.password_hash)

    def links(self, document_id: int, kind: LinkKind | None = None) -> list[Link]:
        query = select(DocumentLinkRow).where(DocumentLinkRow.document_id == document_id)
        if kind is not None:
            query = query.where(DocumentLinkRow.kind == kind.value)
        with self._session() as session:
            return [_link(row) for row in session.scalars(query.order_by(DocumentLinkRow.id))]

    def count_view(self, link_id: int) -> Link:
        """One more view, counted in the database (two downloads at once count twice)."""
        with self._session() as session:
            session.execute(
                update(DocumentLinkRow)
                .where(DocumentLinkRow.id == link_id)
                .values(views=DocumentLinkRow.views + 1, failures=0, blocked_until=None)
            )
            row = session.get(DocumentLinkRow, link_id, populate_existing=True)
            assert row is not None
            return _link(row)

    def count_failure(self, link_id: int, blocked_until: datetime | None) -> Link:
        with self._session() as session:
            row = session.get(DocumentLinkRow, link_id)
            if row is None:
                raise UnknownDocument(f"no link {link_id}")
            row.failures += 1
            row.blocked_until = blocked_until
            session.flush()
            return _link(row)

    def with_links(self, states: tuple[DocumentState, ...]) -> list[tuple[Document, list[Link]]]:
        """Documents in these states that have links, each with all its links (for
        purging)."""
        query = (
            select(DocumentRow)
            .where(DocumentRow.state.in_([state.value for state in states]))
            .where(DocumentRow.id.in_(select(DocumentLinkRow.document_id)))
            .order_by(DocumentRow.id)
        )
        with self._session() as session:
            found = []
            for row in session.scalars(query):
                link_rows = session.scalars(
                    select(DocumentLinkRow).where(DocumentLinkRow.document_id == row.id)
                )
                found.append((_document(row), [_link(link) for link in link_rows]))
            return found


def _document(row: DocumentRow) -> Document:
    return Document(
        id=row.id,
        direction=Direction(row.direction),
        sender=row.sender,
        receiver=row.receiver,
        ill_number=row.ill_number,
        transaction_number=row.transaction_number,
        transaction_id=row.transaction_id,
        media_type=row.media_type,
        file_name=row.file_name,
        notes=row.notes,
        original_path=Path(row.original_path),
        pdf_path=Path(row.pdf_path) if row.pdf_path else None,
        sha256=row.sha256,
        size=row.size,
        received=row.received,
        state=DocumentState(row.state),
        reason=row.reason,
        changed=row.changed,
        changed_by=row.changed_by,
    )


def _link(row: DocumentLinkRow) -> Link:
    return Link(
        id=row.id,
        document_id=row.document_id,
        kind=LinkKind(row.kind),
        created=row.created,
        expires=row.expires,
        max_views=row.max_views,
        views=row.views,
        has_password=row.password_hash is not None,
        failures=row.failures,
        blocked_until=row.blocked_until,
    )
