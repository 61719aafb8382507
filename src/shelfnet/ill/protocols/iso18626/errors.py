"""The error a callback raises to refuse a message it understood but cannot act on."""

from __future__ import annotations

from shelfnet.ill.protocols.iso18626.messages import ErrorData, ErrorType


class Refused(Exception):
    """A message refused with an ISO 18626 errorType (e.g. ``UnrecognisedDataValue`` for a
    request id we do not know); the endpoint answers with an error confirmation."""

    def __init__(self, error_type: ErrorType, error_value: str, sentence: str) -> None:
        super().__init__(sentence)
        self.error_type = error_type
        self.error_value = error_value[:200]

    @property
    def error(self) -> ErrorData:
        return ErrorData(self.error_type, self.error_value)
