"""Probing: the quarantine rule, outcomes in words, and probes of loopback ports that refuse
or never answer (no external programs; the real targets are in tests/interop)."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shelfnet.directory.model import (
    Address,
    Diagnostic,
    ProbeResult,
    QuarantineRule,
    Target,
    TargetProtocol,
    TargetStatus,
    status_after_probes,
)
from shelfnet.directory.probe import (
    ZOOM_CONNECT,
    ZOOM_TIMEOUT,
    ProbeSettings,
    outcome,
    probe_all,
    probe_target,
    zoom,
)
from tests.peers import LOOPBACK, free_port

START = datetime(2024, 5, 1, tzinfo=UTC)
REFUSED = zoom(ZOOM_CONNECT, "Connect failed", "Connection refused")


def failed(day: float) -> ProbeResult:
    return ProbeResult(START + timedelta(days=day), reachable=False, diagnostic=REFUSED)


def answered(day: float) -> ProbeResult:
    return ProbeResult(START + timedelta(days=day), True, init_ok=True, search_ok=True, hits=3)


RULE = QuarantineRule(failures=5, days=3, restore_after=1)


def test_five_failures_over_three_days_quarantine_an_active_target() -> None:
    history = [failed(day) for day in (0, 1, 2, 2.5, 3)]
    assert status_after_probes(TargetStatus.ACTIVE, history, RULE) is TargetStatus.QUARANTINED


def test_many_failures_within_a_day_do_not_quarantine() -> None:
    history = [failed(day / 10) for day in range(10)]
    assert status_after_probes(TargetStatus.ACTIVE, history, RULE) is TargetStatus.ACTIVE


def test_a_success_breaks_the_streak() -> None:
    history = [failed(0), failed(1), failed(2), answered(2.5), failed(3), failed(4)]
    assert status_after_probes(TargetStatus.ACTIVE, history, RULE) is TargetStatus.ACTIVE


def test_one_answered_probe_restores_a_quarantined_target() -> None:
    history = [failed(day) for day in range(6)] + [answered(7)]
    assert status_after_probes(TargetStatus.QUARANTINED, history, RULE) is TargetStatus.ACTIVE


def test_restoring_can_ask_for_more_than_one_answer() -> None:
    rule = QuarantineRule(restore_after=2)
    history = [failed(0), answered(1)]
    assert status_after_probes(TargetStatus.QUARANTINED, history, rule) is (
        TargetStatus.QUARANTINED
    )
    history.append(answered(2))
    assert status_after_probes(TargetStatus.QUARANTINED, history, rule) is TargetStatus.ACTIVE


def test_a_search_diagnostic_from_the_target_counts_as_answered() -> None:
    bib1 = Diagnostic("Bib-1", 114, "Unsupported Use attribute")
    probe = ProbeResult(START, True, init_ok=True, search_ok=False, diagnostic=bib1)
    assert probe.answered and not probe.ok
    assert outcome(probe) == "search diagnostic"
    timed_out = ProbeResult(START, True, init_ok=True, search_ok=False, diagnostic=zoom(10007, ""))
    assert not timed_out.answered
    assert outcome(timed_out) == "search timeout"


@given(
    st.lists(st.tuples(st.floats(0, 30), st.booleans()), max_size=20),
    st.sampled_from(list(TargetStatus)),
)
def test_retired_stays_retired_and_the_latest_answer_restores(
    visits: list[tuple[float, bool]], status: TargetStatus
) -> None:
    history = [answered(day) if ok else failed(day) for day, ok in visits]
    new = status_after_probes(status, history, RULE)
    if status is TargetStatus.RETIRED:
        assert new is TargetStatus.RETIRED
    elif history and max(history, key=lambda p: p.when).answered:
        assert new is TargetStatus.ACTIVE
    if not history:
        assert new is status


def test_a_port_nobody_listens_on_is_refused() -> None:
    target = Target(Address(LOOPBACK, free_port(), ("Default",)))
    report = asyncio.run(probe_target(target, ProbeSettings(connect_timeout=1, timeout=1)))
    assert not report.result.reachable
    assert report.result.diagnostic is not None
    assert report.result.diagnostic.code == ZOOM_CONNECT
    assert outcome(report.result) == "connection refused"


def test_a_target_that_accepts_and_never_answers_times_out_at_init() -> None:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(4)
        address = Address(LOOPBACK, listener.getsockname()[1], ("Default",))
        settings = ProbeSettings(connect_timeout=1, timeout=0.3)
        report = asyncio.run(probe_target(Target(address), settings))
    result = report.result
    assert result.reachable and result.init_ok is False
    assert result.diagnostic is not None and result.diagnostic.code == ZOOM_TIMEOUT
    assert result.init_seconds is not None and 0.25 < result.init_seconds < 1.0
    assert outcome(result) == "init timeout"


def test_an_sru_target_that_refuses_is_unreachable() -> None:
    address = Address(LOOPBACK, free_port(), ("db",), TargetProtocol.SRU)
    report = asyncio.run(probe_target(Target(address), ProbeSettings(timeout=1)))
    assert not report.result.reachable and not report.result.answered


def test_probe_all_probes_each_target_once_with_bounded_concurrency() -> None:
    targets = [Target(Address(LOOPBACK, free_port(), (f"db{n}",))) for n in range(25)]

    async def run() -> list[str]:
        settings = ProbeSettings(concurrency=4, connect_timeout=1, timeout=1)
        return [report.target.key async for report in probe_all(targets, settings)]

    assert sorted(asyncio.run(run())) == sorted(target.key for target in targets)


def test_the_clock_stamps_each_probe() -> None:
    target = Target(Address(LOOPBACK, free_port(), ("Default",)))
    report = asyncio.run(probe_target(target, ProbeSettings(timeout=1), clock=lambda: START))
    assert report.result.when == START and report.result.source == "shelfnet"
