"""The rule of five: per journal and calendar year of the request, five recent articles
within the guidelines, the sixth on held for clearance; older articles counted apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from shelfnet.ill.copyright import (
    assess,
    journal_key,
    normalise_issn,
    normalise_title,
    publication_year,
    report,
    within_window,
)
from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    Transaction,
)
from shelfnet.ill.workflow import Status
from tests.unit.ill.factories import article, transaction

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def requests(count: int, citation: Citation, start: datetime = START) -> list[Transaction]:
    return [
        transaction(citation=citation, created=start + timedelta(days=day)) for day in range(count)
    ]


def test_journals_are_known_by_issn_else_by_normalised_title() -> None:
    assert normalise_issn("0028 0836") == "0028-0836"
    assert normalise_issn("1234-567x") == "1234-567X"
    assert normalise_issn("12345") == ""
    assert (
        normalise_title("The  Journal of Physical Chemistry. A")
        == "journal of physical chemistry a"
    )
    assert normalise_title("Revue d'Économie") == "revue d economie"
    assert journal_key(article("Nature", "0028-0836")) == "issn:0028-0836"
    assert journal_key(article("The Lancet")) == journal_key(article("Lancet."))
    assert journal_key(Citation()) == ""


def test_the_year_is_the_first_plausible_one() -> None:
    assert publication_year(article(year="Spring 2019")) == 2019
    assert publication_year(article(year="vol. 12")) is None


@pytest.mark.parametrize(
    ("year", "recent"),
    [("2019", True), ("2018", False), ("2024", True), ("", True), ("1999", False)],
)
def test_the_five_year_window(year: str, recent: bool) -> None:
    assert within_window(article(year=year), date(2024, 1, 1)) is recent


def test_five_recent_articles_are_within_the_guidelines_the_sixth_needs_clearance() -> None:
    made = requests(6, article())
    assessed = [assess(candidate, made) for candidate in made]
    assert [a.position for a in assessed] == [1, 2, 3, 4, 5, 6]
    assert [a.needs_clearance for a in assessed] == [False] * 5 + [True]
    assert assessed[0].compliance is CopyrightCompliance.CCG
    assert "request 6 in 2024" in assessed[5].reason


def test_a_cleared_sixth_request_goes_ahead_beyond_the_guidelines() -> None:
    made = requests(6, article())
    cleared = replace(made[5], copyright_cleared=True)
    assessment = assess(cleared, made)
    assert not assessment.needs_clearance
    assert assessment.compliance is CopyrightCompliance.CCL


def test_counting_starts_again_in_a_new_calendar_year() -> None:
    december = requests(5, article(), datetime(2023, 12, 27, tzinfo=UTC))
    january = transaction(citation=article(), created=datetime(2024, 1, 1, tzinfo=UTC))
    assert assess(january, [*december, january]).position == 1
    new_years_eve = transaction(citation=article(), created=datetime(2023, 12, 31, 23, tzinfo=UTC))
    assert assess(new_years_eve, [*december, new_years_eve]).needs_clearance


def test_older_articles_do_not_count_and_are_ccl() -> None:
    old = requests(6, article(year="2010"))
    assert all(assess(candidate, old) == assess(old[0], old) for candidate in old)
    assert assess(old[5], old).compliance is CopyrightCompliance.CCL
    recent = transaction(citation=article(), created=START + timedelta(days=30))
    assert assess(recent, [*old, recent]).position == 1


def test_the_window_is_measured_from_each_request() -> None:
    # Published 2018: recent for a request in 2023, old for one in 2024.
    in_2023 = requests(5, article(year="2018"), datetime(2023, 2, 1, tzinfo=UTC))
    late = transaction(citation=article(year="2018"), created=datetime(2023, 6, 1, tzinfo=UTC))
    assert assess(late, [*in_2023, late]).needs_clearance
    in_2024 = transaction(citation=article(year="2018"), created=START)
    assert assess(in_2024, [in_2024]).compliance is CopyrightCompliance.CCL


def test_other_journals_cancelled_and_later_requests_do_not_count() -> None:
    made = requests(5, article())
    others = requests(5, article("Another Journal"))
    cancelled = [replace(t, status=Status.CANCELLED_BY_CUSTOMER) for t in requests(5, article())]
    sixth = transaction(citation=article(), created=START + timedelta(days=10))
    later = requests(3, article(), START + timedelta(days=20))
    assert assess(sixth, [*made, *others, *cancelled, *later, sixth]).position == 6
    assert assess(sixth, [*made[:4], *others, *cancelled, *later]).position == 5


@pytest.mark.parametrize(
    ("process", "request_type", "document"),
    [
        (ProcessType.LENDING, RequestType.COPY, DocumentType.ARTICLE),
        (ProcessType.DOCUMENT_DELIVERY, RequestType.COPY, DocumentType.ARTICLE),
        (ProcessType.BORROWING, RequestType.LOAN, DocumentType.ARTICLE),
        (ProcessType.BORROWING, RequestType.COPY, DocumentType.BOOK_CHAPTER),
    ],
)
def test_only_borrowing_copies_of_articles_are_subject(
    process: ProcessType, request_type: RequestType, document: DocumentType
) -> None:
    made = [transaction(process, request_type, document, citation=article()) for _ in range(8)]
    assert not any(assess(candidate, made).needs_clearance for candidate in made)


def test_the_report_counts_per_journal_and_year_and_flags_the_excess() -> None:
    made = [
        *requests(7, article("Nature", "0028-0836")),
        *requests(2, article("Nature", "0028-0836", year="2001")),
        *requests(3, article("Cell")),
        *requests(1, article("Cell"), datetime(2023, 5, 1, tzinfo=UTC)),
    ]
    rows = report(made)
    assert [(r.journal_key, r.year, r.within_guidelines, r.older, r.exceeds) for r in rows] == [
        ("title:cell", 2023, 1, 0, False),
        ("issn:0028-0836", 2024, 7, 2, True),
        ("title:cell", 2024, 3, 0, False),
    ]
    assert rows[1].journal_title == "Nature"
