"""Settings shared by every service. Each service subclasses `ServiceSettings` once."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"
# The signing key of sessions and tokens: 256 bits at least, as a random key has.
MIN_SECRET_KEY_BYTES = 32
# Every secret value written anywhere in this repository (defaults, the compose file, the dev
# overlay, the docs). They are public, so production refuses them whatever their length;
# tests/deploy/test_deploy_secrets.py fails when the repository gains a value missing here.
PUBLIC_SECRETS = frozenset(
    {
        DEFAULT_SECRET,
        "compose-local-ledger-secret-change-me",
        "compose-local-watcher-secret-change-me",
        "compose-local-notifier-secret-change-me",
        "dev-only-task-ledger-secret-key",
        "dev-only-deadline-watcher-secret-key",
        "dev-only-notifier-secret-key",
        "dev-only-smtp-password",
    }
)


class ServiceSettings(BaseSettings):
    """Environment variables are `DUBAN_<FIELD>`; a `.env` file in the working dir is read too."""

    model_config = SettingsConfigDict(
        env_prefix="DUBAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    service_name: str = "duban"
    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_client_id: str | None = None
    # Broker authentication. Deployments close the event bus with per-service broker users and
    # ACLs (deploy/k8s/base/kafka-users.yaml); the embedded broker and compose run PLAINTEXT.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle of the brokers' certificates; None: system store"
    )
    kafka_ssl_certfile: str | None = Field(default=None, description="mTLS client certificate")
    kafka_ssl_keyfile: str | None = Field(default=None, description="mTLS client key")
    database_url: str = "sqlite:///./data/duban.db"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool | None = Field(default=None, description="None: JSON when not on a TTY")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint")
    clock_file: str | None = Field(
        default=None, description="shared simulated clock (demo, tests); None: wall time"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="where people open the ledger's pages"
    )
    # Consumer behaviour on a failing handler: retries in-process, then dead-letter.
    consumer_max_attempts: int = Field(default=5, ge=1, le=50)
    consumer_retry_base_seconds: float = Field(default=0.2, ge=0)
    # Published outbox rows are kept this long, and republished when the broker they went to
    # turns out to be another one (the embedded broker keeps nothing over a restart).
    outbox_retention_seconds: float = Field(default=86_400, ge=0)

    @model_validator(mode="after")
    def _kafka_credentials_complete(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "DUBAN_KAFKA_SASL_USERNAME and DUBAN_KAFKA_SASL_PASSWORD are required with "
                f"DUBAN_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("DUBAN_KAFKA_SSL_CERTFILE and DUBAN_KAFKA_SSL_KEYFILE go together")
        if self.kafka_ssl_certfile and self.kafka_security_protocol != "SSL":
            raise ValueError("a client certificate (mTLS) needs DUBAN_KAFKA_SECURITY_PROTOCOL=SSL")
        return self

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Self:
        if self.environment != "production":
            return self
        for name, value in self:
            # The demo accounts' passwords are published on purpose (`make run` prints them);
            # production never seeds those accounts.
            if not isinstance(value, SecretStr) or name.startswith("demo_"):
                continue
            secret = value.get_secret_value()
            if not secret or secret in PUBLIC_SECRETS:
                raise ValueError(
                    f"DUBAN_{name.upper()} must be set to a value of your own in production "
                    "(this one is empty or published in the Duban repository)"
                )
        if len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_KEY_BYTES:
            raise ValueError(
                f"DUBAN_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes in production "
                "(e.g. `openssl rand -hex 32`)"
            )
        return self
