"""Running a coroutine on the fastest event loop at hand, for servers and clients alike."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

_T = TypeVar("_T")


def run(main: Coroutine[object, object, _T]) -> _T:
    """Run ``main`` on uvloop (libuv, in C) where it is installed, asyncio's own loop
    otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
