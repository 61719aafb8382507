"""Routing rules: in number order, first match wins, chains stop at a loop or at a move the
workflow refuses."""

from __future__ import annotations

import pytest

from shelfnet.ill.model import ClearedState, Patron, PatronStatus, ProcessType
from shelfnet.ill.routing import (
    Condition,
    Field,
    Hop,
    Operator,
    RoutingRule,
    facts,
    route,
)
from shelfnet.ill.workflow import Status
from tests.unit.ill.factories import article, transaction

B, D = ProcessType.BORROWING, ProcessType.DOCUMENT_DELIVERY
ARP = Status.AWAITING_REQUEST_PROCESSING
RIP = Status.REQUEST_IN_PROCESSING
FACULTY = Patron("ann", status=PatronStatus.FACULTY, department="History of Art")
FACTS = facts(transaction(citation=article("Journal of Art", "1234-5678")), FACULTY)


def rule(number: int, *conditions: Condition, **changes: object) -> RoutingRule:
    settings: dict[str, object] = {"status": ARP, "new_status": RIP, **changes}
    return RoutingRule(number, conditions=conditions, **settings)  # type: ignore[arg-type]


def test_no_rules_no_moves() -> None:
    routed = route(B, ARP, FACTS, [])
    assert routed.hops == () and not routed.loop and routed.refused is None


def test_rules_are_tried_in_number_order_and_the_first_match_wins() -> None:
    to_docdel = rule(
        20, new_process_type=D, new_status=Status.AWAITING_DOCUMENT_DELIVERY_PROCESSING
    )
    routed = route(B, ARP, FACTS, [to_docdel, rule(10)])
    assert routed.hops == (Hop(10, B, ARP, B, RIP),)


def test_a_rule_watches_only_its_status() -> None:
    assert route(B, RIP, FACTS, [rule(1)]).hops == ()


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (Condition(Field.PATRON_STATUS, Operator.EQUALS, "FACULTY"), True),
        (Condition(Field.PATRON_STATUS, Operator.NOT_EQUALS, "faculty"), False),
        (Condition(Field.PATRON_DEPARTMENT, Operator.CONTAINS, "art"), True),
        (Condition(Field.PATRON_DEPARTMENT, Operator.STARTS_WITH, "history"), True),
        (Condition(Field.PATRON_DEPARTMENT, Operator.STARTS_WITH, "art"), False),
        (Condition(Field.ISBN, Operator.IS_EMPTY), True),
        (Condition(Field.ISSN, Operator.IS_EMPTY), False),
        (Condition(Field.JOURNAL_TITLE, Operator.EQUALS, "journal of art"), True),
        (Condition(Field.REQUEST_TYPE, Operator.EQUALS, "copy"), True),
        (Condition(Field.DOCUMENT_TYPE, Operator.EQUALS, "book"), False),
        (Condition(Field.PROCESS_TYPE, Operator.EQUALS, "borrowing"), True),
        (Condition(Field.SYSTEM_ID, Operator.EQUALS, "web"), True),
        (Condition(Field.CLEARED, Operator.EQUALS, "new"), True),
    ],
)
def test_conditions(condition: Condition, holds: bool) -> None:
    assert condition.holds(FACTS) is holds
    assert bool(route(B, ARP, FACTS, [rule(1, condition)]).hops) is holds


def test_all_conditions_of_a_rule_must_hold() -> None:
    yes = Condition(Field.PATRON_STATUS, Operator.EQUALS, "faculty")
    no = Condition(Field.CLEARED, Operator.EQUALS, ClearedState.BLOCKED.value)
    assert route(B, ARP, FACTS, [rule(1, yes, no)]).hops == ()


def test_a_request_without_patron_has_empty_patron_fields() -> None:
    seen = facts(transaction(), None)
    assert seen[Field.PATRON_STATUS] == "" and seen[Field.CLEARED] == ""


def test_rules_chain_and_see_the_new_process() -> None:
    rules = [
        rule(1, new_process_type=D, new_status=Status.AWAITING_DOCUMENT_DELIVERY_PROCESSING),
        rule(
            2,
            Condition(Field.PROCESS_TYPE, Operator.EQUALS, "document_delivery"),
            status=Status.AWAITING_DOCUMENT_DELIVERY_PROCESSING,
            new_status=Status.IN_DOCUMENT_DELIVERY_PROCESSING,
        ),
    ]
    routed = route(B, ARP, FACTS, rules)
    assert [hop.rule for hop in routed.hops] == [1, 2]
    assert routed.place(B, ARP) == (D, Status.IN_DOCUMENT_DELIVERY_PROCESSING)


def test_a_loop_stops_after_the_hop_limit() -> None:
    rules = [rule(1), rule(2, status=RIP, new_status=ARP)]
    routed = route(B, ARP, FACTS, rules, max_hops=5)
    assert routed.loop
    assert [hop.rule for hop in routed.hops] == [1, 2, 1, 2, 1]
    assert routed.place(B, ARP) == (B, RIP)


def test_a_rule_making_a_refused_move_is_reported_not_applied() -> None:
    rules = [rule(1, new_status=Status.REQUEST_FINISHED), rule(2)]
    routed = route(B, ARP, FACTS, rules)
    assert routed.hops == ()
    assert routed.refused is not None
    number, sentence = routed.refused
    assert number == 1 and '"Request Finished"' in sentence


def test_inactive_rules_are_skipped() -> None:
    assert route(B, ARP, FACTS, [rule(1, active=False)]).hops == ()


def test_a_rule_must_change_something() -> None:
    with pytest.raises(ValueError, match="neither"):
        RoutingRule(1, ARP)
