"""The staff queue pages: counts per queue, the queue lists and search."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status

B = ProcessType.BORROWING


def _count(html: str, queue: str) -> int:
    row = re.search(rf'data-queue="{queue}">.*?<td class="count">(\d+)</td>', html, re.S)
    assert row, queue
    return int(row[1])


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-number="(\d+)">', html)]


def _add_books(store: IllStore, count: int, title: str = "Book") -> list[int]:
    return [
        store.create_transaction(
            TransactionDraft(
                ProcessType.LENDING,
                RequestType.LOAN,
                DocumentType.BOOK,
                Citation(title=f"{title} {n}"),
                partner="US-MH",
            ),
            by="admin",
        ).id
        for n in range(count)
    ]


def test_staff_pages_need_a_staff_sign_in(client: TestClient, patron_client: TestClient) -> None:
    for page in ("/staff/", "/staff/queue/borrowing/request_sent", "/staff/transactions/1"):
        answer = client.get(page)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/signin?next=")
        assert patron_client.get(page).status_code == 303


def test_the_queues_page_counts_every_queue(staff_client: TestClient, ill_store: IllStore) -> None:
    html = staff_client.get("/staff/").text
    counts = ill_store.queue_counts()
    for (process, status), count in counts.items():
        assert _count(html, f"{process.value}/{status.value}") == count
    assert (
        _count(html, "lending/item_shipped") == counts[(ProcessType.LENDING, Status.ITEM_SHIPPED)]
    )
    assert _count(html, "borrowing/awaiting_return_processing") == 0
    for heading in ("Borrowing", "Lending", "Document delivery"):
        assert f"<h2>{heading}</h2>" in html
    assert 'href="/staff/queue/borrowing/request_sent">Request Sent</a>' in html


def test_the_queue_counts_come_from_one_query(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    calls = []
    original = ill_store.queue_counts

    def counting() -> dict[tuple[ProcessType, Status], int]:
        calls.append(1)
        return original()

    ill_store.queue_counts = counting  # type: ignore[method-assign]
    staff_client.get("/staff/")
    assert len(calls) == 1


def test_a_queue_lists_its_requests_oldest_first(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    html = staff_client.get("/staff/queue/borrowing/request_sent").text
    expected = [item.id for item in ill_store.queue(Status.REQUEST_SENT, B)]
    assert _numbers(html) == expected
    assert "The Making of the English Working Class" in html
    assert "Thompson, E. P." in html


def test_a_long_queue_is_paginated_fifty_a_page(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    waiting = [item.id for item in ill_store.queue(Status.AWAITING_LENDING_REQUEST_PROCESSING)]
    added = _add_books(ill_store, 60)
    everything = waiting + added
    queue = "/staff/queue/lending/awaiting_lending_request_processing"
    first = staff_client.get(queue)
    assert _numbers(first.text) == everything[:50]
    assert "page 1 of 2" in first.text
    assert 'rel="next" href="?page=2"' in first.text
    second = staff_client.get(f"{queue}?page=2")
    assert _numbers(second.text) == everything[50:]
    assert 'rel="prev" href="?page=1"' in second.text
    assert _numbers(staff_client.get(f"{queue}?page=9").text) == []
    assert staff_client.get(f"{queue}?page=0").status_code == 400


def test_an_unknown_queue_is_not_found(staff_client: TestClient) -> None:
    assert staff_client.get("/staff/queue/borrowing/no_such_status").status_code == 404
    assert staff_client.get("/staff/queue/lending/request_sent").status_code == 404


def test_a_queue_shows_who_has_a_request_open(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    number = ill_store.queue(Status.REQUEST_SENT, B)[0].id
    ill_store.take_lock(number, "someone")
    html = staff_client.get("/staff/queue/borrowing/request_sent").text
    row = re.search(rf'<tr data-number="{number}">.*?</tr>', html, re.S)
    assert row and '<td class="lock">someone</td>' in row[0]


def test_search_finds_by_number_title_and_patron(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    by_title = staff_client.get("/staff/search", params={"q": "middlemarch"}).text
    assert "Middlemarch" in by_title and len(_numbers(by_title)) == 1
    number = _numbers(by_title)[0]
    by_number = staff_client.get("/staff/search", params={"q": str(number)}).text
    assert number in _numbers(by_number)
    by_patron = staff_client.get("/staff/search", params={"q": "asmith"}).text
    patron = ill_store.find_patron("asmith")
    assert patron is not None
    mine = [item.id for item in ill_store.search(patron=patron.username)]
    assert sorted(_numbers(by_patron)) == sorted(mine) and mine
    by_name = staff_client.get("/staff/search", params={"q": "Okafor"}).text
    assert "Nursing in rural Ohio" in by_name
    nothing = staff_client.get("/staff/search", params={"q": "zzzz"}).text
    assert "No request matches “zzzz”." in nothing


def test_titles_are_shown_as_text(staff_client: TestClient, ill_store: IllStore) -> None:
    _add_books(ill_store, 1, title="<script>alert(1)</script>")
    html = staff_client.get("/staff/queue/lending/awaiting_lending_request_processing").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    found = staff_client.get("/staff/search", params={"q": "<script>"}).text
    assert "<script>alert" not in found and "&lt;script&gt;" in found
