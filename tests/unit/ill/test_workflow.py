"""The workflow: which statuses each process has, which moves are allowed (all of them, and
all the others refused), what staff actions do, and soft locks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfnet.ill.model import ProcessType, SoftLock
from shelfnet.ill.workflow import (
    ACTIONS,
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    Action,
    Locked,
    Status,
    TransitionRefused,
    action_target,
    allowed,
    available_actions,
    check_lock,
    check_transition,
    lock_expired,
    next_lender,
)

B, L, D = ProcessType.BORROWING, ProcessType.LENDING, ProcessType.DOCUMENT_DELIVERY
PLACES = [(process, status) for process in ProcessType for status in sorted(
    allowed(process), key=lambda status: status.value)]  # fmt: skip
Place = tuple[ProcessType, Status]
Move = tuple[Place, Place]


def _id(move: Move) -> str:
    (p1, s1), (p2, s2) = move
    return f"{p1.value}:{s1.value}->{p2.value}:{s2.value}"


ALLOWED = sorted(
    ((source, target) for source, targets in TRANSITIONS.items() for target in targets), key=_id
)
REFUSED = [
    (source, target) for source in PLACES for target in PLACES if (source, target) not in ALLOWED
]


def test_every_status_belongs_to_a_process_and_has_a_display_name() -> None:
    for status in Status:
        assert status.process_types
        assert status.display and status.display[0].isupper()
    assert Status.CUSTOMER_NOTIFIED_VIA_EMAIL.display == "Customer Notified via E-Mail"
    assert Status.CANCELLED_BY_ILL_STAFF.display == "Cancelled by ILL Staff"
    assert Status.REQUEST_IN_PROCESSING.display == "Request In Processing"


def test_the_table_only_names_statuses_of_their_processes() -> None:
    for (process, status), targets in TRANSITIONS.items():
        assert process in status.process_types
        assert not status.terminal
        for target_process, target in targets:
            assert target_process in target.process_types
    for process, status in INITIAL.items():
        assert status in allowed(process)


def test_every_status_is_reachable_from_the_start() -> None:
    reached = set(INITIAL.items())
    frontier = list(reached)
    while frontier:
        for target in TRANSITIONS.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(PLACES)


def test_nothing_leaves_a_terminal_status() -> None:
    for process, status in PLACES:
        if status in TERMINAL:
            assert (process, status) not in TRANSITIONS


@pytest.mark.parametrize("move", ALLOWED, ids=_id)
def test_an_allowed_transition_passes(move: Move) -> None:
    (process, source), (to_process, target) = move
    check_transition(process, source, target, to_process)


@pytest.mark.parametrize("move", REFUSED, ids=_id)
def test_any_other_transition_is_refused(move: Move) -> None:
    (process, source), (to_process, target) = move
    with pytest.raises(TransitionRefused) as refused:
        check_transition(process, source, target, to_process)
    sentence = str(refused.value)
    assert source.display in sentence and target.display in sentence
    assert sentence.endswith(".")


def test_a_refusal_reads_as_a_sentence() -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(B, Status.REQUEST_FINISHED, Status.REQUEST_SENT)
    assert str(refused.value) == (
        'A borrowing request in "Request Finished" cannot go to "Request Sent".'
    )
    with pytest.raises(TransitionRefused, match='"Item Shipped" in lending'):
        check_transition(B, Status.AWAITING_REQUEST_PROCESSING, Status.ITEM_SHIPPED, L)


@pytest.mark.parametrize(("action", "process"), list(ACTIONS), ids=lambda v: v.value)
def test_every_action_moves_along_an_allowed_transition(
    action: Action, process: ProcessType
) -> None:
    moves = ACTIONS[(action, process)]
    assert moves
    for source, target in moves.items():
        check_transition(process, source, target)
        assert action_target(process, source, action) is target
        assert action in available_actions(process, source)


def test_an_action_not_offered_is_refused() -> None:
    with pytest.raises(TransitionRefused, match='"Check out" is not possible'):
        action_target(L, Status.ITEM_SHIPPED, Action.CHECK_OUT)
    assert available_actions(B, Status.REQUEST_FINISHED) == []
    assert Action.SEND_REQUEST in available_actions(B, Status.AWAITING_REQUEST_PROCESSING)


def test_every_non_terminal_status_offers_an_action() -> None:
    for process, status in PLACES:
        if status not in TERMINAL:
            assert available_actions(process, status), (process, status)


@given(st.sampled_from(list(ProcessType)), st.lists(st.sampled_from(list(Action)), max_size=40))
def test_actions_never_leave_the_process_statuses(
    process: ProcessType, actions: list[Action]
) -> None:
    status = INITIAL[process]
    for action in actions:
        try:
            target = action_target(process, status, action)
        except TransitionRefused:
            continue
        check_transition(process, status, target)
        status = target
        assert status in allowed(process)


def test_next_lender_walks_the_lender_string() -> None:
    lenders = ("US-CST", "US-MH", "US-NIC")
    assert next_lender(lenders, None) == "US-CST"
    assert next_lender(lenders, "US-CST") == "US-MH"
    assert next_lender(lenders, "US-NIC") is None
    assert next_lender(lenders, "ELSEWHERE") == "US-CST"
    assert next_lender((), None) is None


NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_soft_lock_keeps_others_out_until_it_expires() -> None:
    lock = SoftLock("ann", NOON)
    check_lock(lock, "ann", NOON + timedelta(minutes=5), minutes=30)
    check_lock(None, "bob", NOON)
    with pytest.raises(Locked, match="ann has had this transaction open since 2024-05-01 12:00"):
        check_lock(lock, "bob", NOON + timedelta(minutes=29), minutes=30)
    check_lock(lock, "bob", NOON + timedelta(minutes=29), minutes=30, force=True)
    check_lock(lock, "bob", NOON + timedelta(minutes=30), minutes=30)
    assert lock_expired(lock, NOON + timedelta(minutes=30), 30)
    assert not lock_expired(lock, NOON + timedelta(minutes=29, seconds=59), 30)
