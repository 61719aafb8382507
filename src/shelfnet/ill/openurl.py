"""OpenURL links from discovery systems -> the citation of a new ILL request.

Discovery layers and databases send patrons to the ILL request form with an OpenURL: either
version 0.1 (``genre=article&atitle=...&issn=...``) or version 1.0 in key/encoded-value form
(Z39.88-2004: ``url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.atitle=...``).
Both are read into one `OpenUrlCitation` whose field names are the transaction's citation
fields, so the request form is filled in from it directly.

Values are free text from another system: they are trimmed, whitespace is collapsed, and each
is cut to `MAX_VALUE` characters; unknown keys are ignored. Nothing here ever raises on a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

MAX_VALUE = 1000
"""Longest value kept from a link (a title longer than this is not a title)."""

KEV_VERSION = "Z39.88-2004"

# OpenURL 1.0 genres (journal and book formats) and 0.1 genres -> (request type, document type).
_GENRES: dict[str, tuple[str, str]] = {
    "article": ("copy", "article"),
    "preprint": ("copy", "article"),
    "journal": ("copy", "article"),
    "issue": ("copy", "article"),
    "bookitem": ("copy", "book_chapter"),
    "chapter": ("copy", "book_chapter"),
    "book": ("loan", "book"),
    "conference": ("copy", "conference_paper"),
    "proceeding": ("copy", "conference_paper"),
    "report": ("loan", "report"),
    "document": ("loan", "other"),
    "dissertation": ("loan", "thesis"),
    "thesis": ("loan", "thesis"),
    "patent": ("copy", "patent"),
    "standard": ("copy", "standard"),
}

_FORMATS = {
    "info:ofi/fmt:kev:mtx:journal": ("copy", "article"),
    "info:ofi/fmt:kev:mtx:book": ("loan", "book"),
    "info:ofi/fmt:kev:mtx:dissertation": ("loan", "thesis"),
    "info:ofi/fmt:kev:mtx:patent": ("copy", "patent"),
}

# Identifier schemes in rft_id (1.0) and id (0.1) -> citation field.
_ID_SCHEMES = {
    "info:doi/": "doi",
    "doi:": "doi",
    "https://doi.org/": "doi",
    "http://dx.doi.org/": "doi",
    "info:pmid/": "pmid",
    "pmid:": "pmid",
    "info:oclcnum/": "oclc_number",
    "info:lccn/": "lccn",
    "urn:isbn:": "isbn",
    "urn:issn:": "issn",
}

_MONTHS = {
    "01": "January", "02": "February", "03": "March", "04": "April", "05": "May",
    "06": "June", "07": "July", "08": "August", "09": "September", "10": "October",
    "11": "November", "12": "December",
}  # fmt: skip

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OpenUrlCitation:
    """What a link says about the item a patron wants."""

    request_type: str = "copy"
    """``loan`` (return the item) or ``copy`` (keep a copy)."""
    document_type: str = "article"
    fields: Mapping[str, str] = field(default_factory=dict)
    """Citation fields by transaction field name (``title``, ``journal_title``, ``issn``...)."""
    source: str = ""
    """The referring system (``rfr_id`` / ``sid``), e.g. ``info:sid/primo.exlibrisgroup.com``."""

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def parse_openurl(query: str | Iterable[tuple[str, str]]) -> OpenUrlCitation:
    """The citation in an OpenURL query string (or already split key/value pairs)."""
    pairs = parse_qsl(query, keep_blank_values=False) if isinstance(query, str) else list(query)
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        cleaned = _clean(value)
        if cleaned:
            values.setdefault(key.strip(), []).append(cleaned)
    if _first(values, "url_ver") == KEV_VERSION or any(k.startswith("rft.") for k in values):
        return _version_1(values)
    return _version_0(values)


def _clean(value: str) -> str:
    return _SPACE.sub(" ", value).strip()[:MAX_VALUE]


def _first(values: Mapping[str, list[str]], *keys: str) -> str:
    for key in keys:
        if values.get(key):
            return values[key][0]
    return ""


def _version_1(values: Mapping[str, list[str]]) -> OpenUrlCitation:
    def rft(*names: str) -> str:
        return _first(values, *(f"rft.{name}" for name in names))

    genre = rft("genre").lower()
    request_type, document_type = _GENRES.get(genre) or _FORMATS.get(
        _first(values, "rft_val_fmt"), ("copy", "article")
    )
    authors = values.get("rft.au", [])
    author = authors[0] if authors else _person(rft("aulast"), rft("aufirst") or rft("auinit"))
    fields = _common(
        title=rft("btitle", "title") if request_type == "loan" else rft("btitle"),
        journal_title=rft("jtitle", "title") if request_type == "copy" else "",
        article_title=rft("atitle"),
        author=author,
        volume=rft("volume"),
        issue=rft("issue"),
        pages=_pages(rft("pages"), rft("spage"), rft("epage")),
        date=rft("date"),
        edition=rft("edition"),
        publisher=rft("pub", "inst"),
        place=rft("place"),
        isbn=rft("isbn"),
        issn=rft("issn", "eissn"),
        ids=[*values.get("rft_id", []), *values.get("id", [])],
    )
    return _citation(request_type, document_type, fields, _first(values, "rfr_id"))


def _version_0(values: Mapping[str, list[str]]) -> OpenUrlCitation:
    genre = _first(values, "genre").lower()
    if genre:
        request_type, document_type = _GENRES.get(genre, ("copy", "other"))
    elif _first(values, "atitle", "jtitle", "issn"):
        request_type, document_type = "copy", "article"
    else:
        request_type, document_type = "loan", "book"
    author = _first(values, "au") or _person(
        _first(values, "aulast"), _first(values, "aufirst", "auinit")
    )
    fields = _common(
        title=_first(values, "title") if request_type == "loan" else "",
        journal_title=_first(values, "jtitle", "title", "stitle") if request_type == "copy" else "",
        article_title=_first(values, "atitle"),
        author=author,
        volume=_first(values, "volume"),
        issue=_first(values, "issue"),
        pages=_pages(_first(values, "pages"), _first(values, "spage"), _first(values, "epage")),
        date=_first(values, "date"),
        edition=_first(values, "edition"),
        publisher=_first(values, "pub", "publisher"),
        place=_first(values, "place"),
        isbn=_first(values, "isbn"),
        issn=_first(values, "issn", "eissn"),
        ids=values.get("id", []) + values.get("pid", []),
    )
    return _citation(request_type, document_type, fields, _first(values, "sid"))


def _common(
    *,
    title: str,
    journal_title: str,
    article_title: str,
    author: str,
    volume: str,
    issue: str,
    pages: str,
    date: str,
    edition: str,
    publisher: str,
    place: str,
    isbn: str,
    issn: str,
    ids: Iterable[str],
) -> dict[str, str]:
    year, month = _date(date)
    fields = {
        "title": title,
        "journal_title": journal_title,
        "article_title": article_title,
        "volume": volume,
        "issue": issue,
        "pages": pages,
        "year": year,
        "month": month,
        "edition": edition,
        "publisher": publisher,
        "place": place,
        "isbn": isbn,
        "issn": issn,
    }
    # The author of an article is the article's; of a book, the book's.
    fields["article_author" if article_title else "author"] = author
    for identifier in ids:
        for prefix, name in _ID_SCHEMES.items():
            if identifier.lower().startswith(prefix) and not fields.get(name):
                fields[name] = identifier[len(prefix) :].strip()
    return {name: value for name, value in fields.items() if value}


def _citation(
    request_type: str, document_type: str, fields: dict[str, str], source: str
) -> OpenUrlCitation:
    if document_type == "book_chapter" and not fields.get("title"):
        # A chapter's book is in btitle (1.0) or title (0.1), read as the journal title.
        book = fields.pop("journal_title", "")
        if book:
            fields["title"] = book
    return OpenUrlCitation(request_type, document_type, fields, source)


def _person(last: str, first: str) -> str:
    return f"{last}, {first}" if last and first else last or first


def _pages(pages: str, start: str, end: str) -> str:
    if pages:
        return pages
    if start and end:
        return f"{start}-{end}"
    return start


def _date(date: str) -> tuple[str, str]:
    """Year and month name from an OpenURL date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``)."""
    match = re.match(r"(\d{4})(?:-(\d{2}))?", date)
    if not match:
        return "", ""
    return match[1], _MONTHS.get(match[2] or "", "")
