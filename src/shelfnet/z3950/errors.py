"""Errors of the Z39.50 layer. Every failure a caller can see is one of these."""

from __future__ import annotations

from shelfnet.z3950.diagnostics import Diagnostic


class Z3950Error(Exception):
    """Base class of every Z39.50 error shelfnet raises."""


class DecodeError(Z3950Error):
    """Bytes that are not a valid APDU or record (malformed BER, wrong tags, absurd lengths)."""


class LocalProtocolError(Z3950Error):
    """We were asked to send something the protocol does not allow in the current state."""


class RemoteProtocolError(Z3950Error):
    """The peer sent something the protocol does not allow (or that we cannot decode)."""


class ConnectError(Z3950Error):
    """The TCP connection could not be made (refused, unreachable, unknown host)."""


class TargetTimeout(Z3950Error):
    """The peer did not answer within the configured time."""


class InitRefused(Z3950Error):
    """The target answered the Init request with result = false."""

    def __init__(self, message: str, diagnostic: Diagnostic | None = None) -> None:
        super().__init__(message)
        self.diagnostic = diagnostic


class ServerClosed(Z3950Error):
    """The target sent a Close APDU, or dropped the connection."""

    def __init__(self, reason: str, info: str = "") -> None:
        text = f"target closed the connection: {reason}"
        super().__init__(f"{text} ({info})" if info else text)
        self.reason = reason
        self.info = info


class DiagnosticError(Z3950Error):
    """The target answered an operation with a non-surrogate diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic

    @property
    def code(self) -> int:
        return self.diagnostic.code

    @property
    def addinfo(self) -> str:
        return self.diagnostic.addinfo
