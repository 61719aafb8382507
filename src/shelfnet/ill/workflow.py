"""Statuses (queues), the transitions allowed between them, staff actions and soft locks.

A status is also a queue: staff work through "Awaiting Request Processing" and so on. The
names are ILLiad's, which ILL staff know. Some statuses belong to more than one process
("Request Finished", "In Stacks Searching"); a status with its process type says where a
transaction is.

Every allowed move is in one table, ``TRANSITIONS``: from (process, status) to
(process, status). Most moves stay in one process; a few send a request to another one
(a borrowing request for something on our own shelves goes to document delivery).
``check_transition`` is the only place that decides. Nothing here reads the clock: callers
pass ``now``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from shelfnet.ill.model import ProcessType, SoftLock

B = ProcessType.BORROWING
L = ProcessType.LENDING
D = ProcessType.DOCUMENT_DELIVERY


class Status(enum.Enum):
    """A status, stored by its code; ``display`` is the name staff see."""

    # Borrowing
    AWAITING_REQUEST_PROCESSING = "awaiting_request_processing"
    REQUEST_IN_PROCESSING = "request_in_processing"
    AWAITING_COPYRIGHT_CLEARANCE = "awaiting_copyright_clearance"
    REQUEST_SENT = "request_sent"
    AWAITING_UNFILLED_PROCESSING = "awaiting_unfilled_processing"
    AWAITING_CONDITIONAL_REQUEST_PROCESSING = "awaiting_conditional_request_processing"
    AWAITING_POST_RECEIPT_PROCESSING = "awaiting_post_receipt_processing"
    CUSTOMER_NOTIFIED_VIA_EMAIL = "customer_notified_via_email"
    CHECKED_OUT_TO_CUSTOMER = "checked_out_to_customer"
    RENEWAL_REQUESTED_BY_CUSTOMER = "renewal_requested_by_customer"
    AWAITING_RETURN_PROCESSING = "awaiting_return_processing"
    AWAITING_RETURN_LABEL_PRINTING = "awaiting_return_label_printing"
    # Lending
    AWAITING_LENDING_REQUEST_PROCESSING = "awaiting_lending_request_processing"
    AWAITING_STACKS_SEARCHING = "awaiting_stacks_searching"
    REQUEST_CONDITIONALIZED = "request_conditionalized"
    ITEM_SHIPPED = "item_shipped"
    AWAITING_LENDING_RENEWAL_PROCESSING = "awaiting_lending_renewal_processing"
    # Document delivery
    AWAITING_DOCUMENT_DELIVERY_PROCESSING = "awaiting_document_delivery_processing"
    IN_DOCUMENT_DELIVERY_PROCESSING = "in_document_delivery_processing"
    # Shared
    IN_STACKS_SEARCHING = "in_stacks_searching"
    DELIVERED_TO_WEB = "delivered_to_web"
    REQUEST_FINISHED = "request_finished"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    CANCELLED_BY_ILL_STAFF = "cancelled_by_ill_staff"

    @property
    def display(self) -> str:
        return _DISPLAY.get(self, self.value.replace("_", " ").title().replace(" By ", " by "))

    @property
    def process_types(self) -> frozenset[ProcessType]:
        return STATUS_PROCESSES[self]

    @property
    def terminal(self) -> bool:
        """Finished or cancelled: no way out."""
        return self in TERMINAL


_DISPLAY = {
    Status.REQUEST_IN_PROCESSING: "Request In Processing",
    Status.CUSTOMER_NOTIFIED_VIA_EMAIL: "Customer Notified via E-Mail",
    Status.CHECKED_OUT_TO_CUSTOMER: "Checked Out to Customer",
    Status.DELIVERED_TO_WEB: "Delivered to Web",
    Status.CANCELLED_BY_ILL_STAFF: "Cancelled by ILL Staff",
    Status.IN_STACKS_SEARCHING: "In Stacks Searching",
}

S = Status

STATUS_PROCESSES: Mapping[Status, frozenset[ProcessType]] = {
    **{
        status: frozenset({B})
        for status in (
            S.AWAITING_REQUEST_PROCESSING,
            S.REQUEST_IN_PROCESSING,
            S.AWAITING_COPYRIGHT_CLEARANCE,
            S.REQUEST_SENT,
            S.AWAITING_UNFILLED_PROCESSING,
            S.AWAITING_CONDITIONAL_REQUEST_PROCESSING,
            S.AWAITING_POST_RECEIPT_PROCESSING,
            S.CUSTOMER_NOTIFIED_VIA_EMAIL,
            S.CHECKED_OUT_TO_CUSTOMER,
            S.RENEWAL_REQUESTED_BY_CUSTOMER,
            S.AWAITING_RETURN_PROCESSING,
            S.AWAITING_RETURN_LABEL_PRINTING,
        )
    },
    **{
        status: frozenset({L})
        for status in (
            S.AWAITING_LENDING_REQUEST_PROCESSING,
            S.AWAITING_STACKS_SEARCHING,
            S.REQUEST_CONDITIONALIZED,
            S.ITEM_SHIPPED,
            S.AWAITING_LENDING_RENEWAL_PROCESSING,
        )
    },
    S.AWAITING_DOCUMENT_DELIVERY_PROCESSING: frozenset({D}),
    S.IN_DOCUMENT_DELIVERY_PROCESSING: frozenset({D}),
    S.IN_STACKS_SEARCHING: frozenset({L, D}),
    S.DELIVERED_TO_WEB: frozenset({B, D}),
    S.REQUEST_FINISHED: frozenset({B, L, D}),
    S.CANCELLED_BY_CUSTOMER: frozenset({B, D}),
    S.CANCELLED_BY_ILL_STAFF: frozenset({B, L, D}),
}

INITIAL: Mapping[ProcessType, Status] = {
    B: S.AWAITING_REQUEST_PROCESSING,
    L: S.AWAITING_LENDING_REQUEST_PROCESSING,
    D: S.AWAITING_DOCUMENT_DELIVERY_PROCESSING,
}
"""Where a new transaction starts, before routing."""

TERMINAL = frozenset({S.REQUEST_FINISHED, S.CANCELLED_BY_CUSTOMER, S.CANCELLED_BY_ILL_STAFF})
CANCELLED = frozenset({S.CANCELLED_BY_CUSTOMER, S.CANCELLED_BY_ILL_STAFF})

FILLED: Mapping[ProcessType, frozenset[Status]] = {
    B: frozenset({S.AWAITING_POST_RECEIPT_PROCESSING, S.DELIVERED_TO_WEB}),
    L: frozenset({S.ITEM_SHIPPED}),
    D: frozenset({S.DELIVERED_TO_WEB}),
}
"""Entering one of these means the request was filled (for reports: turnaround, fill rate)."""

Place = tuple[ProcessType, Status]


def _moves(
    process: ProcessType, table: Mapping[Status, Iterable[Status | Place]]
) -> dict[Place, frozenset[Place]]:
    return {
        (process, source): frozenset(
            target if isinstance(target, tuple) else (process, target) for target in targets
        )
        for source, targets in table.items()
    }


_STAFF_CANCEL = S.CANCELLED_BY_ILL_STAFF
_CUSTOMER_CANCEL = S.CANCELLED_BY_CUSTOMER

TRANSITIONS: Mapping[Place, frozenset[Place]] = {
    **_moves(B, {
        S.AWAITING_REQUEST_PROCESSING: [
            S.REQUEST_IN_PROCESSING, S.AWAITING_COPYRIGHT_CLEARANCE, S.REQUEST_SENT,
            _STAFF_CANCEL, _CUSTOMER_CANCEL, (D, S.AWAITING_DOCUMENT_DELIVERY_PROCESSING),
        ],
        S.REQUEST_IN_PROCESSING: [
            S.AWAITING_REQUEST_PROCESSING, S.AWAITING_COPYRIGHT_CLEARANCE, S.REQUEST_SENT,
            _STAFF_CANCEL, _CUSTOMER_CANCEL, (D, S.AWAITING_DOCUMENT_DELIVERY_PROCESSING),
        ],
        S.AWAITING_COPYRIGHT_CLEARANCE: [S.REQUEST_IN_PROCESSING, _STAFF_CANCEL, _CUSTOMER_CANCEL],
        S.REQUEST_SENT: [
            S.AWAITING_UNFILLED_PROCESSING, S.AWAITING_CONDITIONAL_REQUEST_PROCESSING,
            S.AWAITING_POST_RECEIPT_PROCESSING, _STAFF_CANCEL,
        ],
        S.AWAITING_UNFILLED_PROCESSING: [S.REQUEST_SENT, S.REQUEST_IN_PROCESSING, _STAFF_CANCEL],
        S.AWAITING_CONDITIONAL_REQUEST_PROCESSING: [
            S.REQUEST_SENT, _STAFF_CANCEL, _CUSTOMER_CANCEL,
        ],
        S.AWAITING_POST_RECEIPT_PROCESSING: [S.CUSTOMER_NOTIFIED_VIA_EMAIL, S.DELIVERED_TO_WEB],
        S.CUSTOMER_NOTIFIED_VIA_EMAIL: [S.CHECKED_OUT_TO_CUSTOMER, S.AWAITING_RETURN_PROCESSING],
        S.CHECKED_OUT_TO_CUSTOMER: [
            S.RENEWAL_REQUESTED_BY_CUSTOMER, S.AWAITING_RETURN_PROCESSING,
        ],
        S.RENEWAL_REQUESTED_BY_CUSTOMER: [
            S.CHECKED_OUT_TO_CUSTOMER, S.AWAITING_RETURN_PROCESSING,
        ],
        S.AWAITING_RETURN_PROCESSING: [S.AWAITING_RETURN_LABEL_PRINTING],
        S.AWAITING_RETURN_LABEL_PRINTING: [S.REQUEST_FINISHED],
        S.DELIVERED_TO_WEB: [S.REQUEST_FINISHED],
    }),
    **_moves(L, {
        S.AWAITING_LENDING_REQUEST_PROCESSING: [
            S.AWAITING_STACKS_SEARCHING, S.REQUEST_CONDITIONALIZED, _STAFF_CANCEL,
        ],
        S.AWAITING_STACKS_SEARCHING: [S.IN_STACKS_SEARCHING, _STAFF_CANCEL],
        S.IN_STACKS_SEARCHING: [S.ITEM_SHIPPED, S.REQUEST_CONDITIONALIZED, _STAFF_CANCEL],
        S.REQUEST_CONDITIONALIZED: [S.AWAITING_LENDING_REQUEST_PROCESSING, _STAFF_CANCEL],
        S.ITEM_SHIPPED: [S.AWAITING_LENDING_RENEWAL_PROCESSING, S.REQUEST_FINISHED],
        S.AWAITING_LENDING_RENEWAL_PROCESSING: [S.ITEM_SHIPPED, S.REQUEST_FINISHED],
    }),
    **_moves(D, {
        S.AWAITING_DOCUMENT_DELIVERY_PROCESSING: [
            S.IN_DOCUMENT_DELIVERY_PROCESSING, _STAFF_CANCEL, _CUSTOMER_CANCEL,
            (B, S.AWAITING_REQUEST_PROCESSING),
        ],
        S.IN_DOCUMENT_DELIVERY_PROCESSING: [
            S.IN_STACKS_SEARCHING, S.DELIVERED_TO_WEB, _STAFF_CANCEL,
            (B, S.AWAITING_REQUEST_PROCESSING),
        ],
        S.IN_STACKS_SEARCHING: [
            S.DELIVERED_TO_WEB, _STAFF_CANCEL, (B, S.AWAITING_REQUEST_PROCESSING),
        ],
        S.DELIVERED_TO_WEB: [S.REQUEST_FINISHED],
    }),
}  # fmt: skip
"""Every allowed move: from (process, status) to (process, status). Terminal statuses have
no entry: nothing leaves them."""


class TransitionRefused(Exception):
    """A move the workflow does not allow; the message says so in a sentence."""

    def __init__(
        self,
        process_type: ProcessType,
        from_status: Status,
        to_status: Status,
        to_process: ProcessType | None = None,
        reason: str = "",
    ) -> None:
        self.process_type = process_type
        self.from_status = from_status
        self.to_status = to_status
        self.to_process = to_process or process_type
        if not reason:
            target = f'"{to_status.display}"'
            if self.to_process is not process_type:
                target += f" in {_process_name(self.to_process)}"
            reason = (
                f'A {_process_name(process_type)} request in "{from_status.display}" '
                f"cannot go to {target}."
            )
        super().__init__(reason)


def _process_name(process: ProcessType) -> str:
    return process.value.replace("_", " ")


def allowed(process_type: ProcessType) -> frozenset[Status]:
    """The statuses a transaction of this process may be in."""
    return frozenset(status for status in Status if process_type in status.process_types)


def check_transition(
    process_type: ProcessType,
    from_status: Status,
    to_status: Status,
    to_process: ProcessType | None = None,
) -> None:
    """Raise ``TransitionRefused`` unless the table allows the move (``to_process``: the
    process the transaction moves to, if not its own)."""
    target = (to_process or process_type, to_status)
    if target not in TRANSITIONS.get((process_type, from_status), frozenset()):
        raise TransitionRefused(process_type, from_status, to_status, to_process)


class Action(enum.Enum):
    """The buttons staff press. Each moves a transaction along one transition."""

    START_PROCESSING = "start_processing"
    SEND_REQUEST = "send_request"
    CLEAR_COPYRIGHT = "clear_copyright"
    CONDITIONALIZE = "conditionalize"
    CONDITIONS_ACCEPTED = "conditions_accepted"
    SEARCH_STACKS = "search_stacks"
    PRINT_PULL_SLIP = "print_pull_slip"
    FILL = "fill"
    CANNOT_FILL = "cannot_fill"
    MARK_RECEIVED = "mark_received"
    NOTIFY_CUSTOMER = "notify_customer"
    DELIVER_TO_WEB = "deliver_to_web"
    CHECK_OUT = "check_out"
    REQUEST_RENEWAL = "request_renewal"
    RENEW = "renew"
    CHECK_IN = "check_in"
    RETURN_TO_LENDER = "return_to_lender"
    PRINT_RETURN_LABEL = "print_return_label"
    FINISH = "finish"
    CANCEL = "cancel"
    CANCEL_BY_CUSTOMER = "cancel_by_customer"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


A = Action

ACTIONS: Mapping[tuple[Action, ProcessType], Mapping[Status, Status]] = {
    (A.START_PROCESSING, B): {S.AWAITING_REQUEST_PROCESSING: S.REQUEST_IN_PROCESSING},
    (A.START_PROCESSING, D): {
        S.AWAITING_DOCUMENT_DELIVERY_PROCESSING: S.IN_DOCUMENT_DELIVERY_PROCESSING
    },
    (A.SEND_REQUEST, B): dict.fromkeys(
        (S.AWAITING_REQUEST_PROCESSING, S.REQUEST_IN_PROCESSING, S.AWAITING_UNFILLED_PROCESSING,
         S.AWAITING_CONDITIONAL_REQUEST_PROCESSING),
        S.REQUEST_SENT,
    ),
    (A.CLEAR_COPYRIGHT, B): {S.AWAITING_COPYRIGHT_CLEARANCE: S.REQUEST_IN_PROCESSING},
    (A.CONDITIONALIZE, B): {S.REQUEST_SENT: S.AWAITING_CONDITIONAL_REQUEST_PROCESSING},
    (A.CONDITIONALIZE, L): dict.fromkeys(
        (S.AWAITING_LENDING_REQUEST_PROCESSING, S.IN_STACKS_SEARCHING), S.REQUEST_CONDITIONALIZED
    ),
    (A.CONDITIONS_ACCEPTED, L): {S.REQUEST_CONDITIONALIZED: S.AWAITING_LENDING_REQUEST_PROCESSING},
    (A.SEARCH_STACKS, L): {S.AWAITING_LENDING_REQUEST_PROCESSING: S.AWAITING_STACKS_SEARCHING},
    (A.SEARCH_STACKS, D): {S.IN_DOCUMENT_DELIVERY_PROCESSING: S.IN_STACKS_SEARCHING},
    (A.PRINT_PULL_SLIP, L): {S.AWAITING_STACKS_SEARCHING: S.IN_STACKS_SEARCHING},
    (A.FILL, L): {S.IN_STACKS_SEARCHING: S.ITEM_SHIPPED},
    (A.FILL, D): dict.fromkeys(
        (S.IN_DOCUMENT_DELIVERY_PROCESSING, S.IN_STACKS_SEARCHING), S.DELIVERED_TO_WEB
    ),
    (A.CANNOT_FILL, B): {S.REQUEST_SENT: S.AWAITING_UNFILLED_PROCESSING},
    (A.CANNOT_FILL, L): dict.fromkeys(
        (S.AWAITING_LENDING_REQUEST_PROCESSING, S.AWAITING_STACKS_SEARCHING,
         S.IN_STACKS_SEARCHING, S.REQUEST_CONDITIONALIZED),
        S.CANCELLED_BY_ILL_STAFF,
    ),
    (A.CANNOT_FILL, D): dict.fromkeys(
        (S.AWAITING_DOCUMENT_DELIVERY_PROCESSING, S.IN_DOCUMENT_DELIVERY_PROCESSING,
         S.IN_STACKS_SEARCHING),
        S.CANCELLED_BY_ILL_STAFF,
    ),
    (A.MARK_RECEIVED, B): {S.REQUEST_SENT: S.AWAITING_POST_RECEIPT_PROCESSING},
    (A.NOTIFY_CUSTOMER, B): {S.AWAITING_POST_RECEIPT_PROCESSING: S.CUSTOMER_NOTIFIED_VIA_EMAIL},
    (A.DELIVER_TO_WEB, B): {S.AWAITING_POST_RECEIPT_PROCESSING: S.DELIVERED_TO_WEB},
    (A.CHECK_OUT, B): {S.CUSTOMER_NOTIFIED_VIA_EMAIL: S.CHECKED_OUT_TO_CUSTOMER},
    (A.REQUEST_RENEWAL, B): {S.CHECKED_OUT_TO_CUSTOMER: S.RENEWAL_REQUESTED_BY_CUSTOMER},
    (A.REQUEST_RENEWAL, L): {S.ITEM_SHIPPED: S.AWAITING_LENDING_RENEWAL_PROCESSING},
    (A.RENEW, B): {S.RENEWAL_REQUESTED_BY_CUSTOMER: S.CHECKED_OUT_TO_CUSTOMER},
    (A.RENEW, L): {S.AWAITING_LENDING_RENEWAL_PROCESSING: S.ITEM_SHIPPED},
    (A.CHECK_IN, B): dict.fromkeys(
        (S.CUSTOMER_NOTIFIED_VIA_EMAIL, S.CHECKED_OUT_TO_CUSTOMER,
         S.RENEWAL_REQUESTED_BY_CUSTOMER),
        S.AWAITING_RETURN_PROCESSING,
    ),
    (A.CHECK_IN, L): dict.fromkeys(
        (S.ITEM_SHIPPED, S.AWAITING_LENDING_RENEWAL_PROCESSING), S.REQUEST_FINISHED
    ),
    (A.RETURN_TO_LENDER, B): {S.AWAITING_RETURN_PROCESSING: S.AWAITING_RETURN_LABEL_PRINTING},
    (A.PRINT_RETURN_LABEL, B): {S.AWAITING_RETURN_LABEL_PRINTING: S.REQUEST_FINISHED},
    (A.FINISH, B): {S.DELIVERED_TO_WEB: S.REQUEST_FINISHED},
    (A.FINISH, L): {S.ITEM_SHIPPED: S.REQUEST_FINISHED},
    (A.FINISH, D): {S.DELIVERED_TO_WEB: S.REQUEST_FINISHED},
    (A.CANCEL, B): dict.fromkeys(
        (S.AWAITING_REQUEST_PROCESSING, S.REQUEST_IN_PROCESSING, S.AWAITING_COPYRIGHT_CLEARANCE,
         S.REQUEST_SENT, S.AWAITING_UNFILLED_PROCESSING,
         S.AWAITING_CONDITIONAL_REQUEST_PROCESSING),
        S.CANCELLED_BY_ILL_STAFF,
    ),
    (A.CANCEL, L): dict.fromkeys(
        (S.AWAITING_LENDING_REQUEST_PROCESSING, S.AWAITING_STACKS_SEARCHING,
         S.IN_STACKS_SEARCHING, S.REQUEST_CONDITIONALIZED),
        S.CANCELLED_BY_ILL_STAFF,
    ),
    (A.CANCEL, D): dict.fromkeys(
        (S.AWAITING_DOCUMENT_DELIVERY_PROCESSING, S.IN_DOCUMENT_DELIVERY_PROCESSING,
         S.IN_STACKS_SEARCHING),
        S.CANCELLED_BY_ILL_STAFF,
    ),
    (A.CANCEL_BY_CUSTOMER, B): dict.fromkeys(
        (S.AWAITING_REQUEST_PROCESSING, S.REQUEST_IN_PROCESSING, S.AWAITING_COPYRIGHT_CLEARANCE,
         S.AWAITING_CONDITIONAL_REQUEST_PROCESSING),
        S.CANCELLED_BY_CUSTOMER,
    ),
    (A.CANCEL_BY_CUSTOMER, D): {S.AWAITING_DOCUMENT_DELIVERY_PROCESSING: S.CANCELLED_BY_CUSTOMER},
}  # fmt: skip
"""For each action and process: from which statuses it may be pressed, and where it goes.
Every move here is also in ``TRANSITIONS`` (a test checks)."""


def action_target(process_type: ProcessType, status: Status, action: Action) -> Status:
    """Where the action takes a transaction in this status; ``TransitionRefused`` when the
    action is not offered there."""
    target = ACTIONS.get((action, process_type), {}).get(status)
    if target is None:
        raise TransitionRefused(
            process_type,
            status,
            status,
            reason=f'"{action.label}" is not possible for a {_process_name(process_type)} '
            f'request in "{status.display}".',
        )
    return target


def available_actions(process_type: ProcessType, status: Status) -> list[Action]:
    """The buttons to show for a transaction, in ``Action`` order."""
    return [action for action in Action if status in ACTIONS.get((action, process_type), {})]


class LenderStringExhausted(TransitionRefused):
    pass


def next_lender(lender_string: Iterable[str], current: str | None) -> str | None:
    """The lender after ``current`` in the lender string (the first when none was tried);
    None when the string is empty or every lender in it was tried."""
    lenders = list(lender_string)
    position = lenders.index(current) + 1 if current in lenders else 0
    return lenders[position] if position < len(lenders) else None


# Soft locks


class Locked(Exception):
    """Someone else has the transaction open."""

    def __init__(self, lock: SoftLock) -> None:
        super().__init__(
            f"{lock.holder} has had this transaction open since "
            f"{lock.taken:%Y-%m-%d %H:%M} UTC; changes need their lock released or forced."
        )
        self.lock = lock


DEFAULT_LOCK_MINUTES = 30


def lock_expired(lock: SoftLock, now: datetime, minutes: float = DEFAULT_LOCK_MINUTES) -> bool:
    return now - lock.taken >= timedelta(minutes=minutes)


def check_lock(
    lock: SoftLock | None,
    user: str,
    now: datetime,
    *,
    minutes: float = DEFAULT_LOCK_MINUTES,
    force: bool = False,
) -> None:
    """Raise ``Locked`` when ``user`` may not change a transaction: someone else holds a lock
    that has not expired, and ``user`` does not force it."""
    if lock is None or force or lock.holder == user or lock_expired(lock, now, minutes):
        return
    raise Locked(lock)
