"""``shelfnet doctor`` and the outbound side of ``shelfnet ports``: which ports shelfnet
connects out to, whether a firewall lets it, and whether the ports it listens on are free.

Outbound ports come from the directory (its targets, by port) and from the federated
search's targets file. For each port a few targets are tried with a plain TCP connect and a
short timeout, all ports at once (bounded); one answer is enough to show the way is open.
Each listening port is free when it can be bound, or already served by shelfnet when what
answers there says so (a Z39.50 Init's implementation name, an HTTP page).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from shelfnet.config import Listener, Settings, listeners

SAMPLES_PER_PORT = 3
CONNECT_TIMEOUT = 3.0
CONCURRENCY = 50


@dataclass(frozen=True)
class OutboundPort:
    """One destination port shelfnet connects to, for one purpose."""

    port: int
    protocol: str
    """``tcp`` (Z39.50) or ``tcp (http)`` (SRU)."""
    purpose: str
    targets: int
    samples: tuple[tuple[str, int], ...] = ()
    """A few (host, port) to try when checking that the port is open."""


@dataclass(frozen=True)
class Check:
    """One finding, in plain words; ``ok`` False means something needs doing."""

    ok: bool
    text: str


def outbound_ports(
    directory: Iterable[tuple[str, int, str]],
    search_addresses: Iterable[str],
    *,
    samples: int = SAMPLES_PER_PORT,
) -> list[OutboundPort]:
    """Ports by purpose from the directory's targets (host, port, protocol ``z3950`` or
    ``sru``) and the targets file's addresses (``host:port/db`` or SRU URLs), by port."""
    found: list[OutboundPort] = []
    found += _by_port(directory, "directory targets", samples)
    found += _by_port(
        (_host_port(a) for a in search_addresses), "federated-search targets", samples
    )
    return sorted(found, key=lambda p: (p.port, p.purpose, p.protocol))


def _by_port(
    targets: Iterable[tuple[str, int, str]], purpose: str, samples: int
) -> list[OutboundPort]:
    counts: dict[tuple[int, str], int] = {}
    hosts: dict[tuple[int, str], dict[str, None]] = {}
    for host, port, protocol in targets:
        key = (port, "tcp (http)" if protocol == "sru" else "tcp")
        counts[key] = counts.get(key, 0) + 1
        chosen = hosts.setdefault(key, {})
        if len(chosen) < samples:
            chosen[host] = None
    return [
        OutboundPort(
            port, protocol, purpose, count, tuple((h, port) for h in hosts[port, protocol])
        )
        for (port, protocol), count in counts.items()
    ]


def _host_port(address: str) -> tuple[str, int, str]:
    if address.lower().startswith(("http://", "https://")):
        parts = urlsplit(address)
        default = 443 if parts.scheme.lower() == "https" else 80
        return parts.hostname or "", parts.port or default, "sru"
    from shelfnet.z3950.client import Target

    target = Target.parse(address)
    return target.host, target.port, "z3950"


def directory_ports(location: str) -> list[tuple[str, int, str]]:
    """(host, port, protocol) of every target not retired in the directory at ``location``;
    none when there is no directory there."""
    from pathlib import Path

    from shelfnet.database import is_database_url
    from shelfnet.directory.model import TargetStatus
    from shelfnet.directory.store import open_store

    if not is_database_url(location) and not Path(location).is_file():
        return []
    with open_store(location) as store:
        return [
            (t.target.address.host, t.target.address.port, t.target.address.protocol.value)
            for t in store.targets()
            if t.target.status is not TargetStatus.RETIRED
        ]


