"""A believable ILL database of any size, written straight into the tables, for load tests.

Each transaction walks the workflow's own transition table from its process's first status
for a random number of steps (seeded), so statuses are spread over the queues the way real
work spreads them (many finished, fewer waiting), and every history is a valid chain. Rows
go in with multi-row INSERTs in chunks: 100,000 transactions take seconds, not the hours
that one ``create_transaction`` each would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from shelfnet.ill.model import (
    DocumentType,
    Partner,
    Patron,
    PatronStatus,
    ProcessType,
    RequestType,
    StaffRole,
    StaffUser,
)
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import HistoryRow, TransactionRow
from shelfnet.ill.workflow import CANCELLED, INITIAL, TRANSITIONS, Status

SEED = 2026
CHUNK = 2_000
STAFF = "bench"
JOURNALS = [f"Journal of Studies {n}" for n in range(400)]
WORDS = [
    "jazz",
    "modal",
    "harmony",
    "library",
    "open",
    "access",
    "cataloguing",
    "metadata",
    "theory",
    "practice",
]

_PROCESSES = [(ProcessType.BORROWING, 0.6), (ProcessType.LENDING, 0.3)]
_PROCESSES.append((ProcessType.DOCUMENT_DELIVERY, 0.1))


def fill(store: IllStore, count: int, *, patrons: int = 2_000, seed: int = SEED) -> list[int]:
    """Add ``count`` transactions (and their patrons, partners, staff user); returns the
    patrons' ids."""
    random.seed(seed)
    store.create_staff(StaffUser(STAFF, "Benchmark", "", StaffRole.ADMIN))
    for number in range(30):
        store.create_partner(Partner(f"BENCH{number:02d}", f"Partner library {number}"))
    patron_ids = _patrons(store, patrons)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with store.engine.begin() as connection:
        first = connection.scalar(select(TransactionRow.id).order_by(TransactionRow.id.desc()))
        next_id = (first or 0) + 1
        for chunk in _chunks(range(next_id, next_id + count), CHUNK):
            rows, history = zip(*(_transaction(n, start, patron_ids) for n in chunk), strict=True)
            connection.execute(insert(TransactionRow), list(rows))
            connection.execute(insert(HistoryRow), [line for lines in history for line in lines])
        if connection.dialect.name == "postgresql":
            # Rows written with explicit ids leave the sequences behind.
            for table in ("ill_transactions", "ill_history"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            connection.execute(text("ANALYZE"))
    return patron_ids


def _patrons(store: IllStore, count: int) -> list[int]:
    statuses = list(PatronStatus)
    return [
        store.create_patron(
            Patron(
                f"patron{n:05d}",
                f"First{n}",
                f"Last{n}",
                f"patron{n}@example.edu",
                status=random.choice(statuses),
            )
        ).id
        for n in range(count)
    ]


def _chunks(numbers: range, size: int) -> Iterator[range]:
    for start in range(0, len(numbers), size):
        yield numbers[start : start + size]


def _walk(process: ProcessType) -> list[tuple[ProcessType, Status]]:
    place = (process, INITIAL[process])
    path = [place]
    for _ in range(random.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12])):
        moves = sorted(TRANSITIONS.get(place, ()), key=lambda p: (p[0].value, p[1].value))
        if random.random() > 0.05:  # few requests are cancelled
            moves = [move for move in moves if move[1] not in CANCELLED] or moves
        if not moves:
            break
        place = random.choice(moves)
        path.append(place)
    return path


def _transaction(
    number: int, start: datetime, patron_ids: list[int]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    process = random.choices([p for p, _ in _PROCESSES], [w for _, w in _PROCESSES])[0]
    copy = random.random() < 0.55
    created = start + timedelta(minutes=random.randrange(0, 2 * 365 * 24 * 60))
    path = _walk(process)
    at = created
    history = []
    for index, (to_process, to_status) in enumerate(path):
        previous = path[index - 1] if index else None
        history.append(
            {
                "id": number * 16 + index,
                "transaction_id": number,
                "at": at,
                "by": STAFF,
                "from_process": previous[0].value if previous else None,
                "from_status": previous[1].value if previous else None,
                "to_process": to_process.value,
                "to_status": to_status.value,
                "note": "",
            }
        )
        at += timedelta(hours=random.randrange(1, 96))
    title = " ".join(random.sample(WORDS, 3)).title()
    journal = random.choice(JOURNALS) if copy else ""
    row: dict[str, Any] = {
        "id": number,
        "process_type": path[-1][0].value,
        "request_type": (RequestType.COPY if copy else RequestType.LOAN).value,
        "document_type": (DocumentType.ARTICLE if copy else DocumentType.BOOK).value,
        "status": path[-1][1].value,
        "patron_id": None if process is ProcessType.LENDING else random.choice(patron_ids),
        "title": "" if copy else title,
        "author": f"Author {number % 997}",
        "journal_title": journal,
        "article_title": title if copy else "",
        "year": str(random.randrange(1950, 2025)),
        "copyright_compliance": "ccg" if copy else "none",
        "journal_key": journal.lower(),
        "lender_string": "BENCH01,BENCH02,BENCH03" if process is ProcessType.BORROWING else "",
        "partner": f"BENCH{random.randrange(30):02d}"
        if process is not ProcessType.DOCUMENT_DELIVERY
        else None,
        "external_id": "",
        "system_id": "web",
        "copyright_cleared": False,
        "accept_alternate_edition": True,
        "created": created,
        "updated": at,
        "version": len(path),
    }
    for name in ("article_author", "volume", "issue", "month", "pages", "edition", "publisher",
                 "place", "isbn", "issn", "oclc_number", "lccn", "doi", "pmid", "call_number",
                 "cited_in"):  # fmt: skip
        row[name] = ""
    return row, history
