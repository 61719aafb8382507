"""The ports the directory's targets listen on, and how many targets use each: what a
firewall between the cataloguers and the world has to let out."""

from __future__ import annotations

from dataclasses import dataclass

from shelfnet.directory.model import TargetProtocol, TargetStatus
from shelfnet.directory.store import DirectoryStore


@dataclass(frozen=True)
class PortUse:
    port: int
    protocol: TargetProtocol
    targets: int


def port_table(
    store: DirectoryStore, *, status: TargetStatus | None = None, by_count: bool = False
) -> list[PortUse]:
    """One row per port and protocol in use; by port, or most used first."""
    rows = [
        PortUse(port, TargetProtocol(protocol), count)
        for port, protocol, count in store.count_by_port(status)
    ]
    if by_count:
        return sorted(rows, key=lambda row: (-row.targets, row.port, row.protocol.value))
    return sorted(rows, key=lambda row: (row.port, row.protocol.value))
