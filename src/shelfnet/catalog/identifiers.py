"""Standard numbers in the form the catalogue indexes and matches them.

Catalogued numbers carry hyphens, spaces and qualifiers ("0-86369-318-0 (pbk.)"); searchers
type them any which way. Each function here returns the bare number, lower case (``x`` as
check digit), or None when the text holds none. Check digits are not verified: a record with
a mistyped ISBN must still be found by the number printed on it.
"""

from __future__ import annotations

import re

_ISBN = re.compile(r"(?<![0-9])(97[89][0-9]{10}|[0-9]{9}[0-9Xx])(?![0-9Xx])")
_ISSN = re.compile(r"(?<![0-9])([0-9]{4})-?([0-9]{3}[0-9Xx])(?![0-9Xx])")
_BLANKS = re.compile(r"\s+")


def isbn(text: str) -> str | None:
    """The first ISBN (10 or 13 digits) in ``text``, without hyphens."""
    match = _ISBN.search(text.replace("-", ""))
    return match[1].lower() if match else None


def isbn_forms(text: str) -> list[str]:
    """The ISBN in ``text`` in every form it can be searched by: as given, and as ISBN-13
    or ISBN-10 (an ISBN-13 has an ISBN-10 form only with the 978 prefix)."""
    number = isbn(text)
    if number is None:
        return []
    other = _isbn_10(number) if len(number) == 13 else _isbn_13(number)
    return [number] if other is None else [number, other]


def isbn_13(text: str) -> str | None:
    """The ISBN in ``text`` as ISBN-13: one key for both forms of a book's number."""
    number = isbn(text)
    if number is None or len(number) == 13:
        return number
    return _isbn_13(number)


def _isbn_13(isbn10: str) -> str:
    body = "978" + isbn10[:9]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _isbn_10(isbn13: str) -> str | None:
    if not isbn13.startswith("978"):
        return None
    body = isbn13[3:12]
    total = sum(int(d) * (10 - i) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    return body + ("x" if check == 10 else str(check))


def issn(text: str) -> str | None:
    """The first ISSN in ``text`` as eight characters, without the hyphen."""
    match = _ISSN.search(text)
    return (match[1] + match[2]).lower() if match else None


def lccn(text: str) -> str | None:
    """A Library of Congress Control Number normalised as LC does: blanks removed, anything
    from a slash on dropped, and the serial part after a hyphen padded to six digits."""
    number = _BLANKS.sub("", text).split("/", 1)[0].lower()
    if "-" in number:
        year, serial = number.split("-", 1)
        number = year + serial.replace("-", "").rjust(6, "0")
    return number or None


def local_number(text: str) -> str | None:
    """A control number (001) as one key: folded case, no blanks."""
    number = _BLANKS.sub("", text).lower()
    return number or None


def standard_number(text: str) -> str | None:
    """Another standard number (024, 027): its first token, without hyphens, folded case."""
    tokens = text.split()
    if not tokens:
        return None
    return tokens[0].replace("-", "").lower() or None
