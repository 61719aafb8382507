"""Macros: small TOML programs of editing steps run over records on save, export or batch.

A macro file::

    title = "Set 040 $d"
    description = "Adds our symbol as modifying agency."
    [params]
    symbol = "XYZ"
    [[when]]                      # optional: the whole macro runs only if all hold
    field_present = "040"
    [[steps]]
    action = "cataloging_source"
    symbol = "${symbol}"

Every string is a ``string.Template``: ``${name}`` takes a parameter. Tags in steps are
regular expressions matched against the whole tag (``"9.."`` is every 9XX). Each step may
carry its own ``when`` list. Conditions: ``field_present``/``field_absent`` (tag),
``subfield_matches`` (``{tag, code, pattern}``), ``leader`` (``{position, equals}``).
The actions are in ``ACTIONS`` below and in docs/workbench.md.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from string import Template
from typing import Any

from pymarc import Field, Indicators, Record, Subfield

from shelfnet.marc.mnemonic import to_mnemonic

Step = dict[str, Any]


class MacroError(ValueError):
    """A macro file that cannot be loaded, or a step that cannot run on a record."""


@dataclass(frozen=True)
class MacroInfo:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class Macro:
    name: str
    title: str
    description: str
    steps: tuple[Step, ...]
    when: tuple[Step, ...] = ()
    params: dict[str, str] = field(default_factory=dict)

    def with_params(self, **params: str) -> Macro:
        """The same macro with some parameters set (e.g. ``symbol="XYZ"``)."""
        return Macro(self.name, self.title, self.description, self.steps, self.when,
                     {**self.params, **params})  # fmt: skip


@dataclass(frozen=True)
class MacroResult:
    record: Record
    changes: list[str]
    diff: str
    error: str | None = None


def macro_from_dict(name: str, data: dict[str, Any]) -> Macro:
    """Check a parsed TOML macro and build it; ``MacroError`` says what is wrong."""
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise MacroError(f"macro {name}: needs at least one [[steps]] table")
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or step.get("action") not in ACTIONS:
            raise MacroError(f"macro {name}: step {number} has no known action")
    params = {str(k): str(v) for k, v in dict(data.get("params", {})).items()}
    return Macro(name, str(data.get("title", name)), str(data.get("description", "")),
                 tuple(steps), tuple(data.get("when", ())), params)  # fmt: skip


def run_macro(macro: Macro, record: Record) -> MacroResult:
    """Run ``macro`` on a copy of ``record``; a failing step becomes ``error``, not raised."""
    before = to_mnemonic(record)
    working = copy.deepcopy(record)
    changes: list[str] = []
    try:
        if all(_holds(_fill(c, macro.params), working) for c in macro.when):
            for number, raw_step in enumerate(macro.steps, start=1):
                step = _fill(raw_step, macro.params)
                if all(_holds(c, working) for c in step.get("when", ())):
                    try:
                        changes.extend(ACTIONS[step["action"]](working, step))
                    except (KeyError, TypeError, ValueError, re.error, IndexError) as exc:
                        raise MacroError(f"step {number} ({step['action']}): {exc}") from exc
    except MacroError as exc:
        return MacroResult(record, [], "", str(exc))
    after = to_mnemonic(working)
    lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    diff = "".join(difflib.unified_diff(*lines, "before", "after"))
    return MacroResult(working, changes, diff)


def run_batch(macro: Macro, records: Iterable[Record]) -> list[MacroResult]:
    """Run ``macro`` on every record; one record's error does not stop the rest."""
    return [run_macro(macro, record) for record in records]


# --- conditions -------------------------------------------------------------------------


