"""The notice pages: templates listed, edited by administrators only (with their CSRF
token), bad templates refused with the reason, previews against a real transaction, the
outbox with "retry now"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.config import NoticeSettings
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.notices.model import NoticeState
from shelfnet.ill.notices.outbox import Outbox
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, post_form, sign_in


@pytest.fixture
def outbox(ill_store: IllStore) -> Outbox:
    made = Outbox(ill_store, NoticeSettings(library_name="Test Library"))
    made.prepare()
    return made


@pytest.fixture
def reader_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        sign_in(test_client, "/staff/signin", "reader", PASSWORD)
        yield test_client


def arrived_template(outbox: Outbox) -> int:
    return next(
        t.id for t in outbox.templates()
        if t.event == Status.CUSTOMER_NOTIFIED_VIA_EMAIL.value and t.request_type.value == "loan"
    )  # fmt: skip


def a_patron_request(store: IllStore) -> int:
    patron = store.find_patron("mjones")
    assert patron is not None
    return next(item.id for item in store.search(patron="mjones"))


def test_the_notices_page_lists_the_templates_and_says_sending_is_off(
    staff_client: TestClient,
) -> None:
    page = staff_client.get("/staff/notices")
    assert page.status_code == 200
    assert "Customer Notified via E-Mail" in page.text
    assert "Your book has arrived" in page.text
    assert "no mail server is configured" in page.text


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    assert client.get("/staff/notices").status_code == 303


def test_an_administrator_saves_a_template(staff_client: TestClient, outbox: Outbox) -> None:
    number = arrived_template(outbox)
    page = f"/staff/notices/templates/{number}"
    answer = post_form(
        staff_client,
        page,
        page,
        {"subject": "Here: {{ title }}", "body": "Hello {{ first_name }}", "active": "1"},
    )
    assert answer.status_code == 303
    saved = outbox.get_template(number)
    assert (saved.subject, saved.body, saved.updated_by) == (
        "Here: {{ title }}",
        "Hello {{ first_name }}",
        "admin",
    )


def test_a_bad_template_is_refused_with_the_reason(
    staff_client: TestClient, outbox: Outbox
) -> None:
    number = arrived_template(outbox)
    page = f"/staff/notices/templates/{number}"
    before = outbox.get_template(number)
    answer = post_form(
        staff_client, page, page, {"subject": "Hi {{ secret }}", "body": "{% if %}", "active": "1"}
    )
    assert answer.status_code == 400
    assert "unknown variables: secret" in answer.text
    assert "template error" in answer.text
    assert "Hi {{ secret }}" in answer.text  # shown again to be fixed
    assert outbox.get_template(number) == before


def test_a_change_without_the_csrf_token_is_refused(
    staff_client: TestClient, outbox: Outbox
) -> None:
    number = arrived_template(outbox)
    answer = staff_client.post(
        f"/staff/notices/templates/{number}", data={"subject": "x", "body": "y"}
    )
    assert answer.status_code == 403
    assert outbox.get_template(number).subject != "x"


def test_only_administrators_change_templates(reader_client: TestClient, outbox: Outbox) -> None:
    number = arrived_template(outbox)
    page = f"/staff/notices/templates/{number}"
    assert reader_client.get(page).status_code == 200
    answer = post_form(reader_client, page, page, {"subject": "x", "body": "y", "active": "1"})
    assert answer.status_code == 403
    assert outbox.get_template(number).subject != "x"


def test_a_preview_renders_the_edited_template_for_a_real_transaction(
    staff_client: TestClient, outbox: Outbox, ill_store: IllStore
) -> None:
    number = arrived_template(outbox)
    transaction = a_patron_request(ill_store)
    page = f"/staff/notices/templates/{number}"
    answer = post_form(
        staff_client,
        page,
        page,
        {
            "subject": "For {{ patron_name }}",
            "body": "Request {{ transaction_number }} at {{ library_name }}",
            "transaction": str(transaction),
            "action": "preview",
        },
    )
    assert answer.status_code == 200
    assert "For Maria Jones" in answer.text
    assert f"Request {transaction} at " in answer.text
    assert outbox.get_template(number).subject.startswith("Your book")  # not saved
    saved = staff_client.get(f"{page}?transaction={transaction}")
    assert "Your book has arrived" in saved.text and "Preview" in saved.text
    assert staff_client.get(f"{page}?transaction=999999").status_code == 400


def test_the_outbox_retries_a_failed_notice_now(
    staff_client: TestClient, outbox: Outbox, ill_store: IllStore
) -> None:
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    draft = TransactionDraft(
        ProcessType.BORROWING, RequestType.LOAN, DocumentType.BOOK, Citation(title="Emma"),
        patron_id=patron.id,
    )  # fmt: skip
    made = ill_store.create_transaction(draft, "admin")
    ill_store.change_status(made.id, Status.CANCELLED_BY_ILL_STAFF, "admin", note="No lender")
    assert outbox.scan() == 1
    [claimed] = outbox.claim("test", limit=1, lease=timedelta(minutes=5)).notices
    outbox.mark_failed(claimed.id, "test", "550 no such user", permanent=True)
    page = staff_client.get("/staff/notices/outbox?state=failed")
    assert "550 no such user" in page.text and "Reason: No lender" not in page.text
    answer = staff_client.post(
        f"/staff/notices/outbox/{claimed.id}/retry", data={"csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 303
    assert outbox.get_notice(claimed.id).state is NoticeState.QUEUED
    assert (
        staff_client.post(f"/staff/notices/outbox/{claimed.id}/retry", data={}).status_code == 403
    )
