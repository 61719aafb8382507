"""Ranked clusters as people and programs read them: text, JSON lines, or the best records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import BinaryIO, TextIO

import pymarc

from shelfnet.search.rank import RankedCluster


def headline(record: pymarc.Record) -> str:
    """Title / statement of responsibility, edition, year: one line for a list."""
    title_fields = record.get_fields("245")
    title = " ".join(title_fields[0].get_subfields("a", "b", "c")) if title_fields else ""
    edition = " ".join(v for f in record.get_fields("250") for v in f.get_subfields("a"))
    published = " ".join(
        v for f in record.get_fields("260", "264") for v in f.get_subfields("b", "c")
    )
    parts = [part.strip() for part in (title, edition, published) if part.strip()]
    return " ".join(parts) or "(no title)"


def print_ranked(ranked: Sequence[RankedCluster], out: TextIO) -> None:
    for number, item in enumerate(ranked, start=1):
        best = item.best
        holders = ", ".join(item.cluster.targets)
        out.write(
            f"{number}. {headline(best.found.record)}\n"
            f"   relevance {item.relevance:.2f}, best record {best.score.total:g} points; "
            f"{len(item.records)} record(s) from {holders}\n"
            f"   why: {'; '.join(item.reasons)}\n"
            f"   score: {'; '.join(best.score.explain())}\n"
        )


def cluster_json(item: RankedCluster) -> dict[str, object]:
    return {
        "title": headline(item.best.found.record),
        "relevance": round(item.relevance, 4),
        "reasons": list(item.reasons),
        "keys": sorted(item.cluster.keys),
        "records": [
            {
                "target": scored.found.target,
                "position": scored.found.position,
                "score": scored.score.total,
                "explanation": scored.score.explain(),
            }
            for scored in item.records
        ],
    }


def write_best(ranked: Sequence[RankedCluster], fmt: str, stream: BinaryIO) -> int:
    """The best record of each cluster, in ``fmt`` (json, marc, marcxml, marc8, mrk)."""
    if fmt == "json":
        for item in ranked:
            stream.write(json.dumps(cluster_json(item), ensure_ascii=False).encode() + b"\n")
        return len(ranked)
    from shelfnet.marc.export import ExportFormat, export_records

    return export_records(
        (item.best.found.record for item in ranked), ExportFormat(fmt), stream, errors="ncr"
    )
