"""Notices over the ILL store fixtures (``tests/unit/ill/conftest.py``: SQLite and
PostgreSQL, a settable clock).

outbox      an ``Outbox`` over the store, prepared (shipped templates, cursor at the end)
patron      a patron with an e-mail address
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from shelfnet.config import NoticeSettings
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Patron,
    ProcessType,
    RequestType,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.notices.outbox import Outbox
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from tests.unit.ill.conftest import Clock

SETTINGS = NoticeSettings(
    library_name="Springfield Library",
    base_url="https://ill.springfield.example/",
    pickup_location="the front desk",
)

S = Status


@pytest.fixture
def outbox(store: IllStore, clock: Clock) -> Outbox:
    made = Outbox(store, SETTINGS, clock=clock)
    made.prepare()
    return made


@pytest.fixture
def patron(store: IllStore) -> Patron:
    return store.create_patron(Patron("ann", "Ann", "Reader", "ann@example.edu"))


def request(
    store: IllStore, patron: Patron, request_type: RequestType = RequestType.LOAN, **kw: object
) -> Transaction:
    if request_type is RequestType.COPY:
        draft = TransactionDraft(
            ProcessType.BORROWING,
            RequestType.COPY,
            DocumentType.ARTICLE,
            Citation(journal_title="Nature", article_title="A finding", year="2023"),
            patron_id=patron.id,
        )
    else:
        draft = TransactionDraft(
            ProcessType.BORROWING,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title="Moby-Dick"),
            patron_id=patron.id,
        )
    return store.create_transaction(replace(draft, **kw), "staff")  # type: ignore[arg-type]


def arrive(store: IllStore, transaction: Transaction) -> Transaction:
    """Send, receive and notify: into "Customer Notified via E-Mail"."""
    for status in (S.REQUEST_SENT, S.AWAITING_POST_RECEIPT_PROCESSING):
        store.change_status(transaction.id, status, "staff")
    return store.change_status(transaction.id, S.CUSTOMER_NOTIFIED_VIA_EMAIL, "staff")


def check_out(store: IllStore, transaction: Transaction, due: date) -> Transaction:
    arrived = arrive(store, transaction)
    store.update_transaction(replace(arrived, due_date=due), "staff")
    return store.change_status(transaction.id, S.CHECKED_OUT_TO_CUSTOMER, "staff")
