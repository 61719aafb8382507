"""Hand-made transactions and patrons for the pure tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shelfnet.ill.model import (
    Citation,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    Transaction,
)
from shelfnet.ill.workflow import INITIAL

_numbers = iter(range(1, 1_000_000))


def transaction(
    process: ProcessType = ProcessType.BORROWING,
    request: RequestType = RequestType.COPY,
    document: DocumentType = DocumentType.ARTICLE,
    *,
    created: datetime = datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
    citation: Citation | None = None,
    **changes: object,
) -> Transaction:
    made = Transaction(
        id=next(_numbers),
        process_type=process,
        request_type=request,
        document_type=document,
        status=INITIAL[process],
        citation=citation or Citation(),
        patron_id=None,
        lender_string=(),
        partner=None,
        external_id="",
        due_date=None,
        cost=None,
        fee=None,
        system_id=SystemId.WEB,
        copyright_cleared=False,
        created=created,
        updated=created,
        version=1,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def article(journal: str = "Journal of Things", issn: str = "", year: str = "2023") -> Citation:
    return Citation(journal_title=journal, issn=issn, article_title="On things", year=year)
