"""The request forms: one per kind of request, checked field by field, filled in from
OpenURL links, and what a sent form creates."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote, urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from shelfnet.ill.model import (
    ClearedState,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
)
from shelfnet.ill.store import IllStore
from shelfnet.web.patron_forms import KINDS
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, post_form

ARTICLE = {
    "journal_title": "Nature",
    "article_title": "Crystal structure of a catalyst",
    "article_author": "Chen, L.",
    "volume": "599",
    "issue": "7884",
    "year": "2021",
    "pages": "45-50",
    "issn": "0028-0836",
    "doi": "10.1038/s41586-021-04000-0",
    "copyright_ok": "yes",
}


def send(client: TestClient, kind: str, data: dict[str, str]) -> Response:
    return post_form(client, f"/ill/request/{kind}", f"/ill/request/{kind}", data)


def value_of(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="[a-z]+" value="([^"]*)"', html)
    assert found, f"no input {name}"
    return found[1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_request_has_its_form(patron_client: TestClient, kind: str) -> None:
    page = patron_client.get(f"/ill/request/{kind}")
    assert page.status_code == 200
    assert f'action="/ill/request/{kind}"' in page.text
    for field in KINDS[kind].fields:
        assert f'name="{field.name}"' in page.text
    assert 'name="not_wanted_after"' in page.text and 'name="max_cost"' in page.text
    copy = KINDS[kind].may_be_copy
    assert ('name="copyright_ok"' in page.text) is copy


def test_an_article_form_asks_for_the_articles_details(patron_client: TestClient) -> None:
    page = patron_client.get("/ill/request/article").text
    for label in ("Journal title", "Article title", "Article author", "Volume", "Issue",
                  "Month", "Year", "Pages", "ISSN", "DOI", "PubMed ID"):  # fmt: skip
        assert label in page
    assert "private study, scholarship or research" in page


def test_a_book_form_asks_whether_another_edition_will_do(patron_client: TestClient) -> None:
    page = patron_client.get("/ill/request/loan").text
    for label in ("Title", "Author", "Edition", "Publisher", "Place", "ISBN", "OCLC number"):
        assert label in page
    assert 'name="accept_alternate_edition" value="yes" checked' in page


def test_an_unknown_kind_of_request_is_not_found(patron_client: TestClient) -> None:
    assert patron_client.get("/ill/request/painting").status_code == 404


def test_a_sent_article_request_is_created_and_listed(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    answer = send(patron_client, "article", {**ARTICLE, "note": "Chapter 2 is enough"})
    assert answer.status_code == 303
    location = answer.headers["location"]
    found = re.fullmatch(r"/ill/requests/(\d+)\?done=created", location)
    assert found
    number = int(found[1])
    transaction = ill_store.get_transaction(number)
    patron = ill_store.find_patron("mjones")
    assert patron is not None and transaction.patron_id == patron.id
    assert transaction.process_type is ProcessType.BORROWING
    assert transaction.request_type is RequestType.COPY
    assert transaction.document_type is DocumentType.ARTICLE
    assert transaction.system_id is SystemId.WEB
    assert transaction.citation.article_title == "Crystal structure of a catalyst"
    assert transaction.citation.copyright_compliance is CopyrightCompliance.CCG
    assert transaction.history[0].by == "mjones"
    notes = ill_store.notes(number, patron_visible_only=True)
    assert [note.text for note in notes] == ["Chapter 2 is enough"]
    listed = patron_client.get("/ill/").text
    assert "Crystal structure of a catalyst" in listed
    assert transaction.status.display in listed
    assert transaction.status.display == "Awaiting Request Processing"


def test_a_sent_book_request_keeps_its_dates_money_and_edition_choice(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    answer = send(
        patron_client,
        "loan",
        {"title": "Montaillou", "author": "Le Roy Ladurie, E.", "isbn": "0-14-005471-5",
         "year": "1978", "not_wanted_after": "2999-12-31", "max_cost": "12.50"},
    )  # fmt: skip
    assert answer.status_code == 303
    number = int(answer.headers["location"].split("/")[-1].split("?")[0])
    transaction = ill_store.get_transaction(number)
    citation = transaction.citation
    assert transaction.request_type is RequestType.LOAN
    assert citation.isbn == "0140054715"
    assert str(citation.not_wanted_after) == "2999-12-31"
    assert str(citation.max_cost) == "12.50"
    assert citation.accept_alternate_edition is False, "the box was not ticked"
    assert citation.copyright_compliance is CopyrightCompliance.NONE


def test_other_requests_say_whether_they_are_loans_or_copies(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    answer = send(
        patron_client,
        "other",
        {"title": "A map of Lyon", "request_type": "copy", "copyright_ok": "yes"},
    )
    number = int(answer.headers["location"].split("/")[-1].split("?")[0])
    transaction = ill_store.get_transaction(number)
    assert transaction.request_type is RequestType.COPY
    assert transaction.document_type is DocumentType.OTHER


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        ("loan", {"title": ""}, "title", "Please give the title."),
        ("article", {**ARTICLE, "article_title": ""}, "article_title", "Please give the article"),
        ("article", {**ARTICLE, "journal_title": ""}, "journal_title", "Please give the journal"),
        ("loan", {"title": "T", "year": "78"}, "year", "four digits"),
        ("loan", {"title": "T", "isbn": "0-14-005471-6"}, "isbn", "check digit"),
        ("loan", {"title": "T", "isbn": "12345"}, "isbn", "10 or 13 digits"),
        ("article", {**ARTICLE, "issn": "0028-0837"}, "issn", "check digit"),
        ("article", {**ARTICLE, "doi": "nature.2021"}, "doi", "10."),
        ("loan", {"title": "T", "not_wanted_after": "2001-01-01"}, "not_wanted_after", "passed"),
        ("loan", {"title": "T", "not_wanted_after": "soon"}, "not_wanted_after", "year-month"),
        ("loan", {"title": "T", "max_cost": "-5"}, "max_cost", "amount"),
        ("loan", {"title": "T", "max_cost": "12.345"}, "max_cost", "amount"),
        ("loan", {"title": "x" * 1001}, "title", "1000 characters"),
        ("loan", {"title": "T", "note": "n" * 2001}, "note", "2000 characters"),
        ("article", {**ARTICLE, "copyright_ok": ""}, "copyright_ok", "Please confirm"),
    ],
)
def test_a_wrong_field_gets_its_message_and_the_form_keeps_what_was_typed(
    patron_client: TestClient,
    ill_store: IllStore,
    kind: str,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = len(ill_store.search(limit=1000))
    answer = send(
        patron_client, kind, {**data, "author": "Typed, Kept"} if kind == "loan" else data
    )
    assert answer.status_code == 400
    html = answer.text
    error = re.search(rf'<span class="error" id="e-{field}">([^<]*)</span>', html)
    assert error and message in error[1].replace("&#39;", "'")
    if kind == "loan":
        assert value_of(html, "author") == "Typed, Kept"
    else:
        assert value_of(html, "journal_title") == data["journal_title"]
    assert len(ill_store.search(limit=1000)) == before, "nothing was created"


def test_typed_markup_comes_back_as_text(patron_client: TestClient) -> None:
    answer = send(patron_client, "loan", {"title": "", "author": '"><script>alert(1)</script>'})
    html = answer.text
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_blocked_patron_cannot_send_a_request(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    ill_store.update_patron(replace(patron, cleared=ClearedState.BLOCKED))
    page = patron_client.get("/ill/request/loan")
    assert "may not request interlibrary loans" in page.text
    answer = send(patron_client, "loan", {"title": "Montaillou"})
    assert answer.status_code == 403
    assert "may not request interlibrary loans" in answer.text
    assert not any(item.title == "Montaillou" for item in ill_store.search("Montaillou"))


# OpenURL

JOURNAL_1_0 = urlencode(
    {
        "url_ver": "Z39.88-2004",
        "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
        "rfr_id": "info:sid/primo.exlibrisgroup.com",
        "rft.genre": "article",
        "rft.jtitle": "Journal of Organic Chemistry",
        "rft.atitle": "Flow synthesis of heterocycles",
        "rft.aulast": "Ito",
        "rft.aufirst": "Kenji",
        "rft.volume": "88",
        "rft.issue": "4",
        "rft.spage": "2101",
        "rft.epage": "2110",
        "rft.date": "2023-02",
        "rft.issn": "0022-3263",
        "rft_id": "info:doi/10.1021/acs.joc.2c02345",
    }
)
BOOK_0_1 = urlencode(
    {"genre": "book", "title": "The Cheese and the Worms", "aulast": "Ginzburg",
     "aufirst": "Carlo", "isbn": "9780801843877", "date": "1980", "pub": "Johns Hopkins"}
)  # fmt: skip


def test_an_openurl_1_0_journal_article_fills_in_the_article_form(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    before = len(ill_store.search(limit=1000))
    page = patron_client.get(f"/ill/openurl?{JOURNAL_1_0}")
    assert page.status_code == 200
    html = page.text
    assert 'action="/ill/request/article"' in html
    assert value_of(html, "journal_title") == "Journal of Organic Chemistry"
    assert value_of(html, "article_title") == "Flow synthesis of heterocycles"
    assert value_of(html, "article_author") == "Ito, Kenji"
    assert value_of(html, "pages") == "2101-2110"
    assert value_of(html, "year") == "2023" and value_of(html, "month") == "February"
    assert value_of(html, "issn") == "0022-3263"
    assert value_of(html, "doi") == "10.1021/acs.joc.2c02345"
    assert value_of(html, "cited_in") == "info:sid/primo.exlibrisgroup.com"
    assert 'name="system_id" value="openurl"' in html
    assert len(ill_store.search(limit=1000)) == before, "showing the form creates nothing"


def test_an_openurl_book_fills_in_the_book_form(patron_client: TestClient) -> None:
    html = patron_client.get(f"/ill/openurl?{BOOK_0_1}").text
    assert 'action="/ill/request/loan"' in html
    assert value_of(html, "title") == "The Cheese and the Worms"
    assert value_of(html, "author") == "Ginzburg, Carlo"
    assert value_of(html, "isbn") == "9780801843877"
    assert value_of(html, "publisher") == "Johns Hopkins"


def test_a_request_sent_from_an_openurl_form_says_so(
    patron_client: TestClient, ill_store: IllStore
) -> None:
    page = patron_client.get(f"/ill/openurl?{JOURNAL_1_0}").text
    fields = dict(re.findall(r'name="([a-z_]+)" type="text" value="([^"]*)"', page))
    answer = patron_client.post(
        "/ill/request/article",
        data={**fields, "system_id": "openurl", "copyright_ok": "yes",
              "csrf_token": csrf_token(page)},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    number = int(answer.headers["location"].split("/")[-1].split("?")[0])
    transaction = ill_store.get_transaction(number)
    assert transaction.system_id is SystemId.OPENURL
    assert transaction.citation.journal_title == "Journal of Organic Chemistry"


def test_an_openurl_survives_signing_in(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        asked = f"/ill/openurl?{JOURNAL_1_0}"
        answer = browser.get(asked)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/ill/signin?next={quote(asked, safe='')}"
        signin_page = browser.get(answer.headers["location"])
        assert signin_page.status_code == 200
        signed_in = browser.post(
            "/ill/signin",
            data={"username": "mjones", "password": PASSWORD, "next": asked,
                  "csrf_token": csrf_token(signin_page.text)},
        )  # fmt: skip
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == asked
        form = browser.get(signed_in.headers["location"])
        assert form.status_code == 200
        assert value_of(form.text, "article_title") == "Flow synthesis of heterocycles"
