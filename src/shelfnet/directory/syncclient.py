"""AutoSync: bring a directory up to date from a directory server.

The client remembers the server version it holds (the store's ``sync_state``, kept in the
``directory_sync`` table beside the directory's own) and asks for ``since=`` that version
with ``If-None-Match``: an unchanged directory costs one 304. A document is read only once
its Ed25519 signature verifies against the operator's public key; one that does not is
refused and nothing changes. A document is applied in one transaction, with the new server
version (``DirectoryStore.apply_sync``), so a crash or a kill midway leaves the directory as
it was.

The conflict rule: the user's targets win. A target added by hand (``local``) or edited
locally is never changed or removed by a sync; the server's change to it is kept aside and
reported (``kept_local``), not applied. A removal on the server removes only targets that
came from the server (``synced``); imported ones stay. Targets changed on the server that
came from an import become ``synced``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from nacl.signing import VerifyKey

from shelfnet.directory.store import SyncProgress
from shelfnet.directory.syncformat import (
    MAX_DOCUMENT_BYTES,
    SIGNATURE_HEADER,
    DocumentError,
    SyncDocument,
    decode_document,
)

if TYPE_CHECKING:
    from shelfnet.directory.store import DirectoryStore

SYNC_EVERY = timedelta(days=7)
TIMEOUT = 60.0
MAX_ERROR_BYTES = 64 * 1024
Progress = SyncProgress


class SyncError(Exception):
    """The sync did not happen; the directory is as it was."""


class KeyExpired(SyncError):
    def __init__(self, expires: date, message: str) -> None:
        super().__init__(message)
        self.expires = expires


@dataclass(frozen=True)
class SyncSource:
    url: str
    """The server's base URL (``https://directory.example.org``)."""
    key: str
    """The subscription key the operator issued."""
    public_key: VerifyKey
    """The operator's signing key, as ``shelfnet directory keys init`` printed it."""


@dataclass
class SyncReport:
    kind: str
    """``snapshot``, ``delta`` or ``not-modified``."""
    version_before: int | None
    version_after: int | None
    bytes: int = 0
    """Bytes of the answer's body as transferred (compressed)."""
    seconds: float = 0.0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept_local: list[str] = field(default_factory=list)
    """Server changes not applied because the target is the user's (``key: changed``)."""
    rejected: list[str] = field(default_factory=list)


def sync_state(store: DirectoryStore) -> dict[str, str]:
    """What the client remembers: ``server_version``, ``url``, ``last_sync`` (ISO time); empty
    before the first sync."""
    state = store.sync_state()
    if state is None:
        return {}
    return {
        "server_version": str(state.server_version),
        "url": state.url,
        "last_sync": state.last_sync.isoformat(),
    }


def sync(
    store: DirectoryStore,
    source: SyncSource,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Fetch, verify and apply what changed; raises ``SyncError`` (``KeyExpired``) and leaves
    the directory unchanged when that cannot be done."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    held = store.sync_state()
    version = held.server_version if held is not None and held.url == source.url else None
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        try:
            fetched = _fetch(http, source, version)
        except _Ahead:  # the server was rebuilt: start again from a snapshot
            version = None
            fetched = _fetch(http, source, None)
    finally:
        if own:
            http.close()
    body, signature, transferred = fetched
    if body is None:
        store.mark_synced(now)
        return SyncReport("not-modified", version, version, transferred, _since(started))
    try:
        document = decode_document(body, signature, source.public_key)
    except DocumentError as exc:
        raise SyncError(f"{source.url}: {exc}") from None
    if document.since is not None and document.since != version:
        raise SyncError(f"a delta from version {document.since} does not fit version {version}")
    report = SyncReport(
        "snapshot" if document.is_snapshot else "delta", version, document.version, transferred
    )
    report.rejected = list(document.rejected)
    apply_document(store, document, source.url, now, report, progress)
    report.seconds = _since(started)
    return report


def sync_if_due(
    store: DirectoryStore,
    source: SyncSource,
    *,
    every: timedelta = SYNC_EVERY,
    now: datetime | None = None,
) -> SyncReport | SyncError | None:
    """For the app's start: sync when the last one is older than ``every``. Returns the
    report, the error (the directory stays as it is and the app goes on), or None when no
    sync was due."""
    now = now or datetime.now(UTC)
    held = store.sync_state()
    if held is not None and now - held.last_sync < every:
        return None
    try:
        return sync(store, source, now=now)
    except (SyncError, httpx.HTTPError) as exc:
        return exc if isinstance(exc, SyncError) else SyncError(f"{source.url}: {exc}")


def apply_document(
    store: DirectoryStore,
    document: SyncDocument,
    url: str,
    now: datetime,
    report: SyncReport,
    progress: Progress | None = None,
) -> None:
    """Write a verified document, and the server version it brings, in one transaction."""
    applied = store.apply_sync(
        document.targets,
        document.removed,
        server_version=document.version,
        url=url,
        at=now,
        full=document.is_snapshot,
        progress=progress,
    )
    report.added += applied.added
    report.updated += applied.updated
    report.unchanged += applied.unchanged
    report.removed += applied.removed
    report.kept_local += applied.kept_local


class _Ahead(Exception):
    pass


def _fetch(
    http: httpx.Client, source: SyncSource, version: int | None
) -> tuple[bytes | None, str | None, int]:
    """(body, signature, bytes transferred); no body for a 304."""
    if not source.url.startswith(("http://", "https://")):
        raise SyncError(f"{source.url!r} is not an http(s) URL")
    headers = {"Authorization": f"Bearer {source.key}", "Accept-Encoding": "gzip"}
    params = {}
    if version is not None:
        params["since"] = str(version)
        headers["If-None-Match"] = f'"{version}"'
    url = source.url.rstrip("/") + "/v1/directory"
    try:
        with http.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code == 304:
                return None, None, response.num_bytes_downloaded
            if response.status_code != 200:
                _refused(response, source.url)
            body = _read(response, MAX_DOCUMENT_BYTES)
            signature = response.headers.get(SIGNATURE_HEADER)
            return body, signature, response.num_bytes_downloaded
    except httpx.HTTPError as exc:
        raise SyncError(f"{source.url}: {exc}") from None


def _read(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise SyncError(f"the document is over {limit} bytes: refused")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise SyncError(f"the document is over {limit} bytes: refused")
    return bytes(body)


def _refused(response: httpx.Response, url: str) -> None:
    try:
        answer = json.loads(_read(response, MAX_ERROR_BYTES))
    except (SyncError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    message = str(answer.get("message") or response.reason_phrase)
    error = answer.get("error")
    if response.status_code == 403 and error == "key-expired":
        try:
            expires = date.fromisoformat(str(answer.get("expires")))
        except ValueError:
            raise SyncError(f"{url}: {message}") from None
        raise KeyExpired(expires, f"{url}: {message}")
    if response.status_code == 400 and error == "since-ahead":
        raise _Ahead()
    raise SyncError(f"{url}: HTTP {response.status_code}: {message}")


def _since(started: float) -> float:
    return time.perf_counter() - started
