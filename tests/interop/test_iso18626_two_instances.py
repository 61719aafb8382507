"""Two shelfnet libraries lending to each other over ISO 18626, in one test process.

Each library has its own ILL store (SQLite files in a temporary folder; the loan also on
PostgreSQL), its own web server (uvicorn on a loopback port, serving the ISO 18626 router
the web app mounts: ``web.app.incoming_18626``, i.e. ``logged_callbacks``) and its own
MessagingService with the ``Iso18626Adapter``; each one's partner table points at the other
(protocol ``iso18626``, the URL, a shared secret). Staff work is done with
``IllStore.apply_action``; a messaging round stands for the service's timer. US-A borrows,
US-B lends. Every message that crossed is validated against its version's XSD.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from lxml import etree

from shelfnet.config import Iso18626Settings, Settings
from shelfnet.ill.messaging.iso18626 import Iso18626Adapter
from shelfnet.ill.messaging.model import Direction, Message, MessageState
from shelfnet.ill.messaging.service import MessagingService
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Partner,
    PartnerProtocol,
    ProcessType,
    QueueItem,
    RequestType,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.protocols.iso18626.endpoint import create_router
from shelfnet.ill.protocols.iso18626.messages import MessageStatus, Version
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Action, Status
from shelfnet.web.app import incoming_18626
from shelfnet.web.ill_access import IllWeb
from tests.unit.ill.conftest import Clock, fresh_location

S = Status
A = Action
BORROWER, LENDER = "US-A", "US-B"
SECRET = "pair-secret-a-b"
SCHEMAS = Path("/work/shared/schemas")
XSD = {"1.2": "ISO-18626-v1_2.xsd", "2021": "ISO-18626-2021-2.xsd"}


# A web server that can be stopped and started again on the same port


class Server:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/iso18626"

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the ISO 18626 server did not start")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, listener

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None and self._socket is not None
        self._thread.join(10)
        self._socket.close()
        self._server = self._thread = self._socket = None


@dataclass
class Library:
    symbol: str
    store: IllStore
    settings: Settings
    service: MessagingService
    server: Server = field(init=False)

    def __post_init__(self) -> None:
        self.server = Server(self.app())

    def app(self) -> FastAPI:
        """A web app with just the ISO 18626 router, as ``app_from_settings`` mounts it."""
        app = FastAPI()
        web = IllWeb(self.store, symbol=self.symbol)
        callbacks = incoming_18626(self.settings, web)
        app.include_router(create_router(callbacks, path=self.settings.iso18626.path))
        return app

    async def round(self) -> None:
        await self.service.run_once()

    def act(self, number: int, *actions: Action, note: str | None = None) -> Transaction:
        transaction = self.store.get_transaction(number)
        for action in actions:
            transaction = self.store.apply_action(number, action, "staff", note=note)
        return transaction

    def lending(self) -> list[Transaction]:
        found: list[QueueItem] = []
        for status in Status:
            if ProcessType.LENDING in status.process_types:
                found += self.store.queue(status, ProcessType.LENDING, limit=1000)
        return [self.store.get_transaction(i.id) for i in sorted(found, key=lambda i: i.id)]

    def log(self, direction: Direction | None = None) -> list[Message]:
        return self.service.outbox.messages(direction=direction, limit=10_000)


Pair = tuple[Library, Library]


def _library(symbol: str, location: str, clock: Clock, version: str) -> Library:
    store = open_ill_store(location, clock=clock)
    messaging = MessagingSettings(symbol=symbol, timeout=5.0)
    base = Settings()
    settings = replace(
        base,
        ill=replace(base.ill, symbol=symbol, messaging=messaging),
        iso18626=Iso18626Settings(version=version),
    )
    adapter = Iso18626Adapter(store, messaging, settings)
    service = MessagingService(store, messaging, adapters={"iso18626": adapter}, clock=clock)
    return Library(symbol, store, settings, service)


def _pair(locations: tuple[str, str], clock: Clock, version: str = "1.2") -> Iterator[Pair]:
    borrower = _library(BORROWER, locations[0], clock, version)
    lender = _library(LENDER, locations[1], clock, version)
    try:
        yield borrower, lender
    finally:
        borrower.store.close()
        lender.store.close()


def _introduce(borrower: Library, lender: Library) -> None:
    for one, other in ((borrower, lender), (lender, borrower)):
        one.store.create_partner(
            Partner(
                symbol=other.symbol,
                name=f"Library {other.symbol}",
                protocol=PartnerProtocol.ISO18626,
                endpoint=other.server.url,
                shared_secret=SECRET,
            )
        )


def validate_all(pair: Pair) -> int:
    """Every message in both logs (sent, and received as re-written) against its XSD."""
    if not all((SCHEMAS / name).exists() for name in XSD.values()):
        pytest.skip(f"the ISO 18626 schemas are not in {SCHEMAS}")
    import xmlschema

    schemas = {version: xmlschema.XMLSchema(str(SCHEMAS / name)) for version, name in XSD.items()}
    checked = 0
    for library in pair:
        for message in library.log():
            if not message.raw:
                continue
            root = etree.fromstring(message.raw)
            version = root.get("{http://illtransactions.org/2013/iso18626}version") or ""
            schemas[version].validate(message.raw.decode())
            checked += 1
    return checked


def run(pair: Pair, scenario: Callable[[Library, Library], Awaitable[None]]) -> None:
    async def main() -> None:
        borrower, lender = pair
        for library in pair:
            await asyncio.to_thread(library.server.start)
        _introduce(borrower, lender)
        borrower.service.prepare()
        lender.service.prepare()
        try:
            await scenario(borrower, lender)
        finally:
            for library in pair:
                await asyncio.to_thread(library.server.stop)
                adapter = library.service.adapters["iso18626"]
                assert isinstance(adapter, Iso18626Adapter)
                await adapter.aclose()

    asyncio.run(main())
    assert validate_all(pair) > 0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(tmp_path: Path, clock: Clock) -> Iterator[Pair]:
    locations = (str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite"))
    yield from _pair(locations, clock)


def borrow(
    library: Library, request_type: RequestType = RequestType.LOAN, title: str = "Moby-Dick"
) -> Transaction:
    if request_type is RequestType.COPY:
        draft = TransactionDraft(
            ProcessType.BORROWING,
            RequestType.COPY,
            DocumentType.ARTICLE,
            Citation(journal_title="Journal of Whales", article_title=title, year="2021"),
            lender_string=(LENDER,),
        )
    else:
        draft = TransactionDraft(
            ProcessType.BORROWING,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title=title, author="Melville, Herman", isbn="9780142437247"),
            lender_string=(LENDER,),
        )
    transaction = library.store.create_transaction(draft, "staff")
    return library.act(transaction.id, A.SEND_REQUEST)


def status(library: Library, number: int) -> Status:
    return library.store.get_transaction(number).status


def notes(library: Library, number: int) -> str:
    """The transaction's notes and the notes on its history lines."""
    transaction = library.store.get_transaction(number)
    texts = [note.text for note in library.store.notes(number)]
    return "\n".join(texts + [line.note for line in transaction.history])


