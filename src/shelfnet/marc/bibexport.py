"""Records for reference managers and other metadata systems: RIS, BibTeX, CSV, MODS.

The mappings are shelfnet's own, written from the RIS tag list, the BibTeX entry
fields, and the MODS 3 element definitions. They take the descriptive core of a MARC 21
record (see ``Citation``): what a reference manager or a repository needs to find and
cite the item. Input records must hold Unicode text (as ``decode_marc`` returns them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree
from pymarc import Field, Record

MODS_NAMESPACE = "http://www.loc.gov/mods/v3"
MODS_VERSION = "3.8"
_TRAILING = re.compile(r"[\s/:;,.=]+$")
_YEAR = re.compile(r"\d{4}")
_ISBN = re.compile(r"[0-9Xx-]{10,17}")


@dataclass(frozen=True)
class Citation:
    """The fields every bibliographic export draws on."""

    kind: str  # "book", "serial", "music", "map", "other"
    title: str
    subtitle: str
    authors: tuple[str, ...]
    corporate: tuple[str, ...]
    year: str
    publisher: str
    place: str
    edition: str
    isbns: tuple[str, ...]
    issns: tuple[str, ...]
    subjects: tuple[str, ...]
    language: str
    extent: str
    urls: tuple[str, ...]
    control_number: str


def _clean(text: str) -> str:
    return _TRAILING.sub("", text.strip()).strip("[] ")


def _first(record: Record, tag: str, code: str) -> str:
    for field in record.get_fields(tag):
        for value in field.get_subfields(code):
            return _clean(value)
    return ""


def _publication(record: Record) -> Field | None:
    fields = record.get_fields("264")
    preferred = [f for f in fields if f.indicator2 == "1"]
    return next(iter(preferred or fields or record.get_fields("260")), None)


def _kind(leader: str) -> str:
    if leader[7:8] == "s":
        return "serial"
    return {"a": "book", "t": "book", "c": "music", "d": "music", "j": "music",
            "e": "map", "f": "map"}.get(leader[6:7], "other")  # fmt: skip


def citation(record: Record) -> Citation:
    """The descriptive core of a MARC 21 record."""
    publication = _publication(record)

    def pub(code: str) -> str:
        values = publication.get_subfields(code) if publication is not None else []
        return _clean(values[0]) if values else ""

    fixed = next((f.data or "" for f in record.get_fields("008")), "")
    year_match = _YEAR.search(pub("c")) or _YEAR.search(fixed[7:11])
    isbns = [m.group(0).replace("-", "") for f in record.get_fields("020")
             for v in f.get_subfields("a") if (m := _ISBN.search(v))]  # fmt: skip
    people = [
        _clean(v)
        for tag in ("100", "700")
        for f in record.get_fields(tag)
        for v in f.get_subfields("a")
    ]
    bodies = [
        _clean(" ".join(f.get_subfields("a", "b")))
        for tag in ("110", "710")
        for f in record.get_fields(tag)
    ]
    headings = [f for f in record.fields if f.tag in ("600", "610", "611", "630", "650", "651")]
    subjects = [_clean(" -- ".join(f.get_subfields("a", "x", "y", "z", "v"))) for f in headings]
    return Citation(
        kind=_kind(str(record.leader)),
        title=_first(record, "245", "a"),
        subtitle=_first(record, "245", "b"),
        authors=tuple(people),
        corporate=tuple(bodies),
        year=year_match.group(0) if year_match else "",
        publisher=pub("b"),
        place=pub("a"),
        edition=_first(record, "250", "a"),
        isbns=tuple(isbns),
        issns=tuple(_clean(v) for f in record.get_fields("022") for v in f.get_subfields("a")),
        subjects=tuple(s for s in subjects if s),
        language=fixed[35:38].strip(),
        extent=_first(record, "300", "a"),
        urls=tuple(v for f in record.get_fields("856") for v in f.get_subfields("u")),
        control_number=next((f.data or "" for f in record.get_fields("001")), "").strip(),
    )


# --- RIS --------------------------------------------------------------------------------

_RIS_TYPES = {"book": "BOOK", "serial": "JFULL", "music": "MUSIC", "map": "MAP", "other": "GEN"}


def to_ris(records: Iterable[Record]) -> str:
    """RIS text, one ``TY`` ... ``ER`` block per record."""
    return "".join(_ris(citation(r)) for r in records)


def _ris(c: Citation) -> str:
    lines = [("TY", _RIS_TYPES[c.kind]), ("TI", c.title), ("T2", c.subtitle)]
    lines += [("AU", a) for a in c.authors] + [("A2", b) for b in c.corporate]
    lines += [("PY", c.year), ("PB", c.publisher), ("CY", c.place), ("ET", c.edition)]
    lines += [("SN", n) for n in c.isbns + c.issns] + [("KW", s) for s in c.subjects]
    lines += [("LA", c.language), ("UR", next(iter(c.urls), "")), ("ID", c.control_number)]
    body = "".join(f"{tag}  - {value}\n" for tag, value in lines if value)
    return body + "ER  - \n\n"


# --- BibTeX -----------------------------------------------------------------------------

_BIBTEX_TYPES = {"book": "book", "serial": "periodical", "music": "misc", "map": "misc"}


def to_bibtex(records: Iterable[Record]) -> str:
    """BibTeX entries; keys are author-year-control number, unique within the export."""
    entries, used = [], set[str]()
    for record in records:
        c = citation(record)
        key = _bibtex_key(c, used)
        used.add(key)
        entries.append(_bibtex(c, key))
    return "\n".join(entries)


def _bibtex_key(c: Citation, used: set[str]) -> str:
    stem = re.sub(r"\W", "", (c.authors[0].split(",")[0] if c.authors else "anon"), flags=re.ASCII)
    key = f"{stem or 'anon'}{c.year}{re.sub(r'[^A-Za-z0-9]', '', c.control_number)}"
    suffix, candidate = 1, key
    while candidate in used:
        suffix += 1
        candidate = f"{key}_{suffix}"
    return candidate


def _bibtex_value(text: str) -> str:
    # Braces must balance inside {...}; escape the ones in the data, and BibTeX specials.
    escaped = re.sub(r"([{}%&#_$\\])", r"\\\1", text)
    return "{" + escaped + "}"


def _bibtex(c: Citation, key: str) -> str:
    title = f"{c.title}: {c.subtitle}" if c.subtitle else c.title
    fields = [("title", title), ("author", " and ".join(c.authors)), ("year", c.year),
              ("publisher", c.publisher), ("address", c.place), ("edition", c.edition),
              ("isbn", ", ".join(c.isbns)), ("issn", ", ".join(c.issns)),
              ("keywords", "; ".join(c.subjects)), ("url", next(iter(c.urls), ""))]  # fmt: skip
    if not c.authors and c.corporate:
        fields[1] = ("author", "{" + c.corporate[0] + "}")
    body = ",\n".join(f"  {name} = {_bibtex_value(value)}" for name, value in fields if value)
    return f"@{_BIBTEX_TYPES.get(c.kind, 'misc')}{{{key},\n{body}\n}}\n"


# --- CSV --------------------------------------------------------------------------------


def to_csv(records: Iterable[Record], columns: Sequence[str]) -> str:
    """One row per record; a column is ``TAG`` (the whole field) or ``TAG$c`` (a subfield).

    Repeated fields and subfields are joined with `` | ``. Control fields give their data.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_column(record, column) for column in columns])
    return out.getvalue()


