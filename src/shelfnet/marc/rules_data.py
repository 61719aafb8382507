"""MARC 21 bibliographic rules for the fields copy cataloguers touch.

Written from the MARC 21 Format for Bibliographic Data. Each field lists its allowed
indicator values (``" "`` is blank, ``None`` any), its subfield codes mapped to whether
they repeat, the subfields one of which must be present, and codes that are obsolete.
Fields not listed here are checked for structure only; 9XX and X9X are local.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BLANK = " "
DIGITS = "0123456789"
ANY = None  # an indicator position that takes any value


@dataclass(frozen=True)
class FieldRule:
    tag: str
    name: str
    repeatable: bool
    ind1: str | None = BLANK
    ind2: str | None = BLANK
    subfields: dict[str, bool] = field(default_factory=dict)  # code -> repeatable
    required: str = ""  # at least one of these codes must be present
    obsolete: str = ""


def _codes(non_repeatable: str, repeatable: str) -> dict[str, bool]:
    codes = {code: False for code in non_repeatable}
    codes.update({code: True for code in repeatable})
    return codes


_LINKS = "68"  # $6 linkage (NR) and $8 field link (R) are everywhere
_NAME_PERSONAL = _codes("abcdfghjklnpqstu", "e4" + "0" + "1")
_NAME_CORPORATE = _codes("abcdfghklnpstu", "e4" + "01")
_NAME_MEETING = _codes("acdefghjklnpqstu", "4" + "01")
_SUBJECT_EXTRA = "vxyz"

RULES: dict[str, FieldRule] = {
    rule.tag: rule
    for rule in (
        FieldRule("010", "LC control number", False, subfields=_codes("a", "bz8")),
        FieldRule("020", "ISBN", True, subfields=_codes("ac6", "qz8"), required="az"),
        FieldRule("022", "ISSN", True, "01 ", BLANK, _codes("a2l6", "mxyz8"), "alyz"),
        FieldRule("035", "System control number", True, subfields=_codes("a6", "z8")),
        FieldRule("040", "Cataloging source", False, subfields=_codes("acef6", "bd8"),
                  required="a"),
        FieldRule("041", "Language code", True, "01 ", " 7", _codes("26", "abdefghijkmnpqrt8")),
        FieldRule("050", "LC call number", True, " 01", "04", _codes("b036", "a8"), "a"),
        FieldRule("082", "Dewey number", True, "017", " 04", _codes("2bmq6", "a8"), "a"),
        FieldRule("090", "Local call number", True, ANY, ANY, _codes("b", "a"), "a"),
        FieldRule("100", "Main entry, personal name", False, "013", BLANK, _NAME_PERSONAL, "a"),
        FieldRule("110", "Main entry, corporate name", False, "012", BLANK, _NAME_CORPORATE, "a"),
        FieldRule("111", "Main entry, meeting name", False, "012", BLANK, _NAME_MEETING, "a"),
        FieldRule("130", "Main entry, uniform title", False, DIGITS, BLANK,
                  _codes("adfhklmorst", "gnp01"), "a"),
        FieldRule("240", "Uniform title", False, "01", DIGITS, _codes("adfhklmors", "gnp01"), "a"),
        FieldRule("245", "Title statement", False, "01", DIGITS,
                  _codes("abcfghs6", "knp8"), "ak", obsolete="de"),
        FieldRule("246", "Varying form of title", True, "0123", " 012345678",
                  _codes("abfhi5", "gnp8"), "a"),
        FieldRule("250", "Edition statement", True, BLANK + "123", BLANK, _codes("ab36", "8"), "a"),
        FieldRule("260", "Publication (pre-RDA)", True, " 23", BLANK,
                  _codes("3", "abcefg68"), "abc"),
        FieldRule("264", "Production, publication (RDA)", True, " 23", "01234",
                  _codes("36", "abc8"), "abc"),
        FieldRule("300", "Physical description", True, subfields=_codes("6", "abcefg38"),
                  required="a"),
        FieldRule("336", "Content type", True, subfields=_codes("236", "ab08"), required="ab"),
        FieldRule("337", "Media type", True, subfields=_codes("236", "ab08"), required="ab"),
        FieldRule("338", "Carrier type", True, subfields=_codes("236", "ab08"), required="ab"),
        FieldRule("490", "Series statement", True, "01", BLANK, _codes("36", "alvxy8"), "a"),
        FieldRule("500", "General note", True, subfields=_codes("a356", "8"), required="a"),
        FieldRule("504", "Bibliography note", True, subfields=_codes("ab6", "8"), required="a"),
        FieldRule("505", "Contents note", True, " 0128", " 0", _codes("a6", "grtu8"), "agrt"),
        FieldRule("520", "Summary", True, " 012348", BLANK, _codes("abc36", "u28"), "a"),
        FieldRule("546", "Language note", True, subfields=_codes("a36", "b8"), required="ab"),
        FieldRule("588", "Source of description note", True, " 01", BLANK,
                  _codes("a56", "8"), "a"),
        FieldRule("590", "Local note", True, ANY, ANY, _codes("", "a"), "a"),
        FieldRule("600", "Subject, personal name", True, "013", DIGITS,
                  {**_NAME_PERSONAL, **_codes("", _SUBJECT_EXTRA + "2")}, "a"),
        FieldRule("610", "Subject, corporate name", True, "012", DIGITS,
                  {**_NAME_CORPORATE, **_codes("", _SUBJECT_EXTRA + "2")}, "a"),
        FieldRule("611", "Subject, meeting name", True, "012", DIGITS,
                  {**_NAME_MEETING, **_codes("", _SUBJECT_EXTRA + "2")}, "a"),
        FieldRule("630", "Subject, uniform title", True, DIGITS, DIGITS,
                  _codes("adfhklmorst", "gnp" + _SUBJECT_EXTRA + "2e401"), "a"),
        FieldRule("650", "Subject, topical term", True, " 012", DIGITS,
                  _codes("abcd3", _SUBJECT_EXTRA + "e4012"), "ab"),
        FieldRule("651", "Subject, geographic name", True, BLANK, DIGITS,
                  _codes("a3", _SUBJECT_EXTRA + "eg4012"), "a"),
        FieldRule("655", "Genre/form", True, " 0", DIGITS,
                  _codes("a3", "bc" + _SUBJECT_EXTRA + "5012"), "a"),
        FieldRule("700", "Added entry, personal name", True, "013", " 2",
                  {**_NAME_PERSONAL, **_codes("5", "im")}, "a"),
        FieldRule("710", "Added entry, corporate name", True, "012", " 2",
                  {**_NAME_CORPORATE, **_codes("5", "im")}, "a"),
        FieldRule("711", "Added entry, meeting name", True, "012", " 2",
                  {**_NAME_MEETING, **_codes("5", "im")}, "a"),
        FieldRule("730", "Added entry, uniform title", True, DIGITS, " 2",
                  _codes("adfhklmorst5", "gnpi01"), "a"),
        FieldRule("800", "Series added entry, personal", True, "013", BLANK,
                  {**_NAME_PERSONAL, **_codes("vx5", "w7")}, "a"),
        FieldRule("810", "Series added entry, corporate", True, "012", BLANK,
                  {**_NAME_CORPORATE, **_codes("vx5", "w7")}, "a"),
        FieldRule("811", "Series added entry, meeting", True, "012", BLANK,
                  {**_NAME_MEETING, **_codes("vx5", "w7")}, "a"),
        FieldRule("830", "Series added entry, uniform title", True, BLANK, DIGITS,
                  _codes("adfhklmorstvx5", "gnpw017"), "a"),
        FieldRule("856", "Electronic location and access", True, " 012347", " 01278",
                  _codes("2cdhlnoprstvwy36", "abfgikmqsuxz78"), "u3"),
    )
}  # fmt: skip

# Every field also takes the linkage subfields.
for _rule in RULES.values():
    for _code in _LINKS:
        _rule.subfields.setdefault(_code, _code == "8")

CONTROL_RULES: dict[str, tuple[str, bool]] = {
    "001": ("Control number", False),
    "003": ("Control number identifier", False),
    "005": ("Date and time of latest transaction", False),
    "006": ("Fixed-length data elements, additional", True),
    "007": ("Physical description fixed field", True),
    "008": ("Fixed-length data elements", False),
}

FIXED_LENGTHS = {"005": 16, "006": 18, "008": 40}
# 007 length depends on the category of material (007/00).
LENGTHS_007 = {
    "a": 8, "c": 14, "d": 6, "f": 10, "g": 9, "h": 13, "k": 6, "m": 23, "o": 2,
    "q": 2, "r": 11, "s": 14, "t": 2, "v": 9, "z": 2,
}  # fmt: skip

# Leader positions with a closed list of values.
LEADER_VALUES = {
    5: "acdnp",
    6: "acdefgijkmoprt",
    7: "abcdims",
    8: " a",
    9: " a",
    17: " 1234578uz",
    18: " acinu",
    19: " abc",
}

REQUIRED_FIELDS = ("245",)


def is_local(tag: str) -> bool:
    """9XX and X9X fields are the library's own: no rules apply."""
    return tag.startswith("9") or tag[1:2] == "9"