def _holds(condition: Step, record: Record) -> bool:
    if "field_present" in condition:
        return bool(_fields(record, condition["field_present"]))
    if "field_absent" in condition:
        return not _fields(record, condition["field_absent"])
    if "subfield_matches" in condition:
        spec = condition["subfield_matches"]
        pattern = re.compile(spec["pattern"])
        return any(
            pattern.search(v)
            for f in _fields(record, spec["tag"])
            for v in _values(f, spec["code"])
        )
    if "leader" in condition:
        spec = condition["leader"]
        position = int(spec["position"])
        wanted = str(spec["equals"])
        return str(record.leader)[position : position + len(wanted)] == wanted
    raise MacroError(f"unknown condition {sorted(condition)}")


# --- helpers ----------------------------------------------------------------------------


def _fill(value: Any, params: dict[str, str]) -> Any:
    if isinstance(value, str):
        return Template(value).safe_substitute(params)
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    return value


def _fields(record: Record, tag: str) -> list[Field]:
    pattern = re.compile(tag)
    return [f for f in record.fields if pattern.fullmatch(f.tag)]


def _values(field_: Field, code: str) -> list[str]:
    return [s.value for s in field_.subfields if s.code == code]


def _where(step: Step) -> Callable[[Field], bool]:
    """The optional ``code`` + ``matches`` filter a field-level step applies."""
    if "matches" not in step:
        return lambda f: True
    pattern = re.compile(step["matches"])
    return lambda f: any(pattern.search(v) for v in _values(f, step["code"]))


def _new_field(step: Step) -> Field:
    tag = step["tag"]
    if "data" in step:
        return Field(tag=tag, data=step["data"])
    subfields = [Subfield(code=str(c), value=str(v)) for c, v in step["subfields"]]
    return Field(tag=tag, indicators=Indicators(step.get("ind1", " "), step.get("ind2", " ")),
                 subfields=subfields)  # fmt: skip


def _insert_in_order(record: Record, new: Field) -> None:
    """Put ``new`` after the last field with a tag not greater than its own."""
    index = sum(1 for f in record.fields if f.tag <= new.tag)
    record.fields.insert(index, new)


# --- actions ----------------------------------------------------------------------------


def add_field(record: Record, step: Step) -> list[str]:
    new = _new_field(step)
    if step.get("unless_present") and _fields(record, new.tag):
        return []
    _insert_in_order(record, new)
    return [f"added {new.tag}"]


def delete_field(record: Record, step: Step) -> list[str]:
    doomed = [f for f in _fields(record, step["tag"]) if _where(step)(f)]
    for f in doomed:
        record.remove_field(f)
    return [f"deleted {f.tag}" for f in doomed]


def replace_field(record: Record, step: Step) -> list[str]:
    changes = []
    for old in [f for f in _fields(record, step["tag"]) if _where(step)(f)]:
        new = _new_field({**step, "tag": step.get("new_tag", old.tag)})
        record.fields[record.fields.index(old)] = new
        changes.append(f"replaced {old.tag}")
    return changes


def add_subfield(record: Record, step: Step) -> list[str]:
    changes = []
    for f in _fields(record, step["tag"]):
        if f.control_field or (step.get("unless_present") and _values(f, step["code"])):
            continue
        f.add_subfield(step["code"], step["value"])
        changes.append(f"added {f.tag} ${step['code']}")
    return changes


def delete_subfield(record: Record, step: Step) -> list[str]:
    pattern = re.compile(step.get("matches", ""))
    changes = []
    for f in _fields(record, step["tag"]):
        for sub in [s for s in f.subfields if s.code == step["code"] and pattern.search(s.value)]:
            f.subfields.remove(sub)
            changes.append(f"deleted {f.tag} ${sub.code}")
    return changes


def _edit_values(record: Record, step: Step, edit: Callable[[str], str]) -> list[str]:
    changes = []
    for f in _fields(record, step["tag"]):
        for index, sub in enumerate(f.subfields):
            if sub.code == step["code"] and (new := edit(sub.value)) != sub.value:
                f.subfields[index] = Subfield(sub.code, new)
                changes.append(f"changed {f.tag} ${sub.code}: {sub.value!r} -> {new!r}")
    return changes


