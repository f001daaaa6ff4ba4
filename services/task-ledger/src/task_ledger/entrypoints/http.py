"""HTTP API of the ledger: `create_app(settings=None, clock=None)`.

Every task route loads the task through `handlers.load_task`/`read_task`, which refuses tasks
of other departments (404) and has the refusal audited; the route-walking test enforces it.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.telemetry import TelemetryConfig
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from duban_common.clock import Clock, clock_from_file_setting
from duban_common.logging import get_logger
from duban_common.service import service_app
from task_ledger import web
from task_ledger.adapters import repository as repo
from task_ledger.bootstrap import LedgerService
from task_ledger.domain.model import User
from task_ledger.entrypoints import problems, routes_admin, routes_reports, routes_tasks
from task_ledger.entrypoints.limits import BodySizeLimit
from task_ledger.entrypoints.problems import ApiError
from task_ledger.service_layer.handlers import AccessDenied
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

log = get_logger(__name__)
TOKEN_SALT = "task-ledger-token"
bearer = HTTPBearer(auto_error=False)
# A verified token is trusted for this long before its signature and user are read again:
# a burst of requests costs one check. Changes made through this process apply at once;
# another replica's deactivation of a user applies within this time.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 4096


def token_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=TOKEN_SALT)


class TokenCache:
    """Bearer token -> its user, for TOKEN_CACHE_SECONDS (bounded; cleared on user changes)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.version = ledger.users_version
        self.entries: dict[str, tuple[float, User]] = {}

    def get(self, token: str) -> User | None:
        if self.version != self.ledger.users_version:
            self.entries.clear()
            self.version = self.ledger.users_version
        found = self.entries.get(token)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token: str, user: User) -> None:
        if len(self.entries) >= TOKEN_CACHE_SIZE:
            self.entries.clear()
        self.entries[token] = (time.monotonic() + TOKEN_CACHE_SECONDS, user)


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    ledger: Ledger = request.app.state.ledger
    cache: TokenCache = request.app.state.token_cache
    if credentials is None:
        raise ApiError(401, "请先登录")
    user = cache.get(credentials.credentials)
    if user is None:
        user = await _verify_token(ledger, credentials.credentials)
        cache.put(credentials.credentials, user)
    request.state.user = user
    return user


async def _verify_token(ledger: Ledger, token: str) -> User:
    try:
        data = token_serializer(ledger.settings).loads(
            token, max_age=ledger.settings.token_lifetime_seconds
        )
    except SignatureExpired:
        raise ApiError(401, "登录已过期，请重新登录") from None
    except BadSignature:
        raise ApiError(401, "登录凭证无效") from None
    async with ledger.reading() as conn:
        user = await repo.get_user(conn, str(data.get("uid")))
    if user is None or not user.active:
        raise ApiError(401, "账号不存在或已停用")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def audit_denied(user: User | None, exc: AccessDenied, request: Request) -> None:
    """Write the refused attempt to the audit trail (its own transaction: the request failed)."""
    ledger: Ledger = request.app.state.ledger
    async with ledger.transaction() as tx:
        tx.audit(
            user.id if user else None,
            "access.denied",
            "task",
            exc.task_id,
            None,
            {
                "action": exc.action,
                "method": request.method,
                "path": request.url.path,
                "department_id": user.department_id if user else None,
            },
        )
    log.warning(
        "access_denied", task_id=exc.task_id, action=exc.action, user_id=user.id if user else None
    )


# FastAPI's own OpenTelemetry: the request span (it carries the trace into the ledger's events)
# but no per-operation spans (dependencies, endpoint, serialization), metrics or OTel logs:
# nothing here reads them, and they cost ~10% of a progress report's CPU.
HTTP_TELEMETRY: TelemetryConfig = {"operation_spans": False, "metrics": False, "logs": False}


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    ledger: Ledger | None = None,
    background: bool = True,
    prepared: bool = False,
    freeze_heap: bool = False,
) -> FastAPI:
    """The ledger's ASGI app. Its lifespan runs `bootstrap.LedgerService`: migrates and seeds
    (unless `prepared`), and with `background` the Kafka broker (consumers + publisher) and the
    outbox relay. `freeze_heap`: for the service process (see `duban_common.heap`)."""
    settings = settings or Settings()
    ledger = ledger or Ledger(settings, clock or clock_from_file_setting(settings.clock_file))
    app = service_app(
        LedgerService(ledger, background=background, prepared=prepared),
        freeze_heap=freeze_heap,
        title="督办台账 Task Ledger",
        version="0.1.0",
        description="工作台账：方案、措施、任务、进展、督办与审计",
        telemetry=HTTP_TELEMETRY,
    )
    app.state.ledger = ledger
    app.state.token_cache = TokenCache(ledger)
    app.state.ledger_audit_denied = audit_denied
    problems.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )

    app.include_router(routes_admin.router(current_user, token_serializer))
    app.include_router(routes_tasks.router(current_user))
    app.include_router(routes_reports.router(current_user))
    web.install(app)
    return app
