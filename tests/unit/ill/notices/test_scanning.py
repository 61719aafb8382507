"""The scanner: status changes become notices, exactly once per change and template."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from shelfnet.ill.model import Patron, RequestType
from shelfnet.ill.notices.model import DEFAULT_TEMPLATES, NoticeState
from shelfnet.ill.notices.outbox import NO_ADDRESS, Outbox
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import HistoryRow, NoticeRow
from tests.unit.ill.conftest import Clock, NewStore
from tests.unit.ill.notices.conftest import SETTINGS, S, arrive, request


def count(store: IllStore) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(NoticeRow)) or 0


def test_prepare_adds_the_shipped_templates_once(outbox: Outbox) -> None:
    assert len(outbox.templates()) == len(DEFAULT_TEMPLATES)
    assert outbox.prepare() == 0
    assert len(outbox.templates()) == len(DEFAULT_TEMPLATES)


def test_an_arrived_loan_gives_one_notice_saying_the_book_has_arrived(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    made = arrive(store, request(store, patron))
    assert outbox.scan() == 1
    clock.tick(3600)
    assert outbox.scan() == 0
    [notice] = outbox.notices()
    assert notice.state is NoticeState.QUEUED
    assert notice.recipient == "ann@example.edu"
    assert notice.subject == "Your book has arrived: Moby-Dick"
    assert "Dear Ann," in notice.body
    assert "the front desk" in notice.body
    assert f"https://ill.springfield.example/ill/requests/{made.id}" in notice.body
    assert notice.transaction_id == made.id


def test_an_arrived_copy_gets_the_article_template(
    store: IllStore, outbox: Outbox, patron: Patron
) -> None:
    arrive(store, request(store, patron, RequestType.COPY))
    outbox.scan()
    [notice] = outbox.notices()
    assert notice.subject == "Your article is ready: A finding"


def test_a_cancellation_gives_the_reason_from_the_note(
    store: IllStore, outbox: Outbox, patron: Patron
) -> None:
    made = request(store, patron)
    store.change_status(made.id, S.CANCELLED_BY_ILL_STAFF, "staff", note="Not owned anywhere")
    outbox.scan()
    [notice] = outbox.notices()
    assert "Reason: Not owned anywhere" in notice.body


def test_history_from_before_the_outbox_gives_no_notices(
    store: IllStore, patron: Patron, clock: Clock
) -> None:
    arrive(store, request(store, patron))
    late = Outbox(store, SETTINGS, clock=clock)
    late.prepare()
    assert late.scan() == 0


def test_a_patron_without_e_mail_is_recorded_as_skipped(store: IllStore, outbox: Outbox) -> None:
    nobody = store.create_patron(Patron("noemail", "No", "Mail"))
    arrive(store, request(store, nobody))
    outbox.scan()
    [notice] = outbox.notices()
    assert notice.state is NoticeState.SKIPPED
    assert notice.last_error == NO_ADDRESS


def test_an_inactive_template_gives_no_notice(
    store: IllStore, outbox: Outbox, patron: Patron
) -> None:
    template = next(
        t for t in outbox.templates()
        if t.event == S.CUSTOMER_NOTIFIED_VIA_EMAIL.value and t.request_type is RequestType.LOAN
    )  # fmt: skip
    outbox.save_template(template.id, template.subject, template.body, active=False, by="x")
    arrive(store, request(store, patron))
    assert outbox.scan() == 0


def test_the_cursor_moves_only_past_settled_history(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    start = outbox.position()
    arrive(store, request(store, patron))
    outbox.scan()
    assert outbox.position() == start
    clock.tick(301)
    outbox.scan()
    assert outbox.position() == start + 4  # created, sent, received, notified


def test_two_scanners_at_once_make_no_duplicates(
    new_store: NewStore, clock: Clock, patron: Patron, store: IllStore
) -> None:
    Outbox(store, SETTINGS, clock=clock).prepare()
    for _ in range(12):
        arrive(store, request(store, patron))
    # Unsettled history: every scanner reads every line again, all at once.
    scanners = [Outbox(new_store(), SETTINGS, clock=clock) for _ in range(4)]
    errors: list[BaseException] = []

    def scan(outbox: Outbox) -> None:
        try:
            for _ in range(3):
                outbox.scan(limit=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=(s,)) for s in scanners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(store) == 12
    with store.engine.connect() as connection:
        keys = connection.execute(select(NoticeRow.history_id, NoticeRow.template_id)).all()
    assert len(set(keys)) == 12


# PostgreSQL only: SQLite has one writer at a time, so its history ids commit in order.
@pytest.mark.parametrize("location", ["postgres"], indirect=True)
def test_a_change_committed_after_a_later_one_is_still_noticed(
    store: IllStore, outbox: Outbox, patron: Patron, clock: Clock
) -> None:
    assert store.engine.dialect.name == "postgresql"
    slow = request(store, patron)
    for status in (S.REQUEST_SENT, S.AWAITING_POST_RECEIPT_PROCESSING):
        store.change_status(slow.id, status, "staff")
    quick = request(store, patron)
    clock.tick(600)
    with store.engine.connect() as connection:
        transaction = connection.begin()
        # The slow change takes its history id first...
        connection.execute(
            insert(HistoryRow).values(
                transaction_id=slow.id,
                at=clock.now,
                by="staff",
                from_process="borrowing",
                from_status=S.AWAITING_POST_RECEIPT_PROCESSING.value,
                to_process="borrowing",
                to_status=S.CUSTOMER_NOTIFIED_VIA_EMAIL.value,
                note="",
            )
        )
        # ...the quick one commits a later id, and the scanner sees it.
        arrive(store, quick)
        assert outbox.scan() == 1
        clock.tick(60)
        outbox.scan()
        transaction.commit()
    assert outbox.scan() == 1
    assert {n.transaction_id for n in outbox.notices()} == {slow.id, quick.id}
    clock.tick(timedelta(minutes=10).total_seconds())
    assert outbox.scan() == 0
