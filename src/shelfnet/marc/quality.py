"""A record-quality score for MARC 21 bibliographic records, with the reasons behind it.

Copy cataloguers choose between several records for one book; the score ranks them the way
a cataloguer would, and says why. Every rule adds ``weight x factor`` points, where the
factor is between -1 and 1 or a count; the total is the sum. ``Score.explain()`` lists each
contribution, e.g. ``+20 full level (encoding level ' ')``. Weights come from ``Weights``
(the ``[search.score]`` table of the configuration); a weight of 0 switches its rule off.

Rule                    Default  Contribution (weight x factor)
----------------------  -------  ---------------------------------------------------------
encoding_level               20  leader/17: ' ' full and 'I' full (OCLC) x1; '1' full,
                                 material not examined x0.75; '4' core and 'L' full,
                                 batch-loaded (OCLC) x0.5; '2' less than full, not examined,
                                 '5' partial (preliminary) and 'u' unknown x-0.25;
                                 '3' abbreviated, '7' minimal, '8' prepublication (CIP),
                                 'K' and 'M' less than full (OCLC), 'J' deleted (OCLC) and
                                 anything else x-0.5; 'z' not applicable x0
cataloguing_agency            5  040 $a or $c names an agency x1; otherwise x-1
lc_record                    10  040 $a or $c is DLC (a Library of Congress record) x1
authentication                5  042 $a holds an authentication code (pcc, lccopycat...) x1
descriptive_form              5  leader/18: 'a' AACR 2 and 'i' ISBD punctuation included
                                 (RDA era) x1; 'c' ISBD, punctuation omitted x0.5;
                                 'n' non-ISBD, punctuation omitted and 'u' unknown x-0.5;
                                 ' ' non-ISBD and anything else x-1
rda                           5  040 $e rda, or else 336/337/338 present x1
lc_call_number               10  first 050 $a: class letters and number ("ML3506",
                                 "G4362.Y62 2007") x1; anything else x-0.5
dewey_call_number             5  first 082 $a: three digits, optional decimals ("781.65")
                                 x1; anything else x-0.5
local_call_number             3  first 090 (LC form) or else 092 (Dewey form) $a:
                                 well formed x1; anything else x-0.5
subject_heading               2  x the number of LC subject headings (600, 610, 611, 630,
                                 647, 648, 650, 651, 655 with second indicator 0), at most 5
no_subject_headings          10  no LC subject heading: x-0.5 when there are headings from
                                 other thesauri (second indicator 1-7), otherwise x-1
isbn                          5  some 020 $a is a valid ISBN-10 or ISBN-13 x1
invalid_isbn                  5  x -(the number of 020 $a that are not valid ISBNs)
issn                          5  some 022 $a is a valid ISSN x1
invalid_issn                  5  x -(the number of 022 $a that are not valid ISSNs)
physical_description          5  300 $a present x1; otherwise x-1
publication                   5  260/264 $b and $c present x1; only one of them x0.5;
                                 neither x-1
responsibility                3  245 $c present x1 (no points off without: many items
                                 carry no statement of responsibility)
main_entry                    5  first 100/110/111 with $a and a defined first indicator
                                 x1 (a 100 coded '1', surname, must be inverted: "Shaw,
                                 Arnold."); otherwise x-0.5; no name main entry x0
authority_link                1  x the number of headings (1XX, 6XX, 7XX, 8XX) with an
                                 authority link in $0 or $1, at most 5
data_fields                 0.5  x the number of data fields 010-899 (local 9XX not
                                 counted), at most 20
fixed_field                   5  an 008 whose date 1 (008/07-10) is four digits, digits
                                 then 'u's, or 'uuuu' x1; an 008 without one x-0.5;
                                 no 008 x-1
replacement_characters       10  U+FFFD (a character lost in conversion) anywhere x-1
control_characters            5  C0 control characters other than ESC in data x-1
marc8_escapes                10  ESC (0x1B), a MARC-8 escape sequence left undecoded, x-1

So a full-level LC record with subjects earns +20 for its level, +10 as an LC record and
+2 for each subject heading; a minimal-level one loses 10 for its level and 10 for having
no subjects. Call numbers are checked for form, not against the classification schedules;
spaces and the apostrophes some systems put between the parts of an LC call number are
ignored. Check digits are computed here: an ISBN-13 must also begin 978 or 979.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import TypeAlias

import pymarc

_Check: TypeAlias = Callable[[str], bool]
"""Whether a call number is well formed."""
_Problem: TypeAlias = Callable[[str], str | None]
"""What is wrong with a standard number (ISBN, ISSN), or None."""


@dataclass(frozen=True)
class Contribution:
    """Points one rule gave a record, and why."""

    points: float
    reason: str
    """A sentence fragment a cataloguer can check against the record."""
    rule: str
    """The ``Weights`` field that weighed it."""

    def __str__(self) -> str:
        return f"{_signed(self.points)} {self.reason}"


@dataclass(frozen=True)
class Score:
    """A record's quality: the sum of its contributions, in rule order."""

    total: float
    contributions: tuple[Contribution, ...]

    def explain(self) -> list[str]:
        """One line per contribution, e.g. ``+20 full level (encoding level ' ')``."""
        return [str(contribution) for contribution in self.contributions]


