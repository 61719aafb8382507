"""Probe results sent to a directory server: the wire form, its checks, and the client call.

A library that probes targets can share what it found: ``POST /v1/probes`` on the directory
server, with its subscription key, carrying a JSON list of probe results, each naming its
target by address key (``Address.key``):

    [{"target": "z3950:z3950.loc.gov:7090/voyager", "when": "2026-11-23T12:00:00+00:00",
      "reachable": true, "init_ok": true, "search_ok": true, "hits": 12,
      "implementation_id": "34", "implementation_name": "Voyager",
      "implementation_version": "9.2", "syntaxes": ["usmarc"], "connect_seconds": 0.08,
      "init_seconds": 0.11, "search_seconds": 0.4, "diagnostic": null}]

Only ``target``, ``when`` and ``reachable`` are required; ``diagnostic`` is null or
``{"set": "Bib-1", "code": 114, "message": "...", "addinfo": "..."}``. The server stores the
results with the key holder's name as their source. Texts follow the directory's rules (no
markup, no control characters).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from shelfnet.directory.checks import Rejected, check_text
from shelfnet.directory.model import Diagnostic, ProbeResult

MAX_UPLOAD_BYTES = 1_000_000
"""The largest body the server reads; a longer one is refused with 413."""
MAX_PROBES = 5_000
"""The most probe results one upload may carry."""

_FLAGS = ("init_ok", "search_ok")
_TEXTS = ("implementation_id", "implementation_name", "implementation_version")
_SECONDS = ("connect_seconds", "init_seconds", "search_seconds")
_KNOWN = {"target", "when", "reachable", "hits", "syntaxes", "diagnostic", *_FLAGS, *_TEXTS}
_KNOWN |= set(_SECONDS)
_DIAGNOSTIC = {"set", "code", "message", "addinfo"}


class UploadError(ValueError):
    """A body that is not a list of probe results; the message names the entry and field."""


@dataclass(frozen=True)
class UploadedProbe:
    target: str
    """The target's address key."""
    probe: ProbeResult


def encode_probe(target: str, probe: ProbeResult) -> dict[str, object]:
    """One probe result in the wire form (its source is left out: the server sets it)."""
    diagnostic = probe.diagnostic
    return {
        "target": target,
        "when": probe.when.isoformat(),
        "reachable": probe.reachable,
        "init_ok": probe.init_ok,
        "search_ok": probe.search_ok,
        "hits": probe.hits,
        "implementation_id": probe.implementation_id,
        "implementation_name": probe.implementation_name,
        "implementation_version": probe.implementation_version,
        "syntaxes": list(probe.syntaxes),
        "connect_seconds": probe.connect_seconds,
        "init_seconds": probe.init_seconds,
        "search_seconds": probe.search_seconds,
        "diagnostic": None
        if diagnostic is None
        else {
            "set": diagnostic.set,
            "code": diagnostic.code,
            "message": diagnostic.message,
            "addinfo": diagnostic.addinfo,
        },
    }


def decode_probes(body: bytes, source: str) -> list[UploadedProbe]:
    """The upload's probe results, with ``source`` as their prober; ``UploadError`` says
    which entry and field is wrong."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UploadError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, list):
        raise UploadError("the body must be a JSON list of probe results")
    if len(value) > MAX_PROBES:
        raise UploadError(f"{len(value)} probe results; at most {MAX_PROBES} per upload")
    return [_decode(entry, f"[{index}]", source) for index, entry in enumerate(value)]


def _decode(entry: object, where: str, source: str) -> UploadedProbe:
    if not isinstance(entry, dict):
        raise UploadError(f"{where} is not an object")
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        raise UploadError(f"{where} has unknown fields: {', '.join(unknown)}")
    target = _text(entry, "target", where, required=True)
    if not target:
        raise UploadError(f"{where}.target is empty")
    probe = ProbeResult(
        when=_when(entry.get("when"), where),
        reachable=_flag(entry, "reachable", where, required=True) is True,
        init_ok=_flag(entry, "init_ok", where),
        search_ok=_flag(entry, "search_ok", where),
        hits=_count(entry.get("hits"), f"{where}.hits"),
        implementation_id=_text(entry, "implementation_id", where),
        implementation_name=_text(entry, "implementation_name", where),
        implementation_version=_text(entry, "implementation_version", where),
        syntaxes=_syntaxes(entry.get("syntaxes", []), where),
        connect_seconds=_seconds(entry, "connect_seconds", where),
        init_seconds=_seconds(entry, "init_seconds", where),
        search_seconds=_seconds(entry, "search_seconds", where),
        diagnostic=_diagnostic(entry.get("diagnostic"), f"{where}.diagnostic"),
        source=source,
    )
    return UploadedProbe(target, probe)


def _checked(value: str, field: str) -> str:
    try:
        check_text(field, value)
    except Rejected as exc:
        raise UploadError(str(exc)) from None
    return value


def _text(entry: Mapping[str, Any], name: str, where: str, *, required: bool = False) -> str:
    if name not in entry and not required:
        return ""
    value = entry.get(name)
    if not isinstance(value, str):
        raise UploadError(f"{where}.{name} must be a string")
    return _checked(value, f"{where}.{name}")


def _flag(
    entry: Mapping[str, Any], name: str, where: str, *, required: bool = False
) -> bool | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, bool):
        raise UploadError(f"{where}.{name} must be true or false")
    return value


def _when(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise UploadError(f"{where}.when must be an ISO 8601 date and time")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UploadError(f"{where}.when is not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        raise UploadError(f"{where}.when has no time zone")
    return when


def _count(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UploadError(f"{where} must be a whole number, 0 or more")
    return value


def _seconds(entry: Mapping[str, Any], name: str, where: str) -> float | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
        raise UploadError(f"{where}.{name} must be a number of seconds")
    return float(value)


def _syntaxes(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UploadError(f"{where}.syntaxes must be a list of strings")
    return tuple(_checked(item, f"{where}.syntaxes") for item in value)


def _diagnostic(value: object, where: str) -> Diagnostic | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= _DIAGNOSTIC or "set" not in value:
        raise UploadError(f"{where} must be an object with set, code, message, addinfo")
    code = value.get("code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise UploadError(f"{where}.code must be a whole number or null")
    texts = [_text(value, name, where) for name in ("set", "message", "addinfo")]
    return Diagnostic(texts[0], code, texts[1], texts[2])


@dataclass(frozen=True)
class UploadReport:
    """What the server did: results stored, already known (same time, same prober), and
    left out because the server's directory has no such target."""

    stored: int
    known: int
    unknown_targets: int


def upload_probes(
    url: str,
    key: str,
    probes: Sequence[tuple[str, ProbeResult]],
    *,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
) -> UploadReport:
    """Send (target key, result) pairs to the directory server at ``url`` (its base URL).
    Raises ``httpx.HTTPStatusError`` when the server refuses them."""
    body = json.dumps([encode_probe(target, probe) for target, probe in probes]).encode()
    if len(body) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{len(body)} bytes is more than one upload may carry")
    own = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    try:
        answer = http.post(
            url.rstrip("/") + "/v1/probes",
            content=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        answer.raise_for_status()
        counts = answer.json()
    finally:
        if own:
            http.close()
    return UploadReport(counts["stored"], counts["known"], counts["unknown_targets"])
