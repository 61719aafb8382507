"""Where an ISO ILL listener answers."""

from __future__ import annotations

from dataclasses import dataclass

ISOILL_PORT = 1611
"""The port IANA registered for the ISO ILL protocol (``iso-ill``, TCP)."""
DEFAULT_HOST = "0.0.0.0"


@dataclass(frozen=True)
class ListenerAddress:
    """A host and port to listen on (``[isoill]`` in the config, once it is wired in)."""

    host: str = DEFAULT_HOST
    port: int = ISOILL_PORT

    def __str__(self) -> str:
        return f"tcp:{self.host}:{self.port}"
