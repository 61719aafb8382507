"""Reading ZeeRex records: what becomes of each field, what is refused and why, and that
nothing a record holds can make the reader fail or smuggle markup into a target."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfnet.directory.checks import Rejection, RejectionReason
from shelfnet.directory.importer import collect
from shelfnet.directory.model import TargetProtocol, TargetRecord, TargetStatus
from shelfnet.directory.zeerex import MAX_RECORD_BYTES, read_zeerex, write_zeerex
from tests.unit.directory.records import (
    IRSPY_NS,
    IRSPY_STATUS,
    RICH_PARTS,
    failing_probes,
    sample_targets,
    zeerex,
)
from tests.unit.directory.strategies import wild_zeerex

TAG_LIKE = re.compile(r"<[^\W\d_]")


def read_one(data: bytes) -> TargetRecord | Rejection:
    (read,) = read_zeerex(data, "test.xml")
    return read


def accepted(data: bytes) -> TargetRecord:
    read = read_one(data)
    assert isinstance(read, TargetRecord), read
    return read


def rejected(data: bytes) -> Rejection:
    read = read_one(data)
    assert isinstance(read, Rejection), read
    return read


def test_a_full_record_fills_every_field_it_can() -> None:
    record = accepted(zeerex(extra=RICH_PARTS, status=IRSPY_STATUS))
    target = record.target
    assert str(target.address) == "z3950.example.org:210/books"
    assert target.name == "Example Public Library"  # the primary title
    assert target.institution == "Example County"
    assert target.record_syntaxes == ("sutrs", "usmarc")
    assert target.element_sets == ("B", "F")
    assert target.bib1_indexes == (4, 7)  # not the unsearchable one, not Danish dan-1
    assert (target.country, target.library_type) == ("Norway", "Public")
    assert (target.implementation_id, target.implementation_name) == ("81", "GFS/YAZ")
    assert target.implementation_version == "4.2"
    assert target.modified == datetime(2010, 4, 17, 1, 0, 28, tzinfo=UTC)
    assert target.status is TargetStatus.ACTIVE
    assert record.where == "test.xml"


def test_irspy_probes_become_history_saying_how_far_each_got() -> None:
    probes = accepted(zeerex(status=IRSPY_STATUS)).probes
    assert [probe.when.day for probe in probes] == [10, 11, 12]
    worked, init_rejected, no_connection = probes
    assert worked.ok and worked.init_ok and worked.source == "irspy"
    assert init_rejected.reachable and init_rejected.init_ok is False
    assert init_rejected.diagnostic is not None
    assert (init_rejected.diagnostic.set, init_rejected.diagnostic.code) == ("ZOOM", 10005)
    assert not no_connection.reachable and no_connection.init_ok is None


def test_five_failed_probes_in_a_row_quarantine_an_imported_target() -> None:
    assert accepted(zeerex(status=failing_probes(4))).target.status is TargetStatus.ACTIVE
    target = accepted(zeerex(status=failing_probes(5))).target
    assert target.status is TargetStatus.QUARANTINED


def test_only_the_latest_probes_are_kept() -> None:
    probes = accepted(zeerex(status=failing_probes(28))).probes
    assert len(probes) == 20 and probes[-1].when.day == 28


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("Z39.50", TargetProtocol.Z3950),
        ("tcp", TargetProtocol.Z3950),  # ZOOM's prefix, as IRSpy wrote it
        ("SRU", TargetProtocol.SRU),
        ("SRW/U", TargetProtocol.SRU),
        ("SRW/SRU/Z39.50", TargetProtocol.Z3950),
    ],
)
def test_protocols_as_written_in_the_wild(protocol: str, expected: TargetProtocol) -> None:
    assert accepted(zeerex(protocol=protocol)).target.address.protocol is expected


def test_an_sru_explain_response_and_a_url_for_a_host() -> None:
    wrapped = zeerex(protocol="SRU", host="http://sru.example.org/cat/sru.php", database="n/a")
    response = (
        b'<srw:explainResponse xmlns:srw="http://www.loc.gov/zing/srw/"><srw:record>'
        b"<srw:recordData>"
        + wrapped.split(b"?>", 1)[1]
        + b"</srw:recordData></srw:record></srw:explainResponse>"
    )
    target = accepted(response).target
    assert str(target.address) == "http://sru.example.org/cat/sru.php"


def test_a_mail_address_in_angle_brackets_is_text_not_a_tag() -> None:
    target = accepted(zeerex(author="Dan Scott <dan@example.org>")).target
    assert target.institution == "Dan Scott dan@example.org"


def test_entities_from_escaped_text_are_left_as_written() -> None:
    assert accepted(zeerex(title="Polar &amp; Marine")).target.name == "Polar &amp; Marine"


@pytest.mark.parametrize(
    ("record", "reason", "detail"),
    [
        (zeerex(title="<b>Best</b> Library"), RejectionReason.MARKUP, "title has '<b>"),
        (
            zeerex(description='Cheap pills <a href="http://spam.example">here</a>'),
            RejectionReason.MARKUP,
            "description has '<a href",
        ),
        (zeerex(author="<script>alert(1)</script>"), RejectionReason.MARKUP, "<script>"),
        (zeerex(description="see javascript:alert(1)"), RejectionReason.MARKUP, "javascript:"),
        (zeerex(title='x" onmouseover="alert(1)'), RejectionReason.MARKUP, "onmouseover="),
        # Written as escaped text, still a tag to any page that unescapes it.
        (zeerex(title="&lt;script&gt;"), RejectionReason.MARKUP, "<script>"),
        (zeerex(raw_host="G&lt;a href=&quot;http"), RejectionReason.MARKUP, "host has '<a"),
        (
            zeerex(raw_host='G<a href="http://spam">x</a>'),
            RejectionReason.MARKUP,
            "host holds an element <a>",
        ),
        (zeerex(extra="<script>alert(1)</script>"), RejectionReason.MARKUP, "script element"),
        (zeerex(title="evil\u202etxt.exe"), RejectionReason.CONTROL_CHARACTERS, "U+202E"),
        (zeerex(title="bell\x85"), RejectionReason.CONTROL_CHARACTERS, "U+0085"),
        (zeerex(host=""), RejectionReason.MISSING_HOST, "host is empty"),
        (zeerex(host="2100"), RejectionReason.BAD_HOST, "fields shifted"),
        (zeerex(host="Ciudad Alejandría"), RejectionReason.BAD_HOST, "Ciudad"),
        (zeerex(host="194.182.134.04"), RejectionReason.BAD_HOST, "neither"),
        (zeerex(host="#file_links[C"), RejectionReason.BAD_HOST, "#file_links"),
        (zeerex(host="localhost"), RejectionReason.LOOPBACK_HOST, "localhost"),
        (zeerex(host="127.0.0.1"), RejectionReason.LOOPBACK_HOST, "127.0.0.1"),
        (zeerex(port="abc"), RejectionReason.BAD_PORT, "'abc' is not a number"),
        (zeerex(port=""), RejectionReason.BAD_PORT, "no port"),
        (zeerex(port="70000"), RejectionReason.PORT_OUT_OF_RANGE, "70000"),
        (zeerex(port="0"), RejectionReason.PORT_OUT_OF_RANGE, "port 0"),
        (zeerex(database=""), RejectionReason.BAD_DATABASE, "no database"),
        (zeerex(database="x" * 300), RejectionReason.BAD_DATABASE, "300 characters"),
        (zeerex(protocol="gopher"), RejectionReason.UNKNOWN_PROTOCOL, "gopher"),
        (b"<explain><serverInfo>", RejectionReason.NOT_XML, "Premature end"),
        (b"\xff\xfe\x00", RejectionReason.NOT_XML, ""),
        (b"<html><body>hello</body></html>", RejectionReason.NOT_ZEEREX, "root element html"),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<explain xmlns="http://explain.z3950.org/dtd/2.0/"><serverInfo>'
            b"<host>a.example</host><port>210</port><database>&e;</database>"
            b"</serverInfo></explain>",
            RejectionReason.UNSAFE_XML,
            "&e;",
        ),
        (b" " * (MAX_RECORD_BYTES + 1), RejectionReason.TOO_LARGE, "bytes"),
    ],
)
def test_what_is_rejected_and_why(record: bytes, reason: RejectionReason, detail: str) -> None:
    rejection = rejected(record)
    assert rejection.reason is reason
    assert detail in rejection.detail
    assert rejection.where == "test.xml"


def test_a_billion_laughs_expands_nothing() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><explain xmlns="http://explain.z3950.org/dtd/2.0/"><serverInfo><host>&lol9;'
        b"</host></serverInfo></explain>"
    )
    # libxml2 refuses it outright; were it parsed, the entity references would be refused.
    assert rejected(bomb).reason in (RejectionReason.NOT_XML, RejectionReason.UNSAFE_XML)


def test_duplicates_are_merged_keeping_the_richest_data() -> None:
    plain = read_zeerex(zeerex(host="Z.EXAMPLE.ORG", title="", author="Plain"), "1.xml")
    rich = read_zeerex(
        zeerex(host="z.example.org", protocol="tcp", extra=RICH_PARTS, status=IRSPY_STATUS),
        "2.xml",
    )
    collected = collect([*plain, *rich])
    (record,) = collected.records
    (merge,) = collected.merges
    assert (merge.kept, merge.merged) == ("1.xml", "2.xml")
    assert merge.key == "z3950:z.example.org:210/books"
    target = record.target
    assert target.name == "Example Public Library"  # only the second had a title
    assert target.institution == "Example County"  # the richer record's
    assert target.bib1_indexes == (4, 7) and len(record.probes) == 3
    assert record.where == "1.xml"


def test_several_records_in_one_document_are_read_each_in_its_place() -> None:
    one, two = (zeerex(host=h).split(b"?>", 1)[1] for h in ("a.example", "2100"))
    read = read_zeerex(b"<records>" + one + two + b"</records>", "both.xml")
    assert isinstance(read[0], TargetRecord) and read[0].where == "both.xml #1"
    assert isinstance(read[1], Rejection) and read[1].where == "both.xml #2"


def test_a_written_record_reads_back_as_the_same_target() -> None:
    for target in sample_targets():
        record = accepted(write_zeerex(target))
        if target.address.protocol is TargetProtocol.SRU:
            assert record.target.element_sets == target.element_sets
        assert record.target == target


@given(st.binary(max_size=2000))
def test_no_bytes_make_the_reader_fail(data: bytes) -> None:
    for read in read_zeerex(data, "fuzz"):
        assert isinstance(read, TargetRecord | Rejection)


@settings(max_examples=300)
@given(wild_zeerex())
def test_no_record_makes_the_reader_fail_or_keeps_a_tag(data: bytes) -> None:
    for read in read_zeerex(data, "fuzz"):
        if isinstance(read, TargetRecord):
            for field, text in read.target.text_fields().items():
                assert not TAG_LIKE.search(text), (field, text)


def test_irspy_namespace_is_the_one_the_records_use() -> None:
    assert IRSPY_NS == "http://indexdata.com/irspy/1.0"
