"""The request forms' checks, without the web app."""

from __future__ import annotations

from datetime import date

import pytest

from shelfnet.ill.model import RequestType, SystemId
from shelfnet.ill.openurl import parse_openurl
from shelfnet.web import patron_forms
from shelfnet.web.patron_forms import KINDS, CheckedRequest, Invalid

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("0-14-005471-5", "0140054715"), ("978-0-8018-4387-7", "9780801843877"),
     ("0 8018 4387 1", "0801843871")],
)  # fmt: skip
def test_right_isbns_are_kept_compact(typed: str, kept: str) -> None:
    assert patron_forms.check_isbn(typed) == kept


@pytest.mark.parametrize("typed", ["080184387X", "9780801843878", "979-0", "isbn"])
def test_wrong_isbns_are_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        patron_forms.check_isbn(typed)


def test_an_isbn_10_may_end_in_x() -> None:
    assert patron_forms.check_isbn("0-8044-2957-X") == "080442957X"


@pytest.mark.parametrize("typed", ["0028-0836", "00280836", "0317-8471", "2434-561X"])
def test_right_issns_are_kept_with_their_hyphen(typed: str) -> None:
    assert patron_forms.check_issn(typed)[4] == "-"


@pytest.mark.parametrize("typed", ["0028-0837", "1234", "abcd-efgh"])
def test_wrong_issns_are_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        patron_forms.check_issn(typed)


def test_dois_lose_their_resolver_prefix() -> None:
    assert patron_forms.check_doi("https://doi.org/10.1000/182") == "10.1000/182"
    assert patron_forms.check_doi("doi:10.1000/182") == "10.1000/182"


def test_an_empty_optional_field_needs_no_check() -> None:
    checked = patron_forms.check(KINDS["loan"], {"title": "Emma", "isbn": ""}, TODAY)
    assert isinstance(checked, CheckedRequest)
    assert checked.citation.isbn == "" and checked.system_id is SystemId.WEB


def test_not_wanted_after_must_be_after_today() -> None:
    today = patron_forms.check(KINDS["loan"], {"title": "E", "not_wanted_after": "2025-06-01"},
                               TODAY)  # fmt: skip
    tomorrow = patron_forms.check(
        KINDS["loan"], {"title": "E", "not_wanted_after": "2025-06-02"}, TODAY
    )
    assert isinstance(today, dict) and "not_wanted_after" in today
    assert isinstance(tomorrow, CheckedRequest)


def test_the_hidden_system_id_only_ever_says_web_or_openurl() -> None:
    checked = patron_forms.check(KINDS["loan"], {"title": "E", "system_id": "iso18626"}, TODAY)
    assert isinstance(checked, CheckedRequest) and checked.system_id is SystemId.WEB


def test_other_requests_need_a_request_type() -> None:
    checked = patron_forms.check(KINDS["other"], {"title": "E", "request_type": "gift"}, TODAY)
    assert isinstance(checked, dict) and "request_type" in checked


def test_an_openurl_chapter_fills_the_chapter_form() -> None:
    link = parse_openurl("genre=bookitem&title=Handbook&atitle=Wound+care&spage=33&epage=51")
    kind, values = patron_forms.prefilled(link)
    assert kind.name == "book_chapter"
    assert values["title"] == "Handbook" and values["article_title"] == "Wound care"
    assert values["pages"] == "33-51" and values["system_id"] == "openurl"


def test_an_openurl_for_a_document_fills_the_other_form_as_a_loan() -> None:
    kind, values = patron_forms.prefilled(parse_openurl("genre=document&title=Map"))
    assert kind.name == "other" and values["request_type"] == RequestType.LOAN.value
