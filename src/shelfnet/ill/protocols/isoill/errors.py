"""Errors of the ISO ILL layer."""

from __future__ import annotations


class IsoIllError(Exception):
    """Base class of every ISO ILL error shelfnet raises."""


class DecodeError(IsoIllError):
    """Bytes that are not a valid ILL APDU (malformed BER, wrong tags, absurd lengths)."""


class LocalProtocolError(IsoIllError):
    """We were asked to send an APDU the state table does not allow now."""


class RemoteProtocolError(IsoIllError):
    """The peer sent bytes we cannot frame or decode; the connection cannot go on."""
