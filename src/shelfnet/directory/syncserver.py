"""The directory server: publishes a directory as signed snapshots and deltas over HTTP.

    GET /v1/directory              the whole directory (a snapshot)
    GET /v1/directory?since=N      what changed after version N (a delta)

Every request carries a subscription key (``Authorization: Bearer snk_...``): none or an
unknown one is 401, an expired one 403 with ``{"error": "key-expired", "expires": DATE,
"message": ...}``. The answer's body is the signed document (``syncformat``), gzip-compressed
when the client accepts it; its ``ETag`` is the directory version, so a client that sends
``If-None-Match`` with the version it holds gets a bodiless 304 when nothing changed. A
``since`` that is not a whole number, or is ahead of the directory, is 400. Only GET and HEAD
are served, and requests with a body or a long URL are refused before any work.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from nacl.signing import SigningKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shelfnet.directory.keys import find_subscription, load_subscriptions
from shelfnet.directory.store import DirectoryStore
from shelfnet.directory.syncformat import SIGNATURE_HEADER, SyncDocument, encode_document, sign

MAX_URL = 2048
MAX_SINCE_DIGITS = 18
CACHED_DOCUMENTS = 8
_SINCE = re.compile(rf"[0-9]{{1,{MAX_SINCE_DIGITS}}}")

Clock = Callable[[], datetime]


def _error(status: int, error: str, message: str, **extra: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, **extra}, status_code=status)


class _Documents:
    """Signed documents by (directory version, since): the same answer is not rebuilt for
    every library that asks."""

    def __init__(self, store: DirectoryStore, key: SigningKey, clock: Clock) -> None:
        self._store, self._key, self._clock = store, key, clock
        self._cache: dict[tuple[int, int | None], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def get(self, version: int, since: int | None) -> tuple[bytes, str]:
        with self._lock:
            cached = self._cache.get((version, since))
        if cached is not None:
            return cached
        if since is None:
            targets = tuple(stored.target for stored in self._store.targets())
            removed: tuple[str, ...] = ()
        else:
            changed, tombstones = self._store.changes_since(since)
            targets = tuple(stored.target for stored in changed)
            removed = tuple(stone.key for stone in tombstones)
        document = SyncDocument(version, since, self._clock(), targets, removed)
        payload = encode_document(document)
        signed = (payload, sign(payload, self._key))
        with self._lock:
            if len(self._cache) >= CACHED_DOCUMENTS:
                self._cache.pop(next(iter(self._cache)))
            self._cache[(version, since)] = signed
        return signed


def create_app(
    store: DirectoryStore,
    signing_key: SigningKey,
    subscriptions: Path,
    *,
    clock: Clock | None = None,
) -> Starlette:
    """The server's ASGI app over an open store; the subscription key file is read at each
    request, so keys issued while it runs count at once."""
    now = clock or (lambda: datetime.now(UTC))
    documents = _Documents(store, signing_key, now)

    def directory(request: Request) -> Response:
        refused = _check_key(request, subscriptions, now().date())
        if refused is not None:
            return refused
        since_text = request.query_params.get("since")
        since = None
        if since_text is not None:
            if not _SINCE.fullmatch(since_text):
                return _error(400, "bad-since", "since must be a directory version (0 or more)")
            since = int(since_text)
        version = store.version()
        if since is not None and since > version:
            message = f"since={since} is ahead of the directory (version {version})"
            return _error(400, "since-ahead", message, version=str(version))
        etag = f'"{version}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in _tags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        payload, signature = documents.get(version, since)
        headers[SIGNATURE_HEADER] = signature
        return Response(payload, media_type="application/json", headers=headers)

    return Starlette(
        routes=[Route("/v1/directory", directory, methods=["GET", "HEAD"])],
        middleware=[Middleware(_Limits), Middleware(GZipMiddleware, minimum_size=512)],
    )


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _check_key(request: Request, subscriptions: Path, today: date) -> Response | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "no-key", "a subscription key is needed (Authorization: Bearer)")
    found = find_subscription(load_subscriptions(subscriptions), token.strip())
    if found is None:
        return _error(401, "unknown-key", "this subscription key is not known here")
    if found.expired(today):
        expires = found.expires.isoformat()
        message = (
            f"the subscription key for {found.name} expired on {expires}; "
            "ask the directory's operator for a new one"
        )
        return _error(403, "key-expired", message, expires=expires)
    return None


class _Limits:
    """Refuses requests with a body or an overlong URL: the API has nothing to upload."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"0")
            url_length = len(scope["path"]) + len(scope.get("query_string", b""))
            refusal = None
            if b"transfer-encoding" in headers or length.strip() not in (b"", b"0"):
                refusal = _error(413, "body-refused", "requests carry no body")
            elif url_length > MAX_URL:
                refusal = _error(414, "url-too-long", f"URLs are limited to {MAX_URL} bytes")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
