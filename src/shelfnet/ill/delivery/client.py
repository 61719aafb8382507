"""The asyncio delivery client: send one PDF or TIFF, get a receipt or a refusal.

    receipt = await send_document("docs.example.org", 7968, Path("article.pdf"),
                                  sender="US-SUP", receiver="US-REQ", ill_number="12345")

The file is hashed first (one pass), then streamed in chunks; while it streams, the client
listens for an early refusal and stops sending when one comes. ``Refused(code, reason)`` is
raised for a refusal; ``DeliveryError`` when the server breaks the protocol or the connection
ends without an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl as ssl_module
from pathlib import Path

from shelfnet.ill.delivery.checks import sniff
from shelfnet.ill.delivery.ports import DELIVERY_PORT
from shelfnet.ill.delivery.protocol import (
    ClientEvent,
    Continue,
    Data,
    DocumentHeader,
    End,
    Receipt,
    Refusal,
    RefusalCode,
    Sender,
)

CHUNK_SIZE = 1024 * 1024


class DeliveryError(Exception):
    """The exchange failed without the server's answer."""


class Refused(Exception):
    """The server refused the document."""

    def __init__(self, code: RefusalCode | str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


async def send_document(
    host: str,
    port: int = DELIVERY_PORT,
    path: Path | str = "",
    *,
    sender: str,
    receiver: str,
    ill_number: str,
    transaction: str = "",
    notes: str = "",
    media_type: str | None = None,
    filename: str | None = None,
    sha256: str | None = None,
    ssl: ssl_module.SSLContext | None = None,
    timeout: float = 60.0,
    chunk_size: int = CHUNK_SIZE,
) -> Receipt:
    """Deliver the file at ``path``; the media type is read from its first bytes if not given.

    ``sha256`` (lowercase hex) saves the hashing pass when the caller already knows it (a
    scanner that hashed while writing); a wrong one earns a ``hash-mismatch`` refusal."""
    path = Path(path)
    if media_type is None:
        with path.open("rb") as file:
            media_type = sniff(file.read(1100))
        if media_type is None:
            raise ValueError(f"{path.name} is neither a PDF nor a TIFF")
    if sha256 is None:
        digest, size = await asyncio.to_thread(file_digest, path)
    else:
        digest, size = sha256, path.stat().st_size
    header = DocumentHeader(
        sender=sender,
        receiver=receiver,
        ill_number=ill_number,
        media_type=media_type,
        length=size,
        sha256=digest,
        transaction=transaction,
        notes=notes,
        filename=path.name if filename is None else filename,
    )
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, ssl=ssl)
    try:
        return await _Exchange(reader, writer, timeout).run(header, path, chunk_size)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


class _Exchange:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.protocol = Sender()
        self._events: list[ClientEvent] = []

    async def run(self, header: DocumentHeader, path: Path, chunk_size: int) -> Receipt:
        self.writer.write(self.protocol.send(header))
        await self.writer.drain()
        first = await self._next_event()
        if not isinstance(first, Continue):
            return _outcome(first)
        answer = asyncio.create_task(self._next_event())
        try:
            await self._send_body(path, chunk_size, answer)
            async with asyncio.timeout(self.timeout):
                return _outcome(await answer)
        finally:
            answer.cancel()

    async def _send_body(self, path: Path, chunk_size: int, answer: asyncio.Task[object]) -> None:
        try:
            with path.open("rb") as file:
                while not answer.done():
                    block = file.read(chunk_size)
                    if not block:
                        self.writer.write(self.protocol.send(End()))
                        break
                    self.writer.write(self.protocol.send(Data(block)))
                    async with asyncio.timeout(self.timeout):
                        await self.writer.drain()
            async with asyncio.timeout(self.timeout):
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass  # the server stopped reading: its answer says why

    async def _next_event(self) -> ClientEvent:
        while not self._events:
            async with asyncio.timeout(self.timeout):
                data = await self.reader.read(64 * 1024)
            self._events.extend(self.protocol.receive_data(data))
        return self._events.pop(0)


def _outcome(event: object) -> Receipt:
    if isinstance(event, Receipt):
        return event
    if isinstance(event, Refusal):
        raise Refused(event.code, event.reason)
    raise DeliveryError(f"no answer from the server: {event}")
