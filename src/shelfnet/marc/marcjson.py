"""MARC-in-JSON, as pymarc writes and reads it.

A record is ``{"leader": "...", "fields": [{"001": "..."}, {"245": {"ind1": "1",
"ind2": "0", "subfields": [{"a": "..."}]}}]}``; a file holds one record or an array.
"""

from __future__ import annotations

import io
import json
from typing import Any

from pymarc import JSONReader, Record
from pymarc.exceptions import PymarcException

from shelfnet.marc.errors import MarcError


def marc_json_dict(record: Record) -> dict[str, Any]:
    """The record as a MARC-in-JSON object (plain dicts, lists and strings)."""
    as_dict: dict[str, Any] = record.as_dict()
    return as_dict


def write_marc_json(record: Record, *, indent: int | None = None) -> str:
    """The record as MARC-in-JSON text."""
    text: str = record.as_json(indent=indent, ensure_ascii=False)
    return text


def parse_marc_json(data: str | bytes) -> list[Record]:
    """Records from MARC-in-JSON text holding one record object or an array of them."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        # A file object, never the str itself: pymarc opens a str that names a file.
        return list(JSONReader(io.StringIO(text)))  # type: ignore[arg-type]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MarcError(f"not JSON: {exc}") from exc
    except (PymarcException, KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise MarcError(f"JSON that is not MARC-in-JSON: {exc!r}") from exc
