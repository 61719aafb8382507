"""The target directory as the web app reads it: opened on first use, read in worker threads
(the store is synchronous SQLAlchemy; the event loop never waits on it)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from shelfnet.database import is_database_url
from shelfnet.directory.store import DirectoryStore, open_store

_Result = TypeVar("_Result")


class DirectoryAccess:
    """The directory a web app shows, at ``location`` (a file or a database URL); reads give
    None while there is none there (no file made yet, or no location at all)."""

    def __init__(self, location: str | Path | None) -> None:
        self.location = None if location is None else str(location)
        self._store: DirectoryStore | None = None
        self._lock = threading.Lock()

    def _open(self) -> DirectoryStore | None:
        with self._lock:
            location = self.location
            if self._store is None and location is not None and _exists(location):
                self._store = open_store(location)
            return self._store

    async def read(self, work: Callable[[DirectoryStore], _Result]) -> _Result | None:
        """``work`` on the store off the event loop; None when there is no directory."""

        def run() -> _Result | None:
            store = self._open()
            return None if store is None else work(store)

        return await asyncio.to_thread(run)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _exists(location: str) -> bool:
    """A database URL is taken to exist; a file must (opening would create it)."""
    return is_database_url(location) or Path(location).is_file()
