"""Stand-ins for ``federated_search`` and records for the web app's in-process tests.

``scripted_search`` plays fixed events (every target ends); ``GatedSearch`` holds each target
back until the test lets it go, so a test can look at the page while targets still search.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pymarc
from pymarc import Field, Subfield

from shelfnet.search.engine import (
    Event,
    FoundRecord,
    Phase,
    RecordsFound,
    SearchLimits,
    SearchQuery,
    StatusChanged,
    TargetStatus,
)
from shelfnet.search.targets import TargetList, TargetSpec
from shelfnet.z3950.diagnostics import Diagnostic

USMARC = "1.2.840.10003.5.10"

TARGETS = TargetList(
    {
        "alpha": TargetSpec("alpha", "alpha.example:210/Books"),
        "beta": TargetSpec("beta", "beta.example:210/Books"),
        "broken": TargetSpec("broken", "broken.example:210/Books"),
    },
    {"good ones": ("alpha", "beta")},
)


def book(
    control: str,
    title: str,
    *,
    isbn: str | None = None,
    author: str = "Davis, Miles.",
    level: str = " ",
    subjects: Sequence[str] = (),
    publisher: str = "Columbia,",
) -> pymarc.Record:
    record = pymarc.Record()
    record.leader = pymarc.Leader(f"00000cam a2200000{level}a 4500")
    record.add_field(Field(tag="001", data=control))
    record.add_field(Field(tag="008", data="991231s1959    nyu           000 0 eng d"))
    if isbn:
        record.add_field(_df("020", ("a", isbn)))
    record.add_field(_df("100", ("a", author), indicators=("1", " ")))
    record.add_field(_df("245", ("a", f"{title} /"), ("c", "Miles Davis."), indicators=("1", "0")))
    record.add_field(_df("260", ("a", "New York :"), ("b", publisher), ("c", "1959.")))
    for subject in subjects:
        topic, _, form = subject.partition(" -- ")
        pairs = [("a", topic)] + ([("v", form)] if form else [])
        record.add_field(_df("650", *pairs, indicators=(" ", "0")))
    return record


def _df(tag: str, *pairs: tuple[str, str], indicators: tuple[str, str] = (" ", " ")) -> Field:
    return Field(
        tag=tag,
        indicators=list(indicators),
        subfields=[Subfield(code, value) for code, value in pairs],
    )


def found(target: str, position: int, record: pymarc.Record) -> FoundRecord:
    return FoundRecord(target, position, record, record.as_marc(), USMARC)


KIND_OF_BLUE_FULL = book(
    "kob-1",
    "Kind of blue",
    isbn="0-306-40615-2",
    subjects=["Jazz -- 1951-1960", "Trumpet music"],
)
KIND_OF_BLUE_BRIEF = book("kob-2", "Kind of blue", isbn="9780306406157", level="7")
BLUE_TRAIN = book("bt-1", "Blue train", isbn="0-19-852663-6", author="Coltrane, John.")
CAUTION = book("x-1", "<script>alert('blue')</script> & co", author="<b>Bold</b>, Bob.")

RECORDS: Mapping[str, tuple[pymarc.Record, ...]] = {
    "alpha": (KIND_OF_BLUE_FULL, BLUE_TRAIN),
    "beta": (KIND_OF_BLUE_BRIEF, CAUTION),
}
DIAGNOSTIC = Diagnostic(109, "Books")


def target_events(target: TargetSpec, clock: float = 100.0) -> list[Event]:
    """What a target's search looks like: connect, search, fetch, end (or fail)."""
    status = TargetStatus(target, Phase.CONNECTING, started=clock)
    events: list[Event] = [StatusChanged(status)]
    if target.name not in RECORDS:
        failed = replace(
            status,
            phase=Phase.FAILED,
            error=str(DIAGNOSTIC),
            diagnostic=DIAGNOSTIC,
            finished=clock + 0.5,
        )
        return [*events, StatusChanged(failed)]
    records = RECORDS[target.name]
    status = replace(status, phase=Phase.FETCHING, hits=len(records) + 40)
    events.append(StatusChanged(status))
    found_records = tuple(found(target.name, n, r) for n, r in enumerate(records, start=1))
    events.append(RecordsFound(target.name, found_records))
    done = replace(status, phase=Phase.DONE, records=len(records), finished=clock + 1.25)
    return [*events, StatusChanged(done)]


async def scripted_search(
    targets: Sequence[TargetSpec], query: SearchQuery, limits: SearchLimits
) -> AsyncIterator[Event]:
    for target in targets:
        yield StatusChanged(TargetStatus(target))
    for target in targets:
        for event in target_events(target):
            await asyncio.sleep(0)
            yield event


@dataclass
class GatedSearch:
    """Every target waits for ``release(name)`` before it answers."""

    searched: list[str] = field(default_factory=list)
    _gates: dict[str, asyncio.Event] = field(default_factory=dict)

    def release(self, name: str) -> None:
        self._gate(name).set()

    def _gate(self, name: str) -> asyncio.Event:
        return self._gates.setdefault(name, asyncio.Event())

    async def __call__(
        self, targets: Sequence[TargetSpec], query: SearchQuery, limits: SearchLimits
    ) -> AsyncIterator[Event]:
        self.searched.append(query.text)
        for target in targets:
            yield StatusChanged(TargetStatus(target, Phase.SEARCHING, started=0.0))
        for target in targets:
            await self._gate(target.name).wait()
            for event in target_events(target):
                yield event
