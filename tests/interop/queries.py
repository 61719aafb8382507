"""Queries against the Zebra ``jazz`` database, with the hit counts YAZ gets.

``hits`` is what zoomsh (PQF) or yaz-client with ``CCL_QUALIFIER_FILE`` (CCL)
reports against the register built by ``tests.peers.build_zebra`` from
jazz_1k.mrc; ``tests/interop/test_peers.py`` checks that they still do. A
shelfnet client or query parser should get the same counts.

Zebra's indexes (tests/fixtures/zebra/shelfnet-marc.abs) decide the counts:
Any (1016) covers headings only, words are folded (case, diacritics), and
relations other than equality on dates need structure numeric (@attr 4=109).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# shelfnet's default CCL qualifier file, in YAZ's format: yaz-client reads the same file.
CCL_QUALIFIER_FILE = Path(__file__).resolve().parents[2] / "src/shelfnet/query/default.qual"


@dataclass(frozen=True)
class QueryCase:
    """A query, the number of jazz records it finds, and what it exercises."""

    query: str
    hits: int
    covers: str


@dataclass(frozen=True)
class DiagnosticCase:
    """A query Zebra refuses, with the Bib-1 diagnostic it answers."""

    query: str
    code: int
    covers: str


JAZZ_PQF: tuple[QueryCase, ...] = (
    # title (4)
    QueryCase("@attr 1=4 jazz", 415, "title word"),
    QueryCase("@attr 1=4 blue", 18, "title word"),
    QueryCase("@attr 1=4 köln", 1, "title word, UTF-8 term against a MARC-8 record"),
    QueryCase("@attr 1=4 koln", 1, "title word, diacritics folded"),
    QueryCase('@attr 1=4 "blue note"', 8, "title, quoted words (default structure)"),
    QueryCase('@attr 1=4 @attr 4=1 "blue note"', 8, "title phrase"),
    QueryCase("@attr 1=4 @attr 4=2 concert", 14, "title, structure word"),
    QueryCase('@attr 1=4 @attr 4=6 "blue note"', 8, "title, structure word list"),
    QueryCase('@attr 1=4 @attr 4=1 @attr 6=3 "the koln concert"', 1, "title, complete field"),
    QueryCase("@attr 1=4 @attr 3=1 blue", 18, "title, first in field"),
    QueryCase("@attr 1=4 @attr 5=1 jaz", 418, "title, right truncation"),
    QueryCase("@attr 1=4 @attr 5=2 azz", 415, "title, left truncation"),
    QueryCase("@attr 1=4 @attr 5=3 azz", 418, "title, left and right truncation"),
    QueryCase('@attr 1=4 @attr 5=102 "blu.*"', 46, "title, regular expression"),
    QueryCase("@attr 1=4 @attr 2=102 jazz", 415, "title, relation relevance"),
    QueryCase("@attr 1=5 jazz", 251, "series title"),
    # author (1003) and names
    QueryCase("@attr 1=1003 davis", 63, "author word"),
    QueryCase("@attr 1=1003 ellington", 21, "author word"),
    QueryCase('@attr 1=1003 @attr 4=1 "davis miles"', 37, "author phrase"),
    QueryCase('@attr 1=1003 @attr 4=1 @attr 6=3 "davis miles"', 37, "author, complete field"),
    QueryCase("@attr 1=1003 @attr 5=1 ellingt", 21, "author, right truncation"),
    QueryCase("@attr 1=1004 parker", 30, "personal name"),
    QueryCase("@attr 1=1005 orchestra", 20, "corporate name"),
    # subject (21)
    QueryCase("@attr 1=21 jazz", 942, "subject word"),
    QueryCase("@attr 1=21 saxophone", 104, "subject word"),
    QueryCase('@attr 1=21 @attr 4=1 "jazz vocals"', 39, "subject phrase"),
    QueryCase("@attr 1=21 @attr 4=1 @attr 6=3 jazz", 299, "subject, complete field"),
    QueryCase("@attr 1=21 @attr 5=1 saxophon", 104, "subject, right truncation"),
    # standard numbers and other access points
    QueryCase("@attr 1=7 0863693180", 1, "ISBN"),
    QueryCase("@attr 1=7 089898551X", 1, "ISBN with check digit X"),
    QueryCase("@attr 1=8 0012-5768", 1, "ISSN"),
    QueryCase('@attr 1=1018 "blue note"', 26, "publisher"),
    QueryCase("@attr 1=12 03-0018137", 1, "local number (001)"),
    QueryCase("@attr 1=54 fre", 20, "language (008/35-37)"),
    # any (1016)
    QueryCase("@attr 1=1016 jazz", 978, "any"),
    QueryCase("jazz", 978, "no attributes: Zebra defaults to any"),
    QueryCase("@attrset bib-1 @attr 1=1016 piano", 142, "explicit attribute set"),
    QueryCase('@attr 1=_ALLRECORDS @attr 2=103 ""', 1000, "every record (Zebra special)"),
    # date of publication (31), from 008/07-10
    QueryCase("@attr 1=31 1990", 24, "date equal"),
    QueryCase("@attr 1=31 @attr 2=1 @attr 4=109 1960", 56, "date less than"),
    QueryCase("@attr 1=31 @attr 2=2 @attr 4=109 1959", 56, "date less than or equal"),
    QueryCase("@attr 1=31 @attr 2=3 @attr 4=109 1975", 29, "date equal, numeric"),
    QueryCase("@attr 1=31 @attr 2=4 @attr 4=109 1990", 251, "date greater than or equal"),
    QueryCase("@attr 1=31 @attr 2=5 @attr 4=109 1999", 22, "date greater than"),
    # boolean operators and proximity
    QueryCase("@and @attr 1=1003 davis @attr 1=21 jazz", 60, "AND"),
    QueryCase("@or @attr 1=4 blue @attr 1=4 night", 33, "OR"),
    QueryCase("@not @attr 1=21 jazz @attr 1=21 saxophone", 839, "AND-NOT"),
    QueryCase(
        "@and @or @attr 1=4 blue @attr 1=4 night @attr 1=31 @attr 2=4 @attr 4=109 1980",
        18,
        "nested AND/OR with a date relation",
    ),
    QueryCase(
        "@or @and @attr 1=1003 ellington @attr 1=4 duke @attr 1=1003 basie",
        15,
        "nested OR/AND",
    ),
    QueryCase(
        "@prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note", 8, "proximity: adjacent, in order"
    ),
    # no hits
    QueryCase("@attr 1=4 xyzzyplugh", 0, "no hits: unknown word"),
    QueryCase("@attr 1=7 9999999999", 0, "no hits: unknown ISBN"),
    QueryCase("@and @attr 1=4 blue @attr 1=4 xyzzyplugh", 0, "no hits: AND with nothing"),
    QueryCase("@attr 1=31 @attr 2=5 @attr 4=109 2010", 0, "no hits: date after the last"),
    QueryCase('@attr 1=21 @attr 4=1 @attr 6=3 "jazz vocal"', 0, "no hits: incomplete field"),
)

JAZZ_PQF_DIAGNOSTICS: tuple[DiagnosticCase, ...] = (
    DiagnosticCase("@attr 1=9999 jazz", 114, "unsupported use attribute"),
    DiagnosticCase("@attr 1=31 @attr 2=4 1990", 117, "relation on a word index"),
    DiagnosticCase("@attr 1=4 @attr 5=101 bl#s", 120, "truncation # on an ICU index"),
)

JAZZ_CCL: tuple[QueryCase, ...] = (
    QueryCase("ti=jazz", 415, "title"),
    QueryCase("ti=köln", 1, "title, UTF-8 term"),
    QueryCase("ti=blue note", 8, "title, several words become a phrase"),
    QueryCase("ti=jaz?", 418, "title, right truncation"),
    QueryCase("au=davis", 63, "author"),
    QueryCase("au=ellington", 21, "author"),
    QueryCase("su=saxophone", 104, "subject"),
    QueryCase("isbn=0863693180", 1, "ISBN"),
    QueryCase("issn=0012-5768", 1, "ISSN"),
    QueryCase("pb=blue note", 26, "publisher"),
    QueryCase("kw=piano", 142, "keyword (any)"),
    QueryCase("jazz", 978, "no qualifier: the term qualifier (any)"),
    QueryCase("yr=1990", 24, "year equal"),
    QueryCase("yr>1990", 227, "year greater than"),
    QueryCase("yr<1960", 56, "year less than"),
    QueryCase("yr>=1999", 39, "year greater than or equal"),
    QueryCase("yr=1985-1990", 191, "year range"),
    QueryCase("au=davis and su=jazz", 60, "AND"),
    QueryCase("au=davis or au=ellington", 83, "OR"),
    QueryCase("su=jazz not su=saxophone", 839, "NOT"),
    QueryCase("ti=(blue or night)", 33, "qualifier applied to a parenthesised OR"),
    QueryCase("(ti=blue or ti=night) and yr>=1980", 18, "parentheses and a relation"),
    QueryCase("ti=xyzzyplugh", 0, "no hits"),
    QueryCase("au=davis and au=xyzzyplugh", 0, "no hits: AND with nothing"),
)
