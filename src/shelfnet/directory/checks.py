"""What the directory refuses, and why.

Directories gathered from the open web carry spam and damage: link spam in descriptions,
fields shifted by a bad export (a port where the host should be), Windows paths where a port
should be. A record with any of that is rejected whole, with a reason and the offending
value; nothing is repaired by guesswork and no markup is ever kept, since every text ends up
in a web page or a terminal.
"""

from __future__ import annotations

import enum
import html
import ipaddress
import re
from dataclasses import dataclass
from typing import NoReturn

from shelfnet.directory.model import Address, AddressError, Target, TargetProtocol

MAX_DATABASE_NAME = 255
MAX_TEXT = 10_000
SHOWN_VALUE = 60


class RejectionReason(enum.Enum):
    """Why a record was not imported. The value is the short code reports and CSV use."""

    BAD_FILE = "bad-file"
    NOT_XML = "not-xml"
    NOT_ZEEREX = "not-zeerex"
    UNSAFE_XML = "unsafe-xml"
    TOO_LARGE = "too-large"
    MARKUP = "markup"
    CONTROL_CHARACTERS = "control-characters"
    MISSING_HOST = "missing-host"
    BAD_HOST = "bad-host"
    LOOPBACK_HOST = "loopback-host"
    BAD_PORT = "bad-port"
    PORT_OUT_OF_RANGE = "port-out-of-range"
    BAD_DATABASE = "bad-database"
    UNKNOWN_PROTOCOL = "unknown-protocol"
    BAD_VALUE = "bad-value"

    @property
    def sentence(self) -> str:
        return _SENTENCES[self]


_SENTENCES = {
    RejectionReason.BAD_FILE: "not a file of the format expected",
    RejectionReason.NOT_XML: "not well-formed XML",
    RejectionReason.NOT_ZEEREX: "not a ZeeRex record (no explain element)",
    RejectionReason.UNSAFE_XML: "entity declarations or references (never expanded)",
    RejectionReason.TOO_LARGE: "larger than any real record",
    RejectionReason.MARKUP: "HTML or script in a text field",
    RejectionReason.CONTROL_CHARACTERS: "control characters in a text field",
    RejectionReason.MISSING_HOST: "no host",
    RejectionReason.BAD_HOST: "host is not a host name or IP address",
    RejectionReason.LOOPBACK_HOST: "loopback host (means nothing in a shared directory)",
    RejectionReason.BAD_PORT: "port missing or not a number",
    RejectionReason.PORT_OUT_OF_RANGE: "port out of range (1-65535)",
    RejectionReason.BAD_DATABASE: "database name empty, too long or unusable",
    RejectionReason.UNKNOWN_PROTOCOL: "protocol neither Z39.50 nor SRU",
    RejectionReason.BAD_VALUE: "a field with a value of the wrong kind",
}


@dataclass(frozen=True)
class Rejection:
    """A record that was not imported: why, the specifics, and where it was."""

    reason: RejectionReason
    detail: str
    where: str = ""

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}{self.reason.sentence}: {self.detail}"


