"""An ASGI application served by uvicorn inside the caller's event loop, as ``shelfnet
serve`` runs the SRU server and the web pages beside the Z39.50 server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, Literal

import uvicorn

SHUTDOWN_GRACE = 3
"""Seconds open requests get to finish when the server stops."""


class EmbeddedServer:
    """One ASGI app on one address; ``start`` returns once it listens."""

    def __init__(self, app: Any, *, lifespan: Literal["on", "off"] = "off") -> None:
        self.app = app
        self.lifespan = lifespan
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0: any free port); a port in use raises OSError here."""
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            log_level="warning",
            lifespan=self.lifespan,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
        self._server = uvicorn.Server(config)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listening = socket.create_server((host, port), family=family)
        self._task = asyncio.create_task(self._server.serve(sockets=[listening]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start
                raise OSError(f"the server did not start on {host}:{port}")
            await asyncio.sleep(0.01)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [
            sock.getsockname()[:2]
            for server in getattr(self._server, "servers", [])
            for sock in server.sockets
        ]

    async def close(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
