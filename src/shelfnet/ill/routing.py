"""Routing rules: moving a transaction on as soon as it enters a status.

A rule names the status it watches, conditions on the request and its patron, and where to
send the transaction (a new status, a new process type, or both). Rules are tried in order
of their number; the first whose status and conditions match wins. Routing runs after every
status change, creation included, and again after each move it makes, so rules can chain;
the chain stops after ``MAX_HOPS`` moves (a loop), or at a rule whose move the workflow
refuses, which is reported and not made. ``route`` decides; the store applies and records.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shelfnet.ill.model import Patron, ProcessType, Transaction
from shelfnet.ill.workflow import Status, TransitionRefused, check_transition

MAX_HOPS = 10


class Field(enum.Enum):
    """What a condition looks at. Enumerations compare by their stored value
    (``borrowing``, ``copy``, ``faculty``, ...)."""

    PROCESS_TYPE = "process_type"
    REQUEST_TYPE = "request_type"
    DOCUMENT_TYPE = "document_type"
    SYSTEM_ID = "system_id"
    JOURNAL_TITLE = "journal_title"
    ISSN = "issn"
    ISBN = "isbn"
    PATRON_STATUS = "patron_status"
    PATRON_DEPARTMENT = "patron_department"
    CLEARED = "cleared"
    """The patron's cleared state."""


class Operator(enum.Enum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_EMPTY = "is_empty"


@dataclass(frozen=True)
class Condition:
    field: Field
    operator: Operator
    value: str = ""
    """Compared without regard to case; unused by ``is_empty``."""

    def holds(self, facts: Mapping[Field, str]) -> bool:
        have = facts.get(self.field, "").casefold()
        want = self.value.casefold()
        match self.operator:
            case Operator.EQUALS:
                return have == want
            case Operator.NOT_EQUALS:
                return have != want
            case Operator.CONTAINS:
                return want in have
            case Operator.STARTS_WITH:
                return have.startswith(want)
            case Operator.IS_EMPTY:
                return not have.strip()


@dataclass(frozen=True)
class RoutingRule:
    number: int
    """Order of trial, and the rule's name."""
    status: Status
    """The status just entered that the rule watches."""
    conditions: tuple[Condition, ...] = ()
    """All must hold."""
    new_status: Status | None = None
    new_process_type: ProcessType | None = None
    description: str = ""
    active: bool = True

    def __post_init__(self) -> None:
        if self.new_status is None and self.new_process_type is None:
            raise ValueError(f"routing rule {self.number} sets neither a status nor a process")

    def matches(self, status: Status, facts: Mapping[Field, str]) -> bool:
        return (
            self.active
            and status is self.status
            and all(condition.holds(facts) for condition in self.conditions)
        )


def facts(transaction: Transaction, patron: Patron | None) -> dict[Field, str]:
    """What routing conditions see of a transaction and its patron."""
    citation = transaction.citation
    return {
        Field.PROCESS_TYPE: transaction.process_type.value,
        Field.REQUEST_TYPE: transaction.request_type.value,
        Field.DOCUMENT_TYPE: transaction.document_type.value,
        Field.SYSTEM_ID: transaction.system_id.value,
        Field.JOURNAL_TITLE: citation.journal_title,
        Field.ISSN: citation.issn,
        Field.ISBN: citation.isbn,
        Field.PATRON_STATUS: patron.status.value if patron else "",
        Field.PATRON_DEPARTMENT: patron.department if patron else "",
        Field.CLEARED: patron.cleared.value if patron else "",
    }


@dataclass(frozen=True)
class Hop:
    """One move a rule made."""

    rule: int
    from_process: ProcessType
    from_status: Status
    to_process: ProcessType
    to_status: Status


@dataclass(frozen=True)
class Routed:
    """What routing did: the moves, and why it stopped if not for want of a matching rule."""

    hops: tuple[Hop, ...] = ()
    refused: tuple[int, str] | None = None
    """The rule whose move the workflow refuses, with the workflow's sentence."""
    loop: bool = False
    """Stopped after ``MAX_HOPS`` moves."""

    def place(self, process: ProcessType, status: Status) -> tuple[ProcessType, Status]:
        """Where the transaction ends up, starting from (process, status)."""
        if not self.hops:
            return process, status
        return self.hops[-1].to_process, self.hops[-1].to_status


def route(
    process: ProcessType,
    status: Status,
    facts: Mapping[Field, str],
    rules: Sequence[RoutingRule],
    *,
    max_hops: int = MAX_HOPS,
) -> Routed:
    """Follow the first matching rule from (process, status), then from where it leads, until
    no rule matches, a move is refused, or ``max_hops`` moves were made."""
    ordered = sorted(rules, key=lambda rule: rule.number)
    hops: list[Hop] = []
    seen = dict(facts)
    while True:
        seen[Field.PROCESS_TYPE] = process.value
        rule = next((rule for rule in ordered if rule.matches(status, seen)), None)
        if rule is None:
            return Routed(tuple(hops))
        if len(hops) >= max_hops:
            return Routed(tuple(hops), loop=True)
        to_process = rule.new_process_type or process
        to_status = rule.new_status or status
        try:
            check_transition(process, status, to_status, to_process)
        except TransitionRefused as refused:
            return Routed(tuple(hops), refused=(rule.number, str(refused)))
        hops.append(Hop(rule.number, process, status, to_process, to_status))
        process, status = to_process, to_status
