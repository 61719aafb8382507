"""shelfnet's own directory file: JSON, versioned.

    {
      "format": "shelfnet-directory",
      "version": 1,
      "exported": "2024-05-01T12:00:00+00:00",
      "directory_version": 5321,
      "targets": [
        {"name": "Library of Congress", "protocol": "z3950", "host": "lx2.loc.gov",
         "port": 210, "databases": ["LCDB"], "tls": false, ..., "status": "active", ...}
      ]
    }

Each target holds every field of ``shelfnet.directory.fields.FIELDS``; on reading, only
``host`` (or ``address``) is required and unknown fields are ignored, so a newer shelfnet's
version-1 files still read. A file of a later version is refused whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

from shelfnet.directory.checks import Rejected, Rejection, RejectionReason, shown
from shelfnet.directory.fields import build_target, target_values
from shelfnet.directory.model import Target, TargetRecord

FORMAT_NAME = "shelfnet-directory"
FORMAT_VERSION = 1


def write_json(
    targets: Iterable[Target],
    stream: TextIO,
    *,
    exported: datetime,
    directory_version: int | None = None,
) -> int:
    """Write the file; returns the number of targets."""
    entries = [target_values(target) for target in targets]
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported": exported.isoformat(),
        "directory_version": directory_version,
        "targets": entries,
    }
    json.dump(document, stream, ensure_ascii=False, indent=1)
    stream.write("\n")
    return len(entries)


def read_json(data: bytes, where: str) -> Iterator[TargetRecord | Rejection]:
    """Each target of the file, or why not; a file that is not one is one rejection."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield Rejection(RejectionReason.BAD_FILE, f"not JSON: {exc}", where)
        return
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        yield Rejection(RejectionReason.BAD_FILE, f"not a {FORMAT_NAME} file", where)
        return
    version = document.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        yield Rejection(
            RejectionReason.BAD_FILE,
            f"version {shown(str(version))}: this shelfnet reads versions 1 to {FORMAT_VERSION}",
            where,
        )
        return
    entries = document.get("targets")
    if not isinstance(entries, list):
        yield Rejection(RejectionReason.BAD_FILE, "no list of targets", where)
        return
    for number, entry in enumerate(entries):
        place = f"{where}: targets[{number}]"
        if not isinstance(entry, dict):
            yield Rejection(RejectionReason.BAD_VALUE, f"{shown(repr(entry))}", place)
            continue
        try:
            yield TargetRecord(build_target(entry), where=place)
        except Rejected as rejected:
            yield rejected.at(place)
