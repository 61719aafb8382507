"""From an :class:`Identity` to the fields of a shelfnet patron, by configurable rules.

Status rules are tried in order; the first whose every condition holds gives the
patron's status (and may flag the patron as blocked); none matching gives
``default_status``. A rule's conditions: ``patron_type`` (the provider's category code:
III P TYPE, Symphony profile, the LDAP attribute mapped to it), ``patron_status`` (the
provider's standing) and ``attribute`` + ``value`` (any attribute the provider returned,
e.g. eduPersonAffiliation). Values compare without regard to case; ``*`` matches any
non-empty value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shelfnet.ill.auth.base import Identity


@dataclass(frozen=True)
class StatusRule:
    status: str
    patron_type: str = ""
    patron_status: str = ""
    attribute: str = ""
    value: str = ""
    blocked: bool = False

    def __post_init__(self) -> None:
        if not self.status:
            raise ValueError("status rule: 'status' is required")
        if bool(self.attribute) != bool(self.value):
            raise ValueError("status rule: 'attribute' and 'value' go together")
        if not (self.patron_type or self.patron_status or self.attribute):
            raise ValueError(
                "status rule: give at least one of patron_type, patron_status, attribute"
            )

    def matches(self, identity: Identity) -> bool:
        if self.patron_type and not _same(self.patron_type, identity.patron_type):
            return False
        if self.patron_status and not _same(self.patron_status, identity.patron_status):
            return False
        return not self.attribute or any(
            _same(self.value, v) for v in identity.attribute(self.attribute)
        )


@dataclass(frozen=True)
class MappingRules:
    status_rules: tuple[StatusRule, ...] = ()
    default_status: str = "patron"
    department_attribute: str = ""
    """Take the department from this attribute instead of the provider's department."""
    blocked_statuses: tuple[str, ...] = ()
    """Provider standings (``Identity.patron_status``) that flag the patron as blocked."""


@dataclass
class PatronProfile:
    """What the ILL store needs to create or update a patron."""

    username: str
    first_name: str
    last_name: str
    email: str
    status: str
    department: str
    expires: date | None
    blocked: bool
    provider: str = ""
    external_id: str = ""
    display_name: str = ""
    barcode: str = ""


def map_identity(identity: Identity, rules: MappingRules | None = None) -> PatronProfile:
    rules = rules or MappingRules()
    rule = next((r for r in rules.status_rules if r.matches(identity)), None)
    department = identity.department
    if rules.department_attribute:
        values = identity.attribute(rules.department_attribute)
        department = values[0] if values else ""
    blocked = any(_same(s, identity.patron_status) for s in rules.blocked_statuses)
    return PatronProfile(
        username=identity.username,
        first_name=identity.first_name,
        last_name=identity.last_name,
        email=identity.email,
        status=rule.status if rule else rules.default_status,
        department=department,
        expires=identity.expires,
        blocked=blocked or bool(rule and rule.blocked),
        provider=identity.provider,
        external_id=identity.external_id,
        display_name=identity.display_name,
        barcode=identity.barcode,
    )


def rules_from_config(config: Mapping[str, Any]) -> MappingRules:
    """``{"default_status": ..., "department_attribute": ..., "blocked_statuses": [...],
    "status": [{"patron_type": "3", "status": "faculty"}, ...]}`` -> rules."""
    known = {"default_status", "department_attribute", "blocked_statuses", "status"}
    for key in config:
        if key not in known:
            raise ValueError(f"mapping: unknown key {key!r} (expected {', '.join(sorted(known))})")
    rules = []
    for number, entry in enumerate(config.get("status", ()), start=1):
        if not isinstance(entry, Mapping):
            raise ValueError(f"mapping.status #{number}: expected a table")
        try:
            rules.append(StatusRule(**{k: _rule_value(k, v) for k, v in entry.items()}))
        except TypeError as error:
            raise ValueError(f"mapping.status #{number}: {error}") from error
        except ValueError as error:
            raise ValueError(f"mapping.status #{number}: {error}") from error
    return MappingRules(
        status_rules=tuple(rules),
        default_status=str(config.get("default_status", "patron")),
        department_attribute=str(config.get("department_attribute", "")),
        blocked_statuses=tuple(str(s) for s in config.get("blocked_statuses", ())),
    )


def _rule_value(key: str, value: Any) -> Any:
    if key == "blocked":
        if not isinstance(value, bool):
            raise ValueError("'blocked' must be true or false")
        return value
    if not isinstance(value, str | int):
        raise ValueError(f"{key!r} must be a string")
    return str(value)


def _same(wanted: str, actual: str) -> bool:
    if wanted == "*":
        return bool(actual)
    return wanted.strip().casefold() == actual.strip().casefold()
