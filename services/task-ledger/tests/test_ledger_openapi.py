"""The OpenAPI of the JSON API documents what every route answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import ledger_settings

from task_ledger.entrypoints.http import create_app

pytestmark = pytest.mark.unit

# Routes answering a file, not JSON: they declare the media types instead of a schema.
FILE_ROUTES = {
    ("get", "/api/tasks/{task_id}/attachments/{attachment_id}"),
    ("get", "/api/reports/monthly"),
    ("get", "/api/tasks/export"),
}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def success_of(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = [(code, r) for code, r in operation["responses"].items() if code.startswith("2")]
    assert len(found) == 1, operation["responses"]
    return found[0]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    settings = ledger_settings(f"sqlite+aiosqlite:///{tmp / 'ledger.db'}", tmp)
    return create_app(settings, background=False).openapi()


def api_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    ]


def test_every_json_route_documents_its_response_schema(spec: dict[str, Any]) -> None:
    operations = api_operations(spec)
    assert len(operations) >= 30
    undocumented = []
    for method, path, operation in operations:
        if (method, path) in FILE_ROUTES:
            continue
        _, response = success_of(operation)
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        schema = resolve(spec, schema)
        described = schema.get("properties") or schema.get("items") or schema.get("anyOf")
        if not described:
            undocumented.append((method, path))
    assert not undocumented, f"routes without a response schema: {undocumented}"


def test_file_routes_declare_their_media_types(spec: dict[str, Any]) -> None:
    paths = {(m, p): op for m, p, op in api_operations(spec)}
    assert set(paths) >= FILE_ROUTES
    for key in FILE_ROUTES:
        _, response = success_of(paths[key])
        media = set(response.get("content", {}))
        assert media and "application/json" not in media, (key, media)
    report = success_of(paths[("get", "/api/reports/monthly")])[1]["content"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in report


def test_a_task_is_documented_with_its_fields(spec: dict[str, Any]) -> None:
    paths = {(m, p): op for m, p, op in api_operations(spec)}
    code, response = success_of(paths[("get", "/api/tasks/{task_id}")])
    detail = resolve(spec, response["content"]["application/json"]["schema"])
    assert code == "200"
    assert {"id", "status", "light", "due_on", "progress_reports", "children"} <= set(
        detail["properties"]
    )
    code, _ = success_of(paths[("post", "/api/tasks/{task_id}/reminders")])
    assert code == "202"


def test_refusals_are_documented_as_problem_details(spec: dict[str, Any]) -> None:
    for method, path, operation in api_operations(spec):
        for status in ("401", "403", "404", "422"):
            content = operation["responses"][status]["content"]
            assert set(content) == {"application/problem+json"}, (method, path, status)
            assert {"title", "status", "detail"} <= set(
                content["application/problem+json"]["schema"]["properties"]
            )
