"""The sans-I/O delivery protocol, driven with bytes: both roles, every refusal the core
decides, and hypothesis for the field codec and for whatever a client may send."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.ill.delivery import wire
from shelfnet.ill.delivery.protocol import (
    PDF,
    BodyChunk,
    BodyComplete,
    ConnectionClosed,
    Continue,
    Data,
    DocumentHeader,
    End,
    HeaderReceived,
    LocalProtocolError,
    ProtocolError,
    Receipt,
    Receiver,
    Refusal,
    RefusalCode,
    Sender,
    ServerEvent,
    State,
)
from shelfnet.ill.delivery.wire import FrameType

BODY = b"%PDF-1.7 pretend body " * 100


def header(body: bytes = BODY, **changes: Any) -> DocumentHeader:
    values: dict[str, object] = {
        "sender": "US-SUP",
        "receiver": "US-REQ",
        "ill_number": "123456",
        "media_type": PDF,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "transaction": "42",
        "notes": "Pages 12-19.\nScanned at 400 dpi.",
        "filename": "../../etc/passwd.pdf",
    }
    values.update(changes)
    return DocumentHeader(**values)  # type: ignore[arg-type]


def client_bytes(head: DocumentHeader, body: bytes) -> tuple[bytes, bytes]:
    """(preamble + HEADER, DATA... END) as an honest client sends them."""
    sender = Sender()
    first = sender.send(head)
    sender.receive_data(wire.PREAMBLE + wire.frame(FrameType.CONTINUE))
    rest = sender.send(Data(body)) + sender.send(End())
    return first, rest


def body_of(events: list[ServerEvent]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, BodyChunk))


def error_of(events: list[ServerEvent]) -> RefusalCode:
    errors = [e for e in events if isinstance(e, ProtocolError)]
    assert len(errors) == 1, events
    return errors[0].code


def header_frame(fields: dict[str, str]) -> bytes:
    return wire.PREAMBLE + wire.frame(FrameType.HEADER, wire.encode_fields(fields))


# The whole exchange --------------------------------------------------------------------


def test_a_document_goes_from_sender_to_receiver_and_a_receipt_comes_back() -> None:
    sender, receiver = Sender(), Receiver()
    head = header()
    events = receiver.receive_data(sender.send(head))
    assert events == [HeaderReceived(head)]
    assert sender.receive_data(receiver.send(Continue())) == [Continue()]
    events = receiver.receive_data(sender.send(Data(BODY[:1000])))
    events += receiver.receive_data(sender.send(Data(BODY[1000:])) + sender.send(End()))
    assert body_of(events) == BODY
    assert events[-1] == BodyComplete(len(BODY))
    receipt = Receipt("doc-1", head.sha256, len(BODY), PDF)
    assert sender.receive_data(receiver.send(receipt)) == [receipt]
    assert receiver.state is State.CLOSED


def test_bytes_may_arrive_one_at_a_time() -> None:
    first, rest = client_bytes(header(), BODY)
    receiver = Receiver()
    events: list[ServerEvent] = []
    for byte in first:
        events += receiver.receive_data(bytes([byte]))
    assert events == [HeaderReceived(header())]
    receiver.send(Continue())
    for byte in rest:
        events += receiver.receive_data(bytes([byte]))
    assert body_of(events) == BODY
    assert events[-1] == BodyComplete(len(BODY))


def test_a_big_body_is_split_into_frames_of_at_most_a_mebibyte() -> None:
    body = bytes(range(256)) * (5 * 4096)  # 5 MiB
    sender = Sender()
    sender.send(header(body))
    sender.receive_data(wire.PREAMBLE + wire.frame(FrameType.CONTINUE))
    data = sender.send(Data(body))
    assert len(data) == len(body) + 5 * wire.FRAME_HEAD_SIZE


def test_the_sender_file_name_is_carried_as_text_only() -> None:
    (event,) = Receiver().receive_data(client_bytes(header(), BODY)[0])
    assert isinstance(event, HeaderReceived)
    assert event.header.filename == "../../etc/passwd.pdf"


def test_the_server_preamble_comes_with_its_first_answer_only() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0])
    assert receiver.send(Continue()).startswith(wire.PREAMBLE)
    refusal = receiver.send(Refusal(RefusalCode.TIMEOUT, "quiet"))
    assert refusal[:1] == bytes([FrameType.REFUSAL])


# Refusals the core decides -------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_too_large_before_any_body() -> None:
    events = Receiver(max_size=1000).receive_data(client_bytes(header(), BODY)[0])
    assert error_of(events) is RefusalCode.TOO_LARGE


def test_a_huge_header_frame_is_refused_from_its_length_alone() -> None:
    receiver = Receiver()
    data = wire.PREAMBLE + struct.pack(">BI", FrameType.HEADER, 0xFFFFFFFF)
    assert error_of(receiver.receive_data(data)) is RefusalCode.BAD_HEADER
    assert receiver.state is State.FAILED
    assert receiver.receive_data(b"x" * 100_000) == []


def test_a_data_frame_over_a_mebibyte_is_a_protocol_error() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0])
    receiver.send(Continue())
    data = struct.pack(">BI", FrameType.DATA, wire.MAX_CHUNK_SIZE + 1)
    assert error_of(receiver.receive_data(data)) is RefusalCode.PROTOCOL_ERROR


def test_more_bytes_than_declared_is_a_length_mismatch_as_soon_as_they_arrive() -> None:
    receiver = Receiver()
    receiver.receive_data(header_frame(header(length=100).to_fields()))
    receiver.send(Continue())
    events = receiver.receive_data(wire.frame(FrameType.DATA, BODY[:150]))
    assert error_of(events) is RefusalCode.LENGTH_MISMATCH
    assert len(body_of(events)) == 0


def test_fewer_bytes_than_declared_is_a_length_mismatch_at_end() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0])
    receiver.send(Continue())
    data = wire.frame(FrameType.DATA, BODY[:100]) + wire.frame(FrameType.END)
    assert error_of(receiver.receive_data(data)) is RefusalCode.LENGTH_MISMATCH


def test_a_connection_closed_in_the_body_is_truncated() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0])
    receiver.send(Continue())
    receiver.receive_data(wire.frame(FrameType.DATA, BODY[:100]))
    assert error_of(receiver.receive_data(b"")) is RefusalCode.TRUNCATED


def test_a_connection_closed_before_a_byte_is_just_closed() -> None:
    assert Receiver().receive_data(b"") == [ConnectionClosed()]


def test_a_connection_closed_inside_the_header_is_truncated() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0][:20])
    assert error_of(receiver.receive_data(b"")) is RefusalCode.TRUNCATED


@pytest.mark.parametrize("preamble", [b"HTTP/1.1", b"SNDD\x02\0\0\0", b"SNDD\x01\0\0\x01"])
def test_a_foreign_or_newer_preamble_is_refused(preamble: bytes) -> None:
    assert error_of(Receiver().receive_data(preamble)) is RefusalCode.UNSUPPORTED_VERSION


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sender": ""}, RefusalCode.BAD_HEADER),
        ({"receiver": "X" * 65}, RefusalCode.BAD_HEADER),
        ({"ill_number": "12\x003"}, RefusalCode.BAD_HEADER),
        ({"sha256": "ABC"}, RefusalCode.BAD_HEADER),
        ({"length": 0}, RefusalCode.BAD_HEADER),
        ({"media_type": "image/jpeg"}, RefusalCode.NOT_PDF_OR_TIFF),
        ({"media_type": "text/html"}, RefusalCode.NOT_PDF_OR_TIFF),
    ],
)
def test_a_header_breaking_the_rules_is_refused(change: dict[str, Any], code: str) -> None:
    fields = header(**change).to_fields()
    assert error_of(Receiver().receive_data(header_frame(fields))) == code


@pytest.mark.parametrize("length", ["-1", "007", "1e6", " 12", "123456789012345678901"])
def test_a_length_that_is_not_a_plain_decimal_is_a_bad_header(length: str) -> None:
    fields = header().to_fields() | {"length": length}
    assert error_of(Receiver().receive_data(header_frame(fields))) is RefusalCode.BAD_HEADER


def test_unknown_header_fields_are_ignored() -> None:
    fields = header().to_fields() | {"x-scanner": "Ariel 4"}
    (event,) = Receiver().receive_data(header_frame(fields))
    assert event == HeaderReceived(header())


def test_data_before_continue_is_a_protocol_error() -> None:
    first, rest = client_bytes(header(), BODY)
    assert error_of(Receiver().receive_data(first + rest)) is RefusalCode.PROTOCOL_ERROR


@pytest.mark.parametrize("kind", [FrameType.DATA, FrameType.END, FrameType.RECEIPT, 0x7F])
def test_anything_but_a_header_first_is_a_protocol_error(kind: int) -> None:
    data = wire.PREAMBLE + struct.pack(">BI", kind, 0)
    assert error_of(Receiver().receive_data(data)) is RefusalCode.PROTOCOL_ERROR


def test_the_server_cannot_send_a_receipt_before_the_body_is_complete() -> None:
    receiver = Receiver()
    receiver.receive_data(client_bytes(header(), BODY)[0])
    with pytest.raises(LocalProtocolError):
        receiver.send(Receipt("x", "y", 1, PDF))
    receiver.send(Refusal(RefusalCode.UNKNOWN_RECEIVER, "no such library"))
    with pytest.raises(LocalProtocolError):
        receiver.send(Continue())


# The client's side ---------------------------------------------------------------------


def test_the_sender_refuses_to_send_more_or_less_than_it_declared() -> None:
    sender = Sender()
    sender.send(header(length=10))
    with pytest.raises(LocalProtocolError):
        sender.send(Data(b"early"))  # no CONTINUE yet
    sender.receive_data(wire.PREAMBLE + wire.frame(FrameType.CONTINUE))
    with pytest.raises(LocalProtocolError):
        sender.send(Data(b"x" * 11))
    with pytest.raises(LocalProtocolError):
        Sender().send(End())


def test_the_sender_reads_a_refusal_and_keeps_codes_it_does_not_know() -> None:
    sender = Sender()
    sender.send(header())
    answer = wire.PREAMBLE + wire.frame(
        FrameType.REFUSAL, wire.encode_fields({"code": "quota-exceeded", "reason": "later"})
    )
    assert sender.receive_data(answer) == [Refusal("quota-exceeded", "later")]
    sender2 = Sender()
    sender2.send(header())
    answer = wire.PREAMBLE + wire.frame(
        FrameType.REFUSAL, wire.encode_fields({"code": "busy", "reason": "full"})
    )
    (refusal,) = sender2.receive_data(answer)
    assert isinstance(refusal, Refusal) and refusal.code is RefusalCode.BUSY


def test_the_sender_calls_a_foreign_answer_a_protocol_error() -> None:
    sender = Sender()
    sender.send(header())
    (event,) = sender.receive_data(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert isinstance(event, ProtocolError)


# The field codec -------------------------------------------------------------------------

keys = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
values = st.text(min_size=1, max_size=50)


@given(st.dictionaries(keys, values, max_size=wire.MAX_FIELDS))
def test_field_lists_round_trip(fields: dict[str, str]) -> None:
    assert wire.decode_fields(wire.encode_fields(fields)) == fields


def test_a_field_list_with_a_name_twice_or_bytes_left_over_is_refused() -> None:
    one = wire.encode_fields({"a": "1"})
    twice = struct.pack(">H", 2) + one[2:] + one[2:]
    with pytest.raises(wire.WireError):
        wire.decode_fields(twice)
    with pytest.raises(wire.WireError):
        wire.decode_fields(one + b"\0")


# Whatever a client sends, the core answers with events, never an exception ---------------


def feed_all(receiver: Receiver, pieces: list[bytes]) -> list[ServerEvent]:
    events: list[ServerEvent] = []
    for piece in pieces:
        events += receiver.receive_data(piece)
        if any(isinstance(e, HeaderReceived) for e in events) and receiver.state is State.DECIDING:
            receiver.send(Continue())
    events += receiver.receive_data(b"")
    return events


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_random_bytes_after_the_preamble_never_raise(pieces: list[bytes]) -> None:
    receiver = Receiver(max_size=10_000)
    events = feed_all(receiver, [wire.PREAMBLE, *pieces])
    assert events, "end of file always gets an event"
    assert receiver.state in (State.FAILED, State.CLOSED, State.COMPLETE)


@settings(max_examples=200)
@given(
    st.dictionaries(st.sampled_from([*header().to_fields(), "x", "length"]), st.text(max_size=80)),
    st.binary(max_size=2000),
    st.integers(min_value=1, max_value=600),
)
def test_fuzzed_headers_and_bodies_never_raise(
    fields: dict[str, str], body: bytes, cut: int
) -> None:
    data = header_frame(fields) + wire.frame(FrameType.DATA, body) if body else header_frame(fields)
    data += wire.frame(FrameType.END)
    pieces = [data[i : i + cut] for i in range(0, len(data), cut)]
    events = feed_all(Receiver(max_size=1000), pieces)
    for event in events:
        if isinstance(event, BodyComplete):
            assert event.length == len(body)
