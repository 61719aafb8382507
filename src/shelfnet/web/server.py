"""Runs the web app with uvicorn inside the caller's event loop (as ``shelfnet serve`` does)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from fastapi import FastAPI

from shelfnet.web.app import WebContext

SHUTDOWN_GRACE = 3.0
"""Seconds open requests get to finish when the server stops."""


class WebServer:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> None:
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE),
        )
        self._server = uvicorn.Server(config)
        listening = _listen(host, port)  # here, so a port in use is an OSError to the caller
        self._task = asyncio.create_task(self._server.serve(sockets=[listening]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start (port in use, ...)
                raise OSError(f"the web server did not start on {host}:{port}")
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
        context: WebContext = self.app.state.context
        context.store.close()  # ends the searches, and so the event streams waiting on them
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)
