"""Expiring links: days and views, passwords with a throttle, files purged when links end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shelfnet.ill.delivery.documents import (
    Document,
    Documents,
    DocumentState,
    LinkKind,
    NewDocument,
)
from shelfnet.ill.delivery.links import (
    LinkSettings,
    Opened,
    exchange_link,
    open_exchange,
    open_patron,
    patron_link,
    purge,
)
from shelfnet.ill.store import IllStore, open_ill_store
from tests.unit.ill.conftest import Clock

SETTINGS = LinkSettings(days=3, views=2, max_failures=3, block_seconds=60)


@pytest.fixture
def documents(tmp_path: Path, clock: Clock) -> Iterator[Documents]:
    store: IllStore = open_ill_store(tmp_path / "ill.sqlite", clock=clock)
    yield Documents(store.engine, clock=clock)
    store.close()


def stored(documents: Documents, folder: Path, state: DocumentState) -> Document:
    path = folder / f"{state.value}.pdf"
    path.write_bytes(b"%PDF-1.4 test")
    new = NewDocument("US-CST", "US-XX", "1", "", "application/pdf", path, "0" * 64, 13)
    return documents.add(new, state)


def test_a_patron_download_counts_views_and_ends_after_the_last(
    documents: Documents, tmp_path: Path
) -> None:
    document = stored(documents, tmp_path, DocumentState.DELIVERED)
    patron_link(documents, document.id, SETTINGS)
    assert [open_patron(documents, document).opened for _ in range(2)] == [Opened.OK] * 2
    ended = open_patron(documents, document)
    assert ended.opened is Opened.EXPIRED
    assert ended.document is not None and ended.document.state is DocumentState.PURGED
    assert not document.original_path.exists()


def test_a_patron_download_ends_after_its_days(
    documents: Documents, tmp_path: Path, clock: Clock
) -> None:
    document = stored(documents, tmp_path, DocumentState.DELIVERED)
    patron_link(documents, document.id, SETTINGS)
    clock.tick(3 * 24 * 3600 - 1)
    assert open_patron(documents, document).opened is Opened.OK
    clock.tick(1)
    assert open_patron(documents, document).opened is Opened.EXPIRED
    assert not document.original_path.exists()


def test_an_exchange_link_needs_its_password(documents: Documents, tmp_path: Path) -> None:
    document = stored(documents, tmp_path, DocumentState.SENT)
    token, link = exchange_link(documents, document.id, "open sesame", days=3, views=2)
    assert link.has_password
    assert open_exchange(documents, token, "wrong", SETTINGS).opened is Opened.WRONG_PASSWORD
    assert open_exchange(documents, token, "", SETTINGS).opened is Opened.WRONG_PASSWORD
    opened = open_exchange(documents, token, "open sesame", SETTINGS)
    assert opened.opened is Opened.OK and opened.link is not None and opened.link.views == 1
    assert open_exchange(documents, "no-such-token-" * 3, "x", SETTINGS).opened is Opened.NOT_FOUND
    with pytest.raises(ValueError, match="password"):
        exchange_link(documents, document.id, "", days=1, views=1)


def test_wrong_passwords_block_a_link_for_a_while(
    documents: Documents, tmp_path: Path, clock: Clock
) -> None:
    document = stored(documents, tmp_path, DocumentState.SENT)
    token, _link = exchange_link(documents, document.id, "open sesame", days=3, views=2)
    answers = [open_exchange(documents, token, "guess", SETTINGS).opened for _ in range(3)]
    assert answers == [Opened.WRONG_PASSWORD, Opened.WRONG_PASSWORD, Opened.BLOCKED]
    assert open_exchange(documents, token, "open sesame", SETTINGS).opened is Opened.BLOCKED
    clock.tick(60)
    assert open_exchange(documents, token, "open sesame", SETTINGS).opened is Opened.OK


def test_an_exchange_link_ends_by_views_or_days(
    documents: Documents, tmp_path: Path, clock: Clock
) -> None:
    by_views = stored(documents, tmp_path, DocumentState.SENT)
    token, _link = exchange_link(documents, by_views.id, "open sesame", days=3, views=1)
    assert open_exchange(documents, token, "open sesame", SETTINGS).opened is Opened.OK
    assert open_exchange(documents, token, "open sesame", SETTINGS).opened is Opened.EXPIRED
    assert documents.get(by_views.id).state is DocumentState.PURGED
    (tmp_path / "later").mkdir()
    by_days = stored(documents, tmp_path / "later", DocumentState.SENT)
    token, _link = exchange_link(documents, by_days.id, "open sesame", days=1, views=9)
    clock.tick(24 * 3600)
    assert open_exchange(documents, token, "open sesame", SETTINGS).opened is Opened.EXPIRED


def test_purge_waits_for_every_link_of_a_document(
    documents: Documents, tmp_path: Path, clock: Clock
) -> None:
    document = stored(documents, tmp_path, DocumentState.DELIVERED)
    documents.add_link(document.id, LinkKind.PATRON, clock.now + timedelta(days=1))
    documents.add_link(document.id, LinkKind.PATRON, clock.now + timedelta(days=2))
    unmatched = stored(documents, tmp_path, DocumentState.UNMATCHED)
    clock.tick(24 * 3600)
    assert purge(documents) == []
    clock.tick(24 * 3600)
    assert [found.id for found in purge(documents)] == [document.id]
    assert documents.get(unmatched.id).state is DocumentState.UNMATCHED
