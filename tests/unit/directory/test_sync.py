"""The directory server and AutoSync client, driven in-process (Starlette's test client):
snapshots, deltas, 304s, refusals, the conflict rule and keys."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from starlette.testclient import TestClient
from typer.testing import CliRunner

from shelfnet.directory.commands import directory_app
from shelfnet.directory.keys import load_signing_key, load_subscriptions
from shelfnet.directory.model import Origin
from shelfnet.directory.store import DirectoryStore, open_store
from shelfnet.directory.syncclient import (
    KeyExpired,
    SyncError,
    SyncSource,
    sync,
    sync_if_due,
    sync_state,
)
from shelfnet.directory.syncformat import parse_public_key
from tests.unit.directory.conftest import STORES, fresh_location
from tests.unit.directory.syncpeers import (
    NOW,
    Tampering,
    made_up_targets,
    renamed,
    server_app,
)

KEY = SigningKey(b"s" * 32)
URL = "http://directory.test"


@pytest.fixture(params=STORES)
def kind(request: pytest.FixtureRequest) -> str:
    """The server and the library use the same kind of store: SQLite, or PostgreSQL (a
    shared directory server)."""
    return str(request.param)


@pytest.fixture
def server_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[DirectoryStore]:
    (tmp_path / "server").mkdir()
    with open_store(fresh_location(kind, tmp_path / "server", request)) as store:
        for target in made_up_targets(40):
            store.add(target, origin=Origin.IMPORTED)
        yield store


@pytest.fixture
def local_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[DirectoryStore]:
    (tmp_path / "local").mkdir()
    with open_store(fresh_location(kind, tmp_path / "local", request)) as store:
        yield store


@pytest.fixture
def served(server_store: DirectoryStore, tmp_path: Path) -> tuple[TestClient, SyncSource]:
    app, token = server_app(server_store, tmp_path, KEY)
    return TestClient(app, base_url=URL), SyncSource(URL, token, KEY.verify_key)


def snapshot_of(store: DirectoryStore) -> list[tuple[str, str, str, bool]]:
    return [
        (s.target.key, s.target.name, s.origin.value, s.locally_edited) for s in store.targets()
    ]


def test_a_first_sync_takes_a_snapshot_and_then_only_deltas(
    served: tuple[TestClient, SyncSource],
    server_store: DirectoryStore,
    local_store: DirectoryStore,
) -> None:
    client, source = served
    first = sync(local_store, source, client=client)
    assert (first.kind, first.added, first.version_after) == ("snapshot", 40, 40)
    assert sync_state(local_store)["server_version"] == "40"
    changed = server_store.targets()[:3]
    for stored in changed:
        server_store.update(stored.id, renamed(stored.target))
    server_store.remove(changed[0].id)
    second = sync(local_store, source, client=client)
    assert (second.kind, second.updated, second.removed, second.added) == ("delta", 2, 1, 0)
    assert second.bytes < first.bytes / 2
    assert {t.target.key for t in local_store.targets()} == {
        t.target.key for t in server_store.targets()
    }
    third = sync(local_store, source, client=client)
    assert third.kind == "not-modified" and third.bytes == 0


def test_local_and_locally_edited_targets_survive_a_sync(
    served: tuple[TestClient, SyncSource],
    server_store: DirectoryStore,
    local_store: DirectoryStore,
) -> None:
    client, source = served
    sync(local_store, source, client=client)
    on_server = server_store.targets()
    edited = local_store.find(on_server[1].target.key)
    assert edited is not None
    local_store.update(edited.id, renamed(edited.target, " (ours)"))
    own = made_up_targets(1, start=900)[0]
    local_store.add(own)
    server_store.add(own, origin=Origin.IMPORTED)  # the server gets the same address
    server_store.update(on_server[1].id, renamed(on_server[1].target, " (theirs)"))
    server_store.remove(on_server[2].id)
    local_store.update(
        local_store.find(on_server[2].target.key).id,  # type: ignore[union-attr]
        renamed(on_server[2].target, " (kept)"),
    )
    report = sync(local_store, source, client=client)
    assert sorted(report.kept_local) == sorted(
        [
            f"{own.key}: changed",
            f"{on_server[1].target.key}: changed",
            f"{on_server[2].target.key}: removed",
        ]
    )
    assert local_store.find(on_server[1].target.key).target.name.endswith("(ours)")  # type: ignore[union-attr]
    assert local_store.find(on_server[2].target.key) is not None
    ours = local_store.find(own.key)
    assert ours is not None and ours.origin is Origin.LOCAL


def test_a_tampered_document_is_refused_and_nothing_changes(
    served: tuple[TestClient, SyncSource],
    server_store: DirectoryStore,
    local_store: DirectoryStore,
) -> None:
    client, source = served
    sync(local_store, source, client=client)
    before = snapshot_of(local_store), sync_state(local_store)
    stored = server_store.targets()[5]
    server_store.update(stored.id, renamed(stored.target))
    tampering = httpx.Client(transport=Tampering(client._transport), base_url=URL)
    with pytest.raises(SyncError, match="signature"):
        sync(local_store, source, client=tampering)
    other = SyncSource(URL, source.key, SigningKey(b"x" * 32).verify_key)
    with pytest.raises(SyncError, match="does not verify"):
        sync(local_store, other, client=client)
    assert (snapshot_of(local_store), sync_state(local_store)) == before


def test_an_expired_key_is_told_its_date_and_the_directory_stays(
    server_store: DirectoryStore, local_store: DirectoryStore, tmp_path: Path
) -> None:
    app, token = server_app(server_store, tmp_path, KEY, expires=NOW.date() - timedelta(days=1))
    client = TestClient(app, base_url=URL)
    answer = client.get("/v1/directory", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["expires"] == "2026-11-22"
    assert "expired on 2026-11-22" in answer.json()["message"]
    with pytest.raises(KeyExpired) as raised:
        sync(local_store, SyncSource(URL, token, KEY.verify_key), client=client)
    assert raised.value.expires == date(2026, 11, 22)
    assert local_store.targets() == []
    due = sync_if_due(local_store, SyncSource("http://127.0.0.1:9/", token, KEY.verify_key))
    assert isinstance(due, SyncError)


@pytest.mark.parametrize("since", ["-1", "abc", "1e3", "9" * 19, ""])
def test_a_malformed_since_is_400(served: tuple[TestClient, SyncSource], since: str) -> None:
    client, source = served
    answer = client.get(
        "/v1/directory", params={"since": since}, headers={"Authorization": f"Bearer {source.key}"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad-since"


def test_keys_are_checked_and_bodies_refused(served: tuple[TestClient, SyncSource]) -> None:
    client, source = served
    assert client.get("/v1/directory").status_code == 401
    unknown = {"Authorization": "Bearer snk_nothing"}
    assert client.get("/v1/directory", headers=unknown).json()["error"] == "unknown-key"
    auth = {"Authorization": f"Bearer {source.key}"}
    assert client.post("/v1/directory", headers=auth, content=b"x").status_code == 413
    ahead = client.get("/v1/directory", params={"since": "999"}, headers=auth)
    assert ahead.status_code == 400 and ahead.json()["error"] == "since-ahead"


def test_answers_are_compressed_and_carry_the_version_as_etag(
    served: tuple[TestClient, SyncSource],
) -> None:
    client, source = served
    auth = {"Authorization": f"Bearer {source.key}", "Accept-Encoding": "gzip"}
    answer = client.get("/v1/directory", headers=auth)
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["etag"] == '"40"'
    again = client.get("/v1/directory", headers={**auth, "If-None-Match": '"40"'})
    assert again.status_code == 304 and again.content == b""


def test_a_sync_is_due_once_a_week(
    served: tuple[TestClient, SyncSource], local_store: DirectoryStore
) -> None:
    client, source = served
    sync(local_store, source, client=client, now=NOW)
    assert sync_if_due(local_store, source, now=NOW + timedelta(days=6)) is None
    due = sync_if_due(local_store, source, now=NOW + timedelta(days=8))
    assert isinstance(due, SyncError)  # due, tried, and the (unreachable) server is reported


def test_keys_init_and_issue(tmp_path: Path) -> None:
    runner = CliRunner()
    key_file = tmp_path / "signing.key"
    made = runner.invoke(directory_app, ["keys", "init", "--key-file", str(key_file)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = next(line for line in made.output.splitlines() if line.startswith("ed25519:"))
    assert parse_public_key(public) == load_signing_key(key_file).verify_key
    again = runner.invoke(directory_app, ["keys", "init", "--key-file", str(key_file)])
    assert again.exit_code == 2 and "never overwritten" in again.output
    keys = tmp_path / "keys.json"
    issue = ["keys", "issue", "--name", "LIB", "--expires", "2027-12-31"]
    issued = runner.invoke(directory_app, [*issue, "--subscriptions", str(keys)])
    assert issued.exit_code == 0, issued.output
    token = issued.output.split()[-1]
    assert token.startswith("snk_") and token not in keys.read_text()
    (subscription,) = load_subscriptions(keys)
    assert (subscription.name, subscription.expires) == ("LIB", date(2027, 12, 31))
    bad = runner.invoke(directory_app, ["keys", "issue", "--name", "L", "--expires", "soon"])
    assert bad.exit_code == 2
