"""The ISO 10161-1 state tables: which APDU may be sent or received in which transaction state.

A transaction has a state at each end. The tables here are written from the responder's end
(``RESPONDER_TABLE``); the requester's end is the same table seen from the other side of the
wire (``REQUESTER_TABLE``: what the responder sends, the requester receives, and its
IN-PROCESS state is called PENDING). Where the next state depends on the APDU's content
(ILL-Answer's transaction-results, the answer of Conditional-Reply, Cancel-Reply and
Renew-Answer) the table names a ``Rule`` that looks at it.

Message, Status-Query and Status-Or-Error-Report are allowed in every state but IDLE and
change nothing; Damaged is allowed once the item has been shipped. Anything else not in the
table is refused with the standard's Provider-Error-Report ``state-transition-prohibited``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shelfnet.ill.protocols.isoill.apdus import (
    Apdu,
    ApduType,
    CancelReply,
    ConditionalReply,
    CurrentState,
    IllAnswer,
    RenewAnswer,
    TransactionResults,
)


class Role(enum.Enum):
    REQUESTER = "requester"
    RESPONDER = "responder"


class Direction(enum.Enum):
    SEND = "send"
    RECEIVE = "receive"

    @property
    def opposite(self) -> Direction:
        return Direction.RECEIVE if self is Direction.SEND else Direction.SEND


class State(enum.Enum):
    """Transaction states of both ends (the requester has PENDING where the responder has
    IN-PROCESS, and no FORWARD)."""

    IDLE = "idle"
    PENDING = "pending"
    IN_PROCESS = "in-process"
    FORWARD = "forward"
    CONDITIONAL = "conditional"
    CANCEL_PENDING = "cancel-pending"
    CANCELLED = "cancelled"
    NOT_SUPPLIED = "not-supplied"
    SHIPPED = "shipped"
    RECEIVED = "received"
    RENEW_PENDING = "renew-pending"
    OVERDUE = "overdue"
    RECALL = "recall"
    RETURNED = "returned"
    LOST = "lost"
    CHECKED_IN = "checked-in"

    @property
    def current_state(self) -> CurrentState:
        """The Current-State a Status-Report or error report gives for this state."""
        return _CURRENT_STATE.get(self, CurrentState.UNKNOWN)


_CURRENT_STATE = {
    State.PENDING: CurrentState.PENDING,
    State.IN_PROCESS: CurrentState.IN_PROCESS,
    State.FORWARD: CurrentState.FORWARD,
    State.CONDITIONAL: CurrentState.CONDITIONAL,
    State.CANCEL_PENDING: CurrentState.CANCEL_PENDING,
    State.CANCELLED: CurrentState.CANCELLED,
    State.NOT_SUPPLIED: CurrentState.NOT_SUPPLIED,
    State.SHIPPED: CurrentState.SHIPPED,
    State.RECEIVED: CurrentState.RECEIVED,
    State.RENEW_PENDING: CurrentState.RENEW_PENDING,
    State.OVERDUE: CurrentState.OVERDUE,
    State.RECALL: CurrentState.RECALL,
    State.RETURNED: CurrentState.RETURNED,
    State.LOST: CurrentState.LOST,
    State.CHECKED_IN: CurrentState.CHECKED_IN,
}

Rule = Callable[[Apdu, State], State]
"""Next state from the APDU's content and the state before the last one (for answers that
return the transaction to where it was)."""
Next = State | Rule


def _answer_rule(apdu: Apdu, _previous: State) -> State:
    assert isinstance(apdu, IllAnswer)
    if apdu.transaction_results is TransactionResults.CONDITIONAL:
        return State.CONDITIONAL
    if apdu.transaction_results in (
        TransactionResults.RETRY,
        TransactionResults.UNFILLED,
        TransactionResults.LOCATIONS_PROVIDED,
    ):
        return State.NOT_SUPPLIED
    return State.IN_PROCESS  # will-supply, hold-placed, estimate: still being worked on


def _conditional_reply_rule(apdu: Apdu, _previous: State) -> State:
    assert isinstance(apdu, ConditionalReply)
    return State.IN_PROCESS if apdu.answer else State.NOT_SUPPLIED


def _cancel_reply_rule(apdu: Apdu, previous: State) -> State:
    assert isinstance(apdu, CancelReply)
    return State.CANCELLED if apdu.answer else previous


def _renew_answer_rule(_apdu: Apdu, previous: State) -> State:
    assert isinstance(_apdu, RenewAnswer)
    return previous  # renewed or not, the item is where it was; the due date says the rest


S, R = Direction.SEND, Direction.RECEIVE
T = ApduType

_LOAN_OUT: Mapping[tuple[Direction, ApduType], Next] = {
    (R, T.RETURNED): State.RETURNED,
    (R, T.RENEW): State.RENEW_PENDING,
    (S, T.RECALL): State.RECALL,
    (S, T.OVERDUE): State.OVERDUE,
    (R, T.LOST): State.LOST,
    (S, T.LOST): State.LOST,
}
"""What may happen while the item is with the requester."""

RESPONDER_TABLE: Mapping[State, Mapping[tuple[Direction, ApduType], Next]] = {
    State.IDLE: {(R, T.ILL_REQUEST): State.IN_PROCESS},
    State.IN_PROCESS: {
        (S, T.ILL_ANSWER): _answer_rule,
        (S, T.SHIPPED): State.SHIPPED,
        (S, T.FORWARD_NOTIFICATION): State.FORWARD,
        (S, T.EXPIRED): State.NOT_SUPPLIED,
        (R, T.CANCEL): State.CANCEL_PENDING,
        (R, T.RECEIVED): State.RECEIVED,  # the Shipped may still be on its way
    },
    State.CONDITIONAL: {
        (R, T.CONDITIONAL_REPLY): _conditional_reply_rule,
        (R, T.CANCEL): State.CANCEL_PENDING,
        (S, T.EXPIRED): State.NOT_SUPPLIED,
    },
    State.CANCEL_PENDING: {
        (S, T.CANCEL_REPLY): _cancel_reply_rule,
        (S, T.SHIPPED): State.SHIPPED,  # shipped before the Cancel arrived
    },
    State.FORWARD: {},
    State.CANCELLED: {},
    State.NOT_SUPPLIED: {},
    State.SHIPPED: {**_LOAN_OUT, (R, T.RECEIVED): State.RECEIVED},
    State.RECEIVED: dict(_LOAN_OUT),
    State.RENEW_PENDING: {
        (S, T.RENEW_ANSWER): _renew_answer_rule,
        (S, T.RECALL): State.RECALL,
        (R, T.RETURNED): State.RETURNED,
        (R, T.LOST): State.LOST,
        (S, T.LOST): State.LOST,
    },
    State.OVERDUE: {
        (R, T.RENEW): State.RENEW_PENDING,
        (R, T.RETURNED): State.RETURNED,
        (S, T.RECALL): State.RECALL,
        (R, T.LOST): State.LOST,
        (S, T.LOST): State.LOST,
    },
    State.RECALL: {
        (R, T.RETURNED): State.RETURNED,
        (S, T.OVERDUE): State.RECALL,
        (R, T.LOST): State.LOST,
        (S, T.LOST): State.LOST,
    },
    State.RETURNED: {(S, T.CHECKED_IN): State.CHECKED_IN, (S, T.LOST): State.LOST},
    State.LOST: {},
    State.CHECKED_IN: {},
}


def _requester_view(
    table: Mapping[State, Mapping[tuple[Direction, ApduType], Next]],
) -> dict[State, dict[tuple[Direction, ApduType], Next]]:
    def rename(state: State) -> State:
        return State.PENDING if state is State.IN_PROCESS else state

    def flip(target: Next) -> Next:
        if isinstance(target, State):
            return rename(target)
        return lambda apdu, previous: rename(target(apdu, previous))

    view: dict[State, dict[tuple[Direction, ApduType], Next]] = {}
    for state, moves in table.items():
        if state is State.FORWARD:
            continue  # a requester is told of a forward and keeps waiting
        view[rename(state)] = {
            (direction.opposite, kind): flip(target) for (direction, kind), target in moves.items()
        }
    view[State.PENDING][(R, T.FORWARD_NOTIFICATION)] = State.PENDING
    return view


REQUESTER_TABLE = _requester_view(RESPONDER_TABLE)

ANY_STATE = frozenset({T.MESSAGE, T.STATUS_QUERY, T.STATUS_OR_ERROR_REPORT})
"""Allowed in every state but IDLE, in both directions, without changing it."""
AFTER_SHIPPING = frozenset(
    {
        State.SHIPPED,
        State.RECEIVED,
        State.RENEW_PENDING,
        State.OVERDUE,
        State.RECALL,
        State.RETURNED,
        State.CHECKED_IN,
    }
)
"""States in which Damaged may be reported."""


@dataclass(frozen=True)
class Verdict:
    """Whether an APDU is allowed, and the state it leads to."""

    allowed: bool
    state: State


def table_for(role: Role) -> Mapping[State, Mapping[tuple[Direction, ApduType], Next]]:
    return RESPONDER_TABLE if role is Role.RESPONDER else REQUESTER_TABLE


def transition(
    role: Role, state: State, direction: Direction, apdu: Apdu, previous: State = State.IDLE
) -> Verdict:
    """The verdict of the state table on ``apdu`` going ``direction`` in ``state``."""
    kind = apdu.TYPE
    if kind in ANY_STATE:
        # A Status-Or-Error-Report may answer anything, even an unknown transaction.
        allowed = state is not State.IDLE or kind is T.STATUS_OR_ERROR_REPORT
        return Verdict(allowed, state)
    if kind is T.DAMAGED:
        return Verdict(state in AFTER_SHIPPING, state)
    target = table_for(role).get(state, {}).get((direction, kind))
    if target is None:
        return Verdict(False, state)
    if isinstance(target, State):
        return Verdict(True, target)
    return Verdict(True, target(apdu, previous))


def allowed_apdus(role: Role, state: State, direction: Direction) -> frozenset[ApduType]:
    """Every APDU type the table allows in ``state`` (for documentation and tests)."""
    kinds = {kind for (way, kind) in table_for(role).get(state, {}) if way is direction}
    if state is not State.IDLE:
        kinds |= ANY_STATE
    if state in AFTER_SHIPPING:
        kinds.add(T.DAMAGED)
    return frozenset(kinds)
