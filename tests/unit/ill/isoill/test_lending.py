"""An incoming ILL-Request as a lending transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shelfnet.ill.model import DocumentType, ProcessType, RequestType, SystemId
from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill.lending import draft_from_request, request_summary

REQUEST = a.IllRequest(
    transaction_id=a.TransactionId(
        initial_requester=a.SystemId("US-REQ"), group_qualifier="G", qualifier="42"
    ),
    service_date_time=a.ServiceDateTime("20240102"),
    requester_id=a.SystemId("US-REQ", "Requesting Library"),
    service_types=(a.ServiceType.COPY_NON_RETURNABLE,),
    item_id=a.ItemId(
        item_type=a.ItemType.SERIAL,
        title="Journal of Tests",
        title_of_article="On testing",
        author_of_article="Doe, J.",
        volume_issue="12(3)",
        pagination="1-10",
        issn="1234-5678",
        publication_date="2020",
    ),
    search_type=a.SearchType(need_before_date="20240301"),
    cost_info=a.CostInfo(maximum_cost=a.Amount(monetary_value="25.00", currency_code="USD")),
    client_id=a.ClientId(name="Pat Ron"),
    note="please hurry",
)


def test_a_copy_of_an_article_becomes_a_lending_article_copy() -> None:
    draft = draft_from_request(REQUEST)
    assert draft.process_type is ProcessType.LENDING
    assert draft.request_type is RequestType.COPY
    assert draft.document_type is DocumentType.ARTICLE
    assert draft.partner == "US-REQ"
    assert draft.external_id == "G/42"
    assert draft.system_id is SystemId.ISOILL
    citation = draft.citation
    assert (citation.journal_title, citation.article_title) == ("Journal of Tests", "On testing")
    assert (citation.volume, citation.pages, citation.issn) == ("12(3)", "1-10", "1234-5678")
    assert citation.not_wanted_after == date(2024, 3, 1)
    assert citation.max_cost == Decimal("25.00")


def test_what_the_draft_cannot_hold_is_in_the_summary() -> None:
    summary = dict(request_summary(REQUEST))
    assert summary["Client"] == "Pat Ron"
    assert summary["Requester note"] == "please hurry"
    assert summary["Service types"] == "copy-non-returnable"