@dataclass(frozen=True)
class Weights:
    """The weight of every rule; the module docstring tabulates the rules and defaults."""

    encoding_level: float = 20.0
    cataloguing_agency: float = 5.0
    lc_record: float = 10.0
    authentication: float = 5.0
    descriptive_form: float = 5.0
    rda: float = 5.0
    lc_call_number: float = 10.0
    dewey_call_number: float = 5.0
    local_call_number: float = 3.0
    subject_heading: float = 2.0
    no_subject_headings: float = 10.0
    isbn: float = 5.0
    invalid_isbn: float = 5.0
    issn: float = 5.0
    invalid_issn: float = 5.0
    physical_description: float = 5.0
    publication: float = 5.0
    responsibility: float = 3.0
    main_entry: float = 5.0
    authority_link: float = 1.0
    data_fields: float = 0.5
    fixed_field: float = 5.0
    replacement_characters: float = 10.0
    control_characters: float = 5.0
    marc8_escapes: float = 10.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Weights:
        """The defaults with ``values`` (rule name -> weight) in their place.

        Raises ``ValueError`` naming any key that is not a rule, or any weight that is not
        a finite number.
        """
        known = {field.name for field in fields(cls)}
        unknown = [name for name in values if name not in known]
        if unknown:
            noun = "weight" if len(unknown) == 1 else "weights"
            names = ", ".join(repr(name) for name in unknown)
            raise ValueError(
                f"unknown record-quality {noun} {names}; the weights are: "
                + ", ".join(field.name for field in fields(cls))
            )
        checked: dict[str, float] = {}
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"record-quality weight {name!r} must be a number, not {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"record-quality weight {name!r} must be finite, not {value!r}")
            checked[name] = float(value)
        return cls(**checked)


DEFAULT_WEIGHTS = Weights()


def score_record(record: pymarc.Record, weights: Weights = DEFAULT_WEIGHTS) -> Score:
    """Score a bibliographic record; never raises, however odd the record."""
    contributions: list[Contribution] = []
    for finding in _findings(record):
        weight: float = getattr(weights, finding.rule)
        points = weight * finding.factor
        if points != 0:
            contributions.append(Contribution(points, finding.reason, finding.rule))
    return Score(sum((c.points for c in contributions), 0.0), tuple(contributions))


@dataclass(frozen=True)
class _Finding:
    rule: str
    factor: float
    reason: str


def _findings(record: pymarc.Record) -> Iterator[_Finding]:
    leader = str(record.leader)
    yield _encoding_level(leader)
    yield from _cataloguing_source(record, leader)
    yield from _call_numbers(record)
    yield _subjects(record)
    yield from _standard_numbers(record, "020", "ISBN", _isbn_problem, "isbn")
    yield from _standard_numbers(record, "022", "ISSN", _issn_problem, "issn")
    yield from _description(record)
    yield from _headings(record)
    yield from _completeness(record)
    yield from _character_set(record)


# --- encoding level and cataloguing source ------------------------------------------------

