"""What the directory knows about a target: its address (the identity), its description, its
status and what probing it found. Plain frozen values; no I/O.

A target's identity is its address: protocol, host, port and database(s). Two descriptions
of the same address are the same target, whoever wrote them (``Address.key``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit


class TargetProtocol(enum.Enum):
    Z3950 = "z3950"
    SRU = "sru"


DEFAULT_PORTS = {TargetProtocol.Z3950: 210, TargetProtocol.SRU: 80}
HTTPS_PORT = 443
DEFAULT_DATABASE = "Default"
"""The database YAZ asks for when an address names none."""


class TargetStatus(enum.Enum):
    """Whether searches go to the target: ``active`` yes; ``quarantined`` not until a probe
    finds it working again; ``retired`` never (kept so a sync does not bring it back)."""

    ACTIVE = "active"
    QUARANTINED = "quarantined"
    RETIRED = "retired"


class Origin(enum.Enum):
    """Where a stored target came from. A sync never overwrites ``local`` targets, nor any
    target the user edited (``StoredTarget.locally_edited``)."""

    LOCAL = "local"
    IMPORTED = "imported"
    SYNCED = "synced"


class AddressError(ValueError):
    """An address that does not parse; ``part`` says what is wrong: ``host``, ``port`` (not
    a number) or ``port-range``."""

    def __init__(self, message: str, part: str) -> None:
        super().__init__(message)
        self.part = part


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """The values in their first order, each once, empty ones dropped."""
    return tuple(dict.fromkeys(value for value in values if value))


@dataclass(frozen=True)
class Address:
    """Where a target answers. Z39.50 is written as YAZ does, ``host:port/db1+db2``
    (``ssl:`` in front for TLS); SRU as its base URL, whose path is the database."""

    host: str
    port: int
    databases: tuple[str, ...] = ()
    protocol: TargetProtocol = TargetProtocol.Z3950
    tls: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", normalise_host(self.host))
        object.__setattr__(self, "databases", _unique(self.databases))

    @property
    def key(self) -> str:
        """The identity: equal for every spelling of the same address (host case, the order
        of databases, TLS or not)."""
        return f"{self.protocol.value}:{self.host}:{self.port}/{'+'.join(sorted(self.databases))}"

    def __str__(self) -> str:
        if self.protocol is TargetProtocol.SRU:
            scheme, default = ("https", HTTPS_PORT) if self.tls else ("http", 80)
            port = "" if self.port == default else f":{self.port}"
            return f"{scheme}://{_url_host(self.host)}{port}/{'/'.join(self.databases)}"
        prefix = "ssl:" if self.tls else ""
        return f"{prefix}{_url_host(self.host)}:{self.port}/{'+'.join(self.databases)}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """``host[:port][/db1+db2]`` (Z39.50; ``tcp:`` or ``ssl:`` may lead) or an
        ``http(s)://`` URL (SRU). Raises ``AddressError``, saying why, when it is neither."""
        text = text.strip()
        lowered = text.lower()
        if lowered.startswith(("http://", "https://")):
            return cls._parse_url(text)
        tls = lowered.startswith("ssl:")
        for prefix in ("z3950://", "tcp:", "ssl:"):
            if lowered.startswith(prefix):
                text = text[len(prefix) :]
                break
        where, _, dbs = text.partition("/")
        host, port = _split_host_port(where, DEFAULT_PORTS[TargetProtocol.Z3950], text)
        databases = tuple(dbs.split("+")) if dbs else (DEFAULT_DATABASE,)
        return cls(host, port, databases, TargetProtocol.Z3950, tls)

    @classmethod
    def _parse_url(cls, text: str) -> Address:
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise AddressError(f"{text!r} is not a URL: {exc}", "host") from None
        try:
            port = parts.port
        except ValueError as exc:
            part = "port-range" if "out of range" in str(exc) else "port"
            raise AddressError(f"{text!r}: {exc}", part) from None
        if not parts.hostname:
            raise AddressError(f"no host in {text!r}", "host")
        tls = parts.scheme.lower() == "https"
        path = parts.path.strip("/")
        return cls(
            parts.hostname,
            port or (HTTPS_PORT if tls else DEFAULT_PORTS[TargetProtocol.SRU]),
            (path,) if path else (),
            TargetProtocol.SRU,
            tls,
        )


