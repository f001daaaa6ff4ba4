"""`make docs`: JSON Schema for every contract and an AsyncAPI document per service."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from duban_contracts import REGISTRY, Envelope

# Each service exposes `build_broker(settings=None) -> KafkaBroker` with every subscriber and
# publisher registered, so FastStream can describe it, and `consumes(event_type) -> bool`, the
# event types its subscribers read (they take raw records, so FastStream sees no payload type).
SERVICES = {
    "task-ledger": "task_ledger.entrypoints.messaging",
    "deadline-watcher": "deadline_watcher.entrypoints.messaging",
    "notifier": "notifier.entrypoints.messaging",
}


def write_contract_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    schemas = {"envelope": Envelope.model_json_schema()}
    for event_type, cls in sorted(REGISTRY.items()):
        schema = cls.model_json_schema()
        schema["x-event-type"] = event_type
        schema["x-schema-version"] = cls.SCHEMA_VERSION
        schema["x-topic"] = cls.TOPIC
        schema["x-key-field"] = cls.KEY_FIELD
        schemas[event_type] = schema
    for name, schema in schemas.items():
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
        written.append(path)
    return written


def write_asyncapi(out: Path) -> list[Path]:
    from faststream.specification import AsyncAPI

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for service, module_name in SERVICES.items():
        module = importlib.import_module(module_name)
        broker = module.build_broker()
        spec = AsyncAPI(broker, title=f"Duban {service}", version="1.0.0").to_specification()
        document = with_envelope_payloads(json.loads(spec.to_json()), module.consumes)
        path = out / f"{service}.asyncapi.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        written.append(path)
    return written


def with_envelope_payloads(document: dict[str, Any], consumes: Callable[[str], bool]) -> dict:
    """Every message of the document as what the topic really carries: an envelope whose
    payload is one of the contracts on that topic (for a subscriber: those it reads)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    models: list[type[BaseModel]] = [Envelope, *REGISTRY.values()]
    _, top = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )
    schemas.update(top["$defs"])
    for operation in document.get("operations", {}).values():
        channel = _resolve(document, operation["channel"]["$ref"])
        reading = operation["action"] == "receive"
        types = [
            event_type
            for event_type, cls in sorted(REGISTRY.items())
            if channel["address"] == cls.TOPIC and (not reading or consumes(event_type))
        ]
        if not types:  # the dead-letter topic: whatever was refused, as declared
            continue
        for ref in channel["messages"].values():
            message = _resolve(document, ref["$ref"])
            declared = _declared_types(document, message.get("payload"))  # a publisher's schema=
            chosen = [t for t in types if t in declared] or types
            message["payload"] = {"oneOf": [_typed_envelope(t) for t in chosen]}
    # FastStream's payload guesses that no message refers to any more.
    text = json.dumps(document["channels"]) + json.dumps(document["components"]["messages"])
    for name in [n for n in schemas if n == "EmptyPayload" or n.endswith(":Payload")]:
        if quote(name) not in text and name not in text:
            del schemas[name]
    return document


_TYPE_OF_CLASS = {cls.__name__: event_type for event_type, cls in REGISTRY.items()}


def _declared_types(document: dict[str, Any], node: Any, depth: int = 0) -> set[str]:
    """Event types whose contract class a FastStream payload schema refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = unquote(ref.rsplit("/", 1)[1])
            if name in _TYPE_OF_CLASS:
                found.add(_TYPE_OF_CLASS[name])
            elif depth < 3:
                found |= _declared_types(document, _resolve(document, ref), depth + 1)
        for value in node.values():
            found |= _declared_types(document, value, depth)
    elif isinstance(node, list):
        for value in node:
            found |= _declared_types(document, value, depth)
    return found


def _typed_envelope(event_type: str) -> dict[str, Any]:
    cls = REGISTRY[event_type]
    return {
        "title": f"{cls.__name__} 信封",
        "allOf": [
            {"$ref": "#/components/schemas/Envelope"},
            {
                "type": "object",
                "properties": {
                    "event_type": {"const": event_type},
                    "schema_version": {"const": cls.SCHEMA_VERSION},
                    "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
                },
            },
        ],
    }


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[unquote(part)]
    return node
