"""Templates: checked when saved, rendered in a sandbox with only the known variables."""

from __future__ import annotations

from datetime import date

import pytest

from shelfnet.ill.model import RequestType
from shelfnet.ill.notices.model import DEFAULT_TEMPLATES, NoticeFacts
from shelfnet.ill.notices.rendering import TemplateProblem, check, reason, render, variables
from shelfnet.ill.workflow import Status
from tests.unit.ill.notices.conftest import SETTINGS

FACTS = NoticeFacts(
    transaction_id=42,
    request_type=RequestType.LOAN,
    title="Moby-Dick",
    status=Status.CHECKED_OUT_TO_CUSTOMER,
    due_date=date(2024, 6, 3),
    first_name="Ann",
    last_name="Reader",
    email="ann@example.edu",
)


def test_every_shipped_template_is_valid_and_renders() -> None:
    for template in DEFAULT_TEMPLATES:
        assert check(template.subject, template.body) == []
        rendered = render(template.subject, template.body, variables(FACTS, SETTINGS))
        assert "{{" not in rendered.body and rendered.subject


def test_the_variables_say_what_a_patron_needs() -> None:
    values = variables(FACTS, SETTINGS)
    assert values["patron_name"] == "Ann Reader"
    assert values["due_date"] == "03 June 2024"
    assert values["status"] == "Checked Out to Customer"
    assert values["request_url"] == "https://ill.springfield.example/ill/requests/42"


def test_text_is_not_escaped() -> None:
    facts = NoticeFacts(**{**FACTS.__dict__, "title": "Pride & <Prejudice>"})
    assert render("{{ title }}", "", variables(facts, SETTINGS)).subject == "Pride & <Prejudice>"


@pytest.mark.parametrize(
    ("subject", "body", "problem"),
    [
        ("Hello", "{{ password }}", "unknown variables: password"),
        ("Hello", "{% if title %}", "template error on line 1"),
        ("{{ title", "", "subject has a template error"),
        ("", "body", "subject is empty"),
        ("Hello", "{{ range(10) }}", "unknown variables: range"),
        ("Hello", "{{ cycler }}", "unknown variables: cycler"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(subject: str, body: str, problem: str) -> None:
    assert any(problem in text for text in check(subject, body))


def test_the_sandbox_keeps_templates_away_from_python() -> None:
    with pytest.raises(TemplateProblem):
        render("x", "{{ title.__class__.__mro__ }}", variables(FACTS, SETTINGS))
    with pytest.raises(TemplateProblem):
        render("x", "{{ title.format.__globals__ }}", variables(FACTS, SETTINGS))


def test_a_subject_is_one_line_whatever_the_values() -> None:
    facts = NoticeFacts(**{**FACTS.__dict__, "title": "A\nBcc: evil@example.com"})
    assert render("{{ title }}", "", variables(facts, SETTINGS)).subject == (
        "A Bcc: evil@example.com"
    )


def test_notes_the_store_writes_itself_are_no_reason() -> None:
    assert reason("Cancel") == ""
    assert reason("routing rule 12") == ""
    assert reason("Not owned by any lender") == "Not owned by any lender"
