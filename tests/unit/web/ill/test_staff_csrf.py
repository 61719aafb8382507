"""Every change on the staff pages needs the sign-on's CSRF token, and read-only staff are
refused every change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, sign_in

POSTS = (
    "/staff/transactions/{n}/action",
    "/staff/transactions/{n}/edit",
    "/staff/transactions/{n}/note",
    "/staff/transactions/{n}/take",
    "/staff/transactions/{n}/release",
    "/staff/partners/new",
    "/staff/partners/US-MH/edit",
    "/staff/routing/new",
    "/staff/routing/10/edit",
    "/staff/routing/10/delete",
)
DATA = {"action": "cancel", "expected_version": "1", "text": "note", "title": "t",
        "symbol": "US-X", "name": "X", "protocol": "manual", "number": "40",
        "status": "request_sent", "new_status": "awaiting_unfilled_processing"}  # fmt: skip


def _number(store: IllStore) -> int:
    return store.queue(Status.AWAITING_REQUEST_PROCESSING)[0].id


@pytest.fixture
def reader_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as reader:
        sign_in(reader, "/staff/signin", "reader", PASSWORD)
        yield reader


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_token_is_refused(
    staff_client: TestClient, ill_store: IllStore, path: str
) -> None:
    number = _number(ill_store)
    before = ill_store.get_transaction(number)
    answer = staff_client.post(path.format(n=number), data=DATA)
    assert answer.status_code == 403
    assert ill_store.get_transaction(number) == before
    wrong = staff_client.post(path.format(n=number), data={**DATA, "csrf_token": "x" * 40})
    assert wrong.status_code == 403
    assert ill_store.get_partner("US-X") is None
    assert [rule.number for rule in ill_store.routing_rules()] == [10, 20]


@pytest.mark.parametrize("path", POSTS)
def test_read_only_staff_are_refused_every_change(
    reader_client: TestClient, ill_store: IllStore, path: str
) -> None:
    number = _number(ill_store)
    token = csrf_token(reader_client.get("/staff/").text)
    answer = reader_client.post(path.format(n=number), data={**DATA, "csrf_token": token})
    assert answer.status_code == 403
    assert ill_store.get_transaction(number).status is Status.AWAITING_REQUEST_PROCESSING
    assert ill_store.get_partner("US-X") is None


def test_read_only_staff_see_every_page_without_buttons(
    reader_client: TestClient, ill_store: IllStore
) -> None:
    for page in ("/staff/", "/staff/partners", "/staff/routing", "/staff/reports",
                 "/staff/search?q=a", "/staff/queue/borrowing/request_sent"):  # fmt: skip
        answer = reader_client.get(page)
        assert answer.status_code == 200, page
        assert "/delete" not in answer.text and "/new" not in answer.text
