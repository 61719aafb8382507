"""Templates in a Jinja2 sandbox: checked when staff save them, rendered for each notice.

Plain text, so nothing is escaped; but a template reaches only the variables in
``model.VARIABLES`` (all plain strings), no globals, and the sandbox refuses access to
Python internals. Unknown variables are refused when a template is saved, and a variable
that is somehow missing when rendering is an error rather than an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from shelfnet.config import NoticeSettings
from shelfnet.ill.model import Patron, RequestType, Transaction
from shelfnet.ill.notices.model import REQUEST_PATH, VARIABLES, NoticeFacts
from shelfnet.ill.workflow import Action

MAX_SUBJECT = 200
MAX_BODY = 20_000


class TemplateProblem(ValueError):
    """A template that cannot be saved or rendered, with every reason in sentences."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
    )
    env.globals.clear()
    return env


_ENV = _environment()


def check(subject: str, body: str) -> list[str]:
    """Why the template cannot be saved (empty: it can)."""
    problems: list[str] = []
    if not subject.strip():
        problems.append("The subject is empty.")
    if len(subject) > MAX_SUBJECT:
        problems.append(f"The subject is longer than {MAX_SUBJECT} characters.")
    if "\n" in subject.strip() or "\r" in subject:
        problems.append("The subject must be one line.")
    if len(body) > MAX_BODY:
        problems.append(f"The body is longer than {MAX_BODY:,} characters.")
    for part, source in (("subject", subject), ("body", body)):
        try:
            parsed = _ENV.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"The {part} has a template error on line {exc.lineno}: {exc.message}.")
            continue
        unknown = sorted(meta.find_undeclared_variables(parsed) - VARIABLES.keys())
        if unknown:
            names = ", ".join(unknown)
            problems.append(f"The {part} uses unknown variables: {names}.")
    return problems


def render(subject: str, body: str, variables: dict[str, str]) -> Rendered:
    """The notice's subject (one line, whitespace collapsed) and body; ``TemplateProblem``
    when the template is wrong."""
    problems = check(subject, body)
    if problems:
        raise TemplateProblem(problems)
    try:
        rendered_subject = _ENV.from_string(subject).render(variables)
        rendered_body = _ENV.from_string(body).render(variables)
    except jinja2.TemplateError as exc:
        raise TemplateProblem([f"The template cannot be rendered: {exc}."]) from exc
    return Rendered(" ".join(rendered_subject.split()), rendered_body)


def variables(facts: NoticeFacts, settings: NoticeSettings) -> dict[str, str]:
    """The values of ``VARIABLES`` for one notice."""
    base = settings.base_url.rstrip("/")
    return {
        "first_name": facts.first_name or facts.last_name or "reader",
        "last_name": facts.last_name,
        "patron_name": " ".join(n for n in (facts.first_name, facts.last_name) if n),
        "transaction_number": str(facts.transaction_id),
        "title": facts.title or "your request",
        "status": facts.status.display,
        "due_date": "" if facts.due_date is None else facts.due_date.strftime("%d %B %Y"),
        "days_overdue": str(facts.days_overdue),
        "pickup_location": settings.pickup_location,
        "library_name": settings.library_name,
        "request_url": base + REQUEST_PATH.format(number=facts.transaction_id),
        "reason": facts.reason,
    }


_ACTION_LABELS = frozenset(action.label for action in Action)


def reason(note: str) -> str:
    """A history note as a reason for the patron: the notes the store writes by itself (an
    action's label, "created", "routing rule 12") say nothing to them."""
    note = note.strip()
    if note in _ACTION_LABELS or note == "created" or note.startswith("routing rule"):
        return ""
    return note


def title_of(request_type: RequestType, title: str, article_title: str, journal: str) -> str:
    """What the patron asked for: the article or chapter for copies, else the title."""
    if request_type is RequestType.COPY and article_title:
        return article_title
    return title or article_title or journal


def facts_of(
    transaction: Transaction, patron: Patron, *, note: str = "", days_overdue: int = 0
) -> NoticeFacts:
    """The facts of a transaction as the store gives it (previews)."""
    citation = transaction.citation
    return NoticeFacts(
        transaction_id=transaction.id,
        request_type=transaction.request_type,
        title=title_of(
            transaction.request_type,
            citation.title,
            citation.article_title,
            citation.journal_title,
        ),
        status=transaction.status,
        due_date=transaction.due_date,
        first_name=patron.first_name,
        last_name=patron.last_name,
        email=patron.email,
        reason=reason(note),
        days_overdue=days_overdue,
    )
