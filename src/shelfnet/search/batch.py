"""Batch search: a list of ISBNs, ISSNs, LCCNs or titles, and the best record for each.

Each line is searched on every target of a group (its own federated search), the records are
merged and ranked, and the line ends as one of

* ``found``: one book matches; its best record goes to the MARC file;
* ``ambiguous``: several books match equally well (a title shared by different books); no
  record is written, the report says how many;
* ``not found``: no target has it;
* ``failed``: no target could be searched (all down, or the query is malformed for them).

The CSV report is also the journal that makes a run resumable: a line's row is written (and
flushed to disk) only after its record is, and carries the size of the MARC file after it.
Run again with the same files and the finished lines are skipped; a record written for a line
whose row never made it is cut off the MARC file first, so nothing is written twice.
"""

from __future__ import annotations

import asyncio
import csv
import enum
import io
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from shelfnet.catalog import identifiers
from shelfnet.marc.export import ExportFormat, export_records
from shelfnet.marc.quality import DEFAULT_WEIGHTS, Weights
from shelfnet.search.engine import Language, Phase, SearchLimits, SearchQuery
from shelfnet.search.rank import RankedCluster
from shelfnet.search.session import FederatedResult, run_federated
from shelfnet.search.targets import TargetSpec


class LineKind(enum.Enum):
    ISBN = "isbn"
    ISSN = "issn"
    LCCN = "lccn"
    TITLE = "title"


class Outcome(enum.Enum):
    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not found"
    FAILED = "failed"


@dataclass(frozen=True)
class BatchLine:
    number: int
    """1-based line (or CSV row) number in the input."""
    text: str
    kind: LineKind
    key: str
    """The normalised identifier, or the title as given."""

    def query(self) -> SearchQuery:
        term = '"' + self.key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        use = {LineKind.ISBN: 7, LineKind.ISSN: 8, LineKind.LCCN: 9}.get(self.kind)
        if use is None:
            return SearchQuery(f"@attr 1=4 @attr 4=6 {term}", Language.PQF)
        return SearchQuery(f"@attr 1={use} {term}", Language.PQF)

    @property
    def match_key(self) -> str | None:
        """The cluster key a record for this line must have (identifier lines only)."""
        if self.kind is LineKind.ISBN:
            return f"isbn:{identifiers.isbn_13(self.key)}"
        if self.kind is LineKind.ISSN:
            return f"issn:{self.key}"
        if self.kind is LineKind.LCCN:
            return f"lccn:{self.key}"
        return None


_ISBN = re.compile(r"97[89][0-9]{10}|[0-9]{9}[0-9Xx]")
_ISSN = re.compile(r"[0-9]{4}-[0-9]{3}[0-9Xx]")
_LCCN = re.compile(r"[a-z]{0,3} ?[0-9]{2}(?:[0-9]{2})?-?[0-9]{1,6}", re.IGNORECASE)
_COLUMNS = ("isbn", "issn", "lccn", "title")


def classify(number: int, text: str) -> BatchLine | None:
    """What one input line asks for; None for a blank line or a comment (#). Ten or thirteen
    digits are an ISBN, even with a wrong check digit (catalogues hold ISBNs as printed, and
    misprinted); ``NNNN-NNNN`` is an ISSN; an LCCN has a prefix, a hyphen, or 8 or 12 digits."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    compact = stripped.replace("-", "").replace(" ", "")
    if _ISBN.fullmatch(compact):
        return BatchLine(number, stripped, LineKind.ISBN, compact.lower())
    if _ISSN.fullmatch(stripped):
        return BatchLine(number, stripped, LineKind.ISSN, compact.lower())
    if _LCCN.fullmatch(stripped) and (lccn := identifiers.lccn(stripped)):
        return BatchLine(number, stripped, LineKind.LCCN, lccn)
    return BatchLine(number, stripped, LineKind.TITLE, stripped)


def read_lines(path: Path) -> list[BatchLine]:
    """The lines of a batch file: one identifier or title per line, or a CSV file whose
    column named isbn, issn, lccn or title (else its first column) holds them."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() != ".csv":
        found = (classify(n, line) for n, line in enumerate(text.splitlines(), start=1))
        return [line for line in found if line is not None]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in _COLUMNS if name in header), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    start = 2 if body is not rows else 1
    lines = []
    for number, row in enumerate(body, start=start):
        if column < len(row) and (line := classify(number, row[column])) is not None:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class LineResult:
    line: BatchLine
    outcome: Outcome
    best: RankedCluster | None = None
    clusters: int = 0
    note: str = ""


