"""MARC shown to people: a labelled form (Title, Author, ...) and a field-by-field comparison.

The labelled form picks the fields a copy cataloguer checks first when choosing a record;
the comparison lines up several records of one book tag by tag, so differences stand out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymarc

from shelfnet.marc.text import to_mnemonic


@dataclass(frozen=True)
class Label:
    """One line of the labelled form: which fields and subfields it shows."""

    name: str
    tags: tuple[str, ...]
    codes: str
    joiner: str = " "


_SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "655")
LABELS = (
    Label("Title", ("245",), "abfgknps"),
    Label("Statement of responsibility", ("245",), "c"),
    Label("Uniform title", ("130", "240"), "adfklmnoprs"),
    Label("Author", ("100", "110", "111"), "abcdegjnq"),
    Label("Other authors", ("700", "710", "711"), "abcdegjnq"),
    Label("Edition", ("250",), "ab"),
    Label("Place", ("260", "264"), "a"),
    Label("Publisher", ("260", "264"), "b"),
    Label("Date", ("260", "264"), "c"),
    Label("Description", ("300",), "abce"),
    Label("Series", ("490", "830"), "anpv"),
    Label("ISBN", ("020",), "aq"),
    Label("ISSN", ("022",), "a"),
    Label("LCCN", ("010",), "a"),
    Label("Other numbers", ("024", "028", "035"), "ab"),
    Label("LC call number", ("050",), "ab"),
    Label("Dewey number", ("082",), "a"),
    Label("Subjects", _SUBJECT_TAGS, "abcdvxyz", " -- "),
    Label("Notes", ("500", "504", "511", "518"), "a"),
    Label("Contents", ("505",), "agrt"),
    Label("Summary", ("520",), "ab"),
)
_ISBD_ENDINGS = " /:;,="


def labelled(record: pymarc.Record) -> list[tuple[str, list[str]]]:
    """The labelled form: each label with its values, labels without a value left out."""
    rows = []
    for label in LABELS:
        values = [_value(found, label) for found in record.get_fields(*label.tags)]
        values = [value for value in values if value]
        if values:
            rows.append((label.name, values))
    return rows


def _value(found: pymarc.Field, label: Label) -> str:
    if found.is_control_field():
        return ""
    parts = [s.value.strip() for s in found.subfields if s.code in label.codes and s.value.strip()]
    return label.joiner.join(parts).rstrip(_ISBD_ENDINGS)


@dataclass(frozen=True)
class ComparedField:
    """One tag across several records: each record's fields of that tag, in mnemonic form."""

    tag: str
    cells: tuple[tuple[str, ...], ...]

    @property
    def differs(self) -> bool:
        return len(set(self.cells)) > 1


def compare(records: Sequence[pymarc.Record]) -> list[ComparedField]:
    """Every tag any of the records has (leader first, then tag order), one cell per record."""
    per_record = [_by_tag(record) for record in records]
    tags = sorted({tag for fields in per_record for tag in fields}, key=_tag_order)
    return [
        ComparedField(tag, tuple(tuple(fields.get(tag, ())) for fields in per_record))
        for tag in tags
    ]


def _by_tag(record: pymarc.Record) -> dict[str, list[str]]:
    """The record's fields grouped by tag, each as its mnemonic line without ``=TAG  ``."""
    grouped: dict[str, list[str]] = {}
    for line in to_mnemonic(record).splitlines():
        tag, body = line[1:4], line[6:]
        grouped.setdefault(tag, []).append(body)
    return grouped


def _tag_order(tag: str) -> tuple[int, str]:
    return (0, "") if tag == "LDR" else (1, tag)
