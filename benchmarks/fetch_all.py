"""One benchmark process: fetch every hit of a query as USMARC and build pymarc records.

Run by z3950_fetch.py as a separate process so that its wall time includes Python start-up,
the same way zoomsh's does. Prints the hit count and the record count.
"""

from __future__ import annotations

import asyncio
import sys

from shelfnet.marc import decode_marc
from shelfnet.z3950.client import Connection, Target


async def fetch(zurl: str, query: str) -> tuple[int, int]:
    async with Connection.to(Target.parse(zurl), preferred_record_syntax="usmarc") as conn:
        result = await conn.search(query)
        records = [decode_marc(r.raw).record for r in await result.records()]
        return result.size, len(records)


if __name__ == "__main__":
    hits, records = asyncio.run(fetch(sys.argv[1], sys.argv[2]))
    print(hits, records)
