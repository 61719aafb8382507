"""Identity -> patron profile by configurable rules."""

from __future__ import annotations

from datetime import date

import pytest

from shelfnet.ill.auth.base import Identity
from shelfnet.ill.auth.mapping import map_identity, rules_from_config

RULES = rules_from_config(
    {
        "default_status": "community",
        "department_attribute": "departmentNumber",
        "blocked_statuses": ["DELINQUENT"],
        "status": [
            {"patron_type": "3", "status": "faculty"},
            {"attribute": "eduPersonAffiliation", "value": "student", "status": "undergraduate"},
            {"patron_type": "9", "status": "suspended", "blocked": True},
        ],
    }
)


def identity(**fields: object) -> Identity:
    base: dict[str, object] = {"provider": "p", "external_id": "x", "username": "jane"}
    return Identity(**{**base, **fields})  # type: ignore[arg-type]


def test_the_first_matching_rule_gives_the_status() -> None:
    assert map_identity(identity(patron_type="3"), RULES).status == "faculty"
    student = identity(attributes={"eduPersonAffiliation": ("member", "Student")})
    assert map_identity(student, RULES).status == "undergraduate"


def test_no_matching_rule_gives_the_default_status() -> None:
    assert map_identity(identity(patron_type="1"), RULES).status == "community"


def test_department_comes_from_the_configured_attribute() -> None:
    profile = map_identity(
        identity(department="ou", attributes={"departmentNumber": ("CHEM",)}), RULES
    )
    assert profile.department == "CHEM"
    assert map_identity(identity(department="History")).department == "History"


def test_blocked_by_rule_or_by_standing() -> None:
    assert map_identity(identity(patron_type="9"), RULES).blocked
    assert map_identity(identity(patron_status="delinquent"), RULES).blocked
    assert not map_identity(identity(patron_type="3"), RULES).blocked


def test_the_profile_carries_the_identity_fields() -> None:
    profile = map_identity(
        identity(first_name="Jane", last_name="Smith", email="j@x.org", expires=date(2027, 1, 1))
    )
    assert (profile.username, profile.first_name, profile.last_name, profile.email) == (
        "jane", "Jane", "Smith", "j@x.org",
    )  # fmt: skip
    assert profile.expires == date(2027, 1, 1)
    assert profile.status == "patron"


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"status": [{"patron_type": "3"}]}, "status"),
        ({"status": [{"patron_type": "3", "status": "x", "shade": 1}]}, "shade"),
        ({"status": [{"attribute": "ou", "status": "x"}]}, "value"),
    ],
)
def test_bad_mapping_config_names_the_problem(config: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        rules_from_config(config)
