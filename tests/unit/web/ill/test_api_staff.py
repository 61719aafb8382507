"""The REST API as staff scripts use it (with an API key): queues, transactions, actions,
locks, partners, routing rules, search and reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.web.ill_access import IllWeb


@pytest.fixture
def api(app: FastAPI, ill_web: IllWeb) -> Iterator[TestClient]:
    """A client with the administrator's API key."""
    key, _record = ApiKeys(ill_web.store.engine).create("admin", "tests")
    with TestClient(app, base_url="http://testserver/api/v1") as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def _lending(api: TestClient, **extra: Any) -> dict[str, Any]:
    answer = api.post(
        "/transactions",
        json={
            "process_type": "lending",
            "request_type": "loan",
            "document_type": "book",
            "citation": {"title": "Moby-Dick", "author": "Melville, Herman"},
            "partner": "US-MH",
            "external_id": "MH-1234",
            **extra,
        },
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_queue_counts_list_every_queue_that_is_not_empty(api: TestClient, ill_web: IllWeb) -> None:
    queues = api.get("/queues").json()["queues"]
    counted = {(q["process_type"], q["status"]): q["count"] for q in queues}
    stored = {(p.value, s.value): n for (p, s), n in ill_web.store.queue_counts().items()}
    assert counted == stored
    assert all(q["status_display"] for q in queues)


def test_a_queue_is_paged_oldest_first(api: TestClient) -> None:
    whole = api.get("/queues/lending/awaiting_lending_request_processing").json()
    assert whole["total"] >= 1
    for _ in range(3):
        _lending(api)
    page = api.get(
        "/queues/lending/awaiting_lending_request_processing", params={"offset": 1, "limit": 2}
    ).json()
    assert page["total"] == whole["total"] + 3
    assert len(page["items"]) == 2
    assert page["items"][0]["created"] <= page["items"][1]["created"]


def test_queue_limits_and_unknown_queues(api: TestClient) -> None:
    too_many = api.get("/queues/borrowing/request_sent", params={"limit": 201})
    assert too_many.status_code == 422
    assert too_many.json()["fields"][0]["location"] == "query.limit"
    not_lending = api.get("/queues/lending/request_sent")
    assert not_lending.status_code == 404
    assert api.get("/queues/borrowing/no_such_status").status_code == 422


def test_a_discovery_layer_keys_a_lending_request(api: TestClient) -> None:
    body = _lending(api, note="Keyed from the discovery layer")
    assert body["process_type"] == "lending"
    assert body["status"] == "awaiting_lending_request_processing"
    assert body["system_id"] == "api"
    assert body["external_id"] == "MH-1234"
    assert [note["text"] for note in body["notes"]] == ["Keyed from the discovery layer"]
    assert body["history"][0]["by"] == "admin"
    assert "search_stacks" in body["actions"]


def test_an_unknown_patron_is_refused(api: TestClient) -> None:
    answer = api.post(
        "/transactions",
        json={
            "process_type": "borrowing",
            "request_type": "loan",
            "document_type": "book",
            "citation": {"title": "Emma"},
            "patron": "nobody",
        },
    )
    assert answer.status_code == 422
    assert "nobody" in answer.json()["detail"]


def test_patch_changes_only_the_fields_sent_against_the_version_read(api: TestClient) -> None:
    made = _lending(api)
    changed = api.patch(
        f"/transactions/{made['id']}",
        json={"expected_version": made["version"], "citation": {"year": "1851"}, "cost": "5.00"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["citation"]["year"] == "1851"
    assert body["citation"]["title"] == "Moby-Dick"
    assert body["cost"] == "5.00"
    assert body["version"] == made["version"] + 1
    stale = api.patch(
        f"/transactions/{made['id']}",
        json={"expected_version": made["version"], "citation": {"year": "1852"}},
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "version_conflict"
    missing = api.patch(f"/transactions/{made['id']}", json={"citation": {"year": "1"}})
    assert missing.status_code == 422


def test_actions_move_a_request_along_and_refuse_what_the_workflow_refuses(
    api: TestClient,
) -> None:
    made = _lending(api)
    moved = api.post(
        f"/transactions/{made['id']}/actions",
        json={"action": "search_stacks", "expected_version": made["version"], "note": "on it"},
    ).json()
    assert moved["status"] == "awaiting_stacks_searching"
    assert moved["history"][-1]["note"] == "on it"
    refused = api.post(
        f"/transactions/{made['id']}/actions",
        json={"action": "check_in", "expected_version": moved["version"]},
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "transition_refused"
    assert body["detail"] == (
        '"Check in" is not possible for a lending request in "Awaiting Stacks Searching".'
    )


def test_an_administrator_moves_directly_but_only_where_the_workflow_allows(
    api: TestClient,
) -> None:
    made = _lending(api)
    moved = api.post(
        f"/transactions/{made['id']}/status",
        json={
            "status": "awaiting_stacks_searching",
            "expected_version": made["version"],
            "note": "by hand",
        },
    )
    assert moved.status_code == 200, moved.text
    refused = api.post(
        f"/transactions/{made['id']}/status",
        json={"status": "request_finished", "expected_version": moved.json()["version"]},
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("A lending request in")


def test_a_lock_held_by_someone_else_answers_423_until_forced(
    api: TestClient, ill_web: IllWeb
) -> None:
    made = _lending(api)
    ill_web.store.take_lock(made["id"], "someone-else")
    shown = api.get(f"/transactions/{made['id']}").json()
    assert shown["lock"]["holder"] == "someone-else"
    locked = api.post(
        f"/transactions/{made['id']}/actions",
        json={"action": "search_stacks", "expected_version": shown["version"]},
    )
    assert locked.status_code == 423
    assert locked.json()["error"] == "locked"
    assert api.post(f"/transactions/{made['id']}/lock").status_code == 423
    taken = api.post(f"/transactions/{made['id']}/lock", params={"force": "true"})
    assert taken.status_code == 200
    assert taken.json()["holder"] == "admin"
    assert api.delete(f"/transactions/{made['id']}/lock").status_code == 204
    assert api.get(f"/transactions/{made['id']}").json()["lock"] is None


def test_unknown_transactions_are_404(api: TestClient) -> None:
    answer = api.get("/transactions/987654")
    assert answer.status_code == 404
    assert answer.json() == {"error": "not_found", "detail": "No transaction 987654", "fields": []}


def test_search_by_title_words_and_by_number(api: TestClient) -> None:
    found = api.get("/search", params={"q": "middlemarch"}).json()["items"]
    assert [item["title"] for item in found] == ["Middlemarch"]
    by_number = api.get("/search", params={"q": str(found[0]["id"])}).json()["items"]
    assert found[0]["id"] in [item["id"] for item in by_number]
    assert api.get("/search", params={"q": "x" * 256}).status_code == 422


def test_partners_are_listed_added_and_changed_without_showing_secrets(
    api: TestClient, ill_web: IllWeb
) -> None:
    listed = api.get("/partners").json()["partners"]
    assert "US-CST" in [partner["symbol"] for partner in listed]
    assert all("shared_secret" not in partner for partner in listed)
    added = api.post(
        "/partners",
        json={"symbol": "US-DLC", "name": "Library of Congress", "shared_secret": "s3cret"},
    )
    assert added.status_code == 201, added.text
    assert api.post("/partners", json={"symbol": "US-DLC"}).status_code == 409
    changed = api.put("/partners/US-DLC", json={"name": "LC", "protocol": "iso18626"})
    assert changed.status_code == 200
    assert changed.json()["protocol"] == "iso18626"
    stored = ill_web.store.get_partner("US-DLC")
    assert stored is not None and stored.shared_secret == "s3cret"
    assert api.put("/partners/NOPE", json={}).status_code == 404


def test_routing_rules_are_read_and_replaced(api: TestClient, ill_web: IllWeb) -> None:
    rules = api.get("/routing-rules").json()["rules"]
    assert [rule["number"] for rule in rules] == [10, 20]
    rules[0]["description"] = "Changed by a script"
    replaced = api.put("/routing-rules", json={"rules": rules[:1]})
    assert replaced.status_code == 200, replaced.text
    assert [rule.description for rule in ill_web.store.routing_rules()] == ["Changed by a script"]
    empty_rule = {"number": 5, "status": "request_sent"}
    refused = api.put("/routing-rules", json={"rules": [empty_rule]})
    assert refused.status_code == 422
    twice = api.put("/routing-rules", json={"rules": [rules[0], rules[0]]})
    assert twice.status_code == 409


@pytest.mark.parametrize(
    "name",
    ["requests-by-status", "turnaround", "fill-rate", "lending-by-partner", "copyright"],
)
def test_every_report_answers_rows(api: TestClient, name: str) -> None:
    answer = api.get(f"/reports/{name}")
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["rows"], list)


def test_reports_take_a_period(api: TestClient) -> None:
    everything = api.get("/reports/requests-by-status").json()["rows"]
    assert sum(row["count"] for row in everything) >= 20
    nothing = api.get(
        "/reports/requests-by-status", params={"since": "2000-01-01", "until": "2000-02-01"}
    ).json()["rows"]
    assert nothing == []
    assert api.get("/reports/no-such-report").status_code == 404
