"""Unicode to MARC-8, and a record to ISO 2709 bytes in MARC-8 or UTF-8.

MARC-8 works with two sets at a time: G0 (bytes 0x21-0x7E) and G1 (bytes 0xA1-0xFE). By
default G0 holds ASCII and G1 holds ANSEL (extra Latin letters, symbols, diacritics);
escape sequences put another set in their place::

    ESC ( F     a single-byte set into G0: ASCII B, Hebrew 2, Basic Arabic 3,
                Basic Cyrillic N, Basic Greek S
    ESC ) F     a single-byte set into G1: ANSEL E, Extended Arabic 4, Extended Cyrillic Q
    ESC $ 1     the East Asian set (EACC, three bytes a character) into G0
    ESC b, ESC p, ESC g    subscripts, superscripts, Greek symbols into G0; ESC s goes
                back to ASCII

A diacritic comes *before* the character it modifies, where Unicode puts it after.

The repertoire is what pymarc decodes: its own tables (``pymarc.marc8_mapping.CODESETS``)
inverted once, less the codes its decoder skips (C0 controls, and 0x81-0x9F, where
MARC-8 keeps NSB, NSE, ZWJ and ZWNJ). A character outside it is an error, or with
``errors="ncr"`` a numeric character reference ``&#xXXXX;``, the Library of Congress
convention for carrying any Unicode character in MARC-8 text. Readers see the reference
as text; turning it back into the character is up to them.

Every text is written on its own: it starts, and ends, with ASCII in G0 and ANSEL in G1,
so each subfield can be read without the ones before it. A space stays in whatever
single-byte set G0 holds, as in LC's records.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice

from pymarc import Field, Indicators, RawField, Record, Subfield, marc8_mapping

from shelfnet.marc.errors import MarcError

ESC = b"\x1b"
ASCII = 0x42
ANSEL = 0x45
EACC = 0x31
# Sets designated by ESC and their final byte alone (technique 2); ESC s leaves them.
_TECHNIQUE_2 = frozenset({0x62, 0x70, 0x67})
# When a character is in several sets and none of them is in use, the set that can write
# the longest run ahead wins; ties go to the earlier set here: the defaults, the sets for
# symbols in Latin text, then the scripts.
_PREFERENCE = (ASCII, ANSEL, 0x67, 0x62, 0x70, 0x53, 0x4E, 0x51, 0x32, 0x33, 0x34, EACC)
_ERRORS = ("strict", "ncr")

MAX_FIELD_LENGTH = 9999
MAX_RECORD_LENGTH = 99999
_SEPARATORS = "\x1d\x1e\x1f"


@dataclass(frozen=True, slots=True)
class _Code:
    """A character's bytes in one MARC-8 set."""

    charset: int  # the final byte of the set's escape sequence
    data: bytes
    combining: bool
    g1: bool


@dataclass(frozen=True, slots=True)
class _Char:
    """A character of the text to write, with its MARC-8 codes (none: no MARC-8 form)."""

    char: str
    position: int
    codes: tuple[_Code, ...]

    @property
    def combining(self) -> bool:
        return bool(self.codes) and self.codes[0].combining


# --- the repertoire -------------------------------------------------------------------------


@functools.cache
def _table() -> dict[str, tuple[_Code, ...]]:
    """Each character pymarc can decode -> its codes, best first."""
    ranked: dict[str, list[tuple[tuple[bool, int, int], _Code]]] = {}
    for charset, codes in marc8_mapping.CODESETS.items():
        for code, (point, combining) in codes.items():
            if not _decodable(charset, code):
                continue
            # pymarc returns NFC text, so a code for a non-NFC character (a CJK
            # compatibility ideograph, say) reads back as that character's NFC form.
            char = chr(point)
            nfc = unicodedata.normalize("NFC", char)
            if len(nfc) != 1:
                continue
            multibyte = charset == EACC
            entry = _Code(
                charset=charset,
                data=code.to_bytes(3 if multibyte else 1, "big"),
                combining=bool(combining),
                g1=not multibyte and code > 0x80,  # pymarc's own test for a G1 byte
            )
            rank = (nfc != char, _preference(charset), code)
            ranked.setdefault(nfc, []).append((rank, entry))
    return {
        char: tuple(entry for _, entry in sorted(entries, key=lambda item: item[0]))
        for char, entries in ranked.items()
    }


