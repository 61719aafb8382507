"""Writing retrieved records for people and programs: text, JSON lines, ISO 2709 (as received,
or re-encoded in MARC-8), MARCXML and MARC mnemonic (.mrk)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, BinaryIO

import pymarc
from rich.console import Console

from shelfnet.z3950.oids import XML_SYNTAXES
from shelfnet.z3950.records import GrsElement, Holding, OpacRecord, Record

err = Console(stderr=True, highlight=False)

_COLLECTION_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
)


class RecordWriter:
    """Writes records one at a time in one of the formats ``text json marc marc8 marcxml
    mrk``."""

    def __init__(self, stream: BinaryIO, fmt: str, target: str) -> None:
        self.stream = stream
        self.format = fmt
        self.target = target
        self._count = 0
        if fmt == "marcxml":
            stream.write(_COLLECTION_START)

    def write(self, position: int, record: Record) -> None:
        if record.diagnostic is not None:
            err.print(f"record {position}: {record.diagnostic}")
        writer = getattr(self, f"_write_{self.format}")
        writer(position, record)
        self._count += 1

    def close(self) -> None:
        if self.format == "marcxml":
            self.stream.write(b"</collection>\n")
        self.stream.flush()

    # Formats --------------------------------------------------------------------------------

    def _write_text(self, position: int, record: Record) -> None:
        if record.diagnostic is not None:
            return
        separator = b"\n" if self._count else b""
        self.stream.write(separator + record_text(record).encode("utf-8") + b"\n")

    def _write_json(self, position: int, record: Record) -> None:
        line = {"target": self.target, "position": position, **record_json(record)}
        self.stream.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")

    def _write_marc(self, position: int, record: Record) -> None:
        marc = _marc_of(record)
        if marc is not None:
            self.stream.write(marc.raw)  # the target's bytes, untouched
        elif (parsed := _marcxml_of(record)) is not None:
            self.stream.write(parsed.as_marc())
        else:
            err.print(f"record {position}: {record.syntax_name} is not MARC; not written")

    def _write_marc8(self, position: int, record: Record) -> None:
        from shelfnet.marc.marc8 import record_to_marc8

        if (parsed := self._parsed(position, record)) is not None:
            self.stream.write(record_to_marc8(parsed, errors="ncr"))

    def _write_mrk(self, position: int, record: Record) -> None:
        from shelfnet.marc import to_mnemonic

        if (parsed := self._parsed(position, record)) is not None:
            separator = b"\n" if self._count else b""
            self.stream.write(separator + to_mnemonic(parsed).encode("utf-8"))

    def _parsed(self, position: int, record: Record) -> pymarc.Record | None:
        marc = _marc_of(record)
        parsed = marc.marc().record if marc is not None else _marcxml_of(record)
        if parsed is None:
            err.print(f"record {position}: {record.syntax_name} is not MARC; not written")
        return parsed

    def _write_marcxml(self, position: int, record: Record) -> None:
        from shelfnet.marc import record_to_marcxml

        marc = _marc_of(record)
        parsed = marc.marc().record if marc is not None else _marcxml_of(record)
        if parsed is None:
            err.print(f"record {position}: {record.syntax_name} is not MARC; not written")
            return
        self.stream.write(record_to_marcxml(parsed) + b"\n")


def _marc_of(record: Record) -> Record | None:
    """The ISO 2709 record inside ``record``: itself, or an OPAC record's bibliographic part."""
    if record.is_marc:
        return record
    if isinstance(record.value, OpacRecord) and record.value.bibliographic is not None:
        bib = record.value.bibliographic
        return bib if bib.is_marc else None
    return None


def _marcxml_of(record: Record) -> pymarc.Record | None:
    """The pymarc record of an XML record that is one MARCXML record, else None."""
    from shelfnet.marc import MarcError, parse_marcxml

    if record.syntax not in XML_SYNTAXES or not record.raw:
        return None
    try:
        records = parse_marcxml(record.raw)
    except MarcError:
        return None
    return records[0] if len(records) == 1 else None


def record_text(record: Record) -> str:
    """The record as a cataloguer reads it: mnemonic MARC, text, or an indented tree."""
    from shelfnet.marc import to_mnemonic

    if record.is_marc:
        decoded = record.marc()
        for warning in decoded.warnings:
            err.print(f"warning: {warning}")
        return str(to_mnemonic(decoded.record)).rstrip("\n")
    if isinstance(record.value, OpacRecord):
        parts = [record_text(record.value.bibliographic)] if record.value.bibliographic else []
        parts += [holding_text(h) for h in record.value.holdings]
        return "\n".join(parts)
    if isinstance(record.value, tuple):
        return "\n".join(_grs_lines(record.value, 0))
    if (parsed := _marcxml_of(record)) is not None:
        return str(to_mnemonic(parsed)).rstrip("\n")
    return record.text.rstrip("\n")


def holding_text(holding: Holding | Record) -> str:
    if isinstance(holding, Record):
        return record_text(holding)
    lines = ["=HOLDING"]
    for name, value in dataclasses.asdict(holding).items():
        if name in ("volumes", "circulation"):
            for item in value:
                fields = " ".join(f"{k}={v}" for k, v in item.items() if v not in (None, ""))
                lines.append(f"  {name[:-1] if name == 'volumes' else name}: {fields}")
        elif value is not None:
            lines.append(f"  {name}: {value}")
    return "\n".join(lines)


def _grs_lines(elements: tuple[GrsElement, ...], depth: int) -> list[str]:
    lines: list[str] = []
    for element in elements:
        # YAZ's rendering: four spaces a level, "(tagType,tagValue) content"
        label = f"{'    ' * depth}({element.tag_type or 3},{element.tag_value})"
        if element.children:
            lines.append(label)
            lines += _grs_lines(element.children, depth + 1)
        else:
            lines.append(f"{label} {element.content}")
    return lines


def record_json(record: Record) -> dict[str, Any]:
    """The record as a JSON-ready dict: ``syntax`` plus ``marc``/``opac``/``grs1``/``text``."""
    if record.diagnostic is not None:
        d = record.diagnostic
        return {
            "syntax": None,
            "diagnostic": {"code": d.code, "message": d.message, "addinfo": d.addinfo},
        }
    out: dict[str, Any] = {"syntax": record.syntax_name}
    if record.database:
        out["database"] = record.database
    if record.is_marc:
        out["marc"] = record.marc().record.as_dict()
    elif (parsed := _marcxml_of(record)) is not None:
        out["marc"] = parsed.as_dict()
        out["text"] = record.text
    elif isinstance(record.value, OpacRecord):
        bib = record.value.bibliographic
        out["opac"] = {
            "bibliographic": record_json(bib) if bib else None,
            "holdings": [
                record_json(h) if isinstance(h, Record) else dataclasses.asdict(h)
                for h in record.value.holdings
            ],
        }
    elif isinstance(record.value, tuple):
        out["grs1"] = [_grs_json(e) for e in record.value]
    else:
        out["text"] = record.text
    return out


def _grs_json(element: GrsElement) -> dict[str, Any]:
    content: Any = element.content
    if element.children:
        content = [_grs_json(c) for c in element.children]
    elif isinstance(content, bytes):
        content = content.hex()
    elif isinstance(content, Record):
        content = record_json(content)
    return {"tagType": element.tag_type, "tagValue": element.tag_value, "content": content}
