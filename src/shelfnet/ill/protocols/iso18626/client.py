"""Sending a message to a partner's ISO 18626 endpoint, for the integrator's outbox.

``send`` POSTs one message and returns the partner's OK confirmation. Two errors:
``DeliveryError`` (the message may not have arrived: network, timeout, HTTP error, an
answer that is not a confirmation; ``retry`` says whether trying again may help) and
``ConfirmationError`` (it arrived and the partner refused it: the confirmation's errorType
and errorValue; sending it again will not help).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from shelfnet.ill.protocols.iso18626.endpoint import MEDIA_TYPE
from shelfnet.ill.protocols.iso18626.messages import (
    Confirmation,
    ErrorData,
    Message,
    MessageStatus,
    RequestConfirmation,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessageConfirmation,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import ParseError, parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Iso18626Error(Exception):
    pass


class DeliveryError(Iso18626Error):
    """The message did not get a confirmation."""

    def __init__(self, sentence: str, *, retry: bool, status_code: int | None = None) -> None:
        super().__init__(sentence)
        self.retry = retry
        self.status_code = status_code


class ConfirmationError(Iso18626Error):
    """The partner answered with an ERROR confirmation."""

    def __init__(self, confirmation: Confirmation) -> None:
        self.confirmation = confirmation
        self.errors: tuple[ErrorData, ...] = confirmation.errors
        described = "; ".join(
            f"{e.error_type.value}" + (f" ({e.error_value})" if e.error_value else "")
            for e in self.errors
        )
        super().__init__(f"The partner refused the message: {described or 'no reason given'}.")


_CONFIRMATIONS = (
    RequestConfirmation,
    SupplyingAgencyMessageConfirmation,
    RequestingAgencyMessageConfirmation,
)


class Iso18626Client:
    """An httpx client for ISO 18626 partners; pass ``http`` to share a pool or a transport
    (tests), else one is made and closed with this client."""

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._own = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout)
        self.timeout = timeout

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()

    async def send(
        self,
        url: str,
        message: Message,
        version: Version = Version.V1_2,
        *,
        authorization: str = "",
    ) -> Confirmation:
        """POST ``message`` in ``version``; the partner's OK confirmation."""
        return await self.send_bytes(url, write_message(message, version), authorization)

    async def send_bytes(self, url: str, body: bytes, authorization: str = "") -> Confirmation:
        """POST an already written message (an outbox keeps these)."""
        headers = {"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}
        if authorization:
            headers["Authorization"] = authorization
        try:
            response = await self.http.post(
                url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Could not reach {url}: {exc!r}", retry=True) from exc
        return _confirmation(url, response)


def _confirmation(url: str, response: httpx.Response) -> Confirmation:
    status = response.status_code
    try:
        confirmation = parse_message(response.content).message
    except ParseError as exc:
        raise DeliveryError(
            f"{url} answered HTTP {status} without a readable confirmation: {exc}",
            retry=status >= 500 or status in (408, 429),
            status_code=status,
        ) from exc
    if not isinstance(confirmation, _CONFIRMATIONS):
        raise DeliveryError(
            f"{url} answered with a message, not a confirmation.", retry=False, status_code=status
        )
    if confirmation.header.message_status is MessageStatus.ERROR:
        raise ConfirmationError(confirmation)
    return confirmation


async def send_message(
    url: str, message: Message, version: Version = Version.V1_2, *, authorization: str = ""
) -> Confirmation:
    """One message with a client of its own."""
    async with Iso18626Client() as client:
        return await client.send(url, message, version, authorization=authorization)
