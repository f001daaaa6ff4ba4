"""Every page route about a task, walked as another department's liaison: the same 404 as a
missing task, nothing changed, and the attempt audited (like the API's route walk)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from task_ledger.adapters import tables as t
from task_ledger.entrypoints.web import pages_admin, pages_tasks

pytestmark = pytest.mark.e2e

# Valid forms, so that authorization (not validation) is what refuses.
SAMPLES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/tasks/{task_id}"): {},
    ("GET", "/tasks/{task_id}/attachments/{attachment_id}"): {},
    ("POST", "/tasks/{task_id}/progress"): {"percent": "10", "done_work": "越权填报"},
    ("POST", "/tasks/{task_id}/acknowledge"): {},
    ("POST", "/tasks/{task_id}/start"): {},
    ("POST", "/tasks/{task_id}/dispatch"): {},
    ("POST", "/tasks/{task_id}/close"): {},
    ("POST", "/tasks/{task_id}/extension"): {"requested_due_on": "2026-06-30", "reason": "理由"},
    ("POST", "/tasks/{task_id}/completion"): {"summary": "完成"},
    ("POST", "/tasks/{task_id}/completions/{request_id}/decision"): {"decision": "approved"},
    ("POST", "/tasks/{task_id}/extensions/{request_id}/decision"): {"decision": "approved"},
    ("POST", "/tasks/{task_id}/extensions/{request_id}/withdraw"): {},
    ("POST", "/tasks/{task_id}/notices"): {
        "department_id": "dep-x",
        "level": "red",
        "requirements": "要求",
        "reply_due_on": "2026-01-01",
    },
    ("POST", "/tasks/{task_id}/notices/{notice_id}/answer"): {"answer": "答复"},
    ("POST", "/tasks/{task_id}/remind"): {"message": "催办"},
}


# The import pages: a valid correction form, so the owner check is what refuses.
IMPORT_SAMPLES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/imports/{import_id}"): {},
    ("POST", "/imports/{import_id}/departments"): {
        "old_department_id": "dep-x",
        "new_department_id": "dep-y",
    },
    ("POST", "/imports/{import_id}/confirm"): {},
}


def import_page_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in pages_admin.router.routes
        if isinstance(route, APIRoute) and "{import_id}" in route.path
        for method in route.methods
    )


def task_page_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in pages_tasks.router.routes
        if isinstance(route, APIRoute) and "{task_id}" in route.path
        for method in route.methods
    )


def _login(client: httpx.Client, username: str, password: str) -> str:
    """Log in through the form; returns the CSRF token of the home page."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post(
        "/login", data={"csrf_token": token[1], "username": username, "password": password}
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert csrf
    return csrf[1]


def test_every_task_page_route_has_a_sample() -> None:
    assert set(task_page_routes()) == set(SAMPLES)


def test_another_departments_liaison_is_refused_on_every_task_page_route(ledger_server) -> None:
    task = ledger_server.fresh_task(lead="广东省工业和信息化厅")
    before = ledger_server.task(task.id)
    outsider = ledger_server.liaison(ledger_server.department_id("广东省财政厅"))
    assert outsider.department_id not in task.department_ids
    with httpx.Client(base_url=ledger_server.base_url) as client:
        csrf = _login(client, outsider.username, "liaison-demo")
        walked = []
        for method, path in task_page_routes():
            url = re.sub(r"\{(\w+)\}", lambda m: task.id if m[1] == "task_id" else "x-1", path)
            form: dict[str, Any] = dict(SAMPLES[(method, path)])
            if method == "GET":
                r = client.get(url)
            else:
                r = client.post(url, data={"csrf_token": csrf, **form})
            assert r.status_code == 404, (method, path, r.status_code)
            assert "任务不存在或无权访问" in r.text
            assert task.title not in r.text
            walked.append((method, path))

    assert ledger_server.task(task.id) == before
    denied = ledger_server.rows(
        select(t.audit_log.c.after).where(
            t.audit_log.c.action == "access.denied",
            t.audit_log.c.entity_id == task.id,
            t.audit_log.c.actor_id == outsider.id,
        )
    )
    assert len(denied) == len(walked) == len(SAMPLES)
    assert {row.after["path"] for row in denied} == {
        re.sub(r"\{(\w+)\}", lambda m: task.id if m[1] == "task_id" else "x-1", p)
        for _, p in walked
    }


