"""Processing a request on the staff request form: the soft lock, actions through the
queues, citation edits, notes; refusals come back as messages on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from shelfnet.ill.model import (
    Citation,
    DocumentType,
    ProcessType,
    RequestType,
    StaffRole,
    StaffUser,
    TransactionDraft,
)
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Action, Status
from tests.unit.web.ill.conftest import FAST_HASHER, PASSWORD
from tests.unit.web.ill.pages import csrf_token, sign_in

B = ProcessType.BORROWING


def _new_borrowing(store: IllStore, title: str = "A Book to Borrow") -> int:
    patron = store.find_patron("mjones")
    assert patron is not None
    draft = TransactionDraft(
        B,
        RequestType.LOAN,
        DocumentType.BOOK,
        Citation(title=title, author="Writer, A.", isbn="0863693180"),
        patron_id=patron.id,
        lender_string=("US-CST", "US-MH"),
    )
    return store.create_transaction(draft, by="mjones").id


def _version(html: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', html)
    assert found, "the page has no version"
    return found[1]


def _actions(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="(\w+)">', html)


def press(client: TestClient, number: int, action: Action) -> Response:
    """Open the request and press one of its buttons, as staff would."""
    page = client.get(f"/staff/transactions/{number}").text
    assert action.value in _actions(page), (action, _actions(page))
    data = {
        "action": action.value,
        "expected_version": _version(page),
        "csrf_token": csrf_token(page),
    }
    return client.post(f"/staff/transactions/{number}/action", data=data)


@pytest.fixture
def number(ill_store: IllStore) -> int:
    return _new_borrowing(ill_store)


@pytest.fixture
def second_client(app: FastAPI, ill_store: IllStore) -> Iterator[TestClient]:
    ill_store.create_staff(
        StaffUser("second", "Second Staff", "", StaffRole.STAFF, FAST_HASHER.hash(PASSWORD))
    )
    with TestClient(app, follow_redirects=False) as other:
        sign_in(other, "/staff/signin", "second", PASSWORD)
        yield other


@pytest.fixture
def reader_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as reader:
        sign_in(reader, "/staff/signin", "reader", PASSWORD)
        yield reader


def test_a_borrowing_request_goes_through_every_queue(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    s = Status
    steps = [
        (Action.START_PROCESSING, s.AWAITING_REQUEST_PROCESSING, s.REQUEST_IN_PROCESSING),
        (Action.SEND_REQUEST, s.REQUEST_IN_PROCESSING, s.REQUEST_SENT),
        (Action.MARK_RECEIVED, s.REQUEST_SENT, s.AWAITING_POST_RECEIPT_PROCESSING),
        (Action.NOTIFY_CUSTOMER, s.AWAITING_POST_RECEIPT_PROCESSING, s.CUSTOMER_NOTIFIED_VIA_EMAIL),
        (Action.CHECK_OUT, s.CUSTOMER_NOTIFIED_VIA_EMAIL, s.CHECKED_OUT_TO_CUSTOMER),
        (Action.CHECK_IN, s.CHECKED_OUT_TO_CUSTOMER, s.AWAITING_RETURN_PROCESSING),
        (Action.RETURN_TO_LENDER, s.AWAITING_RETURN_PROCESSING, s.AWAITING_RETURN_LABEL_PRINTING),
        (Action.PRINT_RETURN_LABEL, s.AWAITING_RETURN_LABEL_PRINTING, s.REQUEST_FINISHED),
    ]
    for action, before, after in steps:
        answer = press(staff_client, number, action)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/staff/queue/borrowing/{before.value}?moved={number}"
        transaction = ill_store.get_transaction(number)
        assert transaction.status is after
        assert transaction.lock is None, "moving to another queue lets go of the request"
        back = staff_client.get(answer.headers["location"]).text
        assert f"Request {number} is now in “{after.display}”." in back
    transaction = ill_store.get_transaction(number)
    assert transaction.partner == "US-CST", "sending went to the first lender"
    history = staff_client.get(f"/staff/transactions/{number}").text
    assert history.count('<td class="by">admin</td>') == len(steps)
    assert _actions(history) == [], "a finished request has no buttons"


def test_opening_a_request_takes_its_soft_lock(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    html = staff_client.get(f"/staff/transactions/{number}").text
    lock = ill_store.current_lock(number)
    assert lock is not None and lock.holder == "admin"
    assert "You have this request open." in html
    assert "A Book to Borrow" in html and "Writer, A." in html
    assert "Maria Jones (mjones)" in html
    assert "US-CST, US-MH" in html
    assert "Awaiting Request Processing" in html


def test_releasing_a_request_lets_go_of_the_lock(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    answer = staff_client.post(
        f"/staff/transactions/{number}/release",
        data={"csrf_token": csrf_token(page), "next": "/staff/queue/borrowing/request_sent"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/queue/borrowing/request_sent"
    assert ill_store.current_lock(number) is None


def test_a_second_user_sees_the_lock_and_may_take_it_over(
    staff_client: TestClient, second_client: TestClient, ill_store: IllStore, number: int
) -> None:
    staff_client.get(f"/staff/transactions/{number}")
    seen = second_client.get(f"/staff/transactions/{number}")
    assert seen.status_code == 200
    assert "In use by <strong>admin</strong> since" in seen.text
    assert _actions(seen.text) == [], "no buttons while someone else has it open"
    assert f'action="/staff/transactions/{number}/edit"' not in seen.text
    lock = ill_store.current_lock(number)
    assert lock is not None and lock.holder == "admin"
    take = second_client.post(
        f"/staff/transactions/{number}/take", data={"csrf_token": csrf_token(seen.text)}
    )
    assert take.status_code == 303
    lock = ill_store.current_lock(number)
    assert lock is not None and lock.holder == "second"
    mine = second_client.get(take.headers["location"]).text
    assert "You have taken over this request." in mine
    assert Action.START_PROCESSING.value in _actions(mine)
    assert (
        "In use by <strong>second</strong>"
        in staff_client.get(f"/staff/transactions/{number}").text
    )


def test_an_action_on_a_request_someone_else_holds_is_refused_with_a_message(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    ill_store.take_lock(number, "intruder", force=True)
    answer = staff_client.post(
        f"/staff/transactions/{number}/action",
        data={
            "action": "start_processing",
            "expected_version": _version(page),
            "csrf_token": csrf_token(page),
        },
    )
    assert answer.status_code == 409
    assert "intruder has had this transaction open since" in answer.text
    assert ill_store.get_transaction(number).status is Status.AWAITING_REQUEST_PROCESSING


def test_a_stale_version_is_refused(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    ill_store.add_note(number, "admin", "unrelated")
    ill_store.apply_action(number, Action.START_PROCESSING, "admin")
    answer = staff_client.post(
        f"/staff/transactions/{number}/action",
        data={
            "action": "cancel",
            "expected_version": _version(page),
            "csrf_token": csrf_token(page),
        },
    )
    assert answer.status_code == 409
    assert "Someone changed this request after you opened it" in answer.text
    assert ill_store.get_transaction(number).status is Status.REQUEST_IN_PROCESSING
    edit = staff_client.post(
        f"/staff/transactions/{number}/edit",
        data={
            "title": "Changed",
            "expected_version": _version(page),
            "csrf_token": csrf_token(page),
        },
    )
    assert edit.status_code == 409
    assert 'value="Changed"' in edit.text, "what was typed is kept"
    assert ill_store.get_transaction(number).citation.title == "A Book to Borrow"


def test_an_action_the_workflow_refuses_is_a_message(staff_client: TestClient, number: int) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    answer = staff_client.post(
        f"/staff/transactions/{number}/action",
        data={
            "action": "check_in",
            "expected_version": _version(page),
            "csrf_token": csrf_token(page),
        },
    )
    assert answer.status_code == 409
    assert "is not possible for a borrowing request in" in answer.text
    unknown = staff_client.post(
        f"/staff/transactions/{number}/action",
        data={"action": "fly", "expected_version": _version(page), "csrf_token": csrf_token(page)},
    )
    assert unknown.status_code == 400 and "There is no such action." in unknown.text


def test_an_exhausted_lender_string_is_a_message(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    for action in (
        Action.SEND_REQUEST,
        Action.CANNOT_FILL,
        Action.SEND_REQUEST,
        Action.CANNOT_FILL,
    ):
        assert press(staff_client, number, action).status_code == 303
    answer = press(staff_client, number, Action.SEND_REQUEST)
    assert answer.status_code == 409
    assert "Every lender in the lender string (US-CST, US-MH) has been tried." in answer.text


def test_the_citation_is_edited_and_bad_fields_are_marked(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    good = {
        "title": "A Better Title",
        "author": "Writer, A.",
        "isbn": "978-0-86369-318-2",
        "issn": "",
        "lender_string": "US-MH, US-NIC",
        "not_wanted_after": "2030-01-31",
        "max_cost": "12.50",
        "expected_version": _version(page),
        "csrf_token": csrf_token(page),
    }
    bad = {**good, "isbn": "12345", "issn": "abc", "lender_string": "US-MH, XX-NONE",
           "not_wanted_after": "31/01/2030", "max_cost": "lots", "oclc_number": "x1"}  # fmt: skip
    refused = staff_client.post(f"/staff/transactions/{number}/edit", data=bad)
    assert refused.status_code == 400
    for message in (
        "An ISBN has 10 or 13 digits",
        "An ISSN has 8 characters",
        "Not a partner: XX-NONE.",
        "Give a date as YYYY-MM-DD.",
        "Give an amount such as 25 or 12.50.",
        "An OCLC number is digits",
    ):
        assert message in refused.text
    assert 'value="A Better Title"' in refused.text and 'value="lots"' in refused.text
    assert ill_store.get_transaction(number).citation.title == "A Book to Borrow"
    saved = staff_client.post(f"/staff/transactions/{number}/edit", data=good)
    assert saved.status_code == 303
    transaction = ill_store.get_transaction(number)
    assert transaction.citation.title == "A Better Title"
    assert transaction.lender_string == ("US-MH", "US-NIC")
    assert str(transaction.citation.max_cost) == "12.50"
    assert "The request was saved." in staff_client.get(saved.headers["location"]).text


def test_notes_are_added_patron_visible_or_not(
    staff_client: TestClient, ill_store: IllStore, number: int
) -> None:
    page = staff_client.get(f"/staff/transactions/{number}").text
    token = csrf_token(page)
    empty = staff_client.post(
        f"/staff/transactions/{number}/note", data={"text": "  ", "csrf_token": token}
    )
    assert empty.status_code == 400 and "Write the note first." in empty.text
    staff_client.post(
        f"/staff/transactions/{number}/note",
        data={
            "text": "Called the lender <b>today</b>",
            "patron_visible": "on",
            "csrf_token": token,
        },
    )
    staff_client.post(
        f"/staff/transactions/{number}/note", data={"text": "Internal", "csrf_token": token}
    )
    notes = ill_store.notes(number)
    assert [(note.text, note.patron_visible) for note in notes[-2:]] == [
        ("Called the lender <b>today</b>", True),
        ("Internal", False),
    ]
    html = staff_client.get(f"/staff/transactions/{number}").text
    assert "Called the lender &lt;b&gt;today&lt;/b&gt;" in html and "patron sees this" in html


def test_a_script_in_a_title_is_shown_as_text(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    number = _new_borrowing(ill_store, title='<script>alert("x")</script>')
    html = staff_client.get(f"/staff/transactions/{number}").text
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_read_only_staff_see_the_request_without_buttons(
    reader_client: TestClient, ill_store: IllStore, number: int
) -> None:
    html = reader_client.get(f"/staff/transactions/{number}").text
    assert "A Book to Borrow" in html
    assert _actions(html) == []
    assert f'action="/staff/transactions/{number}/edit"' not in html
    assert f'action="/staff/transactions/{number}/note"' not in html
    assert ill_store.current_lock(number) is None, "looking does not lock"
    assert "(read only)" in html


@pytest.mark.parametrize("path", ["action", "edit", "note", "take", "release"])
def test_read_only_staff_cannot_change_a_request(
    reader_client: TestClient, ill_store: IllStore, number: int, path: str
) -> None:
    page = reader_client.get(f"/staff/transactions/{number}").text
    data = {"action": "cancel", "expected_version": "1", "text": "x", "title": "x",
            "csrf_token": csrf_token(page)}  # fmt: skip
    answer = reader_client.post(f"/staff/transactions/{number}/{path}", data=data)
    assert answer.status_code == 403
    assert ill_store.get_transaction(number).status is Status.AWAITING_REQUEST_PROCESSING


def test_an_unknown_request_is_not_found(staff_client: TestClient) -> None:
    assert staff_client.get("/staff/transactions/999999").status_code == 404
