"""Notifier settings: env `DUBAN_<FIELD>` (dicts and lists as JSON)."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field, SecretStr

from duban_common.settings import ServiceSettings
from duban_contracts.vocabulary import Channel
from notifier.domain.model import Kind

ALL_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL, Channel.WECOM, Channel.DINGTALK, Channel.INBOX)


class RetryPolicy(BaseModel):
    """Exponential backoff with jitter: base * 2**(attempt-1), capped, times 0.5-1.5."""

    max_attempts: int = Field(default=6, ge=1, le=100)
    base_seconds: float = Field(default=10.0, ge=0)
    max_seconds: float = Field(default=1800.0, ge=0)


class Settings(ServiceSettings):
    service_name: str = "notifier"
    database_url: str = "sqlite:///./data/notifier.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8002, description="health endpoint (/health/live, /ready)")
    consumer_group: str = "notifier"
    # Inbound events are read and handled in batches of up to this many, one transaction each.
    consumer_batch_size: int = Field(default=500, ge=1, le=5000)
    consumer_batch_timeout_ms: int = Field(default=20, ge=1)

    # E-mail. Empty smtp_host: messages are written as .eml files into `maildir` (make run).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: bool = Field(default=False, description="implicit TLS (SMTPS, usually port 465)")
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "督办系统 <duban@localhost>"
    smtp_timeout_seconds: float = 30.0
    smtp_pool_size: int = Field(default=4, ge=1, le=64)
    maildir: str = "data/mail"

    # Group robots. A user without a robot URL gets the message logged instead (make run).
    dingtalk_secret: SecretStr | None = Field(
        default=None, description="DingTalk 加签 secret used when the URL carries none"
    )
    robot_limit_per_minute: int = Field(
        default=20, ge=0, description="messages per minute per robot; 0 turns the limiter off"
    )
    robot_limit_window_seconds: float = Field(
        default=60.0, ge=1, le=3600, description="the limit's window: the platforms' minute"
    )
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = Field(
        default=8, ge=1, le=256, description="robot requests in flight (HTTP connections)"
    )

    # Which channels each kind of event may use (intersected with the user's own channels).
    channels_by_kind: dict[Kind, tuple[Channel, ...]] = Field(
        default_factory=lambda: {kind: ALL_CHANNELS for kind in Kind}
    )

    # Digests: reminders for one recipient and channel within this window become one message.
    digest_window_seconds: float = Field(default=60.0, ge=0)

    # Quiet hours (Asia/Shanghai) hold non-urgent messages; equal start and end: no quiet hours.
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(7, 30)

    retry_default: RetryPolicy = RetryPolicy()
    retry_by_channel: dict[Channel, RetryPolicy] = Field(
        default_factory=lambda: {Channel.INBOX: RetryPolicy(max_attempts=20, base_seconds=2.0)}
    )

    # Delivery loop.
    delivery_batch_size: int = Field(default=200, ge=1, le=5000)
    delivery_concurrency: int = Field(default=64, ge=1, le=1000)
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    delivery_lease_seconds: float = Field(
        default=120.0, gt=0, description="a claimed delivery is retried after this if we crash"
    )

    def retry_policy(self, channel: Channel) -> RetryPolicy:
        return self.retry_by_channel.get(channel, self.retry_default)

    def channels_for(self, kind: Kind) -> tuple[Channel, ...]:
        return self.channels_by_kind.get(kind, ALL_CHANNELS)
