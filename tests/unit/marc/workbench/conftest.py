"""Real record files from /work/shared/data/marc, read so every byte is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymarc import Record

from shelfnet.marc import decode_marc
from shelfnet.marc.iso2709 import RawRecord, split_records

DATA = Path("/work/shared/data/marc")


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path


def raw_records(path: Path) -> list[bytes]:
    with path.open("rb") as stream:
        return [item.data for item in split_records(stream) if isinstance(item, RawRecord)]


def unicode_records(name: str, limit: int | None = None) -> list[Record]:
    raws = raw_records(data_file(name))[:limit]
    return [decode_marc(raw).record for raw in raws]


@pytest.fixture(scope="session")
def jazz() -> list[Record]:
    return unicode_records("jazz_1k.mrc", 60)
