"""BER codec for ISO ILL APDUs (ISO 10161-1, ``asn/ill.asn``).

Compiled with asn1tools like ``shelfnet.z3950.codec``: the parsed module is kept beside the
source in ``asn/compiled.json``, tagged with a hash of the source; a stale or missing cache
falls back to parsing. Regenerate it with ``python -m shelfnet.ill.protocols.isoill.codec``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import asn1tools

from shelfnet.ill.protocols.isoill.errors import DecodeError
from shelfnet.z3950 import errors as z3950_errors
from shelfnet.z3950.ber import definite

ASN_DIR = Path(__file__).with_name("asn")
ASN_MODULES = ("ill.asn",)
_CACHE_NAME = "compiled.json"
APDU_TYPE = "ILL-APDU"

Value = Any
"""A decoded ASN.1 value as asn1tools represents it (dicts, tuples for CHOICEs, ints, bytes)."""


def _sources() -> list[str]:
    return [(ASN_DIR / name).read_text(encoding="utf-8") for name in ASN_MODULES]


def _digest(sources: list[str]) -> str:
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


def parse_modules() -> dict[str, Any]:
    """Parse the ASN.1 source (slow: only for regenerating the cache)."""
    return dict(asn1tools.parse_string("\n".join(_sources())))


def write_cache() -> None:
    """Regenerate ``asn/compiled.json`` from the ASN.1 source."""
    document = {"sha256": _digest(_sources()), "modules": parse_modules()}
    text = json.dumps(document, sort_keys=True, indent=0) + "\n"
    (ASN_DIR / _CACHE_NAME).write_text(text, encoding="utf-8")


def cached_modules() -> dict[str, Any] | None:
    """The cached parse of the module, or None when missing or stale."""
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
    """The compiled BER specification of the ILL module (built once per process)."""
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
        try:
            normalised = definite(data)  # indefinite lengths inside ANY defeat asn1tools
        except z3950_errors.DecodeError as exc:
            raise DecodeError(f"{type_name}: {exc}") from exc
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
    """Encode one ILL-APDU alternative, e.g. ``encode_apdu("ill-Request", {...})``."""
    return encode(APDU_TYPE, (name, value))


def decode_apdu(data: bytes | bytearray) -> tuple[str, Value]:
    """Decode one complete APDU into ``(alternative name, value)``."""
    name, value = decode(APDU_TYPE, data)
    return str(name), value


if __name__ == "__main__":
    write_cache()
    print("wrote", ASN_DIR / _CACHE_NAME)
