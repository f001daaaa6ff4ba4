"""Settings shared by every service. Each service subclasses `ServiceSettings` once."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"


class ServiceSettings(BaseSettings):
    """Environment variables are `DUBAN_<FIELD>`; a `.env` file in the working dir is read too."""

    model_config = SettingsConfigDict(
        env_prefix="DUBAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    service_name: str = "duban"
    environment: Literal["development", "test", "production"] = "development"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_client_id: str | None = None
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

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Self:
        if self.environment == "production":
            for name, value in self:
                if isinstance(value, SecretStr) and value.get_secret_value() in (
                    DEFAULT_SECRET,
                    "",
                ):
                    raise ValueError(f"DUBAN_{name.upper()} must be set in production")
        return self
