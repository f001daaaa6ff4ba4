"""The event bus is closed: each service is a KafkaUser whose ACLs match what its code does.

The topics a service reads and writes are taken from the code (the AsyncAPI document FastStream
builds from each service's broker, as `make docs` does), so a new subscriber or publisher without
its ACL — or an ACL the code no longer needs — fails here before it fails in a cluster.
"""

from __future__ import annotations

import importlib
import json
from typing import Any
from urllib.parse import unquote

import pytest
from faststream.specification import AsyncAPI

from duban.docs import SERVICES as MESSAGING_MODULES
from duban_contracts.topics import ALL_TOPICS, DEAD_LETTER

OVERLAYS = ("dev", "prod")

pytestmark = pytest.mark.unit


def code_topics(service: str) -> tuple[set[str], set[str]]:
    """(read, written) topics of a service, from its broker's AsyncAPI document."""
    broker = importlib.import_module(MESSAGING_MODULES[service]).build_broker()
    document = json.loads(AsyncAPI(broker, title=service, version="1").to_specification().to_json())
    channels = {f"#/channels/{name}": ch["address"] for name, ch in document["channels"].items()}
    read: set[str] = set()
    written = {DEAD_LETTER.name}  # every consumer dead-letters poison records
    for operation in document["operations"].values():
        topic = channels[unquote(operation["channel"]["$ref"])]
        (read if operation["action"] == "receive" else written).add(topic)
    return read, written


def granted(user: dict[str, Any]) -> dict[tuple[str, str, str], set[str]]:
    rules: dict[tuple[str, str, str], set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl.get("type", "allow") == "allow", "deny rules would hide a mistake"
        assert acl.get("host", "*") == "*"
        res = acl["resource"]
        key = (res["type"], res.get("name", ""), res.get("patternType", "literal"))
        rules.setdefault(key, set()).update(acl["operations"])
    return rules


def users(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "KafkaUser"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_brokers_admit_only_logged_in_clients_under_acls(overlay: str, render: Any) -> None:
    docs = render(overlay)
    (kafka,) = (d for d in docs if d["kind"] == "Kafka")
    spec = kafka["spec"]["kafka"]
    assert spec["authorization"]["type"] == "simple"
    for listener in spec["listeners"]:  # no way around the logins
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] in ("scram-sha-512", "tls"), listener["name"]
    for user in users(docs).values():
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"


def needed(service: str, docs: list[dict[str, Any]]) -> dict[tuple[str, str, str], set[str]]:
    """The ACLs a service's code needs: its topics from the code, its group from its config."""
    configs = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    group = configs[f"{service}-config"]["DUBAN_CONSUMER_GROUP"]
    read, written = code_topics(service)
    rules: dict[tuple[str, str, str], set[str]] = {("group", group, "literal"): {"Read"}}
    for topic in read:
        rules.setdefault(("topic", topic, "literal"), set()).update({"Read", "Describe"})
    for topic in written:
        rules.setdefault(("topic", topic, "literal"), set()).update({"Write", "Describe"})
    return rules


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", sorted(MESSAGING_MODULES))
def test_each_service_may_do_exactly_what_its_code_does(
    service: str, overlay: str, render: Any
) -> None:
    docs = render(overlay)
    configs = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    assert configs[f"{service}-config"]["DUBAN_KAFKA_SASL_USERNAME"] == service
    assert granted(users(docs)[service]) == needed(service, docs)


def test_the_operators_account_replays_dead_letters_only(render: Any) -> None:
    rules = granted(users(render("prod"))["duban-ops"])
    assert rules.pop(("topic", DEAD_LETTER.name, "literal")) == {"Read", "Describe"}
    assert rules.pop(("group", "duban-ops", "prefix")) == {"Read"}
    # Re-publishing goes back to the topic a record came from: write, never read, the others.
    assert rules == {
        ("topic", t.name, "literal"): {"Write", "Describe"}
        for t in ALL_TOPICS
        if t is not DEAD_LETTER
    }


def test_a_missing_acl_is_caught(render: Any) -> None:
    """Not hollow: dropping the ledger's write on its task-events topic fails the comparison."""
    docs = render("prod")
    user = users(docs)["task-ledger"]
    user["spec"]["authorization"]["acls"] = [
        acl
        for acl in user["spec"]["authorization"]["acls"]
        if acl["resource"].get("name") != "duban.task.events"
    ]
    assert granted(user) != needed("task-ledger", docs)
    assert ("topic", "duban.task.events", "literal") in needed("task-ledger", docs)
