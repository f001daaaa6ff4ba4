"""The HTTP API on both stores (SQLite and PostgreSQL), in-process through ASGI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from ledger_helpers import EVIDENCE, Api, first_task

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel
from task_ledger.adapters.audit import verify_chain
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.integration


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


async def test_a_reports_uploaded_files_are_closed_when_it_is_done(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress report reads its form itself (entrypoints/forms.py): the uploaded files are
    closed after the route, whether the report was stored or refused."""
    from starlette.datastructures import UploadFile

    closed: list[str | None] = []
    real_close = UploadFile.close

    async def close(self: UploadFile) -> None:
        closed.append(self.filename)
        await real_close(self)

    monkeypatch.setattr(UploadFile, "close", close)
    await api.import_seed()
    sup = await api.login("supervisor")
    task = await first_task(api, sup)
    lead = await api.liaison_of(task["lead_department_ids"][0])
    assert (await api.client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)).is_success
    assert (await api.client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)).is_success
    url = f"/api/tasks/{task['id']}/progress-reports"
    for headers, status in ((lead, 201), (sup, 403)):
        closed.clear()
        r = await api.client.post(
            url,
            data={"percent": "30"},
            files=[("files", ("进展.pdf", b"%PDF-1.4 x", "application/pdf"))],
            headers=headers,
        )
        assert r.status_code == status, r.text
        assert closed == ["进展.pdf"]
