"""`make docs`: every AsyncAPI message is an envelope of the contracts its topic carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from duban.docs import _resolve, write_asyncapi, write_contract_schemas

pytestmark = pytest.mark.unit


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _payload_types(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: [
            option["allOf"][1]["properties"]["event_type"]["const"]
            for option in message["payload"].get("oneOf", [])
        ]
        for name, message in document["components"]["messages"].items()
    }


def test_asyncapi_documents_name_the_envelopes_each_service_reads_and_writes(
    tmp_path: Path,
) -> None:
    from task_ledger.service_layer import inbound

    written = write_contract_schemas(tmp_path / "schemas") + write_asyncapi(tmp_path / "asyncapi")
    assert len(written) > 3
    docs = {
        p.name.removesuffix(".asyncapi.json"): json.loads(p.read_text())
        for p in (tmp_path / "asyncapi").glob("*.json")
    }
    assert set(docs) == {"task-ledger", "deadline-watcher", "notifier"}
    for document in docs.values():
        for ref in _refs(document):
            assert _resolve(document, ref) is not None, ref  # no dangling reference
        assert "EmptyPayload" not in document["components"]["schemas"]

    ledger = _payload_types(docs["task-ledger"])
    read = sorted(t for name, types in ledger.items() if "inbound" in name for t in types)
    assert read == sorted(inbound.HANDLED_TYPES)
    watcher = _payload_types(docs["deadline-watcher"])
    assert watcher["duban.supervision.events:escalation.raised:Message"] == ["escalation.raised"]
    notifier = _payload_types(docs["notifier"])
    assert notifier["notifier dispatch records:Message"] == [
        "notification.failed",
        "notification.sent",
    ]
