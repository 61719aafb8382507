"""How the catalogue folds text into index terms, the same way for records and for queries.

A *word* is a run of text between spaces, dashes and slashes, with its punctuation removed
("Ellington's" -> ``ellingtons``, "U.S.A." -> ``usa``). Folding decomposes the text (NFKD),
drops combining marks and control characters and case-folds it, so "Köln", "KÖLN" and "koln"
are one term. A *phrase* is the words of a heading joined by single spaces. Symbols (``+``,
``$``, ``=``) are kept inside words ("C++"), but a word needs a letter or digit.

This follows Zebra's ICU chains in ``tests/fixtures/zebra`` closely enough that hit counts
compare; the differences that remain are listed in ``tests/interop/test_catalog_vs_zebra.py``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Words split at spaces and at dashes and slashes between them ("jazz-rock", "Records/Blue").
_SEPARATORS = re.compile(r"[\s/\\\-\u2010-\u2015\u2212]+")
_ASCII_PUNCTUATION = "".join(
    chr(c) for c in range(128) if unicodedata.category(chr(c)).startswith(("P", "C"))
)
_DELETE_ASCII_PUNCTUATION = str.maketrans("", "", _ASCII_PUNCTUATION)


def fold(text: str) -> str:
    """Case- and diacritic-folded text (NFKD, combining marks and controls dropped, casefold)."""
    if text.isascii():
        return text.lower()
    return _strip_marks(_strip_marks(text).casefold())


def _strip_marks(text: str) -> str:
    # Case folding can produce characters that decompose again (U+0130 -> i + dot above),
    # so fold() strips marks on both sides of casefold().
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith(("M", "C")))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    found: list[str] = []
    for chunk in text.split():
        found.extend(_chunk_words(chunk))
    return found


def phrase(text: str) -> str:
    """The folded heading: its words joined by single spaces."""
    return " ".join(words(text))


def masked_words(text: str, masks: str) -> list[str]:
    """Words of a query term whose mask characters (``#``, ``?``) must survive folding."""
    found: list[str] = []
    for chunk in text.split():
        for piece in _SEPARATORS.split(chunk):
            kept = "".join(c if c in masks else _strip_punctuation(fold(c)) for c in piece)
            if kept:
                found.append(kept)
    return found


@lru_cache(maxsize=1 << 16)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # Cached: catalogues repeat the same few thousand words over and over.
    pieces = _SEPARATORS.split(fold(chunk))
    # A lone symbol ("+" in "rock + roll") is no word; symbols inside one ("c++") stay.
    return tuple(word for word in map(_strip_punctuation, pieces) if _has_alnum(word))


def _has_alnum(word: str) -> bool:
    return any(c.isalnum() for c in word)


def _strip_punctuation(text: str) -> str:
    if text.isascii():
        return text.translate(_DELETE_ASCII_PUNCTUATION)
    return "".join(c for c in text if not unicodedata.category(c).startswith(("P", "C")))


def fold_pattern(pattern: str) -> str:
    """A regular expression with its literal characters folded like index terms.

    Backslash escapes are copied as they are: folding ``\\D`` to ``\\d`` would change its
    meaning.
    """
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        else:
            out.append(fold(char))
    return "".join(out)


def sort_form(text: str) -> str:
    """Text for sorting: diacritics, punctuation and extra spaces gone, case kept (a sort
    may be case-sensitive)."""
    kept = _strip_marks(text) if not text.isascii() else text
    pieces = (_strip_punctuation(piece) for piece in _SEPARATORS.split(kept))
    return " ".join(piece for piece in pieces if piece)


def display(text: str) -> str:
    """A heading as people read it: spaces collapsed, ISBD punctuation at the end removed."""
    return " ".join(text.split()).rstrip(" /:;,.=")
