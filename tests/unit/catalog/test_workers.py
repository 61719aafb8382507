"""The catalogue's worker threads (``shelfnet.catalog.workers``)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from shelfnet.catalog.workers import Workers


def test_calls_run_on_the_workers_and_return_their_results() -> None:
    workers = Workers(3, "test")

    async def scenario() -> list[tuple[int, str]]:
        def square(n: int) -> tuple[int, str]:
            return n * n, threading.current_thread().name

        return await asyncio.gather(*(workers.run(square, n) for n in range(20)))

    try:
        results = asyncio.run(scenario())
    finally:
        workers.shutdown()
    assert [value for value, _thread in results] == [n * n for n in range(20)]
    assert {thread for _value, thread in results} <= {"test-0", "test-1", "test-2"}
    assert threading.main_thread().name not in {thread for _value, thread in results}


def test_an_exception_is_raised_in_the_caller() -> None:
    workers = Workers(1)

    def fail() -> None:
        raise ValueError("no such record")

    try:
        with pytest.raises(ValueError, match="no such record"):
            asyncio.run(workers.run(fail))
    finally:
        workers.shutdown()


def test_a_cancelled_caller_leaves_the_workers_serving_others() -> None:
    workers = Workers(1)
    release = threading.Event()

    async def scenario() -> int:
        slow = asyncio.ensure_future(workers.run(release.wait, 5))
        await asyncio.sleep(0.01)
        slow.cancel()
        release.set()  # the slow call ends after its caller gave up
        return await workers.run(lambda: 42)

    try:
        assert asyncio.run(scenario()) == 42
    finally:
        workers.shutdown()


def test_shutdown_finishes_queued_calls_and_stops_every_thread() -> None:
    workers = Workers(2, "stopping")
    workers.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("stopping-")]
