"""Notice templates and what they are made from. Plain values; no I/O.

A template belongs to an *event* and a request type. The event is a status the transaction
has just entered (its code, e.g. ``customer_notified_via_email``), or ``overdue``: a loan
still checked out after its due date. A template may use only the variables in
``VARIABLES``; everything else is refused when it is saved.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from shelfnet.ill.model import RequestType
from shelfnet.ill.workflow import Status

OVERDUE = "overdue"
"""The event of a loan still checked out after its due date."""

REQUEST_PATH = "/ill/requests/{number}"
"""The patron's page of one request, below ``NoticeSettings.base_url``."""

VARIABLES: dict[str, str] = {
    "first_name": "the patron's first name",
    "last_name": "the patron's last name",
    "patron_name": "the patron's first and last name",
    "transaction_number": "the request's ILL number",
    "title": "what was asked for (the article's title for copies)",
    "status": "the request's status, as staff see it",
    "due_date": "the date a loan is due back (empty when there is none)",
    "days_overdue": "days since the due date (overdue notices)",
    "pickup_location": "where loans are collected",
    "library_name": "this library's name",
    "request_url": "the address of the request's page",
    "reason": "the note staff gave with the change (e.g. why it was cancelled)",
}
"""Every variable a template may use, with what it means (the editor lists them)."""


class NoticeState(enum.Enum):
    QUEUED = "queued"
    """Waiting to be sent (again, after a failure: see ``attempts`` and ``last_error``)."""
    SENT = "sent"
    FAILED = "failed"
    """The mail server refused it for good (e.g. an unknown address); retried only by staff."""
    SKIPPED = "skipped"
    """Not sent, and never will be: the patron has no e-mail address."""


def event_name(event: str) -> str:
    """An event as staff read it: the status's display name, or "Overdue"."""
    if event == OVERDUE:
        return "Overdue"
    try:
        return Status(event).display
    except ValueError:
        return event


EVENTS: tuple[str, ...] = (*(status.value for status in Status), OVERDUE)


@dataclass(frozen=True)
class NoticeTemplate:
    event: str
    request_type: RequestType
    subject: str
    body: str
    active: bool = True
    updated: datetime | None = None
    updated_by: str = ""
    id: int = 0

    @property
    def event_name(self) -> str:
        return event_name(self.event)


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice may say about one transaction and its patron."""

    transaction_id: int
    request_type: RequestType
    title: str
    status: Status
    due_date: date | None
    first_name: str
    last_name: str
    email: str
    reason: str = ""
    days_overdue: int = 0


@dataclass(frozen=True)
class Notice:
    """One notice in the outbox."""

    id: int
    template_id: int
    transaction_id: int
    recipient: str
    subject: str
    body: str
    state: NoticeState
    attempts: int
    next_attempt: datetime
    last_error: str
    created: datetime
    sent: datetime | None
    history_id: int | None = None
    overdue_round: int | None = None


_SIGNATURE = """
--
{{ library_name }} interlibrary loan
{{ request_url }}
"""

_LOAN, _COPY = RequestType.LOAN, RequestType.COPY
_ARRIVED = Status.CUSTOMER_NOTIFIED_VIA_EMAIL.value
_WEB = Status.DELIVERED_TO_WEB.value
_CANCELLED = Status.CANCELLED_BY_ILL_STAFF.value
_CHECKED_OUT = Status.CHECKED_OUT_TO_CUSTOMER.value

_CANCEL_BODY = """Dear {{ first_name }},

We are sorry: your interlibrary loan request {{ transaction_number }} for
"{{ title }}" has been cancelled.
{% if reason %}
Reason: {{ reason }}
{% endif %}
If you still need it, please contact us or place a new request.
"""

DEFAULT_TEMPLATES: tuple[NoticeTemplate, ...] = (
    NoticeTemplate(
        _ARRIVED,
        _LOAN,
        "Your book has arrived: {{ title }}",
        """Dear {{ first_name }},

The book you asked for through interlibrary loan has arrived:

  {{ title }} (request {{ transaction_number }})

Please collect it from {{ pickup_location }}.
{% if due_date %}It is due back on {{ due_date }}.
{% endif %}"""
        + _SIGNATURE,
    ),
    NoticeTemplate(
        _ARRIVED,
        _COPY,
        "Your article is ready: {{ title }}",
        """Dear {{ first_name }},

The copy you asked for through interlibrary loan is ready:

  {{ title }} (request {{ transaction_number }})

Please collect it from {{ pickup_location }}.
"""
        + _SIGNATURE,
    ),
    NoticeTemplate(
        _WEB,
        _COPY,
        "Your article is ready: {{ title }}",
        """Dear {{ first_name }},

The article you asked for through interlibrary loan is ready to read online:

  {{ title }} (request {{ transaction_number }})

Sign in to the interlibrary loan pages to open it: {{ request_url }}
"""
        + _SIGNATURE,
    ),
    NoticeTemplate(
        _WEB,
        _LOAN,
        "Your document is ready: {{ title }}",
        """Dear {{ first_name }},

What you asked for through interlibrary loan is ready to read online:

  {{ title }} (request {{ transaction_number }})

Sign in to the interlibrary loan pages to open it: {{ request_url }}
"""
        + _SIGNATURE,
    ),
    NoticeTemplate(
        _CANCELLED, _LOAN, "Your request was cancelled: {{ title }}", _CANCEL_BODY + _SIGNATURE
    ),
    NoticeTemplate(
        _CANCELLED, _COPY, "Your request was cancelled: {{ title }}", _CANCEL_BODY + _SIGNATURE
    ),
    NoticeTemplate(
        _CHECKED_OUT,
        _LOAN,
        "Checked out to you: {{ title }}",
        """Dear {{ first_name }},

You have checked out, through interlibrary loan:

  {{ title }} (request {{ transaction_number }})

It is due back on {{ due_date }}. The lending library sets this date: please return it
in time, or ask for a renewal before then.
"""
        + _SIGNATURE,
    ),
    NoticeTemplate(
        OVERDUE,
        _LOAN,
        "Overdue: please return {{ title }}",
        """Dear {{ first_name }},

The interlibrary loan below was due back on {{ due_date }}, {{ days_overdue }} days ago:

  {{ title }} (request {{ transaction_number }})

Please return it to {{ pickup_location }} as soon as you can: it belongs to another
library, which is waiting for it.
"""
        + _SIGNATURE,
    ),
)
"""The templates a new ILL database starts with (``Outbox.prepare`` adds any missing)."""
