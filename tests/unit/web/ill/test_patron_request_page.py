"""A request's page: what the patron sees of it, cancelling and renewing, stale pages, and
that no patron can see or change another patron's request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from shelfnet.ill.model import Transaction
from shelfnet.ill.store import IllStore, PatronList
from shelfnet.ill.workflow import Action, Status
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, sign_in


def requests_of(store: IllStore, username: str) -> list[Transaction]:
    patron = store.find_patron(username)
    assert patron is not None
    return [
        transaction
        for kind in PatronList
        for transaction in store.transactions_for_patron(patron.id, kind)
    ]


def in_status(store: IllStore, username: str, status: Status) -> Transaction:
    return next(t for t in requests_of(store, username) if t.status is status)


def press(client: TestClient, number: int, button: str) -> Response:
    page = client.get(f"/ill/requests/{number}").text
    version = ill_version(page)
    answer: Response = client.post(
        f"/ill/requests/{number}/{button}",
        data={"csrf_token": csrf_token(page), "expected_version": version},
    )
    return answer


def ill_version(html: str) -> str:
    marker = 'name="expected_version" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A browser signed in as another patron, tnguyen."""
    with TestClient(app, follow_redirects=False) as browser:
        sign_in(browser, "/ill/signin", "tnguyen", PASSWORD)
        yield browser


def test_the_page_shows_citation_status_and_history_without_staff_names(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.REQUEST_SENT)
    ill_store.add_note(transaction.id, "admin", "Sent to Stanford", patron_visible=True)
    ill_store.add_note(transaction.id, "admin", "Staff only: fee waived", patron_visible=False)
    page = patron_client.get(f"/ill/requests/{transaction.id}")
    assert page.status_code == 200
    html = page.text
    assert "The Making of the English Working Class" in html
    assert "Thompson, E. P." in html
    assert "Request Sent" in html and "Awaiting Request Processing" in html
    assert "Sent to Stanford" in html
    assert "Staff only" not in html
    assert "admin" not in html, "staff usernames are not shown to patrons"
    assert "routing" not in html


def test_a_patron_cancels_a_request_the_workflow_lets_them_cancel(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.AWAITING_REQUEST_PROCESSING)
    answer = press(patron_client, transaction.id, "cancel")
    assert answer.status_code == 303
    assert ill_store.get_transaction(transaction.id).status is Status.CANCELLED_BY_CUSTOMER
    assert "The Mediterranean" in patron_client.get("/ill/cancelled").text
    assert "The Mediterranean" not in patron_client.get("/ill/").text


def test_no_cancel_button_once_the_request_is_sent(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.REQUEST_SENT)
    page = patron_client.get(f"/ill/requests/{transaction.id}").text
    assert '/cancel"' not in page
    answer = patron_client.post(
        f"/ill/requests/{transaction.id}/cancel",
        data={"csrf_token": csrf_token(page), "expected_version": str(transaction.version)},
    )
    assert answer.status_code == 409
    assert "cannot be cancelled" in answer.text
    assert ill_store.get_transaction(transaction.id).status is Status.REQUEST_SENT


def checked_out(store: IllStore, username: str) -> Transaction:
    transaction = in_status(store, username, Status.AWAITING_POST_RECEIPT_PROCESSING)
    store.apply_action(transaction.id, Action.NOTIFY_CUSTOMER, "admin")
    return store.apply_action(transaction.id, Action.CHECK_OUT, "admin")


def test_a_patron_asks_to_renew_a_checked_out_loan(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = checked_out(ill_store, "mjones")
    page = patron_client.get(f"/ill/requests/{transaction.id}").text
    assert '/renew"' in page and '/cancel"' not in page
    answer = press(patron_client, transaction.id, "renew")
    assert answer.status_code == 303
    changed = ill_store.get_transaction(transaction.id)
    assert changed.status is Status.RENEWAL_REQUESTED_BY_CUSTOMER
    assert changed.history[-1].by == "mjones"
    shown = patron_client.get(answer.headers["location"]).text
    assert "renewal request has been sent" in shown


def test_no_renewal_before_the_item_is_checked_out(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.AWAITING_REQUEST_PROCESSING)
    assert '/renew"' not in patron_client.get(f"/ill/requests/{transaction.id}").text
    answer = press(patron_client, transaction.id, "renew")
    assert answer.status_code == 409
    assert ill_store.get_transaction(transaction.id).status is Status.AWAITING_REQUEST_PROCESSING


def test_a_stale_page_is_refused_with_a_clear_message(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.AWAITING_REQUEST_PROCESSING)
    page = patron_client.get(f"/ill/requests/{transaction.id}").text
    ill_store.apply_action(transaction.id, Action.START_PROCESSING, "admin")
    answer = patron_client.post(
        f"/ill/requests/{transaction.id}/cancel",
        data={"csrf_token": csrf_token(page), "expected_version": ill_version(page)},
    )
    assert answer.status_code == 409
    assert "changed since you opened its page" in answer.text
    assert "Request In Processing" in answer.text, "the page shows the request as it is now"
    assert ill_store.get_transaction(transaction.id).status is Status.REQUEST_IN_PROCESSING


def test_a_cancel_without_a_version_is_refused(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "mjones", Status.AWAITING_REQUEST_PROCESSING)
    page = patron_client.get(f"/ill/requests/{transaction.id}").text
    answer = patron_client.post(
        f"/ill/requests/{transaction.id}/cancel", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 409
    assert ill_store.get_transaction(transaction.id).status is Status.AWAITING_REQUEST_PROCESSING


def test_a_delivered_copy_shows_the_delivery_section_without_any_file(
    other_client: TestClient, ill_store: IllStore
) -> None:
    transaction = in_status(ill_store, "tnguyen", Status.DELIVERED_TO_WEB)
    html = other_client.get(f"/ill/requests/{transaction.id}").text
    assert "Electronic delivery" in html
    assert "delivered electronically" in html
    section = html.split("Electronic delivery")[1].split("</section>")[0]
    assert "<a " not in section, "no file to download until document delivery stores one"


def test_a_request_number_that_does_not_exist_is_not_found(patron_client: TestClient) -> None:
    assert patron_client.get("/ill/requests/999999").status_code == 404


def test_a_patron_cannot_read_another_patrons_request(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    theirs = requests_of(ill_store, "tnguyen")[0]
    answer = patron_client.get(f"/ill/requests/{theirs.id}")
    missing = patron_client.get("/ill/requests/999999")
    assert answer.status_code == 404
    assert answer.text == missing.text.replace("999999", str(theirs.id)), "no hint it exists"
    assert theirs.citation.article_title not in answer.text


def test_a_lending_request_has_no_patron_page(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    lending = next(item for item in ill_store.search("Walden"))
    assert patron_client.get(f"/ill/requests/{lending.id}").status_code == 404


@pytest.mark.parametrize("button", ["cancel", "renew"])
def test_a_patron_cannot_change_another_patrons_request(
    patron_client: TestClient, other_client: TestClient, ill_store: IllStore, button: str
) -> None:
    theirs = in_status(ill_store, "tnguyen", Status.REQUEST_SENT)
    own_page = patron_client.get("/ill/").text
    answer = patron_client.post(
        f"/ill/requests/{theirs.id}/{button}",
        data={"csrf_token": csrf_token(own_page), "expected_version": str(theirs.version)},
    )
    assert answer.status_code == 404
    assert ill_store.get_transaction(theirs.id).version == theirs.version
    their_page = other_client.get(f"/ill/requests/{theirs.id}")
    assert their_page.status_code == 200, "the owner still sees it"
