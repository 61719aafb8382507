"""Which status change sends which message: one table, ``RULES``.

A rule matches a history line by the transaction's process, the status entered, optionally
the status left, the request type, and whether the change was made by an incoming message
(``by_partner``: the history line's ``by`` is the messaging user). The first match wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfnet.ill.messaging.model import MessageKind, Outgoing
from shelfnet.ill.model import ProcessType, RequestType
from shelfnet.ill.workflow import Action, Status

B = ProcessType.BORROWING
L = ProcessType.LENDING
S = Status
K = MessageKind


@dataclass(frozen=True)
class Rule:
    process: ProcessType
    to: Status
    kind: MessageKind
    from_: frozenset[Status] | None = None
    request_type: RequestType | None = None
    by_partner: bool | None = None


RULES: tuple[Rule, ...] = (
    # Borrowing: we are the requester.
    Rule(B, S.REQUEST_SENT, K.CONDITIONS_ACCEPTED,
         frozenset({S.AWAITING_CONDITIONAL_REQUEST_PROCESSING})),
    Rule(B, S.REQUEST_SENT, K.REQUEST, by_partner=False),
    Rule(B, S.CANCELLED_BY_ILL_STAFF, K.CONDITIONS_REFUSED,
         frozenset({S.AWAITING_CONDITIONAL_REQUEST_PROCESSING}), by_partner=False),
    Rule(B, S.CANCELLED_BY_CUSTOMER, K.CONDITIONS_REFUSED,
         frozenset({S.AWAITING_CONDITIONAL_REQUEST_PROCESSING}), by_partner=False),
    Rule(B, S.CANCELLED_BY_ILL_STAFF, K.CANCEL, frozenset({S.REQUEST_SENT}), by_partner=False),
    Rule(B, S.AWAITING_POST_RECEIPT_PROCESSING, K.RECEIVED, frozenset({S.REQUEST_SENT})),
    Rule(B, S.AWAITING_RETURN_LABEL_PRINTING, K.RETURNED, request_type=RequestType.LOAN),
    Rule(B, S.RENEWAL_REQUESTED_BY_CUSTOMER, K.RENEW, by_partner=False),
    # Lending: we are the responder.
    Rule(L, S.ITEM_SHIPPED, K.SHIPPED, frozenset({S.IN_STACKS_SEARCHING})),
    Rule(L, S.ITEM_SHIPPED, K.RENEW_ANSWER, frozenset({S.AWAITING_LENDING_RENEWAL_PROCESSING}),
         by_partner=False),
    Rule(L, S.CANCELLED_BY_ILL_STAFF, K.CANCEL_REPLY, by_partner=True),
    Rule(L, S.CANCELLED_BY_ILL_STAFF, K.UNFILLED, by_partner=False),
    Rule(L, S.REQUEST_CONDITIONALIZED, K.CONDITIONAL, by_partner=False),
    Rule(L, S.REQUEST_FINISHED, K.CHECKED_IN, request_type=RequestType.LOAN, by_partner=False),
)  # fmt: skip
"""Borrowing: Request Sent -> ILL-Request (Conditional-Reply yes after conditions); Mark
received -> Received; Return to lender -> Returned; Cancel while Request Sent -> Cancel;
Request renewal -> Renew. Lending: Fill -> Shipped; Renew -> Renew-Answer; Cannot fill (or
Cancel) -> ILL-Answer unfilled; Conditionalize -> ILL-Answer conditional; Check in (a loan)
-> Checked-In; a partner's Cancel that cancelled the request -> Cancel-Reply yes."""

_LABELS = frozenset(action.label for action in Action)


def outgoing_for(
    process: ProcessType,
    from_status: Status | None,
    to_status: Status,
    request_type: RequestType,
    *,
    by_partner: bool,
    note: str = "",
) -> Outgoing | None:
    """The message a status change sends, if any."""
    if from_status is None:
        return None
    for rule in RULES:
        if rule.process is not process or rule.to is not to_status:
            continue
        if rule.from_ is not None and from_status not in rule.from_:
            continue
        if rule.request_type is not None and rule.request_type is not request_type:
            continue
        if rule.by_partner is not None and rule.by_partner is not by_partner:
            continue
        return Outgoing(rule.kind, "" if note in _LABELS else note)
    return None