_ENCODING_LEVELS: Mapping[str, tuple[float, str]] = {
    " ": (1.0, "full level"),
    "I": (1.0, "full level, OCLC participant"),
    "1": (0.75, "full level, material not examined"),
    "4": (0.5, "core level"),
    "L": (0.5, "full level, batch-loaded (OCLC)"),
    "2": (-0.25, "less-than-full level, material not examined"),
    "5": (-0.25, "partial (preliminary) level"),
    "u": (-0.25, "unknown level"),
    "3": (-0.5, "abbreviated level"),
    "7": (-0.5, "minimal level"),
    "8": (-0.5, "prepublication (CIP) level"),
    "K": (-0.5, "less-than-full level, OCLC participant"),
    "M": (-0.5, "less-than-full level, batch-loaded (OCLC)"),
    "J": (-0.5, "deleted record (OCLC)"),
    "z": (0.0, "level not applicable"),
}
_UNKNOWN_LEVEL = (-0.5, "unrecognised level")

_DESCRIPTIVE_FORMS: Mapping[str, tuple[float, str]] = {
    "a": (1.0, "AACR 2 description"),
    "i": (1.0, "ISBD punctuation included, RDA era"),
    "c": (0.5, "ISBD punctuation omitted"),
    "n": (-0.5, "non-ISBD, punctuation omitted"),
    "u": (-0.5, "unknown descriptive cataloguing form"),
    " ": (-1.0, "non-ISBD description"),
}
_UNKNOWN_FORM = (-1.0, "unrecognised descriptive cataloguing form")


def _encoding_level(leader: str) -> _Finding:
    code = leader[17:18]
    factor, label = _ENCODING_LEVELS.get(code, _UNKNOWN_LEVEL)
    return _Finding("encoding_level", factor, f"{label} (encoding level {code!r})")


def _cataloguing_source(record: pymarc.Record, leader: str) -> Iterator[_Finding]:
    sources = _data_fields(record, "040")
    agencies = [(code, value) for code in "ac" for value in _values(sources, code)]
    if agencies:
        code, agency = agencies[0]
        yield _Finding("cataloguing_agency", 1, f"cataloguing agency named (040 ${code} {agency})")
    else:
        yield _Finding("cataloguing_agency", -1, "no cataloguing agency (040 $a/$c)")
    if any(agency == "DLC" for _, agency in agencies):
        yield _Finding("lc_record", 1, "Library of Congress record (040 DLC)")
    if codes := _values(_data_fields(record, "042"), "a"):
        yield _Finding("authentication", 1, f"authenticated (042 {', '.join(codes)})")
    code = leader[18:19]
    factor, label = _DESCRIPTIVE_FORMS.get(code, _UNKNOWN_FORM)
    yield _Finding("descriptive_form", factor, f"{label} (leader/18 {code!r})")
    if any(rules.lower() == "rda" for rules in _values(sources, "e")):
        yield _Finding("rda", 1, "RDA (040 $e rda)")
    elif _data_fields(record, "336", "337", "338"):
        yield _Finding("rda", 1, "RDA content, media and carrier types (336/337/338)")


# --- call numbers -------------------------------------------------------------------------

# LC classes begin with one of these letters (none with I, O, W, X or Y); the class number
# follows, up to four digits with optional decimals.
_LC_CALL_NUMBER = re.compile(r"[A-HJ-NP-VZ][A-Z]{0,2} ?[0-9]{1,4}(\.[0-9]+)?(?![0-9])")
_DEWEY_NUMBER = re.compile(r"[0-9]{3}(\.[0-9]+)?")


def _is_lc_call_number(value: str) -> bool:
    return _LC_CALL_NUMBER.match(value.replace("'", " ").strip()) is not None


def _is_dewey_number(value: str) -> bool:
    # "/" and "'" are segmentation marks: "781.65/092" is the number 781.65092.
    compact = value.replace("/", "").replace("'", "").strip()
    return _DEWEY_NUMBER.fullmatch(compact) is not None


