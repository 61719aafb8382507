"""Sending finished records to the ILS: a watched folder, or shelfnet's own catalogue.

Many ILSs load records from a folder they poll. A half-written file there gets loaded
half, so a batch is written to a temporary name in the same folder (hidden, and not
ending in the suffix the ILS watches) and renamed into place: a rename within one file
system is atomic, so the ILS sees the whole file or nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from pymarc import Record

from shelfnet.catalog.importer import ImportResult, import_data
from shelfnet.catalog.store import CatalogStore

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def batch_bytes(records: Iterable[Record]) -> bytes:
    """The records as one ISO 2709 stream (UTF-8 or MARC-8 as each record carries it)."""
    return b"".join(record.as_marc() for record in records)


def drop_in_folder(
    records: Iterable[Record],
    folder: str | os.PathLike[str],
    *,
    prefix: str = "shelfnet",
    suffix: str = ".mrc",
    clock: Clock = _utc_now,
) -> Path:
    """Write the batch into ``folder`` atomically and return the file's final path."""
    target_dir = Path(folder)
    data = batch_bytes(records)
    stamp = clock().strftime("%Y%m%dT%H%M%S%fZ")
    final = target_dir / f"{prefix}-{stamp}{suffix}"
    descriptor, temporary = tempfile.mkstemp(dir=target_dir, prefix=f".{prefix}-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        counter = 1
        while final.exists():
            counter += 1
            final = target_dir / f"{prefix}-{stamp}-{counter}{suffix}"
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return final


def load_into_catalogue(
    records: Iterable[Record], store: CatalogStore, *, name: str = "workbench"
) -> ImportResult:
    """Load the batch into shelfnet's local catalogue through the normal importer."""
    return import_data(batch_bytes(records), store, name=name)