async def loan_round_trip(borrower: Library, lender: Library, clock: Clock) -> None:
    request = borrow(borrower)
    assert request.status is S.REQUEST_SENT and request.partner == LENDER
    await borrower.round()

    [lending] = lender.lending()
    assert lending.status is S.AWAITING_LENDING_REQUEST_PROCESSING
    assert lending.partner == BORROWER
    assert lending.external_id == str(request.id)
    assert lending.citation.title == "Moby-Dick"
    assert lending.citation.isbn == "9780142437247"
    assert lending.request_type is RequestType.LOAN
    assert status(borrower, request.id) is S.REQUEST_SENT

    clock.tick()
    lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP, A.FILL)
    await lender.round()
    shipped = lender.store.get_transaction(lending.id)
    assert shipped.status is S.ITEM_SHIPPED and shipped.due_date is not None
    seen = borrower.store.get_transaction(request.id)
    assert seen.status is S.REQUEST_SENT
    assert seen.due_date == shipped.due_date
    assert seen.external_id == str(lending.id)
    assert "on its way" in notes(borrower, request.id)

    clock.tick()
    borrower.act(request.id, A.MARK_RECEIVED, A.NOTIFY_CUSTOMER, A.CHECK_OUT)
    await borrower.round()
    assert status(borrower, request.id) is S.CHECKED_OUT_TO_CUSTOMER
    assert status(lender, lending.id) is S.ITEM_SHIPPED
    assert "borrower has received the item" in notes(lender, lending.id)

    clock.tick()
    borrower.act(request.id, A.REQUEST_RENEWAL)
    await borrower.round()
    assert status(lender, lending.id) is S.AWAITING_LENDING_RENEWAL_PROCESSING
    clock.tick()
    lender.act(lending.id, A.RENEW)
    await lender.round()
    renewed = lender.store.get_transaction(lending.id)
    assert renewed.due_date is not None and renewed.due_date > shipped.due_date
    seen = borrower.store.get_transaction(request.id)
    assert seen.status is S.CHECKED_OUT_TO_CUSTOMER
    assert seen.due_date == renewed.due_date

    clock.tick()
    borrower.act(request.id, A.CHECK_IN, A.RETURN_TO_LENDER)
    await borrower.round()
    assert status(borrower, request.id) is S.AWAITING_RETURN_LABEL_PRINTING
    assert status(lender, lending.id) is S.ITEM_SHIPPED
    assert "sent the item back" in notes(lender, lending.id)

    clock.tick()
    lender.act(lending.id, A.CHECK_IN)
    await lender.round()
    assert status(lender, lending.id) is S.REQUEST_FINISHED
    assert status(borrower, request.id) is S.REQUEST_FINISHED

    for library in (borrower, lender):
        outgoing = library.log(Direction.OUT)
        assert all(m.state is MessageState.SENT and m.attempts == 1 for m in outgoing)
        incoming = library.log(Direction.IN)
        assert all(m.state is MessageState.APPLIED and m.transaction_id for m in incoming)
    kinds = [m.kind for m in borrower.log(Direction.OUT)]
    assert kinds == [
        "request",
        "requesting:Received",
        "requesting:Renew",
        "requesting:ShippedReturn",
    ]
    kinds = [m.kind for m in lender.log(Direction.OUT)]
    assert kinds == ["supplying:Loaned", "supplying:Loaned", "supplying:LoanCompleted"]
    # What one side sent, the other logged (with the transaction it concerns).
    assert [m.kind for m in lender.log(Direction.IN)] == kinds_of(borrower)
    assert [m.kind for m in borrower.log(Direction.IN)] == kinds_of(lender)
    assert {m.transaction_id for m in lender.log(Direction.IN)} == {lending.id}


