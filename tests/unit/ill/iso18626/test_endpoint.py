"""The listener's protocol (``endpoint.answer``) over a real store: requests become lending
transactions, partners' messages move transactions, and every refusal is a confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Partner,
    PartnerProtocol,
    ProcessType,
    RequestType,
    TransactionDraft,
)
from shelfnet.ill.protocols.iso18626.backend import store_callbacks
from shelfnet.ill.protocols.iso18626.callbacks import Callbacks
from shelfnet.ill.protocols.iso18626.endpoint import Answer, answer
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Authentication,
    ErrorType,
    Header,
    Message,
    MessageInfo,
    MessageStatus,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestingAction,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    StatusInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    SupplyStatus,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Action, Status
from tests.unit.ill.iso18626.test_writer import full_request

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NYU = AgencyId("ISIL", "US-NYU")
CST = AgencyId("ISIL", "US-CST")
SECRET = Authentication("nyu", "s3cret")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IllStore]:
    with open_ill_store(tmp_path / "ill.sqlite", clock=lambda: NOW) as store:
        for symbol in ("US-NYU", "US-YALE"):
            store.create_partner(
                Partner(symbol, protocol=PartnerProtocol.ISO18626, shared_secret="s3cret")
            )
        store.create_partner(Partner("US-NOSECRET", protocol=PartnerProtocol.ISO18626))
        yield store


@pytest.fixture
def callbacks(store: IllStore) -> Callbacks:
    return store_callbacks(store)


def send(
    callbacks: Callbacks, message: Message, version: Version = Version.V1_2, authorization: str = ""
) -> tuple[Answer, Message]:
    result = answer(write_message(message, version), authorization, callbacks, NOW)
    envelope = parse_message(result.body)
    assert envelope.version is version
    return result, envelope.message


def request_from(
    agency: AgencyId = NYU, number: str = "NYU-42", auth: Authentication | None = SECRET
) -> Request:
    request = full_request()
    return replace(
        request,
        header=replace(
            request.header,
            requesting_agency_id=agency,
            requesting_agency_request_id=number,
            authentication=auth,
        ),
    )


@pytest.mark.parametrize("version", list(Version))
def test_a_request_becomes_a_lending_transaction(
    store: IllStore, callbacks: Callbacks, version: Version
) -> None:
    result, confirmation = send(callbacks, request_from(), version)
    assert result.status_code == 200
    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.header.message_status is MessageStatus.OK
    assert confirmation.header.requesting_agency_request_id == "NYU-42"
    [item] = store.search(process_type=ProcessType.LENDING)
    transaction = store.get_transaction(item.id)
    assert (transaction.partner, transaction.external_id) == ("US-NYU", "NYU-42")
    assert transaction.citation.article_title == "On things"
    assert any("ISO 18626 request: NYU-42" in note.text for note in store.notes(item.id))


def test_the_same_request_twice_makes_one_transaction(
    store: IllStore, callbacks: Callbacks
) -> None:
    first, _ = send(callbacks, request_from())
    second, confirmation = send(callbacks, request_from())
    assert first.body == second.body
    assert confirmation.header.message_status is MessageStatus.OK  # type: ignore[union-attr]
    assert len(store.search(process_type=ProcessType.LENDING)) == 1


def test_a_request_seen_before_a_restart_is_not_filed_again(store: IllStore) -> None:
    send(store_callbacks(store), request_from())
    send(store_callbacks(store), request_from())
    assert len(store.search(process_type=ProcessType.LENDING)) == 1


@pytest.mark.parametrize(
    ("agency", "auth", "authorization"),
    [
        (AgencyId("ISIL", "US-NOBODY"), SECRET, ""),
        (NYU, Authentication("nyu", "wrong"), ""),
        (NYU, None, ""),
        (AgencyId("ISIL", "US-NOSECRET"), Authentication("", ""), ""),
    ],
    ids=["unknown-agency", "wrong-secret", "no-secret", "partner-without-secret"],
)
def test_a_partner_that_cannot_be_authenticated_is_refused(
    store: IllStore,
    callbacks: Callbacks,
    agency: AgencyId,
    auth: Authentication | None,
    authorization: str,
) -> None:
    result, confirmation = send(
        callbacks, request_from(agency, auth=auth), authorization=authorization
    )
    assert result.status_code == 200
    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.header.message_status is MessageStatus.ERROR
    assert confirmation.errors[0].error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert confirmation.errors[0].error_value == f"requestingAgencyId: {agency}"
    assert store.search(process_type=ProcessType.LENDING) == []


def test_the_secret_may_come_as_a_bearer_token(store: IllStore, callbacks: Callbacks) -> None:
    _, confirmation = send(callbacks, request_from(auth=None), authorization="Bearer s3cret")
    assert confirmation.header.message_status is MessageStatus.OK  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"<a/>", b"<?xml version='1.0'?><ISO18626Message/>"]
)
def test_a_badly_formed_message_gets_badly_formed_message(
    callbacks: Callbacks, data: bytes
) -> None:
    result = answer(data, "", callbacks, NOW)
    confirmation = parse_message(result.body).message
    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.errors[0].error_type is ErrorType.BADLY_FORMED_MESSAGE


def test_an_error_is_confirmed_in_the_peers_version_and_kind(callbacks: Callbacks) -> None:
    message = RequestingAgencyMessage(
        Header(NYU, "NYU-42", NOW, CST, authentication=SECRET), RequestingAction.SHIPPED_FORWARD
    )
    _result, confirmation = send(callbacks, message, Version.V2021)
    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.errors[0].error_type is ErrorType.UNSUPPORTED_ACTION_TYPE


def _lending(store: IllStore, callbacks: Callbacks) -> int:
    send(callbacks, request_from())
    [item] = store.search(process_type=ProcessType.LENDING)
    return item.id


def test_a_borrowers_cancel_cancels_the_lending_transaction(
    store: IllStore, callbacks: Callbacks
) -> None:
    number = _lending(store, callbacks)
    message = RequestingAgencyMessage(
        Header(NYU, "NYU-42", NOW, CST, authentication=SECRET),
        RequestingAction.CANCEL,
        "Patron left",
    )
    _result, confirmation = send(callbacks, message)
    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.header.message_status is MessageStatus.OK
    assert confirmation.action is RequestingAction.CANCEL
    assert store.get_transaction(number).status is Status.CANCELLED_BY_ILL_STAFF


def test_a_message_about_an_unknown_request_is_refused(callbacks: Callbacks) -> None:
    message = RequestingAgencyMessage(
        Header(NYU, "NYU-404", NOW, CST, authentication=SECRET), RequestingAction.RECEIVED
    )
    _, confirmation = send(callbacks, message)
    assert confirmation.errors[0].error_type is ErrorType.UNRECOGNISED_DATA_VALUE  # type: ignore[union-attr]
    assert confirmation.errors[0].error_value == "requestingAgencyRequestId: NYU-404"  # type: ignore[union-attr]


def test_a_message_from_another_partner_cannot_touch_a_transaction(
    store: IllStore, callbacks: Callbacks
) -> None:
    number = _lending(store, callbacks)
    yale = AgencyId("ISIL", "US-YALE")
    message = RequestingAgencyMessage(
        Header(
            yale, "NYU-42", NOW, CST, supplying_agency_request_id=str(number), authentication=SECRET
        ),
        RequestingAction.CANCEL,
    )
    _, confirmation = send(callbacks, message)
    assert confirmation.header.message_status is MessageStatus.ERROR  # type: ignore[union-attr]
    assert store.get_transaction(number).status is Status.AWAITING_LENDING_REQUEST_PROCESSING


def _borrowing(store: IllStore) -> int:
    draft = TransactionDraft(
        ProcessType.BORROWING,
        RequestType.LOAN,
        DocumentType.BOOK,
        Citation(title="Moby Dick"),
        lender_string=("US-NYU",),
    )
    transaction = store.create_transaction(draft, "staff")
    transaction = store.apply_action(transaction.id, Action.SEND_REQUEST, "staff")
    assert (transaction.status, transaction.partner) == (Status.REQUEST_SENT, "US-NYU")
    return transaction.id


def _lender_says(
    number: int,
    status: SupplyStatus,
    reason: ReasonForMessage,
    stamp: datetime = NOW,
    due: datetime | None = None,
) -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(
        Header(CST, str(number), stamp, NYU, supplying_agency_request_id="NYU-L-1"),
        MessageInfo(reason, note="from the lender"),
        StatusInfo(status, stamp, due_date=due),
    )


def test_a_lenders_loaned_then_unfilled_messages_move_the_borrowing_request(
    store: IllStore, callbacks: Callbacks
) -> None:
    number = _borrowing(store)
    loaned = _lender_says(
        number, SupplyStatus.LOANED, ReasonForMessage.STATUS_CHANGE, due=datetime(2027, 2, 1)
    )
    _, confirmation = send(callbacks, loaned, authorization="Bearer s3cret")
    assert isinstance(confirmation, SupplyingAgencyMessageConfirmation)
    assert confirmation.header.message_status is MessageStatus.OK
    transaction = store.get_transaction(number)
    assert transaction.status is Status.REQUEST_SENT
    assert transaction.external_id == "NYU-L-1"
    assert str(transaction.due_date) == "2027-02-01"
    unfilled = _lender_says(
        number,
        SupplyStatus.UNFILLED,
        ReasonForMessage.STATUS_CHANGE,
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    send(callbacks, unfilled, authorization="Bearer s3cret")
    assert store.get_transaction(number).status is Status.AWAITING_UNFILLED_PROCESSING


def test_a_repeated_lenders_message_changes_nothing(store: IllStore, callbacks: Callbacks) -> None:
    number = _borrowing(store)
    message = _lender_says(number, SupplyStatus.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    send(callbacks, message, authorization="Bearer s3cret")
    notes = len(store.notes(number))
    _, again = send(callbacks, message, authorization="Bearer s3cret")
    assert again.header.message_status is MessageStatus.OK  # type: ignore[union-attr]
    assert len(store.notes(number)) == notes


def test_a_move_the_workflow_refuses_becomes_a_note(store: IllStore, callbacks: Callbacks) -> None:
    number = _borrowing(store)
    message = _lender_says(number, SupplyStatus.LOAN_COMPLETED, ReasonForMessage.STATUS_CHANGE)
    _, confirmation = send(callbacks, message, authorization="Bearer s3cret")
    assert confirmation.header.message_status is MessageStatus.OK  # type: ignore[union-attr]
    assert store.get_transaction(number).status is Status.REQUEST_SENT
    assert any("checked the returned item in" in note.text for note in store.notes(number))


def test_a_failing_back_end_asks_the_sender_to_retry(callbacks: Callbacks) -> None:
    def broken(draft: TransactionDraft, message: object) -> int:
        raise RuntimeError("database down")

    failing = replace(callbacks, on_request=broken)
    assert answer(write_message(request_from(), Version.V1_2), "", failing, NOW) == Answer(503, b"")
    result, _ = send(callbacks, request_from())
    assert parse_message(result.body).message.header.message_status is MessageStatus.OK  # type: ignore[union-attr]
