"""Expiring download links, and purging the files behind expired ones.

A patron's download (``LinkKind.PATRON``) needs the patron signed in; an exchange link
(``LinkKind.EXCHANGE``, Article-Exchange style, for a partner without the delivery wire)
needs its password instead. Either lasts a number of days *and* a number of views: whichever
runs out first ends it. Once every link of a document has ended, its files are deleted and
the document is kept as ``purged``.

Wrong passwords are counted per link: after ``max_failures`` in a row the link refuses every
password for ``block_seconds``, so a password cannot be guessed at the speed of the network.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from shelfnet.ill.delivery.documents import (
    Document,
    Documents,
    DocumentState,
    Link,
    LinkKind,
)
from shelfnet.ill.model import hash_password, verify_password

PURGEABLE = (DocumentState.DELIVERED, DocumentState.SENT)


@dataclass(frozen=True)
class LinkSettings:
    days: int = 14
    """Days a link lasts."""
    views: int = 5
    """Downloads a link allows."""
    max_failures: int = 5
    """Wrong passwords in a row before an exchange link blocks."""
    block_seconds: int = 300
    """How long it then blocks."""


class Opened(enum.Enum):
    OK = "ok"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    WRONG_PASSWORD = "wrong_password"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Access:
    """What came of trying a link: with ``OK``, the view is counted and the file is there."""

    opened: Opened
    link: Link | None = None
    document: Document | None = None


def patron_link(documents: Documents, document_id: int, settings: LinkSettings) -> Link:
    """The patron's download of a delivered document."""
    expires = documents.now() + timedelta(days=settings.days)
    _token, link = documents.add_link(
        document_id, LinkKind.PATRON, expires, max_views=settings.views
    )
    return link


def exchange_link(
    documents: Documents, document_id: int, password: str, *, days: int, views: int
) -> tuple[str, Link]:
    """A password link for a partner: its token (shown once, never stored) and the link."""
    if not password:
        raise ValueError("an exchange link needs a password")
    expires = documents.now() + timedelta(days=days)
    return documents.add_link(
        document_id,
        LinkKind.EXCHANGE,
        expires,
        max_views=views,
        password_hash=hash_password(password),
    )


def open_patron(documents: Documents, document: Document) -> Access:
    """Count one download of the patron's copy; an ended link purges the files."""
    links = documents.links(document.id, LinkKind.PATRON)
    if document.state is not DocumentState.DELIVERED or not links:
        return _gone(documents, document, links)
    now = documents.now()
    usable = [link for link in links if not link.expired(now)]
    if not usable or not _present(document):
        return _gone(documents, document, links)
    link = documents.count_view(usable[0].id)
    return Access(Opened.OK, link, document)


def open_exchange(
    documents: Documents, token: str, password: str, settings: LinkSettings
) -> Access:
    """Check an exchange link's password and count the download."""
    found = documents.find_link(token)
    if found is None or found[0].kind is not LinkKind.EXCHANGE:
        return Access(Opened.NOT_FOUND)
    link, password_hash = found
    document = documents.get(link.document_id)
    now = documents.now()
    if link.expired(now) or document.state is not DocumentState.SENT or not _present(document):
        return _gone(documents, document, [link])
    if link.blocked_until is not None and now < link.blocked_until:
        return Access(Opened.BLOCKED, link, document)
    if not verify_password(password_hash, password):
        blocked = None
        if link.failures + 1 >= settings.max_failures:
            blocked = now + timedelta(seconds=settings.block_seconds)
        link = documents.count_failure(link.id, blocked)
        return Access(Opened.BLOCKED if blocked else Opened.WRONG_PASSWORD, link, document)
    return Access(Opened.OK, documents.count_view(link.id), document)


def peek_exchange(documents: Documents, token: str) -> Access:
    """Whether an exchange link is there and usable, without counting anything."""
    found = documents.find_link(token)
    if found is None or found[0].kind is not LinkKind.EXCHANGE:
        return Access(Opened.NOT_FOUND)
    link = found[0]
    document = documents.get(link.document_id)
    if link.expired(documents.now()) or document.state is not DocumentState.SENT:
        return _gone(documents, document, [link])
    return Access(Opened.OK, link, document)


def _present(document: Document) -> bool:
    path = document.pdf_path or document.original_path
    return path.is_file()


def _gone(documents: Documents, document: Document, links: list[Link]) -> Access:
    """An ended link: the files go now rather than at the next purge."""
    if document.state in PURGEABLE and _all_ended(documents, document, documents.now()):
        document = purge_document(documents, document, "expired")
    return Access(Opened.EXPIRED, links[0] if links else None, document)


def _all_ended(documents: Documents, document: Document, now: datetime) -> bool:
    return all(link.expired(now) for link in documents.links(document.id))


def purge_document(documents: Documents, document: Document, by: str, reason: str = "") -> Document:
    """Delete a document's files; the record stays, ``purged``."""
    for path in {document.original_path, document.pdf_path}:
        if path is not None:
            path.unlink(missing_ok=True)
    reason = reason or "Its download links ended; the files were deleted."
    return documents.change(document.id, DocumentState.PURGED, by, reason=reason)


def purge(documents: Documents, by: str = "purge") -> list[Document]:
    """Every delivered or sent document whose links have all ended, purged. Run it daily."""
    now = documents.now()
    purged = []
    for document, links in documents.with_links(PURGEABLE):
        if all(link.expired(now) for link in links):
            purged.append(purge_document(documents, document, by))
    return purged
