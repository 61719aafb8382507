"""Loading record files into the catalogue, and getting records back out.

``import_files`` streams ISO 2709 (MARC-8 or UTF-8) and MARCXML files into a store in
batches, one transaction per batch: a killed import leaves every finished batch in place
and nothing of the batch it was in, and running it again finishes the job, because records
are matched on their match key and identical ones are left alone. Records that cannot be
read are reported with their file and place and skipped.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from shelfnet.catalog.indexing import INDEXING_VERSION, IndexedRecord, index_record
from shelfnet.catalog.matchkey import DEFAULT_MATCH_POINT, MatchPoint
from shelfnet.catalog.reader import ReadFailure, SourceRecord, read_records
from shelfnet.catalog.store import CatalogStore, NewRecord, Outcome, StoredRecord, StoreStats
from shelfnet.marc import DecodedMarc, MarcError, decode_marc, record_to_marcxml

DEFAULT_BATCH_SIZE = 500
_COLLECTION_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
)
_COLLECTION_END = b"</collection>\n"


@dataclass(frozen=True)
class ImportIssue:
    """A record that failed (or was read with a warning), and where it was."""

    path: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.location}: {self.message}"


@dataclass
class ImportResult:
    """Running totals of an import."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def records(self) -> int:
        """Records read, good or bad."""
        return self.added + self.updated + self.unchanged + self.failed


@dataclass(frozen=True)
class ImportProgress:
    """Where an import stands, after each committed batch."""

    path: str
    records: int
    """Records read so far (in every file), good or bad."""
    bytes_read: int
    """Bytes of this file read so far (of ``bytes_total``, when the size is known)."""
    bytes_total: int | None
    result: ImportResult
    """The running totals, which go on changing after this call."""


Progress = Callable[[ImportProgress], None]


def import_files(
    paths: Iterable[str | os.PathLike[str]],
    store: CatalogStore,
    *,
    match_point: str = DEFAULT_MATCH_POINT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportResult:
    """Import record files, each ISO 2709 or MARCXML whatever its name says."""
    result = ImportResult()
    for path in paths:
        with open(path, "rb") as stream:
            import_stream(
                stream,
                store,
                name=str(path),
                match_point=match_point,
                batch_size=batch_size,
                progress=progress,
                result=result,
            )
    return result


def import_data(
    data: bytes,
    store: CatalogStore,
    *,
    name: str = "<data>",
    match_point: str = DEFAULT_MATCH_POINT,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Import records held in memory (the sample catalogue, a test fixture)."""
    return import_stream(
        io.BytesIO(data), store, name=name, match_point=match_point, batch_size=batch_size
    )


def import_stream(
    stream: BinaryIO,
    store: CatalogStore,
    *,
    name: str,
    match_point: str = DEFAULT_MATCH_POINT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    result: ImportResult | None = None,
) -> ImportResult:
    """Import one stream of records; ``result`` carries totals over several streams."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    point = MatchPoint.parse(match_point)
    result = result if result is not None else ImportResult()
    _prepare(store, point)
    total = _size(stream)
    batch: list[NewRecord] = []

    def flush() -> None:
        _write(store, batch, point, result)
        batch.clear()
        if progress is not None:
            progress(ImportProgress(name, result.records, _position(stream), total, result))

    for item in read_records(stream):
        if isinstance(item, ReadFailure):
            result.failures.append(ImportIssue(name, item.location, item.message))
            continue
        for warning in item.decoded.warnings:
            result.warnings.append(ImportIssue(name, item.location, warning))
        batch.append(_new_record(item, point))
        if len(batch) >= batch_size:
            flush()
    flush()
    return result


def _prepare(store: CatalogStore, point: MatchPoint) -> None:
    """Bring an existing catalogue to this import's match point and indexing rules."""
    if store.indexing_version != INDEXING_VERSION:
        store.reindex(reindexed)
    if store.match_point not in (None, str(point)):
        store.rekey(str(point), lambda stored: point.record_key(_decode(stored).record, stored.raw))


def _new_record(item: SourceRecord, point: MatchPoint) -> NewRecord:
    return NewRecord(
        raw=item.decoded.raw,
        charset=item.decoded.encoding,
        source_format=item.source_format,
        match_key=point.record_key(item.record, item.decoded.raw),
        index=index_record(item.record),
    )


def _write(
    store: CatalogStore, batch: Sequence[NewRecord], point: MatchPoint, result: ImportResult
) -> None:
    if not batch:
        return
    outcomes = store.write_batch(batch, match_point=str(point))
    for outcome, _record_id in outcomes:
        if outcome is Outcome.ADDED:
            result.added += 1
        elif outcome is Outcome.UPDATED:
            result.updated += 1
        else:
            result.unchanged += 1


def _size(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, io.UnsupportedOperation, AttributeError):
        return None


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _decode(stored: StoredRecord) -> DecodedMarc:
    return decode_marc(stored.raw, encoding=stored.charset)


def reindexed(stored: StoredRecord) -> IndexedRecord:
    """A stored record's index terms under the current rules (for ``Store.reindex``)."""
    return index_record(_decode(stored).record)


# --- export, statistics, deletion -----------------------------------------------------------

ExportFormat = Literal["marc", "marcxml"]


@dataclass
class ExportResult:
    written: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    """Records that could not be written in the format: (id, why)."""


def export(store: CatalogStore, out: BinaryIO, format: ExportFormat = "marc") -> ExportResult:
    """Every record in id order: ``marc`` writes the stored bytes as they are (so a file of
    MARC-8 and UTF-8 records stays one); ``marcxml`` a UTF-8 ``<collection>``."""
    result = ExportResult()
    if format == "marcxml":
        out.write(_COLLECTION_START)
    for stored in store.iter_records():
        if format == "marc":
            out.write(stored.raw)
            result.written += 1
            continue
        try:
            element = record_to_marcxml(decode_marc(stored.raw, encoding=stored.charset).record)
        except MarcError as exc:
            result.failures.append((stored.id, exc.message))
            continue
        out.write(element + b"\n")
        result.written += 1
    if format == "marcxml":
        out.write(_COLLECTION_END)
    return result


def stats(store: CatalogStore) -> StoreStats:
    """Records (by character set and source format), index sizes, file size."""
    return store.stats()


def delete(store: CatalogStore, ids: Iterable[int] = (), keys: Iterable[str] = ()) -> list[int]:
    """Delete records by id and by match key; returns the ids deleted."""
    return store.delete(ids=ids, keys=keys)
