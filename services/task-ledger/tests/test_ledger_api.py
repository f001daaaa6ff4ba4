"""The HTTP API on both stores (SQLite and PostgreSQL), in-process through ASGI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ledger_helpers import EVIDENCE, SEEDS, Api
from sqlalchemy import func, select, update

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import verify_chain
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.integration


async def first_task(api: Api, headers: dict[str, str]) -> dict:
    r = await api.client.get("/api/tasks", params={"page_size": 1}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


async def test_plan_import_previews_flags_unknown_and_is_idempotent(api: Api) -> None:
    sup = await api.login("supervisor")
    first = await api.import_seed()
    preview, result = first["preview"], first["result"]
    expected_tasks = sum(d["task_count"] for d in preview["documents"])
    assert expected_tasks > 0 and result["tasks"] == expected_tasks
    measure = preview["documents"][0]["measures"][1]
    assert (
        measure["lead"][0]["known"] and measure["lead"][0]["name"] == "广东省人力资源和社会保障厅"
    )
    unknown = [d for doc in preview["documents"] for d in doc["unknown_departments"]]
    groups = [d for doc in preview["documents"] for d in doc["collective_departments"]]
    assert groups and not set(groups) & set(unknown)  # a collective group is no unit to create
    assert result["departments"] == len(set(unknown)) + len(set(groups))

    again = await api.import_seed()
    assert again["result"]["tasks"] == 0 and again["result"]["plans"] == 0
    r = await api.client.get("/api/tasks", headers=sup)
    assert r.json()["total"] == expected_tasks
    registered = await api.outbox("task.registered")
    assert len(registered) == expected_tasks
    directory = await api.outbox("directory.department_upserted")
    r = await api.client.get("/api/departments", headers=sup)
    assert len(directory) == len(r.json())  # every department was announced once

    bad = await api.client.post(
        "/api/imports", files={"file": ("x.txt", b"", "text/plain")}, headers=sup
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["detail"] == "上传的文件为空"


async def test_liaison_workflow_from_dispatch_to_close(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    task = await first_task(api, sup)
    tid = task["id"]
    lead = await api.liaison_of(task["lead_department_ids"][0])
    support = await api.liaison_of(task["supporting_department_ids"][0])

    r = await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)
    assert r.status_code == 409 and "待交办" in r.json()["detail"]
    assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=lead)).status_code == 403
    assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)).status_code == 200
    r = await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=support)
    assert r.status_code == 403 and r.json()["detail"] == "只有牵头单位可以签收任务"
    assert (await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)).status_code == 200

    pdf = b"%PDF-1.4 evidence"
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "40", "done_work": "完成摸底调查", "next_steps": "建立资源库"},
        files=[("files", ("调查报告.pdf", pdf, "application/pdf"))],
        headers=lead,
    )
    assert r.status_code == 201, r.text
    attachment = r.json()["attachments"][0]
    r = await api.client.get(f"/api/tasks/{tid}/attachments/{attachment['id']}", headers=support)
    assert r.status_code == 200 and r.content == pdf
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports", data={"percent": "90"}, headers=support
    )
    assert r.status_code == 201
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports", data={"percent": "10"}, headers=sup
    )
    assert r.status_code == 403
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=lead)).json()
    assert detail["status"] == "in_progress" and detail["progress"] == 40  # lead's figure
    assert len(detail["progress_reports"]) == 2

    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "50"},
        files=[("files", ("x.exe", b"MZ", "application/x-msdownload"))],
        headers=lead,
    )
    assert r.status_code == 422 and "不支持的附件类型" in r.json()["detail"]
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "50"},
        files=[("files", ("big.pdf", b"0" * (1024 * 1024 + 1), "application/pdf"))],
        headers=lead,
    )
    assert r.status_code == 422 and "超过" in r.json()["detail"]
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests",
        content=json.dumps({"summary": "x" * 70_000}),
        headers={**lead, "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["title"] == "请求过大"
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "50"},
        files=[("files", ("huge.pdf", b"0" * (2 * 1024 * 1024 + 1), "application/pdf"))],
        headers=lead,
    )
    assert r.status_code == 413  # the whole upload is over max_upload_bytes

    # No mass assignment: protected fields are refused, not ignored.
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests",
        json={"requested_due_on": "2030-01-01", "reason": "理由", "status": "closed"},
        headers=lead,
    )
    assert r.status_code == 422 and "status" in r.json()["detail"]

    old_due = date.fromisoformat(detail["due_on"])
    new_due = (old_due + timedelta(days=30)).isoformat()
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests",
        json={"requested_due_on": new_due, "reason": "需协调省财政资金"},
        headers=lead,
    )
    assert r.status_code == 201, r.text
    ext = r.json()["id"]
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests/{ext}/decision",
        json={"decision": "approved"},
        headers=sup,
    )
    assert r.status_code == 200
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=lead)).json()
    assert detail["due_on"] == new_due and detail["original_due_on"] == old_due.isoformat()

    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests",
        data={
            "summary": "已建立资源库",
            "evidence": ["资源库名单"],
            "explanation": "余下评审在年底",
        },
        files=EVIDENCE,
        headers=lead,
    )
    assert r.status_code == 201
    req = r.json()["id"]
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests/{req}/decision",
        json={"decision": "rejected"},
        headers=sup,
    )
    assert r.status_code == 422 and r.json()["detail"] == "退回须说明理由"
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests/{req}/decision",
        json={"decision": "rejected", "comment": "缺少佐证材料"},
        headers=sup,
    )
    assert r.status_code == 200
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests",
        data={"summary": "补充材料", "explanation": "余下评审在年底"},
        files=EVIDENCE,
        headers=lead,
    )
    req = r.json()["id"]
    await api.client.post(
        f"/api/tasks/{tid}/completion-requests/{req}/decision",
        json={"decision": "approved"},
        headers=sup,
    )
    r = await api.client.post(f"/api/tasks/{tid}/close", headers=sup)
    assert r.status_code == 200 and r.json()["status"] == "closed"

    kinds = [
        e["kind"]
        for e in (
            await api.client.get(
                f"/api/tasks/{tid}/timeline", params={"order": "oldest"}, headers=lead
            )
        ).json()
    ]
    assert kinds[0] == "registered" and kinds[-1] == "status"
    assert (
        kinds.index("progress")
        < kinds.index("extension_requested")
        < kinds.index("completion_requested")
    )
    task_events = [r.event_type for r in await api.outbox() if r.key == tid]
    assert task_events == [
        "task.registered",
        "task.dispatched",
        "task.status_changed",
        "task.acknowledged",
        "task.status_changed",
        "task.progress_reported",
        "task.status_changed",
        "task.progress_reported",
        "task.extension_requested",
        "task.extension_decided",
        "task.due_date_changed",
        "task.completion_requested",
        "task.status_changed",
        "task.completion_decided",
        "task.status_changed",
        "task.completion_requested",
        "task.status_changed",
        "task.completion_decided",
        "task.status_changed",
        "task.closed",
        "task.status_changed",
    ]
    report = await verify_chain(api.ledger.engine)
    assert report.ok and report.checked > 300


async def test_notices_reminders_and_the_inbox(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    task = await first_task(api, sup)
    tid, dep = task["id"], task["supporting_department_ids"][0]
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    support = await api.liaison_of(dep)
    r = await api.client.post(
        f"/api/tasks/{tid}/supervision-notices",
        json={
            "department_id": dep,
            "level": "orange",
            "requirements": "三日内报送整改方案",
            "reply_due_on": "2025-06-05",
        },
        headers=sup,
    )
    assert r.status_code == 201, r.text
    notice = r.json()["id"]
    lead = await api.liaison_of(task["lead_department_ids"][0])
    r = await api.client.post(
        f"/api/tasks/{tid}/supervision-notices/{notice}/answer",
        json={"answer": "代答"},
        headers=lead,
    )
    assert r.status_code == 403
    r = await api.client.post(
        f"/api/tasks/{tid}/supervision-notices/{notice}/answer",
        json={"answer": "已报送整改方案"},
        headers=support,
    )
    assert r.status_code == 200 and r.json()["answer"] == "已报送整改方案"
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    assert detail["escalation_level"] == "orange"

    r = await api.client.post(
        f"/api/tasks/{tid}/reminders", json={"message": "请尽快填报"}, headers=sup
    )
    assert r.status_code == 202
    (row,) = await api.outbox("command.send_manual_reminder")
    command = Envelope.from_bytes(row.body).open()
    assert command.task_id == tid and dep in command.department_ids  # type: ignore[attr-defined]
    assert str(Envelope.from_bytes(row.body).event_id) == r.json()["command_id"]

    user_id = f"user-liaison-{dep.removeprefix('dep-')}"
    sent = Envelope.wrap(
        ev.NotificationSent(
            key=tid,
            notification_id="n-1",
            source_event_ids=("e-1",),
            task_ids=(tid,),
            recipient_id=user_id,
            channel=Channel.INBOX,
            attempt=1,
            at=datetime.now(UTC),
            subject="督办提醒",
            body="请于本周内回复",
        ),
        producer="notifier",
    )
    assert await inbound.handle_batch(api.ledger, [(sent, sent.open())] * 2) == 1
    assert await inbound.handle_batch(api.ledger, [(sent, sent.open())]) == 0
    inbox = (await api.client.get("/api/me/inbox", headers=support)).json()
    assert [(m["subject"], m["read"]) for m in inbox] == [("督办提醒", False)]
    r = await api.client.post(f"/api/me/inbox/{inbox[0]['id']}/read", headers=support)
    assert r.json() == {"changed": True}
    assert (
        await api.client.get("/api/me/inbox", params={"unread": True}, headers=support)
    ).json() == []
    assert (await api.client.get("/api/me/inbox", headers=lead)).json() == []
    timeline = (await api.client.get(f"/api/tasks/{tid}/timeline", headers=sup)).json()
    assert [e["kind"] for e in timeline].count("delivered") == 1


async def test_list_filters_and_pagination(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    everything = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    total = everything["total"]
    page2 = (
        await api.client.get("/api/tasks", params={"page": 2, "page_size": 5}, headers=sup)
    ).json()
    assert [x["id"] for x in page2["items"]] == [x["id"] for x in everything["items"][5:10]]
    dep = everything["items"][0]["lead_department_ids"][0]
    by_dep = (
        await api.client.get(
            "/api/tasks", params={"department_id": dep, "page_size": 200}, headers=sup
        )
    ).json()
    expected = [
        x["id"]
        for x in everything["items"]
        if dep in x["lead_department_ids"] + x["supporting_department_ids"]
    ]
    assert [x["id"] for x in by_dep["items"]] == expected and 0 < len(expected) < total
    liaison = await api.liaison_of(dep)
    mine = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=liaison)).json()
    assert [x["id"] for x in mine["items"]] == expected  # a liaison sees only their own

    tid = everything["items"][0]["id"]
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    dispatched = (
        await api.client.get("/api/tasks", params={"status": "dispatched"}, headers=sup)
    ).json()
    assert [x["id"] for x in dispatched["items"]] == [tid]
    green = (
        await api.client.get("/api/tasks", params={"light": "green", "page_size": 200}, headers=sup)
    ).json()
    assert green["total"] == total
    assert (await api.client.get("/api/tasks", params={"overdue": True}, headers=sup)).json()[
        "total"
    ] == 0
    api.clock.set(datetime(2026, 1, 5, tzinfo=UTC))  # past every seed deadline
    red = (await api.client.get("/api/tasks", params={"light": "red"}, headers=sup)).json()
    overdue = (await api.client.get("/api/tasks", params={"overdue": True}, headers=sup)).json()
    assert red["total"] == overdue["total"] == total
    before = (
        await api.client.get("/api/tasks", params={"due_before": "2000-01-01"}, headers=sup)
    ).json()
    assert before["total"] == 0
    r = await api.client.get("/api/tasks", params={"page_size": 1000}, headers=sup)
    assert r.status_code == 422 and r.json()["detail"].startswith("请求参数不合法")


async def test_decomposition_to_a_city_and_roll_up(api: Api) -> None:
    await api.import_seed()
    sup, admin = await api.login("supervisor"), await api.login("admin")
    task = await first_task(api, sup)
    tid, lead_dep = task["id"], task["lead_department_ids"][0]
    r = await api.client.post(
        "/api/departments",
        json={
            "name": "广州市人力资源和社会保障局",
            "jurisdiction": "广州市",
            "level": "city",
            "parent_id": lead_dep,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    city = r.json()["id"]
    assert (
        await api.client.post(
            "/api/departments",
            json={"name": "x", "jurisdiction": "y", "level": "city"},
            headers=sup,
        )
    ).status_code == 403
    r = await api.client.post(
        "/api/users",
        json={
            "username": "gz-liaison",
            "display_name": "广州联络员",
            "role": "liaison",
            "department_id": city,
            "email": "gz@duban.example",
            "password": "guangzhou-1",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    upserted = [
        Envelope.from_bytes(x.body).open() for x in await api.outbox("directory.user_upserted")
    ]
    assert any(
        u.user_id == "user-gz-liaison"
        and u.email == "gz@duban.example"  # type: ignore[attr-defined]
        and Channel.EMAIL in u.channels
        for u in upserted
    )  # type: ignore[attr-defined]

    lead = await api.liaison_of(lead_dep)
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)
    too_late = {
        "children": [{"title": "广州市落实", "lead_department_ids": [city], "due_on": "2030-01-01"}]
    }
    r = await api.client.post(f"/api/tasks/{tid}/decompose", json=too_late, headers=lead)
    assert r.status_code == 422 and "不能晚于上级任务" in r.json()["detail"]
    r = await api.client.post(
        f"/api/tasks/{tid}/decompose",
        json={
            "children": [
                {"title": "广州市落实", "lead_department_ids": [city], "due_on": "2025-11-30"}
            ]
        },
        headers=lead,
    )
    assert r.status_code == 201, r.text
    child = r.json()[0]
    assert child["parent_task_id"] == tid and child["status"] == "dispatched"

    gz = await api.login("gz-liaison", "guangzhou-1")
    assert (await api.client.get(f"/api/tasks/{tid}", headers=gz)).status_code == 404
    await api.client.post(f"/api/tasks/{child['id']}/acknowledge", headers=gz)
    r = await api.client.post(
        f"/api/tasks/{child['id']}/progress-reports", data={"percent": "60"}, headers=gz
    )
    assert r.status_code == 201
    parent = (await api.client.get(f"/api/tasks/{tid}", headers=lead)).json()
    assert parent["progress"] == 60 and parent["status"] == "in_progress"
    assert [c["id"] for c in parent["children"]] == [child["id"]]
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests", data={"summary": "完成"}, headers=lead
    )
    assert r.status_code == 422 and "下级任务尚未办结" in r.json()["detail"]


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


async def test_plan_import_of_the_second_seed(api: Api) -> None:
    seed = SEEDS / "003_719c3a43df115ca9.txt"
    done = await api.import_seed(seed)
    assert done["result"]["tasks"] == sum(d["task_count"] for d in done["preview"]["documents"])
    assert done["preview"]["documents"][0]["jurisdiction"] == "内蒙古自治区"


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


CITY_PLAN = """关于印发《临江市2025年优化营商环境重点任务分工方案》的通知
临政办发〔2025〕12号

