"""Two shelfnet libraries lending to each other over ISO ILL, in one test process.

Each library has its own ILL store (SQLite files in a temporary folder; the loan also on
PostgreSQL), its own ISO ILL listener on a free loopback port with the messaging inbox, and
its own MessagingService; each one's partner table points at the other. Staff work is done
with ``IllStore.apply_action``, as the staff pages do it; a messaging round stands for the
service's timer. US-A borrows, US-B lends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from shelfnet.ill.messaging.isoill import decode, encode
from shelfnet.ill.messaging.model import Direction, MessageState
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
from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill.lending import store_requests
from shelfnet.ill.protocols.isoill.server import IsoIllServer, start_server
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Action, Status
from tests.unit.ill.conftest import Clock, fresh_location

S = Status
A = Action
BORROWER, LENDER = "US-A", "US-B"


@dataclass
class Library:
    symbol: str
    store: IllStore
    service: MessagingService
    listener: IsoIllServer | None = None
    port: int = 0

    async def listen(self) -> None:
        self.listener = await start_server(
            store_requests(self.store),
            "127.0.0.1",
            self.port,
            our_id=a.SystemId(self.symbol),
            inbox=self.service.inbox,
        )
        self.port = self.listener.addresses[0][1]

    async def stop_listening(self) -> None:
        assert self.listener is not None
        await self.listener.close()
        self.listener = None

    async def round(self) -> None:
        await self.service.run_once()

    def act(self, number: int, *actions: Action, note: str | None = None) -> Transaction:
        transaction = self.store.get_transaction(number)
        for action in actions:
            transaction = self.store.apply_action(number, action, "staff", note=note)
        return transaction

    def lending(self) -> list[Transaction]:
        """Every lending transaction, oldest first."""
        found = []
        for status in Status:
            if ProcessType.LENDING in status.process_types:
                found += self.store.queue(status, ProcessType.LENDING, limit=1000)
        return [self.store.get_transaction(item.id) for item in sorted(found, key=_number)]


Pair = tuple[Library, Library]


def _number(item: QueueItem) -> int:
    return item.id


def _library(symbol: str, location: str, clock: Clock) -> Library:
    store = open_ill_store(location, clock=clock)
    settings = MessagingSettings(symbol=symbol, ack_timeout=5.0, timeout=5.0)
    return Library(symbol, store, MessagingService(store, settings, clock=clock))


def _pair(locations: tuple[str, str], clock: Clock) -> Iterator[Pair]:
    borrower = _library(BORROWER, locations[0], clock)
    lender = _library(LENDER, locations[1], clock)
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
                protocol=PartnerProtocol.ISOILL,
                endpoint=f"127.0.0.1:{other.port}",
            )
        )


def run(pair: Pair, scenario: Callable[[Library, Library], Awaitable[None]]) -> None:
    async def main() -> None:
        borrower, lender = pair
        await borrower.listen()
        await lender.listen()
        _introduce(borrower, lender)
        borrower.service.prepare()
        lender.service.prepare()
        try:
            await scenario(borrower, lender)
        finally:
            for library in pair:
                if library.listener is not None:
                    await library.stop_listening()

    asyncio.run(main())


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


async def loan_round_trip(borrower: Library, lender: Library, clock: Clock) -> None:
    request = borrow(borrower)
    assert request.status is S.REQUEST_SENT and request.partner == LENDER
    await borrower.round()

    [lending] = lender.lending()
    assert lending.status is S.AWAITING_LENDING_REQUEST_PROCESSING
    assert lending.partner == BORROWER
    assert lending.external_id == str(request.id)
    assert lending.citation.title == "Moby-Dick"
    assert lending.request_type is RequestType.LOAN

    clock.tick()
    lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP, A.FILL)
    await lender.round()
    shipped = lender.store.get_transaction(lending.id)
    assert shipped.status is S.ITEM_SHIPPED and shipped.due_date is not None
    seen = borrower.store.get_transaction(request.id)
    assert seen.status is S.REQUEST_SENT
    assert seen.due_date == shipped.due_date
    assert any("shipped" in note.text for note in seen.notes)

    clock.tick()
    borrower.act(request.id, A.MARK_RECEIVED, A.NOTIFY_CUSTOMER, A.CHECK_OUT)
    await borrower.round()
    assert status(borrower, request.id) is S.CHECKED_OUT_TO_CUSTOMER
    assert status(lender, lending.id) is S.ITEM_SHIPPED
    assert any("received the item" in n.text for n in lender.store.notes(lending.id))

    clock.tick()
    borrower.act(request.id, A.REQUEST_RENEWAL)
    await borrower.round()
    assert status(lender, lending.id) is S.AWAITING_LENDING_RENEWAL_PROCESSING
    lender.act(lending.id, A.RENEW)
    await lender.round()
    renewed = lender.store.get_transaction(lending.id)
    assert shipped.due_date is not None and renewed.due_date is not None
    assert renewed.due_date > shipped.due_date
    seen = borrower.store.get_transaction(request.id)
    assert seen.status is S.CHECKED_OUT_TO_CUSTOMER
    assert seen.due_date == renewed.due_date

    clock.tick()
    borrower.act(request.id, A.CHECK_IN, A.RETURN_TO_LENDER)
    await borrower.round()
    assert status(borrower, request.id) is S.AWAITING_RETURN_LABEL_PRINTING
    assert status(lender, lending.id) is S.ITEM_SHIPPED
    assert any("check it in" in n.text for n in lender.store.notes(lending.id))

    clock.tick()
    lender.act(lending.id, A.CHECK_IN)
    await lender.round()
    assert status(lender, lending.id) is S.REQUEST_FINISHED
    assert status(borrower, request.id) is S.REQUEST_FINISHED

    for library in (borrower, lender):
        messages = library.service.outbox.messages()
        outgoing = [m for m in messages if m.direction is Direction.OUT]
        assert all(m.state is MessageState.SENT for m in outgoing)
    kinds = [m.kind for m in borrower.service.outbox.messages(direction=Direction.OUT)]
    assert kinds == ["ill-Request", "received", "renew", "returned"]
    kinds = [m.kind for m in lender.service.outbox.messages(direction=Direction.OUT)]
    assert kinds == ["shipped", "renew-Answer", "checked-In"]


def test_a_loan_goes_out_and_comes_back(pair: Pair, clock: Clock) -> None:
    run(pair, lambda borrower, lender: loan_round_trip(borrower, lender, clock))


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

        clock.tick()
        lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP)
        lender.act(lending.id, A.FILL, note="PDF sent to ill@a.example")
        await lender.round()
        seen = borrower.store.get_transaction(request.id)
        assert seen.status is S.REQUEST_SENT
        assert seen.due_date is None
        assert any("PDF sent to ill@a.example" in n.text for n in seen.notes)

        clock.tick()
        borrower.act(request.id, A.MARK_RECEIVED)
        await borrower.round()
        assert status(borrower, request.id) is S.AWAITING_POST_RECEIPT_PROCESSING
        assert status(lender, lending.id) is S.REQUEST_FINISHED
        # A finished copy sends no Checked-In.
        await lender.round()
        kinds = [m.kind for m in lender.service.outbox.messages(direction=Direction.OUT)]
        assert kinds == ["shipped"]

    run(pair, scenario)


def test_unfilled_goes_to_the_borrowers_unfilled_queue(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [lending] = lender.lending()
        clock.tick()
        lender.act(lending.id, A.CANNOT_FILL, note="Missing from the shelf")
        await lender.round()
        seen = borrower.store.get_transaction(request.id)
        assert seen.status is S.AWAITING_UNFILLED_PROCESSING
        assert "Missing from the shelf" in seen.history[-1].note

    run(pair, scenario)


def test_a_cancel_before_shipping_is_answered(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [lending] = lender.lending()
        clock.tick()
        borrower.act(request.id, A.CANCEL)
        await borrower.round()
        assert status(lender, lending.id) is S.CANCELLED_BY_ILL_STAFF
        await lender.round()
        kinds = [m.kind for m in lender.service.outbox.messages(direction=Direction.OUT)]
        assert kinds == ["cancel-Reply"]
        [reply] = borrower.service.outbox.messages(direction=Direction.IN)
        assert reply.kind == "cancel-Reply" and reply.state is MessageState.APPLIED
        assert status(borrower, request.id) is S.CANCELLED_BY_ILL_STAFF

    run(pair, scenario)


def test_messages_wait_while_the_lender_is_down(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        await lender.stop_listening()
        request = borrow(borrower)
        await borrower.round()
        [waiting] = borrower.service.outbox.messages(direction=Direction.OUT)
        assert waiting.state is MessageState.QUEUED and waiting.attempts == 1
        assert waiting.next_attempt == clock.now + timedelta(minutes=5)
        assert "cannot reach" in waiting.last_error
        assert lender.lending() == []

        await lender.listen()  # back, on the same port
        await borrower.round()  # not due yet
        assert borrower.service.outbox.get_message(waiting.id).attempts == 1
        clock.tick(5 * 60)
        await borrower.round()
        sent = borrower.service.outbox.get_message(waiting.id)
        assert sent.state is MessageState.SENT and sent.attempts == 2
        await borrower.round()
        [lending] = lender.lending()
        assert lending.external_id == str(request.id)

    run(pair, scenario)


def test_a_partner_down_for_an_hour_fails_and_staff_resend(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        await lender.stop_listening()
        borrow(borrower)
        for minutes in (0, 5, 10, 25):
            clock.tick(minutes * 60)
            await borrower.round()
        [failed] = borrower.service.outbox.messages(direction=Direction.OUT)
        assert failed.state is MessageState.FAILED and failed.attempts == 4
        assert failed.state.display == "sending failed"

        await lender.listen()
        assert borrower.service.resend(failed.id)
        await borrower.round()
        assert borrower.service.outbox.get_message(failed.id).state is MessageState.SENT
        assert len(lender.lending()) == 1

    run(pair, scenario)


async def _send_raw(port: int, raw: bytes) -> a.Apdu:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 5)
        return decode(data)
    finally:
        writer.close()


def test_the_same_apdu_twice_changes_nothing_twice(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        request = borrow(borrower)
        await borrower.round()
        [sent] = borrower.service.outbox.messages(direction=Direction.OUT)
        answer = await _send_raw(lender.port, sent.raw)
        assert isinstance(answer, a.StatusOrErrorReport) and answer.error_report is None
        assert answer.note == "already received"
        assert len(lender.lending()) == 1

        [lending] = lender.lending()
        clock.tick()
        lender.act(lending.id, A.SEARCH_STACKS, A.PRINT_PULL_SLIP, A.FILL)
        await lender.round()
        [shipped] = lender.service.outbox.messages(direction=Direction.OUT)
        before = borrower.store.get_transaction(request.id)
        answer = await _send_raw(borrower.port, shipped.raw)
        assert isinstance(answer, a.StatusOrErrorReport) and answer.error_report is None
        after = borrower.store.get_transaction(request.id)
        assert after.version == before.version and after.notes == before.notes
        incoming = borrower.service.outbox.messages(direction=Direction.IN)
        assert [m.kind for m in incoming] == ["shipped"]

    run(pair, scenario)


def test_a_request_from_an_unknown_agency_is_refused(pair: Pair, clock: Clock) -> None:
    async def scenario(borrower: Library, lender: Library) -> None:
        forged = a.IllRequest(
            transaction_id=a.TransactionId(
                initial_requester=a.SystemId("XX-EVIL"), qualifier="666"
            ),
            service_date_time=a.ServiceDateTime("20240501", "120000"),
            requester_id=a.SystemId("XX-EVIL"),
            responder_id=a.SystemId(LENDER),
            item_id=a.ItemId(title="Necronomicon"),
        )
        answer = await _send_raw(lender.port, encode(forged))
        assert isinstance(answer, a.StatusOrErrorReport)
        assert answer.error_report is not None
        assert answer.error_report.user_error is not None
        assert answer.error_report.user_error[0] == "security-problem"
        assert lender.lending() == []
        [refused] = lender.service.outbox.messages(direction=Direction.IN)
        assert refused.state is MessageState.REFUSED and refused.partner == "XX-EVIL"

    run(pair, scenario)
