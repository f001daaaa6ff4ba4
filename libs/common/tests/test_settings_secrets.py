"""Production refuses secrets anyone could know: empty, short, or published in this repository."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from duban_common.settings import DEFAULT_SECRET, PUBLIC_SECRETS, ServiceSettings

pytestmark = pytest.mark.unit


def production(**env: object) -> ServiceSettings:
    return ServiceSettings(_env_file=None, environment="production", **env)  # type: ignore[call-arg]


def test_a_random_key_is_accepted() -> None:
    key = secrets.token_hex(32)
    assert production(secret_key=key).secret_key.get_secret_value() == key


@pytest.mark.parametrize(
    "weak",
    ["", "a", "s3cr3t-value", "x" * 31, "你好" * 5],  # 30 bytes in UTF-8
)
def test_short_keys_are_refused(weak: str) -> None:
    with pytest.raises(ValidationError, match="DUBAN_SECRET_KEY"):
        production(secret_key=weak)


@pytest.mark.parametrize("published", sorted(PUBLIC_SECRETS))
def test_published_values_are_refused_whatever_their_length(published: str) -> None:
    with pytest.raises(ValidationError, match="DUBAN_SECRET_KEY"):
        production(secret_key=published)
    with pytest.raises(ValidationError, match="DUBAN_KAFKA_SASL_PASSWORD"):
        production(
            secret_key=secrets.token_hex(32),
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="svc",
            kafka_sasl_password=published,
        )


def test_the_default_is_refused_in_production_only() -> None:
    with pytest.raises(ValidationError, match="DUBAN_SECRET_KEY"):
        production()
    assert ServiceSettings(_env_file=None).secret_key.get_secret_value() == DEFAULT_SECRET  # type: ignore[call-arg]
