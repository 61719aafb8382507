"""Every change a patron page makes needs the sign-on's CSRF token: without it, 403 and
nothing changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shelfnet.ill.store import IllStore, PatronList

POSTS = [
    ("/ill/request/loan", {"title": "Montaillou"}),
    ("/ill/request/article", {"journal_title": "J", "article_title": "A", "copyright_ok": "y"}),
    ("/ill/requests/{own}/cancel", {"expected_version": "{version}"}),
    ("/ill/requests/{own}/renew", {"expected_version": "{version}"}),
    ("/ill/feed/renew", {}),
]


@pytest.mark.parametrize(("path", "data"), POSTS)
@pytest.mark.parametrize("token", [None, "forged-token-forged-token-forged"])
def test_every_patron_post_needs_the_csrf_token(
    patron_client: TestClient,
    ill_store: IllStore,
    path: str,
    data: dict[str, str],
    token: str | None,
) -> None:
    patron = ill_store.find_patron("mjones")
    assert patron is not None
    own = ill_store.transactions_for_patron(patron.id, PatronList.OUTSTANDING)[-1]
    values = {name: value.format(version=own.version) for name, value in data.items()} | (
        {} if token is None else {"csrf_token": token}
    )
    before = (len(ill_store.search(limit=1000)), own.version, patron.feed_token)
    answer = patron_client.post(path.format(own=own.id), data=values)
    assert answer.status_code == 403
    after_patron = ill_store.find_patron("mjones")
    assert after_patron is not None
    after = (
        len(ill_store.search(limit=1000)),
        ill_store.get_transaction(own.id).version,
        after_patron.feed_token,
    )
    assert after == before
