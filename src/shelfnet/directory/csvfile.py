"""Targets as CSV: a header row naming the columns, one target per row.

Columns (any order; only ``host``, or ``address``, is required; unknown ones are ignored):
``name, protocol, host, port, database, tls, institution, description, contact, country,
library_type, record_syntaxes, element_sets, charset, user, password, auth_group,
bib1_indexes, groups, status, implementation_id, implementation_name,
implementation_version, modified`` - the fields of ``shelfnet.directory.fields``, with
several databases joined by ``+`` and other lists by ``;``. An ``address`` column
(``host:port/db`` or an SRU URL) may stand for protocol, host, port, database and tls.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TextIO

from shelfnet.directory.checks import Rejected, Rejection, RejectionReason
from shelfnet.directory.fields import ADDRESS, FIELDS, build_target, canonical_name, text_values
from shelfnet.directory.model import Target, TargetRecord

COLUMNS = tuple("database" if name == "databases" else name for name in FIELDS)


def write_csv(targets: Iterable[Target], stream: TextIO) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for target in targets:
        writer.writerow(text_values(target).values())
        count += 1
    return count


def read_csv(data: bytes, where: str) -> Iterator[TargetRecord | Rejection]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Rejection(RejectionReason.BAD_FILE, f"not UTF-8: {exc}", where)
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [canonical_name(name) for name in next(reader, [])]
    if "host" not in header and ADDRESS not in header:
        yield Rejection(RejectionReason.BAD_FILE, "no 'host' or 'address' column", where)
        return
    try:
        for row in reader:
            place = f"{where}: line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            values = {name: cell for name, cell in zip(header, row, strict=False) if cell != ""}
            try:
                yield TargetRecord(build_target(values), where=place)
            except Rejected as rejected:
                yield rejected.at(place)
    except csv.Error as exc:
        yield Rejection(RejectionReason.BAD_FILE, f"line {reader.line_num}: {exc}", where)
