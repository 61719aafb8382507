"""The sans-I/O document delivery protocol: bytes in, events out; messages in, bytes out.

Two roles, one class each. ``Receiver`` is the server: feed it what the socket delivered with
``receive_data`` and it returns events (``HeaderReceived``, ``BodyChunk``, ``BodyComplete``,
``ProtocolError``, ``ConnectionClosed``); ``send(Continue() | Receipt | Refusal)`` returns the
bytes to write. ``Sender`` is the client: ``send(header)``, ``send(Data)``, ``send(End())``,
and ``receive_data`` returns ``Continue``, ``Receipt``, ``Refusal``, ``ProtocolError`` or
``ConnectionClosed``.

One document per connection:

    client  preamble HEADER                 DATA ... DATA END
    server                  preamble CONTINUE                   RECEIPT | REFUSAL

The server may answer REFUSAL instead of CONTINUE, or at any point in the body, and then
closes. Declared lengths (header frame, data frame, document) are checked against the limits
before a byte of what they announce is kept; the body is never buffered here: each BodyChunk
is a slice of the bytes just fed in.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from shelfnet.ill.delivery import wire
from shelfnet.ill.delivery.wire import FrameType, WireError

PDF = "application/pdf"
TIFF = "image/tiff"
MEDIA_TYPES = (PDF, TIFF)
DEFAULT_MAX_SIZE = 1024 * 1024 * 1024

SYMBOL_MAX = 64
NUMBER_MAX = 64
NOTES_MAX = 4000
FILENAME_MAX = 255
_DIGITS = re.compile(r"(0|[1-9][0-9]{0,19})\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RefusalCode(enum.StrEnum):
    """Why a server refused a document; the wire carries the value."""

    BAD_HEADER = "bad-header"  # header missing fields, malformed, or over the limits
    TOO_LARGE = "too-large"  # declared length over the server's limit
    NOT_PDF_OR_TIFF = "not-pdf-or-tiff"  # media type or content is neither PDF nor TIFF
    MEDIA_TYPE_MISMATCH = "media-type-mismatch"  # a PDF declared as TIFF, or the reverse
    DAMAGED = "damaged"  # the right signature, but the file does not parse
    TRUNCATED = "truncated"  # connection closed early, or the file ends before its end
    LENGTH_MISMATCH = "length-mismatch"  # more or fewer bytes than declared
    HASH_MISMATCH = "hash-mismatch"  # SHA-256 of what arrived is not the declared one
    POLYGLOT = "polyglot"  # the file is also a ZIP archive
    UNKNOWN_RECEIVER = "unknown-receiver"  # the receiver symbol is not served here
    BUSY = "busy"  # too many connections; try later
    UNSUPPORTED_VERSION = "unsupported-version"  # preamble magic or version not ours
    PROTOCOL_ERROR = "protocol-error"  # frames out of order or malformed
    TIMEOUT = "timeout"  # the client went quiet
    SERVER_ERROR = "server-error"  # the server could not file the document; try later


@dataclass(frozen=True)
class DocumentHeader:
    """What the client says about the document before sending it."""

    sender: str  # the supplying library's symbol
    receiver: str  # the requesting library's symbol
    ill_number: str  # the ILL request number
    media_type: str  # PDF or TIFF
    length: int  # bytes in the body
    sha256: str  # lowercase hex of the body's SHA-256
    transaction: str = ""  # the receiver's transaction number, when known
    notes: str = ""
    filename: str = ""  # informational only: never used as a path

    def to_fields(self) -> dict[str, str]:
        return {
            "sender": self.sender,
            "receiver": self.receiver,
            "ill-number": self.ill_number,
            "transaction": self.transaction,
            "media-type": self.media_type,
            "length": str(self.length),
            "sha256": self.sha256,
            "notes": self.notes,
            "filename": self.filename,
        }


class HeaderError(Exception):
    def __init__(self, code: RefusalCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def header_from_fields(fields: dict[str, str], max_size: int) -> DocumentHeader:
    """Validate a received header; HeaderError says which refusal it earns."""

    def text(name: str, limit: int, required: bool) -> str:
        value = fields.get(name, "")
        if required and not value:
            raise HeaderError(RefusalCode.BAD_HEADER, f"field {name} is missing")
        if len(value) > limit:
            raise HeaderError(RefusalCode.BAD_HEADER, f"field {name} is over {limit} characters")
        if name != "notes" and _CONTROL.search(value):
            raise HeaderError(RefusalCode.BAD_HEADER, f"field {name} has control characters")
        return value

    length_text = text("length", 20, True)
    digest = text("sha256", 64, True)
    if not _DIGITS.match(length_text):
        raise HeaderError(RefusalCode.BAD_HEADER, "length is not a decimal number")
    if not _SHA256.match(digest):
        raise HeaderError(RefusalCode.BAD_HEADER, "sha256 is not 64 lowercase hex digits")
    media_type = text("media-type", 64, True)
    if media_type not in MEDIA_TYPES:
        raise HeaderError(RefusalCode.NOT_PDF_OR_TIFF, f"media type {media_type} not accepted")
    length = int(length_text)
    if length == 0:
        raise HeaderError(RefusalCode.BAD_HEADER, "the document is empty")
    if length > max_size:
        raise HeaderError(RefusalCode.TOO_LARGE, f"{length} bytes is over the {max_size} limit")
    return DocumentHeader(
        sender=text("sender", SYMBOL_MAX, True),
        receiver=text("receiver", SYMBOL_MAX, True),
        ill_number=text("ill-number", NUMBER_MAX, True),
        media_type=media_type,
        length=length,
        sha256=digest,
        transaction=text("transaction", NUMBER_MAX, False),
        notes=text("notes", NOTES_MAX, False),
        filename=text("filename", FILENAME_MAX, False),
    )


# Messages (the server sends them; the client receives them as events) ---------------------


@dataclass(frozen=True)
class Continue:
    """The header is accepted: send the body."""


@dataclass(frozen=True)
class Receipt:
    document_id: str
    sha256: str
    length: int
    media_type: str

    def to_fields(self) -> dict[str, str]:
        return {
            "document-id": self.document_id,
            "sha256": self.sha256,
            "length": str(self.length),
            "media-type": self.media_type,
        }


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode | str  # a str: a code from a newer server this version does not know
    reason: str

    def to_fields(self) -> dict[str, str]:
        return {"code": str(self.code), "reason": self.reason[:NOTES_MAX]}


# Client messages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    data: bytes


@dataclass(frozen=True)
class End:
    """No more body."""


# Events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderReceived:
    header: DocumentHeader


@dataclass(frozen=True)
class BodyChunk:
    data: bytes


@dataclass(frozen=True)
class BodyComplete:
    length: int


@dataclass(frozen=True)
class ProtocolError:
    """The peer broke the protocol or the limits; on the server, answer ``Refusal(code, ...)``."""

    code: RefusalCode
    reason: str


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the connection where that is allowed."""


