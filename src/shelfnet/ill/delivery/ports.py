"""Where the document delivery listener answers."""

from __future__ import annotations

DELIVERY_PORT = 7968
"""The port ILLiad's Odyssey uses; shelfnet's own protocol (docs/delivery-protocol.md) runs
on it so firewalls opened for Odyssey let it through. The wire formats are not compatible."""
DEFAULT_HOST = "0.0.0.0"
