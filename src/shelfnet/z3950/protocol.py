"""The sans-I/O Z39.50 protocol core: bytes in, events out; events in, bytes out.

A ``Connection`` plays one role (origin = client, or target = server). Feed it what the socket
delivered with ``receive_data``; take complete APDUs out with ``next_event``, which returns None
until a whole APDU has arrived (APDUs split across reads or several in one read are both fine).
``send(event)`` checks that the event is allowed now and returns the bytes to write.

The state machine follows the Z39.50 model without concurrent operations: after Init, one
operation (search, present, scan, sort, delete) is outstanding at a time; during it the target
may interpose access-control and resource-control requests, which the origin answers; either
side may send Close at any time, and the other answers with Close.
"""

from __future__ import annotations

import enum

from shelfnet.z3950 import codec
from shelfnet.z3950.ber import tlv_end
from shelfnet.z3950.errors import DecodeError, LocalProtocolError, RemoteProtocolError
from shelfnet.z3950.events import (
    AccessControlRequest,
    AccessControlResponse,
    Close,
    ConnectionClosed,
    DeleteResultSetRequest,
    DeleteResultSetResponse,
    Event,
    InitRequest,
    InitResponse,
    OtherAPDU,
    PresentRequest,
    PresentResponse,
    ResourceControlRequest,
    ResourceControlResponse,
    ScanRequest,
    ScanResponse,
    SearchRequest,
    SearchResponse,
    SortRequest,
    SortResponse,
    TriggerResourceControlRequest,
    event_from_apdu,
)


class Role(enum.Enum):
    ORIGIN = "origin"
    TARGET = "target"


class State(enum.Enum):
    IDLE = "idle"  # nothing exchanged yet
    INITIALISING = "initialising"  # Init request sent (origin) / received (target)
    READY = "ready"  # between operations
    BUSY = "busy"  # one operation outstanding
    CLOSING = "closing"  # Close sent, waiting for the peer's Close
    PEER_CLOSING = "peer-closing"  # peer's Close received, ours not sent yet
    CLOSED = "closed"


OPERATIONS: dict[type[Event], type[Event]] = {
    SearchRequest: SearchResponse,
    PresentRequest: PresentResponse,
    ScanRequest: ScanResponse,
    SortRequest: SortResponse,
    DeleteResultSetRequest: DeleteResultSetResponse,
}
"""Each operation request and the response that ends it."""

INTERPOSED: dict[type[Event], type[Event]] = {
    AccessControlRequest: AccessControlResponse,
    ResourceControlRequest: ResourceControlResponse,
}
"""Requests a target may send in the middle of an operation, and the origin's answers."""

DEFAULT_MAX_APDU = 64 * 1024 * 1024


