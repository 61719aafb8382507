"""The REST API as a patron's script sees it: their account, their lists, asking, cancelling,
renewing."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi.testclient import TestClient

from shelfnet.ill.model import (
    Citation,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    TransactionDraft,
)
from shelfnet.ill.workflow import Action, Status
from shelfnet.web.ill_access import IllWeb


def csrf(client: TestClient) -> dict[str, str]:
    """The header a cookie sign-on's changes send: the token /v1/me hands out."""
    answer = client.get("/api/v1/me")
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.headers["X-CSRF-Token"]}


def test_me_is_the_signed_in_patron_without_secrets(patron_client: TestClient) -> None:
    answer = patron_client.get("/api/v1/me")
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == "mjones"
    assert body["status"] == "faculty"
    assert body["cleared"] == "cleared"
    assert "password_hash" not in body and "feed_token" not in body
    assert answer.headers["X-CSRF-Token"]


def test_the_outstanding_list_holds_only_open_requests_newest_first(
    patron_client: TestClient,
) -> None:
    answer = patron_client.get("/api/v1/me/requests")
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "outstanding"
    ids = [item["id"] for item in body["requests"]]
    assert ids == sorted(ids, reverse=True)
    statuses = {item["status"] for item in body["requests"]}
    assert "request_finished" not in statuses
    assert "awaiting_request_processing" in statuses


def test_the_history_list_holds_finished_requests(patron_client: TestClient) -> None:
    body = patron_client.get("/api/v1/me/requests", params={"list": "history"}).json()
    assert [item["citation"]["title"] for item in body["requests"]] == ["The Guns of August"]
    history = body["requests"][0]["history"]
    assert history[0]["status"] == "awaiting_request_processing"
    assert history[-1]["status_display"] == "Request Finished"


def test_an_unknown_list_is_a_field_error(patron_client: TestClient) -> None:
    answer = patron_client.get("/api/v1/me/requests", params={"list": "everything"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert body["fields"][0]["location"] == "query.list"


def test_a_patron_asks_for_a_book(patron_client: TestClient) -> None:
    answer = patron_client.post(
        "/api/v1/me/requests",
        json={
            "request_type": "loan",
            "document_type": "book",
            "citation": {"title": "Orientalism", "author": "Said, Edward", "year": "1978"},
        },
        headers=csrf(patron_client),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "awaiting_request_processing"
    assert body["citation"]["author"] == "Said, Edward"
    assert body["can_cancel"] is True and body["can_renew"] is False
    mine = patron_client.get(f"/api/v1/me/requests/{body['id']}")
    assert mine.status_code == 200
    assert mine.json()["citation"]["title"] == "Orientalism"


def test_an_openurl_fills_in_the_request_and_the_citation_wins(
    patron_client: TestClient, ill_web: IllWeb
) -> None:
    link = urlencode(
        {
            "url_ver": "Z39.88-2004",
            "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
            "rft.jtitle": "Past & Present",
            "rft.atitle": "The moral economy",
            "rft.issn": "0031-2746",
            "rft.date": "1971-02",
            "rft.volume": "50",
        }
    )
    answer = patron_client.post(
        "/api/v1/me/requests",
        json={"openurl": link, "citation": {"pages": "76-136"}},
        headers=csrf(patron_client),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["request_type"], body["document_type"]) == ("copy", "article")
    citation = body["citation"]
    assert citation["journal_title"] == "Past & Present"
    assert citation["month"] == "February" and citation["pages"] == "76-136"
    stored = ill_web.store.get_transaction(body["id"])
    assert stored.system_id is SystemId.OPENURL


def test_a_request_without_any_title_is_refused(patron_client: TestClient) -> None:
    answer = patron_client.post(
        "/api/v1/me/requests",
        json={"citation": {"author": "Somebody"}},
        headers=csrf(patron_client),
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"


def test_too_long_values_and_unknown_fields_are_field_errors(patron_client: TestClient) -> None:
    answer = patron_client.post(
        "/api/v1/me/requests",
        json={"citation": {"title": "x" * 1001, "colour": "blue"}},
        headers=csrf(patron_client),
    )
    assert answer.status_code == 422
    locations = {problem["location"] for problem in answer.json()["fields"]}
    assert locations == {"body.citation.title", "body.citation.colour"}


def test_a_patron_cancels_a_request_not_yet_sent(patron_client: TestClient) -> None:
    made = patron_client.post(
        "/api/v1/me/requests",
        json={"citation": {"title": "Orientalism"}},
        headers=csrf(patron_client),
    ).json()
    answer = patron_client.post(
        f"/api/v1/me/requests/{made['id']}/cancel", headers=csrf(patron_client)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled_by_customer"
    again = patron_client.post(
        f"/api/v1/me/requests/{made['id']}/cancel", headers=csrf(patron_client)
    )
    assert again.status_code == 409
    assert again.json()["error"] == "transition_refused"
    assert "Cancel by customer" in again.json()["detail"]
    cancelled = patron_client.get("/api/v1/me/requests", params={"list": "cancelled"}).json()
    assert made["id"] in [item["id"] for item in cancelled["requests"]]


def test_a_patron_asks_for_a_renewal_of_a_loan_they_have(
    patron_client: TestClient, ill_web: IllWeb
) -> None:
    store = ill_web.store
    patron = store.find_patron("mjones")
    assert patron is not None
    draft = TransactionDraft(
        ProcessType.BORROWING,
        RequestType.LOAN,
        DocumentType.BOOK,
        Citation(title="Wolf Hall"),
        patron_id=patron.id,
        lender_string=("US-CST",),
    )
    made = store.create_transaction(draft, by="admin")
    for action in (
        Action.SEND_REQUEST,
        Action.MARK_RECEIVED,
        Action.NOTIFY_CUSTOMER,
        Action.CHECK_OUT,
    ):
        store.apply_action(made.id, action, "admin")
    shown = patron_client.get(f"/api/v1/me/requests/{made.id}").json()
    assert shown["can_renew"] is True
    answer = patron_client.post(f"/api/v1/me/requests/{made.id}/renew", headers=csrf(patron_client))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == Status.RENEWAL_REQUESTED_BY_CUSTOMER.value


def test_patrons_see_only_the_notes_meant_for_them(
    patron_client: TestClient, ill_web: IllWeb
) -> None:
    mine = patron_client.get("/api/v1/me/requests").json()["requests"][0]
    ill_web.store.add_note(mine["id"], "admin", "Patron owes a fine elsewhere")
    ill_web.store.add_note(mine["id"], "admin", "Your book is on its way", patron_visible=True)
    shown = patron_client.get(f"/api/v1/me/requests/{mine['id']}").json()
    assert [note["text"] for note in shown["notes"]] == ["Your book is on its way"]
