"""The web app: one FastAPI application, built by ``create_app`` from what it is given.

Nothing is global: the targets, search limits and session store live in the app's state,
so tests (and ``shelfnet serve``) build as many independent apps as they like.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from shelfnet.config import Settings
from shelfnet.marc.quality import DEFAULT_WEIGHTS, Weights
from shelfnet.search.engine import DEFAULT_LIMITS, SearchLimits, federated_search
from shelfnet.search.targets import TargetList, TargetSpec, load_targets
from shelfnet.web.directory_access import DirectoryAccess
from shelfnet.web.sessions import Clock, SearchFunction, SessionStore, new_session_id

if TYPE_CHECKING:
    from fastapi import APIRouter

    from shelfnet.ill.protocols.iso18626.callbacks import Callbacks
    from shelfnet.web.ill_access import IllWeb, SignInRequired

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


@dataclass(frozen=True)
class WebContext:
    """Everything a request handler needs, kept in ``app.state.context``."""

    targets: TargetList
    store: SessionStore
    templates: Jinja2Templates
    clock: Clock = time.monotonic
    stream_interval: float = 0.2
    """Seconds between two event-stream messages at least (changes in between are merged)."""
    directory: DirectoryAccess = field(default_factory=lambda: DirectoryAccess(None))
    """The target directory the directory pages show."""


def create_app(
    targets: TargetList,
    limits: SearchLimits = DEFAULT_LIMITS,
    *,
    max_sessions: int = 100,
    record_budget: int = 100_000,
    weights: Weights = DEFAULT_WEIGHTS,
    search: SearchFunction = federated_search,
    clock: Clock = time.monotonic,
    new_id: Callable[[], str] = new_session_id,
    stream_interval: float = 0.2,
    directory: str | Path | None = None,
    ill: IllWeb | None = None,
) -> FastAPI:
    """The federated-search web app over ``targets``; ``directory``: the target directory's
    location (a file or a database URL) for the directory pages; ``ill``: the interlibrary
    loan pages and REST API (none: the app has no ILL side)."""
    from shelfnet.web.directory_routes import router as directory_router
    from shelfnet.web.editor_routes import install as install_editor
    from shelfnet.web.search_routes import router

    store = SessionStore(
        search,
        limits,
        capacity=max_sessions,
        record_budget=record_budget,
        weights=weights,
        new_id=new_id,
    )
    access = DirectoryAccess(directory)
    context = WebContext(targets, store, templates(), clock, stream_interval, access)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()
        access.close()
        if ill is not None:
            ill.store.close()

    app = FastAPI(title="shelfnet", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.context = context
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    app.include_router(directory_router)
    install_editor(app)
    if ill is not None:
        _add_ill(app, ill)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)
    return app


def _add_ill(app: FastAPI, ill: IllWeb) -> None:
    from shelfnet.web.api_routes import api_app
    from shelfnet.web.delivery_routes import router as delivery_router
    from shelfnet.web.ill_access import SignInRequired
    from shelfnet.web.notice_routes import router as notice_router
    from shelfnet.web.patron_routes import router as patron_router
    from shelfnet.web.signin_routes import router as signin_router
    from shelfnet.web.staff_routes import router as staff_router

    app.state.ill = ill
    app.include_router(signin_router)
    app.include_router(patron_router)
    app.include_router(staff_router)
    app.include_router(notice_router)
    app.include_router(delivery_router)
    app.mount("/api", api_app(ill))
    app.add_exception_handler(SignInRequired, _sign_in_required)  # type: ignore[arg-type]


async def _sign_in_required(request: Request, exc: SignInRequired) -> Response:
    from shelfnet.web.ill_access import sign_in_redirect

    return sign_in_redirect(exc)


def app_from_settings(
    settings: Settings, local: str | None = None, ill: IllWeb | None = None
) -> FastAPI:
    """The app as ``shelfnet serve`` runs it: targets, limits and weights from the settings.
    ``local`` is the address the local catalogue is served at, when it is known better than
    the settings say (a port 0 in the settings is chosen only when the server starts);
    ``ill``: the ILL side, opened by the caller (``ill_access.ill_from_settings``)."""
    search = settings.search
    limits = SearchLimits(
        concurrency=search.concurrency,
        connect_timeout=search.connect_timeout,
        timeout=search.timeout,
        max_records=search.max_records,
    )
    app = create_app(
        configured_targets(settings, local),
        limits,
        max_sessions=settings.web.max_sessions,
        record_budget=settings.web.max_records_kept,
        weights=search.score,
        directory=directory_location(settings),
        ill=ill,
    )
    if ill is not None:
        from shelfnet.ill.holdings import configured_lookup, install
        from shelfnet.web import delivery_routes
        from shelfnet.web.notice_routes import configure

        configure(app, settings.ill)
        delivery_routes.configure(app, delivery_routes.delivery_settings(settings))
        # Staff look up holdings in our own catalogue and the directory's partner group.
        our_catalogue = local or local_address(settings)
        install(app, configured_lookup(our_catalogue, directory_location(settings)))
        if settings.iso18626.enabled:
            app.include_router(iso18626_router(settings, ill))
    return app


def iso18626_router(settings: Settings, ill: IllWeb) -> APIRouter:
    """The ISO 18626 endpoint: partners' messages become (and move) transactions."""
    from shelfnet.ill.protocols.iso18626.endpoint import create_router

    return create_router(incoming_18626(settings, ill), path=settings.iso18626.path)


