"""Which MARC a record is in, labels for its fields, and UNIMARC to MARC 21.

Copy-cataloguing search brings back records from European targets in UNIMARC and in
national MARCs. ``detect`` looks at the record's shape (which tags carry the title,
how the control fields are built, the leader) and names the flavour; it is a heuristic,
so the UI shows the record raw with the label rather than pretending it is MARC 21.
``unimarc_to_marc21`` is written from the UNIMARC Bibliographic and MARC 21 Bibliographic
definitions for the descriptive core: title, responsibility, edition, publication,
physical description, ISBN/ISSN, subjects and names. What it does not map is dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc.rules_data import CONTROL_RULES, RULES


class Flavour(enum.Enum):
    MARC21 = "MARC 21"
    UNIMARC = "UNIMARC"
    UKMARC = "UKMARC"
    NORMARC = "NORMARC"
    DANMARC2 = "danMARC2"
    MAB2 = "MAB2"
    UNKNOWN = "unknown"


def _tags(record: Record) -> set[str]:
    return {f.tag for f in record.fields}


def _has_data_in_control(record: Record) -> bool:
    return any(f.control_field and "\x1f" in (f.data or "") for f in record.fields)


def detect(record: Record) -> Flavour:
    """The flavour the record's structure points to; ``UNKNOWN`` when nothing fits."""
    tags, leader = _tags(record), str(record.leader)
    if leader[6:11] == "M2.01" or ({"331", "425"} <= tags and "245" not in tags):
        return Flavour.MAB2
    if _has_data_in_control(record) or ("004" in tags and "245" in tags and "008" not in tags):
        return Flavour.DANMARC2
    if "200" in tags and "245" not in tags:
        return Flavour.UNIMARC
    if "245" in tags:
        if "019" in tags and any(
            s.code in "bd" for f in record.get_fields("019") for s in f.subfields
        ):
            return Flavour.NORMARC
        if tags & {"690", "691", "692"} and any(t.startswith("69") for t in tags) and "015" in tags:
            return Flavour.UKMARC
        return Flavour.MARC21
    return Flavour.UNKNOWN


UNIMARC_LABELS = {
    "001": "Record identifier", "005": "Version identifier", "010": "ISBN", "011": "ISSN",
    "020": "National bibliography number", "100": "General processing data",
    "101": "Language of the item", "102": "Country of publication",
    "200": "Title and statement of responsibility", "205": "Edition statement",
    "210": "Publication, distribution, etc.", "214": "Production, publication (new)",
    "215": "Physical description", "225": "Series", "300": "General note",
    "330": "Summary", "410": "Series link", "600": "Subject, personal name",
    "601": "Subject, corporate body", "602": "Subject, family name",
    "604": "Subject, name and title", "605": "Subject, title", "606": "Subject, topical",
    "607": "Subject, geographical", "676": "Dewey", "686": "Other classification",
    "700": "Personal name, primary responsibility", "701": "Personal name, alternative",
    "702": "Personal name, secondary", "710": "Corporate name, primary responsibility",
    "711": "Corporate name, alternative", "712": "Corporate name, secondary",
    "801": "Originating source", "856": "Electronic location",
}  # fmt: skip
MAB2_LABELS = {
    "001": "Identifikationsnummer", "100": "Person", "331": "Hauptsachtitel",
    "335": "Zusätze zum Hauptsachtitel", "359": "Verfasserangabe", "403": "Ausgabe",
    "410": "Ort", "412": "Verlag", "425": "Erscheinungsjahr", "433": "Umfang",
    "540": "ISBN", "542": "ISSN",
}  # fmt: skip
DANMARC2_LABELS = {
    "001": "Record identification", "004": "Record type", "008": "Coded data",
    "021": "ISBN", "245": "Title", "260": "Publication", "300": "Physical description",
    "100": "Main entry, person", "652": "DK5 classification", "666": "Subject words",
}  # fmt: skip
_MARC21_EXTRA = {"019": "Local coded data (NORMARC 019)"}


def _marc21_label(tag: str) -> str | None:
    if tag in RULES:
        return RULES[tag].name
    if tag in CONTROL_RULES:
        return CONTROL_RULES[tag][0]
    return None


def labels(record: Record, flavour: Flavour) -> list[tuple[str, str]]:
    """A (tag, label) pair per field in record order, in the flavour's own terms."""
    table: Callable[[str], str | None] = {
        Flavour.UNIMARC: UNIMARC_LABELS.get,
        Flavour.MAB2: MAB2_LABELS.get,
        Flavour.DANMARC2: DANMARC2_LABELS.get,
    }.get(flavour, lambda tag: _marc21_label(tag) or _MARC21_EXTRA.get(tag))
    result = [("LDR", f"Leader ({flavour.value})")]
    for field in record.fields:
        known = table(field.tag)
        local = field.tag.startswith("9") and flavour is not Flavour.MAB2
        name = known or ("Local field" if local else "Field not described")
        result.append((field.tag, f"{name} [{flavour.value}]"))
    return result


# --- UNIMARC -> MARC 21 ----------------------------------------------------------------

_RELATORS = {"070": "aut", "340": "edt", "730": "trl", "440": "ill", "650": "pbl", "557": "org"}


def _values(field: Field, code: str) -> list[str]:
    return [s.value for s in field.subfields if s.code == code]


def _first(field: Field, code: str) -> str:
    return next(iter(_values(field, code)), "")


