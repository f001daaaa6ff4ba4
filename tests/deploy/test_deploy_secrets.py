"""No deployment starts on a secret anyone could read: the repository's values are refused.

Production settings refuse an empty secret, a signing key under 32 bytes, and every value that
appears in this repository (duban_common.settings.PUBLIC_SECRETS). Here the repository is searched
for secret values — compose defaults, the rendered Kubernetes Secrets, `DUBAN_…=value` lines in the
docs, the Settings defaults — and each must be refused; compose has no signing-key default at all.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr, ValidationError

pytestmark = pytest.mark.unit

PACKAGES = ("task_ledger", "deadline_watcher", "notifier")


def secret_fields(deploy: Any, package: str) -> dict[str, str]:
    """DUBAN_<FIELD> -> field name, for the SecretStr settings people must choose themselves."""
    out = {}
    for name, field in deploy.settings_class(package).model_fields.items():
        if name.startswith("demo_"):  # published on purpose; production never seeds demo users
            continue
        if SecretStr in (field.annotation, *typing.get_args(field.annotation)):
            out[f"DUBAN_{name.upper()}"] = name
    return out


def published_values(deploy: Any, render: Any) -> set[tuple[str, str]]:
    """(DUBAN_ name, value) pairs written anywhere in the repository."""
    found: set[tuple[str, str]] = set()
    compose_text = (deploy.ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for service in yaml.safe_load(compose_text)["services"].values():
        for key, value in (service.get("environment") or {}).items():
            for m in re.finditer(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", str(value)):
                found.add((key, m.group(1)))
            if "${" not in str(value):
                found.add((key, str(value)))
    for overlay in deploy.OVERLAYS:
        for doc in render(overlay):
            if doc["kind"] == "Secret":
                found.update(doc.get("stringData", {}).items())
    for doc in [deploy.ROOT / "README.md", *deploy.ROOT.glob("docs/*.md"),
                *deploy.ROOT.glob("deploy/**/*.md"), *deploy.ROOT.glob("services/*/README.md")]:  # fmt: skip
        for m in re.finditer(r"\b(DUBAN_[A-Z0-9_]+)=([^\s`'\"]+)", doc.read_text("utf-8")):
            if m.group(2) not in ("...", "…"):  # a placeholder, not a value
                found.add((m.group(1), m.group(2)))
    return found


def test_compose_ships_no_signing_key(deploy: Any) -> None:
    text = (deploy.ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = deploy.required_variables(text)
    assert {"LEDGER_SECRET_KEY", "WATCHER_SECRET_KEY", "NOTIFIER_SECRET_KEY"} <= required
    services = yaml.safe_load(text)["services"]
    for name in ("task-ledger", "deadline-watcher", "notifier"):
        with pytest.raises(KeyError, match="SECRET_KEY"):
            deploy.interpolate(services[name]["environment"]["DUBAN_SECRET_KEY"])


def test_make_up_generates_each_required_secret_once(deploy: Any, tmp_path: Path) -> None:
    text = (deploy.ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    first = deploy.generate_dotenv(tmp_path)
    assert set(first) == deploy.required_variables(text)
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in first.values())
    assert len(set(first.values())) == len(first)  # one key per service
    assert deploy.generate_dotenv(tmp_path) == first  # a second `make up` keeps them
    mine = tmp_path / "mine"
    mine.mkdir()
    # A value already in the shell is not written to .env.
    assert "LEDGER_SECRET_KEY" not in deploy.generate_dotenv(mine, {"LEDGER_SECRET_KEY": "x" * 64})


def test_every_published_secret_is_refused_in_production(
    deploy: Any, render: Any, load_settings: Any
) -> None:
    published = published_values(deploy, render)
    checked = 0
    for package in PACKAGES:
        fields = secret_fields(deploy, package)
        assert "DUBAN_SECRET_KEY" in fields
        values = {(k, v) for k, v in published if k in fields}
        defaults = deploy.settings_class(package).model_fields
        values |= {
            (env, defaults[name].default.get_secret_value())
            for env, name in fields.items()
            if isinstance(defaults[name].default, SecretStr)
        }
        for env_name, value in sorted(values):
            env = {"DUBAN_ENVIRONMENT": "production", env_name: value}
            if env_name != "DUBAN_SECRET_KEY":
                env["DUBAN_SECRET_KEY"] = "k" * 16 + "a-key-of-this-test-only-0123"
            if env_name == "DUBAN_KAFKA_SASL_PASSWORD":
                env |= {"DUBAN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                        "DUBAN_KAFKA_SASL_USERNAME": "svc"}  # fmt: skip
            with pytest.raises(ValidationError, match=env_name):
                load_settings(package, env)
            checked += 1
    # The dev overlay's secrets, the docs' examples and the defaults were all found.
    assert checked >= 8
