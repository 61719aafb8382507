"""Two descriptions of one address made into one, keeping the richest data.

The richer record (more fields filled, more syntaxes and indexes; the newer on a tie) is
the base; its empty fields are filled from the other; lists (record syntaxes, element sets,
Bib-1 indexes, groups) are united; probe histories are joined; the status is the more
alive of the two (a target one source saw working is not quarantined by another).
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

from shelfnet.directory.model import ProbeResult, Target, TargetRecord, TargetStatus

_ALIVE = [TargetStatus.ACTIVE, TargetStatus.QUARANTINED, TargetStatus.RETIRED]
_LISTS = ("record_syntaxes", "element_sets", "bib1_indexes", "groups")
_SCALARS = tuple(
    field.name
    for field in fields(Target)
    if field.name not in (*_LISTS, "address", "status", "modified")
)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def richness(target: Target) -> tuple[int, datetime]:
    """How much a description says (filled fields, listed syntaxes, element sets and
    indexes), then how recent it is."""
    filled = sum(1 for name in _SCALARS if getattr(target, name))
    listed = sum(len(getattr(target, name)) for name in _LISTS)
    return filled * 1000 + listed, target.modified or _EPOCH


def merge(first: TargetRecord, second: TargetRecord) -> TargetRecord:
    """One record for two with the same key; it keeps the first one's place."""
    if first.target.key != second.target.key:
        raise ValueError(f"{first.target.key} and {second.target.key} are different targets")
    rich, poor = first.target, second.target
    if richness(poor) > richness(rich):
        rich, poor = poor, rich
    changes: dict[str, object] = {
        name: getattr(poor, name) for name in _SCALARS if not getattr(rich, name)
    }
    for name in _LISTS:
        changes[name] = (*getattr(rich, name), *getattr(poor, name))
    changes["status"] = min(rich.status, poor.status, key=_ALIVE.index)
    dates = [when for when in (rich.modified, poor.modified) if when]
    changes["modified"] = max(dates) if dates else None
    return TargetRecord(
        replace(rich, **changes),  # type: ignore[arg-type]
        _joined(first.probes, second.probes),
        first.where,
    )


def _joined(*histories: tuple[ProbeResult, ...]) -> tuple[ProbeResult, ...]:
    seen: dict[tuple[datetime, str], ProbeResult] = {}
    for history in histories:
        for probe in history:
            seen.setdefault((probe.when, probe.source), probe)
    return tuple(sorted(seen.values(), key=lambda probe: probe.when))
