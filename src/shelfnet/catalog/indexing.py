"""Access points: which parts of a MARC 21 bibliographic record feed which Bib-1 use attribute.

Every access point becomes three kinds of index term:

* ``WORD``: its folded words, with their positions, for word, word-list and phrase searches
  and for proximity;
* ``FIELD``: the folded words of the whole field joined into one heading, for completeness
  "complete field" (``6=3``) and for scanning headings;
* ``SUBFIELD``: each subfield as one heading, for completeness "complete subfield" (``6=2``).

Standard numbers (ISBN, ISSN, LCCN, control and local numbers) are indexed as one term each,
normalised by ``shelfnet.catalog.identifiers``; an ISBN under both its 10- and 13-digit forms.

The fields follow Zebra's profile for the interop tests (``tests/fixtures/zebra/
shelfnet-marc.abs``) so that hit counts compare: Any (1016) covers headings only (main and
added entries, titles, series, subjects, ISBN and ISSN), not notes or imprint; Title (4)
includes series titles and the ``$t`` of name-title added entries. Where shelfnet goes its
own way it says so in ``_rules``:

* Title leaves out 245 ``$h`` (the medium, "[sound recording]") as well as ``$c``.
* Personal name (1) is every personal name, 100/600/700/800; Author-name-personal (1004)
  only the authors, 100/700, as in Zebra (a subject is not an author). Likewise 2/1005
  and 3/1006 for corporate and conference names.
* Date of publication (31) falls back to the year in 260/264 ``$c`` when 008/07-10 holds
  no year; Date (30) has both 008 dates and every imprint year.
* Notes (63, 5xx) and the local call numbers (20) of holdings and item fields are indexed
  too; Zebra's profile has neither.

Control subfields (``$0``-``$9``: linkage, sources, relator codes, authority numbers) are
never indexed.

A posting's location ``loc`` packs the access point's number within the record (high bits)
and the word's position in it (low 16 bits), so that "adjacent in the same field" is
``loc + 1``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import repeat

from pymarc import Field, Record

from shelfnet.catalog import identifiers, normalise

POSITION_BITS = 16
MAX_POSITION = (1 << POSITION_BITS) - 1
INDEXING_VERSION = 1
"""Bumped whenever the rules below change: a catalogue indexed by other rules is reindexed."""


class Kind(enum.IntEnum):
    """The three kinds of index term of every access point."""

    WORD = 0
    FIELD = 1
    SUBFIELD = 2


class Use(enum.IntEnum):
    """The Bib-1 use attributes the catalogue indexes."""

    PERSONAL_NAME = 1
    CORPORATE_NAME = 2
    CONFERENCE_NAME = 3
    TITLE = 4
    TITLE_SERIES = 5
    TITLE_UNIFORM = 6
    ISBN = 7
    ISSN = 8
    LC_CARD_NUMBER = 9
    LOCAL_NUMBER = 12
    DEWEY_CLASSIFICATION = 13
    LC_CALL_NUMBER = 16
    LOCAL_CLASSIFICATION = 20
    SUBJECT_HEADING = 21
    DATE = 30
    DATE_OF_PUBLICATION = 31
    CODE_LANGUAGE = 54
    NOTE = 63
    AUTHOR = 1003
    AUTHOR_NAME_PERSONAL = 1004
    AUTHOR_NAME_CORPORATE = 1005
    AUTHOR_NAME_CONFERENCE = 1006
    IDENTIFIER_STANDARD = 1007
    ANY = 1016
    PUBLISHER = 1018


def index_names() -> dict[str, int]:
    """Index names as Zebra's bib1.att spells them (``Title``, ``Author-name-personal``),
    lower case, with their use attribute: what string use attributes and CQL may name."""
    return {use.name.lower().replace("_", "-"): int(use) for use in Use}


_WORD, _FIELD, _SUBFIELD = int(Kind.WORD), int(Kind.FIELD), int(Kind.SUBFIELD)

# (use, kind, term, loc): one row of the postings table, before terms have ids.
Posting = tuple[int, int, str, int]
TermKey = tuple[int, int, str]


@dataclass
class IndexedRecord:
    """Everything the store writes about one record besides the record itself."""

    postings: list[Posting] = field(default_factory=list)
    displays: dict[TermKey, str] = field(default_factory=dict)
    """Headings as catalogued, for scan lists (first occurrence wins)."""
    sort_keys: dict[int, str] = field(default_factory=dict)


# --- how values become terms ------------------------------------------------------------

Normaliser = Callable[[str], list[str]]
"""One catalogued value -> the terms it is indexed under (an identifier style)."""


def _single(function: Callable[[str], str | None]) -> Normaliser:
    def terms(value: str) -> list[str]:
        term = function(value)
        return [term] if term else []

    return terms


_ISBN_FORMS: Normaliser = identifiers.isbn_forms
_ISSN: Normaliser = _single(identifiers.issn)
_LCCN: Normaliser = _single(identifiers.lccn)
_LOCAL: Normaliser = _single(identifiers.local_number)
_STANDARD: Normaliser = _single(identifiers.standard_number)


def _identifier_query(value: str) -> str | None:
    """A query term for Identifier-standard: whichever kind of number it looks like."""
    return identifiers.isbn(value) or identifiers.issn(value) or identifiers.standard_number(value)


# How a query term for an identifier index is folded; other indexes use words/phrases.
_QUERY_IDENTIFIERS: dict[int, Callable[[str], str | None]] = {
    Use.ISBN: lambda v: identifiers.isbn(v) or identifiers.standard_number(v),
    Use.ISSN: lambda v: identifiers.issn(v) or identifiers.standard_number(v),
    Use.LC_CARD_NUMBER: identifiers.lccn,
    Use.LOCAL_NUMBER: identifiers.local_number,
    Use.IDENTIFIER_STANDARD: _identifier_query,
}


def is_identifier(use: int) -> bool:
    """Whether an index holds whole numbers rather than words."""
    return use in _QUERY_IDENTIFIERS


def query_terms(use: int, text: str) -> list[str]:
    """The words of a query term, folded as the index ``use`` folds its values."""
    if use in _QUERY_IDENTIFIERS:
        term = _QUERY_IDENTIFIERS[use](text)
        return [term] if term else []
    return normalise.words(text)


def query_heading(use: int, text: str) -> str:
    """A query term folded as a heading (complete field or subfield) of index ``use``."""
    return " ".join(query_terms(use, text))


# --- which fields feed which index ------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    uses: tuple[int, ...]
    only: str = ""
    """Subfield codes to index; empty: every non-control subfield."""
    skip: str = ""
    identifier: Normaliser | None = None
    """Index each value as a standard number instead of as words."""

    def values(self, field: Field) -> list[str]:
        return [
            s.value
            for s in field.subfields
            if (s.code in self.only if self.only else not s.code.isdigit())
            and s.code not in self.skip
            and s.value.strip()
        ]


_U = Use
_PERSONAL = (_U.AUTHOR, _U.AUTHOR_NAME_PERSONAL, _U.PERSONAL_NAME)
_CORPORATE = (_U.AUTHOR, _U.AUTHOR_NAME_CORPORATE, _U.CORPORATE_NAME)
_CONFERENCE = (_U.AUTHOR, _U.AUTHOR_NAME_CONFERENCE, _U.CONFERENCE_NAME)
_SUBJECT_TAGS = ("630", "647", "648", "650", "651", "653", "654", "655", "656", "657", "662")


def _rules() -> dict[str, tuple[_Rule, ...]]:
    rules: dict[str, list[_Rule]] = {}

    def add(tags: Iterable[str], *rule: _Rule) -> None:
        # Postings hold plain ints: sqlite3 binds them faster than enum members.
        plain = [replace(r, uses=tuple(int(u) for u in r.uses)) for r in rule]
        for tag in tags:
            rules.setdefault(tag, []).extend(plain)

    add(["010"], _Rule((_U.LC_CARD_NUMBER,), only="a", identifier=_LCCN))
    add(
        ["020"],
        _Rule((_U.ISBN, _U.IDENTIFIER_STANDARD), only="a", identifier=_ISBN_FORMS),
        _Rule((_U.ANY,), only="a"),
    )
    add(
        ["022"],
        _Rule((_U.ISSN, _U.IDENTIFIER_STANDARD), only="a", identifier=_ISSN),
        _Rule((_U.ANY,), only="a"),
    )
    add(["024", "027"], _Rule((_U.IDENTIFIER_STANDARD,), only="a", identifier=_STANDARD))
    add(["050", "090"], _Rule((_U.LC_CALL_NUMBER,), only="ab"))
    add(["082"], _Rule((_U.DEWEY_CLASSIFICATION,), only="a"))
    # Main entries; a name-title ($t) is a title.
    add(["100"], _Rule((*_PERSONAL, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    add(["110"], _Rule((*_CORPORATE, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    add(["111"], _Rule((*_CONFERENCE, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    add(["130", "240", "730"], _Rule((_U.TITLE, _U.TITLE_UNIFORM, _U.ANY)))
    # The title proper without the statement of responsibility ($c) and, unlike Zebra,
    # without the medium ($h "[sound recording]"), which is no part of the title.
    add(["245"], _Rule((_U.TITLE,), skip="ch"), _Rule((_U.ANY,)))
    add(["242", "246", "247", "740"], _Rule((_U.TITLE, _U.ANY)))
    add(["260", "264"], _Rule((_U.PUBLISHER,), only="b"))
    add(["440", "490", "830"], _Rule((_U.TITLE, _U.TITLE_SERIES, _U.ANY)))
    add(
        [f"5{n:02d}" for n in range(90)],
        _Rule((_U.NOTE,)),
    )
    add(["600"], _Rule((_U.SUBJECT_HEADING, _U.PERSONAL_NAME, _U.ANY)))
    add(["610"], _Rule((_U.SUBJECT_HEADING, _U.CORPORATE_NAME, _U.ANY)))
    add(["611"], _Rule((_U.SUBJECT_HEADING, _U.CONFERENCE_NAME, _U.ANY)))
    add(_SUBJECT_TAGS, _Rule((_U.SUBJECT_HEADING, _U.ANY)))
    add(["700"], _Rule((*_PERSONAL, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    add(["710"], _Rule((*_CORPORATE, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    add(["711"], _Rule((*_CONFERENCE, _U.ANY), skip="t"), _Rule((_U.TITLE, _U.ANY), only="t"))
    # Series added entries: the name is an author, the $t a series title.
    add(["800"], _Rule((_U.AUTHOR, _U.PERSONAL_NAME, _U.ANY), skip="t"))
    add(["810"], _Rule((_U.AUTHOR, _U.CORPORATE_NAME, _U.ANY), skip="t"))
    add(["811"], _Rule((_U.AUTHOR, _U.CONFERENCE_NAME, _U.ANY), skip="t"))
    add(["800", "810", "811"], _Rule((_U.TITLE, _U.TITLE_SERIES, _U.ANY), only="t"))
    # Local call numbers: holdings (852) and the item fields of common systems
    # (949 SirsiDynix/Unicorn, 952 Koha, 945 Innovative), as the OPAC holdings read them.
    add(["852"], _Rule((_U.LOCAL_CLASSIFICATION,), only="hi"))
    add(["949"], _Rule((_U.LOCAL_CLASSIFICATION,), only="a"))
    add(["952"], _Rule((_U.LOCAL_CLASSIFICATION,), only="o"))
    add(["945"], _Rule((_U.LOCAL_CLASSIFICATION,), only="ab"))
    return {tag: tuple(found) for tag, found in rules.items()}


_RULES = _rules()
_YEAR = re.compile(r"(?<![0-9])([12][0-9]{3})(?![0-9])")


# --- building the terms of one record ---------------------------------------------------


class _Builder:
    """Collects one record's postings, numbering its access points as it goes."""

    def __init__(self) -> None:
        self.indexed = IndexedRecord()
        self._next = 0

    def _number(self) -> int:
        self._next += 1
        return self._next << POSITION_BITS

    def text(self, uses: tuple[int, ...], values: list[str]) -> None:
        """One access point of words: positions run on across its subfields."""
        base = self._number()
        terms = [normalise.words(value) for value in values]
        all_words = [word for value_words in terms for word in value_words]
        if not all_words:
            return
        heading = " ".join(all_words)
        heading_display = normalise.display(" ".join(values))
        postings = self.indexed.postings
        displays = self.indexed.displays
        subfields = [
            (" ".join(value_words), value, number)
            for number, (value, value_words) in enumerate(zip(values, terms, strict=True))
            if value_words
        ]
        locs = [base | min(position, MAX_POSITION) for position in range(len(all_words))]
        for use in uses:
            postings.extend(zip(repeat(use), repeat(_WORD), all_words, locs))
            postings.append((use, _FIELD, heading, base))
            displays.setdefault((use, _FIELD, heading), heading_display)
            for sub, value, number in subfields:
                postings.append((use, _SUBFIELD, sub, base | number))
                if (use, _SUBFIELD, sub) not in displays:
                    displays[(use, _SUBFIELD, sub)] = normalise.display(value)

    def term(self, uses: Iterable[int], term: str, shown: str) -> None:
        """A value indexed as one term (a number, a code, a year)."""
        base = self._number()
        for use in map(int, uses):
            for kind in (_WORD, _FIELD, _SUBFIELD):
                self.indexed.postings.append((use, kind, term, base))
                if kind != _WORD:
                    self.indexed.displays.setdefault((use, kind, term), shown)