def _call_numbers(record: pymarc.Record) -> Iterator[_Finding]:
    yield from _call_number(record, "050", "LC", "lc_call_number", _is_lc_call_number)
    yield from _call_number(record, "082", "Dewey", "dewey_call_number", _is_dewey_number)
    if _data_fields(record, "090"):
        yield from _call_number(record, "090", "local", "local_call_number", _is_lc_call_number)
    else:
        yield from _call_number(record, "092", "local", "local_call_number", _is_dewey_number)


def _call_number(
    record: pymarc.Record, tag: str, kind: str, rule: str, well_formed: _Check
) -> Iterator[_Finding]:
    found = _data_fields(record, tag)
    if not found:
        return
    numbers = _values(found[:1], "a")
    if numbers and well_formed(numbers[0]):
        yield _Finding(rule, 1, f"{kind} call number {numbers[0]} ({tag})")
    elif numbers:
        yield _Finding(rule, -0.5, f"malformed {kind} call number {numbers[0]!r} ({tag} $a)")
    else:
        yield _Finding(rule, -0.5, f"{kind} call number without $a ({tag})")


# --- subjects -----------------------------------------------------------------------------

_SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "655")
_SUBJECT_CAP = 5
_OTHER_THESAURI = frozenset("1234567")


def _subjects(record: pymarc.Record) -> _Finding:
    headings = _data_fields(record, *_SUBJECT_TAGS)
    lcsh = [field for field in headings if field.indicator2 == "0"]
    if lcsh:
        counted = min(len(lcsh), _SUBJECT_CAP)
        capped = f", {counted} counted" if counted < len(lcsh) else ""
        noun = _plural(len(lcsh), "LC subject heading")
        return _Finding("subject_heading", counted, f"{noun} (6XX second indicator 0){capped}")
    others = [field for field in headings if field.indicator2 in _OTHER_THESAURI]
    if others:
        noun = _plural(len(others), "heading")
        return _Finding(
            "no_subject_headings",
            -0.5,
            f"no LC subject headings; {noun} from other thesauri (6XX second indicator 1-7)",
        )
    # Uncontrolled (653), local (69X) or undefined-thesaurus fields: named, but no credit.
    if unnamed := [field.tag for field in _all_data_fields(record) if field.tag.startswith("6")]:
        tags = ", ".join(dict.fromkeys(unnamed))
        return _Finding(
            "no_subject_headings",
            -1,
            f"no LC subject headings (6XX second indicator 0), only {tags} without a thesaurus",
        )
    return _Finding("no_subject_headings", -1, "no subject headings (6XX)")


# --- ISBN and ISSN ------------------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"\s*([0-9Xx][0-9Xx -]*)")


def _standard_numbers(
    record: pymarc.Record, tag: str, name: str, problem: _Problem, rule: str
) -> Iterator[_Finding]:
    valid: list[str] = []
    invalid: list[str] = []
    for value in _values(_data_fields(record, tag), "a"):
        matched = _LEADING_NUMBER.match(value)
        number = matched.group(1).strip() if matched else value
        trouble = problem(number.replace("-", "").replace(" ", "").upper())
        if trouble is None:
            valid.append(number)
        else:
            invalid.append(f"{number if matched else repr(value)}: {trouble}")
    if valid:
        yield _Finding(rule, 1, f"valid {name} {valid[0]} ({tag} $a)")
    if invalid:
        noun = _plural(len(invalid), f"invalid {name}")
        yield _Finding(f"invalid_{rule}", -len(invalid), f"{noun} ({tag} $a {'; '.join(invalid)})")


def _isbn_problem(isbn: str) -> str | None:
    if re.fullmatch(r"[0-9]{9}[0-9X]", isbn):
        # ISBN-10: weights 10..2, the check digit makes the sum divisible by 11 (X is 10).
        total = sum((10 - i) * int(digit) for i, digit in enumerate(isbn[:9]))
        return _check_digit_problem(isbn[9], _mod11_check_digit(total))
    if re.fullmatch(r"97[89][0-9]{10}", isbn):
        # ISBN-13 (EAN): weights 1, 3, 1, 3...; the check digit makes the sum a multiple of 10.
        total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(isbn[:12]))
        return _check_digit_problem(isbn[12], str(-total % 10))
    return "not an ISBN-10 or ISBN-13"


