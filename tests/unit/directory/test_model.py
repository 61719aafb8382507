"""Addresses: how targets are written, parsed and told apart."""

from __future__ import annotations

import pytest
from hypothesis import given

from shelfnet.directory.model import (
    Address,
    AddressError,
    ProbeResult,
    Target,
    TargetProtocol,
    TargetStatus,
    status_from_probes,
)
from tests.unit.directory.conftest import Clock
from tests.unit.directory.strategies import addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lx2.loc.gov:210/LCDB", Address("lx2.loc.gov", 210, ("LCDB",))),
        ("lx2.loc.gov/LCDB", Address("lx2.loc.gov", 210, ("LCDB",))),
        ("lx2.loc.gov", Address("lx2.loc.gov", 210, ("Default",))),
        ("tcp:LX2.LOC.GOV.:210/LCDB", Address("lx2.loc.gov", 210, ("LCDB",))),
        ("ssl:z.example.org:2210/a+b", Address("z.example.org", 2210, ("a", "b"), tls=True)),
        ("z3950.bibsys.no:2100/HIST/TØH", Address("z3950.bibsys.no", 2100, ("HIST/TØH",))),
        ("[2001:db8::7]:210/x", Address("2001:db8::7", 210, ("x",))),
        (
            "http://sru.example.org/sru/cat",
            Address("sru.example.org", 80, ("sru/cat",), TargetProtocol.SRU),
        ),
        (
            "https://sru.example.org:8443/",
            Address("sru.example.org", 8443, (), TargetProtocol.SRU, tls=True),
        ),
    ],
)
def test_addresses_parse_as_yaz_and_sru_write_them(text: str, expected: Address) -> None:
    assert Address.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "part"),
    [
        (":210/db", "host"),
        ("host:abc/db", "port"),
        ("host:70000/db", "port-range"),
        ("host:0/db", "port-range"),
        ("http://host:99999/x", "port-range"),
        ("http:///path", "host"),
    ],
)
def test_bad_addresses_say_what_is_wrong(text: str, part: str) -> None:
    with pytest.raises(AddressError) as raised:
        Address.parse(text)
    assert raised.value.part == part


def test_one_target_whatever_the_spelling() -> None:
    a = Address("Z3950.Example.ORG.", 210, ("b", "a"))
    b = Address.parse("ssl:z3950.example.org:210/a+b")
    assert a.key == b.key == "z3950:z3950.example.org:210/a+b"
    assert Address("x.org", 210, ("a",)).key != Address("x.org", 210, ("A",)).key
    sru = Address("x.org", 210, ("a",), TargetProtocol.SRU)
    assert sru.key != Address("x.org", 210, ("a",)).key


@given(addresses())
def test_an_address_reads_back_from_how_it_is_written(address: Address) -> None:
    assert Address.parse(str(address)) == address


def test_descriptions_compare_equal_whatever_the_order_of_their_lists() -> None:
    one = Target(Address("x.org", 210, ("d",)), record_syntaxes=("USmarc", "sutrs", "usmarc"))
    two = Target(Address("x.org", 210, ("d",)), record_syntaxes=("sutrs", "usmarc"))
    assert one == two and one.record_syntaxes == ("sutrs", "usmarc")
    assert Target(Address("x.org", 210, ("d",)), groups=("b", "a", "b")).groups == ("a", "b")
    assert Target(Address("x.org", 210, ("d",))).label == "x.org:210/d"


def test_a_target_is_quarantined_after_five_failed_probes_in_a_row(clock: Clock) -> None:
    def probe(ok: bool) -> ProbeResult:
        return ProbeResult(clock.tick(), reachable=ok, init_ok=ok)

    failing = [probe(False) for _ in range(4)]
    assert status_from_probes(failing) is TargetStatus.ACTIVE
    failing.append(probe(False))
    assert status_from_probes(failing) is TargetStatus.QUARANTINED
    assert status_from_probes([*failing, probe(True)]) is TargetStatus.ACTIVE
    assert status_from_probes([]) is TargetStatus.ACTIVE
