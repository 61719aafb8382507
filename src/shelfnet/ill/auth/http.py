"""What the library-system providers (PatronAPI, Symphony) share: an HTTP client to the
vendor's server, and that server as a port for ``shelfnet ports``."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from shelfnet.ill.auth.base import Endpoint


def endpoint(base_url: str, purpose: str) -> Endpoint:
    """The server ``base_url`` names (port 443/80 when it names none)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Endpoint(parts.hostname or "", port, f"tcp ({parts.scheme})", purpose)


def client(
    base_url: str,
    *,
    verify: bool,
    ca_file: str,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """A client for one sign-in: certificates checked (against ``ca_file`` when given) unless
    ``verify`` is off, never following redirects."""
    checked: bool | ssl.SSLContext = verify
    if verify and ca_file:
        checked = ssl.create_default_context(cafile=ca_file)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        verify=checked,
        transport=transport,
        follow_redirects=False,
        headers=headers,
    )
