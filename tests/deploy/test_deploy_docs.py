"""docs/scaling.md states the partitions and replicas the prod overlay actually deploys."""

from __future__ import annotations

import re
from typing import Any

import pytest

from duban_contracts.topics import ALL_TOPICS

pytestmark = pytest.mark.unit


def test_scaling_doc_matches_the_prod_overlay(render: Any, deploy: Any) -> None:
    text = (deploy.ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    docs = render("prod")
    topics = {
        d["spec"]["topicName"]: d["spec"]["partitions"] for d in docs if d["kind"] == "KafkaTopic"
    }
    documented = {
        m[0]: (int(m[1]), int(m[2]))
        for m in re.findall(r"^\| `(duban\.[a-z.]+)` \| (\d+) \| \*\*(\d+)\*\* \|", text, re.M)
    }
    assert documented == {t.name: (t.partitions, topics[t.name]) for t in ALL_TOPICS}

    hpas = {d["metadata"]["name"]: d for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    rows = re.findall(
        r"^\| (task-ledger|deadline-watcher|notifier) \| (\d+) \| (\d+) \|", text, re.M
    )
    assert {name for name, _, _ in rows} == set(deploy.SERVICES)
    for name, at_rest, maximum in rows:
        assert int(at_rest) == hpas[name]["spec"]["minReplicas"], name
        assert int(maximum) == hpas[name]["spec"]["maxReplicas"], name
