"""Search sessions: one federated search running in the background, and what it found so far.

A session is created when a search starts; its id goes into the page's URL. The search runs in
an asyncio task that feeds every event into the session's ``FederatedResult``; pages read it,
and event streams wait for it to change. The store keeps at most ``capacity`` sessions in
memory: starting one more drops the oldest (and stops its search if it still runs).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from shelfnet.marc.quality import DEFAULT_WEIGHTS, Weights
from shelfnet.search.engine import (
    Event,
    FoundRecord,
    RecordsFound,
    SearchLimits,
    SearchQuery,
    TargetStatus,
)
from shelfnet.search.rank import RankedCluster
from shelfnet.search.session import FederatedResult
from shelfnet.search.targets import TargetSpec

SearchFunction = Callable[[Sequence[TargetSpec], SearchQuery, SearchLimits], AsyncIterator[Event]]
"""``federated_search`` or a stand-in with its signature."""
Clock = Callable[[], float]


def new_session_id() -> str:
    return secrets.token_urlsafe(9)


@dataclass
class SearchSession:
    """One search: its targets, its result so far, and whether it has ended."""

    id: str
    query: SearchQuery
    targets: tuple[TargetSpec, ...]
    weights: Weights = DEFAULT_WEIGHTS
    result: FederatedResult = field(init=False)
    version: int = 0
    """Goes up by one with every event taken in."""
    finished: bool = False
    _records: dict[tuple[str, int], FoundRecord] = field(default_factory=dict, repr=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _ranked: tuple[int, list[RankedCluster]] | None = field(default=None, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.result = FederatedResult(self.query, self.weights)

    def apply(self, event: Event) -> None:
        self.result.apply(event)
        if isinstance(event, RecordsFound):
            for found in event.records:
                self._records[(found.target, found.position)] = found
        self.version += 1
        self._wake()

    def statuses(self) -> list[TargetStatus]:
        """Every target's status, in the order the targets were chosen."""
        known = self.result.statuses
        return [known.get(target.name, TargetStatus(target)) for target in self.targets]

    def ranked(self) -> list[RankedCluster]:
        """The clusters in rank order (computed once per version)."""
        if self._ranked is None or self._ranked[0] != self.version:
            self._ranked = (self.version, self.result.ranked(self.weights))
        return self._ranked[1]

    def record(self, target: str, position: int) -> FoundRecord | None:
        return self._records.get((target, position))

    def target_number(self, name: str) -> int:
        """The target's place in ``targets`` (record URLs carry it instead of the name)."""
        return next(i for i, target in enumerate(self.targets) if target.name == name)

    def start(self, search: SearchFunction, limits: SearchLimits) -> None:
        self._task = asyncio.create_task(self._run(search, limits), name=f"search {self.id}")

    def stop(self) -> None:
        """Cancel the search; event streams end now, not when the targets have hung up."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self.finished = True
            self.version += 1
            self._wake()

    async def wait_for_change(self, seen: int) -> None:
        """Return once ``version`` differs from ``seen`` or the search has finished."""
        while self.version == seen and not self.finished:
            changed = self._changed
            await changed.wait()

    async def _run(self, search: SearchFunction, limits: SearchLimits) -> None:
        try:
            async for event in search(self.targets, self.query, limits):
                self.apply(event)
        finally:
            self.finished = True
            self.version += 1
            self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


class SessionStore:
    """The sessions in memory, oldest first: at most ``capacity`` of them, and, when a search
    starts, no more records among the others than ``record_budget`` (a session holding 4,000
    records of 200 targets takes some 40 MB)."""

    def __init__(
        self,
        search: SearchFunction,
        limits: SearchLimits,
        *,
        capacity: int = 100,
        record_budget: int = 100_000,
        weights: Weights = DEFAULT_WEIGHTS,
        new_id: Callable[[], str] = new_session_id,
    ) -> None:
        self.search = search
        self.limits = limits
        self.capacity = max(1, capacity)
        self.record_budget = max(0, record_budget)
        self.weights = weights
        self._new_id = new_id
        self._sessions: OrderedDict[str, SearchSession] = OrderedDict()

    def start(self, query: SearchQuery, targets: Sequence[TargetSpec]) -> SearchSession:
        """Create a session and start its search (call from inside the event loop)."""
        while self._sessions and (
            len(self._sessions) >= self.capacity or self.records > self.record_budget
        ):
            _, oldest = self._sessions.popitem(last=False)
            oldest.stop()
        session = SearchSession(self._unused_id(), query, tuple(targets), self.weights)
        self._sessions[session.id] = session
        session.start(self.search, self.limits)
        return session

    def get(self, session_id: str) -> SearchSession | None:
        return self._sessions.get(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def records(self) -> int:
        """Records held by all the sessions."""
        return sum(session.result.records for session in self._sessions.values())

    def close(self) -> None:
        """Stop every search still running (the app is shutting down)."""
        for session in self._sessions.values():
            session.stop()

    def _unused_id(self) -> str:
        while (candidate := self._new_id()) in self._sessions:
            pass
        return candidate


def elapsed(status: TargetStatus, clock: Clock = time.monotonic) -> float | None:
    """Seconds the target has taken: to the end when it ended, else so far."""
    if status.started is None:
        return None
    return (status.finished if status.finished is not None else clock()) - status.started
