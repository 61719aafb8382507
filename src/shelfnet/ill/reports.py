"""The staff reports as tables: a title, column headings and rows of text, for the report
pages and their CSV downloads.

Each report reads the store for a period (requests made from ``since``, before ``until``);
the copyright report counts calendar years, so it takes the years the period touches. CSV
cells that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) are written with a leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from shelfnet.ill.copyright import RULE_OF_FIVE
from shelfnet.ill.model import ProcessType, RequestType
from shelfnet.ill.store import IllStore

Row = tuple[str, ...]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive."""


@dataclass(frozen=True)
class Table:
    title: str
    headings: Row
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    make: Callable[[IllStore, Period], Table]


def csv_cell(value: str) -> str:
    """The value, made safe to open in a spreadsheet."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def to_csv(table: Table) -> str:
    """The table as CSV (RFC 4180 line ends), headings first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in table.headings])
    writer.writerows([csv_cell(cell) for cell in row] for row in table.rows)
    return out.getvalue()


def _process(process: ProcessType) -> str:
    return process.value.replace("_", " ")


_KIND = {RequestType.LOAN: "loans", RequestType.COPY: "articles (copies)"}


def turnaround(store: IllStore, period: Period) -> Table:
    rows = tuple(
        (
            _process(item.process_type),
            _KIND[item.request_type],
            str(item.filled),
            f"{item.mean_days:.1f}",
            f"{item.median_days:.1f}",
        )
        for item in store.turnaround(since=period.since, until=period.until)
    )
    headings = ("process", "request type", "filled", "mean days", "median days")
    return Table("Turnaround time", headings, rows)


def fill_rate(store: IllStore, period: Period) -> Table:
    rows = tuple(
        (_process(item.process_type), str(item.closed), str(item.filled), f"{item.rate:.0%}")
        for item in store.fill_rate(since=period.since, until=period.until)
    )
    return Table("Fill rate", ("process", "closed", "filled", "fill rate"), rows)


def by_status(store: IllStore, period: Period) -> Table:
    rows = tuple(
        (_process(item.process_type), item.status.display, str(item.count))
        for item in store.requests_by_status(since=period.since, until=period.until)
    )
    return Table("Requests by status", ("process", "status", "requests"), rows)


def lending(store: IllStore, period: Period) -> Table:
    rows = tuple(
        (item.partner, str(item.requests), str(item.filled), str(item.unfilled), str(item.open))
        for item in store.lending_by_partner(since=period.since, until=period.until)
    )
    headings = ("partner", "requests", "filled", "unfilled", "open")
    return Table("Lending by partner", headings, rows)


def copyright_report(store: IllStore, period: Period) -> Table:
    first = period.since.year if period.since else None
    # ``until`` is exclusive: a period ending on 1 January does not reach into that year.
    last = (period.until.year - (period.until.timetuple().tm_yday == 1)) if period.until else None
    rows = tuple(
        (
            str(item.year),
            item.journal_title or item.journal_key,
            item.journal_key,
            str(item.within_guidelines),
            str(item.older),
            "yes" if item.exceeds else "",
        )
        for item in store.copyright_report()
        if (first is None or item.year >= first) and (last is None or item.year <= last)
    )
    headings = (
        "year",
        "journal",
        "journal key",
        "within guidelines",
        "older articles",
        f"beyond the rule of {RULE_OF_FIVE}",
    )
    return Table("Copyright (rule of five)", headings, rows)


REPORTS: Mapping[str, Report] = {
    report.name: report
    for report in (
        Report(
            "turnaround",
            "Turnaround time",
            "Days from request to filling, loans and articles apart.",
            turnaround,
        ),
        Report(
            "fill-rate", "Fill rate", "Of the requests closed, how many were filled.", fill_rate
        ),
        Report("by-status", "Requests by status", "Requests made, by current status.", by_status),
        Report("lending", "Lending by partner", "Lending requests by requesting library.", lending),
        Report(
            "copyright",
            "Copyright (rule of five)",
            "Borrowed article copies per journal and year under the CONTU guidelines.",
            copyright_report,
        ),
    )
}
