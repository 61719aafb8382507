"""Partner messages per second through the durable outbox, for each listener.

Two libraries in one process: A borrows, B lends. A has ``count`` borrowing requests in
Request Sent (made before the clock starts); its ``MessagingService`` queues them (the
history scanner renders one ILL-Request / ISO 18626 request per change into
``ill_messages``) and sends them; B's listener files each as a lending transaction with its
message log line. Timed: from the first scan until B holds ``count`` lending transactions.

* ISO ILL over TCP: B's ``isoill.server.start_server`` with the messaging inbox (on the
  benchmark's event loop); A's ``IsoIllAdapter`` opens one association per message and waits
  for the Status-Or-Error-Report.
* ISO 18626 over HTTP: B's web router (``logged_callbacks``) under uvicorn in a thread; A's
  ``Iso18626Adapter`` POSTs each message on a kept-alive connection and waits for the
  confirmation.

Both on SQLite (a file each) and on PostgreSQL (``tests.postgres`` throwaway cluster, fsync
off). Prints a markdown section for docs/benchmarks.md. ``python benchmarks/ill_messages.py
[--count N] [--no-postgres]``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_vs_zebra import machine, write_section

from shelfnet.config import Iso18626Settings, Settings
from shelfnet.ill.messaging.iso18626 import Iso18626Adapter, logged_callbacks
from shelfnet.ill.messaging.isoill import IsoIllAdapter
from shelfnet.ill.messaging.model import Direction
from shelfnet.ill.messaging.outbox import MessageOutbox
from shelfnet.ill.messaging.ports import Adapter
from shelfnet.ill.messaging.service import MessagingService
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Partner,
    PartnerProtocol,
    ProcessType,
    RequestType,
    TransactionDraft,
)
from shelfnet.ill.protocols.iso18626.endpoint import create_router
from shelfnet.ill.protocols.isoill.apdus import SystemId
from shelfnet.ill.protocols.isoill.lending import store_requests
from shelfnet.ill.protocols.isoill.server import start_server
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Action, Status
from tests.postgres import start_cluster

BORROWER, LENDER = "US-A", "US-B"
SECRET = "bench-secret"


@dataclass(frozen=True)
class Figure:
    listener: str
    database: str
    count: int
    queue_seconds: float
    send_seconds: float

    @property
    def total(self) -> float:
        return self.queue_seconds + self.send_seconds

    @property
    def per_second(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def sent_per_second(self) -> float:
        return self.count / self.send_seconds if self.send_seconds else 0.0


def settings_for(symbol: str) -> tuple[Settings, MessagingSettings]:
    messaging = MessagingSettings(symbol=symbol, timeout=10.0, ack_timeout=10.0)
    base = Settings()
    settings = replace(
        base,
        ill=replace(base.ill, symbol=symbol, messaging=messaging),
        iso18626=Iso18626Settings(version="1.2"),
    )
    return settings, messaging


def make_requests(store: IllStore, count: int) -> None:
    for number in range(count):
        draft = TransactionDraft(
            ProcessType.BORROWING,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title=f"Book {number}", author="Melville, Herman", isbn="9780142437247"),
            lender_string=(LENDER,),
        )
        made = store.create_transaction(draft, "staff")
        store.apply_action(made.id, Action.SEND_REQUEST, "staff")


def lending_count(store: IllStore, limit: int) -> int:
    waiting = Status.AWAITING_LENDING_REQUEST_PROCESSING
    return len(store.queue(waiting, ProcessType.LENDING, limit=limit + 1))


async def drive(
    service: MessagingService, lender: IllStore, count: int, deadline: float = 600.0
) -> tuple[float, float]:
    """(seconds to queue, seconds to send until the lender has them all)."""
    service.prepare()
    started = time.perf_counter()
    queued = await asyncio.to_thread(service.outbox.scan)
    if queued != count:
        raise RuntimeError(f"queued {queued} messages, expected {count}")
    scanned = time.perf_counter()
    while await asyncio.to_thread(lending_count, lender, count) < count:
        report = await service.run_once()
        if report.failed:
            failed = service.outbox.messages(direction=Direction.OUT, limit=count)
            errors = {m.last_error for m in failed if m.last_error}
            raise RuntimeError(f"{report.failed} sends failed: {sorted(errors)[:3]}")
        if time.perf_counter() - scanned > deadline:
            raise RuntimeError("the lender did not get every request in time")
    return scanned - started, time.perf_counter() - scanned


def introduce(borrower: IllStore, protocol: PartnerProtocol, endpoint: str) -> None:
    borrower.create_partner(
        Partner(LENDER, "Lender", protocol=protocol, endpoint=endpoint, shared_secret=SECRET)
    )


def lender_knows_borrower(lender: IllStore, protocol: PartnerProtocol) -> None:
    lender.create_partner(
        Partner(BORROWER, "Borrower", protocol=protocol, endpoint="", shared_secret=SECRET)
    )


async def isoill(borrower: IllStore, lender: IllStore, count: int) -> tuple[float, float]:
    _, b_messaging = settings_for(LENDER)
    _, a_messaging = settings_for(BORROWER)
    inbox_service = MessagingService(lender, b_messaging)
    lender_knows_borrower(lender, PartnerProtocol.ISOILL)
    listener = await start_server(
        store_requests(lender),
        "127.0.0.1",
        0,
        our_id=SystemId(LENDER),
        inbox=inbox_service.inbox,
    )
    try:
        host, port = listener.addresses[0][:2]
        introduce(borrower, PartnerProtocol.ISOILL, f"{host}:{port}")
        adapters: dict[str, Adapter] = {"isoill": IsoIllAdapter(borrower, a_messaging)}
        service = MessagingService(borrower, a_messaging, adapters=adapters)
        return await drive(service, lender, count)
    finally:
        await listener.close()


@contextmanager
def serving(app: FastAPI) -> Iterator[int]:
    """uvicorn on a loopback port in a thread; yields the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ISO 18626 server did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


