"""1,000 wrong passwords against one account: throttled, none gets in, and the answers are
the same whether the account exists or not."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from shelfnet.ill.store import IllStore
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from shelfnet.web.ill_access import IllWeb
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token

ATTEMPTS = 1_000
_TOKEN = re.compile(r'value="[A-Za-z0-9_-]{30,}"')


def _attack(store: IllStore, username: str) -> tuple[list[tuple[int, str]], int]:
    """Answers (status, page without its CSRF token) to 1,000 wrong passwords, and the
    status of the right password sent right after them."""
    app = create_app(TargetList(), ill=IllWeb(store, min_failure_seconds=0))
    seen: list[tuple[int, str]] = []
    with TestClient(app, follow_redirects=False) as client:
        token = csrf_token(client.get("/ill/signin").text)
        for attempt in range(ATTEMPTS):
            answer = client.post(
                "/ill/signin",
                data={"username": username, "password": f"guess {attempt}", "csrf_token": token},
            )
            page = _TOKEN.sub('value="…"', answer.text).replace(username, "USER")
            seen.append((answer.status_code, page))
        right = client.post(
            "/ill/signin",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
    return seen, right.status_code


def test_a_thousand_wrong_passwords_are_throttled_and_say_nothing(ill_store: IllStore) -> None:
    existing, right = _attack(ill_store, "mjones")
    statuses = [status for status, _page in existing]
    assert 303 not in statuses, "no guess signed anyone in"
    assert statuses.count(429) > ATTEMPTS * 0.9, "almost every guess was throttled"
    assert right == 429, "while throttled, not even the right password gets in"
    missing, _ = _attack(ill_store, "no-such-patron")
    assert missing == [
        (status, page.replace("no-such-patron", "mjones")) for status, page in existing
    ]
