"""(being written)"""

from __future__ import annotations

from fastapi import FastAPI

from shelfnet.web.ill_access import IllWeb


def api_app(ill: IllWeb) -> FastAPI:
    app = FastAPI(title="shelfnet ILL API")
    app.state.ill = ill
    return app
