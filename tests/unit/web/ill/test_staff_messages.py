"""The staff request page shows the messages exchanged with partners, and a message whose
sending failed can be sent again from there."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from shelfnet.ill.messaging.model import MessageState
from shelfnet.ill.messaging.outbox import MessageOutbox
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import MessageRow
from tests.unit.web.ill.pages import csrf_token


def _failed_message(store: IllStore) -> tuple[int, int]:
    made = store.create_transaction(
        TransactionDraft(
            ProcessType.BORROWING,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title="Giant Steps"),
            lender_string=("US-LEN",),
        ),
        by="admin",
    )
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    with store.write_engine.begin() as connection:
        result = connection.execute(
            MessageRow.__table__.insert().values(
                key=f"out:test:{made.id}",
                transaction_id=made.id,
                direction="out",
                protocol="isoill",
                partner="US-LEN",
                kind="ill-request",
                raw=b"",
                summary="ILL-Request",
                state="failed",
                attempts=4,
                next_attempt=None,
                last_error="connection refused",
                created=now,
                done=None,
            )
        )
        message_id = result.inserted_primary_key[0]
    return made.id, message_id


def test_a_failed_message_is_shown_and_can_be_sent_again(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    number, message_id = _failed_message(ill_store)
    page = staff_client.get(f"/staff/transactions/{number}")
    assert page.status_code == 200
    assert "sending failed" in page.text and "connection refused" in page.text
    action = f"/staff/transactions/{number}/messages/{message_id}/resend"
    assert action in page.text
    refused = staff_client.post(action)
    assert refused.status_code == 403, "Resend needs the form's CSRF token"
    answer = staff_client.post(action, data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 303
    outbox = MessageOutbox(ill_store, MessagingSettings(), {})
    assert outbox.get_message(message_id).state is MessageState.QUEUED


def test_resend_only_for_the_requests_own_messages(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    number, message_id = _failed_message(ill_store)
    page = staff_client.get(f"/staff/transactions/{number}")
    other = f"/staff/transactions/{number + 1000}/messages/{message_id}/resend"
    answer = staff_client.post(other, data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 404
