"""The patron's lists of requests, and what every patron page needs: a sign-in."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.store import IllStore
from shelfnet.web.patron_forms import KINDS
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import sign_in

XSS = "<script>alert(1)</script>"


def test_the_home_page_lists_the_outstanding_requests_with_their_status(
    patron_client: TestClient,
) -> None:
    page = patron_client.get("/ill/")
    assert page.status_code == 200
    assert "The Mediterranean" in page.text
    assert "Awaiting Request Processing" in page.text
    assert "Request Sent" in page.text
    assert "The Guns of August" not in page.text, "finished requests are in the history"
    assert "Middlemarch" not in page.text, "another patron's request"


def test_the_home_page_links_the_other_lists_forms_feed_and_sign_out(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    page = patron_client.get("/ill/").text
    assert 'href="/ill/history"' in page and 'href="/ill/cancelled"' in page
    for name in KINDS:
        assert f'href="/ill/request/{name}"' in page
    assert 'action="/ill/signout"' in page and 'action="/ill/signout-everywhere"' in page
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    assert f"/ill/feed/{patron.feed_token}.atom" in page
    assert f"/ill/feed/{patron.feed_token}.rss" in page


def test_the_history_lists_finished_requests(patron_client: TestClient) -> None:
    page = patron_client.get("/ill/history")
    assert page.status_code == 200
    assert "The Guns of August" in page.text and "Request Finished" in page.text
    assert "The Mediterranean" not in page.text


def test_the_cancelled_list_lists_cancelled_requests(app: FastAPI, ill_store: IllStore) -> None:
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, "/ill/signin", "asmith", PASSWORD)
        page = other.get("/ill/cancelled")
        assert page.status_code == 200
        assert "Beloved" in page.text and "Cancelled by Customer" in page.text
        assert "Middlemarch" not in page.text


@pytest.mark.parametrize(
    "path",
    ["/ill/", "/ill/history", "/ill/cancelled", "/ill/request/article", "/ill/requests/1"],
)
def test_pages_send_a_browser_that_is_not_signed_in_to_sign_in(
    client: TestClient, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ill/signin?next=")


def test_staff_signed_in_are_not_patrons(staff_client: TestClient) -> None:
    answer = staff_client.get("/ill/")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ill/signin")


def test_a_title_with_markup_is_shown_as_text_in_the_list(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    draft = TransactionDraft(
        ProcessType.BORROWING,
        RequestType.LOAN,
        DocumentType.BOOK,
        Citation(title=XSS),
        patron_id=patron.id,
    )
    ill_store.create_transaction(draft, by="mjones")
    page = patron_client.get("/ill/").text
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
