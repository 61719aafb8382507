"""Who may do what through the REST API: patrons only their own requests, staff by role,
changes only with the CSRF token (cookies) or an API key, errors always JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.web.api_routes import api_app
from shelfnet.web.ill_access import IllWeb
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import sign_in


def csrf(client: TestClient, path: str = "/api/v1/me") -> dict[str, str]:
    return {"X-CSRF-Token": client.get(path).headers["X-CSRF-Token"]}


@pytest.fixture
def other_patron(app: FastAPI) -> Iterator[TestClient]:
    """Patron tnguyen, signed in."""
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client, "/ill/signin", "tnguyen", PASSWORD)
        yield client


@pytest.fixture
def reader_client(app: FastAPI) -> Iterator[TestClient]:
    """Read-only staff."""
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client, "/staff/signin", "reader", PASSWORD)
        yield client


@pytest.fixture
def admin_key(ill_web: IllWeb) -> str:
    key, _record = ApiKeys(ill_web.store.engine).create("admin", "tests")
    return key


def _a_request_of_mjones(patron_client: TestClient) -> int:
    mine = patron_client.get("/api/v1/me/requests").json()["requests"]
    open_ones = [item["id"] for item in mine if item["can_cancel"]]
    assert open_ones
    return int(open_ones[0])


def test_another_patrons_request_cannot_be_read_cancelled_or_renewed(
    patron_client: TestClient, other_patron: TestClient, ill_web: IllWeb
) -> None:
    theirs = _a_request_of_mjones(patron_client)
    before = ill_web.store.get_transaction(theirs)
    token = csrf(other_patron)
    answers = [
        other_patron.get(f"/api/v1/me/requests/{theirs}"),
        other_patron.post(f"/api/v1/me/requests/{theirs}/cancel", headers=token),
        other_patron.post(f"/api/v1/me/requests/{theirs}/renew", headers=token),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"] == "not_found"
    missing = other_patron.get("/api/v1/me/requests/999999")
    assert missing.json() == answers[0].json() | {"detail": missing.json()["detail"]}
    assert ill_web.store.get_transaction(theirs).version == before.version


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/me/requests"),
        ("POST", "/api/v1/me/requests"),
        ("GET", "/api/v1/queues"),
        ("GET", "/api/v1/transactions/1"),
        ("POST", "/api/v1/transactions/1/actions"),
        ("GET", "/api/v1/reports/fill-rate"),
    ],
)
def test_without_signing_in_the_answer_is_401_json_never_a_redirect(
    client: TestClient, method: str, path: str
) -> None:
    answer = client.request(method, path, json={})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "sign_in_required"
    assert "location" not in answer.headers


def test_a_patron_cookie_does_not_open_the_staff_endpoints(patron_client: TestClient) -> None:
    for path in ("/api/v1/queues", "/api/v1/transactions/1", "/api/v1/partners"):
        answer = patron_client.get(path)
        assert answer.status_code in (401, 403), path
        assert answer.json()["error"] in ("sign_in_required", "forbidden")


def test_staff_cookies_are_not_patron_sign_ons(staff_client: TestClient) -> None:
    assert staff_client.get("/api/v1/me").status_code == 401


def test_read_only_staff_may_read_but_not_change(reader_client: TestClient) -> None:
    token = csrf(reader_client, "/api/v1/staff/me")
    assert reader_client.get("/api/v1/queues").status_code == 200
    assert reader_client.get("/api/v1/transactions/1").status_code == 200
    changes = [
        reader_client.post(
            "/api/v1/transactions/1/actions",
            json={"action": "start_processing", "expected_version": 1},
            headers=token,
        ),
        reader_client.post("/api/v1/transactions/1/notes", json={"text": "x"}, headers=token),
        reader_client.post("/api/v1/transactions/1/lock", headers=token),
        reader_client.put("/api/v1/routing-rules", json={"rules": []}, headers=token),
    ]
    for answer in changes:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "forbidden"


def test_only_administrators_move_directly_and_change_partners(
    app: FastAPI, ill_web: IllWeb
) -> None:
    from shelfnet.ill.model import StaffRole, StaffUser

    ill_web.store.create_staff(StaffUser("clerk", role=StaffRole.STAFF))
    key, _record = ApiKeys(ill_web.store.engine).create("clerk")
    with TestClient(app) as clerk:
        clerk.headers["Authorization"] = f"Bearer {key}"
        moved = clerk.post(
            "/api/v1/transactions/1/status",
            json={"status": "request_in_processing", "expected_version": 1},
        )
        assert moved.status_code == 403
        partner = clerk.post("/api/v1/partners", json={"symbol": "US-X"})
        assert partner.status_code == 403
        assert clerk.get("/api/v1/partners").status_code == 200


def test_a_cookie_sign_on_without_the_csrf_header_cannot_change_anything(
    patron_client: TestClient, staff_client: TestClient
) -> None:
    refused = [
        patron_client.post("/api/v1/me/requests", json={"citation": {"title": "Emma"}}),
        patron_client.post(
            "/api/v1/me/requests",
            json={"citation": {"title": "Emma"}},
            headers={"X-CSRF-Token": "not-the-token"},
        ),
        staff_client.post("/api/v1/transactions/1/notes", json={"text": "hello"}),
        staff_client.post(
            "/api/v1/transactions/1/actions",
            json={"action": "start_processing", "expected_version": 1},
        ),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "forbidden"
    done = staff_client.post(
        "/api/v1/transactions/1/notes",
        json={"text": "hello"},
        headers=csrf(staff_client, "/api/v1/staff/me"),
    )
    assert done.status_code == 201


def test_an_api_key_needs_no_csrf_token_and_a_revoked_one_is_refused(
    client: TestClient, admin_key: str, ill_web: IllWeb
) -> None:
    headers = {"Authorization": f"Bearer {admin_key}"}
    assert client.get("/api/v1/staff/me", headers=headers).json()["username"] == "admin"
    note = client.post("/api/v1/transactions/1/notes", json={"text": "by key"}, headers=headers)
    assert note.status_code == 201, note.text
    keys = ApiKeys(ill_web.store.engine)
    (record,) = keys.list("admin")
    assert keys.revoke(record.id)
    refused = client.get("/api/v1/queues", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    wrong = client.get("/api/v1/queues", headers={"Authorization": "Bearer shl_madeup"})
    assert wrong.status_code == 401


def test_a_script_tag_in_a_title_comes_back_verbatim_as_json(
    patron_client: TestClient,
) -> None:
    title = '<script>alert("x")</script> & more'
    made = patron_client.post(
        "/api/v1/me/requests",
        json={"citation": {"title": title}},
        headers=csrf(patron_client),
    )
    assert made.status_code == 201
    answer = patron_client.get(f"/api/v1/me/requests/{made.json()['id']}")
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["citation"]["title"] == title


def test_answers_are_not_cached(patron_client: TestClient) -> None:
    assert patron_client.get("/api/v1/me").headers["cache-control"] == "no-store"


def test_unknown_paths_and_methods_answer_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = client.delete("/api/v1/queues")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"


def test_a_failure_inside_answers_500_without_internals(
    ill_web: IllWeb, admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("password=hunter2 in /srv/secret/path")

    monkeypatch.setattr(ill_web.store, "queue_counts", broken)
    with TestClient(api_app(ill_web), raise_server_exceptions=False) as api:
        answer = api.get("/v1/queues", headers={"Authorization": f"Bearer {admin_key}"})
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "server_error",
        "detail": "Something went wrong on the server.",
        "fields": [],
    }
    assert "hunter2" not in answer.text
