"""The API describes itself: an OpenAPI 3 document listing every route, every answer's
model and every error, and the Swagger page that shows it.

``openapi-spec-validator`` is not installed, so the document's structure is checked here:
the parts of OpenAPI 3 that tools rely on (operations, parameters, responses, references).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from shelfnet.web.api_routes import patron_router, staff_router

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

EXPECTED = {
    ("get", "/v1/me"),
    ("get", "/v1/me/requests"),
    ("post", "/v1/me/requests"),
    ("get", "/v1/me/requests/{transaction_id}"),
    ("post", "/v1/me/requests/{transaction_id}/cancel"),
    ("post", "/v1/me/requests/{transaction_id}/renew"),
    ("get", "/v1/staff/me"),
    ("get", "/v1/queues"),
    ("get", "/v1/queues/{process_type}/{status}"),
    ("get", "/v1/transactions/{transaction_id}"),
    ("post", "/v1/transactions"),
    ("patch", "/v1/transactions/{transaction_id}"),
    ("post", "/v1/transactions/{transaction_id}/actions"),
    ("post", "/v1/transactions/{transaction_id}/status"),
    ("post", "/v1/transactions/{transaction_id}/notes"),
    ("post", "/v1/transactions/{transaction_id}/lock"),
    ("delete", "/v1/transactions/{transaction_id}/lock"),
    ("get", "/v1/search"),
    ("get", "/v1/partners"),
    ("post", "/v1/partners"),
    ("put", "/v1/partners/{symbol}"),
    ("get", "/v1/routing-rules"),
    ("put", "/v1/routing-rules"),
    ("get", "/v1/reports/requests-by-status"),
    ("get", "/v1/reports/turnaround"),
    ("get", "/v1/reports/fill-rate"),
    ("get", "/v1/reports/lending-by-partner"),
    ("get", "/v1/reports/copyright"),
}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "$ref":
                yield inner
            else:
                yield from refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from refs(inner)


def test_the_document_is_openapi_3_with_title_version_and_server(
    document: dict[str, Any],
) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert document["info"]["title"] == "shelfnet ILL API"
    assert document["info"]["version"] == "1"
    assert "X-CSRF-Token" in document["info"]["description"]
    assert document["servers"] == [{"url": "/api"}]


def test_every_route_is_in_the_document_and_every_documented_route_exists(
    document: dict[str, Any],
) -> None:
    listed = {(method, path) for method, path, _operation in operations(document)}
    assert listed == EXPECTED
    routes = {
        (method.lower(), route.path)
        for router in (patron_router, staff_router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == listed
    assert all(path.startswith("/v1/") for _method, path in listed)


def test_every_operation_is_described_and_answers_a_documented_model(
    document: dict[str, Any],
) -> None:
    ids = []
    for method, path, operation in operations(document):
        where = f"{method.upper()} {path}"
        ids.append(operation["operationId"])
        assert operation.get("summary"), where
        assert operation.get("tags") in (["patron"], ["staff"]), where
        assert operation.get("security"), where
        responses = operation["responses"]
        assert all(re.fullmatch(r"[1-5]\d\d|default", code) for code in responses), where
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, where
        for code, response in responses.items():
            assert response.get("description"), (where, code)
            if code == "204":
                assert "content" not in response, where
                continue
            schema = response["content"]["application/json"]["schema"]
            assert "$ref" in schema, (where, code)
            if not code.startswith("2"):
                assert schema["$ref"] == "#/components/schemas/ErrorOut", (where, code)
        for code in ("401", "403", "422"):
            assert code in responses, (where, code)


def test_path_parameters_are_declared_and_required(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        names = set(re.findall(r"{(\w+)}", path))
        declared = {
            parameter["name"]: parameter
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "path"
        }
        assert set(declared) == names, (method, path)
        assert all(parameter["required"] is True for parameter in declared.values())
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in ("query", "header", "path", "cookie")
            assert "schema" in parameter


def test_every_reference_resolves_and_every_schema_is_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    for name, schema in schemas.items():
        assert schema.get("type") == "object" or "enum" in schema, name
        for field, prop in schema.get("properties", {}).items():
            assert {"type", "$ref", "anyOf", "allOf", "enum"} & set(prop), (name, field)


def test_enumerations_are_listed_by_their_values(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "awaiting_request_processing" in schemas["Status"]["enum"]
    assert schemas["ProcessType"]["enum"] == ["borrowing", "lending", "document_delivery"]
    assert "send_request" in schemas["Action"]["enum"]


def test_limits_are_in_the_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CitationIn"]["properties"]["title"]["maxLength"] == 1000
    assert schemas["NoteIn"]["properties"]["text"]["maxLength"] == 4000
    queue = document["paths"]["/v1/queues/{process_type}/{status}"]["get"]
    limit = next(p for p in queue["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 200


def test_the_security_schemes_are_the_cookies_and_the_api_key(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["patronCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "shelfnet_patron",
        "description": "A patron's sign-on (/ill/signin).",
    }
    assert schemes["staffCookie"]["name"] == "shelfnet_staff"
    assert schemes["apiKey"]["scheme"] == "bearer"


def test_the_swagger_page_loads_the_document_from_under_api(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/openapi.json" in page.text
