"""The message outbox: which changes give messages, once each; tries, failure and resend.
On SQLite and PostgreSQL (``tests/unit/ill/conftest.py``) with a settable clock and a
stand-in protocol adapter."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from shelfnet.ill.messaging import states
from shelfnet.ill.messaging.mapping import outgoing_for
from shelfnet.ill.messaging.model import (
    Direction,
    Message,
    MessageKind,
    MessageState,
    Outgoing,
    Rendered,
)
from shelfnet.ill.messaging.ports import SendError
from shelfnet.ill.messaging.service import MessagingService
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Partner,
    PartnerProtocol,
    ProcessType,
    RequestType,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.protocols.isoill.protocol import Transaction as ProtocolState
from shelfnet.ill.protocols.isoill.states import Role, State
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Action, Status
from tests.unit.ill.conftest import Clock

B, L = ProcessType.BORROWING, ProcessType.LENDING
S = Status
K = MessageKind


@dataclass
class FakeAdapter:
    """Renders the kind as bytes; ``failures`` says how the next sends fail."""

    protocol: str = "isoill"
    failures: list[SendError] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)

    def render(
        self, outgoing: Outgoing, transaction: Transaction, partner: Partner, now: datetime
    ) -> Rendered:
        return Rendered(outgoing.kind.value, outgoing.kind.value.encode(), outgoing.note)

    async def send(self, partner: Partner, message: Message) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


@pytest.fixture
def adapter() -> FakeAdapter:
    return FakeAdapter()


@pytest.fixture
def service(store: IllStore, clock: Clock, adapter: FakeAdapter) -> MessagingService:
    store.create_partner(Partner("US-B", protocol=PartnerProtocol.ISOILL, endpoint="127.0.0.1:1"))
    store.create_partner(Partner("US-M", protocol=PartnerProtocol.MANUAL))
    settings = MessagingSettings(symbol="US-A")
    service = MessagingService(store, settings, adapters={"isoill": adapter}, clock=clock)
    service.prepare()
    return service


def send_request(store: IllStore, lender: str = "US-B") -> Transaction:
    draft = TransactionDraft(
        B, RequestType.LOAN, DocumentType.BOOK, Citation(title="Moby-Dick"),
        lender_string=(lender,),
    )  # fmt: skip
    transaction = store.create_transaction(draft, "staff")
    return store.apply_action(transaction.id, Action.SEND_REQUEST, "staff")


# The mapping


@pytest.mark.parametrize(
    ("process", "from_status", "to_status", "request_type", "by_partner", "kind"),
    [
        (B, S.REQUEST_IN_PROCESSING, S.REQUEST_SENT, RequestType.LOAN, False, K.REQUEST),
        (B, S.AWAITING_UNFILLED_PROCESSING, S.REQUEST_SENT, RequestType.LOAN, False, K.REQUEST),
        (B, S.AWAITING_CONDITIONAL_REQUEST_PROCESSING, S.REQUEST_SENT, RequestType.LOAN, False,
         K.CONDITIONS_ACCEPTED),
        (B, S.REQUEST_SENT, S.AWAITING_POST_RECEIPT_PROCESSING, RequestType.COPY, False,
         K.RECEIVED),
        (B, S.AWAITING_RETURN_PROCESSING, S.AWAITING_RETURN_LABEL_PRINTING, RequestType.LOAN,
         False, K.RETURNED),
        (B, S.REQUEST_SENT, S.CANCELLED_BY_ILL_STAFF, RequestType.LOAN, False, K.CANCEL),
        (B, S.CHECKED_OUT_TO_CUSTOMER, S.RENEWAL_REQUESTED_BY_CUSTOMER, RequestType.LOAN, False,
         K.RENEW),
        (L, S.IN_STACKS_SEARCHING, S.ITEM_SHIPPED, RequestType.LOAN, False, K.SHIPPED),
        (L, S.AWAITING_LENDING_RENEWAL_PROCESSING, S.ITEM_SHIPPED, RequestType.LOAN, False,
         K.RENEW_ANSWER),
        (L, S.IN_STACKS_SEARCHING, S.CANCELLED_BY_ILL_STAFF, RequestType.LOAN, False,
         K.UNFILLED),
        (L, S.IN_STACKS_SEARCHING, S.CANCELLED_BY_ILL_STAFF, RequestType.LOAN, True,
         K.CANCEL_REPLY),
        (L, S.IN_STACKS_SEARCHING, S.REQUEST_CONDITIONALIZED, RequestType.LOAN, False,
         K.CONDITIONAL),
        (L, S.ITEM_SHIPPED, S.REQUEST_FINISHED, RequestType.LOAN, False, K.CHECKED_IN),
        (L, S.ITEM_SHIPPED, S.REQUEST_FINISHED, RequestType.COPY, False, None),
        (L, S.ITEM_SHIPPED, S.REQUEST_FINISHED, RequestType.LOAN, True, None),
        (B, S.REQUEST_SENT, S.AWAITING_UNFILLED_PROCESSING, RequestType.LOAN, True, None),
        (B, None, S.AWAITING_REQUEST_PROCESSING, RequestType.LOAN, False, None),
    ],
)  # fmt: skip
def test_the_mapping_names_the_message_of_each_change(
    process: ProcessType,
    from_status: Status | None,
    to_status: Status,
    request_type: RequestType,
    by_partner: bool,
    kind: MessageKind | None,
) -> None:
    found = outgoing_for(process, from_status, to_status, request_type, by_partner=by_partner)
    assert (found.kind if found else None) is kind


def test_the_action_label_is_not_sent_as_a_note_but_staff_words_are() -> None:
    plain = outgoing_for(L, S.IN_STACKS_SEARCHING, S.ITEM_SHIPPED, RequestType.COPY,
                         by_partner=False, note="Fill")  # fmt: skip
    worded = outgoing_for(L, S.IN_STACKS_SEARCHING, S.ITEM_SHIPPED, RequestType.COPY,
                          by_partner=False, note="Sent by Ariel")  # fmt: skip
    assert plain is not None and plain.note == ""
    assert worded is not None and worded.note == "Sent by Ariel"


# Queueing


def test_a_status_change_queues_its_message_once(
    store: IllStore, service: MessagingService
) -> None:
    request = send_request(store)
    assert service.outbox.scan() == 1
    assert service.outbox.scan() == 0
    other = MessagingService(
        store, service.settings, adapters=service.adapters, clock=service._clock
    )
    assert other.outbox.scan() == 0
    [message] = service.outbox.messages()
    assert message.transaction_id == request.id
    assert (message.direction, message.kind, message.partner) == (Direction.OUT, "request", "US-B")
    assert message.state is MessageState.QUEUED


def test_changes_made_before_messaging_started_give_nothing(
    store: IllStore, clock: Clock, adapter: FakeAdapter
) -> None:
    store.create_partner(Partner("US-B", protocol=PartnerProtocol.ISOILL, endpoint="h:1"))
    send_request(store)
    service = MessagingService(
        store, MessagingSettings(symbol="US-A"), adapters={"isoill": adapter}, clock=clock
    )
    service.prepare()
    assert service.outbox.scan() == 0


def test_partners_without_a_protocol_get_no_messages(
    store: IllStore, service: MessagingService
) -> None:
    send_request(store, lender="US-M")
    send_request(store, lender="US-UNKNOWN")
    assert service.outbox.scan() == 0


# Sending


def test_a_message_is_sent_once(
    store: IllStore, service: MessagingService, adapter: FakeAdapter
) -> None:
    send_request(store)
    report = asyncio.run(service.run_once())
    assert (report.queued, report.sent, report.failed) == (1, 1, 0)
    asyncio.run(service.run_once())
    assert len(adapter.sent) == 1
    [message] = service.outbox.messages()
    assert message.state is MessageState.SENT and message.attempts == 1


def test_four_tries_over_forty_minutes_then_sending_failed_then_resend(
    store: IllStore, service: MessagingService, adapter: FakeAdapter, clock: Clock
) -> None:
    send_request(store)
    adapter.failures = [SendError("down") for _ in range(4)]
    start = clock.now
    tried_at = []
    for _ in range(60):
        before = len(adapter.failures)
        asyncio.run(service.run_once())
        if len(adapter.failures) < before:
            tried_at.append(clock.now - start)
        clock.tick(60)
    assert tried_at == [timedelta(minutes=m) for m in (0, 5, 15, 40)]
    [message] = service.outbox.messages()
    assert message.state is MessageState.FAILED and message.attempts == 4
    assert message.last_error == "down"

    assert service.resend(message.id)
    asyncio.run(service.run_once())
    assert service.outbox.get_message(message.id).state is MessageState.SENT
    assert not service.resend(message.id)


def test_a_refusal_fails_at_once(
    store: IllStore, service: MessagingService, adapter: FakeAdapter
) -> None:
    send_request(store)
    adapter.failures = [SendError("refused", permanent=True)]
    asyncio.run(service.run_once())
    [message] = service.outbox.messages()
    assert message.state is MessageState.FAILED and message.attempts == 1


def test_a_leased_message_is_not_claimed_twice(store: IllStore, service: MessagingService) -> None:
    send_request(store)
    service.outbox.scan()
    first = service.outbox.claim("one", limit=10, lease=timedelta(minutes=5))
    second = service.outbox.claim("two", limit=10, lease=timedelta(minutes=5))
    assert len(first.messages) == 1 and second.messages == ()
    assert not service.outbox.mark_sent(first.messages[0].id, "two")
    assert service.outbox.mark_sent(first.messages[0].id, "one")


# Protocol state


def test_protocol_state_survives_a_restart(store: IllStore, service: MessagingService) -> None:
    key = ("US-A", "", "7", "")
    state = ProtocolState(state=State.SHIPPED, previous=State.PENDING, requested="20240501")
    with service.outbox.writing() as session:
        states.save(session, Role.REQUESTER, key, state, transaction_id=7)
    again = MessagingService(store, service.settings, adapters=service.adapters)
    loaded = again.inbox.load_state(Role.REQUESTER, key)
    assert loaded is not None
    assert (loaded.state, loaded.previous, loaded.requested) == (
        State.SHIPPED, State.PENDING, "20240501",
    )  # fmt: skip
    assert again.inbox.load_state(Role.RESPONDER, key) is None
