"""Fixtures of the task-ledger's API tests: an app on a fresh store with a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from ledger_helpers import START, Api, ledger_settings

from duban_common.clock import ManualClock
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.uow import Ledger


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    clock = ManualClock(START)
    settings = ledger_settings(db_url, tmp_path)
    ledger = Ledger(settings, clock)
    app = create_app(settings, ledger=ledger, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            yield Api(client, ledger, clock, app)
