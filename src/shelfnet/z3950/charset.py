"""Character-set negotiation (Z39.50 Negotiation-3, carried in the Init ``otherInfo``).

shelfnet proposes UTF-8 for the strings of the session (terms, database names, diagnostics) and
asks for records as stored (``recordsInSelectedCharSets`` false): a MARC-8 record arrives as the
bytes the target keeps and is decoded per record, losslessly.
"""

from __future__ import annotations

from typing import Any

from shelfnet.z3950 import codec, oids
from shelfnet.z3950.errors import DecodeError

ISO10646_ENCODINGS = {"utf-8": oids.UTF8_ENCODING, "ucs-2": oids.UCS2_ENCODING}
_ENCODING_NAMES = {oid: name for name, oid in ISO10646_ENCODINGS.items()}


def _external(negotiation: Any) -> dict[str, Any]:
    inner = codec.encode("CharSetandLanguageNegotiation", negotiation)
    external = {
        "direct-reference": oids.CHARSET_NEGOTIATION_3,
        "encoding": ("single-ASN1-type", inner),
    }
    return {"information": ("externallyDefinedInfo", external)}


def _proposed(name: str) -> list[tuple[str, Any]]:
    """A character set as ISO 10646 (when it is one) and always also by name.

    Index Data's servers (YAZ, Zebra) negotiate by name, in a private set whose EXTERNAL holds
    the name under their OID; standard ISO 10646 proposals serve everybody else.
    """
    forms: list[tuple[str, Any]] = []
    if name.lower() in ISO10646_ENCODINGS:
        forms.append(("iso10646", {"encodingLevel": ISO10646_ENCODINGS[name.lower()]}))
    by_name = {
        "direct-reference": oids.PRIVATE_CHARSET_NAME,
        "encoding": ("octet-aligned", name.encode("ascii")),
    }
    forms.append(("private", ("externallySpecified", by_name)))
    return forms


def proposal_other_info(charsets: tuple[str, ...], records_too: bool = False) -> dict[str, Any]:
    """One ``otherInfo`` entry proposing ``charsets`` (e.g. ``utf-8``), in preference order."""
    proposed = [form for name in charsets for form in _proposed(name)]
    return _external(
        ("proposal", {"proposedCharSets": proposed, "recordsInSelectedCharSets": records_too})
    )


def response_other_info(charset: str) -> dict[str, Any]:
    """One ``otherInfo`` entry selecting ``charset`` in an Init response."""
    chosen = _proposed(charset)[0]
    return _external(("response", {"selectedCharSets": chosen, "recordsInSelectedCharSets": False}))


def _negotiations(other_info: list[Any]) -> list[Any]:
    found = []
    for entry in other_info:
        kind, body = entry["information"]
        if kind != "externallyDefinedInfo":
            continue
        if body.get("direct-reference") != oids.CHARSET_NEGOTIATION_3:
            continue
        enc_kind, raw = body["encoding"]
        if enc_kind != "single-ASN1-type":
            continue
        try:
            found.append(codec.decode("CharSetandLanguageNegotiation", bytes(raw)))
        except DecodeError:
            continue  # a negotiation we cannot read is one we do not take part in
    return found


def _charset_name(set_kind: str, charset: Any) -> str | None:
    if set_kind == "iso10646":
        return _ENCODING_NAMES.get(charset["encodingLevel"])
    if set_kind == "private":
        form, external = charset
        if form == "externallySpecified" and external.get("direct-reference") == (
            oids.PRIVATE_CHARSET_NAME
        ):
            enc_kind, raw = external["encoding"]
            if enc_kind == "octet-aligned":
                return bytes(raw).decode("ascii", "replace").lower()
    return None


def proposed_charsets(other_info: list[Any]) -> tuple[str, ...]:
    """Names of the ISO 10646 character sets an origin proposed (unknown ones skipped)."""
    names: list[str] = []
    for kind, body in _negotiations(other_info):
        if kind != "proposal":
            continue
        for set_kind, charset in body.get("proposedCharSets", []):
            name = _charset_name(set_kind, charset)
            if name and name not in names:
                names.append(name)
    return tuple(names)


def selected_charset(other_info: list[Any]) -> str | None:
    """The character set a target selected, when it answered the negotiation with one we know."""
    for kind, body in _negotiations(other_info):
        if kind != "response" or "selectedCharSets" not in body:
            continue
        set_kind, charset = body["selectedCharSets"]
        return _charset_name(set_kind, charset)
    return None