async def iso18626(borrower: IllStore, lender: IllStore, count: int) -> tuple[float, float]:
    b_settings, _ = settings_for(LENDER)
    a_settings, a_messaging = settings_for(BORROWER)
    lender_knows_borrower(lender, PartnerProtocol.ISO18626)
    app = FastAPI()
    app.include_router(create_router(logged_callbacks(lender, b_settings)))
    with serving(app) as port:
        introduce(borrower, PartnerProtocol.ISO18626, f"http://127.0.0.1:{port}/iso18626")
        adapter = Iso18626Adapter(borrower, a_messaging, a_settings)
        adapters: dict[str, Adapter] = {"iso18626": adapter}
        service = MessagingService(borrower, a_messaging, adapters=adapters)
        try:
            return await drive(service, lender, count)
        finally:
            await adapter.aclose()


def measure(listener: str, database: str, locations: tuple[str, str], count: int) -> Figure:
    borrower = open_ill_store(locations[0])
    lender = open_ill_store(locations[1])
    try:
        # The outbox starts at the end of the history: start it before the requests.
        MessageOutbox(borrower, MessagingSettings(symbol=BORROWER), {}).prepare()
        make_requests(borrower, count)
        if listener == "ISO ILL (TCP)":
            queue_s, send_s = asyncio.run(isoill(borrower, lender, count))
        else:
            queue_s, send_s = asyncio.run(iso18626(borrower, lender, count))
    finally:
        borrower.close()
        lender.close()
    return Figure(listener, database, count, queue_s, send_s)


LISTENERS = ("ISO ILL (TCP)", "ISO 18626 (HTTP)")


def run(count: int, postgres: bool) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-messages-") as scratch_name:
        scratch = Path(scratch_name)
        for number, listener in enumerate(LISTENERS):
            locations = (
                str(scratch / f"a{number}.sqlite"),
                str(scratch / f"b{number}.sqlite"),
            )
            figures.append(measure(listener, "SQLite", locations, count))
            print(f"done: {figures[-1]}", file=sys.stderr)
    if postgres:
        with (
            tempfile.TemporaryDirectory(prefix="bench-messages-pg-") as pg_root,
            start_cluster(Path(pg_root)) as cluster,
        ):
            for listener in LISTENERS:
                locations = (
                    cluster.create_database(prefix="ill"),
                    cluster.create_database(prefix="ill"),
                )
                figures.append(measure(listener, "PostgreSQL", locations, count))
                print(f"done: {figures[-1]}", file=sys.stderr)
    return figures


SECTION = "## ILL partner messages through the durable outbox"


def markdown(figures: list[Figure]) -> str:
    count = figures[0].count if figures else 0
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. "
        f"`benchmarks/ill_messages.py`: library A sends {count} new loan requests to library B "
        "through its message outbox; timed from A's first scan (each status change rendered "
        "into `ill_messages`) until B has filed every request as a lending transaction (with "
        "its message log line). One process; B's listener on loopback. ISO ILL: one "
        "association per message, acknowledged by a Status-Or-Error-Report. ISO 18626: an "
        "HTTP POST per message on a kept-alive connection, answered by its confirmation; "
        "B's endpoint is the web app's (`logged_callbacks`), under uvicorn in a thread. "
        "PostgreSQL: a throwaway local cluster with fsync off.",
        "",
        "| listener | database | messages | queue (s) | send (s) | sent/s | end to end/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.listener} | {f.database} | {f.count} | {f.queue_seconds:.2f} "
            f"| {f.send_seconds:.2f} | {f.sent_per_second:.0f} | {f.per_second:.0f} |"
        )
    lines += [
        "",
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.system()}; messages one at a time (a sender sends its claimed batch in "
        "order, waiting for each acknowledgement).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = markdown(run(args.count, not args.no_postgres))
    print(text)
    if args.append:
        write_section(args.append, text + "\n", SECTION)


if __name__ == "__main__":
    main()
