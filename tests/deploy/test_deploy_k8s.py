"""deploy/k8s: what the overlays render is valid Kubernetes, and hangs together.

Built-in kinds are validated with kubernetes-validate (strict: unknown fields fail) for a current
Kubernetes; the Strimzi and CloudNativePG custom resources against schemas/crd-subsets.json.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import schema_contents as k8s_schema
from referencing import Registry, Resource

from duban_contracts.topics import ALL_TOPICS, NOTIFICATION_EVENTS, SUPERVISION_EVENTS, TASK_EVENTS

KUBERNETES_VERSION = "1.37.0"
OVERLAYS = ("dev", "prod")
SERVICES = ("task-ledger", "deadline-watcher", "notifier")
CRD_SCHEMAS = json.loads(
    (Path(__file__).parent / "schemas" / "crd-subsets.json").read_text(encoding="utf-8")
)
CUSTOM_KINDS = {
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("external-secrets.io/v1", "ExternalSecret"),
}
DB_OF = {"task-ledger": "ledger-db", "deadline-watcher": "watcher-db", "notifier": "notifier-db"}
# duban_common.db.make_engine: pool_size 10 + max_overflow 10 per process.
CONNECTIONS_PER_REPLICA = 20

pytestmark = pytest.mark.unit


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(d, d["spec"]["template"]) for d in docs if d["kind"] in ("Deployment", "Job")]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        op, key, values = expr["operator"], expr["key"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


@functools.cache
def builtin_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    """What kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True) builds for each
    call (same schema files, same registry), built once per kind to keep the tests fast."""
    directory = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = k8s_schema(f"{directory}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    definitions = k8s_schema(f"{directory}/_definitions.json", KUBERNETES_VERSION)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_builtin(doc: dict[str, Any]) -> None:
    builtin_validator(doc["apiVersion"], doc["kind"]).validate(doc)


def validate_custom(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(CRD_SCHEMAS[doc["kind"]]).validate(doc)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_kubectl_kustomize(overlay: str, render: Any, deploy: Any) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with kustomize built in) is part of every machine image; not found"
    out = subprocess.run(
        [kubectl, "kustomize", str(deploy.K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    def key(d: dict[str, Any]) -> tuple[str, ...]:
        m = d["metadata"]
        return (d["apiVersion"], d["kind"], m.get("namespace", ""), m["name"])

    theirs = sorted((d for d in yaml.safe_load_all(out) if d), key=key)
    mine = sorted(render(overlay), key=key)
    assert [key(d) for d in mine] == [key(d) for d in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert a == b, key(a)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_validates(overlay: str, render: Any) -> None:
    docs = render(overlay)
    assert len(docs) > 30
    for doc in docs:
        ident = f"{doc['kind']}/{doc['metadata']['name']}"
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            validate_custom(doc)
        else:
            try:
                validate_builtin(doc)
            except jsonschema.ValidationError as exc:  # pragma: no cover - failure path
                pytest.fail(f"{overlay}: {ident}: {exc.message} at {list(exc.absolute_path)}")
        assert doc["metadata"]["namespace"] == ("duban-dev" if overlay == "dev" else "duban")


def test_validators_reject_mistakes(render: Any) -> None:
    """The checks above are not hollow: a misspelt field or a missing required one fails."""
    docs = render("prod")
    deployment = copy.deepcopy(by_kind(docs, "Deployment")["task-ledger"])
    # The cached validators agree with kubernetes_validate itself.
    assert kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {}}
    with pytest.raises(jsonschema.ValidationError):
        validate_builtin(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    hpa = copy.deepcopy(by_kind(docs, "HorizontalPodAutoscaler")["notifier"])
    del hpa["spec"]["maxReplicas"]
    with pytest.raises(jsonschema.ValidationError):
        validate_builtin(hpa)
    policy = copy.deepcopy(by_kind(docs, "NetworkPolicy")["notifier"])
    policy["spec"]["egres"] = policy["spec"].pop("egress")  # misspelt: strict mode refuses it
    with pytest.raises(jsonschema.ValidationError):
        validate_builtin(policy)
    for kind, name, path in [
        ("KafkaNodePool", "broker", ("spec", "roles")),
        ("Kafka", "duban", ("spec", "kafka", "listeners")),
        ("Cluster", "ledger-db", ("spec", "instances")),
        ("KafkaTopic", "duban.commands", ("metadata", "labels")),
        ("KafkaUser", "notifier", ("spec", "authorization", "acls")),
        ("ExternalSecret", "notifier-secrets", ("spec", "secretStoreRef")),
    ]:
        doc = copy.deepcopy(by_kind(docs, kind)[name])
        node = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
        with pytest.raises(jsonschema.ValidationError):
            validate_custom(doc)
    topic = copy.deepcopy(by_kind(docs, "KafkaTopic")["duban.commands"])
    topic["spec"]["partition"] = 3  # misspelt
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(topic)
    user = copy.deepcopy(by_kind(docs, "KafkaUser")["notifier"])
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Wrte"]  # misspelt
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(user)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_cover_the_contracts(overlay: str, render: Any) -> None:
    docs = render(overlay)
    topics = {d["spec"]["topicName"]: d for d in by_kind(docs, "KafkaTopic").values()}
    assert set(topics) == {t.name for t in ALL_TOPICS}
    pools = by_kind(docs, "KafkaNodePool")
    brokers = sum(p["spec"]["replicas"] for p in pools.values() if "broker" in p["spec"]["roles"])
    controllers = [p for p in pools.values() if "controller" in p["spec"]["roles"]]
    assert controllers and sum(p["spec"]["replicas"] for p in controllers) % 2 == 1  # a quorum
    kafka = by_kind(docs, "Kafka")["duban"]
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    for topic in ALL_TOPICS:
        spec = topics[topic.name]["spec"]
        assert topics[topic.name]["metadata"]["labels"]["strimzi.io/cluster"] == "duban"
        # Sized for the national deployment: at least the contract's count, never fewer.
        assert spec["partitions"] >= topic.partitions, topic.name
        assert 1 <= spec["replicas"] <= brokers
        min_isr = int(spec["config"]["min.insync.replicas"])
        assert min_isr == 1 if spec["replicas"] == 1 else 1 < min_isr < spec["replicas"]
    if overlay == "prod":
        assert brokers >= 3
        assert all(topics[t.name]["spec"]["replicas"] == 3 for t in ALL_TOPICS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_stays_within_partitions_and_connections(overlay: str, render: Any) -> None:
    docs = render(overlay)
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    deployments = by_kind(docs, "Deployment")
    topics = {
        d["spec"]["topicName"]: d["spec"]["partitions"]
        for d in by_kind(docs, "KafkaTopic").values()
    }
    event_partitions = min(
        topics[t.name] for t in (TASK_EVENTS, SUPERVISION_EVENTS, NOTIFICATION_EVENTS)
    )
    clusters = by_kind(docs, "Cluster")
    for name in SERVICES:  # every service consumes events: each has an HPA
        hpa = hpas[name]["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        # The HPA owns the replica count: a Deployment that set one would be reset by every apply.
        assert "replicas" not in deployments[name]["spec"], name
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        # More group members than partitions would sit idle.
        assert hpa["maxReplicas"] <= event_partitions, name
        # Every replica's connection pool (+ the migration Job) fits the database's budget.
        max_connections = int(
            clusters[DB_OF[name]]["spec"]["postgresql"]["parameters"]["max_connections"]
        )
        assert (hpa["maxReplicas"] + 1) * CONNECTIONS_PER_REPLICA <= max_connections - 10, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_are_probed_bounded_and_unprivileged(overlay: str, render: Any) -> None:
    docs = render(overlay)
    pdbs = by_kind(docs, "PodDisruptionBudget")
    policies = by_kind(docs, "NetworkPolicy")
    for owner, template in pod_specs(docs):
        spec = template["spec"]
        labels = template["metadata"]["labels"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"]:
            res = c["resources"]
            assert {"cpu", "memory"} <= set(res["requests"]), owner["metadata"]["name"]
            assert "memory" in res["limits"]
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert sc["readOnlyRootFilesystem"] is True
            if owner["kind"] == "Deployment":
                assert c["readinessProbe"] and c["livenessProbe"], owner["metadata"]["name"]
                port_names = {p["name"] for p in c["ports"]}
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    if probe in c:
                        assert c[probe]["httpGet"]["port"] in port_names
        if owner["kind"] == "Deployment":
            assert selects(owner["spec"]["selector"], labels)
            assert any(selects(p["spec"]["selector"], labels) for p in pdbs.values())
        # Every Duban pod is under the default-deny policy and one that opens what it needs.
        covering = [p for p in policies.values() if selects(p["spec"]["podSelector"], labels)]
        assert "duban-default-deny" in {p["metadata"]["name"] for p in covering}
        assert len(covering) >= 2, owner["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_references_resolve(overlay: str, render: Any) -> None:
    """ConfigMaps, Secrets, PVCs, Services, HPA targets: every name used is rendered (or is the
    secret CloudNativePG makes for a rendered Cluster)."""
    docs = render(overlay)
    configmaps = by_kind(docs, "ConfigMap")
    secrets = (
        set(by_kind(docs, "Secret"))
        | {e["spec"]["target"]["name"] for e in by_kind(docs, "ExternalSecret").values()}
        | {f"{name}-app" for name in by_kind(docs, "Cluster")}
        # Strimzi writes each KafkaUser's password and each cluster's CA certificate.
        | set(by_kind(docs, "KafkaUser"))
        | {f"{name}-cluster-ca-cert" for name in by_kind(docs, "Kafka")}
    )
    pvcs = by_kind(docs, "PersistentVolumeClaim")
    accounts = by_kind(docs, "ServiceAccount")
    for _owner, template in pod_specs(docs):
        spec = template["spec"]
        assert spec["serviceAccountName"] in accounts
        for c in spec["containers"]:
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
                else:
                    assert source["secretRef"]["name"] in secrets
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            assert mounts <= {v["name"] for v in spec.get("volumes", [])}
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in pvcs
    pods = [t["metadata"]["labels"] for d, t in pod_specs(docs) if d["kind"] == "Deployment"]
    for service in by_kind(docs, "Service").values():
        assert any(selects({"matchLabels": service["spec"]["selector"]}, p) for p in pods)
    for pdb in by_kind(docs, "PodDisruptionBudget").values():
        assert any(selects(pdb["spec"]["selector"], p) for p in pods)
    # The collector receives what DUBAN_OTLP_ENDPOINT sends (OTLP/HTTP on 4318).
    endpoint = configmaps["duban-common"]["data"]["DUBAN_OTLP_ENDPOINT"]
    assert endpoint == "http://otel-collector:4318/v1/traces"
    collector = yaml.safe_load(configmaps["otel-collector-config"]["data"]["config.yaml"])
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert "otel-collector" in by_kind(docs, "Service")
    bootstrap = configmaps["duban-common"]["data"]["DUBAN_KAFKA_BOOTSTRAP_SERVERS"]
    kafka = next(iter(by_kind(docs, "Kafka").values()))
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert bootstrap == f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_jobs_call_the_services_own_migrations(overlay: str, render: Any) -> None:
    jobs = by_kind(render(overlay), "Job")
    assert set(jobs) == {f"{name}-migrate" for name in SERVICES}
    for name in SERVICES:
        container = jobs[f"{name}-migrate"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:2] == ["python", "-c"]
        tree = ast.parse(container["command"][2])
        # Resolved statically (find the module, parse it) to keep this test fast: no import.
        imported: dict[str, ast.FunctionDef | ast.ClassDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                spec = importlib.util.find_spec(node.module or "")
                assert spec and spec.origin, node.module
                module = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
                defs = {
                    d.name: d for d in module.body if isinstance(d, ast.FunctionDef | ast.ClassDef)
                }
                for alias in node.names:
                    assert alias.name in defs, f"{node.module}.{alias.name} does not exist"
                    imported[alias.asname or alias.name] = defs[alias.name]
        # The outer call: migrate(Settings().database_url).
        called = [
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
        migrate = imported[called[0]]
        assert isinstance(migrate, ast.FunctionDef) and migrate.args.args, "takes the URL"
        assert isinstance(imported["Settings"], ast.ClassDef)
        assert (
            container["envFrom"]
            == by_kind(render(overlay), "Deployment")[name]["spec"]["template"]["spec"][
                "containers"
            ][0]["envFrom"]
        )


def test_renderer_refuses_unsupported_kustomize_features(tmp_path: Path, deploy: Any) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(deploy.KustomizeError):
        deploy.render_kustomization(tmp_path)
