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

    POST /v1/probes                probe results a library shares (``probeupload``)

The only request with a body: a JSON list of probe results, at most ``MAX_UPLOAD_BYTES``
(413 when the Content-Length says more, or as soon as a streamed body goes past it; nothing
beyond the limit is read). A body that is not JSON or not probe results is 400 with
``{"error": "bad-probes", "message": ...}`` naming the entry and field. Results for targets
the directory does not hold are left out and counted; the rest are stored as probe history
with the key holder's name as their source. The answer:
``{"stored": N, "known": N, "unknown_targets": N}`` (``known``: already stored).
"""

from __future__ import annotations

import asyncio
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

from shelfnet.directory.keys import Subscription, find_subscription, load_subscriptions
from shelfnet.directory.probeupload import (
    MAX_UPLOAD_BYTES,
    UploadedProbe,
    UploadError,
    decode_probes,
)
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
        if not isinstance(refused, Subscription):
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

    async def probes(request: Request) -> Response:
        checked = await asyncio.to_thread(_check_key, request, subscriptions, now().date())
        if not isinstance(checked, Subscription):
            return checked
        body = await _read_body(request, MAX_UPLOAD_BYTES)
        if body is None:
            return _too_large()
        try:
            uploaded = decode_probes(body, checked.name)
        except UploadError as exc:
            return _error(400, "bad-probes", str(exc))
        counts = await asyncio.to_thread(_store_probes, store, uploaded)
        return JSONResponse(counts)

    return Starlette(
        routes=[
            Route("/v1/directory", directory, methods=["GET", "HEAD"]),
            Route("/v1/probes", probes, methods=["POST"]),
        ],
        middleware=[Middleware(_Limits), Middleware(GZipMiddleware, minimum_size=512)],
    )


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _too_large() -> JSONResponse:
    return _error(413, "body-too-large", f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _store_probes(store: DirectoryStore, uploaded: list[UploadedProbe]) -> dict[str, int]:
    """Stores the results for known targets, each once (same time and prober: known)."""
    stored = known = unknown = 0
    ids: dict[str, int | None] = {}
    seen: dict[int, set[tuple[datetime, str]]] = {}
    for item in uploaded:
        if item.target not in ids:
            found = store.find(item.target)
            ids[item.target] = None if found is None else found.id
        target_id = ids[item.target]
        if target_id is None:
            unknown += 1
            continue
        if target_id not in seen:
            seen[target_id] = {(p.when, p.source) for p in store.probes(target_id)}
        mark = (item.probe.when, item.probe.source)
        if mark in seen[target_id]:
            known += 1
            continue
        seen[target_id].add(mark)
        store.record_probe(target_id, item.probe)
        stored += 1
    return {"stored": stored, "known": known, "unknown_targets": unknown}


def _check_key(request: Request, subscriptions: Path, today: date) -> Response | Subscription:
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
    return found


class _Limits:
    """Refuses requests with a body (but probe uploads up to their limit) or an overlong
    URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"0")
            url_length = len(scope["path"]) + len(scope.get("query_string", b""))
            refusal = None
            upload = scope["method"] == "POST" and scope["path"] == "/v1/probes"
            declared = length.strip()
            if upload and declared and not declared.isdigit():
                refusal = _error(400, "bad-length", "Content-Length must be a number")
            elif upload and declared and int(declared) > MAX_UPLOAD_BYTES:
                refusal = _too_large()
            elif not upload and (b"transfer-encoding" in headers or declared not in (b"", b"0")):
                refusal = _error(413, "body-refused", "requests carry no body")
            elif url_length > MAX_URL:
                refusal = _error(414, "url-too-long", f"URLs are limited to {MAX_URL} bytes")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
