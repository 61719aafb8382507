"""Threads that run the catalogue's blocking calls for the event loop, with the least
hand-off per call.

``loop.run_in_executor`` wraps every call in a ``concurrent.futures.Future`` guarded by a
Python-level condition variable and chains it to an asyncio future; at thousands of searches a
second that hand-off cost a fifth of the server's time. Here a call is one item on a
``queue.SimpleQueue`` (written in C), and its result goes straight to the awaiting asyncio
future through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Workers:
    """``count`` daemon threads taking calls from one queue."""

    def __init__(self, count: int, name: str = "worker") -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(max(1, count))
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)`` on a worker thread; its exception, if any, is raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return await future

    def shutdown(self) -> None:
        """Let the calls already queued finish, then stop every thread."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, function, args = job
            try:
                result = function(*args)
            except BaseException as exc:  # handed to the caller, whatever it is
                _post(loop, _fail, future, exc)
            else:
                _post(loop, _succeed, future, result)


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
        loop.call_soon_threadsafe(callback, *args)


def _succeed(future: asyncio.Future[Any], result: object) -> None:
    if not future.done():  # the awaiting task may have been cancelled
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