def incoming_18626(settings: Settings, ill: IllWeb) -> Callbacks:
    """What the endpoint does with messages: the message log's callbacks when messaging
    keeps one for ISO 18626, else the store's own."""
    try:
        from shelfnet.ill.messaging.iso18626 import logged_callbacks
    except ImportError:
        from shelfnet.ill.protocols.iso18626.backend import store_callbacks

        return store_callbacks(ill.store)
    return logged_callbacks(ill.store, settings)


def directory_location(settings: Settings) -> str | Path:
    """The directory's file or database URL: as the ``[directory]`` section says (``url``,
    else ``path``), else ``directory.sqlite`` in the data folder."""
    section = getattr(settings, "directory", None)
    for name in ("url", "path"):
        value = getattr(section, name, None)
        if isinstance(value, str | Path) and str(value):
            return value
    return settings.data.dir / "directory.sqlite"


def configured_targets(settings: Settings, local: str | None = None) -> TargetList:
    """The targets file's targets; without one, the local catalogue's own server."""
    if settings.search.targets is not None:
        return load_targets(settings.search.targets)
    address = local or local_address(settings)
    if address is None:
        return TargetList()
    spec = TargetSpec("local catalogue", address)
    return TargetList({spec.name: spec})


def local_address(
    settings: Settings, host: str | None = None, port: int | None = None
) -> str | None:
    """Where the local catalogue is searched: its Z39.50 server, or its SRU server when only
    that is enabled (``host`` and ``port``: where it really listens). None: no port known."""
    database = settings.catalog.database
    if settings.z3950.enabled or not settings.sru.enabled:
        port = port or settings.z3950.port
        return f"{reachable(host or settings.z3950.host)}:{port}/{database}" if port else None
    port = port or settings.sru.port
    return f"http://{reachable(host or settings.sru.host)}:{port}/{database}" if port else None


def reachable(host: str) -> str:
    """An address to connect to for a server listening on ``host``."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=environment)


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    context: WebContext | None = getattr(request.app.state, "context", None)
    if context is None:  # raised again from a mounted app (the REST API has answered JSON)
        return PlainTextResponse(f"{title}: {detail}", status_code=status)
    return context.templates.TemplateResponse(
        request, "error.html", {"title": title, "detail": detail}, status_code=status
    )


async def _http_error(request: Request, exc: HTTPException) -> Response:
    titles = {404: "Not found", 405: "Method not allowed"}
    title = titles.get(exc.status_code, "Request refused")
    return _error_page(request, exc.status_code, title, str(exc.detail))


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
        for error in exc.errors()
    )
    return _error_page(request, 400, "Bad request", problems)


async def _server_error(request: Request, exc: Exception) -> Response:
    detail = "Something went wrong on the server; the search can be started again."
    return _error_page(request, 500, "Server error", detail)
