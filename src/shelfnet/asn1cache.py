"""ASN.1 modules compiled with asn1tools, their parse cached beside the sources.

Parsing ASN.1 text (asn1tools uses pyparsing) is the slow part of compiling a specification;
the parsed modules are kept in a JSON file beside the ``.asn`` files, tagged with a hash of
the sources. A stale or missing cache is noticed by the hash and the sources are parsed
instead. Each protocol's codec (Z39.50, ISO ILL) is one `AsnModules`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import asn1tools

CACHE_NAME = "compiled.json"


class AsnModules:
    """The ASN.1 modules ``names`` in ``directory``, compiled for BER once per process."""

    def __init__(self, directory: Path, names: tuple[str, ...]) -> None:
        self.directory = directory
        self.names = names

    def sources(self) -> list[str]:
        return [(self.directory / name).read_text(encoding="utf-8") for name in self.names]

    def _digest(self, sources: list[str]) -> str:
        return hashlib.sha256("\0".join(sources).encode()).hexdigest()

    def parse(self) -> dict[str, Any]:
        """Parse the sources (slow: only for regenerating the cache)."""
        return dict(asn1tools.parse_string("\n".join(self.sources())))

    def write_cache(self) -> None:
        """Regenerate the cache from the sources."""
        document = {"sha256": self._digest(self.sources()), "modules": self.parse()}
        text = json.dumps(document, sort_keys=True, indent=0) + "\n"
        (self.directory / CACHE_NAME).write_text(text, encoding="utf-8")

    def cached(self) -> dict[str, Any] | None:
        """The cached parse, or None when missing or stale."""
        try:
            document = json.loads((self.directory / CACHE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if document.get("sha256") != self._digest(self.sources()):
            return None
        modules: dict[str, Any] = document["modules"]
        return modules

    @cached_property
    def specification(self) -> Any:
        """The compiled BER specification."""
        return asn1tools.compile_dict(self.cached() or self.parse(), codec="ber")
