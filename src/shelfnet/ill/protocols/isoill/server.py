"""An asyncio ISO ILL listener: the protocol core in the responder role.

Each connection gets a ``Connection`` sharing the server's transaction table. An ILL-Request
the state table accepts becomes a lending ``TransactionDraft`` handed to ``on_request``
(``lending.store_requests(store)`` files it in the IllStore); the requester gets a
Status-Or-Error-Report with the transaction's state (IN-PROCESS) and the transaction number in
its note, which is what yaz-illclient waits for. A Status-Query gets the same report; other
allowed APDUs are passed to ``on_apdu`` and need no answer. Refused APDUs and unreadable
bytes get a Status-Or-Error-Report with the standard's error; after unreadable framing the
connection is closed. A failing session never affects the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from shelfnet.ill.protocols.isoill.apdus import (
    Apdu,
    ApduType,
    ErrorReport,
    IllRequest,
    ReportSource,
    SystemId,
    UnableToPerform,
)
from shelfnet.ill.protocols.isoill.lending import OnRequest, draft_from_request
from shelfnet.ill.protocols.isoill.ports import ISOILL_PORT
from shelfnet.ill.protocols.isoill.protocol import (
    ApduReceived,
    ApduRefused,
    Connection,
    ConnectionClosed,
    ProtocolError,
    Transaction,
    TransactionKey,
    transaction_key,
)
from shelfnet.ill.protocols.isoill.states import Role, State

log = logging.getLogger("shelfnet.ill.isoill.server")

READ_SIZE = 64 * 1024
OnApdu = Callable[[Apdu, State], None]


@dataclass(frozen=True)
class ServerLimits:
    max_connections: int = 200
    max_message_size: int = 1024 * 1024
    idle_timeout: float = 300.0


class IsoIllServer:
    """Listens for requesters and answers as the responder."""

    def __init__(
        self,
        on_request: OnRequest,
        *,
        our_id: SystemId | None = None,
        on_apdu: OnApdu | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self.on_request = on_request
        self.on_apdu = on_apdu
        self.our_id = our_id or SystemId()
        self.limits = limits or ServerLimits()
        self.transactions: dict[TransactionKey, Transaction] = {}
        self.active = 0
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "0.0.0.0", port: int = ISOILL_PORT) -> None:
        self._server = await asyncio.start_server(self._accept, host, port, limit=READ_SIZE)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [sock.getsockname()[:2] for sock in self._server.sockets]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.active >= self.limits.max_connections:
            writer.close()
            return
        self.active += 1
        try:
            await Session(self, reader, writer).run()
        finally:
            self.active -= 1


async def start_server(
    on_request: OnRequest,
    host: str = "0.0.0.0",
    port: int = ISOILL_PORT,
    *,
    our_id: SystemId | None = None,
    on_apdu: OnApdu | None = None,
    limits: ServerLimits | None = None,
) -> IsoIllServer:
    """Start a listener on ``host:port`` (port 0: any free port, see ``addresses``)."""
    server = IsoIllServer(on_request, our_id=our_id, on_apdu=on_apdu, limits=limits)
    await server.start(host, port)
    return server


class Session:
    """One requester's connection."""

    def __init__(
        self, server: IsoIllServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.protocol = Connection(
            Role.RESPONDER,
            our_id=server.our_id,
            max_apdu_size=server.limits.max_message_size,
            transactions=server.transactions,
        )

    async def run(self) -> None:
        try:
            await self._serve()
        except (ConnectionError, OSError, TimeoutError):
            pass  # the requester went away or went quiet
        except Exception:  # a bug here must cost one session, never the server
            log.exception("ISO ILL session failed")
        finally:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _serve(self) -> None:
        while True:
            event = self.protocol.next_event()
            if event is None:
                data = await asyncio.wait_for(
                    self.reader.read(READ_SIZE), self.server.limits.idle_timeout
                )
                self.protocol.receive_data(data)
                continue
            if isinstance(event, ConnectionClosed):
                return
            if isinstance(event, ProtocolError):
                log.info("ISO ILL protocol error: %s", event.reason)
                await self._write(self.protocol.send(event.reply))
                if event.fatal:
                    return
            elif isinstance(event, ApduRefused):
                log.info("ISO ILL APDU refused: %s", event.reason)
                await self._write(self.protocol.send(event.reply))
            else:
                await self._handle(event)

    async def _handle(self, event: ApduReceived) -> None:
        apdu = event.apdu
        if isinstance(apdu, IllRequest):
            await self._request(apdu)
        elif apdu.TYPE is ApduType.STATUS_QUERY:
            await self._write(self.protocol.send(self.protocol.status_report(apdu)))
        elif self.server.on_apdu is not None:
            self.server.on_apdu(apdu, event.state)

    async def _request(self, request: IllRequest) -> None:
        try:
            # The callback files the request in the database: off the event loop.
            number = await asyncio.to_thread(
                self.server.on_request, draft_from_request(request), request
            )
        except Exception:
            log.exception("ISO ILL request could not be filed")
            # Forget the transaction: the requester may try again with the same id.
            self.server.transactions.pop(transaction_key(request.transaction_id), None)
            report = ErrorReport(
                ApduType.ILL_REQUEST.identifier,
                ReportSource.USER,
                unable_to_perform=UnableToPerform.RESOURCE_LIMITATION,
            )
            reply = self.protocol.status_report(request, "request could not be filed")
            await self._write(self.protocol.send(replace(reply, error_report=report)))
            return
        note = f"shelfnet transaction {number}"
        await self._write(self.protocol.send(self.protocol.status_report(request, note)))

    async def _write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
