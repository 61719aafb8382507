"""Helpers for the sync tests: made-up targets, a server app over a store, a tampering
transport."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import uvicorn
from nacl.signing import SigningKey
from starlette.applications import Starlette

from shelfnet.directory.keys import issue_subscription
from shelfnet.directory.model import Address, Target
from shelfnet.directory.store import DirectoryStore
from shelfnet.directory.syncserver import create_app

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def made_up_targets(count: int, start: int = 0) -> list[Target]:
    return [
        Target(
            Address(f"z{number}.example.org", 210 + number % 7, (f"DB{number}",)),
            name=f"Library number {number}",
            institution=f"Institution {number}",
            description=f"Union catalogue {hashlib.sha256(str(number).encode()).hexdigest()}",
            contact=f"z39.50-{number}@example.org",
            country="Norway",
            record_syntaxes=("usmarc", "xml"),
            bib1_indexes=(4, 7, 1003),
            groups=("made-up",),
        )
        for number in range(start, start + count)
    ]


def renamed(target: Target, suffix: str = " (renamed)") -> Target:
    return replace(target, name=target.name + suffix)


def server_app(
    store: DirectoryStore, folder: Path, key: SigningKey, *, expires: date = date(2027, 12, 31)
) -> tuple[Starlette, str]:
    """The app and a subscription key good until ``expires``."""
    subscriptions = folder / "keys.json"
    token = issue_subscription(subscriptions, "Test library", expires, NOW)
    return create_app(store, key, subscriptions, clock=lambda: NOW), token


class Tampering(httpx.BaseTransport):
    """Flips one byte in the middle of every 200 answer's body."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = bytearray(
            httpx.Response(200, headers=response.headers, stream=response.stream).read()
        )
        if response.status_code == 200 and body:
            body[len(body) // 2] ^= 0x01
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in ("content-encoding", "content-length")
        }
        return httpx.Response(response.status_code, headers=headers, content=bytes(body))


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Runs ``app`` with uvicorn on a loopback port, in a thread; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the directory server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()
