"""The ISO 18626 listener: one POST route answering every message with its confirmation.

``answer(body, authorization, callbacks, now)`` is the whole protocol (no I/O but the
callbacks); ``create_router`` wraps it in a FastAPI router for the web app to mount.

HTTP status: as usual for ISO 18626, a message that arrived is answered **200** with a
confirmation, OK or ERROR, whatever the error (badly formed, unknown agency, wrong secret,
unknown request id). The exceptions: a body over the size limit is answered 413 (with a
BadlyFormedMessage confirmation), and a back end failure 503 with no confirmation, so the
sender's outbox tries again later. The confirmation is in the version the message used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from shelfnet.ill.protocols.iso18626.callbacks import Callbacks
from shelfnet.ill.protocols.iso18626.errors import Refused
from shelfnet.ill.protocols.iso18626.mapping import draft_from_request, lending_effect
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    Confirmation,
    ConfirmationHeader,
    ErrorData,
    ErrorType,
    Header,
    MessageStatus,
    Request,
    RequestConfirmation,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import MAX_BYTES, ParseError, parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/xml"
Incoming = Request | SupplyingAgencyMessage | RequestingAgencyMessage


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes
    """A confirmation document; empty for 503."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def answer(body: bytes, authorization: str, callbacks: Callbacks, now: datetime) -> Answer:
    """Read one message, act on it through the callbacks, and confirm it."""
    try:
        envelope = parse_message(body)
    except ParseError as error:
        return _error(error.kind, error.header, error.version, now, error.error)
    message, version = envelope.message, envelope.version
    if not isinstance(message, Request | SupplyingAgencyMessage | RequestingAgencyMessage):
        unexpected = ErrorData(ErrorType.BADLY_FORMED_MESSAGE, "confirmation")
        return _error(None, None, version, now, unexpected)
    sender, side = _sender(message)
    auth = message.header.authentication
    account, code = (auth.account_id, auth.security_code) if auth else ("", "")
    if sender is None or not callbacks.authenticate(sender, account, code, authorization):
        value = f"{side}: {sender or ''}"
        return _reply(message, version, now, (ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE, value),))
    if isinstance(message, RequestingAgencyMessage):
        refused = lending_effect(message)
        if isinstance(refused, ErrorType):
            return _reply(message, version, now, (ErrorData(refused, message.action.value),))
    key = message_key(message)
    if callbacks.seen(key):
        return _reply(message, version, now)
    try:
        _deliver(message, callbacks)
    except Refused as refused:
        _forget(callbacks, key)
        return _reply(message, version, now, (refused.error,))
    except Exception:
        _forget(callbacks, key)
        log.exception("ISO 18626 back end failed on %s", key)
        return Answer(503, b"")
    return _reply(message, version, now)


def _sender(message: Incoming) -> tuple[AgencyId | None, str]:
    if isinstance(message, SupplyingAgencyMessage):
        return message.header.supplying_agency_id, "supplyingAgencyId"
    return message.header.requesting_agency_id, "requestingAgencyId"


def _deliver(message: Incoming, callbacks: Callbacks) -> None:
    if isinstance(message, Request):
        callbacks.on_request(draft_from_request(message), message)
    elif isinstance(message, SupplyingAgencyMessage):
        callbacks.on_supplying_message(message)
    else:
        callbacks.on_requesting_message(message)


def _forget(callbacks: Callbacks, key: str) -> None:
    if callbacks.forget is not None:
        callbacks.forget(key)


def message_key(message: Incoming) -> str:
    """What makes a message the same message again (for ``seen``): a request by its
    requesting agency, request id and request type; the other two by their sender, request
    id, code and timestamp."""
    header = message.header
    ids = f"{header.requesting_agency_id}|{header.supplying_agency_id or ''}"
    number = header.requesting_agency_request_id
    if isinstance(message, Request):
        kind = message.service_info.request_type if message.service_info else None
        return f"request|{header.requesting_agency_id}|{number}|{kind.value if kind else ''}"
    stamp = header.timestamp.isoformat()
    if isinstance(message, SupplyingAgencyMessage):
        codes = (
            f"{message.status_info.status.value}|{message.message_info.reason_for_message.value}"
        )
        return f"supplying|{ids}|{number}|{codes}|{stamp}"
    return f"requesting|{ids}|{number}|{message.action.value}|{stamp}"


def _confirmation_header(
    header: Header | None, version: Version, now: datetime, status: MessageStatus
) -> ConfirmationHeader:
    if header is None:
        return ConfirmationHeader(now, now, status)
    stamp = header.timestamp if header.timestamp != datetime.min else now
    return ConfirmationHeader(
        timestamp=stamp,
        timestamp_received=now,
        message_status=status,
        supplying_agency_id=header.supplying_agency_id,
        requesting_agency_id=header.requesting_agency_id,
        requesting_agency_request_id=header.requesting_agency_request_id,
        multiple_item_request_id=header.multiple_item_request_id,
    )


def _reply(
    message: Incoming, version: Version, now: datetime, errors: tuple[ErrorData, ...] = ()
) -> Answer:
    status = MessageStatus.ERROR if errors else MessageStatus.OK
    header = _confirmation_header(message.header, version, now, status)
    confirmation: Confirmation
    if isinstance(message, Request):
        confirmation = RequestConfirmation(header, errors)
    elif isinstance(message, SupplyingAgencyMessage):
        reason = message.message_info.reason_for_message
        confirmation = SupplyingAgencyMessageConfirmation(header, reason, errors)
    else:
        confirmation = RequestingAgencyMessageConfirmation(header, message.action, errors)
    return Answer(200, write_message(confirmation, version))


def _error(
    kind: str | None, header: Header | None, version: Version, now: datetime, error: ErrorData
) -> Answer:
    confirmation_header = _confirmation_header(header, version, now, MessageStatus.ERROR)
    confirmation: Confirmation
    if kind == "supplyingAgencyMessage":
        confirmation = SupplyingAgencyMessageConfirmation(confirmation_header, None, (error,))
    elif kind == "requestingAgencyMessage":
        confirmation = RequestingAgencyMessageConfirmation(confirmation_header, None, (error,))
    else:
        confirmation = RequestConfirmation(confirmation_header, (error,))
    return Answer(200, write_message(confirmation, version))


def too_large(now: datetime) -> Answer:
    error = ErrorData(ErrorType.BADLY_FORMED_MESSAGE, "size")
    return Answer(413, _error(None, None, Version.V1_2, now, error).body)


def create_router(
    callbacks: Callbacks,
    *,
    path: str = "/iso18626",
    clock: Callable[[], datetime] = _utc_now,
    max_bytes: int = MAX_BYTES,
) -> APIRouter:
    """A router with ``POST path``: mount it with ``app.include_router(router)``."""
    router = APIRouter()

    async def receive(http: HttpRequest) -> Response:
        body = await _read(http, max_bytes)
        if body is None:
            result = too_large(clock())
        else:
            authorization = http.headers.get("authorization", "")
            result = await run_in_threadpool(answer, body, authorization, callbacks, clock())
        return Response(result.body, status_code=result.status_code, media_type=MEDIA_TYPE)

    router.add_api_route(path, receive, methods=["POST"], include_in_schema=False)
    return router


async def _read(http: HttpRequest, max_bytes: int) -> bytes | None:
    """The body, or None when it is over ``max_bytes`` (read no further than that)."""
    declared = http.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    body = bytearray()
    async for chunk in http.stream():
        body += chunk
        if len(body) > max_bytes:
            return None
    return bytes(body)
