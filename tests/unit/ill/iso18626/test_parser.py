"""Reading ISO 18626: both versions round-trip, and whatever cannot be processed becomes a
ParseError with the errorType to confirm with."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    ErrorType,
    Header,
    Message,
    RequestingAction,
    RequestingAgencyMessage,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import ParseError, parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from tests.unit.ill.iso18626 import strategies
from tests.unit.ill.iso18626.test_writer import full_request, full_supplying

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NS = "http://illtransactions.org/2013/iso18626"

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(
    st.sampled_from(list(Version)).flatmap(lambda v: st.tuples(st.just(v), strategies.messages(v)))
)
def test_every_message_round_trips_in_its_version(drawn: tuple[Version, Message]) -> None:
    version, message = drawn
    envelope = parse_message(write_message(message, version))
    assert envelope.version is version
    assert envelope.message == message


def test_full_messages_round_trip_in_2021() -> None:
    for message in (full_request(), full_supplying()):
        assert parse_message(write_message(message, Version.V2021)).message == message


def test_fields_1_2_has_no_place_for_are_left_out() -> None:
    read = parse_message(write_message(full_request(), Version.V1_2)).message
    assert read.bibliographic_info.author_id == ""  # type: ignore[union-attr]
    assert read.header.consortial_id is None  # type: ignore[union-attr]


def _message(body: str, version: str = "1.2", attribute: str = "ill:version") -> bytes:
    return (
        f'<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" {attribute}="{version}">{body}'
        "</ISO18626Message>"
    ).encode()


HEADER = (
    "<header><supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>US-CST"
    "</agencyIdValue></supplyingAgencyId><requestingAgencyId><agencyIdType>ISIL</agencyIdType>"
    "<agencyIdValue>US-NYU</agencyIdValue></requestingAgencyId><multipleItemRequestId/>"
    "<timestamp>2026-11-23T12:00:00Z</timestamp><requestingAgencyRequestId>NYU-1"
    "</requestingAgencyRequestId></header>"
)


def _ram(inner: str, version: str = "1.2", attribute: str = "ill:version") -> bytes:
    return _message(
        f"<requestingAgencyMessage>{inner}</requestingAgencyMessage>", version, attribute
    )


def _error(data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_message(data)
    return caught.value


def test_a_plain_version_attribute_is_accepted() -> None:
    data = _ram(HEADER + "<action>Received</action>", attribute="version")
    message = parse_message(data).message
    assert isinstance(message, RequestingAgencyMessage)
    assert message.action is RequestingAction.RECEIVED
    assert message.header.supplying_agency_id == AgencyId("ISIL", "US-CST")


@pytest.mark.parametrize(
    ("value", "version"), [("1.1", Version.V1_2), ("2021-2", Version.V2021), ("1.3", Version.V2021)]
)
def test_version_values_are_read(value: str, version: Version) -> None:
    assert (
        parse_message(
            _ram(
                HEADER.replace("<multipleItemRequestId/>", "") + "<action>Received</action>", value
            )
        ).version
        is version
    )


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (b"not xml at all", ErrorType.BADLY_FORMED_MESSAGE),
        (b"<html><body/></html>", ErrorType.BADLY_FORMED_MESSAGE),
        (_message(""), ErrorType.BADLY_FORMED_MESSAGE),
        (_ram(HEADER + "<action>Received</action>", "9.9"), ErrorType.UNRECOGNISED_DATA_VALUE),
        (_message("<bogus/>"), ErrorType.UNRECOGNISED_DATA_ELEMENT),
        (_ram(HEADER + "<action>Dance</action>"), ErrorType.UNSUPPORTED_ACTION_TYPE),
        (_ram(HEADER + "<action>Lost</action>"), ErrorType.UNSUPPORTED_ACTION_TYPE),
        (
            _ram(HEADER + "<action>Received</action><colour/>"),
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
        ),
        (_ram(HEADER), ErrorType.BADLY_FORMED_MESSAGE),
        (
            _ram(HEADER.replace("2026-11-23T12:00:00Z", "yesterday") + "<action>Received</action>"),
            ErrorType.UNRECOGNISED_DATA_VALUE,
        ),
    ],
    ids=[
        "not-xml",
        "not-iso18626",
        "empty",
        "unknown-version",
        "unknown-message",
        "unknown-action",
        "2021-action-in-1.2",
        "unknown-element",
        "missing-action",
        "bad-date",
    ],
)
def test_what_cannot_be_processed_has_its_error_type(data: bytes, error_type: ErrorType) -> None:
    assert _error(data).error_type is error_type


def _wrap(kind: str, inner: str) -> bytes:
    return _message(f"<{kind}>{HEADER}{inner}</{kind}>")


def test_an_unknown_reason_for_message_is_unsupported() -> None:
    data = _wrap(
        "supplyingAgencyMessage",
        "<messageInfo><reasonForMessage>Gossip</reasonForMessage></messageInfo><statusInfo>"
        "<status>Loaned</status><lastChange>2026-11-23T12:00:00Z</lastChange></statusInfo>",
    )
    error = _error(data)
    assert error.error_type is ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE
    assert error.error_value == "reasonForMessage: Gossip"
    assert error.kind == "supplyingAgencyMessage"
    assert error.header is not None and error.header.requesting_agency_request_id == "NYU-1"


def test_an_unknown_status_is_an_unrecognised_value() -> None:
    data = _wrap(
        "supplyingAgencyMessage",
        "<messageInfo><reasonForMessage>StatusChange</reasonForMessage></messageInfo><statusInfo>"
        "<status>Teleported</status><lastChange>2026-11-23T12:00:00Z</lastChange></statusInfo>",
    )
    assert _error(data).error_type is ErrorType.UNRECOGNISED_DATA_VALUE


def test_an_error_keeps_the_version_the_peer_used() -> None:
    data = _ram(HEADER.replace("<multipleItemRequestId/>", "") + "<action>Dance</action>", "2021")
    assert _error(data).version is Version.V2021


def test_entities_and_doctypes_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<ISO18626Message>&b;</ISO18626Message>"
    )
    assert _error(bomb).error_type is ErrorType.BADLY_FORMED_MESSAGE
    external = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert _error(external).error_type is ErrorType.BADLY_FORMED_MESSAGE


def test_a_message_over_the_limit_is_not_parsed() -> None:
    data = write_message(full_request(), Version.V1_2)
    with pytest.raises(ParseError, match="over 100 bytes"):
        parse_message(data, max_bytes=100)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_a_parse_error(data: bytes) -> None:
    try:
        parse_message(data)
    except ParseError as error:
        assert isinstance(error.error_type, ErrorType)


def mutated_messages() -> st.SearchStrategy[bytes]:
    documents = [
        write_message(full_request(), Version.V1_2),
        write_message(full_supplying(), Version.V2021),
        write_message(
            RequestingAgencyMessage(
                Header(AgencyId("ISIL", "A"), "1", NOW, AgencyId("ISIL", "B")),
                RequestingAction.RENEW,
            ),
            Version.V1_2,
        ),
    ]

    def mutate(document: bytes, position: int, replacement: bytes, cut: int) -> bytes:
        position %= len(document)
        return document[:position] + replacement + document[position + cut :]

    return st.builds(
        mutate,
        st.sampled_from(documents),
        st.integers(min_value=0, max_value=10_000),
        st.sampled_from([b"", b"<", b">", b"x", b"</a>", b"&amp;", b"<b/>", b"\x00", b"Z", b"-1"]),
        st.integers(min_value=0, max_value=20),
    )


@settings(max_examples=400, deadline=None)
@given(mutated_messages())
def test_mutated_messages_only_ever_raise_a_parse_error(data: bytes) -> None:
    try:
        parse_message(data)
    except ParseError as error:
        assert isinstance(error.error_type, ErrorType)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.messages(Version.V2021), st.data())
def test_a_removed_or_renamed_element_is_a_handled_error(
    message: Message, data: st.DataObject
) -> None:
    root = etree.fromstring(write_message(message, Version.V2021))
    elements = list(root.iter())[2:]
    if not elements:
        return
    victim = data.draw(st.sampled_from(elements))
    if data.draw(st.booleans()):
        victim.getparent().remove(victim)
    else:
        victim.tag = f"{{{NS}}}renamed"
    with contextlib.suppress(ParseError):
        parse_message(etree.tostring(root))
