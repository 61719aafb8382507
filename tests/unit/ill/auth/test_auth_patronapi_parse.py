"""Parsing PatronAPI answers."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shelfnet.ill.auth.patronapi import (
    PatronApiParseError,
    parse_body,
    parse_expiry,
    parse_money,
)

DUMP = """<HTML>
<BODY>
REC INFO[p!]=p1234567<BR>
EXP DATE[p43]=12-31-27<BR>
P TYPE[p47]=3<BR>
MBLOCK[p56]=-<BR>
MONEY OWED[p96]=$12.50<BR>
PATRN NAME[pn]=Smith, Jane<BR>
EMAIL ADDR[pz]=jane@example.org<BR>
EMAIL ADDR[pz]=j.smith@example.org<BR>
</BODY>
</HTML>
"""


def test_fields_are_found_by_label_or_code() -> None:
    record = parse_body(DUMP)
    assert record.get("P TYPE") == record.get("p47") == "3"
    assert record.get("patrn name") == "Smith, Jane"
    assert record.all("pz") == ("jane@example.org", "j.smith@example.org")
    assert record.get("missing", "?") == "?"


def test_error_lines_without_a_code() -> None:
    record = parse_body("RETCOD=1<BR>\nERRNUM=4<BR>\nERRMSG=Invalid patron PIN<BR>")
    assert record.get("RETCOD") == "1"
    assert record.error == ("4", "Invalid patron PIN")


def test_breaks_may_be_lower_case_or_self_closing() -> None:
    assert parse_body("RETCOD=0<br/>").get("RETCOD") == "0"


def test_expiry_dates() -> None:
    assert parse_expiry("12-31-27") == date(2027, 12, 31)
    assert parse_expiry("01-31-2020") == date(2020, 1, 31)
    assert parse_expiry("  -  -  ") is None
    assert parse_expiry("02-30-27") is None


def test_money_owed() -> None:
    assert parse_money("$12.50") == Decimal("12.50")
    assert parse_money("$1,012.50") == Decimal("1012.50")
    assert parse_money("") == Decimal(0)


_labels = st.text(st.characters(categories=["Lu", "Nd"], include_characters=" #"), min_size=1,
                  max_size=20).map(str.strip).filter(bool)  # fmt: skip
_codes = st.text(st.characters(categories=["Ll", "Nd"], include_characters="!"), max_size=4)
_values = st.text(
    st.characters(categories=["L", "N", "P", "Zs"], exclude_characters="<>"), max_size=40
).map(str.strip)


@given(st.lists(st.tuples(_labels, _codes, _values), min_size=1, max_size=20))
def test_key_value_lines_round_trip(fields: list[tuple[str, str, str]]) -> None:
    body = "".join(f"{label}[{code}]={value}<BR>\n" for label, code, value in fields)
    record = parse_body(f"<HTML><BODY>{body}</BODY></HTML>")
    assert [(f.label, f.code, f.value.strip()) for f in record.fields] == fields


@given(st.text(max_size=300))
def test_garbage_never_raises_anything_but_a_parse_error(text: str) -> None:
    with contextlib.suppress(PatronApiParseError):
        parse_body(text)
