"""docker-compose.yml: valid against the Compose Specification, and wired in the right order."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from duban_contracts.topics import ALL_TOPICS

SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "compose-spec.json").read_text(encoding="utf-8")
)
SERVICES = {"task-ledger": 8000, "deadline-watcher": 8001, "notifier": 8002}

pytestmark = pytest.mark.unit


def test_compose_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors
    # ...and the schema does catch mistakes (not a schema that accepts anything).
    broken = json.loads(json.dumps(compose))
    broken["services"]["kafka"]["healthcheck"]["intervall"] = "5s"
    broken["services"]["notifier"]["depends_on"]["postgres"]["condition"] = "service_ready"
    assert len(list(validator.iter_errors(broken))) == 2


def test_kafka_is_kraft_and_topics_come_from_the_contracts(
    compose: dict[str, Any], deploy: Any
) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "zookeeper" not in json.dumps(compose).lower()
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # kafka-storage format needs a valid Uuid: 16 bytes, base64url without padding.
    cluster_id = deploy.interpolate(env["CLUSTER_ID"])
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    init = compose["services"]["kafka-init"]
    assert init["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    specs = dict(s.split(":") for s in init["environment"]["TOPICS"].split())
    assert {name: int(p) for name, p in specs.items()} == {t.name: t.partitions for t in ALL_TOPICS}
    script = deploy.interpolate(init["command"][0])
    assert "--if-not-exists" in script and "${TOPICS}" in script


def test_services_start_after_topics_and_database_with_health_checks(
    compose: dict[str, Any], deploy: Any, compose_dotenv: dict[str, str]
) -> None:
    services = compose["services"]
    for name, port in SERVICES.items():
        svc = services[name]
        assert svc["build"] == {"context": ".", "dockerfile": f"services/{name}/Dockerfile"}
        deps = svc["depends_on"]
        assert deps["kafka-init"] == {"condition": "service_completed_successfully"}
        assert deps["postgres"] == {"condition": "service_healthy"}
        assert deps["otel-collector"]["condition"] == "service_started"
        check = " ".join(svc["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/health/ready" in check
        env = {k: deploy.interpolate(str(v), compose_dotenv) for k, v in svc["environment"].items()}
        assert env.get("DUBAN_HTTP_PORT") == str(port)
        assert env["DUBAN_OTLP_ENDPOINT"] == "http://otel-collector:4318/v1/traces"
        # The probed endpoints exist in the service's code or the skeleton it is built on.
        package = name.replace("-", "_")
        source = "".join(
            p.read_text(encoding="utf-8")
            for p in (deploy.ROOT / "services" / name / "src" / package).rglob("*.py")
        )
        if "service_app(" in source:
            skeleton = deploy.ROOT / "libs" / "common" / "src" / "duban_common" / "service.py"
            source += skeleton.read_text(encoding="utf-8")
        assert "/health/ready" in source and "/health/live" in source, name
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["kafka"]
    assert services["task-ledger"]["ports"] == ["8000:8000"]


def test_one_database_per_service_made_by_the_init_script(
    compose: dict[str, Any], deploy: Any
) -> None:
    script = (deploy.ROOT / "deploy" / "postgres" / "init-databases.sh").read_text()
    created = set(re.findall(r"^create (\w+) ", script, re.M))
    mounts = compose["services"]["postgres"]["volumes"]
    assert (
        "./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-init-databases.sh:ro"
        in mounts
    )
    databases = []
    for name in SERVICES:
        url = urlsplit(
            deploy.interpolate(compose["services"][name]["environment"]["DUBAN_DATABASE_URL"])
        )
        assert url.hostname == "postgres" and url.username == url.path.lstrip("/")
        databases.append(url.path.lstrip("/"))
    assert sorted(databases) == sorted(created) and len(set(databases)) == 3


def test_collector_forwards_traces_to_jaeger(compose: dict[str, Any], deploy: Any) -> None:
    config = yaml.safe_load((deploy.ROOT / "deploy" / "otel" / "collector.yaml").read_text())
    mount = compose["services"]["otel-collector"]["volumes"][0]
    assert mount.startswith("./deploy/otel/collector.yaml:")
    assert mount.split(":")[1] in " ".join(compose["services"]["otel-collector"]["command"])
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    pipeline = config["service"]["pipelines"]["traces"]
    for section, names in (
        ("receivers", "receivers"),
        ("processors", "processors"),
        ("exporters", "exporters"),
    ):
        assert set(pipeline[names]) <= set(config[section]), section
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    (exporter,) = (config["exporters"][e] for e in pipeline["exporters"])
    host = exporter["endpoint"].split(":")[0]
    assert host in compose["services"] and compose["services"][host]["image"].startswith(
        "jaegertracing/"
    )
