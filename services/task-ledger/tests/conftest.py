"""Fixtures of the task-ledger's API tests: an app on a fresh store with a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ledger_helpers import Api, ledger_settings, running_api


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(ledger_settings(db_url, tmp_path)) as api:
        yield api
