"""Framing of an ISO 2709 stream: where each record starts and ends.

A record begins with its length in five ASCII digits (leader/00-04) and ends with the
record terminator 0x1D. A record whose length is unreadable or does not land on a
terminator is reported with its byte offset, and reading resumes after the next
terminator, so one damaged record costs one record, not the rest of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from shelfnet.marc.errors import MarcError

RECORD_TERMINATOR = 0x1D
LEADER_LENGTH = 24
# Leader, directory terminator and record terminator: nothing shorter can be a record.
MIN_RECORD_LENGTH = LEADER_LENGTH + 2
# Line ends some exporters put between records, and the DOS end-of-file mark.
_BETWEEN_RECORDS = b"\r\n\x1a"
_READ_SIZE = 1 << 16


@dataclass(frozen=True)
class RawRecord:
    """The bytes of one record and their offset in the stream."""

    offset: int
    data: bytes


class _StreamBuffer:
    """Bytes read ahead from a binary stream, addressed from the stream's start."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self.offset = 0

    def _read_more(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(_READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the current offset, fewer only at end of stream."""
        while len(self._buffer) < size and self._read_more():
            pass
        return bytes(self._buffer[:size])

    def take(self, size: int) -> bytes:
        data = self.peek(size)
        del self._buffer[: len(data)]
        self.offset += len(data)
        return data

    def take_through_terminator(self) -> bytes:
        """Everything up to and including the next record terminator (or to the end)."""
        searched = 0
        while True:
            end = self._buffer.find(RECORD_TERMINATOR, searched)
            if end >= 0:
                return self.take(end + 1)
            searched = len(self._buffer)
            if not self._read_more():
                return self.take(len(self._buffer))

    def skip_between_records(self) -> None:
        while (head := self.peek(1)) and head in _BETWEEN_RECORDS:
            self.take(1)


def split_records(stream: BinaryIO) -> Iterator[RawRecord | MarcError]:
    """Cut a stream into records by their stated length; damaged stretches become errors."""
    buffer = _StreamBuffer(stream)
    while True:
        buffer.skip_between_records()
        offset = buffer.offset
        head = buffer.peek(5)
        if not head:
            return
        length = int(head) if len(head) == 5 and head.isdigit() else None
        if length is not None and length >= MIN_RECORD_LENGTH:
            candidate = buffer.peek(length)
            if len(candidate) == length and candidate[-1] == RECORD_TERMINATOR:
                yield RawRecord(offset, buffer.take(length))
                continue
        skipped = buffer.take_through_terminator()
        yield MarcError(_framing_problem(head, length, skipped), offset=offset)


def _framing_problem(head: bytes, length: int | None, skipped: bytes) -> str:
    resumed = f"skipped {len(skipped)} bytes to the next record terminator"
    if length is None:
        return f"record length (leader/00-04) is not five digits: {head!r}; {resumed}"
    if length < MIN_RECORD_LENGTH:
        return f"record length {length} is too short for a MARC record; {resumed}"
    if len(skipped) < length and skipped[-1:] != bytes([RECORD_TERMINATOR]):
        return f"record length says {length} bytes but the stream ends after {len(skipped)}"
    return f"record length says {length} bytes but no record terminator is there; {resumed}"
