"""Every setting a service reads is provided in docker-compose.yml and in deploy/k8s.

For each service, the fields of its `Settings` class (env `DUBAN_<FIELD>`) are compared with the
environment the service gets: its compose `environment`, and in each k8s overlay the union of its
Deployment's envFrom ConfigMaps/Secrets and env. Nothing may be missing except the fields in the
allow-lists below (each says why it is left at its default), and nothing may be set that the
service does not read (a misspelt name would otherwise be ignored silently). Then the Settings
class is instantiated from exactly that environment, so every value also parses and validates.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

SERVICES = {
    "task-ledger": "task_ledger",
    "deadline-watcher": "deadline_watcher",
    "notifier": "notifier",
}
OVERLAYS = ("dev", "prod")

# Left at their defaults everywhere, deliberately.
ALWAYS_DEFAULTED = {
    # The shared simulated clock of `make demo` and the tests; deployments run on wall time.
    "DUBAN_CLOCK_FILE",
    # Cheaper argon2 parameters for the test suite; production keeps argon2-cffi's defaults.
    "DUBAN_ARGON2_TIME_COST",
    "DUBAN_ARGON2_MEMORY_COST",
    # The vetted list of attachment MIME types lives in task_ledger.settings; copying it into the
    # manifests would fork it.
    "DUBAN_ATTACHMENT_TYPES",
    # Optional JSON file correcting the working-day calendar of the chinese-calendar package;
    # unset, the package's calendar is used. Mount a file and set it only to correct a year.
    "DUBAN_CALENDAR_OVERRIDES_FILE",
    # Which channels each kind of notification may use, keyed by the notifier's own event kinds
    # (which its code extends); the default — every channel, intersected with each user's own
    # channels — is the intended policy.
    "DUBAN_CHANNELS_BY_KIND",
    # DingTalk robot signing secret used only when a robot URL carries none; unset by default
    # (an empty secret is refused in production).
    "DUBAN_DINGTALK_SECRET",
}
# Left at their defaults in Kubernetes only: the demo accounts are off there
# (DUBAN_SEED_DEMO_USERS=false in base; the dev overlay turns them on with these defaults).
K8S_DEFAULTED = {
    "DUBAN_DEMO_LIAISON_PASSWORD",
    "DUBAN_DEMO_SUPERVISOR_PASSWORD",
    "DUBAN_DEMO_ADMIN_PASSWORD",
    "DUBAN_DEMO_EMAIL_DOMAIN",
    # The services log in with SCRAM-SHA-512 over TLS (kafka-users.yaml), not client certificates.
    "DUBAN_KAFKA_SSL_CERTFILE",
    "DUBAN_KAFKA_SSL_KEYFILE",
}
# Left at their defaults in docker-compose only: Mailpit, the compose stack's mail sink, takes
# mail without authentication.
# Its single Kafka broker listens only on the stack's private network, in PLAINTEXT: no broker
# login (Kubernetes closes the bus with KafkaUsers and ACLs instead).
COMPOSE_DEFAULTED = {
    "DUBAN_SMTP_USER",
    "DUBAN_SMTP_PASSWORD",
    "DUBAN_KAFKA_SECURITY_PROTOCOL",
    "DUBAN_KAFKA_SASL_MECHANISM",
    "DUBAN_KAFKA_SASL_USERNAME",
    "DUBAN_KAFKA_SASL_PASSWORD",
    "DUBAN_KAFKA_SSL_CAFILE",
    "DUBAN_KAFKA_SSL_CERTFILE",
    "DUBAN_KAFKA_SSL_KEYFILE",
}

pytestmark = pytest.mark.unit


def compose_env(
    compose: dict[str, Any], service: str, deploy: Any, dotenv: dict[str, str]
) -> dict[str, str]:
    env = compose["services"][service]["environment"]
    assert isinstance(env, dict), "compose environment as a mapping"
    return {k: deploy.interpolate(str(v), dotenv) for k, v in env.items()}


def secret_data(find: dict[tuple[str, str], Any], name: str) -> dict[str, str]:
    """A rendered Secret's data, or the keys an ExternalSecret will fill from the secret store."""
    if ("Secret", name) in find:
        secret = find[("Secret", name)]
        data = {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
        return data | secret.get("stringData", {})
    (external,) = (
        d
        for (kind, _), d in find.items()
        if kind == "ExternalSecret" and d["spec"]["target"]["name"] == name
    )
    return {
        item["secretKey"]: "a-value-from-the-secret-store-of-32-bytes-or-more"
        for item in external["spec"]["data"]
    }


def k8s_env(docs: list[dict[str, Any]], service: str) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom in order, then env."""
    find = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    deployment = find[("Deployment", service)]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find[("ConfigMap", source["configMapRef"]["name"])]["data"])
        else:
            env.update(secret_data(find, source["secretRef"]["name"]))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        cluster = find.get(("Cluster", ref["name"].removesuffix("-app")))
        if cluster is not None and ref["key"] == "uri":
            # What CloudNativePG puts in <cluster>-app.uri (the password is generated).
            initdb = cluster["spec"]["bootstrap"]["initdb"]
            host = f"{cluster['metadata']['name']}-rw.{cluster['metadata']['namespace']}"
            env[item["name"]] = (
                f"postgresql://{initdb['owner']}:generated@{host}:5432/{initdb['database']}"
            )
        elif ("KafkaUser", ref["name"]) in find and ref["key"] == "password":
            # What Strimzi's User Operator puts in the user's Secret (a generated password).
            env[item["name"]] = "generated-by-strimzi"
        else:
            env[item["name"]] = secret_data(find, ref["name"])[ref["key"]]
    return env


def check_coverage(
    provided: dict[str, str], package: str, defaulted: set[str], deploy: Any
) -> None:
    fields = deploy.setting_env_names(package)
    missing = sorted(fields - defaulted - set(provided))
    assert not missing, f"{package}: settings not provided: {missing}"
    unknown = sorted(k for k in provided if k.startswith("DUBAN_") and k not in fields)
    assert not unknown, f"{package}: DUBAN_* variables the service does not read: {unknown}"


@pytest.mark.parametrize("service", SERVICES)
def test_compose_provides_every_setting(
    service: str,
    compose: dict[str, Any],
    deploy: Any,
    load_settings: Any,
    compose_dotenv: dict[str, str],
) -> None:
    package = SERVICES[service]
    env = compose_env(compose, service, deploy, compose_dotenv)
    check_coverage(env, package, ALWAYS_DEFAULTED | COMPOSE_DEFAULTED, deploy)
    settings = load_settings(package, env)
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql://")
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.service_name == service


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_k8s_provides_every_setting(
    service: str, overlay: str, render: Any, deploy: Any, load_settings: Any
) -> None:
    package = SERVICES[service]
    env = k8s_env(render(overlay), service)
    check_coverage(env, package, ALWAYS_DEFAULTED | K8S_DEFAULTED, deploy)
    settings = load_settings(package, env)
    # The dev overlay's secrets are in git, which production mode refuses: a development cluster.
    assert settings.environment == ("development" if overlay == "dev" else "production")
    assert settings.database_url.startswith("postgresql://")
    assert settings.service_name == service
    assert settings.otlp_endpoint == "http://otel-collector:4318/v1/traces"
    # Every service logs in to the brokers as its own KafkaUser, over TLS.
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_username == service
    assert settings.kafka_sasl_password is not None


def test_allow_lists_name_real_settings(deploy: Any) -> None:
    """An allow-listed name that no service reads any more is stale and must go."""
    every = set().union(*(deploy.setting_env_names(p) for p in SERVICES.values()))
    assert every >= (ALWAYS_DEFAULTED | K8S_DEFAULTED | COMPOSE_DEFAULTED)
