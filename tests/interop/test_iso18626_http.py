"""ISO 18626 over real HTTP: the endpoint in uvicorn on a loopback port, a real ILL store
behind it, and shelfnet's client sending to it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shelfnet.ill.model import Partner, PartnerProtocol, ProcessType, RequestType
from shelfnet.ill.protocols.iso18626.backend import store_callbacks
from shelfnet.ill.protocols.iso18626.client import (
    ConfirmationError,
    DeliveryError,
    Iso18626Client,
)
from shelfnet.ill.protocols.iso18626.endpoint import create_router
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Authentication,
    Confirmation,
    ErrorType,
    MessageStatus,
    Request,
    RequestConfirmation,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Status
from tests.unit.directory.syncpeers import serving
from tests.unit.ill.iso18626.test_writer import full_request

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NYU = AgencyId("ISIL", "US-NYU")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IllStore]:
    with open_ill_store(tmp_path / "ill.sqlite") as store:
        store.create_partner(
            Partner("US-NYU", protocol=PartnerProtocol.ISO18626, shared_secret="s3cret")
        )
        yield store


@pytest.fixture
def url(store: IllStore) -> Iterator[str]:
    app = FastAPI()
    app.include_router(create_router(store_callbacks(store), max_bytes=64 * 1024))
    with serving(app) as base:
        yield f"{base}/iso18626"


def request(agency: AgencyId = NYU, number: str = "NYU-42") -> Request:
    message = full_request()
    header = replace(
        message.header,
        requesting_agency_id=agency,
        requesting_agency_request_id=number,
        authentication=Authentication("nyu", "s3cret"),
    )
    return replace(message, header=header)


def send(url: str, message: Request, version: Version = Version.V1_2) -> Confirmation:
    async def go() -> Confirmation:
        async with Iso18626Client() as client:
            return await client.send(url, message, version)

    return asyncio.run(go())


@pytest.mark.parametrize("version", list(Version))
def test_a_request_becomes_a_lending_transaction(
    url: str, store: IllStore, version: Version
) -> None:
    confirmation = send(url, request(), version)
    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.header.message_status is MessageStatus.OK
    [item] = store.search(process_type=ProcessType.LENDING)
    transaction = store.get_transaction(item.id)
    assert transaction.status is Status.AWAITING_LENDING_REQUEST_PROCESSING
    assert (transaction.partner, transaction.external_id) == ("US-NYU", "NYU-42")
    assert transaction.request_type is RequestType.COPY
    assert transaction.citation.journal_title == "Journal of Things: A subtitle"
    assert transaction.citation.issn == "1234-5678"


def test_the_same_request_sent_twice_makes_one_transaction(url: str, store: IllStore) -> None:
    send(url, request())
    again = send(url, request())
    assert again.header.message_status is MessageStatus.OK
    assert len(store.search(process_type=ProcessType.LENDING)) == 1


def test_an_unknown_agency_is_refused(url: str, store: IllStore) -> None:
    with pytest.raises(ConfirmationError) as refused:
        send(url, request(AgencyId("ISIL", "US-NOBODY")))
    assert refused.value.errors[0].error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert store.search(process_type=ProcessType.LENDING) == []


def test_a_badly_formed_message_gets_badly_formed_message(url: str) -> None:
    answer = httpx.post(
        url, content=b"<not-iso18626/>", headers={"Content-Type": "application/xml"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    confirmation = parse_message(answer.content).message
    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.errors[0].error_type is ErrorType.BADLY_FORMED_MESSAGE

    async def go() -> None:
        async with Iso18626Client() as client:
            await client.send_bytes(url, b"\x00garbage")

    with pytest.raises(ConfirmationError) as refused:
        asyncio.run(go())
    assert refused.value.errors[0].error_type is ErrorType.BADLY_FORMED_MESSAGE


def test_a_message_over_the_size_limit_is_refused(url: str) -> None:
    answer = httpx.post(url, content=b"<" + b"a" * 70_000 + b"/>")
    assert answer.status_code == 413
    confirmation = parse_message(answer.content).message
    assert confirmation.errors[0].error_type is ErrorType.BADLY_FORMED_MESSAGE  # type: ignore[union-attr]


def test_a_2021_message_is_confirmed_in_2021(url: str) -> None:
    answer = httpx.post(url, content=write_message(request(), Version.V2021))
    assert parse_message(answer.content).version is Version.V2021


def test_a_partner_that_does_not_answer_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError) as failed:
        send("http://127.0.0.1:9/iso18626", request())
    assert failed.value.retry
