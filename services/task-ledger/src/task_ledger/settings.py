"""Settings of the task-ledger service (env `DUBAN_<FIELD>`)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from duban_common.db import is_postgres
from duban_common.settings import ServiceSettings

DEFAULT_ATTACHMENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg",
    "image/png",
    "text/plain",
)


class Settings(ServiceSettings):
    service_name: str = "task-ledger"
    database_url: str = "sqlite:///./data/ledger.db"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # HTTP worker processes. More than one needs PostgreSQL: SQLite's file has one writer, and
    # the embedded default is one process.
    http_workers: int = Field(default=1, ge=1, le=64)
    consumer_group: str = "task-ledger"
    # Demo accounts seeded on first start: one liaison per department, a supervisor, an admin.
    seed_demo_users: bool = True
    seed_departments: bool = True
    demo_liaison_password: SecretStr = SecretStr("liaison-demo")
    demo_supervisor_password: SecretStr = SecretStr("supervisor-demo")
    demo_admin_password: SecretStr = SecretStr("admin-demo")
    demo_email_domain: str = "duban.example"
    # Traffic light: yellow this many days before the due date.
    warning_days: int = Field(default=3, ge=0, le=60)
    # A task's detail (API and page) carries this many of its newest progress reports and
    # timeline entries; the rest come page by page from their own endpoints.
    detail_page_size: int = Field(default=20, ge=1, le=200)
    # An import's preview (upload answer, GET /api/imports/{id}) carries this many measures
    # per document; the rest come from /api/imports/{id}/documents/{n}/measures.
    preview_page_size: int = Field(default=50, ge=1, le=200)
    # Imports with more measures than this are confirmed as a background job, in
    # transactions of `import_batch_size` measures (the event loop serves between them).
    import_background_measures: int = Field(default=2000, ge=1)
    import_batch_size: int = Field(default=200, ge=1, le=10_000)
    # Per-user write rate limits: at most this many writes of a kind per window (0: no
    # limit), counted in the database so every ledger process enforces the same limit.
    write_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    write_limits: dict[str, int] = Field(
        default_factory=lambda: {
            "progress_report": 20,
            "plan_import": 10,
            "user_create": 30,
            "reminder": 20,
            "request": 20,  # completion and extension requests
            "notice": 20,  # supervision notices and their answers
        }
    )
    # Group commit for progress reports (service_layer/write_batches.py): reports arriving
    # together share one transaction. Off: each is a transaction of its own (the reference).
    write_batching: bool = False
    token_lifetime_seconds: int = Field(default=8 * 3600, ge=60)
    # Request limits: JSON/form bodies, whole multipart uploads, one attachment, count.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_attachments_per_report: int = Field(default=5, ge=0)
    attachment_types: tuple[str, ...] = DEFAULT_ATTACHMENT_TYPES
    upload_dir: str = "./data/ledger-uploads"
    # Largest plan document accepted by the importer.
    max_plan_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Kafka consumer batching (the inbound timeline path).
    consumer_batch_size: int = Field(default=1000, ge=1)
    consumer_batch_timeout_ms: int = Field(default=50, ge=1)
    outbox_batch_size: int = Field(default=500, ge=1)
    # Optional cheaper argon2 parameters (tests); production keeps argon2-cffi's defaults.
    argon2_time_cost: int | None = None
    argon2_memory_cost: int | None = None
    run_consumers: bool = True
    # Login throttling, shared by the pages and the API and kept in the database so every
    # process sees it: failures in a window per account and per client address, then a lock.
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    # Peers whose X-Forwarded-For is believed (addresses or networks of the reverse proxies);
    # empty: the TCP peer is the client, whatever headers it sends.
    trusted_proxies: tuple[str, ...] = ()
    # argon2 runs in threads, at most this many at once per process; a login that would wait
    # behind more than `password_hash_queue` others gets 503 with Retry-After.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    password_hash_queue: int = Field(default=32, ge=0)
    # How often each process reads the credential epoch (which every revocation moves on);
    # sessions it verified are trusted until the epoch moves. The bound on how long a
    # revocation made by another process takes to apply here; 0 reads the session every time.
    token_cache_seconds: float = Field(default=1.0, ge=0, le=30)
    # Password policy (等保2.0 spirit). `password_policy=False` only for tests and demos.
    password_policy: bool = True
    password_min_length: int = Field(default=10, ge=1, le=128)
    password_min_classes: int = Field(default=3, ge=1, le=4)
    password_refuse_common: bool = True
    # Initial and reset passwords must be changed at the first login. None: in production.
    force_password_change: bool | None = None

    @property
    def forces_password_change(self) -> bool:
        if self.force_password_change is None:
            return self.environment == "production"
        return self.force_password_change

    @property
    def secure_cookies(self) -> bool:
        """HTTPS deployments: `Secure` cookies and HSTS."""
        return self.public_base_url.startswith("https://")

    @model_validator(mode="after")
    def _workers_need_postgres(self) -> Self:
        if self.http_workers > 1 and not is_postgres(self.database_url):
            raise ValueError(
                "DUBAN_HTTP_WORKERS 大于 1 时须使用 PostgreSQL（SQLite 只允许一个写入进程）"
            )
        return self