def _subs(*pairs: tuple[str, str]) -> list[Subfield]:
    return [Subfield(code, value) for code, value in pairs if value]


def _data(tag: str, ind1: str, ind2: str, *pairs: tuple[str, str]) -> Field:
    return Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=_subs(*pairs))


def _title(field: Field, has_main_entry: bool) -> Field:
    titles = _values(field, "a")
    responsibility = " ; ".join(_values(field, "f") + _values(field, "g"))
    remainder = " : ".join(_values(field, "e") + titles[1:])
    pairs = [("a", titles[0] if titles else ""), ("b", remainder), ("n", _first(field, "h"))]
    pairs += [("p", _first(field, "i")), ("c", responsibility)]
    return _data("245", "1" if has_main_entry else "0", "0", *pairs)


def _person(tag: str, field: Field) -> Field:
    name = ", ".join(v for v in (_first(field, "a"), _first(field, "b")) if v)
    relators = [_RELATORS.get(code, code) for code in _values(field, "4")]
    ind1 = "1" if field.indicator2 == "1" else "0"
    subfields = _subs(("a", name), ("c", _first(field, "c")), ("d", _first(field, "f")))
    subfields += [Subfield("4", code) for code in relators]
    return Field(tag=tag, indicators=Indicators(ind1, " "), subfields=subfields)


def _corporate(tag: str, field: Field) -> Field:
    meeting = field.indicator1 == "1"
    target = tag[0] + ("11" if meeting else "10")
    subfields = _subs(("a", _first(field, "a")), *(("b", v) for v in _values(field, "b")))
    return Field(tag=target, indicators=Indicators("2", " "), subfields=subfields)


def _subject(tag: str, field: Field) -> Field:
    pairs = [("a", ", ".join(v for v in (_first(field, "a"), _first(field, "b")) if v))]
    pairs += [({"x": "x", "y": "z", "z": "y", "j": "v"}[s.code], s.value)
              for s in field.subfields if s.code in "xyzj"]  # fmt: skip
    ind1 = "1" if tag == "600" else ("2" if tag == "610" else " ")
    return _data(tag, ind1, "4", *pairs)


_SIMPLE: dict[str, tuple[str, dict[str, str]]] = {
    "010": ("020", {"a": "a", "b": "q", "d": "c", "z": "z"}),
    "011": ("022", {"a": "a", "y": "y", "z": "z"}),
    "205": ("250", {"a": "a", "f": "b"}),
    "210": ("260", {"a": "a", "c": "b", "d": "c"}),
    "214": ("264", {"a": "a", "c": "b", "d": "c"}),
    "215": ("300", {"a": "a", "c": "b", "d": "c", "e": "e"}),
}
_SUBJECTS = {"600": "600", "601": "610", "602": "600", "606": "650", "607": "651"}
_NAMES = {"700": "100", "701": "700", "702": "700"}
_CORPORATE = {"710": "1", "711": "7", "712": "7"}


def unimarc_to_marc21(record: Record) -> Record:
    """A MARC 21 record with the descriptive core of a UNIMARC record."""
    out = Record(force_utf8=True)
    leader = str(record.leader)
    # Leader/05-07 mean the same in both; 08 (UNIMARC hierarchy) has no MARC 21 match;
    # 09 is UTF-8 now; 18 "i" is ISBD punctuation.
    out.leader = Leader(f"{leader[:8]} a22{leader[12:17]}{leader[17]}i 4500")
    main_entry = any(f.tag in ("700", "710") for f in record.fields)
    converted: list[Field] = []
    for field in record.fields:
        converted.extend(_convert(field, main_entry))
    converted.append(_fixed_data(record))
    out.fields = sorted(converted, key=lambda f: f.tag)
    return out


def _convert(field: Field, main_entry: bool) -> list[Field]:
    tag = field.tag
    if tag in ("001", "005"):
        return [Field(tag=tag, data=field.data or "")]
    if tag == "200":
        return [_title(field, main_entry)]
    if tag in _SIMPLE:
        target, codes = _SIMPLE[tag]
        ind2 = {"0": "0", "1": "1", "2": "2", "3": "3", "4": "4"}.get(field.indicator2, "1")
        pairs = [(codes[s.code], s.value) for s in field.subfields if s.code in codes]
        return [_data(target, " ", ind2 if target == "264" else " ", *pairs)]
    if tag in _SUBJECTS:
        return [_subject(_SUBJECTS[tag], field)]
    if tag in _NAMES:
        return [_person(_NAMES[tag], field)]
    if tag in _CORPORATE:
        return [_corporate(_CORPORATE[tag] + "10", field)]
    if tag == "101":
        return [_data("041", "0", " ", *(("a", v) for v in _values(field, "a")))]
    return []


def _fixed_data(record: Record) -> Field:
    """An 008 from UNIMARC 100 (dates) and 101 (language)."""
    general = next((_first(f, "a") for f in record.get_fields("100")), "").ljust(36)
    language = next((_first(f, "a") for f in record.get_fields("101")), "").ljust(3)[:3]
    entered = general[2:8] if general[:8].strip().isdigit() else "      "
    date1 = general[9:13] if general[9:13].strip() else "    "
    books = "xx " + " " * 11 + "000 0 "  # place unknown, books 18-34 mostly unknown
    return Field(tag="008", data=f"{entered}s{date1}    {books}{language} d")