def judge(line: BatchLine, result: FederatedResult, weights: Weights) -> LineResult:
    """The outcome of one line from its federated search."""
    ranked = result.ranked()
    statuses = list(result.statuses.values())
    if key := line.match_key:
        ranked = [item for item in ranked if key in item.cluster.keys]
    if not ranked:
        if statuses and all(status.phase is Phase.FAILED for status in statuses):
            errors = "; ".join(f"{s.target.name}: {s.error}" for s in statuses)
            return LineResult(line, Outcome.FAILED, note=errors)
        return LineResult(line, Outcome.NOT_FOUND)
    if len(ranked) > 1 and round(ranked[0].relevance, 2) == round(ranked[1].relevance, 2):
        return LineResult(line, Outcome.AMBIGUOUS, clusters=len(ranked))
    return LineResult(line, Outcome.FOUND, ranked[0], clusters=len(ranked))


BATCH_LIMITS = SearchLimits(max_records=5)
REPORT_COLUMNS = (
    "line", "input", "kind", "outcome", "target", "score", "title", "clusters", "marc_bytes",
    "note",
)  # fmt: skip


@dataclass
class BatchSummary:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    skipped: int = 0
    """Lines finished by an earlier run."""


class Journal:
    """The report CSV and the MARC file, written so that a run can be resumed."""

    def __init__(self, marc: Path, report: Path, fmt: ExportFormat) -> None:
        self.fmt = fmt
        self.done = self._recover(marc, report)
        self._marc: BinaryIO = marc.open("ab")
        self._report = report.open("a", encoding="utf-8", newline="")
        self._csv = csv.writer(self._report)
        if report.stat().st_size == 0:
            self._csv.writerow(REPORT_COLUMNS)
            self._flush_report()

    @staticmethod
    def _recover(marc: Path, report: Path) -> set[int]:
        """Finished line numbers; cut a half-written row and unreported records off."""
        done: set[int] = set()
        size = 0
        if report.exists():
            data = report.read_bytes()
            if data and not data.endswith(b"\n"):  # killed in the middle of a row
                data = data[: data.rfind(b"\n") + 1]
                report.write_bytes(data)
            for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
                if row.get("line", "").isdigit() and (row.get("marc_bytes") or "").isdigit():
                    done.add(int(row["line"]))
                    size = max(size, int(row["marc_bytes"]))
        if marc.exists() and marc.stat().st_size > size:
            with marc.open("r+b") as stream:
                stream.truncate(size)
        return done

    def record(self, result: LineResult) -> None:
        if result.best is not None:
            export_records([result.best.best.found.record], self.fmt, self._marc, errors="ncr")
            self._marc.flush()
            os.fsync(self._marc.fileno())
        best = result.best.best if result.best is not None else None
        title = ""
        if best is not None:
            from shelfnet.search.report import headline

            title = headline(best.found.record)
        self._csv.writerow(
            (
                result.line.number,
                result.line.text,
                result.line.kind.value,
                result.outcome.value,
                best.found.target if best else "",
                f"{best.score.total:g}" if best else "",
                title,
                result.clusters,
                self._marc.tell(),
                result.note,
            )
        )
        self._flush_report()

    def _flush_report(self) -> None:
        self._report.flush()
        os.fsync(self._report.fileno())

    def close(self) -> None:
        self._marc.close()
        self._report.close()


async def run_batch(
    lines: Sequence[BatchLine],
    targets: Sequence[TargetSpec],
    marc: Path,
    report: Path,
    *,
    fmt: ExportFormat = ExportFormat.MARC_UTF8,
    limits: SearchLimits = BATCH_LIMITS,
    weights: Weights = DEFAULT_WEIGHTS,
    concurrency: int = 4,
    on_line: Callable[[LineResult | None], None] | None = None,
) -> BatchSummary:
    """Search every unfinished line (``concurrency`` lines at a time), writing records and
    report rows as lines finish. ``on_line`` hears each finished line (None: skipped)."""
    journal = Journal(marc, report, fmt)
    summary = BatchSummary()
    pending = [line for line in lines if line.number not in journal.done]
    summary.skipped = len(lines) - len(pending)
    for _ in range(summary.skipped):
        if on_line is not None:
            on_line(None)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(line: BatchLine) -> None:
        async with gate:
            result = await run_federated(targets, line.query(), limits, weights=weights)
        judged = judge(line, result, weights)
        journal.record(judged)  # no await between search end and write: one line at a time
        summary.counts[judged.outcome] += 1
        if on_line is not None:
            on_line(judged)

    try:
        await asyncio.gather(*(one(line) for line in pending))
    finally:
        journal.close()
    return summary


def lines_of(items: Iterable[str]) -> list[BatchLine]:
    found = (classify(n, text) for n, text in enumerate(items, start=1))
    return [line for line in found if line is not None]
