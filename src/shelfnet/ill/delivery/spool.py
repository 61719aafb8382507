"""The spool: documents stream to a temporary file, then get a name the server chose.

``Spool.incoming()`` opens ``<spool>/incoming/<uuid>.part`` (created exclusively, mode 0600).
``SpoolFile.write`` appends a chunk and updates the SHA-256 and the byte count, so memory use
does not depend on the document's size. ``finish`` flushes and fsyncs; ``commit`` renames the
file atomically to ``<spool>/documents/<uuid>.pdf`` (or ``.tif``) and fsyncs the directory;
``discard`` deletes it. The sender's file name never becomes part of a path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path
from typing import BinaryIO

from shelfnet.ill.delivery.checks import ZipScan
from shelfnet.ill.delivery.protocol import PDF, TIFF

EXTENSIONS = {PDF: ".pdf", TIFF: ".tif"}
INCOMING = "incoming"
DOCUMENTS = "documents"


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.incoming_dir = self.directory / INCOMING
        self.documents_dir = self.directory / DOCUMENTS

    def prepare(self) -> int:
        """Create the folders; delete ``.part`` files a crash left behind (returns how many)."""
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        self.documents_dir.mkdir(parents=True, exist_ok=True)
        stale = 0
        for leftover in self.incoming_dir.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                stale += 1
        return stale

    def incoming(self) -> SpoolFile:
        name = uuid.uuid4().hex
        path = self.incoming_dir / f"{name}.part"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        return SpoolFile(self, name, path, os.fdopen(fd, "wb", buffering=0))


class SpoolFile:
    """One document on its way in."""

    def __init__(self, spool: Spool, name: str, path: Path, file: BinaryIO) -> None:
        self.spool = spool
        self.name = name  # the server-chosen stem of the final file name
        self.path = path
        self.size = 0
        self._file: BinaryIO | None = file
        self._hash = hashlib.sha256()
        self.zip_scan = ZipScan()
        """ZIP records seen in the bytes written (a polyglot), found while they arrive."""

    def write(self, data: bytes) -> None:
        assert self._file is not None, "already finished"
        self._hash.update(data)
        self.zip_scan.feed(data)
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written or 0 :]
        self.size += len(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def finish(self) -> None:
        """Flush and fsync: what is checked is what is on disk."""
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def commit(self, media_type: str) -> Path:
        """Rename to the final, server-chosen name; returns it."""
        self.finish()
        target = self.spool.documents_dir / f"{self.name}{EXTENSIONS[media_type]}"
        os.replace(self.path, target)
        _fsync_directory(self.spool.documents_dir)
        self.path = target
        return target

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
