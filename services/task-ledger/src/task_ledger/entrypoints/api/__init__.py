"""The JSON API under /api: one module-level router per resource."""

from __future__ import annotations

from fastapi import FastAPI

from task_ledger.entrypoints.api import (
    auth,
    cascade,
    completions,
    departments,
    extensions,
    imports,
    inbox,
    indicators,
    notices,
    plans,
    progress_reports,
    report_reminders,
    reports,
    tasks,
    users,
)
from task_ledger.entrypoints.problems import documented

# Every API route may refuse: not signed in, not allowed, not found (or not visible), invalid.
REFUSALS = documented(401, 403, 404, 422)
# Routes are matched in order: the hot path first. A progress report matched after every
# other resource's routes took ~0.15 ms (~5 % of its CPU with group commit), first ~0.01 ms.
# Its paths (/tasks/{task_id}/progress-reports, /attachments/…) shadow no other route.
RESOURCES = (
    progress_reports,
    auth,
    inbox,
    departments,
    users,
    imports,
    plans,
    tasks,
    completions,
    extensions,
    notices,
    reports,
    report_reminders,
    cascade,
    indicators,
)


def install(app: FastAPI) -> None:
    """Each resource's router straight under the app with the /api prefix. Not one /api router
    holding the others: since FastAPI 0.137 an included router stays a node of a tree that
    every request walks (its routes' version, then its match), so each level of inclusion is
    paid per request (~0.1 ms of a progress report's ~1 ms of HTTP handling, in process)."""
    for resource in RESOURCES:
        app.include_router(resource.router, prefix="/api", responses=REFUSALS)
