"""Mnemonic (.mrk) text that comes back as exactly the record it was written from.

The line syntax is the one ``marc/text.py`` writes (``=245  10$aTitle$bsub``, ``\\`` for
a blank indicator or control-field space, ``{dollar}``, ``{bsol}``, ``{lcub}``,
``{rcub}`` and ``{U+001B}``-style code points). This module adds what an editor needs
to hand back byte-identical ISO 2709:

* ``record_from_iso2709`` keeps every byte: a MARC-8 record (leader/09 blank) is carried
  as one character per byte (Latin-1), so MARC-8 stays MARC-8, escape sequences and all;
  a UTF-8 record (leader/09 ``a``) is carried as Unicode text. pymarc's own reader drops
  empty subfields and extra indicator characters; this one does not.
* In a MARC-8 record the ANSEL bytes are written with the MARCMaker names cataloguers
  know (``{acute}``, ``{uml}``, ``{esc}``) and read back to the same bytes.
* The indicator area is everything before the first ``$``. Two characters is normal;
  a damaged field with one or three is written and read as it is, so it survives too.
* An empty subfield (two delimiters in a row) is a lone ``$``.

``parse_mnemonic`` raises ``MnemonicError`` with the 1-based line number.
"""

from __future__ import annotations

import re

from pymarc import Field, Indicators, Leader, Record, Subfield

SUBFIELD_DELIMITER = "\x1f"
_BLANK = "\\"
_ESCAPES = {"$": "{dollar}", "\\": "{bsol}", "{": "{lcub}", "}": "{rcub}"}
# ANSEL (MARC-8's default G1 set) and ESC by the names LC's MARCMaker gives them.
_MARC8_NAMES = {
    0x1B: "esc", 0xA1: "Lstrok", 0xA2: "Ostrok", 0xA3: "Dstrok", 0xA4: "THORN",
    0xA5: "AElig", 0xA6: "OElig", 0xA7: "softsign", 0xA8: "middot", 0xA9: "flat",
    0xAA: "reg", 0xAB: "plusmn", 0xAC: "Ohorn", 0xAD: "Uhorn", 0xAE: "mlrhring",
    0xB0: "mllhring", 0xB1: "lstrok", 0xB2: "ostrok", 0xB3: "dstrok", 0xB4: "thorn",
    0xB5: "aelig", 0xB6: "oelig", 0xB7: "hardsign", 0xB8: "inodot", 0xB9: "pound",
    0xBA: "eth", 0xBC: "ohorn", 0xBD: "uhorn", 0xC0: "deg", 0xC1: "scriptl",
    0xC2: "phono", 0xC3: "copy", 0xC4: "sharp", 0xC5: "iquest", 0xC6: "iexcl",
    0xC7: "eszett", 0xC8: "euro", 0xE0: "hooka", 0xE1: "grave", 0xE2: "acute",
    0xE3: "circ", 0xE4: "tilde", 0xE5: "macr", 0xE6: "breve", 0xE7: "dot", 0xE8: "uml",
    0xE9: "caron", 0xEA: "ring", 0xEB: "llig", 0xEC: "rlig", 0xED: "rcommaa",
    0xEE: "dblac", 0xEF: "candra", 0xF0: "cedil", 0xF1: "ogon", 0xF2: "dotb",
    0xF3: "dbldotb", 0xF4: "ringb", 0xF5: "dblunder", 0xF6: "under", 0xF7: "commab",
    0xF8: "rcedil", 0xF9: "breveb", 0xFA: "ldbltil", 0xFB: "rdbltil", 0xFE: "commaa",
}  # fmt: skip
_MARC8_BYTES = {name: chr(code) for code, name in _MARC8_NAMES.items()}
_COMMON = {name: char for char, name in _ESCAPES.items()}
_MNEMONIC = re.compile(r"\{(?:[A-Za-z]+|U\+[0-9A-Fa-f]{4,6})\}")
_LINE = re.compile(r"=(?P<tag>[^ ]{3})  ?(?P<body>.*)", re.DOTALL)


_MARC8_TEXT = (
    "a MARC-8 record (leader/09 blank) holds bytes: write non-ASCII as {acute}-style"
    " names or {U+00XX}, or set leader/09 to 'a' for Unicode"
)


class MnemonicError(ValueError):
    """A mnemonic line that cannot be read; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def is_marc8(record: Record) -> bool:
    """Whether the record's text is carried as MARC-8 bytes (leader/09 not ``a``)."""
    return str(record.leader)[9:10] != "a"


def record_from_iso2709(data: bytes) -> Record:
    """One ISO 2709 record with every byte kept, so ``as_marc()`` gives ``data`` back.

    Raises ``ValueError`` for bytes whose leader or directory cannot be read.
    """
    leader = data[:24].decode("latin-1")
    if len(leader) != 24 or not leader[12:17].isdigit():
        raise ValueError("no readable leader")
    marc8 = leader[9] != "a"
    record = _empty_record(leader)
    base = int(leader[12:17])
    directory = data[24 : base - 1].decode("ascii")
    if len(directory) % 12:
        raise ValueError(f"directory length {len(directory)} is not a multiple of 12")
    for start in range(0, len(directory), 12):
        tag, length, offset = (
            directory[start : start + 3],
            directory[start + 3 : start + 7],
            directory[start + 7 : start + 12],
        )
        chunk = data[base + int(offset) : base + int(offset) + int(length) - 1]
        text = chunk.decode("latin-1") if marc8 else chunk.decode("utf-8")
        record.fields.append(_stored_field(tag, text))
    return record


