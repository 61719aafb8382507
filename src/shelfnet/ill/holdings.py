"""Holdings look-up for a request being processed: who has this item?

Staff processing a borrowing request first ask whether the library owns it already (then it
goes to document delivery, not to a partner), then which partners have it (for the lender
string). `HoldingsLookup` asks the local catalogue and the partners' catalogues at once,
through the federated search (``shelfnet.search.engine``), with short timeouts: a slow
partner costs a few seconds, never the page.

The query is the most precise the citation allows: ISBN (both the 10- and 13-digit forms),
else ISSN, else OCLC number, else title words (and the author's surname). Each target
answers with its hit count and the titles of its first records, so staff can tell a real
match from a near one.

The web app keeps one lookup in ``app.state.ill_holdings`` (``install``); without one, the
staff pages say that look-ups are not set up.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shelfnet.ill.copyright import normalise_issn
from shelfnet.ill.model import Citation
from shelfnet.search.engine import (
    Event,
    RecordsFound,
    SearchLimits,
    SearchQuery,
    StatusChanged,
    federated_search,
)
from shelfnet.search.engine import Language as QueryLanguage
from shelfnet.search.targets import TargetSpec

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shelfnet.directory.store import DirectoryStore

SearchFunction = Callable[[Sequence[TargetSpec], SearchQuery, SearchLimits], AsyncIterator[Event]]
"""``federated_search`` or a stand-in with its signature."""

PARTNER_GROUP = "ill-partners"
"""The directory group whose targets are the partners' catalogues."""
LOCAL_NAME = "our catalogue"
NOT_SET_UP = (
    "Holdings look-up is not set up: the server knows neither the local catalogue's address "
    "nor any partner catalogue."
)
QUICK = SearchLimits(concurrency=16, connect_timeout=3.0, timeout=5.0, max_records=3, chunk=3)
"""Short timeouts: staff wait for the answer."""
TITLE_WORDS = 6
"""Title words searched at most (subtitles and long titles only lose hits)."""

_WORD = re.compile(r"\w+")
_MINOR = frozenset({"a", "an", "and", "the", "of", "in", "on", "for", "to", "der", "die", "le"})


@dataclass(frozen=True)
class HoldingsQuery:
    """What is searched, as PQF, and a sentence saying so."""

    pqf: str
    described: str


@dataclass(frozen=True)
class TargetHoldings:
    """One catalogue's answer."""

    name: str
    address: str
    own: bool
    """Our own catalogue."""
    hits: int | None = None
    """None: it did not answer (see ``error``)."""
    error: str | None = None
    titles: tuple[str, ...] = ()
    """Titles of the first records, to tell a match from a near one."""


@dataclass(frozen=True)
class Holdings:
    query: HoldingsQuery
    targets: tuple[TargetHoldings, ...]

    @property
    def owned(self) -> bool:
        """Our own catalogue has it."""
        return any(target.own and target.hits for target in self.targets)

    @property
    def partners_holding(self) -> list[TargetHoldings]:
        return [target for target in self.targets if not target.own and target.hits]


def isbn_forms(isbn: str) -> list[str]:
    """The ISBN as written in catalogues: its 10- and 13-digit forms where both exist; empty
    when it is not an ISBN."""
    characters = re.sub(r"[^0-9Xx]", "", isbn).upper()
    if len(characters) == 10 and characters[:9].isdigit():
        body = "978" + characters[:9]
        return [characters, body + _isbn13_check(body)]
    if len(characters) == 13 and characters.isdigit():
        if characters.startswith("978"):
            body = characters[3:12]
            return [characters, body + _isbn10_check(body)]
        return [characters]
    return []


def _isbn13_check(body: str) -> str:
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(body))
    return str((10 - total % 10) % 10)


def _isbn10_check(body: str) -> str:
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(body))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def holdings_query(citation: Citation) -> HoldingsQuery | None:
    """The search for the cited item, most precise first; None when the citation gives
    nothing to search by."""
    if forms := isbn_forms(citation.isbn):
        return HoldingsQuery(_any_of(7, forms), f"ISBN {' or '.join(forms)}")
    if issn := normalise_issn(citation.issn):
        return HoldingsQuery(f"@attr 1=8 {issn}", f"ISSN {issn}")
    oclc = re.sub(r"\D", "", citation.oclc_number)
    if oclc:
        return HoldingsQuery(f"@attr 1=1211 {oclc.lstrip('0') or '0'}", f"OCLC number {oclc}")
    return _title_query(citation)


