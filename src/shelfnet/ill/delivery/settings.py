"""Settings of the document delivery service (``[delivery]`` in the config file)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from shelfnet.ill.delivery.ports import DEFAULT_HOST, DELIVERY_PORT
from shelfnet.ill.delivery.protocol import DEFAULT_MAX_SIZE


@dataclass(frozen=True)
class DeliverySettings:
    enabled: bool = False
    host: str = DEFAULT_HOST
    port: int = DELIVERY_PORT
    tls_cert: Path | None = None  # PEM certificate chain; with tls_key, the listener speaks TLS
    tls_key: Path | None = None
    max_size: int = DEFAULT_MAX_SIZE  # bytes per document
    idle_timeout: float = 60.0  # seconds a client may stay silent
    spool_dir: Path = Path("var/delivery")
    max_connections: int = 32
    strict_pdf: bool = False  # pypdf strict mode for the PDF check

    def __post_init__(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("delivery: tls_cert and tls_key go together")
        if self.max_size <= 0 or self.max_connections <= 0 or self.idle_timeout <= 0:
            raise ValueError("delivery: max_size, max_connections and idle_timeout must be > 0")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"delivery: port {self.port} is out of range")

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A server context for the certificate and key, or None without TLS."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> DeliverySettings:
        """From a TOML table: paths as strings, unknown keys refused."""
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"delivery: unknown settings {', '.join(sorted(unknown))}")
        values = dict(table)
        for name in ("tls_cert", "tls_key", "spool_dir"):
            if values.get(name) is not None:
                values[name] = Path(values[name])
        return cls(**values)
