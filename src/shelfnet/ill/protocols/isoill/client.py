"""An asyncio ISO ILL client: the protocol core in the requester role (or, for a lender
telling a borrower what happened, the responder role).

    async with await IsoIllClient.connect("ill.example.org", 1611) as client:
        answer = await client.request(ill_request)   # send, then wait for one APDU

``send`` writes an APDU the state table allows (LocalProtocolError otherwise); ``receive``
waits for the next APDU the peer sends. A refused or unreadable answer raises
RemoteProtocolError with the peer's words.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from shelfnet.ill.protocols.isoill.apdus import Apdu, SystemId
from shelfnet.ill.protocols.isoill.errors import RemoteProtocolError
from shelfnet.ill.protocols.isoill.protocol import (
    ApduReceived,
    ApduRefused,
    Connection,
    ConnectionClosed,
    ProtocolError,
)
from shelfnet.ill.protocols.isoill.states import Role

READ_SIZE = 64 * 1024
DEFAULT_TIMEOUT = 30.0


class IsoIllClient:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        role: Role = Role.REQUESTER,
        our_id: SystemId | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.protocol = Connection(role, our_id=our_id)

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        role: Role = Role.REQUESTER,
        our_id: SystemId | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Self:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        return cls(reader, writer, role=role, our_id=our_id, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def send(self, apdu: Apdu) -> None:
        self.writer.write(self.protocol.send(apdu))
        await self.writer.drain()

    async def receive(self) -> Apdu:
        """The next APDU from the peer (RemoteProtocolError if it is refused or unreadable,
        or the peer closes)."""
        while True:
            event = self.protocol.next_event()
            if event is None:
                data = await asyncio.wait_for(self.reader.read(READ_SIZE), self.timeout)
                self.protocol.receive_data(data)
                continue
            if isinstance(event, ApduReceived):
                return event.apdu
            if isinstance(event, ApduRefused):
                raise RemoteProtocolError(f"peer sent {event.reason}")
            if isinstance(event, ProtocolError):
                raise RemoteProtocolError(event.reason)
            assert isinstance(event, ConnectionClosed)
            raise RemoteProtocolError("the peer closed the connection")

    async def request(self, apdu: Apdu) -> Apdu:
        """Send ``apdu`` and wait for the peer's next APDU (its answer or status report)."""
        await self.send(apdu)
        return await self.receive()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def send_apdu(host: str, port: int, apdu: Apdu, *, timeout: float = DEFAULT_TIMEOUT) -> Apdu:
    """Connect, send one APDU, return the first APDU that comes back, close."""
    async with await IsoIllClient.connect(host, port, timeout=timeout) as client:
        return await client.request(apdu)
