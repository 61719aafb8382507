"""Federated search against real targets: zebrasrv over Z39.50 and SRU, yaz-ztest databases
with delays, a port nobody listens on, and a target that accepts and never answers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from shelfnet.search.engine import Language, Phase, SearchLimits, SearchQuery
from shelfnet.search.session import FederatedResult, run_federated
from shelfnet.search.targets import TargetSpec
from tests.peers import LOOPBACK, Target, _raise_zoomsh_error, _zoomsh, free_port

QUERY = "@attr 1=4 blue"
LIMIT = 10
SILENT_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def silent_target() -> Iterator[str]:
    """A port whose connections are accepted (by the kernel) and never answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(16)
        yield f"{LOOPBACK}:{listener.getsockname()[1]}/Default"


def zoomsh_control_numbers(target: Target, query: str, count: int) -> list[str]:
    """The 001 of each of the first ``count`` records zoomsh gets for ``query``."""
    output = _zoomsh(
        target,
        [f"search {query}", f"show 0 {count}"],
        options=["set preferredRecordSyntax usmarc"],
        timeout=30,
    )
    _raise_zoomsh_error(output)
    return [line[4:].strip() for line in output.splitlines() if line.startswith("001 ")]


@pytest.fixture(scope="module")
def group(
    zebra_target: Target,
    zebra_mixed_target: Target,
    ztest_target: Target,
    silent_target: str,
) -> list[TargetSpec]:
    z = f"{ztest_target.host}:{ztest_target.port}"
    return [
        TargetSpec("zebra jazz", zebra_target.zurl),
        TargetSpec(
            "zebra jazz (SRU)",
            f"http://{zebra_target.host}:{zebra_target.port}/{zebra_target.database}",
        ),
        TargetSpec("zebra mixed", zebra_mixed_target.zurl),
        TargetSpec("ztest slow", f"{z}/Default?search-delay=0.4&fetch-delay=0.05"),
        TargetSpec("ztest slower", f"{z}/Default?search-delay=0.8:1.0&seed=7"),
        TargetSpec("dead", f"{LOOPBACK}:{free_port()}/Default"),
        TargetSpec("silent", silent_target, timeout=SILENT_TIMEOUT),
    ]


@pytest.fixture(scope="module")
def outcome(group: list[TargetSpec]) -> tuple[FederatedResult, float]:
    limits = SearchLimits(max_records=LIMIT, connect_timeout=SILENT_TIMEOUT, timeout=10)
    started = time.monotonic()
    result = asyncio.run(run_federated(group, SearchQuery(QUERY, Language.PQF), limits))
    return result, time.monotonic() - started


def _records_of(result: FederatedResult, target: str) -> list[str]:
    found = [
        record
        for cluster in result.merger.clusters
        for record in cluster.records
        if record.target == target
    ]
    found.sort(key=lambda item: item.position)
    return [item.record["001"].data.strip() if item.record["001"] else "" for item in found]


def test_every_live_target_returns_what_zoomsh_gets_from_it(
    zoomsh: None, outcome: tuple[FederatedResult, float], group: list[TargetSpec]
) -> None:
    result, _elapsed = outcome
    for spec in group:
        status = result.statuses[spec.name]
        if spec.name in ("dead", "silent"):
            continue
        assert status.phase is Phase.DONE, (spec.name, status.error)
        if spec.address.startswith("http"):
            continue  # checked against its Z39.50 twin below
        host_port, _, database = spec.address.partition("/")
        host, _, port = host_port.rpartition(":")
        expected = zoomsh_control_numbers(Target(host, int(port), database), QUERY, LIMIT)
        assert _records_of(result, spec.name) == expected, spec.name
        assert status.records == min(LIMIT, status.hits or 0)


def test_the_same_record_from_two_targets_lands_in_one_cluster(
    outcome: tuple[FederatedResult, float],
) -> None:
    result, _elapsed = outcome
    over_z3950 = _records_of(result, "zebra jazz")
    over_sru = _records_of(result, "zebra jazz (SRU)")
    assert over_z3950 and over_sru == over_z3950
    for cluster in result.merger.clusters:
        targets = set(cluster.targets)
        if "zebra jazz" in targets or "zebra jazz (SRU)" in targets:
            assert {"zebra jazz", "zebra jazz (SRU)"} <= targets, cluster.keys


def test_dead_and_silent_targets_are_reported_without_holding_the_rest_back(
    outcome: tuple[FederatedResult, float],
) -> None:
    result, elapsed = outcome
    dead, silent = result.statuses["dead"], result.statuses["silent"]
    assert dead.phase is Phase.FAILED and dead.error and "refused" in dead.error.lower()
    assert silent.phase is Phase.FAILED and silent.error
    assert silent.finished is not None and dead.finished is not None
    for name in ("zebra jazz", "zebra mixed", "zebra jazz (SRU)", "ztest slow"):
        finished = result.statuses[name].finished
        assert finished is not None and finished < silent.finished, name
    assert elapsed < SILENT_TIMEOUT + 3.0


def test_the_command_line_prints_ranked_clusters(
    zebra_target: Target, zebra_mixed_target: Target
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shelfnet",
            "search",
            zebra_target.zurl,
            zebra_mixed_target.zurl,
            "ti=blue note",
            "--limit",
            "5",
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert text.startswith("1. ")
    assert "relevance" in text and "points" in text
    assert "hits" in done.stderr.decode()
