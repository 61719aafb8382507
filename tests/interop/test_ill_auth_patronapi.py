"""PatronAPI sign-in against an HTTP server answering as III documents it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AccountExpired,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
)
from shelfnet.ill.auth.patronapi import PatronApiProvider, PatronApiSettings
from tests.vendorservers import VendorServer, closed_port_url, patronapi_server

TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def server() -> Iterator[VendorServer]:
    with patronapi_server() as running:
        yield running


def sign_in(base_url: str, barcode: str, pin: str, **options: object) -> Identity:
    settings = PatronApiSettings(base_url=base_url, **options)  # type: ignore[arg-type]
    provider = PatronApiProvider(settings, today=lambda: TODAY)
    return asyncio.run(provider.authenticate(barcode, pin))


def test_a_valid_barcode_and_pin_give_the_dumped_record(server: VendorServer) -> None:
    identity = sign_in(server.base_url, "21000000000001", "1234")
    assert identity.external_id == "p1000001"
    assert (identity.first_name, identity.last_name) == ("Jane", "Smith")
    assert identity.patron_type == "3"
    assert identity.expires == date(2027, 12, 31)
    assert identity.email == "p1000001@example.org"
    assert identity.barcode == "21000000000001"
    assert identity.department == "main"
    paths = [r.path for r in server.requests[-2:]]
    assert paths == ["/PATRONAPI/21000000000001/1234/pintest", "/PATRONAPI/21000000000001/dump"]


def test_an_invalid_pin_and_an_unknown_barcode_are_the_same_refusal(
    server: VendorServer,
) -> None:
    with pytest.raises(InvalidCredentials) as wrong_pin:
        sign_in(server.base_url, "21000000000001", "9999")
    with pytest.raises(InvalidCredentials) as unknown:
        sign_in(server.base_url, "29999999999999", "9999")
    assert str(wrong_pin.value) == str(unknown.value)
    # The record is never dumped before the PIN is right.
    assert not any(r.path.endswith("/dump") for r in server.requests[-2:])


def test_an_expired_patron_is_refused_after_the_pin(server: VendorServer) -> None:
    with pytest.raises(AccountExpired) as expired:
        sign_in(server.base_url, "21000000000002", "2222")
    assert expired.value.expired_on == date(2020, 1, 31)


def test_a_manual_block_refuses_sign_in(server: VendorServer) -> None:
    with pytest.raises(AccountBlocked):
        sign_in(server.base_url, "21000000000003", "3333")
    identity = sign_in(server.base_url, "21000000000003", "3333", honour_mblock=False)
    assert identity.patron_status == "c"


def test_money_owed_over_the_limit_refuses_sign_in(server: VendorServer) -> None:
    with pytest.raises(AccountBlocked) as blocked:
        sign_in(server.base_url, "21000000000004", "4444", max_money_owed=Decimal("10"))
    assert "25.00" in blocked.value.reason
    assert sign_in(server.base_url, "21000000000004", "4444").last_name == "Owing"
    assert sign_in(server.base_url, "21000000000004", "4444", max_money_owed=Decimal(30))


def test_barcode_and_pin_are_percent_encoded_in_the_path(server: VendorServer) -> None:
    identity = sign_in(server.base_url, "21000000000005", "p?n #5&%")
    assert identity.expires is None  # "  -  -  ": no expiry date
    assert server.requests[-2].path == "/PATRONAPI/21000000000005/p%3Fn%20%235%26%25/pintest"


@pytest.mark.parametrize(("barcode", "pin"), [("2100/1", "1234"), ("21000000000001", "12/34"),
                                              ("..", "1234"), ("21000000000001", ".")])  # fmt: skip
def test_a_slash_or_dot_segment_is_refused_without_a_request(
    server: VendorServer, barcode: str, pin: str
) -> None:
    before = len(server.requests)
    with pytest.raises(InvalidCredentials):
        sign_in(server.base_url, barcode, pin)
    assert len(server.requests) == before


def test_a_server_that_is_down_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable) as down:
        sign_in(closed_port_url(), "21000000000001", "1234", timeout=2.0)
    assert down.value.provider == "patronapi"


def test_a_wrong_base_url_is_unavailable_not_invalid(server: VendorServer) -> None:
    with pytest.raises(ProviderUnavailable):
        sign_in(server.base_url + "/elsewhere", "21000000000001", "1234")
