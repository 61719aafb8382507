"""Fixtures for interop tests: real Z39.50 peers on loopback ports.

Each fixture skips its test, naming the package to install, when a program
it needs is missing. Servers are started once per test session.

    zebra_target        Zebra, database "jazz" (jazz_1k.mrc, 1,000 MARC-8 records)
    zebra_mixed_target  Zebra, database "mixed" (Hebrew, French, Armenian, Nepali)
    ztest_target        yaz-ztest, database "Default" (made-up hit counts)
    zoomsh, yaz_client  skip unless the reference client is installed
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers import (
    MissingProgram,
    Target,
    ZebraBuild,
    build_zebra,
    find_program,
    marc_data_dir,
    standard_databases,
    start_zebra,
    start_ztest,
)

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.interop)


def require(*programs: str) -> None:
    """Skip the current test unless every program is installed."""
    for program in programs:
        try:
            find_program(program)
        except MissingProgram as missing:
            pytest.skip(str(missing))


@pytest.fixture(scope="session")
def zoomsh() -> None:
    require("zoomsh")


@pytest.fixture(scope="session")
def yaz_client() -> None:
    require("yaz-client")


@pytest.fixture(scope="session")
def ztest_target() -> Iterator[Target]:
    require("yaz-ztest")
    with start_ztest() as (host, port):
        yield Target(host, port, "Default")


@pytest.fixture(scope="session")
def zebra_build(tmp_path_factory: pytest.TempPathFactory) -> ZebraBuild:
    require("zebraidx", "zebrasrv")
    databases = standard_databases()
    missing = [f.path for files in databases.values() for f in files if not f.path.is_file()]
    if missing:
        pytest.skip(
            f"MARC test data not found ({', '.join(map(str, missing))}): "
            f"set SHELFNET_MARC_DATA to the directory holding it (now {marc_data_dir()})"
        )
    return build_zebra(tmp_path_factory.mktemp("zebra"), databases)


@pytest.fixture(scope="session")
def zebra_address(zebra_build: ZebraBuild) -> Iterator[tuple[str, int]]:
    with start_zebra(zebra_build) as address:
        yield address


@pytest.fixture(scope="session")
def zebra_target(zebra_address: tuple[str, int]) -> Target:
    host, port = zebra_address
    return Target(host, port, "jazz")


@pytest.fixture(scope="session")
def zebra_mixed_target(zebra_address: tuple[str, int]) -> Target:
    host, port = zebra_address
    return Target(host, port, "mixed")


ZEBRA_USERS = {"cataloguer": "s3cret"}


@pytest.fixture(scope="session")
def zebra_auth_target(zebra_build: ZebraBuild) -> Iterator[Target]:
    """The jazz database behind a zebrasrv that only lets ZEBRA_USERS in."""
    with start_zebra(zebra_build, users=ZEBRA_USERS) as (host, port):
        yield Target(host, port, "jazz")
