"""The sans-I/O connection and the state tables, driven with bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill import codec
from shelfnet.ill.protocols.isoill.errors import LocalProtocolError
from shelfnet.ill.protocols.isoill.protocol import (
    ApduReceived,
    ApduRefused,
    Connection,
    ConnectionClosed,
    ProtocolError,
)
from shelfnet.ill.protocols.isoill.states import (
    REQUESTER_TABLE,
    RESPONDER_TABLE,
    Direction,
    Role,
    State,
    allowed_apdus,
)

TID = a.TransactionId(initial_requester=a.SystemId("REQ"), qualifier="T1")
WHEN = a.ServiceDateTime("20240102", "030405")
HEADER: dict[str, Any] = {
    "transaction_id": TID,
    "service_date_time": WHEN,
    "requester_id": a.SystemId("REQ"),
}


def clock() -> datetime:
    return datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def responder() -> Connection:
    return Connection(Role.RESPONDER, our_id=a.SystemId("SHELF"), clock=clock)


def feed(connection: Connection, apdu: a.Apdu) -> object:
    connection.receive_data(codec.encode_apdu(*apdu.encode_value()))
    return connection.next_event()


def decode(data: bytes) -> a.Apdu:
    return a.apdu_from_value(*codec.decode_apdu(data))


def test_an_ill_request_moves_the_responder_to_in_process() -> None:
    connection = responder()
    event = feed(connection, a.IllRequest(**HEADER))
    assert isinstance(event, ApduReceived)
    assert event.state is State.IN_PROCESS


def test_the_status_report_after_a_request_carries_no_error() -> None:
    connection = responder()
    event = feed(connection, a.IllRequest(**HEADER))
    assert isinstance(event, ApduReceived)
    reply = decode(connection.send(connection.status_report(event.apdu, "n 1")))
    assert isinstance(reply, a.StatusOrErrorReport)
    assert reply.error_report is None
    assert reply.status_report is not None
    assert reply.status_report.current_state is a.CurrentState.IN_PROCESS
    assert reply.status_report.history.most_recent_service == "iLL-REQUEST"


def test_a_loan_runs_its_course_at_the_responder() -> None:
    connection = responder()
    feed(connection, a.IllRequest(**HEADER))
    connection.send(a.IllAnswer(**HEADER, transaction_results=a.TransactionResults.WILL_SUPPLY))
    connection.send(a.Shipped(**HEADER))
    steps = [
        (a.Received(**HEADER, date_received="20240110"), State.RECEIVED),
        (a.Renew(**HEADER), State.RENEW_PENDING),
    ]
    for apdu, state in steps:
        event = feed(connection, apdu)
        assert isinstance(event, ApduReceived) and event.state is state
    connection.send(a.RenewAnswer(**HEADER, answer=True))
    event = feed(connection, a.Returned(**HEADER, date_returned="20240201"))
    assert isinstance(event, ApduReceived) and event.state is State.RETURNED
    connection.send(a.CheckedIn(**HEADER, date_checked_in="20240203"))
    assert connection.transactions[next(iter(connection.transactions))].state is State.CHECKED_IN


def test_an_apdu_not_allowed_in_the_state_gets_state_transition_prohibited() -> None:
    connection = responder()
    feed(connection, a.IllRequest(**HEADER))
    event = feed(connection, a.Returned(**HEADER, date_returned="20240201"))
    assert isinstance(event, ApduRefused)
    report = decode(connection.send(event.reply))
    assert isinstance(report, a.StatusOrErrorReport)
    assert report.error_report is not None
    prohibited = report.error_report.state_transition_prohibited
    assert prohibited == a.StateTransitionProhibited(a.ApduType.RETURNED, a.CurrentState.IN_PROCESS)
    assert report.error_report.report_source is a.ReportSource.PROVIDER


def test_a_second_request_with_the_same_id_is_a_duplicate() -> None:
    connection = responder()
    feed(connection, a.IllRequest(**HEADER))
    event = feed(connection, a.IllRequest(**HEADER))
    assert isinstance(event, ApduRefused)
    assert event.reply.error_report is not None
    problem = event.reply.error_report.transaction_id_problem
    assert problem is a.TransactionIdProblem.DUPLICATE_TRANSACTION_ID


def test_an_apdu_for_an_unknown_transaction_is_refused() -> None:
    event = feed(responder(), a.Cancel(**HEADER))
    assert isinstance(event, ApduRefused)
    assert event.reply.error_report is not None
    problem = event.reply.error_report.transaction_id_problem
    assert problem is a.TransactionIdProblem.UNKNOWN_TRANSACTION_ID


def test_a_refused_cancel_returns_the_transaction_to_where_it_was() -> None:
    connection = responder()
    feed(connection, a.IllRequest(**HEADER))
    feed(connection, a.Cancel(**HEADER))
    connection.send(a.CancelReply(**HEADER, answer=False))
    event = feed(connection, a.StatusQuery(**HEADER))
    assert isinstance(event, ApduReceived) and event.state is State.IN_PROCESS


def test_sending_what_the_table_forbids_raises_local_protocol_error() -> None:
    connection = responder()
    with pytest.raises(LocalProtocolError):
        connection.send(a.Shipped(**HEADER))


def test_the_requester_table_mirrors_the_responders() -> None:
    requester = Connection(Role.REQUESTER, clock=clock)
    requester.send(a.IllRequest(**HEADER))
    event = feed(
        requester, a.IllAnswer(**HEADER, transaction_results=a.TransactionResults.CONDITIONAL)
    )
    assert isinstance(event, ApduReceived) and event.state is State.CONDITIONAL
    requester.send(a.ConditionalReply(**HEADER, answer=True))
    event = feed(requester, a.Shipped(**HEADER))
    assert isinstance(event, ApduReceived) and event.state is State.SHIPPED
    assert State.IN_PROCESS not in REQUESTER_TABLE and State.PENDING not in RESPONDER_TABLE
    assert a.ApduType.ILL_REQUEST in allowed_apdus(Role.REQUESTER, State.IDLE, Direction.SEND)
    assert a.ApduType.ILL_REQUEST in allowed_apdus(Role.RESPONDER, State.IDLE, Direction.RECEIVE)


@pytest.mark.parametrize(
    "state", [State.CANCELLED, State.NOT_SUPPLIED, State.CHECKED_IN, State.LOST]
)
def test_terminal_states_allow_only_status_and_messages(state: State) -> None:
    for role in Role:
        for direction in Direction:
            kinds = allowed_apdus(role, state, direction) - {a.ApduType.DAMAGED}
            assert kinds == {
                a.ApduType.MESSAGE,
                a.ApduType.STATUS_QUERY,
                a.ApduType.STATUS_OR_ERROR_REPORT,
            }


def test_malformed_framing_is_a_fatal_protocol_error_with_a_report() -> None:
    connection = responder()
    connection.receive_data(b"\x61\xff\xff\xff")
    event = connection.next_event()
    assert isinstance(event, ProtocolError) and event.fatal
    report = decode(connection.send(event.reply))
    assert isinstance(report, a.StatusOrErrorReport) and report.error_report is not None
    assert report.error_report.general_problem is a.GeneralProblem.BADLY_STRUCTURED_APDU


def test_an_oversized_declared_length_is_refused_before_it_arrives() -> None:
    connection = Connection(Role.RESPONDER, max_apdu_size=1000)
    connection.receive_data(b"\x61\x84\x7f\xff\xff\xff")
    event = connection.next_event()
    assert isinstance(event, ProtocolError) and event.fatal


def test_a_well_framed_but_unknown_apdu_is_not_fatal() -> None:
    connection = responder()
    connection.receive_data(b"\x04\x03abc")
    event = connection.next_event()
    assert isinstance(event, ProtocolError) and not event.fatal
    assert event.reply.error_report is not None
    assert event.reply.error_report.general_problem is a.GeneralProblem.UNRECOGNIZED_APDU
    assert isinstance(feed(connection, a.IllRequest(**HEADER)), ApduReceived)


def test_apdus_split_across_reads_and_back_to_back_both_work() -> None:
    connection = responder()
    other = {**HEADER, "transaction_id": a.TransactionId(qualifier="T2")}
    data = codec.encode_apdu(*a.IllRequest(**HEADER).encode_value()) + codec.encode_apdu(
        *a.IllRequest(**other).encode_value()
    )
    connection.receive_data(data[:7])
    assert connection.next_event() is None
    connection.receive_data(data[7:])
    assert isinstance(connection.next_event(), ApduReceived)
    assert isinstance(connection.next_event(), ApduReceived)
    assert connection.next_event() is None
    connection.receive_data(b"")
    assert isinstance(connection.next_event(), ConnectionClosed)


def test_an_unsupported_protocol_version_is_refused() -> None:
    event = feed(responder(), a.IllRequest(**HEADER, protocol_version=3))
    assert isinstance(event, ApduRefused)
    assert event.reply.error_report is not None
    problem = event.reply.error_report.general_problem
    assert problem is a.GeneralProblem.PROTOCOL_VERSION_NOT_SUPPORTED


# Hostile bytes: whatever arrives, the core answers with events, never an exception.

_APDU_TAGS = st.sampled_from([bytes([tag]) for tag in range(0x61, 0x75)])


@given(st.lists(st.binary(max_size=64), max_size=12))
def test_random_bytes_only_ever_give_events(chunks: list[bytes]) -> None:
    _drain(chunks)


@given(_APDU_TAGS, st.binary(max_size=200), st.integers(0, 40))
def test_mangled_apdus_only_ever_give_events(tag: bytes, body: bytes, cut: int) -> None:
    framed = tag + bytes([min(len(body), 127)]) + body[:127]
    _drain([framed[:cut], framed[cut:]])


def _drain(chunks: list[bytes]) -> None:
    connection = Connection(Role.RESPONDER, our_id=a.SystemId("SHELF"), max_apdu_size=4096)
    for chunk in [*chunks, b""]:
        connection.receive_data(chunk)
        for _ in range(100):
            event = connection.next_event()
            if event is None or isinstance(event, ConnectionClosed):
                break
            assert isinstance(event, ApduReceived | ApduRefused | ProtocolError)
