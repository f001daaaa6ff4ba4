"""Passwords and headers (issue #22): the password policy with Chinese reasons, initial and
reset passwords changed first, security headers, secure cookies and HSTS for https. On SQLite
and PostgreSQL (`db_url`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_helpers import (
    STRONG,
    STRONGER,
    bearer,
    csrf,
    ledger_app,
    page_login,
    strict,
)
from ledger_helpers import ledger_settings

from task_ledger.settings import Settings

pytestmark = pytest.mark.integration


async def test_the_default_password_policy_refuses_weak_passwords_with_chinese_reasons(
    db_url: str, tmp_path: Path
) -> None:
    """Before: `aaaaaaaa`, `password`, `12345678`, eight spaces and the username passed."""
    assert Settings().password_policy and Settings().password_min_length == 10
    async with ledger_app(strict(db_url, tmp_path)) as (c, _):
        admin = await bearer(c, "admin", "admin-demo")
        body = {"display_name": "测试督查", "role": "supervisor"}
        for password in ("aaaaaaaa", "password", "12345678", " " * 8, "Zhangsan-2026!x"):
            r = await c.post(
                "/api/users",
                json={**body, "username": "zhangsan", "password": password},
                headers=admin,
            )
            assert r.status_code == 422, (password, r.text)
            assert r.json()["detail"].startswith("密码不符合要求："), r.text
        r = await c.post(
            "/api/users",
            json={**body, "username": "zhangsan", "password": "Zhangsan-2026!x"},
            headers=admin,
        )
        assert "不能包含用户名" in r.json()["detail"]
        r = await c.post(
            "/api/users",
            json={**body, "username": "zhangsan", "password": "password1234"},
            headers=admin,
        )
        detail = r.json()["detail"]
        assert "至少 3 类" in detail and "常见密码" in detail
        r = await c.post(
            "/api/users", json={**body, "username": "zhangsan", "password": STRONG}, headers=admin
        )
        assert r.status_code == 201, r.text
        # A reset by the admin follows the policy too.
        r = await c.patch(
            f"/api/users/{r.json()['id']}", json={"password": "aaaaaaaaaa"}, headers=admin
        )
        assert r.status_code == 422 and "密码不符合要求" in r.json()["detail"]


async def test_initial_and_reset_passwords_must_be_changed_first_when_forced(
    db_url: str, tmp_path: Path
) -> None:
    settings = strict(db_url, tmp_path, force_password_change=True)
    assert Settings(environment="production", secret_key="x" * 40).forces_password_change
    async with ledger_app(settings) as (c, _):
        admin = await bearer(c, "admin", "admin-demo")  # demo seeding is not forced
        assert (await c.get("/api/users", headers=admin)).status_code == 200
        r = await c.post(
            "/api/users",
            json={
                "username": "lisi",
                "display_name": "李四",
                "role": "supervisor",
                "password": STRONG,
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        user_id = r.json()["id"]
        lisi = await bearer(c, "lisi", STRONG)
        refused = await c.get("/api/tasks", headers=lisi)
        assert refused.status_code == 403 and "请先修改初始密码" in refused.json()["detail"]
        me = await c.get("/api/me", headers=lisi)
        assert me.status_code == 200 and me.json()["must_change_password"] is True
        # The pages send the user to the password page.
        assert (await page_login(c, "lisi", STRONG)).headers["location"] == "/password"
        r = await c.get("/tasks")
        assert r.status_code == 303 and r.headers["location"] == "/password"
        form = await c.get("/password")
        assert form.status_code == 200 and "修改密码" in form.text
        r = await c.post(
            "/password",
            data={
                "csrf_token": csrf(form.text),
                "current_password": STRONG,
                "new_password": STRONGER,
                "confirm_password": STRONGER,
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert (await c.get("/tasks")).status_code == 200
        assert (await c.get("/api/tasks", headers=lisi)).status_code == 401  # revoked
        fresh = await bearer(c, "lisi", STRONGER)
        assert (await c.get("/api/tasks", headers=fresh)).status_code == 200
        # An admin's reset forces a change again and ends the user's sessions.
        r = await c.patch(f"/api/users/{user_id}", json={"password": STRONG}, headers=admin)
        assert r.status_code == 200, r.text
        assert (await c.get("/api/tasks", headers=fresh)).status_code == 401
        again = await bearer(c, "lisi", STRONG)
        assert (await c.get("/api/tasks", headers=again)).status_code == 403


# --- Security headers and cookies ---


async def test_security_headers_on_api_pages_and_static_files(db_url: str, tmp_path: Path) -> None:
    async with ledger_app(ledger_settings(db_url, tmp_path)) as (c, _):
        sup = await bearer(c, "supervisor", "supervisor-demo")
        for r in (
            await c.get("/api/me", headers=sup),
            await c.get("/api/me"),
            await c.get("/login"),
            await c.get("/static/web.css"),
            await c.get("/health/live"),
        ):
            assert r.headers["x-content-type-options"] == "nosniff", r.url
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.url
            assert r.headers["referrer-policy"], r.url
            assert "strict-transport-security" not in r.headers
        page = await c.get("/login")
        assert "script-src 'none'" in page.headers["content-security-policy"]
        api = await c.get("/api/me", headers=sup)
        assert api.headers["content-security-policy"].startswith("default-src 'none'")


async def test_https_deployments_get_secure_cookies_and_hsts(db_url: str, tmp_path: Path) -> None:
    settings = ledger_settings(db_url, tmp_path, public_base_url="https://duban.example")
    async with ledger_app(settings) as (c, _):
        r = await c.get("/login")
        assert "max-age=" in r.headers["strict-transport-security"]
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert "max-age=" in (await c.get("/api/me")).headers["strict-transport-security"]
