"""Broker credentials from settings: what FastStream's broker and raw aiokafka clients get."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from duban_common.kafka_security import broker_security, client_options
from duban_common.settings import ServiceSettings

pytestmark = pytest.mark.unit


def settings(**env: object) -> ServiceSettings:
    return ServiceSettings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key, as a cluster CA or a client's mTLS pair."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "user.crt", folder / "user.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=duban-test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_plaintext_needs_nothing() -> None:
    assert broker_security(settings()) is None
    assert client_options(settings()) == {}


def test_scram_over_tls_verifies_the_brokers(certificate: tuple[Path, Path]) -> None:
    ca, _ = certificate
    options = client_options(
        settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="task-ledger",
            kafka_sasl_password="s3cret-from-strimzi",
            kafka_ssl_cafile=str(ca),
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "task-ledger"
    assert options["sasl_plain_password"] == "s3cret-from-strimzi"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # the cluster CA given, not only the system store


def test_scram_sha256_without_tls() -> None:
    options = client_options(
        settings(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-256",
            kafka_sasl_username="notifier",
            kafka_sasl_password="pw",
        )
    )
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options.get("ssl_context") is None


def test_mutual_tls_loads_the_client_pair(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    options = client_options(
        settings(
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=str(cert),
            kafka_ssl_certfile=str(cert),
            kafka_ssl_keyfile=str(key),
        )
    )
    assert options["security_protocol"] == "SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "DUBAN_KAFKA_SASL_PASSWORD"),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "x"},
            "DUBAN_KAFKA_SASL_PASSWORD",
        ),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/a.crt"}, "KEYFILE"),
        (
            {"kafka_ssl_certfile": "/a.crt", "kafka_ssl_keyfile": "/a.key"},
            "DUBAN_KAFKA_SECURITY_PROTOCOL=SSL",
        ),
    ],
)
def test_incomplete_credentials_are_refused_at_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        settings(**env)


def test_a_missing_certificate_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        broker_security(
            settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(tmp_path / "none.crt"))
        )