def test_a_supervisor_limited_to_another_plan_sees_none_of_this_one(ledger_server) -> None:
    """督查 over a plan scope: the pages show only the plans in scope."""
    from datetime import UTC, datetime

    from task_ledger.domain.model import User
    from task_ledger.service_layer import directory

    supervisor = ledger_server.supervisor

    async def prepare() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await tx.conn.execute(
                t.plans.insert().values(
                    id="plan-scope-web", title="另一方案（范围测试）", created_at=datetime.now(UTC)
                )
            )
        await directory.create_user(
            ledger_server.ledger,
            supervisor,
            User(
                "user-scope-web",
                "scope-web",
                "另一方案督查",
                supervisor.role,
                plan_ids=("plan-scope-web",),
            ),
            "scope-web-pass",
        )

    ledger_server.call(prepare())
    task = ledger_server.rows(
        select(t.tasks.c.id, t.tasks.c.title).where(t.tasks.c.plan_id == ledger_server.plan_id)
    )[0]
    with httpx.Client(base_url=ledger_server.base_url) as client:
        _login(client, "scope-web", "scope-web-pass")
        home = client.get("/")
        assert home.status_code == 200 and task.title not in home.text
        r = client.get(f"/tasks/{task.id}")
        assert r.status_code == 404 and task.title not in r.text
        listing = client.get("/tasks")
        assert listing.status_code == 200 and task.id not in listing.text
        reports = client.get("/reports")
        assert "另一方案（范围测试）" in reports.text
        r = client.get("/reports/view", params={"plan": ledger_server.plan_id, "month": "2025-06"})
        assert "该方案不在您的督办范围内" in r.text


def test_every_import_page_route_has_a_sample() -> None:
    assert set(import_page_routes()) == set(IMPORT_SAMPLES)


def test_a_scoped_supervisor_is_refused_on_another_supervisors_import_pages(
    ledger_server,
) -> None:
    """Issue #22 (scope): a supervisor limited to a plan could read, correct and confirm
    another supervisor's pending import, and the import page listed everyone's."""
    from task_ledger.domain.model import User
    from task_ledger.service_layer import directory, imports

    seed = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"

    admin = ledger_server.user(directory.ADMIN_ID)
    scoped = []
    for name in ("imp-owner", "imp-other"):
        user = User(
            f"user-{name}",
            name,
            "方案督查",
            ledger_server.supervisor.role,
            plan_ids=(ledger_server.plan_id,),
        )
        scoped.append(
            ledger_server.call(
                directory.create_user(ledger_server.ledger, admin, user, "scoped-pass")
            )
        )
    owner, _ = scoped
    preview = ledger_server.call(
        imports.upload(ledger_server.ledger, owner, "scope-walk-pending.txt", seed.read_bytes())
    )
    pending = preview["import_id"]

    def stored() -> Any:
        m = t.plan_import_measures
        return ledger_server.rows(
            select(t.plan_imports.c.status, t.plan_imports.c.preview).where(
                t.plan_imports.c.id == pending
            )
        )[0], ledger_server.rows(
            select(m.c.document, m.c.position, m.c.data)
            .where(m.c.import_id == pending)
            .order_by(m.c.document, m.c.position)
        )

    before = stored()
    with httpx.Client(base_url=ledger_server.base_url) as client:
        csrf = _login(client, "imp-other", "scoped-pass")
        listing = client.get("/imports")
        assert listing.status_code == 200 and "scope-walk-pending.txt" not in listing.text
        for method, path in import_page_routes():
            url = path.format(import_id=pending)
            if method == "GET":
                r = client.get(url)
            else:
                form = {"csrf_token": csrf, **IMPORT_SAMPLES[(method, path)]}
                r = client.post(url, data=form, follow_redirects=True)
            assert r.status_code == 404, (method, path, r.status_code)
            assert "导入记录不存在" in r.text
            assert "内蒙古" not in r.text
    assert stored() == before

    with httpx.Client(base_url=ledger_server.base_url) as client:
        _login(client, "imp-owner", "scoped-pass")
        assert "scope-walk-pending.txt" in client.get("/imports").text
        assert client.get(f"/imports/{pending}").status_code == 200
    with httpx.Client(base_url=ledger_server.base_url) as client:
        _login(client, "admin", "admin-demo")
        assert "scope-walk-pending.txt" in client.get("/imports").text
        assert client.get(f"/imports/{pending}").status_code == 200
