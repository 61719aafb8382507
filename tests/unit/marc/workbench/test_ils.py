"""Sending batches to the ILS: an atomic folder drop, and shelfnet's own catalogue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pymarc import MARCReader, Record

from shelfnet.catalog.search import run_search
from shelfnet.catalog.store import open_store
from shelfnet.marc import ils
from shelfnet.query.pqf import parse_pqf


def test_folder_drop_writes_whole_file_under_final_name(tmp_path: Path, jazz: list[Record]) -> None:
    path = ils.drop_in_folder(jazz[:5], tmp_path)
    assert path.parent == tmp_path and path.suffix == ".mrc"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with path.open("rb") as stream:
        titles = [r["245"]["a"] for r in MARCReader(stream, to_unicode=True, force_utf8=True)]
    assert titles == [r["245"]["a"] for r in jazz[:5]]


def test_folder_drop_never_shows_a_partial_file(
    tmp_path: Path, jazz: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    real_replace = os.replace

    def watching_replace(src: str, dst: Path) -> None:
        seen.append(sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mrc"))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    ils.drop_in_folder(jazz[:3], tmp_path)
    assert seen == [[]]  # before the rename the watched suffix shows nothing


def test_failed_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jazz: list[Record]
) -> None:
    def failing_replace(src: str, dst: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        ils.drop_in_folder(jazz[:3], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_two_drops_in_the_same_instant_do_not_overwrite(tmp_path: Path, jazz: list[Record]) -> None:
    from datetime import UTC, datetime

    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    first = ils.drop_in_folder(jazz[:1], tmp_path, clock=lambda: fixed)
    second = ils.drop_in_folder(jazz[1:2], tmp_path, clock=lambda: fixed)
    assert first != second and len(list(tmp_path.iterdir())) == 2


def test_load_into_catalogue_then_search(tmp_path: Path, jazz: list[Record]) -> None:
    with open_store(tmp_path / "catalogue.db") as store:
        result = ils.load_into_catalogue(jazz[:20], store)
        assert result.added == 20 and not result.failures
        word = jazz[0]["245"]["a"].split()[0].strip(".,:;/")
        hits = list(run_search(store, parse_pqf(f"@attr 1=4 {word}")))
        assert hits
