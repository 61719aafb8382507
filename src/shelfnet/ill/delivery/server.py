"""The asyncio document delivery listener: the ``Receiver`` core, the spool and the checks.

Per connection: the header is validated (by the core) and the receiver symbol looked up
(``is_known_receiver``); CONTINUE; the body streams into a spool file (constant memory);
at END the SHA-256 is compared, the file fsync'd and checked by structure (in a thread); an
accepted file is renamed to its server-chosen name and handed to ``on_document``, whose
answer (the document id) goes back in the RECEIPT. Anything else gets a REFUSAL with its code,
the spool file is deleted and the reason logged. Limits: connections (BUSY beyond), document
size (checked on the declared length, then on every chunk), idle time. A failing session
never affects the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shelfnet.ill.delivery.checks import CheckOptions, Rejected, check_document
from shelfnet.ill.delivery.protocol import (
    BodyChunk,
    BodyComplete,
    ConnectionClosed,
    Continue,
    DocumentHeader,
    HeaderReceived,
    ProtocolError,
    Receipt,
    Receiver,
    Refusal,
    RefusalCode,
    State,
)
from shelfnet.ill.delivery.settings import DeliverySettings
from shelfnet.ill.delivery.spool import Spool, SpoolFile

log = logging.getLogger("shelfnet.ill.delivery.server")

READ_SIZE = 1024 * 1024
WRITES_IN_FLIGHT = 16
"""Chunks handed to the session's writer thread (hash + write) before reading waits: the
network, the hashing and the disk overlap, and memory stays at 16 chunks of at most
READ_SIZE bytes."""
LINGER_SECONDS = 5.0
"""After a refusal, how long unread client bytes are drained so the refusal is not lost to a
TCP reset (closing a socket with unread data resets the connection)."""

OnDocument = Callable[[DocumentHeader, Path, str, int], str]
"""``on_document(header, path, sha256, size) -> document id``: an accepted document, at its
final path in the spool. Runs in a thread. It may move the file; raising refuses the
document with ``server-error`` (and deletes the file if it is still there)."""
IsKnownReceiver = Callable[[str], bool]


def keep_documents(header: DocumentHeader, path: Path, sha256: str, size: int) -> str:
    """The default ``on_document``: leave the file in the spool; its name is the id."""
    log.info(
        "document %s from %s for %s (ILL %s): %d bytes", path.name, header.sender,
        header.receiver, header.ill_number, size,
    )  # fmt: skip
    return path.stem


class DeliveryServer:
    """Listens for suppliers sending documents."""

    def __init__(
        self,
        settings: DeliverySettings,
        on_document: OnDocument | None = None,
        *,
        is_known_receiver: IsKnownReceiver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.on_document = on_document or keep_documents
        self.is_known_receiver = is_known_receiver
        self.ssl_context = ssl_context or settings.ssl_context()
        self.spool = Spool(settings.spool_dir)
        self.checks = CheckOptions(strict_pdf=settings.strict_pdf)
        self.active = 0
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    async def start(self, host: str | None = None, port: int | None = None) -> None:
        stale = await asyncio.to_thread(self.spool.prepare)
        if stale:
            log.warning("deleted %d unfinished spool files", stale)
        self._server = await asyncio.start_server(
            self._accept,
            self.settings.host if host is None else host,
            self.settings.port if port is None else port,
            limit=READ_SIZE,
            ssl=self.ssl_context,
            ssl_handshake_timeout=self.settings.idle_timeout if self.ssl_context else None,
        )

    @property
    def addresses(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [sock.getsockname()[:2] for sock in self._server.sockets]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and end the sessions still running (their spool files are deleted)."""
        if self._server is not None:
            self._server.close()
            for task in list(self._sessions):
                task.cancel()
            if self._sessions:
                await asyncio.wait(list(self._sessions), timeout=5)
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            session = Session(self, reader, writer)
            if self.active >= self.settings.max_connections:
                await session.finish(Refusal(RefusalCode.BUSY, "too many connections, try later"))
                writer.close()
                return
            self.active += 1
            try:
                await session.run()
            finally:
                self.active -= 1
        except asyncio.CancelledError:
            # close() ends the session; Python 3.11's stream server would report a cancelled
            # handler as an unhandled exception, so the task ends normally instead.
            writer.close()
        finally:
            self._sessions.discard(task)