def _decodable(charset: int, code: int) -> bool:
    """False for the codes pymarc's decoder drops before it looks in its tables."""
    return charset == EACC or not (code < 0x20 or 0x80 < code < 0xA0)


def _preference(charset: int) -> int:
    return _PREFERENCE.index(charset) if charset in _PREFERENCE else len(_PREFERENCE)


# --- text -----------------------------------------------------------------------------------


def encode_marc8(text: str, *, errors: str = "strict") -> bytes:
    """``text`` (any normalisation form) as MARC-8 bytes, starting and ending in the default
    sets. A character with no MARC-8 form raises ``MarcError``, or with ``errors="ncr"``
    is written as ``&#xXXXX;``. Positions in messages count characters of the NFC text.
    """
    if errors not in _ERRORS:
        raise ValueError(f"errors must be 'strict' or 'ncr', not {errors!r}")
    if text.isascii() and text.isprintable():
        return text.encode("ascii")
    writer = _Writer()
    arranged = _marc8_order(_chars(text), ncr=errors == "ncr")
    for index, item in enumerate(arranged):
        if isinstance(item, bytes):
            writer.write_ascii(item)
        else:
            writer.write(writer.choose(arranged, index))
    return writer.close()


def _chars(text: str) -> list[_Char]:
    """The NFC text character by character, a character outside the tables spelt out by
    its canonical decomposition where that is inside them (é as e and a combining acute)."""
    table = _table()
    chars: list[_Char] = []
    for start, sequence in _combining_sequences(unicodedata.normalize("NFC", text)):
        whole = _recomposed(sequence, table)
        if whole is not None:
            chars.extend(_Char(part, start, table[part]) for part in whole)
            continue
        for position, char in enumerate(sequence, start):
            parts = _spelling(char, table)
            if parts is None:
                chars.append(_Char(char, position, ()))
            else:
                chars.extend(_Char(part, position, table[part]) for part in parts)
    return chars


def _combining_sequences(text: str) -> list[tuple[int, str]]:
    """``text`` cut before every character of combining class 0, with start positions."""
    starts = [i for i, char in enumerate(text) if i == 0 or not unicodedata.combining(char)]
    return [
        (start, text[start:end])
        for start, end in zip(starts, [*starts[1:], len(text)], strict=True)
    ]


def _spelling(char: str, table: dict[str, tuple[_Code, ...]]) -> list[str] | None:
    if char in table:
        return [char]
    # One level at a time: ờ is ơ (in ANSEL) and a grave, though its full
    # decomposition has a combining horn that MARC-8 lacks.
    decomposition = unicodedata.decomposition(char)
    if not decomposition or decomposition.startswith("<"):
        return None
    spelt: list[str] = []
    for point in decomposition.split():
        parts = _spelling(chr(int(point, 16)), table)
        if parts is None:
            return None
        spelt.extend(parts)
    return spelt


def _recomposed(sequence: str, table: dict[str, tuple[_Code, ...]]) -> list[str] | None:
    """A letter with diacritics spelt in the tables' characters, or None.

    Character by character will do, except where NFC composed the letter with another
    diacritic than the one a MARC-8 letter has: Ơ with an ogonek is NFC Ǫ and a combining
    horn, which MARC-8 lacks; written as Ơ and an ogonek it reads back the same.
    """
    spelt: list[str] = []
    for char in sequence:
        parts = _spelling(char, table)
        if parts is None:
            break
        spelt.extend(parts)
    else:
        return spelt
    decomposed = unicodedata.normalize("NFD", sequence)
    for letter in _composed_letters().get(decomposed[0], ()):
        rest = list(decomposed[1:])
        for mark in unicodedata.normalize("NFD", letter)[1:]:
            if mark not in rest:
                break
            rest.remove(mark)
        else:
            candidate = letter + "".join(rest)
            if all(mark in table for mark in rest) and (
                unicodedata.normalize("NFD", candidate) == decomposed
            ):
                return [letter, *rest]
    return None


@functools.cache
def _composed_letters() -> dict[str, tuple[str, ...]]:
    """Base letter -> the tables' characters made of it and diacritics (O -> Ơ)."""
    composed: dict[str, list[str]] = {}
    for char, codes in _table().items():
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) > 1 and not codes[0].combining:
            composed.setdefault(decomposed[0], []).append(char)
    return {base: tuple(chars) for base, chars in composed.items()}