def _column(record: Record, column: str) -> str:
    tag, _, code = column.partition("$")
    if tag == "LDR":
        return str(record.leader)
    values: list[str] = []
    for field in record.get_fields(tag):
        if field.control_field:
            values.append(field.data or "")
        elif code:
            values.extend(field.get_subfields(*code))
        else:
            values.append(field.value())
    return " | ".join(values)


# --- MODS -------------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, text: str = "", **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{MODS_NAMESPACE}}}{name}", attributes)
    if text:
        element.text = text
    return element


def to_mods(record: Record) -> etree._Element:
    """One ``<mods>`` element for the record."""
    c = citation(record)
    mods = etree.Element(
        f"{{{MODS_NAMESPACE}}}mods", nsmap={None: MODS_NAMESPACE}, version=MODS_VERSION
    )
    title_info = _sub(mods, "titleInfo")
    _sub(title_info, "title", c.title)
    if c.subtitle:
        _sub(title_info, "subTitle", c.subtitle)
    for names, kind in ((c.authors, "personal"), (c.corporate, "corporate")):
        for name in names:
            element = _sub(mods, "name", type=kind)
            _sub(element, "namePart", name)
    _sub(mods, "typeOfResource", _MODS_TYPES[c.kind])
    origin = _sub(mods, "originInfo", eventType="publication")
    if c.place:
        _sub(_sub(origin, "place"), "placeTerm", c.place, type="text")
    for name, value in (("publisher", c.publisher), ("dateIssued", c.year), ("edition", c.edition)):
        if value:
            _sub(origin, name, value)
    if c.language:
        _sub(_sub(mods, "language"), "languageTerm", c.language, type="code", authority="iso639-2b")
    if c.extent:
        _sub(_sub(mods, "physicalDescription"), "extent", c.extent)
    for subject in c.subjects:
        _sub(_sub(mods, "subject"), "topic", subject)
    for kind, values in (("isbn", c.isbns), ("issn", c.issns)):
        for value in values:
            _sub(mods, "identifier", value, type=kind)
    for url in c.urls:
        _sub(_sub(mods, "location"), "url", url)
    info = _sub(mods, "recordInfo")
    if c.control_number:
        _sub(info, "recordIdentifier", c.control_number)
    return mods


_MODS_TYPES = {"book": "text", "serial": "text", "music": "notated music", "map": "cartographic",
               "other": "mixed material"}  # fmt: skip


def to_mods_collection(records: Iterable[Record]) -> bytes:
    """A ``<modsCollection>`` document, UTF-8 with an XML declaration."""
    collection = etree.Element(f"{{{MODS_NAMESPACE}}}modsCollection", nsmap={None: MODS_NAMESPACE})
    for record in records:
        collection.append(to_mods(record))
    return bytes(
        etree.tostring(collection, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
