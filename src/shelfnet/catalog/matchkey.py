"""Match points: which part of a record identifies it, so that a re-import updates it.

The default is ``001+003``: the control number qualified by its agency (``DLC:85012345``),
or the control number alone when the record has no 003. Any other field or field and
subfield can serve (``001``, ``020$a``, ``035$a``); a field given without a subfield means
its data (control fields) or its first subfield. ISBNs (020) and ISSNs (022) are compared in
normalised form, so ``0-86369-318-0 (pbk.)`` and ``9780863693186`` are the same key; other
values keep their case and lose only surrounding and repeated spaces.

A record without the match point is keyed by a digest of its bytes (``sha1:...``): a
re-import of the same file then finds it again instead of adding it twice, though a changed
version of it is a new record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pymarc import Record

from shelfnet.catalog.identifiers import isbn_13, issn

DEFAULT_MATCH_POINT = "001+003"
_SPEC = re.compile(r"(?P<tag>[0-9A-Za-z]{3})(?:\$(?P<code>[0-9a-z]))?")


@dataclass(frozen=True)
class MatchPoint:
    """A parsed match point; ``str()`` gives back its spelling."""

    tag: str
    code: str | None = None
    qualified: bool = False
    """``001+003``: the 001 value prefixed with the 003 agency code."""

    @classmethod
    def parse(cls, spec: str) -> MatchPoint:
        text = spec.strip()
        if text == DEFAULT_MATCH_POINT:
            return cls("001", qualified=True)
        match = _SPEC.fullmatch(text)
        if match is None:
            raise ValueError(
                f"match point {spec!r} is not 001+003, a tag (001) or a tag and subfield (035$a)"
            )
        return cls(match["tag"], match["code"])

    def __str__(self) -> str:
        if self.qualified:
            return DEFAULT_MATCH_POINT
        return self.tag if self.code is None else f"{self.tag}${self.code}"

    def record_key(self, record: Record, raw: bytes) -> str:
        """The record's key, or the digest of its bytes when it lacks the match point."""
        return self.key(record) or content_key(raw)

    def key(self, record: Record) -> str | None:
        """The record's key, or None when the record lacks the match point."""
        value = _first_value(record, self.tag, self.code)
        if value is None:
            return None
        if self.qualified:
            agency = _first_value(record, "003", None)
            return f"{agency}:{value}" if agency else value
        return _normalise(self.tag, value)


def content_key(raw: bytes) -> str:
    """The key of a record without a match point: a digest of its bytes."""
    return "sha1:" + hashlib.sha1(raw).hexdigest()


def _first_value(record: Record, tag: str, code: str | None) -> str | None:
    for field in record.get_fields(tag):
        if field.control_field:
            value = field.data or ""
        else:
            values = field.get_subfields(code) if code else [s.value for s in field.subfields]
            value = values[0] if values else ""
        value = " ".join(value.split())
        if value:
            return value
    return None


def _normalise(tag: str, value: str) -> str:
    if tag == "020":
        return isbn_13(value) or value
    if tag == "022":
        return issn(value) or value
    return value
