"""Reading batch files and keeping the batch journal (``shelfnet.search.batch``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from shelfnet.marc.export import ExportFormat
from shelfnet.query.rpn import Term
from shelfnet.search.batch import REPORT_COLUMNS, Journal, LineKind, classify, read_lines


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("0-86369-318-0", LineKind.ISBN, "0863693180"),
        ("978-0-306-40615-7", LineKind.ISBN, "9780306406157"),
        ("5020165362", LineKind.ISBN, "5020165362"),  # wrong check digit: still an ISBN
        ("089898551X", LineKind.ISBN, "089898551x"),
        ("0012-5768", LineKind.ISSN, "00125768"),
        ("85-153773", LineKind.LCCN, "85153773"),
        ("sn 85-1234", LineKind.LCCN, "sn85001234"),
        ("2001012345 ", LineKind.ISBN, "2001012345"),
        ("Kind of blue", LineKind.TITLE, "Kind of blue"),
    ],
)
def test_lines_are_told_apart(text: str, kind: LineKind, key: str) -> None:
    line = classify(7, text)
    assert line is not None and (line.kind, line.key, line.number) == (kind, key, 7)


def test_blank_lines_and_comments_are_skipped() -> None:
    assert classify(1, "   ") is None and classify(2, "# a comment") is None


def test_queries_per_kind() -> None:
    isbn = classify(1, "0863693180")
    title = classify(2, 'The "best" of')
    assert isbn is not None and title is not None
    assert isbn.query().text == '@attr 1=7 "0863693180"'
    term = title.query().rpn().root
    assert isinstance(term, Term) and term.term == 'The "best" of'
    assert {(a.type, a.value) for a in term.attributes} == {(1, 4), (4, 6)}


def test_csv_files_use_their_named_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("title,isbn\nKind of blue,0863693180\nNo number,\n", encoding="utf-8")
    lines = read_lines(path)
    assert [(line.number, line.kind, line.key) for line in lines] == [
        (2, LineKind.ISBN, "0863693180")
    ]


def test_the_journal_cuts_what_a_killed_run_left_half_written(tmp_path: Path) -> None:
    marc, report = tmp_path / "out.mrc", tmp_path / "report.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    writer.writerow([3, "x", "isbn", "found", "T", "10", "t", 1, 5, ""])
    report.write_text(buffer.getvalue() + "4,half a ro", encoding="utf-8")
    marc.write_bytes(b"12345" + b"record of line 4, never reported")
    journal = Journal(marc, report, ExportFormat.MARC_UTF8)
    journal.close()
    assert journal.done == {3}
    assert marc.read_bytes() == b"12345"
    assert report.read_bytes().endswith(b",5,\r\n")