def _issn_problem(issn: str) -> str | None:
    if re.fullmatch(r"[0-9]{7}[0-9X]", issn):
        total = sum((8 - i) * int(digit) for i, digit in enumerate(issn[:7]))
        return _check_digit_problem(issn[7], _mod11_check_digit(total))
    return "not an ISSN"


def _mod11_check_digit(total: int) -> str:
    check = -total % 11
    return "X" if check == 10 else str(check)


def _check_digit_problem(given: str, expected: str) -> str | None:
    return None if given == expected else f"check digit should be {expected}"


# --- description --------------------------------------------------------------------------


def _description(record: pymarc.Record) -> Iterator[_Finding]:
    if _values(_data_fields(record, "300"), "a"):
        yield _Finding("physical_description", 1, "physical description (300 $a)")
    else:
        yield _Finding("physical_description", -1, "no physical description (300 $a)")
    imprints = _data_fields(record, "260", "264")
    tags = "/".join(dict.fromkeys(field.tag for field in imprints)) or "260/264"
    publisher, date = bool(_values(imprints, "b")), bool(_values(imprints, "c"))
    if publisher and date:
        yield _Finding("publication", 1, f"publisher and date ({tags} $b $c)")
    elif publisher:
        yield _Finding("publication", 0.5, f"publisher but no date ({tags} $b)")
    elif date:
        yield _Finding("publication", 0.5, f"date but no publisher ({tags} $c)")
    else:
        yield _Finding("publication", -1, f"no publisher or date ({tags} $b $c)")
    if _values(_data_fields(record, "245"), "c"):
        yield _Finding("responsibility", 1, "statement of responsibility (245 $c)")


# --- headings -----------------------------------------------------------------------------

# First indicators MARC 21 defines for each name main entry, and what they mean.
_MAIN_ENTRY_FORMS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "100": ("personal name", {"0": "forename", "1": "surname", "3": "family name"}),
    "110": ("corporate name", {"0": "inverted name", "1": "jurisdiction", "2": "direct order"}),
    "111": ("meeting name", {"0": "inverted name", "1": "jurisdiction", "2": "direct order"}),
}
_HEADING_TAGS = (
    *("100", "110", "111", "130"),
    *_SUBJECT_TAGS,
    *("654", "656", "657", "662"),
    *("700", "710", "711", "720", "730", "740", "751", "752", "753", "754"),
    *("800", "810", "811", "830"),
)
_AUTHORITY_LINK_CAP = 5


def _headings(record: pymarc.Record) -> Iterator[_Finding]:
    main_entries = _data_fields(record, *_MAIN_ENTRY_FORMS)
    if main_entries:
        yield _main_entry(main_entries[0])
    linked = [
        field
        for field in _data_fields(record, *_HEADING_TAGS)
        if any(code in ("0", "1") for code in _codes(field))
    ]
    if linked:
        counted = min(len(linked), _AUTHORITY_LINK_CAP)
        capped = f", {counted} counted" if counted < len(linked) else ""
        noun = _plural(len(linked), "heading")
        yield _Finding("authority_link", counted, f"{noun} linked to authorities ($0/$1){capped}")


def _main_entry(field: pymarc.Field) -> _Finding:
    kind, forms = _MAIN_ENTRY_FORMS[field.tag]
    indicator = field.indicator1
    names = _values([field], "a")
    if not names:
        return _Finding("main_entry", -0.5, f"{kind} main entry without $a ({field.tag})")
    if indicator not in forms:
        return _Finding(
            "main_entry",
            -0.5,
            f"{kind} main entry with undefined first indicator {indicator!r} ({field.tag})",
        )
    # A surname heading is inverted: "Shaw, Arnold." (a closing comma does not count).
    if indicator == "1" and field.tag == "100" and "," not in names[0].rstrip(" ,.;:"):
        return _Finding(
            "main_entry",
            -0.5,
            f"{kind} main entry coded as a surname but not inverted: {names[0]!r} (100)",
        )
    return _Finding(
        "main_entry",
        1,
        f"{kind} main entry, {forms[indicator]} form ({field.tag} first indicator {indicator!r})",
    )


