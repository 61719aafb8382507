"""Ranking merged clusters: relevance to the query first, then the best record's quality.

Relevance looks at the words of the query's terms in the cluster's best record: a word in
the title (245, 246) counts 3, in a name heading (1XX, 7XX) 2, in a subject (6XX) 1, anywhere
else 0.5; relevance is their sum over the most a record could get (every word in the title),
so 1.0 is "every word in the title". Clusters with the same relevance (to two decimals) rank
by the quality score of their best record (``shelfnet.marc.quality``), then by how many
targets hold them, then by arrival. Every ranked cluster carries the reasons, so the user
sees why one comes before another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pymarc

from shelfnet.catalog import normalise
from shelfnet.marc.quality import DEFAULT_WEIGHTS, Score, Weights, score_record
from shelfnet.query.rpn import Node, Operator, OperatorKind, Query, Term
from shelfnet.search.engine import FoundRecord
from shelfnet.search.merge import Cluster

_PLACES = (
    ("title", 3.0, ("245", "246", "240", "130")),
    ("name", 2.0, ("100", "110", "111", "700", "710", "711")),
    ("subject", 1.0, ("600", "610", "611", "630", "650", "651", "655")),
)
_ELSEWHERE = 0.5
_BEST = 3.0


@dataclass(frozen=True)
class ScoredRecord:
    found: FoundRecord
    score: Score


@dataclass(frozen=True)
class RankedCluster:
    cluster: Cluster
    records: tuple[ScoredRecord, ...]
    """The cluster's records, best first."""
    relevance: float
    reasons: tuple[str, ...]
    """Why the cluster stands where it does, e.g. "'jazz' in title (+3)"."""

    @property
    def best(self) -> ScoredRecord:
        return self.records[0]


def query_words(query: Query) -> list[str]:
    """The folded words of every term the query searches for (not those it excludes)."""
    words: list[str] = []
    pending: list[Node] = [query.root]
    while pending:
        node = pending.pop()
        if isinstance(node, Term):
            words.extend(normalise.words(node.term))
        elif isinstance(node, Operator):
            if node.kind is not OperatorKind.AND_NOT:
                pending.append(node.right)
            pending.append(node.left)
    return list(dict.fromkeys(words))


def relevance(record: pymarc.Record, words: Sequence[str]) -> tuple[float, list[str]]:
    """How well a record matches the query's words (0 to 1), and the reasons."""
    if not words:
        return 0.0, []
    places: list[tuple[str, float, set[str]]] = []
    for label, weight, tags in _PLACES:
        places.append((label, weight, set(normalise.words(_text(record, tags)))))
    elsewhere = set(normalise.words(_text(record, None)))
    total, reasons = 0.0, []
    for word in words:
        for label, weight, found in places:
            if word in found:
                total += weight
                reasons.append(f"'{word}' in {label} (+{weight:g})")
                break
        else:
            if word in elsewhere:
                total += _ELSEWHERE
                reasons.append(f"'{word}' elsewhere (+{_ELSEWHERE:g})")
            else:
                reasons.append(f"'{word}' not in the record")
    return total / (_BEST * len(words)), reasons


def rank(
    clusters: Iterable[Cluster],
    query: Query | None,
    weights: Weights = DEFAULT_WEIGHTS,
    scores: Mapping[int, Score] | None = None,
) -> list[RankedCluster]:
    """Clusters in the order to show them, each with its records best first. ``scores``
    holds quality scores already made (by ``id`` of the FoundRecord)."""
    words = query_words(query) if query is not None else []
    known = scores or {}

    def scored_record(found: FoundRecord) -> ScoredRecord:
        score = known.get(id(found)) or score_record(found.record, weights)
        return ScoredRecord(found, score)

    ranked = []
    for cluster in clusters:
        scored = sorted(
            (scored_record(found) for found in cluster.records), key=lambda item: -item.score.total
        )
        value, reasons = relevance(scored[0].found.record, words)
        holders = len(cluster.targets)
        best = scored[0]
        reasons.append(f"best record {best.score.total:g} points (from {best.found.target})")
        if holders > 1:
            reasons.append(f"held by {holders} targets")
        ranked.append(RankedCluster(cluster, tuple(scored), value, tuple(reasons)))
    ranked.sort(
        key=lambda item: (
            -round(item.relevance, 2),
            -item.best.score.total,
            -len(item.cluster.targets),
            item.cluster.number,
        )
    )
    return ranked


def _text(record: pymarc.Record, tags: Sequence[str] | None) -> str:
    chosen = record.get_fields(*tags) if tags else record.fields
    return " ".join(
        subfield.value
        for found in chosen
        if not found.is_control_field()
        for subfield in found.subfields
        if subfield.code.isalpha()
    )