class Connection:
    """One Z39.50 association, in one role, with no I/O of its own."""

    def __init__(
        self, role: Role, *, charset: str = "utf-8", max_apdu_size: int = DEFAULT_MAX_APDU
    ) -> None:
        self.role = role
        self.state = State.IDLE
        self.charset = charset
        self.max_apdu_size = max_apdu_size
        self._buffer = bytearray()
        self._eof = False
        self._pending: type[Event] | None = None  # response that ends the current operation
        self._interposed: list[type[Event]] = []  # answers owed for interposed requests

    # Receiving ----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the transport; ``b""`` means end of file."""
        if not data:
            self._eof = True
        self._buffer += data

    def next_event(self) -> Event | ConnectionClosed | None:
        """The next complete APDU as an event, ConnectionClosed at EOF, or None for "need data"."""
        try:
            end = tlv_end(self._buffer, 0, self.max_apdu_size)
        except DecodeError as exc:
            self._buffer.clear()  # framing is lost: nothing after this can be trusted
            raise RemoteProtocolError(f"malformed APDU: {exc}") from exc
        if end is None:
            if self._eof:
                if self._buffer:
                    self._buffer.clear()
                    raise RemoteProtocolError("connection closed in the middle of an APDU")
                self.state = State.CLOSED
                return ConnectionClosed()
            return None
        frame = bytes(self._buffer[:end])
        del self._buffer[:end]
        try:
            name, value = codec.decode_apdu(frame)
            event = event_from_apdu(name, value, self.charset)
        except (DecodeError, KeyError, TypeError, ValueError) as exc:
            raise RemoteProtocolError(f"malformed APDU: {exc}") from exc
        self._received(event)
        return event

    def _received(self, event: Event) -> None:
        if isinstance(event, Close):
            self.state = State.CLOSED if self.state is State.CLOSING else State.PEER_CLOSING
            return
        if self.state in (State.CLOSING, State.CLOSED, State.PEER_CLOSING):
            return  # a response racing our Close: harmless, dropped by the caller
        if self.role is Role.ORIGIN:
            self._origin_received(event)
        else:
            self._target_received(event)

    def _origin_received(self, event: Event) -> None:
        if isinstance(event, InitResponse) and self.state is State.INITIALISING:
            self.state = State.READY
        elif self.state is State.BUSY and type(event) is self._pending:
            self.state, self._pending = State.READY, None
        elif self.state is State.BUSY and type(event) in INTERPOSED:
            self._interposed.append(INTERPOSED[type(event)])
        elif isinstance(event, OtherAPDU):
            pass  # carried for the caller, who decides what it means
        else:
            raise RemoteProtocolError(f"unexpected {event.pdu} in state {self.state.value}")

    def _target_received(self, event: Event) -> None:
        if isinstance(event, InitRequest) and self.state is State.IDLE:
            self.state = State.INITIALISING
        elif type(event) in OPERATIONS and self.state is State.READY:
            self.state, self._pending = State.BUSY, OPERATIONS[type(event)]
        elif type(event) in INTERPOSED.values() and self._interposed_sent(type(event)):
            pass
        elif isinstance(event, TriggerResourceControlRequest | OtherAPDU):
            pass  # allowed at any time; the server decides what to do
        else:
            raise RemoteProtocolError(f"unexpected {event.pdu} in state {self.state.value}")

    def _interposed_sent(self, answer: type[Event]) -> bool:
        if answer in self._interposed:
            self._interposed.remove(answer)
            return True
        return False

    # Sending ------------------------------------------------------------------------------

    def send(self, event: Event) -> bytes:
        """Check that ``event`` may be sent now, update the state, and return its bytes."""
        self._may_send(event)
        name = event.name if isinstance(event, OtherAPDU) else event.pdu
        data = codec.encode_apdu(name, event.to_value(self.charset))
        self._sent(event)
        return data

    def _may_send(self, event: Event) -> None:
        if self.state is State.CLOSED:
            raise LocalProtocolError("the connection is closed")
        if isinstance(event, Close):
            return
        if self.state in (State.CLOSING, State.PEER_CLOSING):
            raise LocalProtocolError(f"cannot send {event.pdu} while closing")
        allowed = (
            self._origin_may_send(event)
            if self.role is Role.ORIGIN
            else self._target_may_send(event)
        )
        if not allowed:
            raise LocalProtocolError(f"cannot send {event.pdu} in state {self.state.value}")

    def _origin_may_send(self, event: Event) -> bool:
        if isinstance(event, InitRequest):
            return self.state is State.IDLE
        if type(event) in OPERATIONS:
            return self.state is State.READY
        if type(event) in INTERPOSED.values():
            return type(event) in self._interposed
        return isinstance(event, TriggerResourceControlRequest | OtherAPDU)

    def _target_may_send(self, event: Event) -> bool:
        if isinstance(event, InitResponse):
            return self.state is State.INITIALISING
        if type(event) in OPERATIONS.values():
            return self.state is State.BUSY and type(event) is self._pending
        if type(event) in INTERPOSED:
            return self.state is State.BUSY
        return isinstance(event, OtherAPDU)

    def _sent(self, event: Event) -> None:
        if isinstance(event, Close):
            self.state = State.CLOSED if self.state is State.PEER_CLOSING else State.CLOSING
        elif isinstance(event, InitRequest):
            self.state = State.INITIALISING
        elif isinstance(event, InitResponse):
            self.state = State.READY if event.accepted else State.INITIALISING
        elif self.role is Role.ORIGIN and type(event) in OPERATIONS:
            self.state, self._pending = State.BUSY, OPERATIONS[type(event)]
        elif self.role is Role.ORIGIN and type(event) in INTERPOSED.values():
            self._interposed.remove(type(event))
        elif self.role is Role.TARGET and type(event) in OPERATIONS.values():
            self.state, self._pending = State.READY, None
        elif self.role is Role.TARGET and type(event) in INTERPOSED:
            self._interposed.append(INTERPOSED[type(event)])
