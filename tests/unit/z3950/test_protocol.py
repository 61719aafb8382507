"""The sans-I/O protocol core: reassembly across reads, and the state machine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.query.rpn import AttributeElement, Query, Term
from shelfnet.z3950.errors import LocalProtocolError, RemoteProtocolError
from shelfnet.z3950.events import (
    Close,
    CloseReason,
    ConnectionClosed,
    InitRequest,
    InitResponse,
    PresentRequest,
    ResourceControlRequest,
    ResourceControlResponse,
    SearchRequest,
    SearchResponse,
)
from shelfnet.z3950.protocol import Connection, Role, State

QUERY = Query(Term("jazz", (AttributeElement(1, 1016),)))


def connected_pair() -> tuple[Connection, Connection]:
    origin, target = Connection(Role.ORIGIN), Connection(Role.TARGET)
    target.receive_data(origin.send(InitRequest()))
    assert isinstance(target.next_event(), InitRequest)
    origin.receive_data(target.send(InitResponse(accepted=True)))
    assert isinstance(origin.next_event(), InitResponse)
    return origin, target


def test_init_then_search_then_response_returns_to_ready() -> None:
    origin, target = connected_pair()
    target.receive_data(origin.send(SearchRequest(QUERY, databases=("jazz",))))
    assert origin.state is State.BUSY
    request = target.next_event()
    assert isinstance(request, SearchRequest) and request.query == QUERY
    origin.receive_data(target.send(SearchResponse(result_count=978)))
    response = origin.next_event()
    assert isinstance(response, SearchResponse) and response.result_count == 978
    assert origin.state is State.READY and target.state is State.READY


@given(st.lists(st.integers(1, 40), min_size=1, max_size=30))
@settings(max_examples=200)
def test_apdus_split_and_coalesced_across_reads_come_out_whole(cuts: list[int]) -> None:
    origin, target = connected_pair()
    target.receive_data(origin.send(SearchRequest(QUERY)))
    target.next_event()
    stream = b"".join(
        target.send(e)
        for e in (
            ResourceControlRequest(response_required=False),
            SearchResponse(result_count=3),
            Close(CloseReason.SHUTDOWN),
        )
    )
    received: list[object] = []
    position = 0
    for cut in [*cuts, len(stream)]:
        origin.receive_data(stream[position : position + cut])
        position += cut
        while (event := origin.next_event()) is not None:
            received.append(event)
        if position >= len(stream):
            break
    assert [type(e) for e in received] == [ResourceControlRequest, SearchResponse, Close]


def test_an_operation_cannot_start_before_init() -> None:
    with pytest.raises(LocalProtocolError):
        Connection(Role.ORIGIN).send(SearchRequest(QUERY))


def test_only_one_operation_at_a_time() -> None:
    origin, _target = connected_pair()
    origin.send(SearchRequest(QUERY))
    with pytest.raises(LocalProtocolError):
        origin.send(PresentRequest("default", 1, 1))


def test_a_response_nobody_asked_for_is_a_remote_protocol_error() -> None:
    origin, target = connected_pair()
    target._pending, target.state = SearchResponse, State.BUSY  # a target gone astray
    origin.receive_data(target.send(SearchResponse(result_count=1)))
    with pytest.raises(RemoteProtocolError):
        origin.next_event()


def test_resource_control_is_answered_in_the_middle_of_an_operation() -> None:
    origin, target = connected_pair()
    target.receive_data(origin.send(SearchRequest(QUERY)))
    target.next_event()
    origin.receive_data(target.send(ResourceControlRequest(response_required=True)))
    assert isinstance(origin.next_event(), ResourceControlRequest)
    target.receive_data(origin.send(ResourceControlResponse(continue_=True)))
    assert isinstance(target.next_event(), ResourceControlResponse)
    with pytest.raises(LocalProtocolError):  # and only once
        origin.send(ResourceControlResponse())


@pytest.mark.parametrize("reason", list(CloseReason))
def test_every_close_reason_closes_both_sides(reason: CloseReason) -> None:
    origin, target = connected_pair()
    target.receive_data(origin.send(Close(reason, info="bye")))
    close = target.next_event()
    assert isinstance(close, Close) and close.reason is reason and close.info == "bye"
    assert target.state is State.PEER_CLOSING
    origin.receive_data(target.send(Close(CloseReason.FINISHED)))
    origin.next_event()
    assert origin.state is State.CLOSED and target.state is State.CLOSED


def test_garbage_from_the_peer_is_a_remote_protocol_error() -> None:
    origin, _target = connected_pair()
    origin.receive_data(b"\x30\x03\x02\x01\x05")  # a valid TLV, but no PDU
    with pytest.raises(RemoteProtocolError):
        origin.next_event()


def test_end_of_file_between_apdus_is_an_event_and_inside_one_an_error() -> None:
    origin, _target = connected_pair()
    origin.receive_data(b"")
    assert isinstance(origin.next_event(), ConnectionClosed)
    origin2, _ = connected_pair()
    origin2.receive_data(b"\xbf\x30\x05\x9f")
    origin2.receive_data(b"")
    with pytest.raises(RemoteProtocolError):
        origin2.next_event()


def test_an_apdu_larger_than_allowed_is_refused_before_it_arrives() -> None:
    origin = Connection(Role.ORIGIN, max_apdu_size=1000)
    origin.receive_data(b"\xbf\x30\x84\x7f\xff\xff\xff")
    with pytest.raises(RemoteProtocolError):
        origin.next_event()


@given(st.lists(st.binary(max_size=64), max_size=8))
@settings(max_examples=500)
def test_arbitrary_bytes_from_the_peer_give_events_or_remote_protocol_error(
    chunks: list[bytes],
) -> None:
    origin, _target = connected_pair()
    origin.send(SearchRequest(QUERY))
    for chunk in chunks:
        origin.receive_data(chunk)  # an empty chunk is end of file
        try:
            while (event := origin.next_event()) is not None:
                if isinstance(event, ConnectionClosed):
                    return
        except RemoteProtocolError:
            return
