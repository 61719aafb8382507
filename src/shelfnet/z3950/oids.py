"""Object identifiers registered for Z39.50 (Z39.50 Maintenance Agency, OID arc 1.2.840.10003)."""

from __future__ import annotations

Z3950 = "1.2.840.10003"

# Attribute sets (3.x)
BIB1 = f"{Z3950}.3.1"
EXP1 = f"{Z3950}.3.2"
EXT1 = f"{Z3950}.3.3"
CCL1 = f"{Z3950}.3.4"
GILS = f"{Z3950}.3.5"
STAS = f"{Z3950}.3.6"
COLLECTIONS1 = f"{Z3950}.3.7"
CIMI1 = f"{Z3950}.3.8"
GEO = f"{Z3950}.3.9"
ZBIG = f"{Z3950}.3.10"
UTIL = f"{Z3950}.3.11"
XD1 = f"{Z3950}.3.12"
ZTHES = f"{Z3950}.3.13"
FIN1 = f"{Z3950}.3.14"
DAN1 = f"{Z3950}.3.15"
HOLDINGS = f"{Z3950}.3.16"
MARCCRED = f"{Z3950}.3.17"
BIB2 = f"{Z3950}.3.18"
ZEEREX = f"{Z3950}.3.19"
IDXPATH = "1.2.840.10003.3.1000.81.2"

# Diagnostic sets (4.x)
DIAG_BIB1 = f"{Z3950}.4.1"
DIAG_1 = f"{Z3950}.4.2"
DIAG_ES = f"{Z3950}.4.3"
DIAG_GENERAL = f"{Z3950}.4.4"

# User information formats (10.x)
USER_INFO_1 = f"{Z3950}.10.3"
"""userInfo-1: an OtherInformation, where YAZ and Zebra put why an Init was refused."""

# Negotiation (15.x)
CHARSET_NEGOTIATION_3 = f"{Z3950}.15.3"
PRIVATE_CHARSET_NAME = f"{Z3950}.15.1000.81.1"
"""Index Data's private character set (an EXTERNAL holding the set's name), used by YAZ."""

# ISO 10646 encoding levels used in character-set negotiation.
UTF8_ENCODING = "1.0.10646.1.0.8"
UCS2_ENCODING = "1.0.10646.1.0.2"

# Record syntaxes (5.x): OID -> the name YAZ and ZOOM users know.
RECORD_SYNTAXES: dict[str, str] = {
    f"{Z3950}.5.1": "unimarc",
    f"{Z3950}.5.2": "intermarc",
    f"{Z3950}.5.3": "ccf",
    f"{Z3950}.5.10": "usmarc",
    f"{Z3950}.5.11": "ukmarc",
    f"{Z3950}.5.12": "normarc",
    f"{Z3950}.5.13": "librismarc",
    f"{Z3950}.5.14": "danmarc",
    f"{Z3950}.5.15": "finmarc",
    f"{Z3950}.5.16": "mab",
    f"{Z3950}.5.17": "canmarc",
    f"{Z3950}.5.18": "sbn",
    f"{Z3950}.5.19": "picamarc",
    f"{Z3950}.5.20": "ausmarc",
    f"{Z3950}.5.21": "ibermarc",
    f"{Z3950}.5.22": "catmarc",
    f"{Z3950}.5.23": "malmarc",
    f"{Z3950}.5.24": "jpmarc",
    f"{Z3950}.5.25": "swemarc",
    f"{Z3950}.5.26": "siglemarc",
    f"{Z3950}.5.27": "isdsmarc",
    f"{Z3950}.5.28": "rusmarc",
    f"{Z3950}.5.29": "hunmarc",
    f"{Z3950}.5.30": "nacsis-catp",
    f"{Z3950}.5.31": "finmarc2000",
    f"{Z3950}.5.32": "marc21-fin",
    f"{Z3950}.5.100": "explain",
    f"{Z3950}.5.101": "sutrs",
    f"{Z3950}.5.102": "opac",
    f"{Z3950}.5.103": "summary",
    f"{Z3950}.5.104": "grs-0",
    f"{Z3950}.5.105": "grs-1",
    f"{Z3950}.5.106": "extended",
    f"{Z3950}.5.107": "fragment",
    f"{Z3950}.5.109.1": "pdf",
    f"{Z3950}.5.109.3": "html",
    f"{Z3950}.5.109.9": "sgml",
    f"{Z3950}.5.109.10": "xml",
    f"{Z3950}.5.109.11": "application-xml",
}

SYNTAX_OIDS: dict[str, str] = {name: oid for oid, name in RECORD_SYNTAXES.items()}
SYNTAX_OIDS |= {"marc21": f"{Z3950}.5.10", "text-xml": f"{Z3950}.5.109.10"}

USMARC = SYNTAX_OIDS["usmarc"]
UNIMARC = SYNTAX_OIDS["unimarc"]
SUTRS = SYNTAX_OIDS["sutrs"]
OPAC = SYNTAX_OIDS["opac"]
GRS1 = SYNTAX_OIDS["grs-1"]
XML = SYNTAX_OIDS["xml"]
APPLICATION_XML = SYNTAX_OIDS["application-xml"]

# Every ISO 2709 MARC flavour: 5.1 to 5.32 except CCF (5.3).
MARC_SYNTAXES = frozenset(f"{Z3950}.5.{n}" for n in range(1, 33) if n != 3)
XML_SYNTAXES = frozenset({XML, APPLICATION_XML, SYNTAX_OIDS["html"], SYNTAX_OIDS["sgml"]})

ATTRIBUTE_SETS: dict[str, str] = {
    "bib-1": BIB1,
    "exp-1": EXP1,
    "ext-1": EXT1,
    "ccl-1": CCL1,
    "gils": GILS,
    "stas": STAS,
    "collections-1": COLLECTIONS1,
    "cimi-1": CIMI1,
    "geo": GEO,
    "zbig": ZBIG,
    "util": UTIL,
    "xd-1": XD1,
    "zthes": ZTHES,
    "fin-1": FIN1,
    "dan-1": DAN1,
    "holdings": HOLDINGS,
    "marccred": MARCCRED,
    "bib-2": BIB2,
    "zeerex": ZEEREX,
    "idxpath": IDXPATH,
}


def syntax_oid(name_or_oid: str) -> str:
    """Resolve a record syntax name (``usmarc``, ``xml``, ...) or dotted OID to its OID."""
    key = name_or_oid.strip().lower()
    if key in SYNTAX_OIDS:
        return SYNTAX_OIDS[key]
    if key.replace(".", "").isdigit() and "." in key:
        return key
    raise ValueError(f"unknown record syntax {name_or_oid!r}")


def syntax_name(oid: str) -> str:
    """The conventional name of a record syntax OID, or the OID itself when unregistered."""
    return RECORD_SYNTAXES.get(oid, oid)