ServerEvent = HeaderReceived | BodyChunk | BodyComplete | ProtocolError | ConnectionClosed
ClientEvent = Continue | Receipt | Refusal | ProtocolError | ConnectionClosed


class LocalProtocolError(Exception):
    """We tried to send something the protocol does not allow now."""


class State(enum.Enum):
    PREAMBLE = "preamble"  # waiting for the client's preamble
    HEADER = "header"  # waiting for the HEADER frame
    DECIDING = "deciding"  # header delivered: the server answers CONTINUE or REFUSAL
    BODY = "body"  # DATA frames until END
    COMPLETE = "complete"  # END received: the server answers RECEIPT or REFUSAL
    FAILED = "failed"  # a ProtocolError was reported: the server answers REFUSAL
    CLOSED = "closed"


def _error(code: RefusalCode, reason: str) -> ProtocolError:
    return ProtocolError(code, reason)


class Receiver:
    """The server's side of one connection."""

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.max_size = max_size
        self.state = State.PREAMBLE
        self.header: DocumentHeader | None = None
        self.received = 0  # body bytes so far
        self._buffer = b""  # an incomplete preamble, frame head or header frame
        self._in_frame = 0  # DATA payload bytes still to come in the current frame
        self._seen_bytes = False
        self._preamble_sent = False

    # Receiving --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[ServerEvent]:
        """Feed bytes from the transport (``b""`` at end of file); returns what they completed."""
        if self.state in (State.FAILED, State.CLOSED):
            return []  # nothing after an error or the answer matters
        if not data:
            return [self._end_of_file()]
        self._seen_bytes = True
        if self.state in (State.DECIDING, State.COMPLETE):
            return [self._fail(RefusalCode.PROTOCOL_ERROR, "data sent before the server answered")]
        if self._buffer:
            data, self._buffer = self._buffer + data, b""
        events: list[ServerEvent] = []
        at = 0
        while at < len(data) and self.state in (State.PREAMBLE, State.HEADER, State.BODY):
            if self._in_frame:
                at = self._body(data, at, events)
                continue
            step = self._frame(data, at, events)
            if step is None:
                break
            at = step
        if self.state in (State.PREAMBLE, State.HEADER, State.BODY):
            self._buffer = data[at:]
        elif at < len(data) and self.state in (State.DECIDING, State.COMPLETE):
            events.append(self._fail(RefusalCode.PROTOCOL_ERROR, "data after the header or END"))
        return events

    def _body(self, data: bytes, at: int, events: list[ServerEvent]) -> int:
        assert self.header is not None
        take = min(self._in_frame, len(data) - at)
        self._in_frame -= take
        self.received += take
        if self.received > self.header.length:
            events.append(
                self._fail(
                    RefusalCode.LENGTH_MISMATCH,
                    f"more than the declared {self.header.length} bytes",
                )
            )
            return len(data)
        events.append(BodyChunk(data[at : at + take] if take < len(data) else data))
        return at + take

    def _frame(self, data: bytes, at: int, events: list[ServerEvent]) -> int | None:
        """Read the preamble or one frame head (and a whole HEADER frame); None: need more."""
        left = len(data) - at
        if self.state is State.PREAMBLE:
            if left < wire.PREAMBLE_SIZE:
                return None
            try:
                wire.check_preamble(data[at : at + wire.PREAMBLE_SIZE])
            except WireError as exc:
                events.append(self._fail(RefusalCode.UNSUPPORTED_VERSION, str(exc)))
                return len(data)
            self.state = State.HEADER
            return at + wire.PREAMBLE_SIZE
        if left < wire.FRAME_HEAD_SIZE:
            return None
        kind, length = wire.parse_frame_head(data[at : at + wire.FRAME_HEAD_SIZE])
        problem = self._frame_problem(kind, length)
        if problem is not None:
            events.append(problem)
            return len(data)
        body = at + wire.FRAME_HEAD_SIZE
        if kind == FrameType.DATA:
            self._in_frame = length
            return body
        if kind == FrameType.END:
            events.append(self._end())
            return body
        if left - wire.FRAME_HEAD_SIZE < length:
            return None  # a HEADER frame, at most MAX_HEADER_SIZE: wait for all of it
        events.append(self._header(data[body : body + length]))
        return body + length

    def _frame_problem(self, kind: int, length: int) -> ProtocolError | None:
        expected = FrameType.HEADER if self.state is State.HEADER else None
        if kind not in wire.CLIENT_FRAMES:
            return self._fail(RefusalCode.PROTOCOL_ERROR, f"unknown frame type 0x{kind:02x}")
        frame_type = FrameType(kind)
        if expected is not None and frame_type is not expected:
            return self._fail(RefusalCode.PROTOCOL_ERROR, f"{frame_type.name} before HEADER")
        if expected is None and frame_type is FrameType.HEADER:
            return self._fail(RefusalCode.PROTOCOL_ERROR, "a second HEADER")
        if length > wire.max_payload(frame_type):
            code = RefusalCode.BAD_HEADER if expected else RefusalCode.PROTOCOL_ERROR
            return self._fail(code, f"{frame_type.name} frame of {length} bytes is too long")
        if frame_type is FrameType.DATA and length == 0:
            return self._fail(RefusalCode.PROTOCOL_ERROR, "empty DATA frame")
        return None

    def _header(self, payload: bytes) -> ServerEvent:
        try:
            header = header_from_fields(wire.decode_fields(payload), self.max_size)
        except WireError as exc:
            return self._fail(RefusalCode.BAD_HEADER, str(exc))
        except HeaderError as exc:
            return self._fail(exc.code, exc.reason)
        self.header = header
        self.state = State.DECIDING
        return HeaderReceived(header)

    def _end(self) -> ServerEvent:
        assert self.header is not None
        if self.received != self.header.length:
            return self._fail(
                RefusalCode.LENGTH_MISMATCH,
                f"{self.received} bytes sent, {self.header.length} declared",
            )
        self.state = State.COMPLETE
        return BodyComplete(self.received)

    def _end_of_file(self) -> ServerEvent:
        if self.state is State.COMPLETE:
            return ConnectionClosed()  # a client may half-close after END
        if not self._seen_bytes:
            self.state = State.CLOSED
            return ConnectionClosed()
        if self.state is State.BODY:
            assert self.header is not None
            reason = f"connection closed after {self.received} of {self.header.length} bytes"
            return self._fail(RefusalCode.TRUNCATED, reason)
        return self._fail(RefusalCode.TRUNCATED, f"connection closed in state {self.state.value}")

    def _fail(self, code: RefusalCode, reason: str) -> ProtocolError:
        self.state = State.FAILED
        self._buffer = b""
        return _error(code, reason)

    # Sending ----------------------------------------------------------------------------

    def send(self, message: Continue | Receipt | Refusal) -> bytes:
        """The bytes for ``message``, if the protocol allows it now."""
        if self.state is State.CLOSED:
            raise LocalProtocolError("the connection is closed")
        if isinstance(message, Continue):
            if self.state is not State.DECIDING:
                raise LocalProtocolError(f"cannot send CONTINUE in state {self.state.value}")
            self.state = State.BODY
            data = wire.frame(FrameType.CONTINUE)
        elif isinstance(message, Receipt):
            if self.state is not State.COMPLETE:
                raise LocalProtocolError(f"cannot send RECEIPT in state {self.state.value}")
            self.state = State.CLOSED
            data = wire.frame(FrameType.RECEIPT, wire.encode_fields(message.to_fields()))
        else:
            self.state = State.CLOSED  # a refusal may end the exchange at any point
            data = wire.frame(FrameType.REFUSAL, wire.encode_fields(message.to_fields()))
        if not self._preamble_sent:
            self._preamble_sent = True
            data = wire.PREAMBLE + data
        return data


