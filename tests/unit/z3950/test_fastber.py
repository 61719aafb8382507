"""The fast SearchRequest decoder (``shelfnet.z3950.fastber``) against asn1tools: whatever it
decodes, it decodes to asn1tools' value; whatever asn1tools refuses, it refuses too."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfnet.query.pqf import parse_pqf
from shelfnet.query.rpn import AttributeElement, Query, Term, TermType
from shelfnet.z3950 import codec, fastber, oids
from shelfnet.z3950.events import SearchRequest
from tests.interop.queries import JAZZ_PQF
from tests.unit.z3950.strategies import names, queries

search_requests = st.builds(
    SearchRequest,
    query=queries,
    databases=st.lists(names, min_size=1, max_size=3).map(tuple),
    result_set_name=names,
    replace=st.booleans(),
    small_set_upper_bound=st.integers(0, 2**31 - 1),
    large_set_lower_bound=st.integers(0, 2**31 - 1),
    medium_set_present_number=st.integers(0, 2**31 - 1),
    small_set_element_set_name=st.none() | st.sampled_from(["B", "F"]),
    medium_set_element_set_name=st.none() | st.sampled_from(["B", "F"]),
    preferred_record_syntax=st.none() | st.sampled_from(sorted(oids.RECORD_SYNTAXES)),
    reference_id=st.none() | st.binary(max_size=20),
)


def _asn1tools(data: bytes) -> Any:
    """asn1tools' decoding, or None when it refuses the bytes."""
    try:
        name, value = codec.specification().decode("PDU", data)
    except Exception:
        return None
    return value if name == "searchRequest" else None


def encoded(request: SearchRequest) -> bytes:
    return codec.encode_apdu(request.pdu, request.to_value("utf-8"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(search_requests)
def test_generated_requests_decode_as_asn1tools_decodes_them(request: SearchRequest) -> None:
    data = encoded(request)
    fast = fastber.decode_search_request(data)
    if fast is not None:
        assert fast == _asn1tools(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(search_requests, st.data())
def test_damaged_requests_decode_as_asn1tools_or_not_at_all(
    request: SearchRequest, data: st.DataObject
) -> None:
    raw = bytearray(encoded(request))
    for _ in range(data.draw(st.integers(1, 3))):
        choice = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if choice == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif choice == "cut":
            del raw[at : at + data.draw(st.integers(1, 4))]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=3))
        if not raw:
            return
    damaged = bytes(raw)
    fast = fastber.decode_search_request(damaged)
    if fast is not None:
        assert fast == _asn1tools(damaged)


def test_the_benchmark_queries_take_the_fast_path() -> None:
    for case in JAZZ_PQF:
        request = SearchRequest(query=parse_pqf(case.query), databases=("jazz",))
        data = encoded(request)
        fast = fastber.decode_search_request(data)
        assert fast is not None, case.query
        assert fast == _asn1tools(data)


def test_other_shapes_are_left_to_asn1tools() -> None:
    oid_term = Term(oids.USMARC, (AttributeElement(1, 4),), TermType.OID)
    data = encoded(SearchRequest(query=Query(oid_term)))
    assert fastber.decode_search_request(data) is None
    assert codec.decode_apdu(data) == ("searchRequest", _asn1tools(data))
    # An indefinite length: asn1tools decodes it, the fast path does not try.
    plain = encoded(SearchRequest(query=parse_pqf("@attr 1=4 jazz")))
    indefinite = b"\xb6\x80" + plain[2:] + b"\x00\x00"
    assert fastber.decode_search_request(indefinite) is None
    assert codec.decode_apdu(indefinite) == codec.decode_apdu(plain)


_integers = st.integers(-(2**70), 2**70) | st.integers(-300, 300)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "resultCount": _integers,
            "numberOfRecordsReturned": _integers,
            "nextResultSetPosition": _integers,
            "searchStatus": st.booleans(),
        },
        optional={
            "referenceId": st.binary(max_size=300),
            "resultSetStatus": _integers,
            "presentStatus": st.integers(0, 5),
        },
    )
)
def test_search_responses_encode_as_asn1tools_encodes_them(value: dict[str, Any]) -> None:
    expected = codec.specification().encode("PDU", ("searchResponse", value))
    assert fastber.encode_search_response(value) == expected
    assert codec.decode_apdu(expected) == ("searchResponse", value)


def test_responses_with_more_are_left_to_asn1tools() -> None:
    value = {"resultCount": 1, "numberOfRecordsReturned": 0, "nextResultSetPosition": 1}
    assert fastber.encode_search_response(value) is None  # no searchStatus
    value |= {"searchStatus": True, "otherInfo": []}
    assert fastber.encode_search_response(value) is None
