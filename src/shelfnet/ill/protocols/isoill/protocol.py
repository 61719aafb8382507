"""The sans-I/O ISO ILL protocol core: bytes in, events out; APDUs in, bytes out.

A ``Connection`` plays one role (requester or responder) for any number of transactions over
one TCP connection. Feed it what the socket delivered with ``receive_data``; take events out
with ``next_event``, which returns None until a whole APDU has arrived. ``send(apdu)`` checks
the state table and returns the bytes to write.

ILL APDUs run back to back over TCP as BER values with no other framing (ISO 10161-1 over
TCP, as YAZ and the IPIG profile do it), so framing is finding the end of each outermost TLV
(``shelfnet.z3950.ber.tlv_end``, shared with Z39.50).

Nothing a peer sends raises: an APDU the state table does not allow, an unknown or duplicate
transaction id, undecodable BER, an oversized or malformed frame all become an
``ApduRefused`` or ``ProtocolError`` event carrying the Status-Or-Error-Report to send back
(with the standard's Provider-Error-Report). After a ``ProtocolError`` with ``fatal`` set the
byte stream cannot be trusted any more: send the reply, then close.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shelfnet.ill.protocols.isoill import codec
from shelfnet.ill.protocols.isoill.apdus import (
    Apdu,
    ApduType,
    ErrorReport,
    GeneralProblem,
    HistoryReport,
    ReasonNoReport,
    ReportSource,
    ServiceDateTime,
    StateTransitionProhibited,
    StatusOrErrorReport,
    StatusReport,
    SystemId,
    TransactionId,
    TransactionIdProblem,
    apdu_from_value,
)
from shelfnet.ill.protocols.isoill.errors import DecodeError, LocalProtocolError
from shelfnet.ill.protocols.isoill.states import Direction, Role, State, transition
from shelfnet.z3950 import errors as z3950_errors
from shelfnet.z3950.ber import tlv_end

DEFAULT_MAX_APDU = 1024 * 1024
"""An ILL APDU is a citation and some addresses: a megabyte is generous."""

Clock = Callable[[], datetime]
TransactionKey = tuple[str, str, str, str]


def transaction_key(transaction_id: TransactionId) -> TransactionKey:
    """What makes a transaction id unique: the initial requester and the qualifiers."""
    initial = transaction_id.initial_requester
    return (
        str(initial) if initial else "",
        transaction_id.group_qualifier,
        transaction_id.qualifier,
        transaction_id.sub_qualifier or "",
    )


@dataclass
class Transaction:
    """One transaction's state at our end, and what the history report needs."""

    state: State = State.IDLE
    previous: State = State.IDLE
    """The state before the current one (a refused Cancel or an answered Renew returns)."""
    last_apdu: ApduType | None = None
    last_initiator: SystemId = field(default_factory=SystemId)
    last_transition: str = ""
    requested: str | None = None


@dataclass(frozen=True)
class ApduReceived:
    """An APDU the state table allowed; ``state`` is the transaction's state now."""

    apdu: Apdu
    state: State
    raw: bytes


@dataclass(frozen=True)
class ApduRefused:
    """A well-formed APDU the state table does not allow (or for an unknown transaction).
    Send ``reply``; the transaction's state is unchanged."""

    apdu: Apdu
    state: State
    reply: StatusOrErrorReport
    reason: str