def service_ports(settings: Settings) -> list[OutboundPort]:
    """Where the enabled services themselves connect: the ILL mail server (``[ill.smtp]``) and
    sign-in providers (LDAP, PatronAPI, Symphony) named in ``[[ill.auth]]``."""
    if not settings.ill.enabled:
        return []
    from shelfnet.ill.notices.ports import notice_ports

    found = [
        OutboundPort(port, "tcp (smtp)", purpose, 1, ((host, port),))
        for host, port, purpose in notice_ports(settings)
    ]
    if settings.ill.auth:
        from shelfnet.ill.auth.chain import AuthChain, providers_from_config

        providers = providers_from_config(settings.ill.auth, local_lookup=lambda _name: None)
        found += [
            OutboundPort(end.port, end.protocol, end.purpose, 1, ((end.host, end.port),))
            for end in AuthChain(providers).ports()
        ]
    return found


def search_addresses(settings: Settings) -> list[str]:
    """The addresses in the configured targets file (none when there is none)."""
    if settings.search.targets is None:
        return []
    from shelfnet.search.targets import load_targets

    return [spec.address for spec in load_targets(settings.search.targets).targets.values()]


# Checks


async def tcp_connect(host: str, port: int, timeout: float) -> str | None:
    """None when a TCP connection opens within ``timeout``, else why not."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


async def check_outbound(
    ports: Sequence[OutboundPort],
    *,
    timeout: float = CONNECT_TIMEOUT,
    concurrency: int = CONCURRENCY,
) -> list[Check]:
    """One check per port: reachable when any of its sample targets accepts a connection."""
    limit = asyncio.Semaphore(max(1, concurrency))

    async def attempt(host: str, port: int) -> str | None:
        async with limit:
            return await tcp_connect(host, port, timeout)

    async def check(entry: OutboundPort) -> Check:
        answers = await asyncio.gather(*(attempt(h, p) for h, p in entry.samples))
        where = f"allow outbound TCP to port {entry.port} ({entry.targets:,} {entry.purpose})"
        for (host, _port), problem in zip(entry.samples, answers, strict=True):
            if problem is None:
                return Check(True, f"{where}: reachable ({host} answered)")
        tried = "; ".join(
            f"{h}: {problem}" for (h, _p), problem in zip(entry.samples, answers, strict=True)
        )
        return Check(False, f"{where}: NOT reachable ({tried or 'no target to try'})")

    return list(await asyncio.gather(*(check(entry) for entry in ports)))


def check_listener(listener: Listener, *, timeout: float = CONNECT_TIMEOUT) -> Check:
    """Whether a listening port is free, or already served by shelfnet."""
    where = f"port {listener.port} inbound ({listener.purpose}, {listener.host})"
    if listener.port == 0:
        return Check(True, f"{where}: any free port, chosen at start")
    family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((listener.host, listener.port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return Check(False, f"{where}: cannot listen: {os.strerror(exc.errno or 0)}")
        else:
            return Check(True, f"{where}: free")
    if asyncio.run(_is_shelfnet(listener, timeout)):
        return Check(True, f"{where}: in use by shelfnet (already running)")
    return Check(False, f"{where}: in use by another program")


async def _is_shelfnet(listener: Listener, timeout: float) -> bool:
    host = "127.0.0.1" if listener.host in ("0.0.0.0", "") else listener.host
    host = "::1" if host == "::" else host
    try:
        if listener.service == "z3950":
            from shelfnet.z3950.client import Connection

            connection = Connection(host, listener.port, connect_timeout=timeout, timeout=timeout)
            response = await connection.connect()
            await connection.close()
            return "shelfnet" in response.implementation_name.lower()
        import httpx

        url_host = f"[{host}]" if ":" in host else host
        async with httpx.AsyncClient(timeout=timeout) as client:
            page = await client.get(f"http://{url_host}:{listener.port}/")
        return "shelfnet" in page.text.lower() or "shelfnet" in page.headers.get("server", "")
    except Exception:  # whatever answers there is not shelfnet as we know it
        return False


def check_inbound(settings: Settings, *, timeout: float = CONNECT_TIMEOUT) -> list[Check]:
    return [check_listener(listener, timeout=timeout) for listener in listeners(settings)]