async def start_server(
    settings: DeliverySettings,
    on_document: OnDocument | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    is_known_receiver: IsKnownReceiver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> DeliveryServer:
    """Start a listener (settings' host and port unless given; port 0: any free port)."""
    server = DeliveryServer(
        settings, on_document, is_known_receiver=is_known_receiver, ssl_context=ssl_context
    )
    await server.start(host, port)
    return server


class Session:
    """One supplier's connection: one document."""

    def __init__(
        self, server: DeliveryServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.protocol = Receiver(server.settings.max_size)
        self.file: SpoolFile | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._writes: deque[asyncio.Future[None]] = deque()
        self.peer = str(writer.get_extra_info("peername"))

    async def run(self) -> None:
        try:
            await self._serve()
        except (ConnectionError, OSError):
            pass  # the client went away
        except Exception:  # a bug here must cost one session, never the server
            log.exception("delivery session failed")
            with contextlib.suppress(Exception):
                await self.finish(Refusal(RefusalCode.SERVER_ERROR, "internal error"))
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=True)  # no write may follow the discard
            if self.file is not None:
                self.file.discard()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _serve(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.server.settings.idle_timeout):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                await self.finish(Refusal(RefusalCode.TIMEOUT, "no data for too long"))
                return
            for event in self.protocol.receive_data(data):
                if isinstance(event, BodyChunk):
                    await self._spool(event.data)
                elif isinstance(event, HeaderReceived):
                    if self.protocol.state is State.DECIDING:  # else an error follows
                        await self._header(event.header)
                elif isinstance(event, BodyComplete):
                    await self.finish(await self._complete())
                    return
                elif isinstance(event, ProtocolError):
                    await self.finish(Refusal(event.code, event.reason))
                    return
                elif isinstance(event, ConnectionClosed):
                    return
                if self.protocol.state is State.CLOSED:
                    return

    async def _header(self, header: DocumentHeader) -> None:
        known = self.server.is_known_receiver
        if known is not None and not await asyncio.to_thread(known, header.receiver):
            reason = f"no library {header.receiver} is served here"
            await self.finish(Refusal(RefusalCode.UNKNOWN_RECEIVER, reason))
            return
        self.file = self.server.spool.incoming()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="delivery-spool")
        await self._write(self.protocol.send(Continue()))

    async def _spool(self, data: bytes) -> None:
        assert self.file is not None and self._writer is not None
        loop = asyncio.get_running_loop()
        self._writes.append(loop.run_in_executor(self._writer, self.file.write, data))
        if len(self._writes) >= WRITES_IN_FLIGHT:
            await self._writes.popleft()

    async def _spooled(self) -> None:
        while self._writes:
            await self._writes.popleft()

    async def _complete(self) -> Receipt | Refusal:
        file, header = self.file, self.protocol.header
        assert file is not None and header is not None
        await self._spooled()
        if file.sha256 != header.sha256:
            return Refusal(RefusalCode.HASH_MISMATCH, f"the body's SHA-256 is {file.sha256}")
        await asyncio.to_thread(file.finish)
        verdict = await asyncio.to_thread(
            check_document, file.path, header.media_type, self.server.checks, file.zip_scan
        )
        if isinstance(verdict, Rejected):
            return Refusal(verdict.code, verdict.reason)
        path = await asyncio.to_thread(file.commit, header.media_type)
        self.file = None
        try:
            document_id = await asyncio.to_thread(
                self.server.on_document, header, path, file.sha256, file.size
            )
        except Exception:
            log.exception("on_document failed for %s", path)
            path.unlink(missing_ok=True)
            return Refusal(RefusalCode.SERVER_ERROR, "the document could not be filed")
        return Receipt(document_id, file.sha256, file.size, header.media_type)

    async def finish(self, answer: Receipt | Refusal) -> None:
        """Send the final answer; after a refusal, drain what the client still sends."""
        if isinstance(answer, Refusal):
            header = self.protocol.header
            log.info(
                "refused %s from %s (sender %s, ILL %s): %s",
                answer.code, self.peer, header.sender if header else "-",
                header.ill_number if header else "-", answer.reason,
            )  # fmt: skip
        await self._write(self.protocol.send(answer))
        if isinstance(answer, Refusal):
            await self._linger()

    async def _linger(self) -> None:
        if self.writer.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                self.writer.write_eof()
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            async with asyncio.timeout(LINGER_SECONDS):
                while await self.reader.read(READ_SIZE):
                    pass

    async def _write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
