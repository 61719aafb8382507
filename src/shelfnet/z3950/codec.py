"""BER codec for Z39.50 APDUs and the record syntaxes carried inside them.

The ASN.1 modules in ``asn/`` are compiled with asn1tools. Parsing ASN.1 text is the slow part of
start-up (pyparsing), so the parsed modules are kept beside them in ``asn/compiled.json``, tagged
with a hash of the sources; a stale or missing cache falls back to parsing the sources.
Regenerate it with ``python -m shelfnet.z3950.codec``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import asn1tools

from shelfnet.z3950 import fastber
from shelfnet.z3950.ber import definite
from shelfnet.z3950.errors import DecodeError

ASN_MODULES = ("z3950.asn", "diag1.asn", "opac.asn", "grs1.asn", "negotiation.asn")
_CACHE_NAME = "compiled.json"

Value = Any
"""A decoded ASN.1 value as asn1tools represents it (dicts, tuples for CHOICEs, ints, bytes)."""


ASN_DIR = Path(__file__).with_name("asn")


def _sources() -> list[str]:
    return [(ASN_DIR / name).read_text(encoding="utf-8") for name in ASN_MODULES]


def _digest(sources: list[str]) -> str:
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


def parse_modules() -> dict[str, Any]:
    """Parse the ASN.1 sources (slow: only for regenerating the cache)."""
    return dict(asn1tools.parse_string("\n".join(_sources())))


def write_cache() -> None:
    """Regenerate ``asn/compiled.json`` from the ASN.1 sources."""
    document = {"sha256": _digest(_sources()), "modules": parse_modules()}
    text = json.dumps(document, sort_keys=True, indent=0) + "\n"
    (ASN_DIR / _CACHE_NAME).write_text(text, encoding="utf-8")


def cached_modules() -> dict[str, Any] | None:
    """The cached parse of the modules, or None when missing or stale."""
    try:
        document = json.loads((ASN_DIR / _CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if document.get("sha256") != _digest(_sources()):
        return None
    modules: dict[str, Any] = document["modules"]
    return modules


@cache
def specification() -> Any:
    """The compiled BER specification of every shelfnet Z39.50 module (built once per process)."""
    modules = cached_modules() or parse_modules()
    return asn1tools.compile_dict(modules, codec="ber")


def encode(type_name: str, value: Value) -> bytes:
    """Encode ``value`` as the named ASN.1 type. Bad values are a programming error here."""
    try:
        return bytes(specification().encode(type_name, value, check_types=False))
    except (asn1tools.Error, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(f"cannot encode {type_name}: {exc}") from exc


def decode(type_name: str, data: bytes | bytearray) -> Value:
    """Decode one complete value of the named type; anything malformed raises DecodeError."""
    try:
        return _decode(type_name, bytes(data))
    except DecodeError:
        normalised = definite(data)  # indefinite lengths inside ANY defeat asn1tools
        if normalised == data:
            raise
        return _decode(type_name, normalised)


def _decode(type_name: str, data: bytes) -> Value:
    try:
        return specification().decode(type_name, data)
    except RecursionError as exc:
        raise DecodeError(f"{type_name}: nesting too deep") from exc
    except Exception as exc:  # asn1tools raises many kinds on hostile input; all mean the same
        raise DecodeError(f"{type_name}: {exc}") from exc


def encode_apdu(name: str, value: Value) -> bytes:
    """Encode one PDU alternative, e.g. ``encode_apdu("close", {...})``."""
    if name == "searchResponse":
        fast = fastber.encode_search_response(value)
        if fast is not None:
            return fast
    return encode("PDU", (name, value))


def decode_apdu(data: bytes | bytearray) -> tuple[str, Value]:
    """Decode one complete APDU into ``(alternative name, value)``.

    A SearchRequest of the usual shape is decoded by ``fastber``, several times faster;
    every other APDU, and any SearchRequest it does not take, by asn1tools."""
    if data[:1] == fastber.SEARCH_REQUEST:
        fast = fastber.decode_search_request(bytes(data))
        if fast is not None:
            return "searchRequest", fast
    name, value = decode("PDU", data)
    return str(name), value


if __name__ == "__main__":
    write_cache()
    print("wrote", ASN_DIR / _CACHE_NAME)
