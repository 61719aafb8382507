"""The holdings look-up's query and page, with a stand-in search (the real catalogues are
in tests/interop/test_ill_holdings.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.holdings import HoldingsLookup, holdings_query, install, isbn_forms
from shelfnet.ill.model import Citation
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from shelfnet.search.engine import (
    Event,
    Phase,
    SearchLimits,
    SearchQuery,
    StatusChanged,
    TargetStatus,
)
from shelfnet.search.targets import TargetSpec


def test_the_most_precise_identifier_is_searched() -> None:
    assert isbn_forms("0-306-40615-2") == ["0306406152", "9780306406157"]
    assert isbn_forms("9780306406157") == ["9780306406157", "0306406152"]
    assert isbn_forms("979-10-90636-07-1") == ["9791090636071"]
    assert isbn_forms("12345") == []
    query = holdings_query(Citation(title="T", isbn="0306406152", issn="0028-0836"))
    assert query is not None and query.pqf == "@or @attr 1=7 0306406152 @attr 1=7 9780306406157"
    issn = holdings_query(Citation(journal_title="Nature", issn="00280836"))
    assert issn is not None and issn.pqf == "@attr 1=8 0028-0836"
    oclc = holdings_query(Citation(title="T", oclc_number="(OCoLC)00012345"))
    assert oclc is not None and oclc.pqf == "@attr 1=1211 12345"


def test_without_numbers_the_title_words_and_surname_are_searched() -> None:
    query = holdings_query(Citation(title='The "Guns" of August / by B.', author="Tuchman, B."))
    assert query is not None
    assert query.pqf == '@and @attr 1=4 @attr 4=6 "Guns August" @attr 1=1003 @attr 4=6 "Tuchman"'
    article = holdings_query(
        Citation(journal_title="Library Trends", article_title="x", author="Ray")
    )
    assert article is not None and article.pqf == '@attr 1=4 @attr 4=6 "Library Trends"'
    assert holdings_query(Citation()) is None


async def _answers(
    targets: Sequence[TargetSpec], query: SearchQuery, limits: SearchLimits
) -> AsyncIterator[Event]:
    for target in targets:
        hits = 2 if target.name == "ours" else 0
        yield StatusChanged(TargetStatus(target, Phase.DONE, hits=hits))


def test_the_page_shows_each_catalogues_answer(
    app: FastAPI, staff_client: TestClient, ill_store: IllStore
) -> None:
    lookup = HoldingsLookup(
        TargetSpec("ours", "127.0.0.1:9/local"), [TargetSpec("<b>partner</b>", "127.0.0.1:9/p")],
        search=_answers,
    )  # fmt: skip
    install(app, lookup)
    number = ill_store.queue(Status.REQUEST_SENT)[0].id
    page = staff_client.get(f"/staff/transactions/{number}").text
    assert f'href="/staff/transactions/{number}/holdings"' in page, "works without the script"
    html = staff_client.get(f"/staff/transactions/{number}/holdings?fragment=1").text
    assert "We already own this." in html
    assert "&lt;b&gt;partner&lt;/b&gt;" in html


def test_a_citation_with_nothing_to_search_by_says_so(
    app: FastAPI, staff_client: TestClient, ill_store: IllStore
) -> None:
    install(app, HoldingsLookup(TargetSpec("ours", "127.0.0.1:9/local"), search=_answers))
    number = ill_store.queue(Status.REQUEST_SENT)[0].id
    transaction = ill_store.get_transaction(number)
    from dataclasses import replace

    ill_store.update_transaction(replace(transaction, citation=Citation(title="the")), "admin")
    html = staff_client.get(f"/staff/transactions/{number}/holdings").text
    assert "The request has no ISBN, ISSN, OCLC number or title to look up." in html


def test_without_a_lookup_the_page_says_it_is_not_set_up(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    number = ill_store.queue(Status.REQUEST_SENT)[0].id
    html = staff_client.get(f"/staff/transactions/{number}/holdings?fragment=1").text
    assert "Holdings look-up is not set up" in html
