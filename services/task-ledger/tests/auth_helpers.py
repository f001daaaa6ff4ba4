"""What the login and password tests share: one ledger process as an app, the strict
password policy, logins through the API and the page."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from ledger_helpers import START, ledger_settings

from duban_common.clock import ManualClock
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

STRONG = "Xq7#vLp2!mRt-2026"
STRONGER = "Zr8$kWn4?pQs-2027"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@contextlib.asynccontextmanager
async def ledger_app(
    settings: Settings, client: tuple[str, int] = ("127.0.0.1", 5000)
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """One ledger process: its own app, engine, token cache and hashing pool."""
    ledger = Ledger(settings, ManualClock(START))
    app = create_app(settings, ledger=ledger, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as c:
            yield c, app


def strict(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """The test settings with the default (strict) password policy."""
    return ledger_settings(db_url, tmp_path, password_policy=True, **overrides)


async def login(c: httpx.AsyncClient, username: str, password: str, **kw: Any) -> httpx.Response:
    return await c.post("/api/auth/login", json={"username": username, "password": password}, **kw)


async def bearer(c: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await login(c, username, password)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def page_login(c: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    form = await c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    return await c.post(
        "/login", data={"csrf_token": token[1], "username": username, "password": password}
    )


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found[1]
