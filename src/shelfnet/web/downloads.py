"""Downloads: the best record of each chosen cluster, in the format the cataloguer picked."""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from shelfnet.marc.export import ExportFormat, export_records, suffix
from shelfnet.search.rank import RankedCluster

FORMATS = (
    (ExportFormat.MARC_UTF8, "MARC 21, UTF-8 (.mrc)", "application/marc"),
    (ExportFormat.MARC8, "MARC 21, MARC-8 (.mrc)", "application/marc"),
    (ExportFormat.MARCXML, "MARCXML (.xml)", "application/marcxml+xml"),
    (ExportFormat.MNEMONIC, "MARC mnemonic (.mrk)", "text/plain; charset=utf-8"),
)
_MEDIA_TYPES = {fmt: media_type for fmt, _, media_type in FORMATS}


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str
    media_type: str
    records: int


def chosen(ranked: Sequence[RankedCluster], numbers: Collection[int]) -> list[RankedCluster]:
    """The ranked clusters whose number is among ``numbers``, in rank order."""
    return [item for item in ranked if item.cluster.number in numbers]


def best_records(items: Sequence[RankedCluster], fmt: ExportFormat, stem: str) -> Download:
    """The best record of every cluster in ``items`` written in ``fmt``. MARC-8 writes
    characters it lacks as ``&#xXXXX;``; other failures raise ``MarcError``."""
    stream = io.BytesIO()
    count = export_records((item.best.found.record for item in items), fmt, stream, errors="ncr")
    return Download(stream.getvalue(), f"{stem}{suffix(fmt)}", _MEDIA_TYPES[fmt], count)
