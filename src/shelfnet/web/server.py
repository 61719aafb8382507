"""Runs the web app with uvicorn inside the caller's event loop (as ``shelfnet serve`` does)."""

from __future__ import annotations

from fastapi import FastAPI

from shelfnet.httpserver import EmbeddedServer
from shelfnet.web.app import WebContext


class WebServer(EmbeddedServer):
    def __init__(self, app: FastAPI) -> None:
        super().__init__(app, lifespan="on")

    async def close(self) -> None:
        context: WebContext = self.app.state.context
        context.store.close()  # ends the searches, and so the event streams waiting on them
        await super().close()
