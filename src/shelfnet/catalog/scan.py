"""Scan: index terms in order around a start term, with the number of records holding each.

The start term's attributes choose the index: the use attribute as in search, and the kind
of term: whole headings for structure phrase (1), normalised name (101) and completeness
complete field (3), whole subfields for complete subfield (2), words otherwise. Headings
come with their display form (as catalogued) beside the folded term a client searches with.

``position`` is Z39.50's preferred position in response: the first term at or after the
start term stands at that 1-based place, preceded by up to ``position - 1`` terms. Where
fewer terms precede it, the list is filled from after it, and the actual position (as a
Scan response reports it) is returned with the entries.
"""

from __future__ import annotations

from shelfnet.backend import BackendError, ScanResult
from shelfnet.catalog.indexing import Kind, query_heading
from shelfnet.catalog.search import ALL_RECORDS, attributes
from shelfnet.catalog.store import CatalogStore, TermCount
from shelfnet.query.rpn import BIB1, Term
from shelfnet.z3950.events import ScanEntry

MAX_ENTRIES = 1000
"""Most entries one scan returns, whatever the client asked for."""
_HEADING_STRUCTURES = frozenset({1, 101})


def scan_index(
    store: CatalogStore, start: Term, number: int, position: int, attribute_set: str = BIB1
) -> ScanResult:
    """The scan list for ``start``; BackendError for what cannot be scanned."""
    if number < 0:
        raise BackendError(228, f"number of entries {number}")
    if not 1 <= position <= number + 1:
        raise BackendError(233, str(position))
    attrs = attributes(start, attribute_set)
    if attrs.use == ALL_RECORDS or not isinstance(attrs.use, int):
        raise BackendError(114, str(attrs.use))
    kind = _kind(attrs.structure, attrs.completeness)
    wanted = min(number, MAX_ENTRIES)
    if wanted == 0:
        return ScanResult([], position)
    term = query_heading(attrs.use, start.term)
    preceding, following = store.scan(attrs.use, kind, term, min(position - 1, wanted), wanted)
    following = following[: wanted - len(preceding)]
    entries = [_entry(t) for t in reversed(preceding)] + [_entry(t) for t in following]
    return ScanResult(entries, len(preceding) + 1)


def _kind(structure: int | None, completeness: int) -> Kind:
    if completeness == 2:
        return Kind.SUBFIELD
    if completeness == 3 or structure in _HEADING_STRUCTURES:
        return Kind.FIELD
    if structure not in (None, 2, 6, 4, 109):
        raise BackendError(118, str(structure))
    return Kind.WORD


def _entry(term: TermCount) -> ScanEntry:
    return ScanEntry(term=term.term, count=term.records, display_term=term.display)