class SenderState(enum.Enum):
    IDLE = "idle"
    WAITING = "waiting"  # header sent, waiting for CONTINUE
    SENDING = "sending"  # sending DATA
    SENT = "sent"  # END sent, waiting for RECEIPT or REFUSAL
    CLOSED = "closed"  # answered, or failed


class Sender:
    """The client's side of one connection."""

    def __init__(self) -> None:
        self.state = SenderState.IDLE
        self.header: DocumentHeader | None = None
        self.sent = 0
        self._buffer = b""
        self._preamble_seen = False

    def send(self, message: DocumentHeader | Data | End) -> bytes:
        if isinstance(message, DocumentHeader):
            if self.state is not SenderState.IDLE:
                raise LocalProtocolError("one document per connection")
            self.header = message
            self.state = SenderState.WAITING
            fields = wire.encode_fields(message.to_fields())
            return wire.PREAMBLE + wire.frame(FrameType.HEADER, fields)
        if self.state is not SenderState.SENDING:
            raise LocalProtocolError(f"cannot send the body in state {self.state.value}")
        assert self.header is not None
        if isinstance(message, End):
            if self.sent != self.header.length:
                raise LocalProtocolError(f"sent {self.sent} of {self.header.length} bytes")
            self.state = SenderState.SENT
            return wire.frame(FrameType.END)
        self.sent += len(message.data)
        if self.sent > self.header.length:
            raise LocalProtocolError(f"more than the declared {self.header.length} bytes")
        return b"".join(
            wire.frame(FrameType.DATA, message.data[start : start + wire.MAX_CHUNK_SIZE])
            for start in range(0, len(message.data), wire.MAX_CHUNK_SIZE)
        )

    def receive_data(self, data: bytes) -> list[ClientEvent]:
        if self.state is SenderState.CLOSED:
            return []
        if not data:
            self.state = SenderState.CLOSED
            if self._buffer:
                return [ProtocolError(RefusalCode.PROTOCOL_ERROR, "answer cut short")]
            return [ConnectionClosed()]
        self._buffer += data
        if len(self._buffer) > wire.PREAMBLE_SIZE + wire.FRAME_HEAD_SIZE + wire.MAX_HEADER_SIZE:
            return [self._fail("the server's answer is too long")]
        events: list[ClientEvent] = []
        while (event := self._next()) is not None:
            events.append(event)
            if isinstance(event, Receipt | Refusal | ProtocolError):
                break  # the exchange is over
        return events

    def _next(self) -> ClientEvent | None:
        if not self._preamble_seen:
            if len(self._buffer) < wire.PREAMBLE_SIZE:
                return None
            try:
                wire.check_preamble(self._buffer[: wire.PREAMBLE_SIZE])
            except WireError as exc:
                return self._fail(str(exc))
            self._preamble_seen = True
            self._buffer = self._buffer[wire.PREAMBLE_SIZE :]
        if len(self._buffer) < wire.FRAME_HEAD_SIZE:
            return None
        kind, length = wire.parse_frame_head(self._buffer)
        if kind not in wire.SERVER_FRAMES:
            return self._fail(f"unknown frame type 0x{kind:02x}")
        frame_type = FrameType(kind)
        if length > wire.max_payload(frame_type):
            return self._fail(f"{frame_type.name} frame of {length} bytes is too long")
        if len(self._buffer) < wire.FRAME_HEAD_SIZE + length:
            return None
        payload = self._buffer[wire.FRAME_HEAD_SIZE : wire.FRAME_HEAD_SIZE + length]
        self._buffer = self._buffer[wire.FRAME_HEAD_SIZE + length :]
        if frame_type is FrameType.CONTINUE:
            if self.state is not SenderState.WAITING:
                return self._fail("CONTINUE not expected now")
            self.state = SenderState.SENDING
            return Continue()
        self.state = SenderState.CLOSED
        try:
            fields = wire.decode_fields(payload)
            if frame_type is FrameType.REFUSAL:
                return _refusal(fields)
            return Receipt(
                fields["document-id"],
                fields.get("sha256", ""),
                int(fields.get("length", "0")),
                fields.get("media-type", ""),
            )
        except (WireError, KeyError, ValueError) as exc:
            return self._fail(f"malformed answer: {exc}")

    def _fail(self, reason: str) -> ProtocolError:
        self.state = SenderState.CLOSED
        return ProtocolError(RefusalCode.PROTOCOL_ERROR, reason)


def _refusal(fields: dict[str, str]) -> Refusal:
    code = fields.get("code", "")
    known = {c.value: c for c in RefusalCode}
    return Refusal(known.get(code, code), fields.get("reason", ""))