@dataclass(frozen=True)
class ProtocolError:
    """Bytes that are not an ILL APDU. Send ``reply``; close when ``fatal``."""

    reason: str
    reply: StatusOrErrorReport
    fatal: bool


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed its end."""


Event = ApduReceived | ApduRefused | ProtocolError | ConnectionClosed


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Connection:
    """One TCP connection's ILL protocol machine, in one role, with no I/O of its own."""

    def __init__(
        self,
        role: Role,
        *,
        our_id: SystemId | None = None,
        max_apdu_size: int = DEFAULT_MAX_APDU,
        clock: Clock = _utc_now,
        transactions: MutableMapping[TransactionKey, Transaction] | None = None,
    ) -> None:
        """``transactions`` may be shared between connections (a responder keeps its
        transactions when the requester reconnects for the next APDU)."""
        self.role = role
        self.our_id = our_id or SystemId()
        self.max_apdu_size = max_apdu_size
        self.clock = clock
        self.transactions = {} if transactions is None else transactions
        self._buffer = bytearray()
        self._eof = False
        self._broken = False

    # Receiving ----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the transport; ``b""`` means end of file."""
        if not data:
            self._eof = True
        if not self._broken:
            self._buffer += data

    def next_event(self) -> Event | None:
        """The next event, or None for "need more data"."""
        if self._broken:
            return ConnectionClosed() if self._eof else None
        try:
            end = tlv_end(self._buffer, 0, self.max_apdu_size)
        except z3950_errors.DecodeError as exc:
            return self._lose_framing(f"malformed APDU: {exc}")
        if end is None:
            if not self._eof:
                return None
            if self._buffer:
                return self._lose_framing("connection closed in the middle of an APDU")
            return ConnectionClosed()
        frame = bytes(self._buffer[:end])
        del self._buffer[:end]
        try:
            apdu = apdu_from_value(*codec.decode_apdu(frame))
        except (DecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            # The frame was well delimited: the stream is still in step.
            problem = (
                GeneralProblem.UNRECOGNIZED_APDU
                if frame[:1] and not 0x61 <= frame[0] <= 0x74
                else GeneralProblem.BADLY_STRUCTURED_APDU
            )
            return ProtocolError(
                f"undecodable APDU: {exc}", self._general(problem, str(exc)), False
            )
        return self._received(apdu, frame)

    def _lose_framing(self, reason: str) -> ProtocolError:
        self._buffer.clear()
        self._broken = True
        reply = self._general(GeneralProblem.BADLY_STRUCTURED_APDU, reason)
        return ProtocolError(reason, reply, True)

    def _received(self, apdu: Apdu, raw: bytes) -> ApduReceived | ApduRefused:
        if apdu.protocol_version not in (1, 2):
            reason = f"protocol version {apdu.protocol_version} is not supported"
            reply = self._error(
                apdu,
                ErrorReport(
                    reason, ReportSource.PROVIDER, GeneralProblem.PROTOCOL_VERSION_NOT_SUPPORTED
                ),
            )
            return ApduRefused(apdu, State.IDLE, reply, reason)
        key = transaction_key(apdu.transaction_id)
        transaction = self.transactions.get(key) or Transaction()
        verdict = transition(
            self.role, transaction.state, Direction.RECEIVE, apdu, transaction.previous
        )
        if not verdict.allowed:
            return self._refuse(apdu, transaction)
        if apdu.TYPE is not ApduType.STATUS_OR_ERROR_REPORT or key in self.transactions:
            self._advance(key, transaction, apdu, verdict.state, apdu.requester_id)
        return ApduReceived(apdu, verdict.state, raw)

    def _refuse(self, apdu: Apdu, transaction: Transaction) -> ApduRefused:
        state = transaction.state
        name = apdu.TYPE.identifier
        if apdu.TYPE is ApduType.ILL_REQUEST:
            reason = "duplicate transaction id"
            report = ErrorReport(
                name,
                ReportSource.PROVIDER,
                transaction_id_problem=TransactionIdProblem.DUPLICATE_TRANSACTION_ID,
            )
        elif state is State.IDLE:
            reason = "unknown transaction id"
            report = ErrorReport(
                name,
                ReportSource.PROVIDER,
                transaction_id_problem=TransactionIdProblem.UNKNOWN_TRANSACTION_ID,
            )
        else:
            reason = f"{name} is not allowed in state {state.value}"
            report = ErrorReport(
                name,
                ReportSource.PROVIDER,
                state_transition_prohibited=StateTransitionProhibited(
                    apdu.TYPE, state.current_state
                ),
            )
        return ApduRefused(apdu, state, self._error(apdu, report), reason)

    # Sending ------------------------------------------------------------------------------

    def send(self, apdu: Apdu) -> bytes:
        """Check ``apdu`` against the state table, advance the state, return its bytes."""
        key = transaction_key(apdu.transaction_id)
        transaction = self.transactions.get(key) or Transaction()
        verdict = transition(
            self.role, transaction.state, Direction.SEND, apdu, transaction.previous
        )
        if not verdict.allowed:
            raise LocalProtocolError(
                f"cannot send {apdu.TYPE.identifier} in state {transaction.state.value}"
            )
        data = codec.encode_apdu(*apdu.encode_value())
        if apdu.TYPE is not ApduType.STATUS_OR_ERROR_REPORT or key in self.transactions:
            self._advance(key, transaction, apdu, verdict.state, self.our_id)
        return data

    def _advance(
        self,
        key: TransactionKey,
        transaction: Transaction,
        apdu: Apdu,
        state: State,
        initiator: SystemId | None,
    ) -> None:
        today = self.service_date_time().date
        if state is not transaction.state:
            transaction.previous, transaction.state = transaction.state, state
            transaction.last_transition = today
        if apdu.TYPE is ApduType.ILL_REQUEST:
            transaction.requested = apdu.service_date_time.date
        transaction.last_apdu = apdu.TYPE
        transaction.last_initiator = initiator or SystemId()
        self.transactions[key] = transaction

    # Replies ------------------------------------------------------------------------------

    def service_date_time(self) -> ServiceDateTime:
        now = self.clock()
        return ServiceDateTime(now.strftime("%Y%m%d"), now.strftime("%H%M%S"))

    def status_report(self, apdu: Apdu, note: str | None = None) -> StatusOrErrorReport:
        """A Status-Or-Error-Report giving the transaction's state (what a Status-Query, or
        yaz-illclient after its ILL-Request, expects back)."""
        transaction = self.transactions.get(transaction_key(apdu.transaction_id))
        if transaction is None or transaction.last_apdu is None:
            return self._reply(apdu, note=note, reason_no_report=ReasonNoReport.PERMANENT)
        history = HistoryReport(
            date_requested=transaction.requested,
            date_of_last_transition=transaction.last_transition,
            most_recent_service=transaction.last_apdu.identifier,
            date_of_most_recent_service=transaction.last_transition,
            initiator_of_most_recent_service=transaction.last_initiator,
        )
        report = StatusReport(history=history, current_state=transaction.state.current_state)
        return self._reply(apdu, note=note, status_report=report)

    def _error(self, apdu: Apdu, report: ErrorReport) -> StatusOrErrorReport:
        return self._reply(apdu, error_report=report, note=report.correlation_information)

    def _general(self, problem: GeneralProblem, reason: str) -> StatusOrErrorReport:
        """An error report for bytes that name no transaction."""
        report = ErrorReport("unreadable APDU", ReportSource.PROVIDER, general_problem=problem)
        return StatusOrErrorReport(
            transaction_id=TransactionId(),
            service_date_time=self.service_date_time(),
            responder_id=self.our_id if self.role is Role.RESPONDER else None,
            error_report=report,
            note=reason[:200],
        )

    def _reply(
        self,
        apdu: Apdu,
        *,
        note: str | None = None,
        status_report: StatusReport | None = None,
        error_report: ErrorReport | None = None,
        reason_no_report: ReasonNoReport | None = None,
    ) -> StatusOrErrorReport:
        responder = self.role is Role.RESPONDER
        return StatusOrErrorReport(
            transaction_id=apdu.transaction_id,
            service_date_time=self.service_date_time(),
            protocol_version=apdu.protocol_version if apdu.protocol_version in (1, 2) else 2,
            requester_id=apdu.requester_id if responder else self.our_id,
            responder_id=self.our_id if responder else apdu.responder_id,
            note=note,
            status_report=status_report,
            error_report=error_report,
            reason_no_report=reason_no_report,
        )
