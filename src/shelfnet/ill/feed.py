"""A patron's personal feed: the status changes of their requests, as Atom 1.0 or RSS 2.0.

The feed's address carries the patron's feed token (``Patron.feed_token``), which is the
only secret: feed readers cannot sign in. Entries say which request moved to which status
and when, never who moved it (staff usernames are not the patron's business). Newest first,
at most `LIMIT`.

The documents are built with ``xml.etree``, which escapes all text: a title typed as
``<script>`` is a title, not markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree

from shelfnet.ill.model import Citation, Patron
from shelfnet.ill.store import IllStore, PatronList
from shelfnet.ill.workflow import Status

LIMIT = 50
ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"

Link = Callable[[int], str]
"""The address of a request's page, by transaction number."""


@dataclass(frozen=True)
class FeedEntry:
    """One status change of one of the patron's requests."""

    transaction_id: int
    title: str
    """The request's title as the patron cited it."""
    status: Status
    at: datetime
    sequence: int
    """The change's place in the request's history (0: created), for a stable entry id."""


@dataclass(frozen=True)
class Feed:
    title: str
    address: str
    """The feed's own address (its Atom id and self link)."""
    entries: Sequence[FeedEntry]

    @property
    def updated(self) -> datetime:
        return self.entries[0].at if self.entries else datetime(2000, 1, 1, tzinfo=UTC)


def cited_title(citation: Citation) -> str:
    """What a request is called in lists: the article's or chapter's title for copies of
    parts, else the title, else the journal's."""
    return citation.article_title or citation.title or citation.journal_title or "(no title)"


def patron_feed(store: IllStore, patron: Patron, address: str, limit: int = LIMIT) -> Feed:
    """The patron's feed: the newest ``limit`` status changes of all their requests."""
    entries = [
        FeedEntry(
            transaction.id, cited_title(transaction.citation), change.to_status, change.at, number
        )
        for kind in PatronList
        for transaction in store.transactions_for_patron(patron.id, kind)
        for number, change in enumerate(transaction.history)
    ]
    entries.sort(key=lambda entry: (entry.at, entry.transaction_id, entry.sequence), reverse=True)
    name = " ".join(part for part in (patron.first_name, patron.last_name) if part)
    title = f"Interlibrary loan requests of {name or patron.username}"
    return Feed(title, address, entries[:limit])


def _entry_title(entry: FeedEntry) -> str:
    return f"Request {entry.transaction_id}: {entry.status.display} - {entry.title}"


def _entry_text(entry: FeedEntry) -> str:
    return (
        f'Your request {entry.transaction_id} ("{entry.title}") is now '
        f'"{entry.status.display}" (since {entry.at:%Y-%m-%d %H:%M} UTC).'
    )


def _entry_id(feed: Feed, entry: FeedEntry) -> str:
    return f"{feed.address}#{entry.transaction_id}-{entry.sequence}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> None:
    child = ElementTree.SubElement(parent, tag, attrs)
    child.text = text


def _document(root: ElementTree.Element) -> bytes:
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def atom(feed: Feed, link: Link) -> bytes:
    """The feed as an Atom 1.0 document (RFC 4287)."""
    root = ElementTree.Element("feed", {"xmlns": ATOM})
    _sub(root, "id", feed.address)
    _sub(root, "title", feed.title)
    _sub(root, "updated", _iso(feed.updated))
    _sub(root, "link", rel="self", href=feed.address, type="application/atom+xml")
    author = ElementTree.SubElement(root, "author")
    _sub(author, "name", "Interlibrary loan")
    for entry in feed.entries:
        item = ElementTree.SubElement(root, "entry")
        _sub(item, "id", _entry_id(feed, entry))
        _sub(item, "title", _entry_title(entry))
        _sub(item, "updated", _iso(entry.at))
        _sub(item, "link", rel="alternate", href=link(entry.transaction_id), type="text/html")
        _sub(item, "summary", _entry_text(entry))
    return _document(root)


def rss(feed: Feed, link: Link) -> bytes:
    """The feed as an RSS 2.0 document."""
    root = ElementTree.Element("rss", {"version": "2.0"})
    channel = ElementTree.SubElement(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.address)
    _sub(channel, "description", "Status changes of your interlibrary loan requests")
    _sub(channel, "lastBuildDate", format_datetime(feed.updated.astimezone(UTC), usegmt=True))
    for entry in feed.entries:
        item = ElementTree.SubElement(channel, "item")
        _sub(item, "title", _entry_title(entry))
        _sub(item, "link", link(entry.transaction_id))
        _sub(item, "description", _entry_text(entry))
        _sub(item, "guid", _entry_id(feed, entry), isPermaLink="false")
        _sub(item, "pubDate", format_datetime(entry.at.astimezone(UTC), usegmt=True))
    return _document(root)