各区人民政府，市政府各部门：
　　现将《临江市2025年优化营商环境重点任务分工方案》印发给你们，请认真贯彻落实。

临江市人民政府办公室
2025年3月10日

临江市2025年优化营商环境重点任务分工方案

一、提升政务服务效能
（一）深化“一网通办”。推进政务服务事项全程网办。
牵头单位：市政务服务数据管理局
责任单位：市直各部门，各区人民政府
完成时限：2025年12月底
（二）推行“高效办成一件事”。新增10个集成办理场景。（市政务服务数据管理局牵头，市公安局、市医保局配合）
"""


async def test_a_city_plan_in_its_notice_imports_under_its_own_title_and_jurisdiction(
    api: Api, tmp_path: Path
) -> None:
    """The plan a notice carries is the plan (not 关于印发…的通知); departments the registry does
    not know are named with the plan's city, never a bare 市…局; groups are flagged."""
    path = tmp_path / "临江市分工方案.txt"
    path.write_text(CITY_PLAN, encoding="utf-8")
    imported = await api.import_seed(path)
    (doc,) = imported["preview"]["documents"]
    assert doc["title"] == "临江市2025年优化营商环境重点任务分工方案"
    assert doc["doc_number"] == "临政办发〔2025〕12号"
    first, second = doc["measures"]
    assert [d["name"] for d in first["lead"]] == ["临江市政务服务数据管理局"]
    assert [(d["printed"], d["collective"]) for d in first["supporting"]] == [
        ("市直各部门", True),
        ("各区人民政府", True),
    ]
    assert [d["name"] for d in second["supporting"]] == ["临江市公安局", "临江市医疗保障局"]
    sup = await api.login("supervisor")
    plans = (await api.client.get("/api/plans", headers=sup)).json()
    assert "临江市2025年优化营商环境重点任务分工方案" in [p["title"] for p in plans]
