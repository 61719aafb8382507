"""The ISO 18626 adapter: every outgoing kind rendered (valid against its version's XSD),
NotApplicable where 18626 has no message, and how confirmations and HTTP failures become
sent / tried again / refused. ``logged_callbacks``: idempotency in the message log."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from shelfnet.config import Iso18626Settings, Settings
from shelfnet.ill.messaging.iso18626 import (
    Busy,
    Iso18626Adapter,
    log_key,
    logged_callbacks,
    retryable,
)
from shelfnet.ill.messaging.model import (
    Direction,
    Message,
    MessageKind,
    MessageState,
    Outgoing,
)
from shelfnet.ill.messaging.outbox import MessageOutbox
from shelfnet.ill.messaging.ports import NotApplicable, SendError
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
from shelfnet.ill.protocols.iso18626.client import ConfirmationError
from shelfnet.ill.protocols.iso18626.endpoint import answer
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    ConfirmationHeader,
    ErrorData,
    ErrorType,
    Header,
    MessageStatus,
    ReasonForMessage,
    RequestConfirmation,
    RequestingAction,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessage,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.tables import MessageRow
from shelfnet.ill.workflow import Action, Status

K = MessageKind
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SCHEMAS = Path("/work/shared/schemas")
XSD = {Version.V1_2: "ISO-18626-v1_2.xsd", Version.V2021: "ISO-18626-2021-2.xsd"}
PARTNER = Partner(
    symbol="US-B",
    protocol=PartnerProtocol.ISO18626,
    endpoint="http://lender.example/iso18626",
    shared_secret="s3cret",
)


def settings_for(version: str = "1.2", symbol: str = "US-A") -> Settings:
    base = Settings()
    return replace(
        base,
        ill=replace(base.ill, symbol=symbol),
        iso18626=Iso18626Settings(version=version),
    )


@pytest.fixture
def store(tmp_path: Path) -> IllStore:
    opened = open_ill_store(str(tmp_path / "ill.sqlite"))
    opened.create_partner(PARTNER)
    return opened


def adapter_for(
    store: IllStore, version: str = "1.2", transport: httpx.AsyncBaseTransport | None = None
) -> Iso18626Adapter:
    return Iso18626Adapter(
        store, MessagingSettings(symbol="US-A"), settings_for(version), transport=transport
    )


def transaction(
    store: IllStore,
    process: ProcessType,
    request_type: RequestType = RequestType.LOAN,
    partner: str = "US-B",
) -> Transaction:
    citation = (
        Citation(journal_title="J. Whales", article_title="Clicks", issn="1234-5678")
        if request_type is RequestType.COPY
        else Citation(title="Moby-Dick", author="Melville", isbn="9780142437247")
    )
    draft = TransactionDraft(
        process,
        request_type,
        DocumentType.ARTICLE if request_type is RequestType.COPY else DocumentType.BOOK,
        citation,
        partner=partner,
        external_id="77" if process is ProcessType.LENDING else "",
    )
    made = store.create_transaction(draft, "staff")
    return replace(made, due_date=NOW.date() + timedelta(days=28))


BORROWING_KINDS = {
    K.REQUEST: "request",
    K.CONDITIONS_ACCEPTED: "requesting:Notification",
    K.CONDITIONS_REFUSED: "requesting:Cancel",
    K.RECEIVED: "requesting:Received",
    K.RETURNED: "requesting:ShippedReturn",
    K.CANCEL: "requesting:Cancel",
    K.RENEW: "requesting:Renew",
}
LENDING_KINDS = {
    K.SHIPPED: "supplying:Loaned",
    K.UNFILLED: "supplying:Unfilled",
    K.CONDITIONAL: "supplying:RetryPossible",
    K.CHECKED_IN: "supplying:LoanCompleted",
    K.RENEW_ANSWER: "supplying:Loaned",
    K.CANCEL_REPLY: "supplying:Cancelled",
    K.CANCEL_REFUSED: "supplying:RequestReceived",
}


def validate(raw: bytes, version: Version) -> None:
    path = SCHEMAS / XSD[version]
    if not path.exists():
        pytest.skip(f"no {path}")
    import xmlschema

    xmlschema.XMLSchema(str(path)).validate(raw.decode())


@pytest.mark.parametrize("version", ["1.2", "2021"])
def test_every_kind_is_rendered_and_valid(store: IllStore, version: str) -> None:
    adapter = adapter_for(store, version)
    borrowing = transaction(store, ProcessType.BORROWING)
    lending = transaction(store, ProcessType.LENDING)
    for kinds, subject in ((BORROWING_KINDS, borrowing), (LENDING_KINDS, lending)):
        for kind, expected in kinds.items():
            rendered = adapter.render(Outgoing(kind, "a note"), subject, PARTNER, NOW)
            assert rendered.kind == expected, kind
            assert rendered.summary.startswith(f"ISO 18626 {version}: ")
            envelope = parse_message(rendered.raw)
            assert envelope.version is Version(version)
            message = envelope.message
            assert not isinstance(message, RequestConfirmation)
            header = message.header
            assert str(header.requesting_agency_id) in ("ISIL:US-A", "ISIL:US-B")
            validate(rendered.raw, Version(version))
    unfilled = parse_message(
        adapter.render(Outgoing(K.UNFILLED, ""), lending, PARTNER, NOW).raw
    ).message
    assert isinstance(unfilled, SupplyingAgencyMessage)
    assert unfilled.header.requesting_agency_request_id == "77"
    assert unfilled.header.supplying_agency_request_id == str(lending.id)


def test_agencies_and_authentication(store: IllStore) -> None:
    adapter = adapter_for(store)
    borrowing = transaction(store, ProcessType.BORROWING)
    received = parse_message(
        adapter.render(Outgoing(K.RECEIVED, ""), borrowing, PARTNER, NOW).raw
    ).message
    assert isinstance(received, RequestingAgencyMessage)
    header = received.header
    assert (header.requesting_agency_id.type, header.requesting_agency_id.value) == (
        "ISIL",
        "US-A",
    )
    assert header.supplying_agency_id is not None
    assert header.supplying_agency_id.value == "US-B"
    assert header.requesting_agency_request_id == str(borrowing.id)
    assert header.authentication is not None
    assert header.authentication.security_code == "s3cret"


def test_copy_shipped_carries_delivery_info(store: IllStore) -> None:
    adapter = adapter_for(store)
    lending = transaction(store, ProcessType.LENDING, RequestType.COPY)
    shipped = parse_message(
        adapter.render(Outgoing(K.SHIPPED, "PDF by mail"), lending, PARTNER, NOW).raw
    ).message
    assert isinstance(shipped, SupplyingAgencyMessage)
    assert shipped.status_info.status.value == "CopyCompleted"
    assert shipped.status_info.due_date is None
    assert shipped.delivery_info is not None
    assert shipped.delivery_info.item_id == f"US-A:{lending.id}"
    assert shipped.message_info.note == "PDF by mail"


def test_not_applicable(store: IllStore) -> None:
    adapter = adapter_for(store)
    borrowing = transaction(store, ProcessType.BORROWING)
    lending = transaction(store, ProcessType.LENDING)
    for kind in LENDING_KINDS:
        with pytest.raises(NotApplicable):
            adapter.render(Outgoing(kind), borrowing, PARTNER, NOW)
    for kind in BORROWING_KINDS:
        with pytest.raises(NotApplicable):
            adapter.render(Outgoing(kind), lending, PARTNER, NOW)
    with pytest.raises(NotApplicable):
        adapter.render(Outgoing(K.SHIPPED), replace(lending, external_id=""), PARTNER, NOW)


# Sending


def outgoing_message(raw: bytes, kind: str = "requesting:Received") -> Message:
    return Message(
        id=1,
        key="out:1:received",
        transaction_id=1,
        direction=Direction.OUT,
        protocol="iso18626",
        partner="US-B",
        kind=kind,
        raw=raw,
        summary="",
        state=MessageState.QUEUED,
        attempts=0,
        next_attempt=NOW,
        last_error="",
        created=NOW,
        done=None,
    )


def confirm(request: httpx.Request, errors: tuple[ErrorData, ...] = ()) -> httpx.Response:
    status = MessageStatus.ERROR if errors else MessageStatus.OK
    confirmation = RequestConfirmation(ConfirmationHeader(NOW, NOW, status), errors)
    return httpx.Response(200, content=write_message(confirmation, Version.V1_2))


def send(store: IllStore, handler: httpx.MockTransport, kind: str = "requesting:Received") -> None:
    adapter = adapter_for(store, transport=handler)
    borrowing = transaction(store, ProcessType.BORROWING)
    raw = adapter.render(Outgoing(K.RECEIVED), borrowing, PARTNER, NOW).raw

    async def main() -> None:
        try:
            await adapter.send(PARTNER, outgoing_message(raw, kind))
        finally:
            await adapter.aclose()

    asyncio.run(main())


def test_ok_confirmation_is_sent_with_bearer(store: IllStore) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return confirm(request)

    send(store, httpx.MockTransport(handler))
    [request] = seen
    assert str(request.url) == PARTNER.endpoint
    assert request.headers["authorization"] == "Bearer s3cret"
    assert b"<securityCode>s3cret</securityCode>" in request.content


def test_error_confirmation_is_a_refusal(store: IllStore) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return confirm(request, (ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE, "action: X"),))

    with pytest.raises(SendError) as raised:
        send(store, httpx.MockTransport(handler))
    assert raised.value.permanent
    assert "UnrecognisedDataValue" in str(raised.value)


def test_an_unknown_request_id_is_tried_again(store: IllStore) -> None:
    unknown = ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyRequestId: 9")

    def handler(request: httpx.Request) -> httpx.Response:
        return confirm(request, (unknown,))

    with pytest.raises(SendError) as raised:
        send(store, httpx.MockTransport(handler))
    assert not raised.value.permanent
    error = ConfirmationError(
        RequestConfirmation(ConfirmationHeader(NOW, NOW, MessageStatus.ERROR), (unknown,))
    )
    assert not retryable(error, outgoing_message(b"", "request"))


@pytest.mark.parametrize(
    ("status", "permanent"), [(503, False), (500, False), (429, False), (404, True)]
)
def test_http_failures(store: IllStore, status: int, permanent: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=b"no")

    with pytest.raises(SendError) as raised:
        send(store, httpx.MockTransport(handler))
    assert raised.value.permanent is permanent


def test_network_failure_is_tried_again(store: IllStore) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SendError) as raised:
        send(store, httpx.MockTransport(handler))
    assert not raised.value.permanent


def test_a_bad_endpoint_is_a_refusal(store: IllStore) -> None:
    adapter = adapter_for(store)

    async def main() -> None:
        await adapter.send(replace(PARTNER, endpoint="lender.example:1611"), outgoing_message(b""))

    with pytest.raises(SendError) as raised:
        asyncio.run(main())
    assert raised.value.permanent


# The incoming side


def test_logged_callbacks_idempotent_across_restarts(store: IllStore) -> None:
    """A request POSTed twice, the second time to new callbacks (a restart), files one
    lending transaction and one log line; the log line holds the transaction and the XML."""
    store.create_partner(replace(PARTNER, symbol="US-C", endpoint="http://c.example/"))
    sender = adapter_for(store)
    sender.ours = replace(sender.ours, value="US-C")
    borrowing = transaction(store, ProcessType.BORROWING)
    raw = sender.render(Outgoing(K.REQUEST), borrowing, PARTNER, NOW).raw
    settings = settings_for(symbol="US-B")
    for _ in range(2):
        callbacks = logged_callbacks(store, settings)
        result = answer(raw, "", callbacks, NOW)
        assert result.status_code == 200
        confirmation = parse_message(result.body).message
        assert isinstance(confirmation, RequestConfirmation)
        assert confirmation.header.message_status is MessageStatus.OK
    outbox = MessageOutbox(store, MessagingSettings(), {})
    [logged] = outbox.messages(direction=Direction.IN)
    assert logged.state is MessageState.APPLIED and logged.kind == "request"
    assert logged.partner == "US-C" and logged.raw.startswith(b"<?xml")
    assert logged.transaction_id is not None
    lending = store.get_transaction(logged.transaction_id)
    assert lending.process_type is ProcessType.LENDING
    assert lending.status is Status.AWAITING_LENDING_REQUEST_PROCESSING
    assert lending.history[-1].by == "messaging"


def test_seen_takes_over_an_abandoned_line(store: IllStore) -> None:
    callbacks = logged_callbacks(store, settings_for())
    assert callbacks.seen("k1") is False
    with pytest.raises(Busy):
        callbacks.seen("k1")  # being filed by someone else right now
    outbox = MessageOutbox(store, MessagingSettings(), {})
    with outbox.writing() as session:
        session.execute(
            update(MessageRow)
            .where(MessageRow.key == log_key("k1"))
            .values(created=datetime.now(UTC) - timedelta(minutes=10))
        )
    assert callbacks.seen("k1") is False  # a crash left it: filed again
    assert callbacks.forget is not None
    callbacks.forget("k1")
    assert callbacks.seen("k1") is False
    assert log_key("x" * 400).startswith("in:iso18626:sha256:")
    assert len(log_key("x" * 400)) <= 255


def test_a_cancel_too_late_is_answered_no(store: IllStore) -> None:
    store.create_partner(replace(PARTNER, symbol="US-A", endpoint="http://a.example/"))
    lending = transaction(store, ProcessType.LENDING, partner="US-A")
    for action in (Action.SEARCH_STACKS, Action.PRINT_PULL_SLIP, Action.FILL):
        store.apply_action(lending.id, action, "staff")
    cancel = RequestingAgencyMessage(
        Header(
            requesting_agency_id=AgencyId("ISIL", "US-A"),
            requesting_agency_request_id="77",
            timestamp=NOW,
            supplying_agency_id=AgencyId("ISIL", "US-B"),
            supplying_agency_request_id=str(lending.id),
        ),
        RequestingAction.CANCEL,
    )
    raw = write_message(cancel, Version.V1_2)
    callbacks = logged_callbacks(store, settings_for(symbol="US-B"))
    confirmation = parse_message(answer(raw, "Bearer s3cret", callbacks, NOW).body).message
    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.header.message_status is MessageStatus.OK
    assert store.get_transaction(lending.id).status is Status.ITEM_SHIPPED
    outbox = MessageOutbox(store, MessagingSettings(), {})
    [logged] = outbox.messages(direction=Direction.IN)
    assert logged.transaction_id == lending.id and logged.kind == "requesting:Cancel"
    [reply] = outbox.messages(direction=Direction.OUT)
    assert reply.kind == "supplying:Loaned" and reply.state is MessageState.QUEUED
    answered = parse_message(reply.raw).message
    assert isinstance(answered, SupplyingAgencyMessage)
    assert answered.message_info.answer_yes_no is False
    assert answered.message_info.reason_for_message is ReasonForMessage.CANCEL_RESPONSE
