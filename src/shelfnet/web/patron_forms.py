"""The patron's request forms: which fields each kind of request asks for, and the checks a
submitted form must pass before it becomes a `TransactionDraft`.

One form per kind of request (``/ill/request/{kind}``). Each kind names the citation fields
that matter for it, labelled as patrons know them (a chapter's "Book title" is the citation's
``title``, its "Chapter title" the ``article_title``). Every kind also asks where the
reference was found, the date after which it is no longer wanted, the most the patron will
pay and a note for staff; copies ask the patron to confirm the copyright statement.

A form that fails a check comes back with what the patron typed and one message per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    TransactionDraft,
)
from shelfnet.ill.openurl import OpenUrlCitation

SHORT = 255
LONG = 1000
NOTE_LENGTH = 2000
MAX_COST = Decimal("99999999.99")
"""The most a money column holds (ten digits, two after the point)."""

COPYRIGHT_STATEMENT = (
    "Copies are supplied under copyright law (in the United States, section 108 of the "
    "Copyright Act and the CONTU guidelines). A copy may be used only for private study, "
    "scholarship or research; using it for anything else may infringe copyright."
)
COPYRIGHT_CONFIRMATION = "I confirm the copy is for private study, scholarship or research."
COPYRIGHT_MISSING = "Please confirm the copy is for private study, scholarship or research."


class Invalid(ValueError):
    """A value a field does not accept; the message is shown next to the field."""


Check = Callable[[str], str]
"""A field's check: the value as stored, or `Invalid`."""


@dataclass(frozen=True)
class Field:
    """One input of a request form, named after the `Citation` field it fills."""

    name: str
    label: str
    max_length: int = SHORT
    required: bool = False
    check: Check | None = None
    hint: str = ""


@dataclass(frozen=True)
class RequestKind:
    """A kind of request the patron can make, with its form's citation fields."""

    name: str
    label: str
    request_type: RequestType | None
    """None: the patron says whether they want the item lent or a copy (``other``)."""
    document_type: DocumentType
    fields: tuple[Field, ...]
    alternate_edition: bool = False
    """The form asks whether another edition will do."""

    def field(self, name: str) -> Field | None:
        return next((field for field in self.fields if field.name == name), None)

    @property
    def may_be_copy(self) -> bool:
        return self.request_type is not RequestType.LOAN


# Checks


def check_year(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}", value):
        raise Invalid("Give the year as four digits, e.g. 2019.")
    return value


def check_isbn(value: str) -> str:
    """An ISBN-10 or ISBN-13 with a right check digit, kept without hyphens or spaces."""
    compact = re.sub(r"[\s-]", "", value).upper()
    if re.fullmatch(r"[0-9]{9}[0-9X]", compact):
        total = sum((10 - i) * int(digit) for i, digit in enumerate(compact[:9]))
        expected = (11 - total % 11) % 11
        given = 10 if compact[9] == "X" else int(compact[9])
    elif re.fullmatch(r"97[89][0-9]{10}", compact):
        total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(compact[:12]))
        expected, given = -total % 10, int(compact[12])
    else:
        raise Invalid("An ISBN has 10 or 13 digits (the last of an ISBN-10 may be X).")
    if given != expected:
        raise Invalid("This ISBN's check digit is not right: please check the number.")
    return compact


def check_issn(value: str) -> str:
    """An ISSN with a right check digit, kept as ``NNNN-NNNC``."""
    compact = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[0-9]{7}[0-9X]", compact):
        raise Invalid("An ISSN has eight characters, e.g. 0028-0836.")
    total = sum((8 - i) * int(digit) for i, digit in enumerate(compact[:7]))
    expected = (11 - total % 11) % 11
    given = 10 if compact[7] == "X" else int(compact[7])
    if given != expected:
        raise Invalid("This ISSN's check digit is not right: please check the number.")
    return f"{compact[:4]}-{compact[4:]}"


def check_doi(value: str) -> str:
    doi = re.sub(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)", "", value, flags=re.IGNORECASE)
    if not re.fullmatch(r"10\.[0-9]{4,9}/\S+", doi):
        raise Invalid("A DOI starts with 10. and has a slash, e.g. 10.1038/nature12373.")
    return doi


