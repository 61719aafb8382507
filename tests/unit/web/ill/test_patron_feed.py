"""The patron's personal feed (Atom and RSS), found by its token alone."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from shelfnet.ill import feed
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from tests.unit.web.ill.pages import csrf_token

A = "{http://www.w3.org/2005/Atom}"
XSS = "<script>alert(1)</script>"


def token_of(store: IllStore, username: str) -> str:
    patron = store.find_patron(username)
    assert patron is not None
    return patron.feed_token


def test_the_atom_feed_needs_no_sign_in_and_has_every_required_element(
    client: TestClient, ill_store: IllStore
) -> None:
    answer = client.get(f"/ill/feed/{token_of(ill_store, 'mjones')}.atom")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{A}{name}")
    entries = root.findall(f"{A}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{name}"), f"an entry without {name}"
        link = entry.find(f"{A}link")
        assert link is not None and link.get("href", "").startswith(
            "http://testserver/ill/requests/"
        )
    ids = [entry.findtext(f"{A}id") for entry in entries]
    assert len(set(ids)) == len(ids)
    updated = [entry.findtext(f"{A}updated") or "" for entry in entries]
    assert updated == sorted(updated, reverse=True), "newest first"
    titles = " ".join(entry.findtext(f"{A}title") or "" for entry in entries)
    assert "The Mediterranean" in titles and "Middlemarch" not in titles
    assert b"admin" not in answer.content and b"routing" not in answer.content


def test_the_rss_feed_parses_and_lists_the_same_changes(
    client: TestClient, ill_store: IllStore
) -> None:
    answer = client.get(f"/ill/feed/{token_of(ill_store, 'mjones')}.rss")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for name in ("title", "link", "description"):
        assert channel.findtext(name)
    items = channel.findall("item")
    assert items
    for item in items:
        assert item.findtext("title") and item.findtext("guid") and item.findtext("pubDate")


def test_an_unknown_token_is_not_found(client: TestClient) -> None:
    assert client.get("/ill/feed/not-a-real-token-at-all-000000.atom").status_code == 404
    assert client.get("/ill/feed/x.rss").status_code == 404


def test_renewing_the_feed_address_ends_the_old_one(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    old = token_of(ill_store, "mjones")
    page = patron_client.get("/ill/").text
    answer = patron_client.post("/ill/feed/renew", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 303
    new = token_of(ill_store, "mjones")
    assert new != old
    assert patron_client.get(f"/ill/feed/{old}.atom").status_code == 404
    assert patron_client.get(f"/ill/feed/{new}.atom").status_code == 200
    assert f"/ill/feed/{new}.atom" in patron_client.get("/ill/").text


def test_a_title_with_markup_comes_out_of_the_feed_as_text(
    client: TestClient, ill_store: IllStore
) -> None:
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    draft = TransactionDraft(
        ProcessType.BORROWING, RequestType.LOAN, DocumentType.BOOK, Citation(title=XSS),
        patron_id=patron.id,
    )  # fmt: skip
    ill_store.create_transaction(draft, by="mjones")
    for suffix in ("atom", "rss"):
        answer = client.get(f"/ill/feed/{patron.feed_token}.{suffix}")
        assert XSS.encode() not in answer.content
        root = ElementTree.fromstring(answer.content)
        titles = [element.text or "" for element in root.iter() if element.tag.endswith("title")]
        assert any(XSS in title for title in titles)


def test_the_feed_keeps_the_newest_fifty_changes() -> None:
    moments = [datetime(2024, 1, 1, tzinfo=UTC).replace(minute=n % 60, hour=n // 60)
               for n in range(80)]  # fmt: skip
    entries = [
        feed.FeedEntry(n, f"Title {n}", Status.REQUEST_SENT, moment, 0)
        for n, moment in enumerate(moments)
    ]
    document = feed.Feed("Feed", "http://x/feed.atom", sorted(entries, key=lambda e: e.at,
                         reverse=True)[: feed.LIMIT])  # fmt: skip
    root = ElementTree.fromstring(feed.atom(document, lambda n: f"http://x/{n}"))
    assert len(root.findall(f"{A}entry")) == 50
    assert root.findtext(f"{A}updated") == "2024-01-01T01:19:00Z"
