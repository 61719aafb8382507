"""A target as flat named fields: the vocabulary shared by the JSON and CSV formats and by
``shelfnet directory add`` and ``edit --set``.

Values arrive typed (JSON: numbers, lists, booleans) or as text (CSV cells, the command
line); both go through the same conversions and the same checks. In text, lists are
separated by ``;`` (record syntaxes, element sets and Bib-1 indexes by ``,`` too) and
databases by ``+``, as in YAZ addresses.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from shelfnet.directory.checks import (
    RejectionReason,
    check_target,
    clean_text,
    parse_address,
    parse_port,
    reject,
    shown,
)
from shelfnet.directory.model import (
    DEFAULT_DATABASE,
    DEFAULT_PORTS,
    Address,
    Authentication,
    Target,
    TargetProtocol,
    TargetStatus,
)

ADDRESS_FIELDS = ("protocol", "host", "port", "databases", "tls")
DESCRIPTION_FIELDS = (
    "name", "institution", "description", "contact", "country", "library_type",
    "record_syntaxes", "element_sets", "charset", "user", "password", "auth_group",
    "bib1_indexes", "groups", "status", "implementation_id", "implementation_name",
    "implementation_version", "modified",
)  # fmt: skip
FIELDS = ("name", *ADDRESS_FIELDS, *DESCRIPTION_FIELDS[1:])
"""Every field, in the order exports write them."""
ALIASES = {"database": "databases", "syntaxes": "record_syntaxes", "indexes": "bib1_indexes"}
ADDRESS = "address"
"""``host:port/db`` or an SRU URL, in place of the address fields."""
LIST_SEPARATOR = ";"
DATABASE_SEPARATOR = "+"

_PROTOCOL_NAMES = {
    "z3950": TargetProtocol.Z3950,
    "z39.50": TargetProtocol.Z3950,
    "sru": TargetProtocol.SRU,
    "srw": TargetProtocol.SRU,
    "srw/u": TargetProtocol.SRU,
}
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off", ""}
_E = TypeVar("_E", bound=enum.Enum)


def canonical_name(name: str) -> str:
    name = name.strip().lower().replace("-", "_")
    return ALIASES.get(name, name)


def build_target(values: Mapping[str, object], *, strict: bool = False) -> Target:
    """A checked target from named values; raises ``Rejected``. Unknown names are an error
    when ``strict``, ignored otherwise (a newer file's fields)."""
    fields = {canonical_name(name): value for name, value in values.items()}
    unknown = sorted(set(fields) - set(FIELDS) - {ADDRESS})
    if strict and unknown:
        reject(RejectionReason.BAD_VALUE, f"unknown field(s): {', '.join(map(shown, unknown))}")
    target = Target(
        _address(fields),
        name=_text("name", fields),
        institution=_text("institution", fields),
        description=_text("description", fields),
        contact=_text("contact", fields),
        country=_text("country", fields),
        library_type=_text("library_type", fields),
        record_syntaxes=_strings("record_syntaxes", fields, ",;"),
        element_sets=_strings("element_sets", fields, ",;"),
        charset=_text("charset", fields),
        authentication=Authentication(
            _text("user", fields), _text("password", fields), _text("auth_group", fields)
        ),
        bib1_indexes=_numbers("bib1_indexes", fields),
        groups=_strings("groups", fields, LIST_SEPARATOR),
        status=_choice(TargetStatus, "status", fields, TargetStatus.ACTIVE),
        implementation_id=_text("implementation_id", fields),
        implementation_name=_text("implementation_name", fields),
        implementation_version=_text("implementation_version", fields),
        modified=_time("modified", fields),
    )
    return check_target(target)


def target_values(target: Target) -> dict[str, object]:
    """Every field, typed as JSON writes it (lists, numbers, booleans, ISO 8601 times)."""
    address = target.address
    auth = target.authentication
    values: dict[str, object] = {
        "name": target.name,
        "protocol": address.protocol.value,
        "host": address.host,
        "port": address.port,
        "databases": list(address.databases),
        "tls": address.tls,
        "institution": target.institution,
        "description": target.description,
        "contact": target.contact,
        "country": target.country,
        "library_type": target.library_type,
        "record_syntaxes": list(target.record_syntaxes),
        "element_sets": list(target.element_sets),
        "charset": target.charset,
        "user": auth.user,
        "password": auth.password,
        "auth_group": auth.group,
        "bib1_indexes": list(target.bib1_indexes),
        "groups": list(target.groups),
        "status": target.status.value,
        "implementation_id": target.implementation_id,
        "implementation_name": target.implementation_name,
        "implementation_version": target.implementation_version,
        "modified": target.modified.isoformat() if target.modified else None,
    }
    assert tuple(values) == FIELDS
    return values


def text_values(target: Target) -> dict[str, str]:
    """Every field as text (CSV cells)."""
    texts = {}
    for name, value in target_values(target).items():
        if isinstance(value, list):
            separator = DATABASE_SEPARATOR if name == "databases" else LIST_SEPARATOR
            texts[name] = separator.join(map(str, value))
        elif isinstance(value, bool):
            texts[name] = "true" if value else ""
        else:
            texts[name] = "" if value is None else str(value)
    return texts


def edited(target: Target, changes: Mapping[str, str]) -> Target:
    """The target with ``key=value`` changes (text) applied, checked; raises ``Rejected``.
    ``address`` replaces every address field."""
    values = target_values(target)
    for name, value in changes.items():
        name = canonical_name(name)
        if name == ADDRESS:
            for field in ADDRESS_FIELDS:
                values.pop(field, None)
        values[name] = value
    return build_target(values, strict=True)


def _address(fields: dict[str, object]) -> Address:
    if fields.get(ADDRESS) not in (None, ""):
        text = fields[ADDRESS]
        if not isinstance(text, str):
            reject(RejectionReason.BAD_VALUE, f"address {text!r} is not text")
        return parse_address(text)
    protocol = parse_protocol(fields.get("protocol"))
    host = _text("host", fields)
    if not host:
        reject(RejectionReason.MISSING_HOST, "no host")
    port_value = fields.get("port")
    port = DEFAULT_PORTS[protocol] if port_value in (None, "") else parse_port(port_value)
    databases = _strings("databases", fields, DATABASE_SEPARATOR)
    if not databases and protocol is TargetProtocol.Z3950:
        databases = (DEFAULT_DATABASE,)
    return Address(host, port, databases, protocol, _flag("tls", fields))


def parse_protocol(value: object) -> TargetProtocol:
    if value in (None, ""):
        return TargetProtocol.Z3950
    if not isinstance(value, str) or value.strip().lower() not in _PROTOCOL_NAMES:
        reject(RejectionReason.UNKNOWN_PROTOCOL, f"protocol {shown(str(value))}")
    return _PROTOCOL_NAMES[value.strip().lower()]


def _text(name: str, fields: Mapping[str, object]) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        reject(RejectionReason.BAD_VALUE, f"{name} {value!r} is not text")
    return clean_text(value)


def _strings(name: str, fields: Mapping[str, object], separators: str) -> tuple[str, ...]:
    value = fields.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = list(re.split(f"[{re.escape(separators)}]", value))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        reject(RejectionReason.BAD_VALUE, f"{name} {value!r} is not a list")
    if not all(isinstance(item, str) for item in items):
        reject(RejectionReason.BAD_VALUE, f"{name} {value!r} holds something other than text")
    return tuple(clean_text(str(item)) for item in items if clean_text(str(item)))


def _numbers(name: str, fields: Mapping[str, object]) -> tuple[int, ...]:
    value = fields.get(name)
    if isinstance(value, str):
        value = [item for item in re.split("[,; ]", value) if item.strip()]
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        reject(RejectionReason.BAD_VALUE, f"{name} {value!r} is not a list")
    numbers = []
    for item in value:
        if isinstance(item, str) and item.strip().isascii() and item.strip().isdigit():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**31:
            reject(RejectionReason.BAD_VALUE, f"{name}: {item!r} is not a Bib-1 use attribute")
        numbers.append(item)
    return tuple(numbers)


def _flag(name: str, fields: Mapping[str, object]) -> bool:
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    reject(RejectionReason.BAD_VALUE, f"{name} {value!r} is not true or false")


def _choice(kind: type[_E], name: str, fields: Mapping[str, object], default: _E) -> _E:
    value = fields.get(name)
    if value in (None, ""):
        return default
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        reject(RejectionReason.BAD_VALUE, f"{name} {shown(str(value))} (one of {allowed})")


def _time(name: str, fields: Mapping[str, object]) -> datetime | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    return parse_time(value, name)


def parse_time(value: object, name: str) -> datetime:
    """An ISO 8601 time; without a zone it is taken as UTC."""
    if not isinstance(value, str):
        reject(RejectionReason.BAD_VALUE, f"{name} {value!r} is not a time")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        reject(RejectionReason.BAD_VALUE, f"{name} {shown(value)} is not an ISO 8601 time")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
