"""The CONTU guidelines' "rule of five" for borrowing copies of journal articles.

In one calendar year a library may borrow copies of up to five articles from one journal
published within the five years before the request without further ado (CCG: complies with
the guidelines). The sixth and later need permission or a royalty payment first: they wait
in "Awaiting Copyright Clearance". Articles older than five years fall outside the guidelines
and are counted separately (CCL: complies with copyright law, e.g. fair use).

A journal is known by its ISSN, else by its normalised title; a request's year is the
calendar year (UTC) it was made in. Cancelled requests do not count. Everything here is a
pure function over transactions; the store finds the earlier requests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    Transaction,
)
from shelfnet.ill.workflow import CANCELLED

RULE_OF_FIVE = 5
"""Requests per journal and year within the guidelines."""
WINDOW_YEARS = 5
"""How old (in years before the request) an article may be for the guidelines to count it."""

_LEADING_ARTICLE = re.compile(r"^(the|a|an|der|die|das|le|la|les|el|los)\s+")


def normalise_issn(issn: str) -> str:
    """``1234-567X`` from any spelling of an ISSN; empty when it is not eight characters."""
    characters = re.sub(r"[^0-9Xx]", "", issn).upper()
    return f"{characters[:4]}-{characters[4:]}" if len(characters) == 8 else ""


def normalise_title(title: str) -> str:
    """A journal title folded so that spellings of one title meet: case, accents,
    punctuation, a leading article and spacing do not count."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[\W_]+", " ", letters).strip()
    return _LEADING_ARTICLE.sub("", words)


def journal_key(citation: Citation) -> str:
    """The journal a copy is counted against: ``issn:`` its ISSN, else ``title:`` its
    normalised title; empty when the citation names no journal."""
    issn = normalise_issn(citation.issn)
    if issn:
        return f"issn:{issn}"
    title = normalise_title(citation.journal_title)
    return f"title:{title}" if title else ""


def publication_year(citation: Citation) -> int | None:
    """The first plausible year in the citation's year field ("2019", "Spring 2019")."""
    found = re.search(r"\b(1[5-9]\d\d|2\d\d\d)\b", citation.year)
    return int(found.group(1)) if found else None


def within_window(citation: Citation, requested: date) -> bool:
    """Published within the five years before the request; an unknown year counts, so that
    doubt falls on the side of the guidelines."""
    year = publication_year(citation)
    return year is None or year >= requested.year - WINDOW_YEARS


def subject_to_rule(transaction: Transaction) -> bool:
    """A borrowing copy of a journal article that was not cancelled."""
    return (
        transaction.process_type is ProcessType.BORROWING
        and transaction.request_type is RequestType.COPY
        and transaction.document_type is DocumentType.ARTICLE
        and transaction.status not in CANCELLED
        and bool(journal_key(transaction.citation))
    )


@dataclass(frozen=True)
class Assessment:
    compliance: CopyrightCompliance
    needs_clearance: bool
    position: int = 0
    """The request's number among this year's recent articles from the journal (0: not
    counted)."""
    reason: str = ""


def assess(candidate: Transaction, others: Iterable[Transaction]) -> Assessment:
    """Where the candidate stands under the rule of five, given the library's other requests
    (any; those that do not count are ignored). Earlier means made before the candidate:
    created earlier, or at the same time with a lower transaction number."""
    if not subject_to_rule(candidate):
        return Assessment(candidate.citation.copyright_compliance, False)
    requested = candidate.created.date()
    if not within_window(candidate.citation, requested):
        return Assessment(CopyrightCompliance.CCL, False, reason="older than five years")
    key = journal_key(candidate.citation)
    earlier = [
        other
        for other in others
        if other.id != candidate.id
        and (other.created, other.id) < (candidate.created, candidate.id)
        and other.created.year == requested.year
        and subject_to_rule(other)
        and journal_key(other.citation) == key
        and within_window(other.citation, other.created.date())
    ]
    position = len(earlier) + 1
    if position <= RULE_OF_FIVE:
        return Assessment(CopyrightCompliance.CCG, False, position)
    reason = (
        f"request {position} in {requested.year} for a recent article from "
        f"{candidate.citation.journal_title or key}: beyond the rule of five"
    )
    if candidate.copyright_cleared:
        return Assessment(CopyrightCompliance.CCL, False, position, reason)
    return Assessment(CopyrightCompliance.NONE, True, position, reason)


@dataclass(frozen=True)
class ReportRow:
    """One journal in one year."""

    journal_key: str
    journal_title: str
    """As first cited that year."""
    year: int
    within_guidelines: int
    """Requests for articles published within five years before the request."""
    older: int
    """Requests for older articles (CCL, counted apart)."""

    @property
    def exceeds(self) -> bool:
        return self.within_guidelines > RULE_OF_FIVE


def report(transactions: Iterable[Transaction]) -> list[ReportRow]:
    """Per journal and calendar year: how many requests counted, by year then journal."""
    counts: dict[tuple[int, str], list[int]] = {}
    titles: dict[tuple[int, str], str] = {}
    for transaction in sorted(transactions, key=lambda t: (t.created, t.id)):
        if not subject_to_rule(transaction):
            continue
        group = (transaction.created.year, journal_key(transaction.citation))
        titles.setdefault(group, transaction.citation.journal_title)
        tally = counts.setdefault(group, [0, 0])
        recent = within_window(transaction.citation, transaction.created.date())
        tally[0 if recent else 1] += 1
    return [
        ReportRow(key, titles[(year, key)], year, recent, older)
        for (year, key), (recent, older) in sorted(counts.items())
    ]
