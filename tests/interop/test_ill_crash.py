"""Killing the ILL server (SIGKILL, no clean-up at all) in the middle of a burst of status
changes loses none that it acknowledged and corrupts nothing, on SQLite and on PostgreSQL.

The server is the real ``shelfnet serve web`` in a child process; ten clients press staff
actions through the REST API as fast as it answers. Every answered change must be in the
database afterwards, every transaction's history must be an unbroken chain that ends at its
status, and the restarted server must carry on where it stopped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    ProcessType,
    RequestType,
    StaffRole,
    StaffUser,
    TransactionDraft,
)
from shelfnet.ill.store import open_ill_store
from shelfnet.ill.workflow import Action, Status, available_actions
from tests.peers import free_port

TRANSACTIONS = 40
CLIENTS = 10
KILL_AFTER = 25
"""Acknowledged changes before the kill."""
CALM = {Action.CANCEL, Action.CANCEL_BY_CUSTOMER, Action.CANNOT_FILL, Action.CONDITIONALIZE}


@dataclass(frozen=True)
class Acknowledged:
    transaction: int
    version: int
    status: str


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ill.sqlite")
    cluster = request.getfixturevalue("postgres_cluster")
    url: str = cluster.create_database(prefix="crash")
    return url


def _prepare(location: str) -> tuple[str, list[int]]:
    with open_ill_store(location) as store:
        store.create_staff(StaffUser("admin", "Admin", "", StaffRole.ADMIN))
        key, _ = ApiKeys(store.engine).create("admin", "crash test")
        numbers = [
            store.create_transaction(
                TransactionDraft(
                    ProcessType.BORROWING,
                    RequestType.LOAN,
                    DocumentType.BOOK,
                    Citation(title=f"Book {n}"),
                    lender_string=("AAA", "BBB"),
                ),
                by="admin",
            ).id
            for n in range(TRANSACTIONS)
        ]
    return key, numbers


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str


def _config(folder: Path, location: str, port: int) -> Path:
    where = f'url = "{location}"' if "://" in location else f'path = "{location}"'
    config = folder / "shelfnet.toml"
    config.write_text(
        f'[data]\ndir = "{folder / "data"}"\n[web]\nport = {port}\n'
        f"[ill]\n{where}\nsample = false\n",
        encoding="utf-8",
    )
    return config


def _start(config: Path, port: int) -> Server:
    argv = [sys.executable, "-m", "shelfnet", "serve", "web", "--config", str(config)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("listening: web"):
            return Server(process, f"http://127.0.0.1:{port}")
    process.wait(10)
    raise RuntimeError("shelfnet serve web did not start")


@pytest.fixture
def serving(tmp_path: Path, location: str) -> Iterator[tuple[Path, int, str, list[int]]]:
    key, numbers = _prepare(location)
    port = free_port()
    config = _config(tmp_path, location, port)
    yield config, port, key, numbers


async def _burst(server: Server, key: str, numbers: list[int]) -> list[Acknowledged]:
    acknowledged: list[Acknowledged] = []
    headers = {"Authorization": f"Bearer {key}"}
    killed = asyncio.Event()

    async def press(client: httpx.AsyncClient, mine: list[int]) -> None:
        versions = {number: 1 for number in mine}
        statuses = {number: Status.AWAITING_REQUEST_PROCESSING for number in mine}
        while mine and not killed.is_set():
            for number in list(mine):
                choices = [
                    a
                    for a in available_actions(ProcessType.BORROWING, statuses[number])
                    if a not in CALM
                ]
                if not choices:
                    mine.remove(number)
                    continue
                try:
                    answer = await client.post(
                        f"/api/v1/transactions/{number}/actions",
                        json={"action": choices[0].value, "expected_version": versions[number]},
                    )
                except httpx.TransportError:
                    return  # the server is gone
                assert answer.status_code == 200, answer.text
                body = answer.json()
                versions[number] = body["version"]
                statuses[number] = Status(body["status"])
                acknowledged.append(Acknowledged(number, body["version"], body["status"]))
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.kill(server.process.pid, signal.SIGKILL)

    async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as client:
        shares = [numbers[n::CLIENTS] for n in range(CLIENTS)]
        await asyncio.gather(*(press(client, share) for share in shares))
    return acknowledged


def test_a_killed_server_loses_no_acknowledged_change(
    serving: tuple[Path, int, str, list[int]], location: str
) -> None:
    config, port, key, numbers = serving
    server = _start(config, port)
    try:
        acknowledged = asyncio.run(_burst(server, key, numbers))
    finally:
        server.process.kill()
        server.process.wait(10)
    assert server.process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= KILL_AFTER

    if "://" not in location:
        with sqlite3.connect(location) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_ill_store(location) as store:
        for number in numbers:
            transaction = store.get_transaction(number)
            history = transaction.history
            assert history[-1].to_status is transaction.status
            for before, after in itertools.pairwise(history):
                assert after.from_status is before.to_status, f"broken chain in {number}"
            assert transaction.version == len(history), "one version per status change"
        for ack in acknowledged:
            history = store.get_transaction(ack.transaction).history
            assert len(history) >= ack.version, f"acknowledged change lost: {ack}"
            assert history[ack.version - 1].to_status.value == ack.status

    # Started again on the same database, the server carries on.
    again = _start(config, port)
    try:
        with httpx.Client(base_url=again.base, headers={"Authorization": f"Bearer {key}"}) as c:
            queues = c.get("/api/v1/queues")
            assert queues.status_code == 200
            number = numbers[0]
            current = c.get(f"/api/v1/transactions/{number}").json()
            status = Status(current["status"])
            choices = available_actions(ProcessType.BORROWING, status)
            if choices:
                moved = c.post(
                    f"/api/v1/transactions/{number}/actions",
                    json={"action": choices[0].value, "expected_version": current["version"]},
                )
                assert moved.status_code == 200, moved.text
    finally:
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(20)
