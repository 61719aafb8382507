"""Symphony Web Services sign-in against an HTTP server answering as ILSWS does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date

import pytest

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AccountExpired,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
)
from shelfnet.ill.auth.symphony import SymphonyProvider, SymphonySettings
from tests.vendorservers import (
    SYMPHONY_CLIENT_ID,
    VendorServer,
    closed_port_url,
    symphony_server,
)

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def server() -> Iterator[VendorServer]:
    with symphony_server() as running:
        yield running


def sign_in(base_url: str, barcode: str, pin: str, **options: object) -> Identity:
    settings = SymphonySettings(base_url=base_url, client_id=SYMPHONY_CLIENT_ID, **options)  # type: ignore[arg-type]
    provider = SymphonyProvider(settings, today=lambda: TODAY)
    return asyncio.run(provider.authenticate(barcode, pin))


def test_a_valid_barcode_and_pin_give_the_patron_record(server: VendorServer) -> None:
    identity = sign_in(server.base_url, "21000000000001", "1234")
    assert identity.external_id == "101"
    assert (identity.first_name, identity.last_name) == ("Jane", "Smith")
    assert identity.patron_type == "FACULTY"
    assert identity.patron_status == "OK"
    assert identity.expires == date(2027, 6, 30)
    assert identity.email == "jane@example.org"
    assert identity.attribute("library") == ("MAIN",)
    login, patron = server.requests[-2:]
    assert (login.method, login.path) == ("POST", "/symws/user/patron/login")
    assert json.loads(login.body) == {"login": "21000000000001", "password": "1234"}
    assert login.headers["x-sirs-clientid"] == SYMPHONY_CLIENT_ID
    assert login.headers["sd-originating-app-id"] == "shelfnet"
    assert login.headers["content-type"] == "application/json"
    assert patron.path.startswith("/symws/user/patron/key/101?includeFields=")
    assert patron.headers["x-sirs-sessiontoken"]


def test_a_wrong_pin_and_an_unknown_barcode_are_the_same_refusal(server: VendorServer) -> None:
    with pytest.raises(InvalidCredentials) as wrong:
        sign_in(server.base_url, "21000000000001", "0000")
    with pytest.raises(InvalidCredentials) as unknown:
        sign_in(server.base_url, "29999999999999", "0000")
    assert str(wrong.value) == str(unknown.value)


def test_expired_privileges_refuse_sign_in(server: VendorServer) -> None:
    with pytest.raises(AccountExpired) as expired:
        sign_in(server.base_url, "21000000000002", "2222")
    assert expired.value.expired_on == date(2020, 6, 30)


def test_a_barred_patron_is_blocked(server: VendorServer) -> None:
    with pytest.raises(AccountBlocked) as blocked:
        sign_in(server.base_url, "21000000000003", "3333")
    assert "BARRED" in blocked.value.reason


def test_delinquent_patrons_get_in_unless_configured_otherwise(server: VendorServer) -> None:
    assert sign_in(server.base_url, "21000000000004", "4444").patron_status == "DELINQUENT"
    with pytest.raises(AccountBlocked):
        sign_in(
            server.base_url, "21000000000004", "4444", blocked_standings=("BARRED", "DELINQUENT")
        )


def test_a_client_id_the_server_refuses_is_an_outage(server: VendorServer) -> None:
    settings = SymphonySettings(base_url=server.base_url, client_id="WRONG")
    with pytest.raises(ProviderUnavailable) as refused:
        asyncio.run(SymphonyProvider(settings).authenticate("21000000000001", "1234"))
    assert "clientIdInvalid" in refused.value.detail


def test_a_server_that_is_down_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable):
        sign_in(closed_port_url(path="/symws"), "21000000000001", "1234", timeout=2.0)
