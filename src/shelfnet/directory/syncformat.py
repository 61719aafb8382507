"""Signed directory documents: the snapshots and deltas the directory server publishes.

A document is canonical JSON (keys sorted, UTF-8, no spaces)::

    {"format": "shelfnet-directory-sync", "format_version": 1,
     "version": 5321,            the server's directory version it brings a copy up to
     "since": 5290,              the version it starts from; null for a whole snapshot
     "generated": "2024-05-01T12:00:00+00:00",
     "targets": [{...}, ...],    added or changed targets, in the JSON file's target form
     "removed": ["z3950:host:210/DB", ...]}   keys of removed targets

The body of a response is exactly these bytes; the ``Shelfnet-Signature`` header holds a
detached Ed25519 signature over them, ``ed25519:`` and the signature in base64. Nothing in a
document is read before its signature verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from shelfnet.directory.checks import Rejected
from shelfnet.directory.fields import build_target, parse_time, target_values
from shelfnet.directory.model import Target

FORMAT_NAME = "shelfnet-directory-sync"
FORMAT_VERSION = 1
SIGNATURE_HEADER = "Shelfnet-Signature"
KEY_PREFIX = "ed25519:"
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""The largest document a client reads (after decompression)."""


class DocumentError(ValueError):
    """A document that is refused whole: a bad signature, not a sync document, too large."""


@dataclass(frozen=True)
class SyncDocument:
    version: int
    since: int | None
    generated: datetime
    targets: tuple[Target, ...]
    removed: tuple[str, ...]
    rejected: tuple[str, ...] = ()
    """Entries that are not valid targets (``targets[3]: why``); they are not applied."""

    @property
    def is_snapshot(self) -> bool:
        return self.since is None


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_document(document: SyncDocument) -> bytes:
    return canonical_json(
        {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "version": document.version,
            "since": document.since,
            "generated": document.generated.isoformat(),
            "targets": [target_values(target) for target in document.targets],
            "removed": list(document.removed),
        }
    )


def sign(payload: bytes, key: SigningKey) -> str:
    """The signature header's value for ``payload``."""
    signature = key.sign(payload).signature
    return KEY_PREFIX + base64.b64encode(signature).decode("ascii")


def public_key_text(key: VerifyKey) -> str:
    """The public key as clients write it in their configuration: ``ed25519:BASE64``."""
    return KEY_PREFIX + base64.b64encode(bytes(key)).decode("ascii")


def parse_public_key(text: str) -> VerifyKey:
    raw = _base64(text.strip(), "public key")
    if len(raw) != 32:
        raise DocumentError(f"a public key is 32 bytes, not {len(raw)}")
    return VerifyKey(raw)


def _base64(text: str, what: str) -> bytes:
    if not text.startswith(KEY_PREFIX):
        raise DocumentError(f"the {what} does not start with {KEY_PREFIX!r}")
    try:
        return base64.b64decode(text[len(KEY_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DocumentError(f"the {what} is not base64: {exc}") from None


def verify(payload: bytes, signature: str | None, key: VerifyKey) -> None:
    """Raises ``DocumentError`` unless ``signature`` is ``key``'s signature of ``payload``."""
    if not signature:
        raise DocumentError("the document is not signed")
    raw = _base64(signature.strip(), "signature")
    try:
        key.verify(payload, raw)
    except (BadSignatureError, ValueError):
        raise DocumentError("the signature does not verify: document refused") from None


def decode_document(payload: bytes, signature: str | None, key: VerifyKey) -> SyncDocument:
    """The document, once its signature verifies and its form is right."""
    if len(payload) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"document over {MAX_DOCUMENT_BYTES} bytes")
    verify(payload, signature, key)
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise DocumentError(f"not a {FORMAT_NAME} document")
    if data.get("format_version") != FORMAT_VERSION:
        raise DocumentError(f"format version {data.get('format_version')!r} is not supported")
    version, since = data.get("version"), data.get("since")
    if not _is_count(version) or not (since is None or _is_count(since)):
        raise DocumentError("version and since must be whole numbers")
    assert isinstance(version, int) and (since is None or isinstance(since, int))
    entries, removed = data.get("targets"), data.get("removed")
    if not isinstance(entries, list) or not isinstance(removed, list) or not _strings(removed):
        raise DocumentError("targets and removed must be lists")
    try:
        generated = parse_time(data.get("generated"), "generated")
    except Rejected as exc:
        raise DocumentError(str(exc)) from None
    targets, rejected = _targets(entries)
    return SyncDocument(version, since, generated, targets, tuple(removed), rejected)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _targets(entries: Sequence[object]) -> tuple[tuple[Target, ...], tuple[str, ...]]:
    targets: list[Target] = []
    rejected: list[str] = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            rejected.append(f"targets[{number}]: not an object")
            continue
        try:
            targets.append(build_target(entry))
        except Rejected as exc:
            rejected.append(f"targets[{number}]: {exc}")
    return tuple(targets), tuple(rejected)