class Rejected(Exception):
    """Raised inside readers; they turn it into a ``Rejection`` with the record's place."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(f"{reason.sentence}: {detail}")
        self.reason = reason
        self.detail = detail

    def at(self, where: str) -> Rejection:
        return Rejection(self.reason, self.detail, where)


def reject(reason: RejectionReason, detail: str) -> NoReturn:
    raise Rejected(reason, detail)


def shown(value: str) -> str:
    """A value as a report quotes it: repr (so markup and controls show as text), cut."""
    text = value if len(value) <= SHOWN_VALUE else value[:SHOWN_VALUE] + "..."
    return repr(text)


# Markup: a tag opening or closing ('<a', '</a', '<?x'), a comment or declaration ('<!'), a
# script URL, or an HTML event handler attribute. As in HTML, a '<' before a digit or a
# space ('< 5 years', '<3') is text.
_TAG = r"<(?:[/?]?[^\W\d_]|!)"
_SCRIPT_URL = r"(?:java|vb|live)script\s*:|data\s*:\s*text/html"
_EVENTS = (
    "abort|blur|change|click|contextmenu|copy|cut|dblclick|drag\\w*|drop|error|focus\\w*|"
    "hashchange|input|invalid|key\\w+|load|message|mouse\\w+|paste|pointer\\w+|reset|"
    "resize|scroll|select|submit|toggle|touch\\w+|unload|wheel|animation\\w+|transition\\w+|"
    "begin|end|show|start|finish|beforeunload|afterprint|beforeprint"
)
_HANDLER = rf"\bon(?:{_EVENTS})\s*="
# Each pattern runs only on text holding what it needs (a large speed-up on IRSpy's
# records, whose texts are mostly dates).
_MARKUP = [
    (("<",), re.compile(_TAG)),
    (("script", "data"), re.compile(_SCRIPT_URL, re.IGNORECASE)),
    (("=",), re.compile(_HANDLER, re.IGNORECASE)),
]
# C0 controls but tab, newline and carriage return; DEL and C1; bidi overrides and isolates,
# which reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# 'Name <name@example.org>' is how mail addresses are written, not a tag: the brackets go.
_ANGLE_ADDRESS = re.compile(r"<([^\s<>@]+@[^\s<>@]+)>")


def find_markup(text: str) -> str | None:
    """The first markup in ``text``, also once HTML character references are decoded
    (``&lt;script&gt;`` stored as text is still a script tag to a careless page)."""
    for _ in range(3):
        if "<" in text:
            text = _ANGLE_ADDRESS.sub(r"\1", text)
        lowered = text.lower()
        for needed, pattern in _MARKUP:
            found = pattern.search(text) if any(n in lowered for n in needed) else None
            if found:
                return text[found.start() : found.start() + SHOWN_VALUE]
        if "&" not in text:
            return None
        decoded = html.unescape(text)
        if decoded == text:
            return None
        text = decoded
    return None


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def check_text(field: str, text: str) -> None:
    """Refuse markup and control characters in one text value."""
    found = find_markup(text)
    if found is not None:
        reject(RejectionReason.MARKUP, f"{field} has {shown(found)}")
    control = _CONTROL.search(text)
    if control:
        reject(
            RejectionReason.CONTROL_CHARACTERS,
            f"{field} has U+{ord(control.group()):04X} in {shown(text)}",
        )
    if len(text) > MAX_TEXT:
        reject(RejectionReason.BAD_VALUE, f"{field} is {len(text)} characters long")


def clean_text(text: str | None) -> str:
    """Runs of white space as one space, none at the ends; mail addresses without their
    angle brackets."""
    return " ".join(_ANGLE_ADDRESS.sub(r"\1", text or "").split())


_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def check_host(host: str, *, allow_loopback: bool) -> None:
    """A DNS name or an IP address; not a port, a path or a sentence."""
    if not host:
        reject(RejectionReason.MISSING_HOST, "the host is empty")
    name = host.lower().strip("[]")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is None:
        _check_host_name(host)
    if allow_loopback:
        return
    if name == "localhost" or name.endswith(".localhost") or (ip and ip.is_loopback):
        reject(RejectionReason.LOOPBACK_HOST, f"host {shown(host)}")
    if ip and ip.is_unspecified:
        reject(RejectionReason.BAD_HOST, f"host {shown(host)} is the unspecified address")


def _check_host_name(host: str) -> None:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        reject(RejectionReason.BAD_HOST, f"host {shown(host)}")
    labels = ascii_host.lower().split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        reject(RejectionReason.BAD_HOST, f"host {shown(host)}")
    if ascii_host.isdigit():
        reject(RejectionReason.BAD_HOST, f"host {shown(host)} is a number (fields shifted?)")
    if labels[-1].isdigit():
        # '2100', '10.1.2' or '194.182.134.04' (leading zeros: octal or decimal?): a port
        # or a mangled address, never a name that resolves.
        reject(RejectionReason.BAD_HOST, f"host {shown(host)} is neither a name nor an address")


def parse_port(value: object) -> int:
    """A port from an int or a string of digits; 1 to 65535."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        reject(RejectionReason.BAD_PORT, f"port {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            reject(RejectionReason.BAD_PORT, "no port")
        if not (text.isascii() and text.isdigit()):
            reject(RejectionReason.BAD_PORT, f"port {shown(text)} is not a number")
        value = int(text)
    if not 0 < value < 65536:
        reject(RejectionReason.PORT_OUT_OF_RANGE, f"port {value}")
    return value


_ADDRESS_REASONS = {
    "host": RejectionReason.BAD_HOST,
    "port": RejectionReason.BAD_PORT,
    "port-range": RejectionReason.PORT_OUT_OF_RANGE,
}


def parse_address(text: str) -> Address:
    """``Address.parse``, failing with ``Rejected``."""
    try:
        return Address.parse(text)
    except AddressError as exc:
        reject(_ADDRESS_REASONS[exc.part], str(exc))


def check_databases(target: Target) -> None:
    address = target.address
    if not address.databases and address.protocol is TargetProtocol.Z3950:
        reject(RejectionReason.BAD_DATABASE, "no database")
    if address.protocol is TargetProtocol.SRU:
        if len(address.databases) > 1:
            reject(RejectionReason.BAD_DATABASE, "an SRU target has one path, not several")
        if any(char in name for name in address.databases for char in "?#"):
            reject(RejectionReason.BAD_DATABASE, "an SRU path with '?' or '#'")
    for name in address.databases:
        if not name.strip():
            reject(RejectionReason.BAD_DATABASE, f"database {shown(name)} is blank")
        if len(name) > MAX_DATABASE_NAME:
            reject(RejectionReason.BAD_DATABASE, f"database name of {len(name)} characters")
        if address.protocol is TargetProtocol.Z3950 and "+" in name:
            reject(RejectionReason.BAD_DATABASE, f"database {shown(name)} has '+'")


def check_target(target: Target, *, allow_loopback: bool = True) -> Target:
    """The target, when every field is acceptable; raises ``Rejected`` otherwise."""
    for field, text in target.text_fields().items():
        check_text(field, text)
    check_host(target.address.host, allow_loopback=allow_loopback)
    parse_port(target.address.port)
    check_databases(target)
    if any(use <= 0 for use in target.bib1_indexes):
        reject(RejectionReason.BAD_VALUE, f"Bib-1 use attributes {target.bib1_indexes}")
    return target
