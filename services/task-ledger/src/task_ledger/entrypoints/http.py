"""The ledger's ASGI app: `create_app(settings=None, clock=None)` puts together the JSON API
(`entrypoints.api`, one router per resource), its problem+json errors and the pages
(`entrypoints.web`) on the one service skeleton (`duban_common.service.service_app`).

Every task route loads the task through `handlers.load_task`/`read_task`, which refuses tasks
of other departments (404) and has the refusal audited; the route-walking tests enforce it.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from duban_common.clock import Clock, clock_from_file_setting
from duban_common.service import service_app
from task_ledger.bootstrap import LedgerService
from task_ledger.entrypoints import api, problems, web
from task_ledger.entrypoints.limits import BodySizeLimit
from task_ledger.entrypoints.security import SecurityHeaders
from task_ledger.service_layer.auth import Authenticator
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

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
    app.state.auth = Authenticator(ledger)
    problems.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    api.install(app)
    web.install(app)
    # Outermost: every response, refusals of the limits above included.
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app
