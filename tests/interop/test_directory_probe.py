"""Probing a directory of 300 local targets at once: yaz-ztest databases with delays (some
longer than the timeout), zebrasrv over Z39.50 and SRU, ports nobody listens on, and ports
that accept connections and never answer. Each target must get the right outcome, and the
whole run must take little more than the slowest timeout."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shelfnet.directory.commands import directory_app
from shelfnet.directory.model import Address, ProbeResult, Target, TargetProtocol, TargetStatus
from shelfnet.directory.probe import (
    ZOOM_CONNECT,
    ZOOM_TIMEOUT,
    ProbeReport,
    ProbeSettings,
    outcome,
    run_probes,
)
from shelfnet.directory.store import open_store
from tests.peers import LOOPBACK, free_port
from tests.peers import Target as Peer

CONNECT_TIMEOUT = 1.0
TIMEOUT = 2.0
MARGIN = 1.5
FAST_ZTEST = 200
SLOW_ZTEST = 20
DEAD = 45
SILENT = 30


def _kind(target: Target) -> str:
    return target.name.split()[0]


@pytest.fixture(scope="module")
def silent_ports() -> Iterator[list[int]]:
    """Ports whose connections the kernel accepts and nobody ever answers."""
    listeners = []
    try:
        for _ in range(SILENT):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind((LOOPBACK, 0))
            listener.listen(4)
            listeners.append(listener)
        yield [listener.getsockname()[1] for listener in listeners]
    finally:
        for listener in listeners:
            listener.close()


def _dead_ports(count: int, taken: set[int]) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        port = free_port()
        if port not in taken:
            ports.add(port)
    return sorted(ports)


@pytest.fixture(scope="module")
def targets(ztest_target: Peer, zebra_target: Peer, silent_ports: list[int]) -> list[Target]:
    rng = random.Random(42)
    z = ztest_target
    found = [
        Target(
            Address(z.host, z.port, (f"Default?search-delay={rng.uniform(0, 0.3):.2f}&seed={n}",)),
            name=f"ztest {n}",
        )
        for n in range(FAST_ZTEST)
    ]
    found += [
        Target(Address(z.host, z.port, (f"Default?search-delay=5&seed={n}",)), name=f"slow {n}")
        for n in range(SLOW_ZTEST)
    ]
    zebra = zebra_target
    for databases in (("jazz",), ("mixed",), ("jazz", "mixed")):
        found.append(Target(Address(zebra.host, zebra.port, databases), name="zebra z3950"))
    for database in ("jazz", "mixed"):
        sru = Address(zebra.host, zebra.port, (database,), TargetProtocol.SRU)
        found.append(Target(sru, name="zebra-sru"))
    taken = {z.port, zebra.port, *silent_ports}
    found += [
        Target(Address(LOOPBACK, port, ("Default",)), name=f"dead {port}")
        for port in _dead_ports(DEAD, taken)
    ]
    found += [Target(Address(LOOPBACK, port, ("Default",)), name="silent") for port in silent_ports]
    rng.shuffle(found)
    assert len(found) == 300
    return found


@pytest.fixture(scope="module")
def probed(targets: list[Target]) -> tuple[list[ProbeReport], float]:
    settings = ProbeSettings(concurrency=100, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT)
    started = time.monotonic()
    reports = run_probes(targets, settings)
    return reports, time.monotonic() - started


def _by_kind(reports: list[ProbeReport], kind: str) -> list[ProbeResult]:
    found = [report.result for report in reports if _kind(report.target) == kind]
    assert found, kind
    return found


def test_every_target_is_probed_once_within_the_slowest_timeout_and_a_margin(
    targets: list[Target], probed: tuple[list[ProbeReport], float]
) -> None:
    reports, elapsed = probed
    assert sorted(r.target.key for r in reports) == sorted(t.key for t in targets)
    assert elapsed <= TIMEOUT + MARGIN, elapsed


def test_a_port_nobody_listens_on_is_unreachable_with_connection_refused(
    probed: tuple[list[ProbeReport], float],
) -> None:
    for result in _by_kind(probed[0], "dead"):
        assert not result.reachable and result.init_ok is None
        assert result.diagnostic is not None and result.diagnostic.code == ZOOM_CONNECT
        assert outcome(result) == "connection refused"
        assert not result.answered


def test_a_target_that_never_answers_times_out(probed: tuple[list[ProbeReport], float]) -> None:
    for result in _by_kind(probed[0], "silent"):
        assert result.diagnostic is not None and result.diagnostic.code == ZOOM_TIMEOUT
        assert result.init_ok is not True and not result.answered
        assert outcome(result) in ("init timeout", "connect timeout")


def test_ztest_answers_init_with_its_implementation_and_searches(
    probed: tuple[list[ProbeReport], float],
) -> None:
    for result in _by_kind(probed[0], "ztest"):
        assert result.ok and result.answered, result.diagnostic
        assert result.implementation_name == "GFS/YAZ"
        assert result.implementation_version
        assert result.hits is not None and result.hits > 0
        assert "usmarc" in result.syntaxes
        assert result.connect_seconds is not None and result.init_seconds is not None
        assert result.search_seconds is not None and result.search_seconds < TIMEOUT


def test_a_search_slower_than_the_timeout_fails_the_search_not_the_init(
    probed: tuple[list[ProbeReport], float],
) -> None:
    for result in _by_kind(probed[0], "slow"):
        assert result.reachable and result.init_ok is True and result.search_ok is False
        assert result.diagnostic is not None and result.diagnostic.code == ZOOM_TIMEOUT
        assert outcome(result) == "search timeout"


def test_zebra_searches_and_returns_usmarc_and_xml(
    probed: tuple[list[ProbeReport], float],
) -> None:
    for result in _by_kind(probed[0], "zebra"):
        assert result.ok, result.diagnostic
        assert result.implementation_name.lower().startswith("zebra")
        assert {"usmarc", "xml"} <= set(result.syntaxes), result.syntaxes


def test_zebra_over_sru_answers_explain_and_searchretrieve(
    probed: tuple[list[ProbeReport], float],
) -> None:
    for result in _by_kind(probed[0], "zebra-sru"):
        assert result.ok, result.diagnostic
        assert result.syntaxes == ("xml",)


def test_the_command_keeps_history_and_quarantines_by_the_rule(
    ztest_target: Peer, tmp_path: Path
) -> None:
    location = str(tmp_path / "directory.sqlite")
    dead = Address(LOOPBACK, free_port(), ("Default",))
    alive = Address(ztest_target.host, ztest_target.port, ("Default",))
    with open_store(location) as store:
        dead_id = store.add(Target(dead, name="dead")).id
        alive_id = store.add(Target(alive, name="alive", status=TargetStatus.QUARANTINED)).id
    arguments = ["probe", "--directory", location, "--timeout", "2", "--connect-timeout", "1"]
    runner = CliRunner()
    first = runner.invoke(directory_app, [*arguments, "--quarantine-after", "2"])
    assert first.exit_code == 0, first.output
    assert "connection refused" in first.output and "alive: quarantined -> active" in first.output
    # two failures, but not yet spread over the default three days
    second = runner.invoke(directory_app, [*arguments, "--quarantine-after", "2"])
    assert "0 status changes" in second.output
    third = runner.invoke(
        directory_app, [*arguments, "--quarantine-after", "2", "--quarantine-days", "0"]
    )
    assert third.exit_code == 0, third.output
    assert "dead: active -> quarantined" in third.output
    with open_store(location) as store:
        assert len(store.probes(dead_id)) == 3
        assert store.get(dead_id).target.status is TargetStatus.QUARANTINED
        assert store.get(alive_id).target.status is TargetStatus.ACTIVE
        assert store.probes(alive_id)[0].implementation_name == "GFS/YAZ"


def test_probe_results_are_uploaded_to_the_directory_server(
    ztest_target: Peer, tmp_path: Path
) -> None:
    from nacl.signing import SigningKey

    from shelfnet.directory.model import Origin
    from shelfnet.directory.syncformat import public_key_text
    from tests.unit.directory.syncpeers import server_app, serving

    alive = Target(Address(ztest_target.host, ztest_target.port, ("Default",)), name="alive")
    signing = SigningKey(b"u" * 32)
    with open_store(tmp_path / "server.sqlite") as server_store:
        on_server = server_store.add(alive, origin=Origin.IMPORTED).id
        app, token = server_app(server_store, tmp_path, signing)
        with serving(app) as url:
            local = tmp_path / "local.sqlite"
            with open_store(local) as store:
                store.add(alive)
            config = tmp_path / "shelfnet.toml"
            config.write_text(
                f'[directory]\npath = "{local}"\nsync_url = "{url}"\nsync_key = "{token}"\n'
                f'public_key = "{public_key_text(signing.verify_key)}"\n',
                encoding="utf-8",
            )
            arguments = ["probe", "--config", str(config), "--timeout", "2", "--upload"]
            done = CliRunner().invoke(directory_app, arguments)
            assert done.exit_code == 0, done.output
            said = " ".join(done.output.split())  # Rich wraps long lines
            assert "1 stored, 0 known already, 0 for targets the server does not list" in said
        uploaded = server_store.probes(on_server)
    assert len(uploaded) == 1
    assert uploaded[0].source == "Test library" and uploaded[0].implementation_name == "GFS/YAZ"
