"""A script's whole conversation with the API, as the documentation shows it: an API key,
a borrowing request, the actions that carry it to the patron, and its history read back."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.web.ill_access import IllWeb


def test_a_script_creates_a_borrowing_request_and_processes_it(
    app: FastAPI, ill_web: IllWeb
) -> None:
    key, record = ApiKeys(ill_web.store.engine).create("admin", "nightly script")
    assert key.startswith("shl_") and record.prefix == key[:10]
    with TestClient(app) as http:
        headers = {"Authorization": f"Bearer {key}"}

        def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            answer = http.request(method, f"/api/v1{path}", headers=headers, **kwargs)
            assert answer.status_code in (200, 201), answer.text
            assert answer.headers["content-type"] == "application/json"
            body: dict[str, Any] = answer.json()
            return body

        made = call(
            "POST",
            "/transactions",
            json={
                "process_type": "borrowing",
                "request_type": "loan",
                "document_type": "book",
                "citation": {"title": "The Years of Lyndon Johnson", "author": "Caro, Robert"},
                "patron": "mjones",
                "lender_string": ["US-CST", "US-MH"],
            },
        )
        assert made["status"] == "awaiting_request_processing"
        assert made["patron"] == "mjones"
        transaction = made
        steps = [
            ("start_processing", "request_in_processing"),
            ("send_request", "request_sent"),
            ("cannot_fill", "awaiting_unfilled_processing"),
            ("send_request", "request_sent"),
            ("mark_received", "awaiting_post_receipt_processing"),
            ("notify_customer", "customer_notified_via_email"),
            ("check_out", "checked_out_to_customer"),
        ]
        for action, status in steps:
            assert action in transaction["actions"]
            transaction = call(
                "POST",
                f"/transactions/{made['id']}/actions",
                json={"action": action, "expected_version": transaction["version"]},
            )
            assert transaction["status"] == status
        assert transaction["partner"] == "US-MH", "the second lender filled it"

        call("POST", f"/transactions/{made['id']}/notes", json={"text": "Due back in 4 weeks"})
        read = call("GET", f"/transactions/{made['id']}")
        history = [(line["from_status"], line["to_status"], line["by"]) for line in read["history"]]
        assert history[0] == (None, "awaiting_request_processing", "admin")
        assert [line[1] for line in history[1:]] == [status for _action, status in steps]
        assert [note["text"] for note in read["notes"]] == ["Due back in 4 weeks"]
        assert read["version"] == transaction["version"]

        queue = call("GET", "/queues/borrowing/checked_out_to_customer")
        assert made["id"] in [item["id"] for item in queue["items"]]
    assert ApiKeys(ill_web.store.engine).list("admin")[0].last_used is not None
