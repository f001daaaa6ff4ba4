"""Server-rendered pages of the ledger (Jinja2, plain forms), in Chinese, for liaisons and
supervisors. `install(app)` mounts them on the API's FastAPI app.

The pages use the same service layer and object-level authorization as the API: tasks are
read through `service_layer.queries` / `handlers.read_task` and changed through the handlers,
so a page never shows or changes another department's task. Pages and the API share the
modules at the top of `entrypoints/` (`deps`, `responses`, `downloads`, `refusals`), never
each other's modules.

Pages (GET) and forms (POST, each with the session's CSRF token):
  /login, /logout                      sign in (throttled, shared with the API) and out
  /password                            change one's own password (forced for initial ones)
  /                                    liaison: my department's tasks, reports due, reminders;
                                       supervisor: overview, approvals, escalations, missing reports
  /tasks, /tasks/{id}                  lists (keyword, filters) and the task page with its timeline
  /tasks/export?format=xlsx|csv, /tasks/print, /tasks/batch   the current list exported or
                                       printed; 批量签收/催办/审核 with a result per task
  /monthly-reports/{dep}/{period}/remind   催报 beside a department missing its report
  /tasks/{id}/decompose                分解 to lower-level departments (a collective expanded)
  /tasks/{id}/progress|acknowledge|start|extension|completion|notices|remind|dispatch|close
  /tasks/{id}/completions|extensions/{request_id}/decision, /tasks/{id}/notices/{nid}/answer
  /tasks/{id}/attachments/{aid}        attachment download
  /plans/{plan_id}/dispatch            交办 every draft task of a plan
  /inbox, /inbox/{id}/read             the in-app inbox
  /imports, /imports/{id}[/departments|/confirm]   plan import: upload, review, correct, confirm
  /tasks/{id}/indicators/{iid}, /imports/{id}/indicator-conflicts   indicator corrections
  /reports, /reports/view, /reports/download?format=xlsx|md   monthly report (supervisors)
  /plans/{plan_id}/coverage            a superior plan's measures × subordinate plans
  /imports/{id}/plans/{plan_id}/superior|measure-links   the preview's plan and measure links
  /admin, /admin/people[/{id}[/active|/password]], /admin/people/import[/confirm],
  /admin/departments[/{id}[/merge]]    people and departments administration (admins)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from task_ledger.entrypoints.web import (
    pages_admin,
    pages_auth,
    pages_coverage,
    pages_decompose,
    pages_departments,
    pages_home,
    pages_indicators,
    pages_people,
    pages_report_reminders,
    pages_search,
    pages_tasks,
)
from task_ledger.entrypoints.web.common import HERE
from task_ledger.entrypoints.web.session import SessionMiddleware, WebConfig
from task_ledger.service_layer.uow import Ledger


def install(app: FastAPI) -> None:
    ledger: Ledger = app.state.ledger
    settings = ledger.settings
    config = WebConfig(absolute_timeout=settings.token_lifetime_seconds)
    app.state.web = config
    app.add_middleware(
        SessionMiddleware,
        secret=settings.secret_key.get_secret_value(),
        config=config,
        secure=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.include_router(pages_auth.router)
    app.include_router(pages_home.router)
    app.include_router(pages_search.router)  # /tasks/export|print before /tasks/{id}
    app.include_router(pages_tasks.router)
    app.include_router(pages_decompose.router)
    app.include_router(pages_report_reminders.router)
    app.include_router(pages_admin.router)
    app.include_router(pages_indicators.router)
    app.include_router(pages_coverage.router)
    app.include_router(pages_people.router)
    app.include_router(pages_departments.router)
