"""Edit sessions of the record editor, and what the editor shows of the text being typed.

An edit session belongs to one record of one search session (the URL's search id, target
number and position). It keeps the source record as the target sent it, the saved
versions of the cataloguer's edits (an undo stack: every save or applied macro pushes the
version before it), and nothing else: text typed but not saved lives in the browser.
The store holds at most ``capacity`` edit sessions, dropping the least recently used.

``check`` reads typed text as the editor sees it: the record (or the line that stops it
being read), the validation problems placed on the lines they are about, and the fields
line by line for the field view.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field

import pymarc

from shelfnet.marc.flavours import Flavour, detect, labels
from shelfnet.marc.mnemonic import MnemonicError, parse_mnemonic, to_mnemonic
from shelfnet.marc.validate import Problem, validate
from shelfnet.search.engine import FoundRecord

UNDO_DEPTH = 50
"""Saved versions kept to undo to, per edit session."""
MAX_TEXT = 200_000
"""Characters of mnemonic text an edit may send (a big record has some 20,000)."""

EditKey = tuple[str, int, int]
"""(search session id, target number, position): how the search pages name a record."""


@dataclass(frozen=True)
class Version:
    """One saved state of the record: its mnemonic text and the record read from it."""

    text: str
    record: pymarc.Record


@dataclass
class EditSession:
    """One record being edited: where it came from, its current version, what undo restores."""

    key: EditKey
    source: FoundRecord
    current: Version
    source_text: str = ""
    """The source record as mnemonic text, as it was when the record was opened."""
    saves: int = 0
    """Versions saved since the record was opened (undo counts back)."""
    _undo: list[Version] = field(default_factory=list, repr=False)

    @property
    def search_id(self) -> str:
        return self.key[0]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def undo_depth(self) -> int:
        return len(self._undo)

    def save(self, text: str, record: pymarc.Record) -> None:
        """Make ``record`` (read from ``text``) the current version; the old one can be undone."""
        self._undo.append(self.current)
        del self._undo[:-UNDO_DEPTH]
        self.current = Version(text, record)
        self.saves += 1

    def __post_init__(self) -> None:
        self.source_text = self.source_text or self.current.text

    def undo(self) -> bool:
        """Go back to the version before the last save; False when there is none."""
        if not self._undo:
            return False
        self.current = self._undo.pop()
        self.saves -= 1
        return True


def opened(key: EditKey, found: FoundRecord) -> EditSession:
    """A new edit session whose first version is the source record as found.

    Found records hold Unicode text (the search decoded them), so the copy edited says
    so in leader/09: the mnemonic text is then plain Unicode, not MARC-8 byte names
    (MARCXML records can come with leader/09 blank)."""
    record = copy.deepcopy(found.record)
    leader = str(record.leader)
    if len(leader) == 24 and leader[9] != "a":
        record.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])
    return EditSession(key, found, Version(to_mnemonic(record), record))


class EditStore:
    """The edit sessions in memory, least recently used first, at most ``capacity``."""

    def __init__(self, capacity: int = 200) -> None:
        self.capacity = max(1, capacity)
        self._sessions: OrderedDict[EditKey, EditSession] = OrderedDict()

    def get(self, key: EditKey) -> EditSession | None:
        session = self._sessions.get(key)
        if session is not None:
            self._sessions.move_to_end(key)
        return session

    def open(self, key: EditKey, found: FoundRecord) -> EditSession:
        """The record's edit session: the kept one, else a new one from ``found``.
        A kept session whose source is no longer ``found`` (its search was started again
        under the same id) is replaced."""
        session = self.get(key)
        if session is not None and session.source is found:
            return session
        session = opened(key, found)
        self._sessions[key] = session
        while len(self._sessions) > self.capacity:
            self._sessions.popitem(last=False)
        return session

    def __len__(self) -> int:
        return len(self._sessions)


@dataclass(frozen=True)
class LineProblem:
    """A problem placed on the text: ``line`` is 1-based, None for the record as a whole."""

    line: int | None
    severity: str
    """``error`` (blocks saving) or ``warning``."""
    where: str
    """The tag, occurrence and subfield, as a cataloguer writes them: ``245 $a``, ``650 #2``."""
    message: str

    @property
    def blocks(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class FieldRow:
    """One line of the text as the field view shows it."""

    line: int
    tag: str
    indicators: str
    subfields: tuple[tuple[str, str], ...]
    data: str
    """A control field's (or the leader's) data; empty for data fields."""
    name: str = ""
    """What the field is, in the record's flavour (``Title statement [MARC 21]``)."""


@dataclass(frozen=True)
class Checked:
    """Typed text as read: the record, when it could be read, and everything wrong with it."""

    text: str
    record: pymarc.Record | None
    problems: tuple[LineProblem, ...]
    fields: tuple[FieldRow, ...]
    flavour: Flavour | None = None
    """The MARC the record looks like (None: it could not be read)."""

    @property
    def flavour_name(self) -> str:
        return self.flavour.value if self.flavour is not None else "unreadable"

    @property
    def errors(self) -> int:
        return sum(problem.blocks for problem in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def savable(self) -> bool:
        return self.record is not None and self.errors == 0


def normalised(text: str) -> str:
    """Form text with browser line ends made ``\\n``, ending with one newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n" if text.strip() else ""


def check(text: str) -> Checked:
    """Read and validate ``text``; a parse error is one error problem on its line.

    The checks are MARC 21's: in a record of another flavour (UNIMARC, ...) what they
    find is shown as warnings, so they do not stop a save."""
    rows = field_rows(text)
    try:
        record = parse_mnemonic(text)
    except MnemonicError as exc:
        line = exc.line if exc.line > 0 else None
        problem = LineProblem(line, "error", "syntax", exc.message)
        return Checked(text, None, (problem,), tuple(rows))
    flavour = detect(record)
    lines = _field_lines(text)
    problems = [_placed(problem, lines) for problem in validate(record)]
    if flavour is not Flavour.MARC21:
        problems = [_as_warning(problem, flavour) for problem in problems]
    named = _named(rows, labels(record, flavour))
    return Checked(text, record, tuple(problems), tuple(named), flavour)


def _as_warning(problem: LineProblem, flavour: Flavour) -> LineProblem:
    message = f"{problem.message} (a MARC 21 rule; this record looks like {flavour.value})"
    return LineProblem(problem.line, "warning", problem.where, message)


def _named(rows: list[FieldRow], names: list[tuple[str, str]]) -> list[FieldRow]:
    """The rows with the flavour's field names (``labels`` gives one per field, in order)."""
    if len(rows) != len(names):
        return rows
    return [
        FieldRow(row.line, row.tag, row.indicators, row.subfields, row.data, name)
        if tag == row.tag
        else row
        for row, (tag, name) in zip(rows, names, strict=True)
    ]


def field_rows(text: str) -> list[FieldRow]:
    """Every ``=TAG`` line, split leniently (escapes kept as typed) for the field view."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("="):
            continue
        tag, body = line[1:4], line[4:].removeprefix(" ").removeprefix(" ")
        if tag == "LDR" or (tag.isdigit() and tag < "010"):
            rows.append(FieldRow(number, tag, "", (), body))
            continue
        indicators, chunks = body[:2], body[2:].split("$")
        subfields = [(chunk[:1], chunk[1:]) for chunk in chunks[1:]]
        if chunks[0]:
            subfields.insert(0, ("", chunks[0]))
        rows.append(FieldRow(number, tag, indicators, tuple(subfields), ""))
    return rows


def _field_lines(text: str) -> dict[tuple[str, int], int]:
    """(tag, occurrence) -> line number, for every ``=TAG`` line (occurrences from 1)."""
    seen: dict[str, int] = {}
    lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("=") and len(line) >= 4:
            tag = line[1:4]
            seen[tag] = seen.get(tag, 0) + 1
            lines[(tag, seen[tag])] = number
    return lines


def _placed(problem: Problem, lines: dict[tuple[str, int], int]) -> LineProblem:
    occurrence = problem.occurrence or (1 if problem.tag == "LDR" else 0)
    line = lines.get((problem.tag, occurrence)) if occurrence else None
    return LineProblem(line, problem.severity, _where(problem), problem.message)


def _where(problem: Problem) -> str:
    if not problem.tag:
        return "record"
    where = problem.tag
    if problem.occurrence > 1:
        where += f" #{problem.occurrence}"
    if problem.subfield:
        where += f" ${problem.subfield}"
    return where