def kinds_of(library: Library) -> list[str]:
    return [m.kind for m in library.log(Direction.OUT)]


@pytest.mark.parametrize("version", ["1.2", "2021"])
def test_a_loan_goes_out_and_comes_back(tmp_path: Path, clock: Clock, version: str) -> None:
    locations = (str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite"))
    for pair in _pair(locations, clock, version):
        run(pair, lambda borrower, lender: loan_round_trip(borrower, lender, clock))
        for library in pair:
            versions = {parse_message(m.raw).version for m in library.log(Direction.OUT)}
            assert versions == {Version(version)}


def test_a_loan_on_postgresql(tmp_path: Path, clock: Clock, request: pytest.FixtureRequest) -> None:
    locations = (
        fresh_location("postgres", tmp_path, request),
        fresh_location("postgres", tmp_path, request),
    )
    for pair in _pair(locations, clock):
        run(pair, lambda borrower, lender: loan_round_trip(borrower, lender, clock))


def test_a_copy_is_shipped_and_received(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower, RequestType.COPY, "Sperm whale acoustics")
        await borrower.round()
        [lending] = lender.lending()
        assert lending.request_type is RequestType.COPY
        assert lending.citation.article_title == "Sperm whale acoustics"
        assert lending.citation.journal_title == "Journal of Whales"
        assert lending.status is S.AWAITING_LENDING_REQUEST_PROCESSING

        clock.tick()
        lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP)
        lender.act(lending.id, A.FILL, note="PDF sent to ill@a.example")
        await lender.round()
        [shipped] = lender.log(Direction.OUT)
        assert shipped.kind == "supplying:CopyCompleted"
        xml = etree.fromstring(shipped.raw)
        ns = {"ill": "http://illtransactions.org/2013/iso18626"}
        assert xml.findtext(".//ill:deliveryInfo/ill:itemId", namespaces=ns) == (
            f"{LENDER}:{lending.id}"
        )
        assert xml.find(".//ill:deliveryInfo/ill:dateSent", ns) is not None
        seen = borrower.store.get_transaction(request.id)
        assert seen.status is S.AWAITING_POST_RECEIPT_PROCESSING  # CopyCompleted: received
        assert seen.due_date is None
        assert "PDF sent to ill@a.example" in notes(borrower, request.id)
        assert status(lender, lending.id) is S.ITEM_SHIPPED

        clock.tick()
        await borrower.round()  # the Received the move queued
        assert status(borrower, request.id) is S.AWAITING_POST_RECEIPT_PROCESSING
        assert status(lender, lending.id) is S.REQUEST_FINISHED
        await lender.round()  # a finished copy sends nothing more
        assert kinds_of(lender) == ["supplying:CopyCompleted"]
        assert kinds_of(borrower) == ["request", "requesting:Received"]

    run(pair, scenario)


