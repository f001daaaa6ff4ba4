"""Integrity through the HTTP API on both stores: health and login, the audit chain, the
outbox rows' trace, a deactivated user's token."""

from __future__ import annotations

import pytest
from ledger_helpers import Api, first_task
from sqlalchemy import func, select, update

from duban_contracts import Envelope
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import verify_chain

pytestmark = pytest.mark.integration


async def test_login_health_and_audit_tampering(api: Api) -> None:
    r = await api.client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"
    r = await api.client.get("/api/tasks")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = await api.client.get("/api/tasks", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401 and r.json()["detail"] == "登录凭证无效"
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    assert (await api.client.get("/health/ready")).json() == {
        "status": "ready",
        "checks": {"database": True},
    }
    assert (await api.client.get("/openapi.json")).json()["info"]["title"].startswith("督办台账")

    engine = api.ledger.engine
    healthy = await verify_chain(engine)
    assert healthy.ok and healthy.checked > 0
    async with engine.begin() as conn:
        await conn.execute(
            update(t.audit_log).where(t.audit_log.c.seq == 5).values(after={"role": "admin"})
        )
    broken = await verify_chain(engine)
    assert (broken.ok, broken.first_broken_seq) == (False, 5) and "内容被改动" in (
        broken.reason or ""
    )
    async with engine.begin() as conn:
        total = await conn.scalar(select(func.count()).select_from(t.audit_log))
        await conn.execute(t.audit_log.delete().where(t.audit_log.c.seq >= 4))
        assert total and total > 5
    assert (await verify_chain(engine)).ok  # a truncated tail verifies (no later record)


async def test_outbox_rows_carry_the_http_requests_trace(api: Api) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from duban_common.telemetry import setup_tracing

    exporter = InMemorySpanExporter()
    setup_tracing("task-ledger-test", extra=SimpleSpanProcessor(exporter))
    await api.import_seed()
    sup = await api.login("supervisor")
    tid = (await first_task(api, sup))["id"]
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    r = await api.client.post(
        f"/api/tasks/{tid}/dispatch",
        headers={**sup, "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert r.status_code == 200
    dispatched = [Envelope.from_bytes(x.body) for x in await api.outbox("task.dispatched")]
    assert [e.traceparent.split("-")[1] for e in dispatched if e.traceparent] == [trace_id]
    server_spans = [
        s for s in exporter.get_finished_spans() if s.context.trace_id == int(trace_id, 16)
    ]
    assert server_spans, "the request was traced"


async def test_a_deactivated_users_token_is_refused_at_once(api: Api) -> None:
    """Verified tokens are cached for a few seconds; a change to the user clears the cache."""
    admin = await api.login("admin")
    sup = await api.login("supervisor")
    assert (await api.client.get("/api/tasks", headers=sup)).status_code == 200  # now cached
    users = (await api.client.get("/api/users", headers=admin)).json()
    supervisor = next(u for u in users if u["username"] == "supervisor")
    r = await api.client.patch(
        f"/api/users/{supervisor['id']}", json={"active": False}, headers=admin
    )
    assert r.status_code == 200, r.text
    r = await api.client.get("/api/tasks", headers=sup)
    assert r.status_code == 401 and r.json()["detail"] == "账号不存在或已停用"