def replace_subfield(record: Record, step: Step) -> list[str]:
    return _edit_values(record, step, lambda _: str(step["value"]))


def regex_replace(record: Record, step: Step) -> list[str]:
    pattern = re.compile(step["pattern"])
    return _edit_values(record, step, lambda v: pattern.sub(step["replacement"], v))


def uppercase_first(record: Record, step: Step) -> list[str]:
    return _edit_values(record, step, lambda v: v[:1].upper() + v[1:])


def split_subfield(record: Record, step: Step) -> list[str]:
    """Move the ``move`` group of ``pattern`` into a new subfield ``to``; keep ``keep``."""
    pattern = re.compile(step["pattern"])
    changes = []
    for f in _fields(record, step["tag"]):
        for index in reversed(range(len(f.subfields))):
            sub = f.subfields[index]
            match = pattern.fullmatch(sub.value) if sub.code == step["code"] else None
            if match and match["move"]:
                f.subfields[index] = Subfield(sub.code, match["keep"])
                f.subfields.insert(index + 1, Subfield(step["to"], match["move"]))
                changes.append(f"moved {match['move']!r} from {f.tag} ${sub.code} to ${step['to']}")
    return changes


def copy_field(record: Record, step: Step) -> list[str]:
    changes = []
    for f in _fields(record, step["tag"]):
        new = copy.deepcopy(f)
        new.tag = step["to"]
        _insert_in_order(record, new)
        changes.append(f"copied {f.tag} to {new.tag}")
    return changes


def copy_subfield(record: Record, step: Step) -> list[str]:
    """Copy each ``tag $code`` value into a new ``to_tag $to_code`` field."""
    changes = []
    for f in _fields(record, step["tag"]):
        for value in _values(f, step["code"]):
            to = {
                "tag": step["to_tag"],
                "ind1": step.get("ind1", " "),
                "ind2": step.get("ind2", " "),
            }
            _insert_in_order(record, _new_field({**to, "subfields": [[step["to_code"], value]]}))
            changes.append(f"copied {f.tag} ${step['code']} to {step['to_tag']} ${step['to_code']}")
    return changes


def set_leader(record: Record, step: Step) -> list[str]:
    position, value = int(step["position"]), str(step["value"])
    leader = str(record.leader)
    if len(leader) != 24 or position + len(value) > 24:
        raise MacroError(f"leader/{position:02d} is outside a 24-character leader")
    if leader[position : position + len(value)] == value:
        return []
    record.leader = type(record.leader)(leader[:position] + value + leader[position + len(value) :])
    return [f"set leader/{position:02d} to {value!r}"]


def cataloging_source(record: Record, step: Step) -> list[str]:
    """Add ``symbol`` as the last 040 $d unless it is already the last one."""
    symbol = step["symbol"]
    found = record.get_fields("040")
    if not found:
        _insert_in_order(
            record,
            Field("040", Indicators(" ", " "), [Subfield("a", symbol), Subfield("c", symbol)]),
        )
        return [f"added 040 $a{symbol} $c{symbol}"]
    target = found[0]
    if _values(target, "d")[-1:] == [symbol]:
        return []
    target.add_subfield("d", symbol)
    return [f"added 040 $d{symbol}"]


ACTIONS: dict[str, Callable[[Record, Step], list[str]]] = {
    "add_field": add_field,
    "delete_field": delete_field,
    "replace_field": replace_field,
    "add_subfield": add_subfield,
    "delete_subfield": delete_subfield,
    "replace_subfield": replace_subfield,
    "regex_replace": regex_replace,
    "uppercase_first": uppercase_first,
    "split_subfield": split_subfield,
    "copy_field": copy_field,
    "copy_subfield": copy_subfield,
    "set_leader": set_leader,
    "cataloging_source": cataloging_source,
}
