"""The staff reports: each page, its date range and its CSV download."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.reports import REPORTS, Table, csv_cell, to_csv
from shelfnet.ill.store import IllStore


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_has_a_page_and_a_csv(staff_client: TestClient, name: str) -> None:
    page = staff_client.get(f"/staff/reports/{name}")
    assert page.status_code == 200
    assert f"<h1>{REPORTS[name].title}</h1>" in page.text
    download = staff_client.get(f"/staff/reports/{name}.csv", params={"since": "2000-01-01"})
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="shelfnet-{name}-2000-01-01-today.csv"'
    )
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] and all(rows[0])


def test_the_report_index_links_every_report(staff_client: TestClient) -> None:
    html = staff_client.get("/staff/reports", params={"since": "2024-01-01"}).text
    for name in REPORTS:
        assert f'href="/staff/reports/{name}.csv?since=2024-01-01&amp;until="' in html


def test_requests_by_status_counts_the_sample(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    rows = list(csv.reader(io.StringIO(staff_client.get("/staff/reports/by-status.csv").text)))
    assert rows[0] == ["process", "status", "requests"]
    assert ["lending", "Item Shipped", "1"] in rows
    assert sum(int(row[2]) for row in rows[1:]) == len(ill_store.search(limit=1000))


def test_turnaround_is_split_by_loans_and_articles(staff_client: TestClient) -> None:
    rows = list(csv.reader(io.StringIO(staff_client.get("/staff/reports/turnaround.csv").text)))
    kinds = {(row[0], row[1]) for row in rows[1:]}
    assert ("borrowing", "loans") in kinds and ("borrowing", "articles (copies)") in kinds


def test_fill_rate_and_lending(staff_client: TestClient) -> None:
    fill = list(csv.reader(io.StringIO(staff_client.get("/staff/reports/fill-rate.csv").text)))
    assert [row[0] for row in fill[1:]] == ["borrowing", "lending", "document delivery"]
    lending = staff_client.get("/staff/reports/lending").text
    for symbol in ("US-MH", "US-CST", "US-NIC", "GB-UkOxU"):
        assert f"<td>{symbol}</td>" in lending


def test_a_period_before_any_request_is_empty(staff_client: TestClient) -> None:
    html = staff_client.get(
        "/staff/reports/by-status", params={"since": "1990-01-01", "until": "1990-12-31"}
    ).text
    assert "Nothing in this period." in html
    copyright_rows = staff_client.get(
        "/staff/reports/copyright.csv", params={"since": "1990-01-01", "until": "1990-12-31"}
    ).text
    assert copyright_rows.count("\r\n") == 1, "the headings only"


def test_the_copyright_report_lists_journals(staff_client: TestClient) -> None:
    html = staff_client.get("/staff/reports/copyright").text
    assert "Journal of Organic Chemistry" in html and "issn:0022-3263" in html


def test_wrong_dates_are_marked_and_kept(staff_client: TestClient) -> None:
    answer = staff_client.get(
        "/staff/reports/fill-rate", params={"since": "yesterday", "until": ""}
    )
    assert answer.status_code == 400
    assert "Give a date as YYYY-MM-DD." in answer.text and 'value="yesterday"' in answer.text
    backwards = staff_client.get(
        "/staff/reports/fill-rate", params={"since": "2024-02-01", "until": "2024-01-01"}
    )
    assert backwards.status_code == 400 and "The end comes before the start." in backwards.text
    assert (
        staff_client.get("/staff/reports/fill-rate.csv", params={"since": "x"}).status_code == 400
    )
    assert staff_client.get("/staff/reports/nothing").status_code == 404
    assert staff_client.get("/staff/reports/nothing.csv").status_code == 404


def test_csv_cells_cannot_start_a_formula(staff_client: TestClient, ill_store: IllStore) -> None:
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "ok")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok",
    ]  # fmt: skip
    table = Table("t", ("a",), (('=HYPERLINK("x")',),))
    assert to_csv(table) == 'a\r\n"\'=HYPERLINK(""x"")"\r\n'
    ill_store.create_transaction(
        TransactionDraft(
            ProcessType.LENDING, RequestType.LOAN, DocumentType.BOOK, Citation(title="x"),
            partner="=cmd|'/c calc'!A1",
        ),
        by="admin",
    )  # fmt: skip
    text = staff_client.get("/staff/reports/lending.csv").text
    assert "\n'=cmd|'/c calc'!A1," in text
