"""Merging the records of many targets into clusters: one cluster per book (manifestation).

Two records share a cluster when they share any match key: an ISBN (020 $a, ISBN-10 and -13
alike), an ISSN (022 $a), an LCCN (010 $a), an OCLC number (035 $a "(OCoLC)..."), or the
same normalised title, first author, year and edition. Clusters are kept with a union-find
as records stream in, so a record that links two clusters joins them. Every source record
stays in its cluster with the target it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pymarc

from shelfnet.catalog import identifiers, normalise
from shelfnet.search.engine import FoundRecord

_OCLC = re.compile(r"^\s*\((?:OCoLC|OCLC)\)\s*(?:ocm|ocn|on)?\s*0*([0-9]+)", re.IGNORECASE)
_YEAR = re.compile(r"(1[5-9][0-9]{2}|20[0-9]{2})")
_EDITION_NUMBER = re.compile(r"[0-9]+")


def match_keys(record: pymarc.Record) -> list[str]:
    """Every key that identifies the book a record describes (``isbn:``, ``issn:``, ``lccn:``,
    ``oclc:``, ``tad:`` title/author/date/edition), each once."""
    keys: list[str] = []
    for value in _subfields(record, "020", "a"):
        if (number := identifiers.isbn_13(value)) is not None:
            keys.append(f"isbn:{number}")
    for value in _subfields(record, "022", "a"):
        if (number := identifiers.issn(value)) is not None:
            keys.append(f"issn:{number}")
    for value in _subfields(record, "010", "a"):
        if (number := identifiers.lccn(value)) is not None:
            keys.append(f"lccn:{number}")
    for value in _subfields(record, "035", "a"):
        if (match := _OCLC.match(value)) is not None:
            keys.append(f"oclc:{match[1]}")
    if (title_key := description_key(record)) is not None:
        keys.append(title_key)
    return list(dict.fromkeys(keys))


def description_key(record: pymarc.Record) -> str | None:
    """Title (245 $a $b, without its nonfiling characters), first author's first word,
    year of publication and edition number, normalised: "tad:title|author|year|edition"."""
    fields = record.get_fields("245")
    if not fields:
        return None
    title_field = fields[0]
    title = " ".join(title_field.get_subfields("a", "b"))
    skip = title_field.indicator2
    if skip and skip.isdigit():
        title = title[int(skip) :]
    title = normalise.phrase(title)
    if not title:
        return None
    author = ""
    for tag in ("100", "110", "111"):
        names = _subfields(record, tag, "a")
        if names:
            author = next(iter(normalise.words(names[0])), "")
            break
    return f"tad:{title}|{author}|{year_of(record) or ''}|{_edition(record)}"


def year_of(record: pymarc.Record) -> str | None:
    """The year of publication: 008/07-10 when it is a year, else the first in 260/264 $c."""
    control = record.get_fields("008")
    if control and control[0].data and len(control[0].data) >= 11:
        date1 = control[0].data[7:11]
        if date1.isdigit():
            return date1
    for value in _subfields(record, "260", "c") + _subfields(record, "264", "c"):
        if (match := _YEAR.search(value)) is not None:
            return match[1]
    return None


def _edition(record: pymarc.Record) -> str:
    editions = _subfields(record, "250", "a")
    if not editions:
        return ""
    match = _EDITION_NUMBER.search(editions[0])
    return match[0] if match else normalise.phrase(editions[0])


def _subfields(record: pymarc.Record, tag: str, code: str) -> list[str]:
    return [value for found in record.get_fields(tag) for value in found.get_subfields(code)]


@dataclass
class Cluster:
    """Records of one book from any number of targets, in the order they arrived."""

    number: int
    records: list[FoundRecord] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    @property
    def targets(self) -> list[str]:
        return list(dict.fromkeys(found.target for found in self.records))


class Merger:
    """Clusters records as they arrive (``add``); ``clusters`` lists them, oldest first."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._clusters: dict[int, Cluster] = {}
        self._by_key: dict[str, int] = {}
        self._count = 0

    def add(self, found: FoundRecord) -> Cluster:
        """Put a record into its cluster (a new one, or the one its keys lead to, merging
        clusters it links) and return that cluster."""
        keys = match_keys(found.record)
        roots = {self._root(self._by_key[key]) for key in keys if key in self._by_key}
        if roots:
            number = min(roots)
            cluster = self._clusters[number]
            for other in sorted(roots - {number}):
                merged = self._clusters.pop(other)
                cluster.records.extend(merged.records)
                cluster.keys |= merged.keys
                self._parent[other] = number
        else:
            self._count += 1
            number = self._count
            self._parent[number] = number
            cluster = self._clusters[number] = Cluster(number)
        cluster.records.append(found)
        cluster.keys.update(keys)
        for key in keys:
            self._by_key.setdefault(key, number)
        return cluster

    def extend(self, records: Iterable[FoundRecord]) -> None:
        for found in records:
            self.add(found)

    def cluster_of(self, number: int) -> Cluster:
        return self._clusters[self._root(number)]

    @property
    def clusters(self) -> list[Cluster]:
        return list(self._clusters.values())

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters)

    def __len__(self) -> int:
        return len(self._clusters)

    def _root(self, number: int) -> int:
        while self._parent[number] != number:
            self._parent[number] = self._parent[self._parent[number]]
            number = self._parent[number]
        return number
