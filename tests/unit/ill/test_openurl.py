"""OpenURL 0.1 and 1.0 links read into the citation of a new request."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from shelfnet.ill.openurl import MAX_VALUE, parse_openurl


def test_an_openurl_1_0_journal_article_fills_the_article_form() -> None:
    link = urlencode(
        [
            ("url_ver", "Z39.88-2004"),
            ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
            ("rfr_id", "info:sid/primo.exlibrisgroup.com"),
            ("rft.genre", "article"),
            ("rft.atitle", "Lexical  access in\tbilinguals"),
            ("rft.jtitle", "Journal of Memory and Language"),
            ("rft.aulast", "Kroll"),
            ("rft.aufirst", "Judith F."),
            ("rft.date", "2010-06-15"),
            ("rft.volume", "62"),
            ("rft.issue", "4"),
            ("rft.spage", "373"),
            ("rft.epage", "389"),
            ("rft.issn", "0749-596X"),
            ("rft_id", "info:doi/10.1016/j.jml.2010.01.001"),
            ("rft_id", "info:pmid/20436932"),
        ]
    )
    citation = parse_openurl(link)
    assert (citation.request_type, citation.document_type) == ("copy", "article")
    assert citation.source == "info:sid/primo.exlibrisgroup.com"
    assert dict(citation.fields) == {
        "article_title": "Lexical access in bilinguals",
        "journal_title": "Journal of Memory and Language",
        "article_author": "Kroll, Judith F.",
        "year": "2010",
        "month": "June",
        "volume": "62",
        "issue": "4",
        "pages": "373-389",
        "issn": "0749-596X",
        "doi": "10.1016/j.jml.2010.01.001",
        "pmid": "20436932",
    }


def test_an_openurl_1_0_book_is_a_loan() -> None:
    citation = parse_openurl(
        "url_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook"
        "&rft.genre=book&rft.btitle=Kind+of+Blue&rft.au=Kahn%2C+Ashley&rft.isbn=0306810670"
        "&rft.pub=Da+Capo&rft.place=New+York&rft.date=2001&rft_id=info%3Aoclcnum%2F44860585"
    )
    assert (citation.request_type, citation.document_type) == ("loan", "book")
    assert citation.get("title") == "Kind of Blue"
    assert citation.get("author") == "Kahn, Ashley"
    assert citation.get("isbn") == "0306810670"
    assert citation.get("publisher") == "Da Capo"
    assert citation.get("place") == "New York"
    assert citation.get("year") == "2001"
    assert citation.get("oclc_number") == "44860585"


def test_a_book_chapter_keeps_the_book_title_as_title() -> None:
    citation = parse_openurl(
        "url_ver=Z39.88-2004&rft.genre=bookitem&rft.btitle=Jazz+Studies"
        "&rft.atitle=Modal+harmony&rft.spage=10&rft.epage=31&rft.isbn=9780000000002"
    )
    assert (citation.request_type, citation.document_type) == ("copy", "book_chapter")
    assert citation.get("title") == "Jazz Studies"
    assert citation.get("article_title") == "Modal harmony"
    assert citation.get("pages") == "10-31"


def test_an_openurl_0_1_link_is_read_too() -> None:
    citation = parse_openurl(
        "sid=EBSCO:aph&genre=article&title=Notes&atitle=Cataloging+jazz&aulast=Smith"
        "&aufirst=Jo&issn=0027-4380&date=1999-03&volume=55&spage=12&id=doi:10.2307/899999"
    )
    assert (citation.request_type, citation.document_type) == ("copy", "article")
    assert citation.source == "EBSCO:aph"
    assert citation.get("journal_title") == "Notes"
    assert citation.get("article_author") == "Smith, Jo"
    assert citation.get("month") == "March"
    assert citation.get("pages") == "12"
    assert citation.get("doi") == "10.2307/899999"


def test_a_0_1_link_without_genre_is_a_book_unless_it_names_a_journal() -> None:
    assert parse_openurl("title=Giant+Steps&isbn=123").request_type == "loan"
    assert parse_openurl("atitle=Giant+Steps&issn=1234-5678").document_type == "article"


def test_dissertations_are_theses() -> None:
    citation = parse_openurl(
        "url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:dissertation&rft.title=Bebop"
    )
    assert citation.document_type == "thesis"
    assert citation.get("title") == "Bebop"


def test_long_values_are_cut_and_empty_ones_dropped() -> None:
    citation = parse_openurl(urlencode({"atitle": "x" * 5000, "jtitle": "  ", "issn": ""}))
    assert len(citation.get("article_title")) == MAX_VALUE
    assert "journal_title" not in citation.fields


@given(st.text(max_size=300))
def test_any_query_string_gives_a_citation(query: str) -> None:
    citation = parse_openurl(query)
    assert citation.request_type in {"loan", "copy"}
    assert all(len(value) <= MAX_VALUE for value in citation.fields.values())


@given(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=50)), max_size=20))
def test_any_pairs_give_a_citation(pairs: list[tuple[str, str]]) -> None:
    citation = parse_openurl(pairs)
    assert all(value == value.strip() for value in citation.fields.values())
