"""The provider chain: order, outages, and building it from [[ill.auth]] tables."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AuthError,
    Endpoint,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
)
from shelfnet.ill.auth.chain import AuthChain, providers_from_config
from shelfnet.ill.auth.ldap import LdapProvider
from shelfnet.ill.auth.local import LocalProvider
from shelfnet.ill.auth.patronapi import PatronApiProvider
from shelfnet.ill.auth.symphony import SymphonyProvider


class Fake:
    """Answers every sign-in the same way, and counts the questions."""

    def __init__(self, name: str, answer: Identity | AuthError) -> None:
        self.name = name
        self.answer = answer
        self.asked = 0

    async def authenticate(self, username: str, password: str) -> Identity:
        self.asked += 1
        if isinstance(self.answer, AuthError):
            raise self.answer
        return self.answer

    def ports(self) -> list[Endpoint]:
        return [Endpoint(self.name, 1, "tcp", "test")]


def jane(provider: str) -> Identity:
    return Identity(provider, "1", "jane")


def run(chain: AuthChain) -> Identity:
    return asyncio.run(chain.authenticate("jane", "secret"))


def no_accounts(username: str) -> str | None:
    return None


def test_invalid_credentials_move_on_to_the_next_provider() -> None:
    first, second = Fake("a", InvalidCredentials()), Fake("b", jane("b"))
    assert run(AuthChain([first, second])).provider == "b"
    assert (first.asked, second.asked) == (1, 1)


def test_the_first_provider_that_accepts_wins() -> None:
    first, second = Fake("a", jane("a")), Fake("b", jane("b"))
    assert run(AuthChain([first, second])).provider == "a"
    assert second.asked == 0


def test_an_outage_is_skipped_when_another_provider_accepts() -> None:
    chain = AuthChain([Fake("a", ProviderUnavailable("a", "down")), Fake("b", jane("b"))])
    assert run(chain).provider == "b"


def test_no_acceptance_with_an_outage_is_unavailable() -> None:
    chain = AuthChain(
        [Fake("a", ProviderUnavailable("a", "down")), Fake("b", InvalidCredentials())]
    )
    with pytest.raises(ProviderUnavailable) as refused:
        run(chain)
    assert "a: down" in refused.value.detail
    assert "try again later" in refused.value.user_message


def test_no_acceptance_without_an_outage_is_invalid() -> None:
    chain = AuthChain([Fake("a", InvalidCredentials()), Fake("b", InvalidCredentials())])
    with pytest.raises(InvalidCredentials):
        run(chain)


def test_a_blocked_account_stops_the_chain() -> None:
    last = Fake("b", jane("b"))
    with pytest.raises(AccountBlocked):
        run(AuthChain([Fake("a", AccountBlocked("fines")), last]))
    assert last.asked == 0


def test_ports_of_every_provider() -> None:
    chain = AuthChain([Fake("a", InvalidCredentials()), Fake("b", InvalidCredentials())])
    assert [p.host for p in chain.ports()] == ["a", "b"]


CONFIG: list[dict[str, Any]] = [
    {"kind": "local"},
    {
        "kind": "ldap",
        "name": "campus",
        "url": "ldaps://ldap.example.edu",
        "search_base": "ou=people,dc=example,dc=edu",
        "service_dn": "cn=ill,dc=example,dc=edu",
        "service_password": "x",
        "timeout": 5,
        "attributes": {"email": "mail", "extra": ["eduPersonAffiliation"]},
        "mapping": {
            "status": [
                {"attribute": "eduPersonAffiliation", "value": "faculty", "status": "faculty"}
            ]
        },
    },
    {"kind": "patronapi", "base_url": "https://ils.example.edu:54620", "max_money_owed": "10"},
    {"kind": "symphony", "base_url": "https://ils.example.edu/symws", "client_id": "ID"},
]


def test_providers_from_config_in_order() -> None:
    built = providers_from_config(CONFIG, local_lookup=no_accounts)
    kinds = [type(entry.provider) for entry in built]
    assert kinds == [LocalProvider, LdapProvider, PatronApiProvider, SymphonyProvider]
    assert [entry.provider.name for entry in built] == ["local", "campus", "patronapi", "symphony"]
    ldap = built[1].provider
    assert isinstance(ldap, LdapProvider)
    assert ldap.settings.timeout == 5.0
    assert ldap.settings.attributes.extra == ("eduPersonAffiliation",)
    assert built[1].rules.status_rules[0].status == "faculty"
    patronapi = built[2].provider
    assert isinstance(patronapi, PatronApiProvider)
    assert patronapi.settings.max_money_owed == Decimal(10)
    assert [(p.host, p.port) for p in AuthChain(built).ports()] == [
        ("ldap.example.edu", 636), ("ils.example.edu", 54620), ("ils.example.edu", 443),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"kind": "kerberos"}, "kind"),
        ({"kind": "symphony", "base_url": "https://x"}, "client_id"),
        ({"kind": "symphony", "base_url": "https://x", "client_id": "I", "colour": 1}, "colour"),
        (
            {"kind": "ldap", "url": "ldap://x", "bind_dn": "uid={username}", "timeout": "5"},
            "timeout",
        ),
        ({"kind": "ldap", "url": "ldap://x"}, "bind_dn"),
        (
            {
                "kind": "ldap",
                "url": "ldap://x",
                "bind_dn": "uid={username}",
                "attributes": {"mail": "x"},
            },
            "mail",
        ),
        ({"kind": "patronapi", "base_url": "ftp://x"}, "base_url"),
    ],
)
def test_a_bad_table_names_the_bad_key(entry: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        providers_from_config([entry])


def test_local_accounts_need_a_store() -> None:
    with pytest.raises(ValueError, match="local"):
        providers_from_config([{"kind": "local"}])


def test_two_providers_of_one_kind_get_distinct_names() -> None:
    entry = {"kind": "symphony", "base_url": "https://x", "client_id": "I"}
    assert [e.provider.name for e in providers_from_config([entry, entry])] == [
        "symphony-1", "symphony-2",
    ]  # fmt: skip
