"""Reading the ILL pages in tests: CSRF tokens, forms, signing in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> Response:
    """Fill in a form as a browser would: fetch the page it is on, send its token back."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={**data, "csrf_token": csrf_token(shown.text)})


def sign_in(client: TestClient, page: str, username: str, password: str) -> Response:
    answer = post_form(client, page, page, {"username": username, "password": password})
    assert answer.status_code == 303, answer.text
    return answer
