"""Search sessions and the event stream that follows them (``web.sessions``, ``web.stream``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from shelfnet.search.engine import SearchLimits, SearchQuery
from shelfnet.web import stream
from shelfnet.web.sessions import SearchSession, SessionStore
from tests.unit.web.fakes import TARGETS, GatedSearch, scripted_search

QUERY = SearchQuery("blue")
ALPHA_BETA = TARGETS.resolve(["alpha", "beta"])


def test_the_stream_follows_the_session_and_ends_with_the_finished_message() -> None:
    async def scenario() -> list[dict[str, object]]:
        search = GatedSearch()
        store = SessionStore(search, SearchLimits())
        session = store.start(QUERY, ALPHA_BETA)
        seen: list[dict[str, object]] = []

        def render(current: SearchSession) -> dict[str, object]:
            return {"records": current.result.records, "ended": _ended(current)}

        async def listen() -> None:
            async for text in stream.updates(session, render, interval=0):
                seen.append(json.loads(text.split("data: ", 1)[1]))

        listener = asyncio.create_task(listen())
        await _until(lambda: _ended(session) == 0 and session.version >= 2)
        search.release("alpha")
        await _until(lambda: _ended(session) == 1)
        await asyncio.sleep(0.01)
        assert not listener.done()
        search.release("beta")
        await asyncio.wait_for(listener, 2)
        return seen

    seen = asyncio.run(scenario())
    assert seen[-1] == {"records": 4, "ended": 2, "finished": True}
    assert any(message == {"records": 2, "ended": 1, "finished": False} for message in seen)
    assert [message["finished"] for message in seen].count(True) == 1


def test_a_stream_opened_after_the_end_sends_the_final_state_once() -> None:
    async def scenario() -> list[str]:
        store = SessionStore(scripted_search, SearchLimits())
        session = store.start(QUERY, ALPHA_BETA)
        await _until(lambda: session.finished)
        return [text async for text in stream.updates(session, lambda s: {"v": s.version})]

    (only,) = asyncio.run(scenario())
    assert only.startswith("event: update\nid: ") and '"finished": true' in only


def test_dropping_the_oldest_session_stops_its_search() -> None:
    async def scenario() -> tuple[bool, int]:
        store = SessionStore(GatedSearch(), SearchLimits(), capacity=1)
        first = store.start(QUERY, ALPHA_BETA)
        await asyncio.sleep(0)
        store.start(QUERY, ALPHA_BETA)
        await _until(lambda: first.finished)
        return store.get(first.id) is None, len(store)

    assert asyncio.run(scenario()) == (True, 1)


def test_records_are_found_by_target_and_position() -> None:
    async def scenario() -> SearchSession:
        session = SessionStore(scripted_search, SearchLimits()).start(QUERY, ALPHA_BETA)
        await _until(lambda: session.finished)
        return session

    session = asyncio.run(scenario())
    found = session.record("beta", 1)
    assert found is not None and found.record["001"].data == "kob-2"
    assert session.record("beta", 3) is None
    assert session.target_number("beta") == 1


def _ended(session: SearchSession) -> int:
    return sum(status.ended for status in session.statuses())


async def _until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


def test_starting_a_search_drops_the_oldest_sessions_past_the_record_budget() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        store = SessionStore(scripted_search, SearchLimits(), capacity=10, record_budget=3)
        first = store.start(QUERY, ALPHA_BETA)
        await _until(lambda: first.finished)
        held = store.records
        second = store.start(QUERY, ALPHA_BETA)  # first holds more than 3 records: dropped
        await _until(lambda: second.finished)
        return store.get(first.id) is None, store.get(second.id) is not None, held

    first_dropped, second_kept, held = asyncio.run(scenario())
    assert held == 4 and first_dropped and second_kept
