"""The file formats the directory reads and writes (apart from the code that does it, so
that the command line can offer them without loading the store)."""

from __future__ import annotations

import enum


class ImportFormat(enum.Enum):
    AUTO = "auto"
    ZEEREX = "zeerex"
    JSON = "json"
    YAZ = "yaz"
    CSV = "csv"


class ExportFormat(enum.Enum):
    JSON = "json"
    YAZ = "yaz"
    CSV = "csv"
    ZEEREX = "zeerex"
    """A gzipped tar of ZeeRex records, one per target, as IRSpy's dumps are."""
