"""What the pages show of a search session, as plain rows the templates lay out."""

from __future__ import annotations

from dataclasses import dataclass

from shelfnet.search.engine import FoundRecord, TargetStatus
from shelfnet.search.rank import RankedCluster, ScoredRecord
from shelfnet.search.report import headline
from shelfnet.web.sessions import Clock, SearchSession, elapsed


@dataclass(frozen=True)
class StatusRow:
    target: str
    phase: str
    hits: int | None
    records: int
    elapsed: str
    error: str
    diagnostic: str
    ended: bool


@dataclass(frozen=True)
class RecordRef:
    """Where one record came from, and how the page links to it."""

    target: str
    target_number: int
    position: int
    control_number: str
    score: float


@dataclass(frozen=True)
class ClusterRow:
    rank: int
    number: int
    title: str
    best: RecordRef
    records: int
    targets: tuple[str, ...]
    relevance: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    ended: int
    targets: int
    records: int
    clusters: int
    finished: bool


def status_row(status: TargetStatus, clock: Clock) -> StatusRow:
    seconds = elapsed(status, clock)
    return StatusRow(
        target=status.target.name,
        phase=status.phase.value,
        hits=status.hits,
        records=status.records,
        elapsed="" if seconds is None else f"{seconds:.1f} s",
        error=status.error or "",
        diagnostic=str(status.diagnostic) if status.diagnostic is not None else "",
        ended=status.ended,
    )


def status_rows(session: SearchSession, clock: Clock) -> list[StatusRow]:
    return [status_row(status, clock) for status in session.statuses()]


def record_ref(session: SearchSession, scored: ScoredRecord) -> RecordRef:
    found = scored.found
    return RecordRef(
        target=found.target,
        target_number=session.target_number(found.target),
        position=found.position,
        control_number=control_number(found),
        score=scored.score.total,
    )


def cluster_row(session: SearchSession, rank: int, item: RankedCluster) -> ClusterRow:
    return ClusterRow(
        rank=rank,
        number=item.cluster.number,
        title=headline(item.best.found.record),
        best=record_ref(session, item.best),
        records=len(item.records),
        targets=tuple(item.cluster.targets),
        relevance=item.relevance,
        reasons=item.reasons,
    )


def cluster_rows(session: SearchSession) -> list[ClusterRow]:
    return [cluster_row(session, n, item) for n, item in enumerate(session.ranked(), start=1)]


def progress(session: SearchSession) -> Progress:
    statuses = session.statuses()
    return Progress(
        ended=sum(status.ended for status in statuses),
        targets=len(statuses),
        records=session.result.records,
        clusters=len(session.result.merger),
        finished=session.finished,
    )


def control_number(found: FoundRecord) -> str:
    fields = found.record.get_fields("001")
    return (fields[0].data or "").strip() if fields else ""


def cluster_number(session: SearchSession, found: FoundRecord) -> int | None:
    """The number of the cluster holding ``found``."""
    for cluster in session.result.merger.clusters:
        if any(record is found for record in cluster.records):
            return cluster.number
    return None
