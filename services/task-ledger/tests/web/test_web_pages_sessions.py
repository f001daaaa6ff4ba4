"""Sessions and forms on the pages (Chromium): CSRF tokens, login throttling and lockout,
session time-out and logout, the forced password change."""

from __future__ import annotations

import re

import httpx
import pytest
from ledger_helpers import csrf_of
from playwright.sync_api import expect
from sqlalchemy import select

from task_ledger.adapters import tables as t

pytestmark = pytest.mark.e2e
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def test_a_post_without_the_csrf_token_is_refused(ledger_server, browsers) -> None:
    task = ledger_server.fresh_task()
    page = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
    page.goto(f"/tasks/{task.id}")
    token = csrf_of(page)
    url = f"/tasks/{task.id}/progress"
    other = browsers.new()
    other.goto("/login")
    foreign = csrf_of(other)
    assert foreign != token
    attempts = [
        ({"percent": "55"}, {}),
        ({"csrf_token": "forged", "percent": "55"}, {}),
        ({"csrf_token": foreign, "percent": "55"}, {}),
        ({"csrf_token": token, "percent": "55"}, {"Origin": "http://evil.example"}),
    ]
    for form, headers in attempts:
        r = page.request.post(url, form=form, headers=headers)
        assert r.status == 403, form
        assert "CSRF" in r.text()
    r = page.request.post("/login", form={"username": "supervisor", "password": "supervisor-demo"})
    assert r.status == 403
    reports = ledger_server.rows(
        select(t.progress_reports).where(t.progress_reports.c.task_id == task.id)
    )
    assert reports == []

    r = page.request.post(url, form={"csrf_token": token, "percent": "55"})
    assert r.ok and "已填报进展 55%" in r.text()
    assert ledger_server.task(task.id).progress == 55


def test_login_is_throttled_after_repeated_failures(ledger_server, browsers) -> None:
    username = ledger_server.liaison_username(ledger_server.department_id("广东省教育厅"))
    page = browsers.new()
    page.goto("/login")
    for _ in range(4):
        r = page.request.post(
            "/login",
            form={"csrf_token": csrf_of(page), "username": username, "password": "wrong"},
        )
        assert r.status == 401 and "用户名或密码错误" in r.text()
    # The fifth failure through the form.
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("用户名或密码错误")
    # Locked: even the right password is refused for now.
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("liaison-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("登录失败次数过多，请 15 分钟后再试")
    expect(page).to_have_url(LOGIN_URL)

    # Per address: a spray over many usernames locks the address for everyone.
    token = csrf_of(page)
    for i in range(15):
        r = page.request.post(
            "/login", form={"csrf_token": token, "username": f"nobody-{i}", "password": "x"}
        )
        assert r.status == 401
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill("supervisor-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("登录失败次数过多")

    ledger_server.call(ledger_server.app.state.auth.reset_throttle())  # the lock-out ends
    login_ok = browsers.login(username, fresh=True)
    expect(login_ok.get_by_role("heading", level=1)).to_contain_text("我的任务")


def test_a_rotating_forwarded_for_from_loopback_does_not_dodge_the_address_lockout(
    ledger_server, fresh_security_state
) -> None:
    """Issue #22: through the real server (uvicorn with the service's options), a client on
    loopback sending a new X-Forwarded-For each time was a new address each time."""
    with httpx.Client(base_url=ledger_server.base_url) as client:
        for i in range(20):
            r = client.post(
                "/api/auth/login",
                json={"username": f"nobody-{i}", "password": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            )
            assert r.status_code == 401, r.text
        r = client.post(
            "/api/auth/login",
            json={"username": "supervisor", "password": "supervisor-demo"},
            headers={"X-Forwarded-For": "203.0.113.1"},
        )
        assert r.status_code == 429 and "登录失败次数过多" in r.json()["detail"]


def test_session_cookie_times_out_and_ends_at_logout(ledger_server, browsers) -> None:
    username = ledger_server.liaison_username(ledger_server.department_id("广东省教育厅"))
    page = browsers.login(username, fresh=True)
    cookie = next(c for c in page.context.cookies() if c["name"] == "duban_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"

    ledger_server.app.state.web.idle_timeout = 1.0
    page.wait_for_timeout(1500)
    page.goto("/tasks")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator(".flash-warning")).to_contain_text("登录已超时")
    ledger_server.app.state.web.idle_timeout = 1800

    page = browsers.login(username, fresh=True)
    stolen = page.context.cookies()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(LOGIN_URL)
    replay = browsers.new()
    replay.context.add_cookies(stolen)
    replay.goto("/")
    expect(replay).to_have_url(LOGIN_URL)


def test_password_page_comes_first_when_forced_and_changes_the_password(
    ledger_server, browsers
) -> None:
    """The password page on a phone: a forced change first, mismatches and the policy refused
    with Chinese messages, then the new password works and the old one does not. The page
    satisfies its CSP (no violation reported by the browser)."""
    from duban_contracts.vocabulary import Role
    from task_ledger.adapters.repository import auth as auth_repo
    from task_ledger.domain.model import User
    from task_ledger.service_layer import directory

    admin = ledger_server.user("user-admin")
    user = User("user-pw-web", "pw-web", "改密测试", Role.SUPERVISOR)
    old, new = "Old-Pass-2026!x", "Nq5#wTz8?Lk-2027"
    ledger_server.call(directory.create_user(ledger_server.ledger, admin, user, old))

    async def force_change() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await auth_repo.set_credentials(tx.conn, user.id, None, True)

    ledger_server.call(force_change())
    page = browsers.new(mobile=True)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto("/login")
    page.get_by_label("用户名").fill("pw-web")
    page.get_by_label("密码").fill(old)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/password$"))
    expect(page.get_by_text("这是初始密码或重置后的密码")).to_be_visible()
    page.goto("/tasks")  # anything else sends the user back
    page.wait_for_url(re.compile(r"/password$"))
    expect(page.locator(".flash-warning")).to_contain_text("请先修改初始密码")

    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new + "x")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".flash-error")).to_contain_text("两次输入的新密码不一致")
    settings = ledger_server.ledger.settings
    settings.password_policy = True  # the page tests' server relaxes it; here the default
    try:
        page.get_by_label("当前密码").fill(old)
        page.get_by_label("新密码", exact=True).fill("password")
        page.get_by_label("确认新密码").fill("password")
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".flash-error")).to_contain_text("密码不符合要求")
        expect(page.locator(".flash-error")).to_contain_text("长度至少 10 位")
    finally:
        settings.password_policy = False
    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new)
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.locator(".flash-success")).to_contain_text("密码已修改")
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    assert violations == []

    other = browsers.new()
    other.goto("/login")
    other.get_by_label("用户名").fill("pw-web")
    other.get_by_label("密码").fill(old)
    other.get_by_role("button", name="登录").click()
    expect(other.locator(".flash-error")).to_contain_text("用户名或密码错误")
    ledger_server.call(ledger_server.app.state.auth.reset_throttle())
