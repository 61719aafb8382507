"""``shelfnet batch`` against zebrasrv: 500 ISBNs from the shared MARC files and 50 that exist
nowhere, a run killed halfway and finished by running it again."""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from shelfnet.catalog import identifiers
from shelfnet.marc import decode_marc, split_records
from tests.peers import Target, standard_databases

LINES = 500
MISSING = 50


def _isbns_of(databases: dict[str, tuple[object, ...]]) -> list[str]:
    """Every ISBN in 020 $a of the records zebrasrv serves, as written (hyphens dropped)."""
    found: dict[str, None] = {}
    for files in databases.values():
        for marc_file in files:
            path: Path = marc_file.path  # type: ignore[attr-defined]
            with path.open("rb") as stream:
                for raw in split_records(stream):
                    if isinstance(raw, Exception):
                        continue
                    record = decode_marc(raw.data).record
                    for field in record.get_fields("020"):
                        for value in field.get_subfields("a"):
                            if (number := identifiers.isbn(value)) is not None:
                                found.setdefault(number)
    return list(found)


def _missing_isbns(count: int, known: set[str], rng: random.Random) -> list[str]:
    """Valid ISBN-13s (check digit right) that no shared file holds."""
    made: list[str] = []
    while len(made) < count:
        body = "979" + "".join(rng.choice("0123456789") for _ in range(9))
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        number = body + str((10 - total % 10) % 10)
        if number not in known and identifiers.isbn_13(number) not in known:
            made.append(number)
    return made


@pytest.fixture(scope="module")
def batch_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, bool]]:
    """The input file, and whether each line's ISBN exists (by line number)."""
    rng = random.Random(1066)
    real = _isbns_of(standard_databases())
    assert len(real) >= 80, "the shared files should hold at least 80 distinct ISBNs"
    lines = [rng.choice(real) for _ in range(LINES)]
    lines += _missing_isbns(MISSING, set(real), rng)
    rng.shuffle(lines)
    real_set = set(real)
    path = tmp_path_factory.mktemp("batch") / "isbns.txt"
    path.write_text("# ISBNs to find\n" + "\n".join(lines) + "\n", encoding="utf-8")
    exists = {number: isbn in real_set for number, isbn in enumerate(lines, start=2)}
    return path, exists


def _targets_file(folder: Path, jazz: Target, mixed: Target) -> Path:
    path = folder / "targets.toml"
    path.write_text(
        f'[[target]]\nname = "jazz"\naddress = "{jazz.zurl}"\n'
        f'[[target]]\nname = "mixed"\naddress = "{mixed.zurl}"\n'
        '[groups]\nzebra = ["jazz", "mixed"]\n',
        encoding="utf-8",
    )
    return path


def _batch(input_file: Path, targets: Path) -> list[str]:
    return [
        sys.executable, "-m", "shelfnet", "batch", str(input_file),
        "--targets", str(targets), "--group", "zebra", "--limit", "3",
    ]  # fmt: skip


def _rows(report: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))


def test_a_killed_batch_finishes_when_run_again_and_reports_every_line_once(
    zebra_target: Target, zebra_mixed_target: Target, batch_input: tuple[Path, dict[int, bool]]
) -> None:
    input_file, exists = batch_input
    folder = input_file.parent
    targets = _targets_file(folder, zebra_target, zebra_mixed_target)
    report = folder / "isbns-report.csv"
    marc = folder / "isbns-found.mrc"

    first = subprocess.Popen(
        _batch(input_file, targets), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        if report.exists() and report.read_bytes().count(b"\n") > (LINES + MISSING) // 2:
            break
        time.sleep(0.05)
    assert first.poll() is None, "the batch ended before it could be killed halfway"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    done_before = len(_rows(report))
    assert 0 < done_before < LINES + MISSING

    second = subprocess.run(_batch(input_file, targets), capture_output=True, timeout=300)
    assert second.returncode == 0, second.stderr.decode()
    assert f"({done_before} done before)" in second.stderr.decode()

    rows = _rows(report)
    by_line = Counter(int(row["line"]) for row in rows)
    assert set(by_line) == set(exists) and max(by_line.values()) == 1
    for row in rows:
        expected = "found" if exists[int(row["line"])] else "not found"
        assert row["outcome"] == expected, row
    found_rows = [row for row in rows if row["outcome"] == "found"]
    records = [decode_marc(raw.data).record for raw in split_records(marc.open("rb"))]
    assert len(records) == len(found_rows) == sum(exists.values())
    assert int(rows[-1]["marc_bytes"]) == marc.stat().st_size
    for row, record in zip(found_rows, records, strict=True):
        wanted = identifiers.isbn_13(row["input"])
        held = {
            identifiers.isbn_13(v) for f in record.get_fields("020") for v in f.get_subfields("a")
        }
        assert wanted in held, (row, held)
