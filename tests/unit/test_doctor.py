"""``shelfnet doctor`` and the outbound rows of ``shelfnet ports``: ports by purpose,
reachability in plain words, listening ports free or taken. Loopback only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shelfnet.cli import app
from shelfnet.config import Listener
from shelfnet.directory.model import Address, Target, TargetProtocol, TargetStatus
from shelfnet.directory.store import open_store
from shelfnet.doctor import (
    OutboundPort,
    check_listener,
    check_outbound,
    outbound_ports,
    tcp_connect,
)
from tests.peers import LOOPBACK, free_port


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_ports_are_counted_per_purpose_with_a_few_hosts_to_try() -> None:
    directory = [(f"h{n}.example", 210, "z3950") for n in range(5)]
    directory += [("sru.example", 80, "sru")]
    search = ["lx2.loc.gov:210/LCDB", "z3950.bibsys.no:2100/BIBSYS", "https://sru.example/db"]
    found = outbound_ports(directory, search, samples=2)
    assert found == [
        OutboundPort(80, "tcp (http)", "directory targets", 1, (("sru.example", 80),)),
        OutboundPort(
            210, "tcp", "directory targets", 5, (("h0.example", 210), ("h1.example", 210))
        ),
        OutboundPort(210, "tcp", "federated-search targets", 1, (("lx2.loc.gov", 210),)),
        OutboundPort(443, "tcp (http)", "federated-search targets", 1, (("sru.example", 443),)),
        OutboundPort(2100, "tcp", "federated-search targets", 1, (("z3950.bibsys.no", 2100),)),
    ]


def test_tcp_connect_says_why_not(listening: int) -> None:
    assert asyncio.run(tcp_connect(LOOPBACK, listening, 1)) is None
    assert asyncio.run(tcp_connect(LOOPBACK, free_port(), 1)) == "Connection refused"


def test_a_port_is_reachable_when_any_sample_answers(listening: int) -> None:
    dead = free_port()
    samples = ((LOOPBACK, dead), (LOOPBACK, listening))
    ports = [
        OutboundPort(listening, "tcp", "directory targets", 1375, samples),
        OutboundPort(dead, "tcp", "directory targets", 2, ((LOOPBACK, dead),)),
    ]
    open_port, closed = asyncio.run(check_outbound(ports, timeout=1))
    assert open_port.ok
    assert open_port.text.startswith(
        f"allow outbound TCP to port {listening} (1,375 directory targets): reachable"
    )
    assert not closed.ok and "NOT reachable" in closed.text and "Connection refused" in closed.text


def test_a_free_listening_port_is_free() -> None:
    port = free_port()
    check = check_listener(Listener("z3950", "tcp", LOOPBACK, port, purpose="Z39.50"))
    assert check.ok and check.text == f"port {port} inbound (Z39.50, {LOOPBACK}): free"


def test_a_port_held_by_another_program_is_reported(listening: int) -> None:
    listener = Listener("web", "tcp (http)", LOOPBACK, listening, purpose="web")
    check = check_listener(listener, timeout=0.3)
    assert not check.ok and "in use by another program" in check.text


def _directory(tmp_path: Path) -> str:
    location = str(tmp_path / "directory.sqlite")
    with open_store(location) as store:
        for n in range(3):
            store.add(Target(Address(f"h{n}.example", 210, ("db",))))
        store.add(Target(Address("sru.example", 8080, ("db",), TargetProtocol.SRU)))
        retired = Target(Address("old.example", 9999, ("db",)), status=TargetStatus.RETIRED)
        store.add(retired)
    return location


def test_ports_lists_the_outbound_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHELFNET_CONFIG", raising=False)
    result = CliRunner().invoke(
        app, ["ports", "--directory", _directory(tmp_path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("210" in line and "outbound" in line and "(3)" in line for line in lines)
    assert any("8080" in line and "outbound" in line and "(1)" in line for line in lines)
    assert "9999" not in result.output
    assert any("2100" in line and "inbound" in line for line in lines)


def test_doctor_says_what_the_firewall_must_allow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listening: int
) -> None:
    monkeypatch.chdir(tmp_path)
    location = str(tmp_path / "directory.sqlite")
    with open_store(location) as store:
        store.add(Target(Address(LOOPBACK, listening, ("db",))))
    config = tmp_path / "shelfnet.toml"
    free = [free_port() for _ in range(5)]
    config.write_text(
        f"[z3950]\nport = {free[0]}\n[sru]\nport = {free[1]}\n[web]\nport = {free[2]}\n"
        f"[isoill]\nport = {free[3]}\n[delivery]\nport = {free[4]}\n"
    )
    result = CliRunner().invoke(
        app, ["doctor", "--config", str(config), "--directory", location, "--timeout", "1"]
    )
    assert result.exit_code == 0, result.output
    assert f"allow outbound TCP to port {listening} (1 directory targets): reachable" in (
        result.output
    )
    assert f"port {free[0]} inbound" in result.output and ": free" in result.output


def test_ill_sign_in_providers_are_outbound_ports(tmp_path: Path) -> None:
    config = tmp_path / "shelfnet.toml"
    config.write_text(
        '[[ill.auth]]\nkind = "ldap"\nurl = "ldaps://ldap.example.edu"\n'
        'bind_dn = "uid={username},ou=people,dc=example,dc=edu"\n'
        '[[ill.auth]]\nkind = "patronapi"\nbase_url = "https://opac.example.edu:4500"\n',
        encoding="utf-8",
    )
    from shelfnet.config import load_settings
    from shelfnet.doctor import service_ports

    found = {(p.port, p.samples) for p in service_ports(load_settings(config))}
    assert found == {
        (636, (("ldap.example.edu", 636),)),
        (4500, (("opac.example.edu", 4500),)),
    }
    printed = CliRunner().invoke(app, ["ports", "--config", str(config)], env={"COLUMNS": "200"})
    assert printed.exit_code == 0
    assert "ldap.example.edu" in printed.stdout and "636" in printed.stdout