def test_cancel_is_answered_and_a_status_request_too(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [lending] = lender.lending()
        clock.tick()
        borrower.act(request.id, A.CANCEL)
        await borrower.round()
        assert status(lender, lending.id) is S.CANCELLED_BY_ILL_STAFF
        await lender.round()  # the CancelResponse the mapping asks for
        assert kinds_of(lender) == ["supplying:Cancelled"]
        assert status(borrower, request.id) is S.CANCELLED_BY_ILL_STAFF
        assert "cancelled the request" in notes(borrower, request.id)

    run(pair, scenario)


def test_the_lender_down_for_a_while(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        await asyncio.to_thread(lender.server.stop)
        request = borrow(borrower)
        report = await borrower.service.run_once()
        assert report.sent == 0 and report.failed == 1
        [waiting] = borrower.log(Direction.OUT)
        assert waiting.state is MessageState.QUEUED and waiting.attempts == 1
        assert "Could not reach" in waiting.last_error
        assert lender.lending() == []

        clock.tick(60)  # not due yet
        assert (await borrower.service.run_once()).sent == 0
        await asyncio.to_thread(lender.server.start)  # back, on the same port
        clock.tick(5 * 60)
        report = await borrower.service.run_once()
        assert report.sent == 1
        [sent] = borrower.log(Direction.OUT)
        assert sent.state is MessageState.SENT and sent.attempts == 2
        [lending] = lender.lending()
        assert lending.external_id == str(request.id)
        assert (await borrower.service.run_once()).sent == 0
        assert len(lender.lending()) == 1
        assert len(lender.log(Direction.IN)) == 1

    run(pair, scenario)


async def post(url: str, body: bytes, secret: str = SECRET) -> Any:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            url,
            content=body,
            headers={"Content-Type": "application/xml", "Authorization": f"Bearer {secret}"},
        )
    assert response.status_code == 200
    return parse_message(response.content).message


def test_the_same_message_twice_changes_nothing(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [lending] = lender.lending()
        lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP, A.FILL)
        await lender.round()
        clock.tick()
        borrower.act(request.id, A.MARK_RECEIVED)
        await borrower.round()
        before_lender = lender.store.get_transaction(lending.id)
        before_borrower = borrower.store.get_transaction(request.id)
        logged = len(lender.log()), len(borrower.log())

        # Every message sent so far, POSTed again: OK, and nothing moves.
        for message in borrower.log(Direction.OUT):
            confirmation = await post(lender.server.url, message.raw)
            assert confirmation.header.message_status is MessageStatus.OK
        for message in lender.log(Direction.OUT):
            confirmation = await post(borrower.server.url, message.raw)
            assert confirmation.header.message_status is MessageStatus.OK
        # ... also after a restart: a new app (new callbacks) over the same database.
        await asyncio.to_thread(lender.server.stop)
        lender.server.app = lender.app()
        await asyncio.to_thread(lender.server.start)
        for message in borrower.log(Direction.OUT):
            confirmation = await post(lender.server.url, message.raw)
            assert confirmation.header.message_status is MessageStatus.OK

        assert len(lender.lending()) == 1
        after = lender.store.get_transaction(lending.id)
        assert (after.status, len(after.history), len(after.notes)) == (
            before_lender.status,
            len(before_lender.history),
            len(before_lender.notes),
        )
        again = borrower.store.get_transaction(request.id)
        assert (again.status, len(again.history), len(again.notes)) == (
            before_borrower.status,
            len(before_borrower.history),
            len(before_borrower.notes),
        )
        assert (len(lender.log()), len(borrower.log())) == logged
        assert (await lender.service.run_once()).queued == 0

    run(pair, scenario)


def test_a_forged_message_from_an_unknown_agency_is_refused(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [genuine] = borrower.log(Direction.OUT)
        forged = genuine.raw.replace(BORROWER.encode(), b"US-EVIL")
        assert forged != genuine.raw
        confirmation = await post(lender.server.url, forged, secret="guess")
        assert confirmation.header.message_status is MessageStatus.ERROR
        [error] = confirmation.errors
        assert error.error_type.value == "UnrecognisedDataValue"
        assert "US-EVIL" in error.error_value
        # A known agency with the wrong secret is refused too.
        wrong = genuine.raw.replace(SECRET.encode(), b"not-the-secret")
        confirmation = await post(lender.server.url, wrong, secret="not-the-secret")
        assert confirmation.header.message_status is MessageStatus.ERROR
        assert len(lender.lending()) == 1
        refused = [m for m in lender.log(Direction.IN) if m.state is MessageState.REFUSED]
        assert [m.partner for m in refused] == ["US-EVIL", BORROWER]
        assert status(borrower, request.id) is S.REQUEST_SENT

    run(pair, scenario)
