"""AutoSync against a real directory server (uvicorn on loopback, started here): a 3,000
target directory, a delta of 30 changes, a 304, tampered and wrongly signed documents, a
client killed while applying, an expired key, and the user's targets kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from typer.testing import CliRunner

from shelfnet.directory.commands import directory_app
from shelfnet.directory.keys import issue_subscription
from shelfnet.directory.model import Origin, TargetRecord
from shelfnet.directory.store import DirectoryStore, open_store
from shelfnet.directory.syncclient import SyncError, SyncSource, sync, sync_state
from shelfnet.directory.syncformat import public_key_text
from shelfnet.directory.syncserver import create_app
from tests.unit.directory.syncpeers import Tampering, made_up_targets, renamed, serving

TARGETS = 3000
CHANGED = 30
KEY = SigningKey(b"i" * 32)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    url: str
    store: DirectoryStore
    token: str
    expired_token: str
    subscriptions: Path

    @property
    def source(self) -> SyncSource:
        return SyncSource(self.url, self.token, KEY.verify_key)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("directory-server")
    subscriptions = folder / "keys.json"
    now = datetime.now(UTC)
    token = issue_subscription(subscriptions, "Good library", date(2099, 12, 31), now)
    yesterday = now.date() - timedelta(days=1)
    expired = issue_subscription(subscriptions, "Late library", yesterday, now)
    with open_store(folder / "server.sqlite") as store:
        store.put_records([TargetRecord(t) for t in made_up_targets(TARGETS)])
        with serving(create_app(store, KEY, subscriptions)) as url:
            yield Server(url, store, token, expired, subscriptions)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[DirectoryStore]:
    with open_store(tmp_path / "local.sqlite") as store:
        yield store


def keys_and_names(store: DirectoryStore) -> set[tuple[str, str]]:
    return {(s.target.key, s.target.name) for s in store.targets()}


def test_a_full_sync_then_a_small_delta_then_a_304(server: Server, local: DirectoryStore) -> None:
    full = sync(local, server.source)
    assert (full.kind, full.added) == ("snapshot", TARGETS)
    stored = server.store.targets()[100 : 100 + CHANGED]
    server.store.put_records([TargetRecord(renamed(s.target)) for s in stored[:25]])
    for gone in stored[25:]:
        server.store.remove(gone.id)
    delta = sync(local, server.source)
    assert (delta.kind, delta.updated, delta.removed) == ("delta", 25, 5)
    assert delta.bytes * 20 < full.bytes, (full.bytes, delta.bytes)
    assert keys_and_names(local) == keys_and_names(server.store)
    unchanged = sync(local, server.source)
    assert (unchanged.kind, unchanged.bytes) == ("not-modified", 0)


def test_tampered_or_wrongly_signed_documents_change_nothing(
    server: Server, local: DirectoryStore
) -> None:
    sync(local, server.source)
    before = keys_and_names(local), sync_state(local)
    victim = server.store.targets()[7]
    server.store.update(victim.id, renamed(victim.target, " (changed again)"))
    tampering = httpx.Client(transport=Tampering(httpx.HTTPTransport()))
    with tampering, pytest.raises(SyncError, match="signature"):
        sync(local, server.source, client=tampering)
    other_key = SigningKey(b"m" * 32)
    impostor = serving(create_app(server.store, other_key, server.subscriptions))
    with impostor as url, pytest.raises(SyncError, match="does not verify"):
        sync(local, SyncSource(url, server.token, KEY.verify_key))
    assert (keys_and_names(local), sync_state(local)) == before
    assert sync(local, server.source).updated == 1


KILLED_CLIENT = """
import sys, time
from pathlib import Path
from shelfnet.directory.store import open_store
from shelfnet.directory.syncclient import SyncSource, sync
from shelfnet.directory.syncformat import parse_public_key

location, url, token, public, marker = sys.argv[1:]

def progress(done: int, total: int) -> None:
    if done >= total // 2:
        Path(marker).write_text(f"{done} of {total}")
        time.sleep(600)

with open_store(location) as store:
    sync(store, SyncSource(url, token, parse_public_key(public)), progress=progress)
"""


def test_a_client_killed_while_applying_leaves_the_old_directory(
    server: Server, tmp_path: Path
) -> None:
    location = tmp_path / "killed.sqlite"
    with open_store(location) as store:
        store.add(made_up_targets(1, start=5000)[0])
        before = keys_and_names(store)
    marker = tmp_path / "halfway"
    arguments = [str(location), server.url, server.token, public_key_text(KEY.verify_key)]
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CLIENT, *arguments, str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the client ended before it was killed"
            assert time.monotonic() < deadline, "the client never got halfway"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    with open_store(location) as store:
        assert keys_and_names(store) == before
        assert "server_version" not in sync_state(store)
        report = sync(store, server.source)
        assert report.added == len(server.store.targets())
        assert len(store.targets()) == len(server.store.targets()) + 1


def test_an_expired_key_is_told_its_date(server: Server, tmp_path: Path) -> None:
    location = tmp_path / "late.sqlite"
    arguments = ["sync", "--url", server.url, "--key", server.expired_token]
    arguments += ["--public-key", public_key_text(KEY.verify_key), "--directory", str(location)]
    result = CliRunner().invoke(directory_app, arguments)
    assert result.exit_code == 1
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert f"expired on {yesterday}" in " ".join(result.output.split())
    assert "unchanged" in result.output


def test_the_users_own_and_edited_targets_survive(server: Server, local: DirectoryStore) -> None:
    sync(local, server.source)
    on_server = server.store.targets()[200:202]
    edited = local.find(on_server[0].target.key)
    assert edited is not None
    local.update(edited.id, renamed(edited.target, " (ours)"))
    own = made_up_targets(1, start=7000)[0]
    local.add(own)
    server.store.put_records([TargetRecord(own)])
    server.store.update(on_server[0].id, renamed(on_server[0].target, " (theirs)"))
    server.store.remove(on_server[1].id)
    local.update(local.find(on_server[1].target.key).id, renamed(on_server[1].target, " (x)"))  # type: ignore[union-attr]
    report = sync(local, server.source)
    assert sorted(report.kept_local) == sorted(
        [
            f"{on_server[0].target.key}: changed",
            f"{on_server[1].target.key}: removed",
            f"{own.key}: changed",
        ]
    )
    kept = local.find(on_server[0].target.key)
    assert kept is not None and kept.target.name.endswith("(ours)")
    assert local.find(on_server[1].target.key) is not None
    mine = local.find(own.key)
    assert mine is not None and mine.origin is Origin.LOCAL