# --- completeness -------------------------------------------------------------------------

_DATA_FIELD_CAP = 20
# Four digits, digits then 'u's ("19uu"), or "uuuu".
_DATE1 = re.compile(r"(?=[0-9u]{4}$)[0-9]*u*")


def _completeness(record: pymarc.Record) -> Iterator[_Finding]:
    data_fields = [
        field
        for field in _all_data_fields(record)
        if field.tag.isascii() and field.tag.isdigit() and "010" <= field.tag < "900"
    ]
    if data_fields:
        counted = min(len(data_fields), _DATA_FIELD_CAP)
        capped = f", {counted} counted" if counted < len(data_fields) else ""
        noun = _plural(len(data_fields), "data field")
        yield _Finding("data_fields", counted, f"{noun} (010-899){capped}")
    fixed = [field.data or "" for field in record.fields if _is_control(field, "008")]
    dates = [data[7:11] for data in fixed]
    if any(_DATE1.fullmatch(date) for date in dates):
        date = next(date for date in dates if _DATE1.fullmatch(date))
        yield _Finding("fixed_field", 1, f"fixed-length data with date 1 {date!r} (008/07-10)")
    elif fixed:
        yield _Finding(
            "fixed_field",
            -0.5,
            f"fixed-length data without a valid date 1: {dates[0]!r} (008/07-10)",
        )
    else:
        yield _Finding("fixed_field", -1, "no fixed-length data elements (008)")


# --- character set ------------------------------------------------------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1a\x1c-\x1f]")
_CHARACTER_PROBLEMS = (
    ("replacement_characters", "\ufffd", "U+FFFD replacement characters"),
    ("control_characters", None, "control characters"),
    ("marc8_escapes", "\x1b", "MARC-8 escape sequences (ESC) left"),
)


def _character_set(record: pymarc.Record) -> Iterator[_Finding]:
    places: dict[str, list[str]] = {rule: [] for rule, _, _ in _CHARACTER_PROBLEMS}
    for place, value in _all_values(record):
        for rule, character, _ in _CHARACTER_PROBLEMS:
            found = _CONTROL_CHARACTERS.search(value) if character is None else character in value
            if found and place not in places[rule]:
                places[rule].append(place)
    for rule, _, label in _CHARACTER_PROBLEMS:
        if places[rule]:
            yield _Finding(rule, -1, f"{label} in {_listed(places[rule])}")


def _all_values(record: pymarc.Record) -> Iterator[tuple[str, str]]:
    """Every control field's data and every subfield's value, with where it is."""
    for field in record.fields:
        if field.is_control_field():
            yield field.tag, field.data or ""
        else:
            for subfield in field.subfields:
                yield f"{field.tag} ${subfield.code}", subfield.value


# --- helpers ------------------------------------------------------------------------------


def _is_control(field: pymarc.Field, tag: str) -> bool:
    return field.tag == tag and field.is_control_field()


def _all_data_fields(record: pymarc.Record) -> list[pymarc.Field]:
    return [field for field in record.fields if not field.is_control_field()]


def _data_fields(record: pymarc.Record, *tags: str) -> list[pymarc.Field]:
    return [field for field in _all_data_fields(record) if field.tag in tags]


def _values(found: Iterable[pymarc.Field], code: str) -> list[str]:
    """The non-blank values of subfield ``code`` in ``found``, stripped."""
    return [
        subfield.value.strip()
        for field in found
        for subfield in field.subfields
        if subfield.code == code and subfield.value.strip()
    ]


def _codes(field: pymarc.Field) -> list[str]:
    """The codes of the field's non-blank subfields."""
    return [subfield.code for subfield in field.subfields if subfield.value.strip()]


def _listed(places: list[str], shown: int = 3) -> str:
    more = len(places) - shown
    return ", ".join(places[:shown]) + (f" and {more} more" if more > 0 else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _signed(points: float) -> str:
    """+20, -2.5, +0.75: a sign always, at most two decimals, no trailing zeros."""
    return f"{points:+.2f}".rstrip("0").rstrip(".")