def check_pmid(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise Invalid("A PubMed ID is a number.")
    return value


def check_oclc(value: str) -> str:
    number = re.sub(r"^(?:\(OCoLC\)|ocm|ocn|on)", "", value, flags=re.IGNORECASE).strip()
    if not re.fullmatch(r"[0-9]{1,12}", number):
        raise Invalid("An OCLC number is a number, e.g. 41266045.")
    return number


# The kinds of request


_TITLE = Field("title", "Title", LONG, required=True)
_AUTHOR = Field("author", "Author or editor", LONG)
_EDITION = Field("edition", "Edition")
_PUBLISHER = Field("publisher", "Publisher")
_PLACE = Field("place", "Place of publication")
_YEAR = Field("year", "Year", 10, check=check_year)
_ISBN = Field("isbn", "ISBN", 20, check=check_isbn)
_ISSN = Field("issn", "ISSN", 12, check=check_issn)
_OCLC = Field("oclc_number", "OCLC number", 30, check=check_oclc)
_DOI = Field("doi", "DOI", SHORT, check=check_doi)
_PMID = Field("pmid", "PubMed ID (PMID)", 12, check=check_pmid)
_PAGES = Field("pages", "Pages", 50)
_VOLUME = Field("volume", "Volume", 50)
_ISSUE = Field("issue", "Issue", 50)
_MONTH = Field("month", "Month or season", 30)

KINDS: Mapping[str, RequestKind] = {
    kind.name: kind
    for kind in (
        RequestKind(
            "loan",
            "Book (loan)",
            RequestType.LOAN,
            DocumentType.BOOK,
            (
                _TITLE,
                _AUTHOR,
                _EDITION,
                _PUBLISHER,
                _PLACE,
                _YEAR,
                _ISBN,
                _OCLC,
                Field("lccn", "LC control number", 30),
            ),
            alternate_edition=True,
        ),
        RequestKind(
            "article",
            "Journal article (copy)",
            RequestType.COPY,
            DocumentType.ARTICLE,
            (
                Field("journal_title", "Journal title", LONG, required=True),
                Field("article_title", "Article title", LONG, required=True),
                Field("article_author", "Article author", LONG),
                _VOLUME,
                _ISSUE,
                _MONTH,
                _YEAR,
                _PAGES,
                _ISSN,
                _DOI,
                _PMID,
            ),
        ),
        RequestKind(
            "book_chapter",
            "Book chapter (copy)",
            RequestType.COPY,
            DocumentType.BOOK_CHAPTER,
            (
                Field("title", "Book title", LONG, required=True),
                Field("author", "Book author or editor", LONG),
                Field("article_title", "Chapter title", LONG, required=True),
                Field("article_author", "Chapter author", LONG),
                _EDITION,
                _PUBLISHER,
                _PLACE,
                _YEAR,
                _PAGES,
                _ISBN,
                _DOI,
            ),
        ),
        RequestKind(
            "conference_paper",
            "Conference paper (copy)",
            RequestType.COPY,
            DocumentType.CONFERENCE_PAPER,
            (
                Field("journal_title", "Proceedings or conference title", LONG, required=True),
                Field("article_title", "Paper title", LONG, required=True),
                Field("article_author", "Paper author", LONG),
                Field("place", "Conference place"),
                _PUBLISHER,
                _YEAR,
                _VOLUME,
                _PAGES,
                _ISBN,
                _ISSN,
                _DOI,
            ),
        ),
        RequestKind(
            "thesis",
            "Thesis or dissertation (loan)",
            RequestType.LOAN,
            DocumentType.THESIS,
            (
                _TITLE,
                Field("author", "Author", LONG),
                Field("publisher", "University or institution"),
                _PLACE,
                _YEAR,
                Field("edition", "Degree (e.g. PhD, MA)", 50),
                _OCLC,
            ),
        ),
        RequestKind(
            "report",
            "Report (loan)",
            RequestType.LOAN,
            DocumentType.REPORT,
            (
                _TITLE,
                _AUTHOR,
                Field("publisher", "Issuing body"),
                _PLACE,
                Field("volume", "Report or series number", 100),
                _YEAR,
                _PAGES,
                _ISBN,
                _ISSN,
                _OCLC,
                _DOI,
            ),
        ),
        RequestKind(
            "patent",
            "Patent (copy)",
            RequestType.COPY,
            DocumentType.PATENT,
            (
                Field("title", "Patent title", LONG, required=True),
                Field("author", "Inventor or assignee", LONG),
                Field("volume", "Patent number", 100, hint="e.g. US 7,654,321 B2"),
                Field("publisher", "Patent office or country"),
                _YEAR,
                _PAGES,
            ),
        ),
        RequestKind(
            "standard",
            "Standard (copy)",
            RequestType.COPY,
            DocumentType.STANDARD,
            (
                Field("title", "Standard title", LONG, required=True),
                Field("volume", "Standard number", 100, hint="e.g. ISO 10160:2015"),
                Field("publisher", "Standards body (e.g. ISO, NISO, BSI)"),
                _EDITION,
                _YEAR,
                _PAGES,
            ),
        ),
        RequestKind(
            "other",
            "Something else",
            None,
            DocumentType.OTHER,
            (
                _TITLE,
                _AUTHOR,
                Field("article_title", "Part or chapter wanted", LONG),
                _EDITION,
                _PUBLISHER,
                _PLACE,
                _YEAR,
                _VOLUME,
                _PAGES,
                _ISBN,
                _ISSN,
                _OCLC,
                _DOI,
            ),
        ),
    )
}
"""Every kind of request, by the name in its URL, in the order the pages list them."""

COMMON: tuple[Field, ...] = (
    Field("cited_in", "Where did you find this reference?", LONG),
    Field("not_wanted_after", "Not wanted after", 10, hint="Leave empty if any time will do"),
    Field("max_cost", "The most I will pay", 20, hint="Leave empty if you will not pay a fee"),
    Field("note", "Notes for the ILL staff", NOTE_LENGTH),
)
"""The fields every form asks for after its citation fields."""

CHECKBOXES = ("accept_alternate_edition", "copyright_ok")
HIDDEN = ("system_id", "request_type")


def kind_for(document_type: DocumentType) -> RequestKind:
    """The form kind of a document type (books are ``loan``)."""
    return next(kind for kind in KINDS.values() if kind.document_type is document_type)


def blank(kind: RequestKind) -> dict[str, str]:
    """The values of an empty form: every field empty, the defaults ticked."""
    values = {field.name: "" for field in (*kind.fields, *COMMON)}
    values.update(
        accept_alternate_edition="yes",
        copyright_ok="",
        system_id=SystemId.WEB.value,
        request_type=(kind.request_type or RequestType.LOAN).value,
    )
    return values


def submitted(kind: RequestKind, form: Mapping[str, str]) -> dict[str, str]:
    """The values a patron sent, as the form shows them again: text trimmed (not cut: a
    value too long gets a message, not a silent cut), unticked boxes empty."""
    values = blank(kind)
    for name in values:
        if name in CHECKBOXES:
            values[name] = "yes" if form.get(name) else ""
        else:
            values[name] = form.get(name, values[name]).strip()
    return values


def prefilled(link: OpenUrlCitation) -> tuple[RequestKind, dict[str, str]]:
    """The form an OpenURL leads to, filled in from it; its fields the form does not ask
    for are left out."""
    try:
        kind = kind_for(DocumentType(link.document_type))
    except ValueError:
        kind = KINDS["other"]
    values = blank(kind)
    for name, value in link.fields.items():
        if name in values:
            values[name] = value
    if link.source and not values["cited_in"]:
        values["cited_in"] = link.source
    values["system_id"] = SystemId.OPENURL.value
    if kind.request_type is None and link.request_type in ("loan", "copy"):
        values["request_type"] = link.request_type
    return kind, values


@dataclass(frozen=True)
class CheckedRequest:
    """A form that passed every check: the request to create."""

    request_type: RequestType
    document_type: DocumentType
    citation: Citation
    note: str
    system_id: SystemId

    def draft(self, patron_id: int) -> TransactionDraft:
        return TransactionDraft(
            process_type=ProcessType.BORROWING,
            request_type=self.request_type,
            document_type=self.document_type,
            citation=self.citation,
            patron_id=patron_id,
            system_id=self.system_id,
        )


def check(
    kind: RequestKind, values: Mapping[str, str], today: date
) -> CheckedRequest | dict[str, str]:
    """The request, or the message for each field that is wrong (by field name)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field in (*kind.fields, *COMMON):
        value = values.get(field.name, "")
        try:
            cleaned[field.name] = _check_field(field, value)
        except Invalid as exc:
            errors[field.name] = str(exc)
    not_wanted_after = _date_after(cleaned.get("not_wanted_after", ""), today, errors)
    max_cost = _money(cleaned.get("max_cost", ""), errors)
    request_type = kind.request_type or _request_type(values.get("request_type", ""), errors)
    copy = request_type is RequestType.COPY
    if copy and not values.get("copyright_ok"):
        errors["copyright_ok"] = COPYRIGHT_MISSING
    if errors:
        return errors
    text = {
        name: value
        for name, value in cleaned.items()
        if name not in ("not_wanted_after", "max_cost", "note")
    }
    citation = Citation(
        **text,
        not_wanted_after=not_wanted_after,
        max_cost=max_cost,
        accept_alternate_edition=bool(values.get("accept_alternate_edition"))
        if kind.alternate_edition
        else True,
        copyright_compliance=CopyrightCompliance.CCG if copy else CopyrightCompliance.NONE,
    )
    system = SystemId.OPENURL if values.get("system_id") == "openurl" else SystemId.WEB
    return CheckedRequest(request_type, kind.document_type, citation, cleaned["note"], system)


def _check_field(field: Field, value: str) -> str:
    value = value.strip()
    if len(value) > field.max_length:
        raise Invalid(f"Please shorten this to {field.max_length} characters at most.")
    if not value:
        if field.required:
            raise Invalid(f"Please give the {field.label.lower()}.")
        return ""
    return field.check(value) if field.check else value


def _date_after(value: str, today: date, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors["not_wanted_after"] = "Give the date as year-month-day, e.g. 2030-06-30."
        return None
    if day <= today:
        errors["not_wanted_after"] = "This date has passed: give a date after today."
        return None
    return day


def _money(value: str, errors: dict[str, str]) -> Decimal | None:
    if not value:
        return None
    problem = "Give an amount such as 25 or 12.50, without a currency sign."
    if not re.fullmatch(r"[0-9]{1,8}(?:\.[0-9]{1,2})?", value):
        errors["max_cost"] = problem
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        errors["max_cost"] = problem
        return None
    if amount > MAX_COST:
        errors["max_cost"] = problem
        return None
    return amount


def _request_type(value: str, errors: dict[str, str]) -> RequestType:
    try:
        return RequestType(value)
    except ValueError:
        errors["request_type"] = "Say whether you want to borrow the item or keep a copy."
        return RequestType.LOAN
