"""BER codec for ISO ILL APDUs (ISO 10161-1, ``asn/ill.asn``).

Compiled with asn1tools like ``shelfnet.z3950.codec``: the parsed module is kept beside the
source in ``asn/compiled.json``, tagged with a hash of the source; a stale or missing cache
falls back to parsing. Regenerate it with ``python -m shelfnet.ill.protocols.isoill.codec``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asn1tools

from shelfnet.asn1cache import CACHE_NAME, AsnModules
from shelfnet.ill.protocols.isoill.errors import DecodeError
from shelfnet.z3950 import errors as z3950_errors
from shelfnet.z3950.ber import definite

ASN_DIR = Path(__file__).with_name("asn")
ASN_MODULES = ("ill.asn",)
APDU_TYPE = "ILL-APDU"

Value = Any
"""A decoded ASN.1 value as asn1tools represents it (dicts, tuples for CHOICEs, ints, bytes)."""


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
    """The compiled BER specification of the ILL module (built once per process)."""
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
    print("wrote", ASN_DIR / CACHE_NAME)