def _any_of(use: int, terms: Sequence[str]) -> str:
    clauses = [f"@attr 1={use} {term}" for term in terms]
    return "@or " * (len(clauses) - 1) + " ".join(clauses)


def _title_query(citation: Citation) -> HoldingsQuery | None:
    # An article is found by its journal; a chapter by its book.
    title = citation.journal_title or citation.title
    words = [word for word in _WORD.findall(title.split(" / ")[0]) if word.casefold()]
    significant = [word for word in words if word.casefold() not in _MINOR][:TITLE_WORDS]
    if not significant:
        return None
    phrase = " ".join(significant)
    query = f'@attr 1=4 @attr 4=6 "{phrase}"'
    described = f"title words “{phrase}”"
    author = citation.author if not citation.journal_title else ""
    surname = _WORD.findall(author.split(",")[0])
    if surname:
        query = f'@and {query} @attr 1=1003 @attr 4=6 "{surname[0]}"'
        described += f" and author “{surname[0]}”"
    return HoldingsQuery(query, described)


@dataclass
class HoldingsLookup:
    """Where holdings are looked up: our catalogue and the partners' catalogues."""

    local: TargetSpec | None = None
    partners: Sequence[TargetSpec] = ()
    limits: SearchLimits = QUICK
    search: SearchFunction = field(default=federated_search)

    @property
    def enabled(self) -> bool:
        return self.local is not None or bool(self.partners)

    async def look_up(self, citation: Citation) -> Holdings | None:
        """Every target's answer, ours first; None when the citation gives nothing to search
        by. Targets that fail or time out answer with their error."""
        query = holdings_query(citation)
        if query is None:
            return None
        local = [] if self.local is None else [self.local]
        targets = [*local, *self.partners]
        answers = {
            spec.name: TargetHoldings(spec.name, spec.address, own=spec in local)
            for spec in targets
        }
        search = SearchQuery(query.pqf, QueryLanguage.PQF)
        async for event in self.search(targets, search, self.limits):
            if isinstance(event, StatusChanged):
                status = event.status
                before = answers[status.target.name]
                answers[status.target.name] = TargetHoldings(
                    before.name, before.address, before.own, status.hits, status.error,
                    before.titles,
                )  # fmt: skip
            elif isinstance(event, RecordsFound):
                before = answers[event.target]
                titles = tuple(_title(found.record) for found in event.records)
                answers[event.target] = TargetHoldings(
                    before.name, before.address, before.own, before.hits, before.error,
                    before.titles + titles,
                )  # fmt: skip
        return Holdings(query, tuple(answers.values()))


def _title(record: object) -> str:
    title = getattr(record, "title", None)
    return str(title).rstrip(" /:;,.") if title else "(no title)"


def partners_from_directory(store: DirectoryStore, group: str = PARTNER_GROUP) -> list[TargetSpec]:
    """The active targets of a directory group, as search targets."""
    from shelfnet.directory.model import TargetStatus

    specs = []
    for stored in store.targets(group=group, status=TargetStatus.ACTIVE):
        target = stored.target
        auth = target.authentication
        specs.append(
            TargetSpec(
                target.label,
                str(target.address),
                user=auth.user or None,
                password=auth.password or None,
            )
        )
    return specs


def configured_lookup(
    local: str | None, directory: str | Path | None = None, *, group: str = PARTNER_GROUP
) -> HoldingsLookup:
    """The look-up ``shelfnet serve`` uses: the local catalogue at ``local`` (its Z39.50
    ``host:port/db`` or SRU base URL; ``web.app.local_address`` says where) and the targets in
    the ``group`` of the directory at ``directory`` (none while there is no directory)."""
    from shelfnet.database import is_database_url
    from shelfnet.directory.store import open_store

    local_spec = TargetSpec(LOCAL_NAME, local) if local else None
    partners: list[TargetSpec] = []
    if directory is not None and (is_database_url(directory) or Path(directory).is_file()):
        with open_store(directory) as store:
            partners = partners_from_directory(store, group)
    return HoldingsLookup(local_spec, partners)


def install(app: FastAPI, lookup: HoldingsLookup) -> None:
    """Give the staff pages their holdings look-up."""
    app.state.ill_holdings = lookup
