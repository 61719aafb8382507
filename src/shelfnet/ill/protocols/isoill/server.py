"""An asyncio ISO ILL listener: the protocol core in the responder role.

Each connection gets a ``Connection`` sharing the server's transaction table. An ILL-Request
the state table accepts becomes a lending ``TransactionDraft`` handed to ``on_request``
(``lending.store_requests(store)`` files it in the IllStore); the requester gets a
Status-Or-Error-Report with the transaction's state (IN-PROCESS) and the transaction number in
its note, which is what yaz-illclient waits for. A Status-Query gets the same report; other
allowed APDUs are passed to ``on_apdu`` and need no answer. Refused APDUs and unreadable
bytes get a Status-Or-Error-Report with the standard's error; after unreadable framing the
connection is closed. A failing session never affects the others.

With an ``inbox`` (``shelfnet.ill.messaging.inbox.IsoIllInbox``) the listener serves both
ends of a transaction and keeps no state of its own: for each APDU it asks the inbox for
our role (responder for what requesters send, requester for Shipped, ILL-Answer, Checked-In
and the like), whether it is a repeat (acknowledged, nothing done), whether the sender is a
partner it accepts, and the transaction's stored protocol state; the protocol core checks
the APDU against that state, and the inbox files it (log, state, transaction) in one go.
Every filed APDU is acknowledged with a Status-Or-Error-Report, so the sending partner knows
it arrived; an APDU the inbox could not file gets ``unable-to-perform`` and may be sent
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from shelfnet.ill.protocols.isoill import codec
from shelfnet.ill.protocols.isoill.apdus import (
    Apdu,
    ApduType,
    ErrorReport,
    IllRequest,
    ReportSource,
    StatusOrErrorReport,
    SystemId,
    UnableToPerform,
    apdu_from_value,
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
from shelfnet.z3950 import errors as z3950_errors
from shelfnet.z3950.ber import tlv_end

log = logging.getLogger("shelfnet.ill.isoill.server")

READ_SIZE = 64 * 1024
OnApdu = Callable[[Apdu, State], None]


class Inbox(Protocol):
    """Where a listener files APDUs durably (blocking calls: run in threads)."""

    def role_of(self, apdu: Apdu) -> Role:
        """Our end of the APDU's transaction."""
        ...

    def duplicate(self, apdu: Apdu) -> bool:
        """Whether the APDU was filed before (it is acknowledged and nothing happens)."""
        ...

    def admit(self, apdu: Apdu, role: Role) -> ErrorReport | None:
        """None, or the error report refusing the APDU (e.g. an unknown agency)."""
        ...

    def load_state(self, role: Role, key: TransactionKey) -> Transaction | None:
        """The transaction's stored protocol state."""
        ...

    def handle(self, apdu: Apdu, role: Role, state: Transaction | None, raw: bytes) -> str:
        """File an APDU the state table accepted, with its new protocol state; the note
        of the acknowledgement."""
        ...


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
        inbox: Inbox | None = None,
    ) -> None:
        self.on_request = on_request
        self.on_apdu = on_apdu
        self.inbox = inbox
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
    inbox: Inbox | None = None,
) -> IsoIllServer:
    """Start a listener on ``host:port`` (port 0: any free port, see ``addresses``). With an
    ``inbox``, APDUs go there (``on_request`` and ``on_apdu`` are not called)."""
    server = IsoIllServer(on_request, our_id=our_id, on_apdu=on_apdu, limits=limits, inbox=inbox)
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
            if self.server.inbox is None:
                await self._serve()
            else:
                await InboxSession(self, self.server.inbox).serve()
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


class InboxSession:
    """A connection whose APDUs go to an inbox: framing here, one protocol core per APDU
    with the transaction's stored state."""

    def __init__(self, session: Session, inbox: Inbox) -> None:
        self.session = session
        self.server = session.server
        self.inbox = inbox
        self.buffer = bytearray()
        self.eof = False

    async def serve(self) -> None:
        limit = self.server.limits.max_message_size
        while True:
            try:
                end = tlv_end(self.buffer, 0, limit)
            except z3950_errors.DecodeError:
                end = -1
            if end == -1 or (end is None and self.eof and self.buffer):
                await self._framing_lost()
                return
            if end is None:
                if self.eof:
                    return
                data = await asyncio.wait_for(
                    self.session.reader.read(READ_SIZE), self.server.limits.idle_timeout
                )
                self.eof = not data
                self.buffer += data
                continue
            frame = bytes(self.buffer[:end])
            del self.buffer[:end]
            await self._frame(frame)

    async def _framing_lost(self) -> None:
        # The protocol core says what is wrong with the bytes; the connection then closes.
        core = self.session.protocol
        core.receive_data(bytes(self.buffer))
        core.receive_data(b"")
        event = core.next_event()
        if isinstance(event, ProtocolError):
            await self.session._write(core.send(event.reply))

    def _core(self, role: Role, key: TransactionKey, state: Transaction | None) -> Connection:
        return Connection(
            role,
            our_id=self.server.our_id,
            max_apdu_size=self.server.limits.max_message_size,
            transactions={} if state is None else {key: state},
        )

    async def _frame(self, frame: bytes) -> None:
        try:
            apdu = apdu_from_value(*codec.decode_apdu(frame))
        except Exception:  # the core gives the standard's answer to undecodable APDUs
            core = self.session.protocol
            core.receive_data(frame)
            event = core.next_event()
            if isinstance(event, (ProtocolError, ApduRefused)):
                await self.session._write(core.send(event.reply))
            return
        inbox = self.inbox
        role = inbox.role_of(apdu)
        key = transaction_key(apdu.transaction_id)
        state = await asyncio.to_thread(inbox.load_state, role, key)
        core = self._core(role, key, state)
        if await asyncio.to_thread(inbox.duplicate, apdu):
            await self._write(core, core.status_report(apdu, "already received"))
            return
        refusal = await asyncio.to_thread(inbox.admit, apdu, role)
        if refusal is not None:
            reply = core.status_report(apdu, refusal.correlation_information)
            await self._write(core, replace(reply, error_report=refusal, status_report=None))
            return
        core.receive_data(frame)
        event = core.next_event()
        if isinstance(event, (ApduRefused, ProtocolError)):
            log.info("ISO ILL APDU refused: %s", event.reason)
            await self._write(core, event.reply)
            return
        assert isinstance(event, ApduReceived)
        if apdu.TYPE is ApduType.STATUS_QUERY:
            await self._write(core, core.status_report(apdu))
            return
        try:
            note = await asyncio.to_thread(
                inbox.handle, apdu, role, core.transactions.get(key), frame
            )
        except Exception:
            log.exception("ISO ILL %s could not be filed", apdu.TYPE.value)
            report = ErrorReport(
                apdu.TYPE.identifier,
                ReportSource.USER,
                unable_to_perform=UnableToPerform.RESOURCE_LIMITATION,
            )
            retry = self._core(role, key, state)
            reply = retry.status_report(apdu, "could not be filed; send it again")
            await self._write(retry, replace(reply, error_report=report))
            return
        if apdu.TYPE is not ApduType.STATUS_OR_ERROR_REPORT:
            await self._write(core, core.status_report(apdu, note))

    async def _write(self, core: Connection, reply: StatusOrErrorReport) -> None:
        await self.session._write(core.send(reply))
