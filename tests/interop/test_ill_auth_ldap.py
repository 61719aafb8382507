"""LDAP sign-in against a real slapd started by the suite (tests/ldapserver.py)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AccountExpired,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
)
from shelfnet.ill.auth.ldap import LdapAttributes, LdapProvider, LdapSettings
from tests.ldapserver import (
    BASE,
    GROUP_DN,
    PASSWORDS,
    PEOPLE,
    SERVICE_DN,
    Directory,
    MissingSlapd,
    require_slapd,
    start_directory,
)
from tests.vendorservers import closed_port_url

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def directory() -> Iterator[Directory]:
    try:
        require_slapd()
    except MissingSlapd as missing:
        pytest.skip(str(missing))
    with (
        tempfile.TemporaryDirectory(prefix="shelfnet-slapd-") as root,
        start_directory(Path(root) / "slapd") as running,
    ):
        yield running


def direct(directory: Directory, **options: object) -> LdapSettings:
    settings = LdapSettings(
        url=directory.url,
        bind_dn=f"uid={{username}},{PEOPLE}",
        locked_filter="(shelfnetLocked=TRUE)",
        attributes=LdapAttributes(expires="shelfnetExpires"),
    )
    return replace(settings, **options)  # type: ignore[arg-type]


def searching(directory: Directory, **options: object) -> LdapSettings:
    settings = LdapSettings(
        url=directory.url,
        search_base=BASE,
        service_dn=SERVICE_DN,
        service_password=PASSWORDS["ill-service"],
        allowed_base=PEOPLE,
        locked_filter="(shelfnetLocked=TRUE)",
        attributes=LdapAttributes(expires="shelfnetExpires", external_id="entryUUID"),
    )
    return replace(settings, **options)  # type: ignore[arg-type]


def sign_in(settings: LdapSettings, username: str, password: str | None = None) -> Identity:
    provider = LdapProvider(settings, today=lambda: TODAY)
    secret = PASSWORDS[username] if password is None else password
    return asyncio.run(provider.authenticate(username, secret))


def test_direct_bind_with_the_right_password_gives_the_mapped_identity(
    directory: Directory,
) -> None:
    identity = sign_in(direct(directory), "jane")
    assert identity.external_id == f"uid=jane,{PEOPLE}"
    assert (identity.first_name, identity.last_name) == ("Jane", "Smith")
    assert identity.display_name == "Prof. Jane Smith"
    assert identity.email == "jane@example.org"
    assert identity.department == "Chemistry"
    assert identity.patron_type == "faculty"
    assert identity.attribute("eduPersonAffiliation") == ("faculty", "member")


def test_search_then_bind_with_the_right_password(directory: Directory) -> None:
    identity = sign_in(searching(directory), "sam")
    assert identity.username == "sam"
    assert len(identity.external_id) == 36  # an entryUUID, not the DN
    assert identity.attribute("eduPersonAffiliation") == ("student",)


@pytest.mark.parametrize("mode", [direct, searching])
def test_wrong_password_and_unknown_user_are_the_same_refusal(
    directory: Directory, mode: object
) -> None:
    settings = mode(directory)  # type: ignore[operator]
    with pytest.raises(InvalidCredentials) as wrong:
        sign_in(settings, "jane", "not her password")
    with pytest.raises(InvalidCredentials) as unknown:
        sign_in(settings, "nobody", "not her password")
    assert str(wrong.value) == str(unknown.value)
    assert wrong.value.user_message == unknown.value.user_message


def test_an_empty_password_is_refused_before_the_directory_sees_an_anonymous_bind(
    directory: Directory,
) -> None:
    with pytest.raises(InvalidCredentials):
        sign_in(direct(directory), "jane", "")


def test_filter_characters_in_the_username_are_escaped(directory: Directory) -> None:
    with pytest.raises(InvalidCredentials):
        sign_in(searching(directory), "*", PASSWORDS["jane"])
    with pytest.raises(InvalidCredentials):
        sign_in(searching(directory), "jane)(uid=*", PASSWORDS["jane"])


@pytest.mark.parametrize("mode", [direct, searching])
def test_a_locked_account_is_blocked_only_with_the_right_password(
    directory: Directory, mode: object
) -> None:
    settings = mode(directory)  # type: ignore[operator]
    with pytest.raises(AccountBlocked):
        sign_in(settings, "locked")
    with pytest.raises(InvalidCredentials):
        sign_in(settings, "locked", "wrong")


def test_a_bind_the_directory_refuses_is_invalid_credentials(directory: Directory) -> None:
    with pytest.raises(InvalidCredentials):
        sign_in(direct(directory), "refused")


def test_an_expired_account_is_refused_after_its_password(directory: Directory) -> None:
    with pytest.raises(AccountExpired) as expired:
        sign_in(searching(directory), "expired")
    assert expired.value.expired_on == date(2020, 1, 1)


def test_a_user_outside_the_allowed_base_is_refused(directory: Directory) -> None:
    settings = searching(directory)
    with pytest.raises(InvalidCredentials):
        sign_in(settings, "eve")
    assert sign_in(replace(settings, allowed_base=BASE), "eve").last_name == "Outis"


def test_a_direct_bind_template_outside_the_allowed_base_is_refused(
    directory: Directory,
) -> None:
    settings = direct(directory, bind_dn=f"uid={{username}},ou=outside,{BASE}", allowed_base=PEOPLE)
    with pytest.raises(InvalidCredentials):
        sign_in(settings, "eve")


def test_only_members_of_the_allowed_group_get_in(directory: Directory) -> None:
    settings = searching(directory, allowed_group=GROUP_DN)
    assert sign_in(settings, "jane").username == "jane"
    with pytest.raises(InvalidCredentials):
        sign_in(settings, "outsider")


def test_the_allowed_filter_applies_after_the_bind(directory: Directory) -> None:
    settings = direct(directory, allowed_filter="(eduPersonAffiliation=student)")
    assert sign_in(settings, "sam").username == "sam"
    with pytest.raises(InvalidCredentials):
        sign_in(settings, "jane")


def test_ldaps_with_the_ca_file(directory: Directory) -> None:
    settings = searching(directory, url=directory.ldaps_url, ca_file=str(directory.ca_file))
    assert sign_in(settings, "jane").email == "jane@example.org"


def test_ldaps_with_an_unknown_certificate_is_unavailable(directory: Directory) -> None:
    # No ca_file: the system CAs do not know the test certificate.
    settings = searching(directory, url=directory.ldaps_url)
    with pytest.raises(ProviderUnavailable):
        sign_in(settings, "jane")


def test_starttls_on_the_plain_port(directory: Directory) -> None:
    settings = direct(directory, start_tls=True, ca_file=str(directory.ca_file))
    assert sign_in(settings, "jane").last_name == "Smith"


def test_a_wrong_service_password_is_an_outage_not_a_wrong_patron_password(
    directory: Directory,
) -> None:
    settings = searching(directory, service_password="wrong")
    with pytest.raises(ProviderUnavailable):
        sign_in(settings, "jane")


def test_a_directory_that_is_down_is_unavailable() -> None:
    url = closed_port_url("ldap")
    settings = LdapSettings(url=url, bind_dn=f"uid={{username}},{PEOPLE}", connect_timeout=2)
    with pytest.raises(ProviderUnavailable) as down:
        sign_in(settings, "jane", PASSWORDS["jane"])
    assert down.value.provider == "ldap"


def test_ports_name_the_directory(directory: Directory) -> None:
    (endpoint,) = LdapProvider(searching(directory, url=directory.ldaps_url)).ports()
    assert (endpoint.port, endpoint.protocol, endpoint.direction) == (
        directory.ldaps_port,
        "tcp (ldaps)",
        "outbound",
    )