def normalise_host(host: str) -> str:
    """Host names compare without case and without a final dot; IPv6 without brackets."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _split_host_port(text: str, default: int, whole: str) -> tuple[str, int]:
    if text.startswith("["):  # [IPv6]:port
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host.strip():
        raise AddressError(f"no host in {whole!r}", "host")
    if not port_text:
        return host, default
    if not port_text.isascii() or not port_text.isdigit():
        raise AddressError(f"port {port_text!r} in {whole!r} is not a number", "port")
    port = int(port_text)
    if not 0 < port < 65536:
        raise AddressError(f"port {port} in {whole!r} is out of range (1-65535)", "port-range")
    return host, port


@dataclass(frozen=True)
class Authentication:
    """Z39.50 idPass (or SRU HTTP basic: user and password)."""

    user: str = ""
    password: str = ""
    group: str = ""

    def __bool__(self) -> bool:
        return bool(self.user or self.password or self.group)


@dataclass(frozen=True)
class Target:
    """One target as the directory describes it. Collections are kept sorted and without
    repeats (but databases, whose first is the one searched alone), so equal descriptions
    compare equal. Every text is plain text: no markup, no control characters
    (``shelfnet.directory.checks`` refuses anything else)."""

    address: Address
    name: str = ""
    institution: str = ""
    description: str = ""
    contact: str = ""
    country: str = ""
    library_type: str = ""
    """Academic, Public, National, Special, Other, ... as the source says."""
    record_syntaxes: tuple[str, ...] = ()
    """Lower case: usmarc, unimarc, sutrs, xml, opac, grs-1, ..."""
    element_sets: tuple[str, ...] = ()
    """Element set names (F, B, ...); for SRU, the record schemas."""
    charset: str = ""
    authentication: Authentication = field(default_factory=Authentication)
    bib1_indexes: tuple[int, ...] = ()
    """Bib-1 use attributes the target is known to search."""
    groups: tuple[str, ...] = ()
    status: TargetStatus = TargetStatus.ACTIVE
    implementation_id: str = ""
    implementation_name: str = ""
    implementation_version: str = ""
    modified: datetime | None = None
    """When the description last changed at its source (ZeeRex ``metaInfo/dateModified``)."""

    def __post_init__(self) -> None:
        syntaxes = (syntax.lower() for syntax in self.record_syntaxes)
        object.__setattr__(self, "record_syntaxes", tuple(sorted(_unique(syntaxes))))
        object.__setattr__(self, "element_sets", tuple(sorted(_unique(self.element_sets))))
        object.__setattr__(self, "bib1_indexes", tuple(sorted(set(self.bib1_indexes))))
        object.__setattr__(self, "groups", tuple(sorted(_unique(self.groups))))

    @property
    def key(self) -> str:
        return self.address.key

    @property
    def label(self) -> str:
        """The name, or the address when there is none."""
        return self.name or str(self.address)

    def text_fields(self) -> dict[str, str]:
        """Every free-text value, by field name (what the checks look at)."""
        auth = self.authentication
        texts = {
            "host": self.address.host,
            "name": self.name,
            "institution": self.institution,
            "description": self.description,
            "contact": self.contact,
            "country": self.country,
            "library_type": self.library_type,
            "charset": self.charset,
            "user": auth.user,
            "password": auth.password,
            "auth_group": auth.group,
            "implementation_id": self.implementation_id,
            "implementation_name": self.implementation_name,
            "implementation_version": self.implementation_version,
        }
        lists = {
            "database": self.address.databases,
            "record_syntaxes": self.record_syntaxes,
            "element_sets": self.element_sets,
            "groups": self.groups,
        }
        for name, values in lists.items():
            texts.update({f"{name}[{i}]": value for i, value in enumerate(values)})
        return texts


@dataclass(frozen=True)
class Diagnostic:
    """Why an operation failed, in the words of its diagnostic set: ``Bib-1`` (with the
    Z39.50 code), ``ZOOM`` (a client-side failure: 10000 connect failed, 10007 timeout, ...),
    ``HTTP``, or an SRU diagnostic URI's set."""

    set: str
    code: int | None
    message: str = ""
    addinfo: str = ""

    def __str__(self) -> str:
        code = "" if self.code is None else f" {self.code}"
        addinfo = f" ({self.addinfo})" if self.addinfo else ""
        return f"{self.set}{code}: {self.message or 'error'}{addinfo}"


