"""The one error the marc package raises for records it cannot read."""

from __future__ import annotations


class MarcError(ValueError):
    """A record (or a stretch of a record stream) that cannot be read.

    ``offset`` is the byte offset of the bad record in its stream, when the record came
    from one (``iter_marc``); ``None`` for a record decoded on its own.
    """

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (record at byte {self.offset})"

    def at(self, offset: int) -> MarcError:
        """The same error, placed at ``offset`` in a stream."""
        located = MarcError(self.message, offset=offset)
        located.__cause__ = self.__cause__
        return located
