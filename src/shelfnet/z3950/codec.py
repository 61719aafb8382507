"""BER codec for Z39.50 APDUs and the record syntaxes carried inside them.

The ASN.1 modules in ``asn/`` are compiled with asn1tools. Parsing ASN.1 text is the slow part of
start-up (pyparsing), so the parsed modules are kept beside them in ``asn/compiled.json``, tagged
with a hash of the sources; a stale or missing cache falls back to parsing the sources.
Regenerate it with ``python -m shelfnet.z3950.codec``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asn1tools

from shelfnet.asn1cache import CACHE_NAME, AsnModules
from shelfnet.z3950 import fastber
from shelfnet.z3950.ber import definite
from shelfnet.z3950.errors import DecodeError

ASN_MODULES = ("z3950.asn", "diag1.asn", "opac.asn", "grs1.asn", "negotiation.asn")

Value = Any
"""A decoded ASN.1 value as asn1tools represents it (dicts, tuples for CHOICEs, ints, bytes)."""


ASN_DIR = Path(__file__).with_name("asn")


MODULES = AsnModules(ASN_DIR, ASN_MODULES)


def parse_modules() -> dict[str, Any]:
    """Parse the ASN.1 sources (slow: only for regenerating the cache)."""
    return MODULES.parse()


def write_cache() -> None:
    """Regenerate ``asn/compiled.json`` from the ASN.1 sources."""
    MODULES.write_cache()


def cached_modules() -> dict[str, Any] | None:
    """The cached parse of the modules, or None when missing or stale."""
    return MODULES.cached()


def specification() -> Any:
    """The compiled BER specification of every shelfnet Z39.50 module (built once per process)."""
    return MODULES.specification


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
    print("wrote", ASN_DIR / CACHE_NAME)
