"""Signing in and out of the ILL pages, as patron and as staff."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shelfnet.ill.signon import SignOnKind
from shelfnet.web.ill_access import PATRON_COOKIE, STAFF_COOKIE, IllWeb
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, post_form, sign_in


def test_a_patron_signs_in_and_is_sent_where_they_were_going(client: TestClient) -> None:
    answer = post_form(
        client,
        "/ill/signin?next=/ill/requests",
        "/ill/signin",
        {"username": "mjones", "password": PASSWORD, "next": "/ill/requests"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ill/requests"
    cookie = answer.headers["set-cookie"]
    assert PATRON_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


@pytest.mark.parametrize("username", ["mjones", "nobody-at-all"])
def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    client: TestClient, username: str
) -> None:
    answer = post_form(
        client, "/ill/signin", "/ill/signin", {"username": username, "password": "wrong"}
    )
    assert answer.status_code == 401
    assert "The username or password is not right." in answer.text
    assert PATRON_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_sign_in_without_the_forms_token_is_refused(client: TestClient) -> None:
    client.get("/ill/signin")
    answer = client.post("/ill/signin", data={"username": "mjones", "password": PASSWORD})
    assert answer.status_code == 403


def test_a_sign_in_with_another_browsers_token_is_refused(client: TestClient, app: object) -> None:
    with TestClient(app) as other:  # type: ignore[arg-type]
        token = csrf_token(other.get("/ill/signin").text)
    client.get("/ill/signin")
    answer = client.post(
        "/ill/signin", data={"username": "mjones", "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 403


def test_next_never_leads_off_the_site(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = post_form(
            client,
            "/ill/signin",
            "/ill/signin",
            {"username": "mjones", "password": PASSWORD, "next": target},
        )
        assert answer.headers["location"] == "/ill/"


def test_patrons_cannot_sign_in_to_the_staff_pages(client: TestClient) -> None:
    answer = post_form(
        client, "/staff/signin", "/staff/signin", {"username": "mjones", "password": PASSWORD}
    )
    assert answer.status_code == 401


def test_staff_sign_in_sets_the_staff_cookie(client: TestClient) -> None:
    answer = sign_in(client, "/staff/signin", "admin", PASSWORD)
    assert answer.headers["location"] == "/staff/"
    assert STAFF_COOKIE in answer.headers["set-cookie"]


def test_sign_out_ends_the_sign_on(client: TestClient, ill_web: IllWeb) -> None:
    sign_in(client, "/ill/signin", "mjones", PASSWORD)
    assert ill_web.signons.count(SignOnKind.PATRON, "mjones") == 1
    signon = ill_web.signons.find(client.cookies.get(PATRON_COOKIE))
    assert signon is not None
    refused = client.post("/ill/signout")
    assert refused.status_code == 403, "signing out needs the CSRF token too"
    answer = client.post("/ill/signout", data={"csrf_token": signon.csrf})
    assert answer.status_code == 303
    assert ill_web.signons.count(SignOnKind.PATRON, "mjones") == 0


def test_sign_out_everywhere_ends_every_browsers_sign_on(
    client: TestClient, app: object, ill_web: IllWeb
) -> None:
    with TestClient(app, follow_redirects=False) as other:  # type: ignore[arg-type]
        sign_in(other, "/ill/signin", "mjones", PASSWORD)
        sign_in(client, "/ill/signin", "mjones", PASSWORD)
        assert ill_web.signons.count(SignOnKind.PATRON, "mjones") == 2
        signon = ill_web.signons.find(client.cookies.get(PATRON_COOKIE))
        assert signon is not None
        client.post("/ill/signout-everywhere", data={"csrf_token": signon.csrf})
        assert ill_web.signons.count(SignOnKind.PATRON, "mjones") == 0
        assert ill_web.signons.find(other.cookies.get(PATRON_COOKIE)) is None


def test_many_wrong_passwords_are_throttled(client: TestClient) -> None:
    statuses = [
        post_form(
            client, "/ill/signin", "/ill/signin", {"username": "mjones", "password": f"x{n}"}
        ).status_code
        for n in range(30)
    ]
    assert 429 in statuses
    assert 303 not in statuses
    throttled = post_form(
        client, "/ill/signin", "/ill/signin", {"username": "mjones", "password": PASSWORD}
    )
    assert throttled.status_code == 429, "even the right password waits out the throttle"
