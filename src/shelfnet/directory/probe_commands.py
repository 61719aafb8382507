"""``shelfnet directory probe``: visit the directory's targets, keep what each probe found as
history, and quarantine or restore targets by the rule (``model.QuarantineRule``).

Registered on ``directory_app`` by the last line of ``commands.py``; the probing code and the
store load when the command runs, not with every command.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from shelfnet.directory.commands import (
    EXIT_FAILURES,
    ConfigOpt,
    DirectoryOpt,
    StatusOpt,
    _fail,
    _open,
    _settings,
    directory_app,
    err,
    out,
)
from shelfnet.directory.model import QUARANTINE_AFTER, QuarantineRule, Target, TargetStatus

if TYPE_CHECKING:
    from pathlib import Path

    from shelfnet.directory.probe import ProbeReport, ProbeSettings
    from shelfnet.directory.store import DirectoryStore

HISTORY_LOOKED_AT = 500
"""Probes read back per target to judge its status (the failure streak is rarely longer)."""


@directory_app.command()
def probe(
    group: Annotated[str | None, typer.Option("--group", help="Only targets of this group")] = None,
    status: StatusOpt = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Targets probed at once")] = 100,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds for each step (Init, search, each present)")
    ] = 20.0,
    connect_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to connect")] = 10.0,
    query: Annotated[str | None, typer.Option(help="Test search (PQF) for Z39.50")] = None,
    cql: Annotated[str | None, typer.Option(help="Test search (CQL) for SRU")] = None,
    quarantine_after: Annotated[
        int, typer.Option(min=1, help="Failed probes in a row that quarantine a target")
    ] = QUARANTINE_AFTER,
    quarantine_days: Annotated[
        float, typer.Option(min=0, help="...spread over at least this many days")
    ] = QuarantineRule.days,
    restore_after: Annotated[
        int, typer.Option(min=1, help="Answered probes in a row that restore a target")
    ] = QuarantineRule.restore_after,
    upload: Annotated[
        bool,
        typer.Option(
            "--upload", help="Also send the results to the directory server ([directory] sync_url)"
        ),
    ] = False,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Probe targets (connect, Init, a test search, one record in each syntax), keep the
    results as history and quarantine or restore targets. Retired targets are skipped unless
    --status retired asks for them. With --upload the results also go to the directory
    server, which keeps every subscriber's probes beside its own."""
    from shelfnet.directory.probe import DEFAULT_CQL_QUERY, DEFAULT_QUERY, ProbeSettings

    settings = ProbeSettings(
        concurrency=concurrency,
        connect_timeout=connect_timeout,
        timeout=timeout,
        query=query or DEFAULT_QUERY,
        cql_query=cql or DEFAULT_CQL_QUERY,
    )
    rule = QuarantineRule(quarantine_after, quarantine_days, restore_after)
    with _open(directory, config) as store:
        stored = [
            t
            for t in store.targets(group=group, status=status)
            if status is not None or t.target.status is not TargetStatus.RETIRED
        ]
        if not stored:
            _fail("no targets match", EXIT_FAILURES)
        reports = _run([t.target for t in stored], settings)
        ids = {t.target.key: t.id for t in stored}
        changes = _record(store, reports, ids, rule)
    _summary(reports, changes)
    if upload:
        _upload(reports, config)


def _upload(reports: list[ProbeReport], config: Path | None) -> None:
    import httpx

    from shelfnet.directory.probeupload import UploadError, upload_probes

    configured = _settings(config).directory
    if not configured.sync_url or not configured.sync_key:
        _fail("--upload needs sync_url and sync_key in [directory] of shelfnet.toml")
    results = [(report.target.key, report.result) for report in reports]
    try:
        answer = upload_probes(configured.sync_url, configured.sync_key, results)
    except (UploadError, httpx.HTTPError) as exc:
        _fail(f"upload to {configured.sync_url} failed: {exc}", EXIT_FAILURES)
    out.print(
        Text(
            f"uploaded to {configured.sync_url}: {answer.stored} stored, {answer.known} known "
            f"already, {answer.unknown_targets} for targets the server does not list"
        )
    )


def _run(targets: Sequence[Target], settings: ProbeSettings) -> list[ProbeReport]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from shelfnet.directory.probe import outcome, run_probes

    failed = 0
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("probing", total=len(targets))

        def advance(report: ProbeReport) -> None:
            nonlocal failed
            failed += not report.result.answered
            progress.update(task, advance=1, description=f"probing ({failed} failing)")
            if not report.result.answered:
                progress.console.print(
                    Text(f"{report.target.label}: {outcome(report.result)}", style="dim")
                )

        return run_probes(targets, settings, advance)


def _record(
    store: DirectoryStore, reports: list[ProbeReport], ids: dict[str, int], rule: QuarantineRule
) -> list[tuple[str, TargetStatus, TargetStatus]]:
    """Store each result and apply the rule; returns (target, old status, new status) for
    every target whose status changed."""
    from shelfnet.directory.model import status_after_probes

    changes = []
    for report in reports:
        target_id = ids[report.target.key]
        store.record_probe(target_id, report.result)
        history = store.probes(target_id, limit=HISTORY_LOOKED_AT)
        current = report.target.status
        new = status_after_probes(current, history, rule)
        if new is not current:
            store.set_status(target_id, new)
            changes.append((f"{target_id} {report.target.label}", current, new))
    return changes


def _summary(
    reports: list[ProbeReport], changes: list[tuple[str, TargetStatus, TargetStatus]]
) -> None:
    from shelfnet.directory.probe import outcome

    outcomes = Counter(outcome(report.result) for report in reports)
    table = Table("outcome", "targets", box=None)
    for name, count in outcomes.most_common():
        table.add_row(name, str(count))
    out.print(table)
    syntaxes = Counter(s for report in reports for s in report.result.syntaxes)
    if syntaxes:
        listed = ", ".join(f"{name} {count}" for name, count in syntaxes.most_common())
        out.print(Text(f"record syntaxes that came back: {listed}"))
    times = Table("step", "median s", "slowest s", "targets", box=None)
    for step, values in _times(reports).items():
        if values:
            median, slowest = statistics.median(values), max(values)
            times.add_row(step, f"{median:.3f}", f"{slowest:.3f}", str(len(values)))
    out.print(times)
    for label, old, new in changes:
        out.print(Text(f"{label}: {old.value} -> {new.value}"))
    answered = sum(report.result.answered for report in reports)
    out.print(
        Text(f"{len(reports)} targets probed, {answered} answered; {len(changes)} status changes")
    )


def _times(reports: list[ProbeReport]) -> dict[str, list[float]]:
    steps: dict[str, list[float]] = {"connect": [], "init": [], "search": [], "present": []}
    for report in reports:
        result = report.result
        for step, value in (
            ("connect", result.connect_seconds),
            ("init", result.init_seconds),
            ("search", result.search_seconds),
            ("present", report.present_seconds),
        ):
            if value is not None:
                steps[step].append(value)
    return steps
