"""Hypothesis strategies for valid Z39.50 events."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from shelfnet.query.rpn import (
    AttributeElement,
    Node,
    Proximity,
    Query,
    ResultSetId,
    Term,
    TermType,
)
from shelfnet.z3950 import oids
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.events import (
    AccessControlRequest,
    AccessControlResponse,
    Close,
    CloseReason,
    DeleteResultSetRequest,
    IdPass,
    InitRequest,
    InitResponse,
    PresentRequest,
    PresentResponse,
    ResourceControlRequest,
    ResourceControlResponse,
    ScanEntry,
    ScanResponse,
    SearchRequest,
    SearchResponse,
    SortKey,
    SortRequest,
    TriggerResourceControlRequest,
)
from shelfnet.z3950.records import Record
from tests.strategies import rpn_trees

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
small = st.integers(min_value=0, max_value=2**31 - 1)

attributes = st.builds(
    AttributeElement,
    type=st.integers(1, 9),
    value=st.integers(0, 10_000) | names,
    attribute_set=st.none() | st.sampled_from([oids.BIB1, oids.GILS, oids.UTIL]),
)
term_attributes = st.tuples(attributes) | st.tuples(attributes, attributes)
# Each term type with values in the canonical form that decoding gives back.
typed_terms = st.one_of(
    st.tuples(text, st.just(TermType.GENERAL)),
    st.tuples(text, st.just(TermType.CHARACTER_STRING)),
    st.tuples(st.integers(-(2**40), 2**40).map(str), st.just(TermType.NUMERIC)),
    st.tuples(st.sampled_from(sorted(oids.RECORD_SYNTAXES)), st.just(TermType.OID)),
    st.tuples(
        st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(lambda d: d.strftime("%Y%m%d%H%M%S")),
        st.just(TermType.DATETIME),
    ),
    st.tuples(st.just(""), st.just(TermType.NULL)),
)
terms = st.builds(
    lambda typed, attrs: Term(typed[0], attrs, typed[1]), typed_terms, term_attributes
)
proximities = st.builds(
    Proximity,
    exclusion=st.none() | st.booleans(),
    distance=st.integers(0, 100),
    ordered=st.booleans(),
    relation=st.integers(1, 6),
    unit=st.integers(1, 11),
    known_unit=st.booleans(),
)


nodes: st.SearchStrategy[Node] = rpn_trees(
    terms | st.builds(ResultSetId, names), proximities, max_leaves=8
)
queries = st.builds(Query, root=nodes)

diagnostics = st.builds(Diagnostic, code=st.integers(1, 1100), addinfo=text)
marc_records = st.builds(
    Record,
    syntax=st.just(oids.USMARC),
    raw=st.binary(min_size=1, max_size=200),
    database=st.none() | names,
)
records = marc_records | st.builds(Record, syntax=st.just(""), diagnostic=diagnostics)

events = st.one_of(
    st.builds(
        InitRequest,
        authentication=st.none()
        | st.builds(IdPass, st.none() | text, st.none() | text)
        | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
        charsets=st.sampled_from([(), ("utf-8",)]),
        preferred_message_size=small,
    ),
    st.builds(InitResponse, accepted=st.booleans(), charset=st.none() | st.just("utf-8")),
    st.builds(
        SearchRequest,
        query=queries,
        databases=st.lists(names, min_size=1, max_size=3).map(tuple),
        result_set_name=names,
        preferred_record_syntax=st.none() | st.sampled_from(sorted(oids.RECORD_SYNTAXES)),
    ),
    st.builds(
        SearchResponse,
        result_count=small,
        records=st.lists(marc_records, max_size=3).map(tuple),
    ),
    st.builds(PresentRequest, result_set=names, start=st.integers(1, 10**6), count=small),
    st.builds(
        PresentResponse,
        records_returned=small,
        next_position=small,
        records=st.lists(records, max_size=4).map(tuple),
    ),
    st.builds(
        ScanResponse,
        status=st.integers(0, 6),
        entries=st.lists(st.builds(ScanEntry, term=text, count=st.none() | small), max_size=5).map(
            tuple
        ),
    ),
    st.builds(
        SortRequest,
        input_sets=st.lists(names, min_size=1, max_size=2).map(tuple),
        output_set=names,
        keys=st.lists(
            st.builds(SortKey, field=names, descending=st.booleans()), min_size=1, max_size=3
        ).map(tuple),
    ),
    st.builds(DeleteResultSetRequest, names=st.lists(names, max_size=3).map(tuple)),
    st.builds(Close, reason=st.sampled_from(list(CloseReason)), info=st.none() | text),
    st.builds(
        ResourceControlRequest,
        response_required=st.booleans(),
        suspended=st.none() | st.booleans(),
        partial_results_available=st.none() | st.integers(1, 3),
        triggered=st.none() | st.booleans(),
        reference_id=st.none() | st.binary(max_size=8),
    ),
    st.builds(
        ResourceControlResponse,
        continue_=st.booleans(),
        result_set_wanted=st.none() | st.booleans(),
    ),
    st.builds(
        TriggerResourceControlRequest,
        action=st.integers(1, 3),
        result_set_wanted=st.none() | st.booleans(),
        reference_id=st.none() | st.binary(max_size=8),
    ),
    st.builds(AccessControlRequest, simple=st.binary(max_size=20)),
    st.builds(
        AccessControlResponse,
        simple=st.none() | st.binary(max_size=20),
        diagnostic=st.none() | diagnostics,
    ),
)
