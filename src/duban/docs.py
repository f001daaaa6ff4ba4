"""`make docs`: JSON Schema for every contract and an AsyncAPI document per service."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from duban_contracts import REGISTRY, Envelope

# Each service exposes `build_broker(settings=None) -> KafkaBroker` with every subscriber and
# publisher registered, so FastStream can describe it.
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
        path = out / f"{service}.asyncapi.json"
        path.write_text(spec.to_json() + "\n")
        written.append(path)
    return written
