"""The client tells a refused message from one that may not have arrived."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.ill.protocols.iso18626.callbacks import Callbacks
from shelfnet.ill.protocols.iso18626.client import (
    ConfirmationError,
    DeliveryError,
    Iso18626Client,
)
from shelfnet.ill.protocols.iso18626.endpoint import answer
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Confirmation,
    ConfirmationHeader,
    ErrorData,
    ErrorType,
    Header,
    MessageStatus,
    RequestingAction,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from tests.unit.ill.iso18626.test_parser import mutated_messages

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MESSAGE = RequestingAgencyMessage(
    Header(AgencyId("ISIL", "US-NYU"), "5", NOW, AgencyId("ISIL", "US-CST")),
    RequestingAction.RECEIVED,
)


def _send(handler: httpx.MockTransport) -> Confirmation:
    async def go() -> Confirmation:
        async with httpx.AsyncClient(transport=handler) as http:
            return await Iso18626Client(http).send("http://partner.example/iso18626", MESSAGE)

    return asyncio.run(go())


def _answering(status: int, body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body))


def _confirmation(status: MessageStatus, errors: tuple[ErrorData, ...] = ()) -> bytes:
    header = ConfirmationHeader(NOW, NOW, status)
    confirmation = RequestingAgencyMessageConfirmation(header, RequestingAction.RECEIVED, errors)
    return write_message(confirmation, Version.V1_2)


def test_an_ok_confirmation_is_returned() -> None:
    confirmation = _send(_answering(200, _confirmation(MessageStatus.OK)))
    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)


def test_an_error_confirmation_is_a_confirmation_error() -> None:
    error = ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyRequestId: 5")
    with pytest.raises(ConfirmationError, match="UnrecognisedDataValue"):
        _send(_answering(200, _confirmation(MessageStatus.ERROR, (error,))))


@pytest.mark.parametrize(
    ("status", "body", "retry"),
    [(500, b"<html>oops</html>", True), (503, b"", True), (404, b"Not found", False)],
)
def test_an_answer_without_a_confirmation_is_a_delivery_error(
    status: int, body: bytes, retry: bool
) -> None:
    with pytest.raises(DeliveryError) as failed:
        _send(_answering(status, body))
    assert (failed.value.retry, failed.value.status_code) == (retry, status)


def test_a_message_for_an_answer_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="not a confirmation"):
        _send(_answering(200, write_message(MESSAGE, Version.V1_2)))


def test_a_network_failure_may_be_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError) as failed:
        _send(httpx.MockTransport(refuse))
    assert failed.value.retry


_NOTHING = Callbacks(
    on_request=lambda draft, message: 1,
    on_supplying_message=lambda message: None,
    on_requesting_message=lambda message: None,
    authenticate=lambda *credentials: True,
    seen=lambda key: False,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_the_endpoint_confirms_any_bytes(data: bytes) -> None:
    result = answer(data, "", _NOTHING, NOW)
    assert result.status_code == 200
    confirmation = parse_message(result.body).message
    assert confirmation.header.message_status is MessageStatus.ERROR  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(mutated_messages())
def test_the_endpoint_confirms_any_mutated_message(data: bytes) -> None:
    result = answer(data, "", _NOTHING, NOW)
    assert result.status_code == 200
    assert parse_message(result.body).version in (Version.V1_2, Version.V2021)
