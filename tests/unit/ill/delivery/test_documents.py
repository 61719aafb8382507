"""The document records and their links, on both stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shelfnet.ill.delivery.documents import (
    Direction,
    Documents,
    DocumentState,
    LinkKind,
    NewDocument,
    UnknownDocument,
    token_hash,
)
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import DocumentLinkRow
from tests.unit.ill.conftest import Clock

NEW = NewDocument(
    sender="US-CST",
    receiver="SHELFNET",
    ill_number="12",
    transaction_number="",
    media_type="application/pdf",
    original_path=Path("/data/received/a.pdf"),
    sha256="ab" * 32,
    size=1234,
    file_name="article.pdf",
    notes="pp. 101-120",
)


@pytest.fixture
def documents(store: IllStore, clock: Clock) -> Documents:
    return Documents(store.engine, clock=clock)


def test_a_document_is_stored_and_read_back(documents: Documents, clock: Clock) -> None:
    added = documents.add(NEW, DocumentState.UNMATCHED, reason="no request 12", by="wire")
    found = documents.get(added.id)
    assert found == added
    assert (found.sender, found.ill_number, found.size, found.file_name) == (
        "US-CST",
        "12",
        1234,
        "article.pdf",
    )
    assert found.direction is Direction.RECEIVED
    assert found.state is DocumentState.UNMATCHED
    assert found.transaction_id is None and found.pdf_path is None
    assert found.received == clock.now


def test_queues_list_documents_by_state_oldest_first(documents: Documents, clock: Clock) -> None:
    first = documents.add(NEW, DocumentState.UNMATCHED)
    clock.tick()
    documents.add(NEW, DocumentState.AWAITING_REVIEW)
    clock.tick()
    third = documents.add(NEW, DocumentState.UNMATCHED)
    assert [d.id for d in documents.in_state(DocumentState.UNMATCHED)] == [first.id, third.id]


def test_a_change_records_state_reason_and_pdf(documents: Documents, clock: Clock) -> None:
    added = documents.add(NEW, DocumentState.UNMATCHED)
    clock.tick()
    changed = documents.change(
        added.id,
        DocumentState.DELIVERED,
        "admin",
        reason="done",
        pdf_path=Path("/data/delivered/1.pdf"),
    )
    assert changed.state is DocumentState.DELIVERED
    assert (changed.reason, changed.changed_by, changed.changed) == ("done", "admin", clock.now)
    assert changed.pdf_path == Path("/data/delivered/1.pdf")
    with pytest.raises(UnknownDocument):
        documents.change(999, DocumentState.PURGED, "admin")


def test_links_keep_only_a_hash_of_their_token(documents: Documents, store: IllStore) -> None:
    document = documents.add(NEW, DocumentState.DELIVERED)
    token, link = documents.add_link(
        document.id, LinkKind.PATRON, documents.now() + timedelta(days=3), max_views=2
    )
    from sqlalchemy import select

    with store.engine.connect() as connection:
        stored = connection.execute(select(DocumentLinkRow.token_hash)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored
    found = documents.find_link(token)
    assert found is not None and found[0] == link and found[1] is None
    assert documents.find_link("x" * 43) is None


def test_a_link_ends_at_its_time_or_its_last_view(documents: Documents, clock: Clock) -> None:
    document = documents.add(NEW, DocumentState.DELIVERED)
    _token, link = documents.add_link(
        document.id, LinkKind.PATRON, clock.now + timedelta(days=1), max_views=2
    )
    assert not link.expired(clock.now)
    link = documents.count_view(link.id)
    assert link.views == 1 and not link.expired(clock.now)
    link = documents.count_view(link.id)
    assert link.expired(clock.now)
    _token, other = documents.add_link(document.id, LinkKind.PATRON, clock.now + timedelta(days=1))
    assert not other.expired(clock.now + timedelta(hours=23))
    assert other.expired(clock.now + timedelta(days=1))
