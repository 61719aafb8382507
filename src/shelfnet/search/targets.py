"""The catalogues a federated search asks: targets and named groups of them.

Until the target directory exists, targets come from a small TOML file::

    [[target]]
    name = "Library of Congress"
    address = "lx2.loc.gov:210/LCDB"     # Z39.50: host:port/database
    [[target]]
    name = "Our SRU"
    address = "http://127.0.0.1:2101/Default"   # SRU: the base URL
    timeout = 5                            # seconds per request (optional)
    max_records = 20                       # optional

    [groups]
    music = ["Library of Congress", "Our SRU"]

A target given on the command line is its address, named after itself.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from shelfnet.z3950.client import Target as Z3950Address


class TargetProtocol(enum.Enum):
    Z3950 = "z3950"
    SRU = "sru"


@dataclass(frozen=True)
class TargetSpec:
    """One catalogue to search, and how."""

    name: str
    address: str
    """``host:port/db`` for Z39.50, an ``http(s)://`` base URL for SRU."""
    syntax: str = "usmarc"
    """Record syntax asked of Z39.50 targets (SRU targets are asked for MARCXML)."""
    user: str | None = None
    password: str | None = None
    timeout: float | None = None
    """Seconds allowed for each request (connect, search, each present); None: the search's."""
    max_records: int | None = None
    """Records fetched at most; None: the search's limit."""

    def __post_init__(self) -> None:
        if self.protocol is TargetProtocol.Z3950:
            Z3950Address.parse(self.address)  # ValueError when it is no host:port/db

    @property
    def protocol(self) -> TargetProtocol:
        is_http = self.address.lower().startswith(("http://", "https://"))
        return TargetProtocol.SRU if is_http else TargetProtocol.Z3950

    @classmethod
    def from_address(cls, address: str) -> TargetSpec:
        return cls(name=address, address=address)


@dataclass(frozen=True)
class TargetList:
    """Targets by name, and groups of target names."""

    targets: Mapping[str, TargetSpec] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, names: Iterable[str]) -> list[TargetSpec]:
        """Targets for names of groups, names of targets or bare addresses, in order, each
        target once."""
        chosen: dict[str, TargetSpec] = {}
        for name in names:
            if name in self.groups:
                for member in self.groups[name]:
                    chosen.setdefault(member, self.targets[member])
            elif name in self.targets:
                chosen.setdefault(name, self.targets[name])
            else:
                chosen.setdefault(name, TargetSpec.from_address(name))
        return list(chosen.values())

    def choose(self, groups: Iterable[str], names: Iterable[str]) -> list[TargetSpec]:
        """The targets of ``groups``, each of which must exist (TargetFileError), then those
        ``names`` name (see ``resolve``), each target once."""
        chosen_groups = list(groups)
        unknown = [group for group in chosen_groups if group not in self.groups]
        if unknown:
            raise TargetFileError(f"no target group {unknown[0]!r}")
        return self.resolve([*chosen_groups, *names])


class TargetFileError(ValueError):
    """A targets file that cannot be used; the message says where and why."""


_KEYS = frozenset(f.name for f in fields(TargetSpec))


def load_targets(path: str | Path) -> TargetList:
    """Read a targets file (TOML, as in this module's docstring)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TargetFileError(f"{path}: {exc}") from exc
    return parse_targets(data, str(path))


def parse_targets(data: Mapping[str, object], where: str = "targets") -> TargetList:
    entries = data.get("target", [])
    if not isinstance(entries, list):
        raise TargetFileError(f"{where}: [[target]] must be a list of tables")
    targets: dict[str, TargetSpec] = {}
    for number, entry in enumerate(entries, start=1):
        spec = _target(entry, f"{where}: target {number}")
        if spec.name in targets:
            raise TargetFileError(f"{where}: two targets are called {spec.name!r}")
        targets[spec.name] = spec
    groups: dict[str, tuple[str, ...]] = {}
    raw_groups = data.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise TargetFileError(f"{where}: [groups] must be a table of lists")
    for name, members in raw_groups.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise TargetFileError(f"{where}: group {name!r} must be a list of target names")
        unknown = [m for m in members if m not in targets]
        if unknown:
            raise TargetFileError(f"{where}: group {name!r} names no target {unknown[0]!r}")
        groups[name] = tuple(members)
    return TargetList(targets, groups)


def _target(entry: object, where: str) -> TargetSpec:
    if not isinstance(entry, dict):
        raise TargetFileError(f"{where}: not a table")
    unknown = set(entry) - _KEYS
    if unknown:
        raise TargetFileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if not isinstance(entry.get("address"), str):
        raise TargetFileError(f"{where}: address is missing")
    values = dict(entry)
    values.setdefault("name", values["address"])
    try:
        return TargetSpec(**values)
    except (TypeError, ValueError) as exc:
        raise TargetFileError(f"{where}: {exc}") from exc


def names(targets: Sequence[TargetSpec]) -> list[str]:
    return [target.name for target in targets]