def index_record(record: Record) -> IndexedRecord:
    """The postings, scan displays and sort keys of one bibliographic record."""
    builder = _Builder()
    for marc_field in record.fields:
        if marc_field.control_field:
            _control_field(builder, marc_field)
            continue
        for rule in _RULES.get(marc_field.tag, ()):
            values = rule.values(marc_field)
            if not values:
                continue
            if rule.identifier is None:
                builder.text(rule.uses, values)
            else:
                for value in values:
                    for term in rule.identifier(value):
                        builder.term(rule.uses, term, value.strip())
    for use, year in _dates(record):
        builder.term((use,), year, year)
    builder.indexed.sort_keys = sort_keys(record)
    return builder.indexed


def _control_field(builder: _Builder, marc_field: Field) -> None:
    data = marc_field.data or ""
    if marc_field.tag == "001":
        for term in _LOCAL(data):
            builder.term((Use.LOCAL_NUMBER,), term, data.strip())
    elif marc_field.tag == "008" and len(data) >= 38:
        language = normalise.fold(data[35:38]).strip()
        if language.isalpha():
            builder.term((Use.CODE_LANGUAGE,), language, data[35:38])


def _dates(record: Record) -> Iterator[tuple[int, str]]:
    """Date of publication (31): 008/07-10 when it is a year, else the first year in
    260/264 $c. Date (30) has both 008 dates and every year of the imprint."""
    coded = _coded_dates(record)
    imprint = [
        year
        for marc_field in record.get_fields("260", "264")
        for value in marc_field.get_subfields("c")
        for year in _YEAR.findall(value)
    ]
    published = coded[:1] or imprint[:1]
    for year in published:
        yield Use.DATE_OF_PUBLICATION, year
    for year in dict.fromkeys(coded + imprint):
        yield Use.DATE, year


