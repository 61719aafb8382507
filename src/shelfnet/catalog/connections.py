"""One database connection per thread, opened on first use and all closed together.

Both stores run their SQL in the backend's thread pool; database connections must not be
shared between threads, so each thread gets its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class PerThread(Generic[C]):
    def __init__(
        self, open_connection: Callable[[], C], usable: Callable[[C], bool] = lambda _: True
    ) -> None:
        self._open = open_connection
        self._usable = usable
        self._local = threading.local()
        self._all: list[C] = []
        self._lock = threading.Lock()

    def get(self) -> C:
        """This thread's connection (a new one when it has none, or its old one broke)."""
        connection: C | None = getattr(self._local, "connection", None)
        if connection is None or not self._usable(connection):
            connection = self._open()
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def close_all(self) -> None:
        """Close every thread's connection; a later ``get`` opens new ones."""
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()
