"""Importing targets from files into the store, and exporting them.

Formats: ZeeRex records (a tar archive of them, plain or compressed, read as a stream and
never unpacked to disk; a folder of ``*.xml`` files; or one file), shelfnet's JSON, a
YAZ-style address list and CSV. Every input record ends as exactly one of: a target written
to the store, a duplicate merged into another record with the same address, or a rejection
with its reason and place.
"""

from __future__ import annotations

import io
import lzma
import re
import tarfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from shelfnet.directory.checks import Rejection, RejectionReason
from shelfnet.directory.csvfile import read_csv, write_csv
from shelfnet.directory.formats import ExportFormat, ImportFormat
from shelfnet.directory.jsonfile import read_json, write_json
from shelfnet.directory.merge import merge
from shelfnet.directory.model import TargetRecord
from shelfnet.directory.store import DirectoryStore, Outcome
from shelfnet.directory.yazlist import read_yaz_list, write_yaz_list
from shelfnet.directory.zeerex import MAX_RECORD_BYTES, PROBES_KEPT, read_zeerex, write_zeerex

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_BY_SUFFIX = {
    ".xml": ImportFormat.ZEEREX,
    ".json": ImportFormat.JSON,
    ".csv": ImportFormat.CSV,
}
_READERS: dict[ImportFormat, Callable[[bytes, str], Iterable[TargetRecord | Rejection]]] = {
    ImportFormat.ZEEREX: read_zeerex,
    ImportFormat.JSON: read_json,
    ImportFormat.YAZ: read_yaz_list,
    ImportFormat.CSV: read_csv,
}


@dataclass(frozen=True)
class ImportProgress:
    records: int
    bytes_read: int
    """Of the input files (compressed bytes for an archive)."""
    path: str


@dataclass(frozen=True)
class Merge:
    """A record folded into an earlier one with the same address."""

    key: str
    kept: str
    merged: str


@dataclass
class ImportReport:
    records: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_local: int = 0
    merges: list[Merge] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Targets the input held, after merging duplicates (whatever the store did)."""
        return self.added + self.updated + self.unchanged + self.kept_local

    @property
    def merged(self) -> int:
        return len(self.merges)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def rejected_by_reason(self) -> Counter[RejectionReason]:
        return Counter(rejection.reason for rejection in self.rejections)


def detect_format(path: Path) -> ImportFormat:
    """By the name (a folder or an archive is ZeeRex), else by the first bytes."""
    name = path.name.lower()
    if path.is_dir() or name.endswith(_TAR_SUFFIXES):
        return ImportFormat.ZEEREX
    if path.suffix.lower() in _BY_SUFFIX:
        return _BY_SUFFIX[path.suffix.lower()]
    with path.open("rb") as stream:
        head = stream.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return ImportFormat.ZEEREX
    if head.startswith("{"):
        return ImportFormat.JSON
    first_line = head.partition("\n")[0].lower()
    if "," in first_line and re.search(r"\b(host|address)\b", first_line):
        return ImportFormat.CSV
    return ImportFormat.YAZ


def read_path(
    path: Path,
    format: ImportFormat = ImportFormat.AUTO,
    progress: Callable[[int], None] | None = None,
) -> Iterator[TargetRecord | Rejection]:
    """Every record in a file, folder or archive; ``progress`` hears the bytes read."""
    if format is ImportFormat.AUTO:
        format = detect_format(path)
    tell = progress or (lambda _bytes: None)
    if format is ImportFormat.ZEEREX and path.is_dir():
        yield from _read_folder(path, tell)
    elif format is ImportFormat.ZEEREX and _is_tar(path):
        yield from _read_tar(path, tell)
    else:
        data = path.read_bytes()
        yield from _READERS[format](data, str(path))
        tell(len(data))


def _is_tar(path: Path) -> bool:
    return path.name.lower().endswith(_TAR_SUFFIXES) or tarfile.is_tarfile(path)


def _natural(name: str) -> list[str | int]:
    """'2.xml' before '10.xml'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _read_folder(folder: Path, tell: Callable[[int], None]) -> Iterator[TargetRecord | Rejection]:
    done = 0
    files = sorted(folder.rglob("*.xml"), key=lambda p: _natural(str(p.relative_to(folder))))
    for path in files:
        where = str(path.relative_to(folder))
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            yield Rejection(RejectionReason.TOO_LARGE, f"{size:,} bytes", where)
        else:
            yield from read_zeerex(path.read_bytes(), where)
        done += size
        tell(done)


