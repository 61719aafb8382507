"""shelfnet's JSON, CSV and YAZ lists: what each holds, what each refuses, and that what
is exported imports back as the same targets."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given

from shelfnet.directory.checks import Rejection, RejectionReason
from shelfnet.directory.csvfile import read_csv, write_csv
from shelfnet.directory.fields import build_target, edited
from shelfnet.directory.importer import (
    ExportFormat,
    ImportFormat,
    detect_format,
    export,
    import_paths,
)
from shelfnet.directory.jsonfile import read_json, write_json
from shelfnet.directory.model import Target, TargetProtocol, TargetRecord, TargetStatus
from shelfnet.directory.store import DirectoryStore, open_store
from shelfnet.directory.yazlist import read_yaz_list, write_yaz_list
from tests.unit.directory.conftest import fresh_location
from tests.unit.directory.records import sample_targets
from tests.unit.directory.strategies import distinct_targets

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def targets_of(reads: object) -> list[Target]:
    items = list(reads)  # type: ignore[call-overload]
    rejections = [item for item in items if isinstance(item, Rejection)]
    assert not rejections, rejections
    return [item.target for item in items if isinstance(item, TargetRecord)]


def rejections_of(reads: object) -> list[Rejection]:
    return [item for item in reads if isinstance(item, Rejection)]  # type: ignore[attr-defined]


def as_json(targets: list[Target]) -> bytes:
    stream = io.StringIO()
    write_json(targets, stream, exported=NOW, directory_version=7)
    return stream.getvalue().encode()


def as_csv(targets: list[Target]) -> bytes:
    stream = io.StringIO()
    write_csv(targets, stream)
    return stream.getvalue().encode()


def as_yaz(targets: list[Target]) -> bytes:
    stream = io.StringIO()
    write_yaz_list(targets, stream)
    return stream.getvalue().encode()


@given(distinct_targets())
def test_json_holds_every_field(targets: list[Target]) -> None:
    assert targets_of(read_json(as_json(targets), "t.json")) == targets


@given(distinct_targets())
def test_csv_holds_every_field(targets: list[Target]) -> None:
    assert targets_of(read_csv(as_csv(targets), "t.csv")) == targets


@given(distinct_targets())
def test_a_yaz_list_holds_the_addresses(targets: list[Target]) -> None:
    read = targets_of(read_yaz_list(as_yaz(targets), "t.txt"))
    assert [target.address for target in read] == [target.address for target in targets]


def test_the_json_file_says_what_it_is() -> None:
    document = json.loads(as_json(sample_targets()[:1]))
    assert (document["format"], document["version"]) == ("shelfnet-directory", 1)
    assert document["exported"] == "2024-05-01T12:00:00+00:00"
    assert document["directory_version"] == 7
    first = document["targets"][0]
    assert first["host"] == "lx2.loc.gov" and first["databases"] == ["LCDB"]
    assert first["bib1_indexes"] == [4, 7, 1003] and first["status"] == "active"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"{not json", "not JSON"),
        (b'{"format": "something-else", "version": 1}', "not a shelfnet-directory file"),
        (b'{"format": "shelfnet-directory", "version": 2, "targets": []}', "version '2'"),
        (b'{"format": "shelfnet-directory", "version": 1}', "no list of targets"),
    ],
)
def test_a_json_file_that_is_not_one_is_refused_whole(data: bytes, detail: str) -> None:
    (rejection,) = rejections_of(read_json(data, "x.json"))
    assert rejection.reason is RejectionReason.BAD_FILE and detail in rejection.detail


def test_json_targets_are_checked_one_by_one() -> None:
    document = {
        "format": "shelfnet-directory",
        "version": 1,
        "targets": [
            {"host": "ok.example.org", "future_field": "ignored"},
            {"host": "bad.example.org", "port": "abc"},
            {"host": "bad.example.org", "name": "<img src=x onerror=alert(1)>"},
            {"host": "bad.example.org", "bib1_indexes": ["four"]},
            {"host": "bad.example.org", "status": "lost"},
            {"name": "no host"},
            "not an object",
        ],
    }
    reads = list(read_json(json.dumps(document).encode(), "x.json"))
    assert isinstance(reads[0], TargetRecord)
    assert str(reads[0].target.address) == "ok.example.org:210/Default"
    assert [(r.reason, r.where) for r in reads[1:] if isinstance(r, Rejection)] == [
        (RejectionReason.BAD_PORT, "x.json: targets[1]"),
        (RejectionReason.MARKUP, "x.json: targets[2]"),
        (RejectionReason.BAD_VALUE, "x.json: targets[3]"),
        (RejectionReason.BAD_VALUE, "x.json: targets[4]"),
        (RejectionReason.MISSING_HOST, "x.json: targets[5]"),
        (RejectionReason.BAD_VALUE, "x.json: targets[6]"),
    ]


def test_a_short_csv_takes_defaults_and_an_address_column_works() -> None:
    data = (
        "Name,Host,Port,Database,Groups\n"
        "Library of Congress,lx2.loc.gov,210,LCDB,national;music\n"
        "Minimal,z.example.org,,,\n"
        "\n"
        "Bad port,z.example.org,70000,x,\n"
    ).encode("utf-8-sig")
    reads = list(read_csv(data, "t.csv"))
    first, second, bad = reads
    assert isinstance(first, TargetRecord) and isinstance(second, TargetRecord)
    assert first.target.groups == ("music", "national")
    assert str(second.target.address) == "z.example.org:210/Default"
    assert isinstance(bad, Rejection) and bad.where == "t.csv: line 5"
    assert bad.reason is RejectionReason.PORT_OUT_OF_RANGE
    (sru,) = targets_of(read_csv(b"name,address\nSRU,https://sru.example.org/db\n", "a.csv"))
    assert sru.address.protocol is TargetProtocol.SRU and sru.address.tls


def test_a_csv_without_a_host_column_is_refused_whole() -> None:
    (rejection,) = rejections_of(read_csv(b"name,url\nx,y\n", "t.csv"))
    assert rejection.reason is RejectionReason.BAD_FILE


def test_a_yaz_list_skips_comments_and_says_which_line_is_wrong() -> None:
    data = b"# our targets\n\nlx2.loc.gov:210/LCDB\ntcp:z.example.org/a+b\nhttp://sru.example.org/x\n\nbad:port:here\nlocalhost:2100\nhost:99999/x\n"
    reads = list(read_yaz_list(data, "list.txt"))
    kept = [str(read.target.address) for read in reads if isinstance(read, TargetRecord)]
    assert kept == [
        "lx2.loc.gov:210/LCDB",
        "z.example.org:210/a+b",
        "http://sru.example.org/x",
        "localhost:2100/Default",  # a list of one's own may name local servers
    ]
    wrong = [(read.reason, read.where) for read in reads if isinstance(read, Rejection)]
    assert wrong == [
        (RejectionReason.BAD_HOST, "list.txt: line 7"),
        (RejectionReason.PORT_OUT_OF_RANGE, "list.txt: line 9"),
    ]


def test_formats_are_told_by_name_then_by_content(tmp_path: Path) -> None:
    cases = {
        "a.json": (b"", ImportFormat.JSON),
        "a.csv": (b"", ImportFormat.CSV),
        "a.xml": (b"", ImportFormat.ZEEREX),
        "a.tar.gz": (b"", ImportFormat.ZEEREX),
        "sniff-json": (b'\n {"format": 1}', ImportFormat.JSON),
        "sniff-xml": (b"\xef\xbb\xbf<?xml version='1.0'?>", ImportFormat.ZEEREX),
        "sniff-csv": (b"name,host,port\n", ImportFormat.CSV),
        "targets.txt": (b"lx2.loc.gov:210/LCDB\n", ImportFormat.YAZ),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert detect_format(tmp_path / name) is expected, name
    assert detect_format(tmp_path) is ImportFormat.ZEEREX


def test_edits_name_fields_as_the_files_do() -> None:
    target = sample_targets()[0]
    changed = edited(
        target,
        {"name": "LC", "database": "LCDB+NAMES", "groups": "a;b", "status": "quarantined"},
    )
    assert changed.name == "LC" and changed.address.databases == ("LCDB", "NAMES")
    assert changed.groups == ("a", "b") and changed.status is TargetStatus.QUARANTINED
    moved = edited(target, {"address": "http://sru.loc.gov/voyager"})
    assert moved.address.protocol is TargetProtocol.SRU and moved.name == target.name
    assert build_target({"host": "x.example.org", "indexes": "4, 7"}).bib1_indexes == (4, 7)


@pytest.mark.parametrize("format", list(ExportFormat))
def test_exported_targets_import_into_a_fresh_store_as_they_were(
    format: ExportFormat,
    store: DirectoryStore,
    location: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    for target in sample_targets():
        store.add(target)
    suffix = {ExportFormat.ZEEREX: ".tar.gz", ExportFormat.YAZ: ".txt"}.get(format, "")
    path = tmp_path / f"export{suffix or '.' + format.value}"
    with path.open("wb") as stream:
        assert export(store, format, stream, now=NOW) == len(sample_targets())
    kind = "postgres" if location.startswith("postgresql") else "sqlite"
    with open_store(fresh_location(kind, tmp_path / "fresh", request)) as fresh:
        report = import_paths([path], fresh)
        assert (report.added, report.rejected, report.merged) == (len(sample_targets()), 0, 0)
        read = [entry.target for entry in fresh.targets()]
    if format is ExportFormat.YAZ:
        assert [t.address for t in read] == [t.address for t in sample_targets()]
    else:
        assert read == sample_targets()
