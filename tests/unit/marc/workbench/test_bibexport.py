"""RIS and BibTeX read back by real parsers; CSV columns; MODS structure."""

from __future__ import annotations

import csv
import io

import bibtexparser
import rispy  # type: ignore[import-untyped]
from lxml import etree
from pymarc import Record

from shelfnet.marc.bibexport import (
    MODS_NAMESPACE,
    citation,
    to_bibtex,
    to_csv,
    to_mods_collection,
    to_ris,
)

M = f"{{{MODS_NAMESPACE}}}"
# RIS allows several SN lines (one per ISBN/ISSN); rispy keeps only the last unless told.
LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "SN"]


def test_ris_round_trips_through_rispy(jazz: list[Record]) -> None:
    entries = rispy.loads(to_ris(jazz), list_tags=LIST_TAGS)
    assert len(entries) == len(jazz)
    for entry, record in zip(entries, jazz, strict=True):
        c = citation(record)
        assert entry["title"] == c.title
        assert entry.get("authors", []) == list(c.authors)
        assert entry.get("year", "") == c.year
        assert entry.get("publisher", "") == c.publisher
        assert entry.get("issn", []) == list(c.isbns + c.issns)  # rispy calls SN "issn"


def test_bibtex_round_trips_through_bibtexparser(jazz: list[Record]) -> None:
    library = bibtexparser.parse_string(to_bibtex(jazz))  # type: ignore[attr-defined]
    assert not library.failed_blocks
    assert len(library.entries) == len(jazz)
    for entry, record in zip(library.entries, jazz, strict=True):
        c = citation(record)
        fields = {name: field.value for name, field in entry.fields_dict.items()}
        assert fields["title"].startswith(c.title.replace("&", "\\&"))
        if c.authors:
            assert fields["author"] == " and ".join(c.authors)
        assert fields.get("year", "") == c.year
        assert fields.get("publisher", "") == c.publisher.replace("&", "\\&")
        assert fields.get("isbn", "") == ", ".join(c.isbns)


def test_exports_keep_isbns(jazz: list[Record]) -> None:
    from tests.unit.marc.workbench.conftest import unicode_records

    with_isbn = [r for r in unicode_records("jazz_1k.mrc") if r.get_fields("020")][:10]
    assert with_isbn and all(citation(r).isbns for r in with_isbn)
    entries = rispy.loads(to_ris(with_isbn), list_tags=LIST_TAGS)
    assert [e["issn"] for e in entries] == [list(citation(r).isbns) for r in with_isbn]


def test_csv_of_chosen_fields(jazz: list[Record]) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(jazz, ["001", "245$ab", "650$a"]))))
    assert rows[0] == ["001", "245$ab", "650$a"]
    assert len(rows) == len(jazz) + 1
    assert rows[1][0] == jazz[0]["001"].data
    assert rows[1][1].startswith(jazz[0]["245"]["a"])


def test_mods_is_well_formed_and_structured(jazz: list[Record]) -> None:
    root = etree.fromstring(to_mods_collection(jazz))
    assert root.tag == f"{M}modsCollection"
    mods = root.findall(f"{M}mods")
    assert len(mods) == len(jazz)
    for element, record in zip(mods, jazz, strict=True):
        c = citation(record)
        assert element.findtext(f"{M}titleInfo/{M}title") == c.title
        assert element.find(f"{M}originInfo") is not None
        if c.authors:
            assert element.findtext(f"{M}name/{M}namePart") == c.authors[0]
        assert [i.text for i in element.findall(f"{M}identifier[@type='isbn']")] == list(c.isbns)
