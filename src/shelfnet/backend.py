"""The one interface every server front end (Z39.50, SRU) asks for records.

A front end speaks its protocol; a ``Backend`` answers in protocol-neutral terms: a search is a
type-1 query tree (``shelfnet.query.rpn``) against named databases, its result is a list of
record ids, and records are fetched by id in a record syntax and element set. Errors are
``BackendError`` carrying a Bib-1 diagnostic, which Z39.50 sends as is and SRU maps to its own
diagnostics. The local catalogue (``shelfnet.catalog``) is one backend; others can follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shelfnet.query.rpn import Query, Term
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.events import ScanEntry, SortKey
from shelfnet.z3950.records import Record


class BackendError(Exception):
    """A request the backend cannot answer, with the Bib-1 diagnostic that says why."""

    def __init__(self, code: int, addinfo: str = "") -> None:
        self.diagnostic = Diagnostic(code, addinfo)
        super().__init__(str(self.diagnostic))


@dataclass(frozen=True)
class Credentials:
    """Who is asking, as the front end learnt it (Z39.50 idAuthentication, HTTP auth)."""

    user: str | None = None
    password: str | None = None
    group: str | None = None
    peer: str = ""
    """The client's network address, for logs and address-based rules."""


@dataclass(frozen=True)
class SearchResult:
    """What a search found: record ids in result order (ranked, or as stored)."""

    ids: Sequence[int]
    databases: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ScanResult:
    """Index terms in order, and where the start term stands among them."""

    entries: list[ScanEntry]
    position: int
    """Where the start term (or the first term after it) stands in ``entries``, 1-based;
    ``len(entries) + 1`` when every entry precedes it."""


@dataclass(frozen=True)
class FetchedRecord:
    """One record in the requested syntax, or the diagnostic standing in for it."""

    record: Record
    id: int | None = None


@dataclass(frozen=True)
class BackendInfo:
    """What a front end may tell clients about the backend (Init response, SRU explain)."""

    name: str = "shelfnet"
    databases: tuple[str, ...] = ("Default",)
    record_syntaxes: tuple[str, ...] = ()
    """OIDs the backend can deliver, preferred first."""
    element_sets: tuple[str, ...] = ("F", "B")
    indexes: dict[str, int] = field(default_factory=dict)
    """Index names (as CQL and scan know them) and their Bib-1 use attribute."""


class Backend(Protocol):
    """The operations of Z39.50 and SRU, protocol-neutral. Every method may raise
    ``BackendError``; none may raise anything else for bad client input."""

    def info(self) -> BackendInfo: ...

    async def authenticate(self, credentials: Credentials) -> bool:
        """Whether these credentials may use the backend (False: Bib-1 1011 at Init)."""
        ...

    async def search(self, databases: Sequence[str], query: Query) -> SearchResult: ...

    async def fetch(
        self, ids: Sequence[int], syntax: str, element_set: str | None
    ) -> list[FetchedRecord]:
        """Records by id, in the order given, in record syntax ``syntax`` (an OID)."""
        ...

    async def scan(
        self, databases: Sequence[str], start: Term, number: int, position: int
    ) -> ScanResult:
        """Index terms around ``start``, which should stand at 1-based ``position``."""
        ...

    async def sort(self, result: SearchResult, keys: Sequence[SortKey]) -> SearchResult: ...
