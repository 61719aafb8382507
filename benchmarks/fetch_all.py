"""One benchmark process: fetch every hit of a query as USMARC and build pymarc records.

Run by z3950_fetch.py as a separate process so that its wall time includes Python start-up,
the same way zoomsh's does. Prints the hit count, the record count and, on stderr, where the
time went (seconds since the interpreter started, per stage).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402
import sys  # noqa: E402

from shelfnet.marc import decode_marc  # noqa: E402
from shelfnet.z3950.client import Connection, Target  # noqa: E402


async def fetch(zurl: str, query: str) -> tuple[int, int, dict[str, float]]:
    stages = {"imports": time.perf_counter() - STARTED}
    mark = time.perf_counter()
    async with Connection.to(Target.parse(zurl), preferred_record_syntax="usmarc") as conn:
        stages["connect and init (codec load included)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        result = await conn.search(query)
        stages["search"] = time.perf_counter() - mark
        mark = time.perf_counter()
        fetched = await result.records()
        stages["present and BER decode"] = time.perf_counter() - mark
        mark = time.perf_counter()
        records = [decode_marc(r.raw).record for r in fetched]
        stages["pymarc records (MARC-8 to Unicode)"] = time.perf_counter() - mark
        return result.size, len(records), stages


if __name__ == "__main__":
    hits, count, stages = asyncio.run(fetch(sys.argv[1], sys.argv[2]))
    print(hits, count)
    for stage, seconds in stages.items():
        print(f"{stage}\t{seconds:.4f}", file=sys.stderr)
