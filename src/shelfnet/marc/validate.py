"""Field-level checks of a MARC 21 bibliographic record against ``rules_data``.

Each ``Problem`` names the field (tag and 1-based occurrence among fields with that tag;
occurrence 0 for the leader and record-level problems), the subfield when one is at
fault, and a sentence a cataloguer can act on. Errors break the format; warnings are
things an ILS will usually load but a reviewer should look at (obsolete or unknown
subfield codes, an undefined indicator value in a field we only partly know).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pymarc import Field, Record

from shelfnet.marc.rules_data import (
    CONTROL_RULES,
    FIXED_LENGTHS,
    LEADER_VALUES,
    LENGTHS_007,
    REQUIRED_FIELDS,
    RULES,
    FieldRule,
    is_local,
)

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    tag: str
    occurrence: int
    subfield: str | None
    severity: Severity
    message: str


def validate(record: Record) -> list[Problem]:
    """Every problem found in ``record``, leader first, then fields in record order."""
    problems = _leader_problems(str(record.leader))
    seen: Counter[str] = Counter()
    for field in record.fields:
        seen[field.tag] += 1
        problems.extend(_field_problems(field, seen[field.tag]))
    for tag, count in seen.items():
        problems.extend(_repeat_problems(tag, count))
    for tag in REQUIRED_FIELDS:
        if not seen[tag]:
            problems.append(Problem(tag, 0, None, "error", f"the record has no {tag} field"))
    return problems


def _leader_problems(leader: str) -> list[Problem]:
    if len(leader) != 24:
        return [
            Problem("LDR", 0, None, "error", f"the leader has {len(leader)} characters, not 24")
        ]
    problems = [
        Problem(
            "LDR", 0, None, "error", f"leader/{pos:02d} {leader[pos]!r} is not one of {allowed!r}"
        )
        for pos, allowed in LEADER_VALUES.items()
        if leader[pos] not in allowed
    ]
    if leader[20:24] != "4500":
        problems.append(
            Problem("LDR", 0, None, "warning", f"leader/20-23 is {leader[20:24]!r}, not '4500'")
        )
    return problems


def _field_problems(field: Field, occurrence: int) -> list[Problem]:
    tag = field.tag
    if len(tag) != 3 or not tag.isalnum():
        return [Problem(tag, occurrence, None, "error", f"{tag!r} is not a three-character tag")]
    if field.control_field:
        return _control_problems(tag, field.data or "", occurrence)
    if is_local(tag):
        return _structure_problems(field, occurrence)
    rule = RULES.get(tag)
    if rule is None:
        return _structure_problems(field, occurrence)
    return _structure_problems(field, occurrence) + _rule_problems(field, rule, occurrence)


def _control_problems(tag: str, data: str, occurrence: int) -> list[Problem]:
    expected = FIXED_LENGTHS.get(tag)
    if tag == "007" and data:
        expected = LENGTHS_007.get(data[0])
    if expected is not None and len(data) != expected:
        what = "008 for books and most materials" if tag == "008" else tag
        return [
            Problem(
                tag, occurrence, None, "error", f"{what} has {len(data)} characters, not {expected}"
            )
        ]
    if tag not in CONTROL_RULES and tag.isdigit():
        return [Problem(tag, occurrence, None, "warning", f"{tag} is not a defined control field")]
    return []


def _structure_problems(field: Field, occurrence: int) -> list[Problem]:
    problems = []
    area = f"{field.indicator1}{field.indicator2}"
    if len(area) != 2:
        message = f"the field has {len(area)} indicator characters, not 2"
        problems.append(Problem(field.tag, occurrence, None, "error", message))
    if not field.subfields:
        problems.append(Problem(field.tag, occurrence, None, "error", "the field has no subfields"))
    for subfield in field.subfields:
        if len(subfield.code) != 1 or not (subfield.code.isascii() and subfield.code.isalnum()):
            message = f"{subfield.code!r} is not a subfield code (a-z, 0-9)"
            problems.append(Problem(field.tag, occurrence, subfield.code or None, "error", message))
        elif not subfield.value:
            problems.append(
                Problem(field.tag, occurrence, subfield.code, "warning", "empty subfield")
            )
    return problems


def _rule_problems(field: Field, rule: FieldRule, occurrence: int) -> list[Problem]:
    problems = []
    tag = field.tag
    for number, (value, allowed) in enumerate(
        ((field.indicator1, rule.ind1), (field.indicator2, rule.ind2)), start=1
    ):
        if allowed is not None and value not in allowed:
            shown = ", ".join("blank" if c == " " else c for c in allowed)
            message = f"indicator {number} {value!r} is not allowed in {tag} ({shown})"
            problems.append(Problem(tag, occurrence, None, "error", message))
    codes = Counter(s.code for s in field.subfields)
    for code, count in codes.items():
        if code in rule.obsolete:
            problems.append(
                Problem(tag, occurrence, code, "warning", f"${code} is obsolete in {tag}")
            )
        elif code not in rule.subfields:
            problems.append(
                Problem(tag, occurrence, code, "warning", f"${code} is not defined in {tag}")
            )
        elif count > 1 and not rule.subfields[code]:
            message = f"${code} is not repeatable in {tag} but occurs {count} times"
            problems.append(Problem(tag, occurrence, code, "error", message))
    if rule.required and not any(code in codes for code in rule.required):
        wanted = " or ".join(f"${c}" for c in rule.required)
        problems.append(
            Problem(tag, occurrence, rule.required[0], "error", f"{tag} needs {wanted}")
        )
    return problems


def _repeat_problems(tag: str, count: int) -> list[Problem]:
    repeatable = RULES[tag].repeatable if tag in RULES else CONTROL_RULES.get(tag, ("", True))[1]
    if count > 1 and not repeatable:
        return [
            Problem(tag, occurrence, None, "error", f"{tag} is not repeatable: {count} occurrences")
            for occurrence in range(2, count + 1)
        ]
    return []
