"""The local catalogue as a ``shelfnet.backend.Backend`` for the Z39.50 and SRU servers.

One catalogue (an SQLite file or a PostgreSQL database) is one database; clients may call it
by any of ``databases`` (compared without regard to case). SQL and record formatting run on
a few worker threads of the backend's own (``workers.py``), each with its own database
connection, so the event loop never waits on the disk and searches run side by side.

``authenticate`` lets everyone in unless the backend was given ``users`` (name to plain
password, as the settings file holds them); then only those users, with their password.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from shelfnet.backend import (
    BackendError,
    BackendInfo,
    Credentials,
    FetchedRecord,
    ScanResult,
    SearchResult,
)
from shelfnet.catalog import formats
from shelfnet.catalog.indexing import INDEXING_VERSION, index_names
from shelfnet.catalog.scan import scan_index
from shelfnet.catalog.search import run_search
from shelfnet.catalog.sort import sort_ids
from shelfnet.catalog.store import StoreError, open_store
from shelfnet.catalog.workers import Workers
from shelfnet.query.rpn import Query, Term
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.events import SortKey
from shelfnet.z3950.records import Record

_T = TypeVar("_T")
DEFAULT_WORKERS = 8


class CatalogBackend:
    """Search, fetch, scan and sort over one catalogue: a file path or a database URL."""

    def __init__(
        self,
        location: str | os.PathLike[str],
        *,
        databases: Sequence[str] = ("Default",),
        users: Mapping[str, str] | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        if not databases:
            raise ValueError("a catalogue needs at least one database name")
        self.store = open_store(location)
        if self.store.indexing_version != INDEXING_VERSION and self.store.count():
            self.store.close()
            raise StoreError(
                f"{location} was indexed by other rules: run 'shelfnet catalog reindex' first"
            )
        self.databases = tuple(databases)
        self._names = {name.casefold() for name in databases}
        self._users = dict(users) if users is not None else None
        self._workers = Workers(workers, "catalog")

    def close(self) -> None:
        self._workers.shutdown()
        self.store.close()

    def info(self) -> BackendInfo:
        return BackendInfo(
            name="shelfnet catalogue",
            databases=self.databases,
            record_syntaxes=formats.SYNTAXES,
            element_sets=(formats.FULL, formats.BRIEF),
            indexes=index_names(),
        )

    async def authenticate(self, credentials: Credentials) -> bool:
        if self._users is None:
            return True
        if credentials.user is None or credentials.user not in self._users:
            return False
        expected = self._users[credentials.user].encode()
        return hmac.compare_digest(expected, (credentials.password or "").encode())

    async def search(self, databases: Sequence[str], query: Query) -> SearchResult:
        self._check_databases(databases)
        ids = await self._run(run_search, self.store, query)
        return SearchResult(ids=ids, databases=tuple(databases) or self.databases[:1])

    async def fetch(
        self, ids: Sequence[int], syntax: str, element_set: str | None
    ) -> list[FetchedRecord]:
        element_set_name = formats.element_set_name(element_set)
        return await self._run(self._fetch, list(ids), syntax, element_set_name)

    def _fetch(self, ids: list[int], syntax: str, element_set: str) -> list[FetchedRecord]:
        stored = self.store.records(ids)
        database = self.databases[0]
        fetched = []
        for record_id in ids:
            found = stored.get(record_id)
            record = (
                formats.render(found, syntax, element_set, database)
                if found is not None
                else Record(
                    syntax="",
                    database=database,
                    diagnostic=Diagnostic(14, f"record {record_id} has been deleted"),
                )
            )
            fetched.append(FetchedRecord(record, record_id))
        return fetched

    async def scan(
        self, databases: Sequence[str], start: Term, number: int, position: int
    ) -> ScanResult:
        self._check_databases(databases)
        return await self._run(scan_index, self.store, start, number, position)

    async def sort(self, result: SearchResult, keys: Sequence[SortKey]) -> SearchResult:
        ids = await self._run(sort_ids, self.store, list(result.ids), list(keys))
        return SearchResult(ids=ids, databases=result.databases)

    def _check_databases(self, databases: Sequence[str]) -> None:
        for name in databases:
            if name.casefold() not in self._names:
                raise BackendError(109, name)

    async def _run(self, function: Callable[..., _T], *args: object) -> _T:
        failures: tuple[type[Exception], ...] = (*self.store.errors, StoreError)
        try:
            return await self._workers.run(function, *args)
        except self.store.transient_errors as exc:
            # Busy or locked beyond the timeout, disk full, connection lost: worth trying
            # again later.
            raise BackendError(2, str(exc)) from exc
        except failures as exc:
            raise BackendError(1, str(exc)) from exc