@dataclass(frozen=True)
class ProbeResult:
    """One visit to a target: could we connect, did Init succeed, did a test search work,
    what came back, how long it took and what went wrong. Unknown stays None (a probe that
    never got past connecting says nothing about searching)."""

    when: datetime
    reachable: bool
    init_ok: bool | None = None
    search_ok: bool | None = None
    hits: int | None = None
    implementation_id: str = ""
    implementation_name: str = ""
    implementation_version: str = ""
    syntaxes: tuple[str, ...] = ()
    """Record syntaxes that came back (not merely asked for)."""
    connect_seconds: float | None = None
    init_seconds: float | None = None
    search_seconds: float | None = None
    diagnostic: Diagnostic | None = None
    source: str = "shelfnet"
    """Who probed: ``shelfnet``, or ``irspy`` for history imported from IRSpy records."""

    @property
    def ok(self) -> bool:
        return self.reachable and self.init_ok is not False and self.search_ok is not False

    @property
    def answered(self) -> bool:
        """Whether the target is working: it accepted the Init and answered the test search,
        if only with a diagnostic of its own (a Bib-1 or SRU diagnostic still proves it
        searches; a timeout or a dropped connection does not)."""
        if not self.reachable or self.init_ok is False:
            return False
        if self.search_ok is not False:
            return True
        return self.diagnostic is not None and self.diagnostic.set not in CLIENT_SIDE_SETS


CLIENT_SIDE_SETS = frozenset({"ZOOM", "HTTP"})
"""Diagnostic sets that say the client gave up or the transport failed, not the target."""

QUARANTINE_AFTER = 5
"""Failed probes in a row (the latest ones) that quarantine a target."""


def status_from_probes(
    probes: Sequence[ProbeResult], window: int = QUARANTINE_AFTER
) -> TargetStatus:
    """Active unless the latest ``window`` probes all failed (fewer probes: active)."""
    latest = sorted(probes, key=lambda probe: probe.when)[-window:]
    if len(latest) == window and not any(probe.ok for probe in latest):
        return TargetStatus.QUARANTINED
    return TargetStatus.ACTIVE


@dataclass(frozen=True)
class QuarantineRule:
    """When probing changes a target's status. A target is quarantined after ``failures``
    failed probes in a row (none answered since) spread over at least ``days`` days, so a
    short outage does not take it out of searches; it is restored as soon as
    ``restore_after`` probes in a row answer. Retired targets are never changed."""

    failures: int = QUARANTINE_AFTER
    days: float = 3.0
    restore_after: int = 1


def status_after_probes(
    current: TargetStatus, probes: Sequence[ProbeResult], rule: QuarantineRule
) -> TargetStatus:
    """The status a target should have given its probe history (any order) under ``rule``."""
    if current is TargetStatus.RETIRED or not probes:
        return current
    history = sorted(probes, key=lambda probe: probe.when, reverse=True)
    if current is TargetStatus.QUARANTINED:
        latest = history[: rule.restore_after]
        restored = len(latest) == rule.restore_after and all(p.answered for p in latest)
        return TargetStatus.ACTIVE if restored else current
    streak: list[ProbeResult] = []
    for probe in history:
        if probe.answered:
            break
        streak.append(probe)
    if len(streak) < max(rule.failures, 1):
        return current
    span = streak[0].when - streak[-1].when
    if span.total_seconds() >= rule.days * 86400:
        return TargetStatus.QUARANTINED
    return current


@dataclass(frozen=True)
class TargetRecord:
    """A target as read from a file, with the probe history the file carried and where in
    the input it was (a file name, a tar member, ``file.json: targets[3]``)."""

    target: Target
    probes: tuple[ProbeResult, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class StoredTarget:
    """A target in the store: its id, where it came from, whether the user changed it, and
    the directory version of its last change."""

    id: int
    target: Target
    origin: Origin
    locally_edited: bool
    version: int
    created: datetime
    updated: datetime

    @property
    def protected(self) -> bool:
        """Whether imports and syncs must leave it alone: the user's own, or edited."""
        return self.origin is Origin.LOCAL or self.locally_edited


@dataclass(frozen=True)
class Tombstone:
    """What a deletion leaves: the deleted target's key and the version that deleted it."""

    key: str
    version: int
    deleted: datetime
