"""Server-Sent Events: a search session's page kept up to date while targets answer.

Every change to the session sends one ``update`` event whose data is a JSON object of HTML
fragments (progress line, status table, ranked clusters) and ``finished``. Changes that come
close together are sent as one: after a message the stream waits ``interval`` seconds, or
twice as long as ranking and rendering took, whichever is longer, so a big result list
cannot keep the event loop busy. The stream ends after the message that says the search has
finished.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping

from shelfnet.web.sessions import SearchSession

MEDIA_TYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def message(event: str, data: Mapping[str, object], event_id: int | None = None) -> str:
    """One SSE message; the JSON data has no line breaks, so it fits one ``data:`` line."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n"


async def updates(
    session: SearchSession,
    render: Callable[[SearchSession], dict[str, object]],
    interval: float = 0.2,
) -> AsyncIterator[str]:
    """The session as it changes, from now until it has finished."""
    seen = -1
    while True:
        await session.wait_for_change(seen)
        seen = session.version
        finished = session.finished
        started = time.perf_counter()
        data = {**render(session), "finished": finished}
        cost = time.perf_counter() - started
        yield message("update", data, seen)
        if finished:
            return
        await asyncio.sleep(max(interval, 2 * cost))