def _read_tar(path: Path, tell: Callable[[int], None]) -> Iterator[TargetRecord | Rejection]:
    """The archive's ``*.xml`` members, streamed: nothing is written to disk."""
    try:
        with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as archive:
            for member in archive:
                if not member.isfile() or not member.name.lower().endswith(".xml"):
                    continue
                if member.size > MAX_RECORD_BYTES:
                    yield Rejection(
                        RejectionReason.TOO_LARGE, f"{member.size:,} bytes", member.name
                    )
                    continue
                stream = archive.extractfile(member)
                data = stream.read() if stream else b""
                yield from read_zeerex(data, member.name)
                tell(raw.tell())
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        yield Rejection(RejectionReason.BAD_FILE, f"damaged archive: {exc}", str(path))


@dataclass
class Collected:
    """Input records with duplicates merged, in the order first seen."""

    records: list[TargetRecord] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    read: int = 0


def collect(items: Iterable[TargetRecord | Rejection]) -> Collected:
    by_key: dict[str, TargetRecord] = {}
    collected = Collected()
    for item in items:
        collected.read += 1
        if isinstance(item, Rejection):
            collected.rejections.append(item)
            continue
        key = item.target.key
        earlier = by_key.get(key)
        if earlier is None:
            by_key[key] = item
        else:
            collected.merges.append(Merge(key, earlier.where, item.where))
            by_key[key] = merge(earlier, item)
    collected.records = list(by_key.values())
    return collected


@dataclass
class _Tracker:
    listener: Callable[[ImportProgress], None] | None
    records: int = 0
    path: str = ""

    def bytes_read(self, done: int) -> None:
        if self.listener:
            self.listener(ImportProgress(self.records, done, self.path))


def import_paths(
    paths: Sequence[Path],
    store: DirectoryStore,
    *,
    format: ImportFormat = ImportFormat.AUTO,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Read every file, merge duplicates across all of them, write the targets in one
    transaction."""
    tracker = _Tracker(progress)

    def reads() -> Iterator[TargetRecord | Rejection]:
        for path in paths:
            tracker.path = str(path)
            for item in read_path(path, format, tracker.bytes_read):
                tracker.records += 1
                yield item

    collected = collect(reads())
    outcomes = Counter(store.put_records(collected.records))
    return ImportReport(
        records=collected.read,
        added=outcomes[Outcome.ADDED],
        updated=outcomes[Outcome.UPDATED],
        unchanged=outcomes[Outcome.UNCHANGED],
        kept_local=outcomes[Outcome.KEPT_LOCAL],
        merges=collected.merges,
        rejections=collected.rejections,
    )


def export(store: DirectoryStore, format: ExportFormat, stream: BinaryIO, *, now: datetime) -> int:
    """Write every target; returns how many."""
    stored = store.targets()
    targets = [entry.target for entry in stored]
    if format is ExportFormat.ZEEREX:
        with tarfile.open(fileobj=stream, mode="w|gz") as archive:
            for entry in stored:
                data = write_zeerex(entry.target, store.probes(entry.id, PROBES_KEPT))
                info = tarfile.TarInfo(f"records/{entry.id}.xml")
                info.size, info.mtime = len(data), int(now.timestamp())
                archive.addfile(info, io.BytesIO(data))
        return len(stored)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        if format is ExportFormat.JSON:
            return write_json(targets, text, exported=now, directory_version=store.version())
        if format is ExportFormat.CSV:
            return write_csv(targets, text)
        return write_yaz_list(targets, text)
    finally:
        text.flush()
        text.detach()