def _stored_field(tag: str, text: str) -> Field:
    if Field(tag).control_field:
        return Field(tag=tag, data=text)
    indicators, *chunks = text.split(SUBFIELD_DELIMITER)
    subfields = [Subfield(code=chunk[:1], value=chunk[1:]) for chunk in chunks]
    return Field(tag=tag, indicators=_indicators(indicators), subfields=subfields)


def _indicators(area: str) -> Indicators:
    # pymarc writes indicator1 + indicator2, so an odd-sized area still comes back whole.
    return Indicators(area[:1], area[1:])


def to_mnemonic(record: Record) -> str:
    """The record as mnemonic text, one line per field, ending with a newline."""
    marc8 = is_marc8(record)
    lines = [f"=LDR  {record.leader}"]
    for field in record.fields:
        if field.control_field:
            data = _escape(field.data or "", marc8).replace(" ", _BLANK)
            lines.append(f"={field.tag}  {data}")
        else:
            area = _escape(str(field.indicator1) + str(field.indicator2), marc8)
            subfields = "".join(
                f"${_escape(s.code, marc8)}{_escape(s.value, marc8)}" for s in field.subfields
            )
            lines.append(f"={field.tag}  {area.replace(' ', _BLANK)}{subfields}")
    return "\n".join(lines) + "\n"


def parse_mnemonic(text: str) -> Record:
    """Read one record in the mnemonic format; the inverse of ``to_mnemonic``."""
    record: Record | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise MnemonicError(number, f"not '=TAG  data': {line[:40]!r}")
        tag, body = match["tag"], match["body"]
        if tag == "LDR":
            if record is not None:
                raise MnemonicError(number, "a second =LDR line: one record at a time")
            record = _new_record(body, number)
        elif record is None:
            raise MnemonicError(number, "a record starts with its =LDR line")
        else:
            record.fields.append(_field(tag, body, number, is_marc8(record)))
    if record is None:
        raise MnemonicError(1, "no =LDR line: a record starts with its leader")
    return record


def parse_mnemonic_file(text: str) -> list[Record]:
    """Every record in a .mrk file (records are separated by blank lines)."""
    records: list[Record] = []
    block: list[str] = []
    first = 1
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            try:
                records.append(parse_mnemonic("\n".join(block)))
            except MnemonicError as exc:
                raise MnemonicError(first + exc.line - 1, exc.message) from exc
            block = []
    return records


def _new_record(body: str, number: int) -> Record:
    leader = body.replace(_BLANK, " ")
    if len(leader) != 24:
        raise MnemonicError(number, f"a leader has 24 characters, not {len(leader)}")
    return _empty_record(leader)


def _empty_record(leader: str) -> Record:
    # MARC-8 text is carried as bytes: pymarc must neither flip leader/09 nor encode
    # UTF-8. Record() rewrites leader/10-11 and 20-23, so the leader is set afterwards.
    marc8 = leader[9] != "a"
    record = Record(to_unicode=not marc8, force_utf8=not marc8)
    record.leader = Leader(leader)
    return record


def _field(tag: str, body: str, number: int, marc8: bool) -> Field:
    if Field(tag).control_field:
        return Field(tag=tag, data=_unescape(body.replace(_BLANK, " "), marc8, number))
    area, *chunks = body.split("$")
    if len(area) > 2 and not chunks:
        raise MnemonicError(number, f"field {tag} has data but no '$' subfield")
    indicators = _unescape(area.replace(_BLANK, " "), marc8, number)
    subfields = [_subfield(chunk, marc8, number) for chunk in chunks]
    return Field(tag=tag, indicators=_indicators(indicators), subfields=subfields)


def _subfield(chunk: str, marc8: bool, number: int) -> Subfield:
    mnemonic = _MNEMONIC.match(chunk)
    end = min(1, len(chunk))
    # A code written as a mnemonic ({dollar}, {U+00E9}) counts only if it is one character.
    if mnemonic and len(_unescape(mnemonic[0], marc8, number)) == 1:
        end = mnemonic.end()
    code, value = _unescape(chunk[:end], marc8, number), _unescape(chunk[end:], marc8, number)
    return Subfield(code=code, value=value)


def _escape(text: str, marc8: bool) -> str:
    return "".join(_escape_char(char, marc8) for char in text)


def _escape_char(char: str, marc8: bool) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if marc8 and ord(char) in _MARC8_NAMES:
        return "{" + _MARC8_NAMES[ord(char)] + "}"
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0 or char in "\u2028\u2029" or (marc8 and code > 0x7F):
        return f"{{U+{code:04X}}}"
    return char


def _unescape(text: str, marc8: bool, number: int) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match[0][1:-1]
        if match[0] in _COMMON:
            return _COMMON[match[0]]
        if name.startswith("U+"):
            code = int(name[2:], 16)
            return chr(code) if code <= 0x10FFFF else match[0]
        return _MARC8_BYTES[name] if marc8 and name in _MARC8_BYTES else match[0]

    if marc8 and any(ord(char) > 0x7F for char in _MNEMONIC.sub("", text)):
        raise MnemonicError(number, _MARC8_TEXT)
    return _MNEMONIC.sub(replace, text)
