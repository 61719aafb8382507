"""Probe results shared with the directory server: POST /v1/probes with a subscription key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from starlette.testclient import TestClient

from shelfnet.directory.model import Diagnostic, Origin, ProbeResult
from shelfnet.directory.probeupload import MAX_UPLOAD_BYTES, encode_probe, upload_probes
from shelfnet.directory.store import DirectoryStore, open_store
from tests.unit.directory.syncpeers import made_up_targets, server_app

KEY = SigningKey(b"\x02" * 32)
URL = "http://directory.test"
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DirectoryStore]:
    with open_store(tmp_path / "server.sqlite") as opened:
        for target in made_up_targets(3):
            opened.add(target, origin=Origin.IMPORTED)
        yield opened


@pytest.fixture
def served(store: DirectoryStore, tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    app, token = server_app(store, tmp_path, KEY)
    return TestClient(app, base_url=URL), {"Authorization": f"Bearer {token}"}


def a_probe(minutes: int = 0, **changes: object) -> ProbeResult:
    values: dict[str, object] = {
        "when": WHEN + timedelta(minutes=minutes),
        "reachable": True,
        "init_ok": True,
        "search_ok": False,
        "hits": None,
        "implementation_name": "Zebra",
        "syntaxes": ("usmarc",),
        "connect_seconds": 0.25,
        "diagnostic": Diagnostic("Bib-1", 114, "Unsupported Use attribute", "1016"),
    }
    values.update(changes)
    return ProbeResult(**values)  # type: ignore[arg-type]


def keys(store: DirectoryStore) -> list[str]:
    return [stored.target.key for stored in store.targets()]


def test_uploaded_probes_join_the_history_under_the_key_holders_name(
    served: tuple[TestClient, dict[str, str]], store: DirectoryStore
) -> None:
    client, auth = served
    first, second = keys(store)[:2]
    probes = [(first, a_probe()), (first, a_probe(5)), (second, a_probe(reachable=False))]
    report = upload_probes(URL, auth["Authorization"][7:], probes, client=client)
    assert (report.stored, report.known, report.unknown_targets) == (3, 0, 0)
    history = store.probes(store.targets()[0].id)
    assert [probe.when for probe in history] == [WHEN + timedelta(minutes=5), WHEN]
    assert {probe.source for probe in history} == {"Test library"}
    assert history[1].diagnostic == Diagnostic("Bib-1", 114, "Unsupported Use attribute", "1016")
    assert history[1].syntaxes == ("usmarc",) and history[1].connect_seconds == 0.25
    again = upload_probes(URL, auth["Authorization"][7:], probes[:1], client=client)
    assert (again.stored, again.known) == (0, 1)


def test_probes_of_unknown_targets_are_left_out_and_counted(
    served: tuple[TestClient, dict[str, str]], store: DirectoryStore
) -> None:
    client, auth = served
    body = [
        encode_probe("z3950:nowhere.example:210/x", a_probe()),
        encode_probe(keys(store)[0], a_probe()),
    ]
    answer = client.post("/v1/probes", json=body, headers=auth)
    assert answer.status_code == 200
    assert answer.json() == {"stored": 1, "known": 0, "unknown_targets": 1}


def test_uploads_need_a_known_key(served: tuple[TestClient, dict[str, str]]) -> None:
    client, _auth = served
    assert client.post("/v1/probes", json=[]).status_code == 401
    unknown = {"Authorization": "Bearer snk_nothing"}
    answer = client.post("/v1/probes", json=[], headers=unknown)
    assert answer.status_code == 401 and answer.json()["error"] == "unknown-key"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"{not json", "not JSON"),
        (b'{"target": "x"}', "list"),
        (b"[1]", "[0] is not an object"),
        (b'[{"target": "x", "reachable": true}]', "[0].when"),
        (b'[{"target": "x", "when": "2026-11-23T09:30:00", "reachable": true}]', "time zone"),
        (b'[{"target": "x", "when": "2026-11-23T09:30:00Z", "reachable": "yes"}]', "reachable"),
        (
            b'[{"target": "x", "when": "2026-11-23T09:30:00Z", "reachable": true, "hits": -1}]',
            "hits",
        ),
        (b'[{"target": "x", "when": "2026-11-23T09:30:00Z", "reachable": true, "x": 1}]', "x"),
        (
            b'[{"target": "x", "when": "2026-11-23T09:30:00Z", "reachable": true,'
            b' "implementation_name": "<script>alert(1)</script>"}]',
            "implementation_name",
        ),
        (
            b'[{"target": "x", "when": "2026-11-23T09:30:00Z", "reachable": true,'
            b' "diagnostic": 3}]',
            "diagnostic",
        ),
    ],
)
def test_malformed_uploads_are_400_naming_what_is_wrong(
    served: tuple[TestClient, dict[str, str]], store: DirectoryStore, body: bytes, named: str
) -> None:
    client, auth = served
    answer = client.post("/v1/probes", content=body, headers=auth)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad-probes"
    assert named in answer.json()["message"]
    assert all(not store.probes(stored.id) for stored in store.targets())


def test_a_declared_oversized_body_is_413_before_it_is_read(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = served
    headers = {**auth, "Content-Length": str(MAX_UPLOAD_BYTES + 1)}
    read: list[int] = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"[]"

    answer = client.post("/v1/probes", content=body(), headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"] == "body-too-large"


def test_a_streamed_body_is_cut_off_at_the_limit(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = served
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            sent.append(1)
            yield b" " * 65536

    answer = client.post("/v1/probes", content=chunks(), headers=auth)
    assert answer.status_code == 413
    assert answer.json()["error"] == "body-too-large"


def test_a_body_just_under_the_limit_is_read(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = served
    body = b"[]" + b" " * (MAX_UPLOAD_BYTES - 2)
    answer = client.post("/v1/probes", content=body, headers=auth)
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.text)["stored"] == 0


def test_other_paths_still_refuse_bodies(served: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = served
    assert client.post("/v1/directory", headers=auth, content=b"x").status_code == 413
    refused = client.post("/v1/probes", headers={**auth, "Content-Length": "x1"}, content=b"[]")
    assert refused.status_code in (400, 413)


def test_the_client_raises_when_the_server_refuses(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    client, _auth = served
    with pytest.raises(httpx.HTTPStatusError):
        upload_probes(URL, "snk_nothing", [("x", a_probe())], client=client)