def _marc8_order(chars: list[_Char], *, ncr: bool) -> list[_Char | bytes]:
    """Each base character preceded by the diacritics that follow it in Unicode.

    Characters without a MARC-8 form become references (bytes), and so do the diacritics
    that follow one: written before it, they would land on the reference's ``&``.
    """
    clusters: list[list[_Char]] = []
    for char in chars:
        if char.combining and clusters:
            clusters[-1].append(char)
        else:
            clusters.append([char])
    arranged: list[_Char | bytes] = []
    for base, *marks in clusters:
        if base.combining:
            arranged.extend(
                _reference(char, ncr, "has no base character before it") for char in (base, *marks)
            )
        elif not base.codes:
            arranged.extend(_reference(char, ncr, "has no MARC-8 form") for char in (base, *marks))
        else:
            arranged.extend(marks)
            arranged.append(base)
    return arranged


def _reference(char: _Char, ncr: bool, problem: str) -> bytes:
    if not ncr:
        name = unicodedata.name(char.char, "")
        described = f"U+{ord(char.char):04X}" + (f" {name}" if name else "")
        raise MarcError(f"{described} at position {char.position} {problem}")
    return f"&#x{ord(char.char):04X};".encode("ascii")


class _Writer:
    """The bytes written so far and the sets in G0 and G1 at their end."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.g0 = ASCII
        self.g1 = ANSEL

    def choose(self, arranged: Sequence[_Char | bytes], index: int) -> _Code:
        """The code for ``arranged[index]``: for a diacritic, one from its base letter's
        set if it can; otherwise one needing no escape, else the one whose set can write
        the longest run from here."""
        char = arranged[index]
        assert isinstance(char, _Char)
        if char.char == " " and _has_space(self.g0):
            return _Code(self.g0, b" ", combining=False, g1=False)
        if char.combining:
            # A diacritic from the set of its base letter: Greek accents for Greek.
            base = _base_after(arranged, index)
            return max(
                char.codes,
                key=lambda code: (
                    base is not None and _holds(code.charset, base),
                    self._in_use(code),
                ),
            )
        for code in char.codes:
            if self._in_use(code):
                return code
        return max(char.codes, key=lambda code: _run(arranged, index, code.charset))

    def _in_use(self, code: _Code) -> bool:
        if code.g1:
            return self.g1 == code.charset and self.g0 != EACC
        return self.g0 == code.charset

    def write(self, code: _Code) -> None:
        if code.g1:
            # pymarc reads every byte as part of a three-byte EACC character while EACC
            # is in G0, so a G1 character needs G0 out of EACC first.
            if self.g0 == EACC:
                self._designate_g0(ASCII)
            if self.g1 != code.charset:
                self.out += ESC + b")" + bytes([code.charset])
                self.g1 = code.charset
        elif self.g0 != code.charset:
            self._designate_g0(code.charset)
        self.out += code.data

    def write_ascii(self, data: bytes) -> None:
        if self.g0 != ASCII:
            self._designate_g0(ASCII)
        self.out += data

    def close(self) -> bytes:
        """The bytes, ending in the default sets. G1 is reset first: pymarc takes the
        byte after ESC s as text, unless ESC s ends the string."""
        if self.g1 != ANSEL:
            self.out += ESC + b")" + bytes([ANSEL])
            self.g1 = ANSEL
        if self.g0 != ASCII:
            self._designate_g0(ASCII)
        return bytes(self.out)

    def _designate_g0(self, charset: int) -> None:
        if charset in _TECHNIQUE_2:
            self.out += ESC + bytes([charset])
        elif charset == ASCII and self.g0 in _TECHNIQUE_2:
            self.out += ESC + b"s"
        elif charset == EACC:
            self.out += ESC + b"$" + bytes([EACC])
        else:
            self.out += ESC + b"(" + bytes([charset])
        self.g0 = charset


def _run(arranged: Sequence[_Char | bytes], start: int, charset: int) -> int:
    """How many characters from ``start`` on ``charset`` can write one after another."""
    count = 0
    for item in islice(arranged, start, None):
        if not isinstance(item, _Char) or not _holds(charset, item):
            break
        count += 1
    return count


def _base_after(arranged: Sequence[_Char | bytes], index: int) -> _Char | None:
    """The base character the diacritic at ``index`` goes with."""
    for item in islice(arranged, index + 1, None):
        if not isinstance(item, _Char):
            return None
        if not item.combining:
            return item
    return None


def _holds(charset: int, char: _Char) -> bool:
    if char.char == " ":
        return _has_space(charset)
    return any(code.charset == charset for code in char.codes)


def _has_space(charset: int) -> bool:
    """Whether a space can be written while ``charset`` is in G0: in the script sets
    (as LC's Hebrew and Cyrillic records do), not amid EACC's three-byte characters nor
    in the subscript, superscript and Greek symbol sets."""
    return charset != EACC and charset not in _TECHNIQUE_2


# --- records --------------------------------------------------------------------------------


def record_to_marc8(record: Record, *, errors: str = "strict") -> bytes:
    """The record as ISO 2709 bytes in MARC-8, leader/09 blank. ``errors`` as for
    ``encode_marc8``; a ``MarcError`` names the field and subfield."""
    if errors not in _ERRORS:
        raise ValueError(f"errors must be 'strict' or 'ncr', not {errors!r}")
    return _iso2709(record, " ", functools.partial(encode_marc8, errors=errors))


def record_to_utf8(record: Record) -> bytes:
    """The record as ISO 2709 bytes in UTF-8, leader/09 ``a``; values are kept in the
    normalisation form they are in."""
    return _iso2709(record, "a", _utf8)


def _utf8(text: str) -> bytes:
    for position, char in enumerate(text):
        if char in _SEPARATORS:
            raise MarcError(f"U+{ord(char):04X} at position {position} is an ISO 2709 separator")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MarcError(
            f"U+{ord(text[exc.start]):04X} at position {exc.start} is a lone surrogate"
        ) from exc


def _iso2709(record: Record, coding: str, encode: Callable[[str], bytes]) -> bytes:
    """pymarc assembles leader, directory and data from values already in bytes, so the
    lengths and addresses it computes are byte counts. Leader/10-11 and 20-23 describe
    that structure and are set to MARC 21's 22 and 4500 (pymarc's ``Record`` does so)."""
    raw_fields = [_raw_field(field, encode) for field in record.fields]
    for field in raw_fields:
        if (length := len(field.as_marc())) > MAX_FIELD_LENGTH:
            raise MarcError(
                f"field {field.tag} is {length} bytes; ISO 2709 allows {MAX_FIELD_LENGTH}"
            )
    fields: list[Field] = [*raw_fields]
    assembled = Record(leader=_leader(record, coding), fields=fields, to_unicode=False)
    raw = bytes(assembled.as_marc())
    if len(raw) > MAX_RECORD_LENGTH:
        raise MarcError(f"the record is {len(raw)} bytes; ISO 2709 allows {MAX_RECORD_LENGTH}")
    return raw


def _leader(record: Record, coding: str) -> str:
    leader = str(record.leader)
    if len(leader) != 24 or not (leader.isascii() and leader.isprintable()):
        raise MarcError(f"the leader {leader!r} is not 24 printable ASCII characters")
    return leader[:9] + coding + leader[10:]


def _raw_field(field: Field, encode: Callable[[str], bytes]) -> RawField:
    """The field with its values encoded; RawField keeps bytes where pymarc's
    annotations say str."""
    tag = _structural(field.tag, 3, f"tag {field.tag!r}")
    if field.control_field:
        data = _encoded(encode, field.data or "", f"field {tag}")
        return RawField(tag=tag, data=data)  # type: ignore[arg-type]
    indicators = [
        _structural(i, 1, f"field {tag} indicator {i!r}") for i in field.indicators or "  "
    ]
    subfields = [
        Subfield(
            code=_structural(sub.code, 1, f"field {tag} subfield code {sub.code!r}"),
            value=_encoded(encode, sub.value, f"field {tag} ${sub.code}"),  # type: ignore[arg-type]
        )
        for sub in field.subfields
    ]
    return RawField(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def _structural(text: str, length: int, what: str) -> str:
    """A tag, indicator or subfield code: ``length`` printable ASCII characters, since
    ISO 2709 counts them in bytes."""
    if len(text) != length or not (text.isascii() and text.isprintable()):
        raise MarcError(f"{what} is not {length} printable ASCII character(s)")
    return text


def _encoded(encode: Callable[[str], bytes], text: str, where: str) -> bytes:
    try:
        return encode(text)
    except MarcError as exc:
        raise MarcError(f"{where}: {exc.message}") from exc
