"""One federated search from start to end: statuses, clusters and their ranking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shelfnet.marc.quality import DEFAULT_WEIGHTS, Score, Weights, score_record
from shelfnet.query.rpn import Query, QueryError
from shelfnet.search.engine import (
    DEFAULT_LIMITS,
    Event,
    RecordsFound,
    SearchLimits,
    SearchQuery,
    StatusChanged,
    TargetStatus,
    federated_search,
)
from shelfnet.search.merge import Merger
from shelfnet.search.rank import RankedCluster, rank
from shelfnet.search.targets import TargetSpec


@dataclass
class FederatedResult:
    """Where every target ended, and the merged records."""

    query: SearchQuery
    weights: Weights = DEFAULT_WEIGHTS
    statuses: dict[str, TargetStatus] = field(default_factory=dict)
    merger: Merger = field(default_factory=Merger)
    scores: dict[int, Score] = field(default_factory=dict)
    """Quality scores by ``id`` of the record, made as records arrive: while slow targets
    keep the search waiting, the work is done, and ranking at the end only sorts."""

    def apply(self, event: Event) -> None:
        """Take in one event of ``federated_search``."""
        if isinstance(event, StatusChanged):
            self.statuses[event.status.target.name] = event.status
        elif isinstance(event, RecordsFound):
            self.merger.extend(event.records)
            for found in event.records:
                self.scores[id(found)] = score_record(found.record, self.weights)

    def ranked(self, weights: Weights | None = None) -> list[RankedCluster]:
        """The clusters ranked, scored with the search's weights (or others, from scratch)."""
        try:
            rpn: Query | None = self.query.rpn()
        except QueryError:
            rpn = None
        if weights is not None and weights != self.weights:
            return rank(self.merger.clusters, rpn, weights)
        return rank(self.merger.clusters, rpn, self.weights, self.scores)

    @property
    def records(self) -> int:
        return sum(len(cluster.records) for cluster in self.merger.clusters)


async def run_federated(
    targets: Sequence[TargetSpec],
    query: SearchQuery,
    limits: SearchLimits = DEFAULT_LIMITS,
    on_event: Callable[[Event], None] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> FederatedResult:
    """Search every target to the end and merge what they return."""
    result = FederatedResult(query, weights)
    async for event in federated_search(targets, query, limits):
        result.apply(event)
        if on_event is not None:
            on_event(event)
    return result