def _coded_dates(record: Record) -> list[str]:
    fixed = record.get_fields("008")
    if not fixed:
        return []
    data = fixed[0].data or ""
    return [d for d in (data[7:11], data[11:15]) if len(d) == 4 and d.isdigit()]


# --- sort keys ----------------------------------------------------------------------------

_MAIN_ENTRY_TAGS = ("100", "110", "111", "700", "710", "711")


def sort_keys(record: Record) -> dict[int, str]:
    """Sort values for title, author, date and local number, case kept (folding is the
    sort's business): diacritics and punctuation are gone, 245's nonfiling characters too."""
    keys: dict[int, str] = {}
    titles = record.get_fields("245")
    if titles:
        keys[Use.TITLE] = _sort_text(_title_sort_text(titles[0]))
    names = record.get_fields(*_MAIN_ENTRY_TAGS)
    if names:
        name = names[0]
        keys[Use.AUTHOR] = _sort_text(" ".join(name.get_subfields("a", "b", "c", "d", "q")))
    coded = _coded_dates(record)
    years = coded or [
        year
        for marc_field in record.get_fields("260", "264")
        for value in marc_field.get_subfields("c")
        for year in _YEAR.findall(value)
    ]
    if years:
        keys[Use.DATE_OF_PUBLICATION] = years[0]
    control = record.get_fields("001")
    if control and (control[0].data or "").strip():
        keys[Use.LOCAL_NUMBER] = (control[0].data or "").strip()
    return {int(use): key for use, key in keys.items() if key}


def _title_sort_text(title: Field) -> str:
    text = " ".join(title.get_subfields("a", "b", "n", "p"))
    skip = title.indicator2
    return text[int(skip) :] if skip and skip.isdigit() else text


def _sort_text(text: str) -> str:
    return normalise.sort_form(text)
