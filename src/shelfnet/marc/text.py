"""The mnemonic line format cataloguers read and edit (MarcEdit's .mrk).

One field a line::

    =LDR  00714cam a2200205 a 4500
    =001  ocm12345
    =008  020121s1999\\\\cauuuu...
    =245  10$aTitle /$cResp.

The tag is followed by two spaces. In control fields and indicators a backslash stands
for a blank; the leader keeps its spaces (both are accepted when reading). Characters
the syntax would swallow are written as mnemonics: ``{dollar}``, ``{bsol}``, ``{lcub}``,
``{rcub}``; control characters, which a line cannot hold, as ``{U+001F}``-style code
points (a shelfnet choice). Unknown ``{...}`` mnemonics are read as literal text. Lines
starting with ``#`` are comments.

pymarc's own MARCMaker writer leaves ``$`` unescaped and its reader keeps backslashes,
so neither round-trips; these two functions do.
"""

from __future__ import annotations

import re

from pymarc import Field, Indicators, Leader, Record, Subfield

from shelfnet.marc.errors import MarcError

_BLANK = "\\"
_ESCAPES = {"$": "{dollar}", "\\": "{bsol}", "{": "{lcub}", "}": "{rcub}"}
_UNESCAPES = {name: char for char, name in _ESCAPES.items()}
_MNEMONIC = re.compile(r"\{(?:dollar|bsol|lcub|rcub|U\+[0-9A-Fa-f]{4,6})\}")
_LINE = re.compile(r"=(?P<tag>[^ ]{3})  ?(?P<body>.*)", re.DOTALL)
_CODE = re.compile(_MNEMONIC.pattern + "|.", re.DOTALL)


def to_mnemonic(record: Record) -> str:
    """The record as mnemonic text, one line per field, ending with a newline."""
    lines = [f"=LDR  {record.leader}"]
    for field in record.fields:
        if field.control_field:
            lines.append(f"={field.tag}  {_escape(field.data or '').replace(' ', _BLANK)}")
        else:
            indicators = "".join(_indicator(i) for i in (field.indicator1, field.indicator2))
            subfields = "".join(f"${_escape(s.code)}{_escape(s.value)}" for s in field.subfields)
            lines.append(f"={field.tag}  {indicators}{subfields}")
    return "\n".join(lines) + "\n"


def from_mnemonic(text: str) -> Record:
    """Read one record written in the mnemonic format."""
    record = Record()
    has_leader = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise MarcError(f"line {number} is not '=TAG  data': {line[:40]!r}")
        tag, body = match["tag"], match["body"]
        if tag == "LDR":
            record.leader = _leader(body, number)
            has_leader = True
        else:
            record.fields.append(_field(tag, body, number))
    if not has_leader:
        raise MarcError("no =LDR line: a record starts with its leader")
    return record


def _escape(text: str) -> str:
    return "".join(_escape_char(char) for char in text)


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if _is_control(char):
        return f"{{U+{ord(char):04X}}}"
    return char


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029"


def _unescape(text: str) -> str:
    return _MNEMONIC.sub(_mnemonic_char, text)


def _mnemonic_char(match: re.Match[str]) -> str:
    if match[0] in _UNESCAPES:
        return _UNESCAPES[match[0]]
    code_point = int(match[0][3:-1], 16)
    return chr(code_point) if code_point <= 0x10FFFF else match[0]


def _indicator(value: str) -> str:
    return _BLANK if value == " " else value


def _leader(body: str, number: int) -> Leader:
    leader = body.replace(_BLANK, " ")
    if len(leader) != 24:
        raise MarcError(f"line {number}: a leader has 24 characters, not {len(leader)}")
    return Leader(leader)


def _field(tag: str, body: str, number: int) -> Field:
    if Field(tag).control_field:
        return Field(tag=tag, data=_unescape(body.replace(_BLANK, " ")))
    if len(body) < 2:
        raise MarcError(f"line {number}: field {tag} needs two indicators")
    indicators = Indicators(*(" " if c == _BLANK else c for c in body[:2]))
    rest = body[2:]
    if rest and not rest.startswith("$"):
        raise MarcError(f"line {number}: field {tag} has data before its first '$'")
    subfields = [_subfield(chunk, tag, number) for chunk in rest.split("$")[1:]]
    return Field(tag=tag, indicators=indicators, subfields=subfields)


def _subfield(chunk: str, tag: str, number: int) -> Subfield:
    code = _CODE.match(chunk)
    if code is None:
        raise MarcError(f"line {number}: field {tag} has a '$' without a subfield code")
    return Subfield(code=_unescape(code[0]), value=_unescape(chunk[code.end() :]))
