"""iter_marc: a record stream split by record length, surviving damaged records."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.marc import DecodedMarc, MarcError, iter_marc

FIXTURES = Path(__file__).parents[1] / "fixtures" / "marc"
SHARED_MARC = Path(__file__).parents[2].parent / "shared" / "data" / "marc"
GOOD = [
    item.raw
    for name in ("utf8_leaders.mrc", "marc8_diacritics.mrc")
    for item in iter_marc((FIXTURES / name).read_bytes())
    if isinstance(item, DecodedMarc)
]


class Trickle(io.RawIOBase):
    """A binary stream that hands out at most ``size`` bytes per read."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = io.BytesIO(data)
        self._size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(self._size, len(buffer)))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def kinds(items: list[DecodedMarc | MarcError]) -> list[str]:
    return ["record" if isinstance(item, DecodedMarc) else "error" for item in items]


def test_damaged_records_are_reported_at_their_offset_and_reading_continues() -> None:
    data = (FIXTURES / "damaged_stream.mrc").read_bytes()
    items = list(iter_marc(data))
    assert kinds(items) == ["record", "error", "error", "record"]
    garbage_at = int(data[:5])
    broken_at = data.index(b"\x1d", garbage_at) + 1
    assert [item.offset for item in items if isinstance(item, MarcError)] == [
        garbage_at,
        broken_at,
    ]
    assert "not five digits" in str(items[1])
    assert f"record at byte {broken_at}" in str(items[2])


def test_a_stream_read_a_few_bytes_at_a_time_splits_the_same_way() -> None:
    data = (FIXTURES / "damaged_stream.mrc").read_bytes()
    whole = list(iter_marc(data))
    trickled = list(iter_marc(io.BufferedReader(Trickle(data, 7), buffer_size=7)))
    assert kinds(trickled) == kinds(whole)
    assert [getattr(item, "raw", None) for item in trickled] == [
        getattr(item, "raw", None) for item in whole
    ]


def test_line_ends_and_dos_eof_between_records_are_not_errors() -> None:
    data = GOOD[0] + b"\r\n" + GOOD[1] + b"\n\x1a"
    assert kinds(list(iter_marc(data))) == ["record", "record"]


def test_a_truncated_last_record_is_reported_at_its_offset() -> None:
    data = GOOD[0] + GOOD[1][:-20]
    items = list(iter_marc(data))
    assert kinds(items) == ["record", "error"]
    assert isinstance(items[1], MarcError)
    assert items[1].offset == len(GOOD[0])
    assert "stream ends" in items[1].message


def test_an_empty_stream_has_no_records() -> None:
    assert list(iter_marc(b"")) == []


def test_an_unknown_charset_name_fails_before_reading() -> None:
    with pytest.raises(ValueError, match="unknown MARC character set"):
        iter_marc(b"", encoding="ebcdic")


def test_a_forced_charset_applies_to_every_record() -> None:
    items = list(iter_marc(b"".join(GOOD), encoding="marc-8"))
    assert {item.encoding for item in items if isinstance(item, DecodedMarc)} == {"marc-8"}


JUNK = st.binary(max_size=60).map(lambda junk: junk.replace(b"\x1d", b"") + b"\x1d")
# Junk that could be taken for a record length or a line end between records is not junk.
JUNK = JUNK.filter(lambda junk: junk[:1] not in b"0123456789\r\n\x1a")


@given(st.lists(st.one_of(st.sampled_from(GOOD), JUNK), max_size=8))
def test_every_good_record_survives_junk_between_records(pieces: list[bytes]) -> None:
    items = list(iter_marc(b"".join(pieces)))
    assert [item.raw for item in items if isinstance(item, DecodedMarc)] == [
        piece for piece in pieces if piece in GOOD
    ]
    offsets = [sum(map(len, pieces[:i])) for i, piece in enumerate(pieces) if piece not in GOOD]
    assert [item.offset for item in items if isinstance(item, MarcError)] == offsets


def test_the_jazz_file_streams_from_disk_with_garbage_spliced_in() -> None:
    path = SHARED_MARC / "jazz_1k.mrc"
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    with path.open("rb") as stream:
        assert kinds(list(iter_marc(stream))) == ["record"] * 1000
    data = path.read_bytes()
    middle = data.index(b"\x1d", len(data) // 2) + 1
    items = list(iter_marc(data[:middle] + b"#garbage#\x1d" + data[middle:]))
    assert kinds(items).count("record") == 1000
    assert [item.offset for item in items if isinstance(item, MarcError)] == [middle]
