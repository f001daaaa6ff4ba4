"""申请办结 rules (issue 21): 100% progress or a 说明, at least one evidence file through the
attachment store, and a pending extension request blocks it (409) unless withdrawn with it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from ledger_helpers import EVIDENCE, Api

pytestmark = pytest.mark.integration


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def _working_task(api: Api) -> tuple[str, dict[str, str], dict[str, str], dict]:
    sup = await api.login("supervisor")
    await api.import_seed()
    r = await api.client.get("/api/tasks", params={"status": "draft", "page_size": 50}, headers=sup)
    task = next(t for t in r.json()["items"] if t["due_on"])
    tid = task["id"]
    assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)).status_code == 200
    lead = await api.liaison_of(task["lead_department_ids"][0])
    assert (await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)).status_code == 200
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "35", "done_work": "完成调查摸底"},
        headers=lead,
    )
    assert r.status_code == 201, r.text
    return tid, sup, lead, task


async def test_completion_needs_explanation_below_100_and_an_evidence_file(api: Api) -> None:
    tid, sup, lead, _ = await _working_task(api)
    url = f"/api/tasks/{tid}/completion-requests"
    r = await api.client.post(url, data={"summary": "基本完成"}, files=EVIDENCE, headers=lead)
    assert r.status_code == 422 and "35%" in r.json()["detail"] and "说明" in r.json()["detail"]
    r = await api.client.post(
        url, data={"summary": "基本完成", "explanation": "评审延至明年"}, headers=lead
    )
    assert r.status_code == 422 and r.json()["detail"] == "申请办结须上传至少一份佐证材料"
    r = await api.client.post(
        url,
        data={"summary": "基本完成", "explanation": "评审延至明年"},
        files=[("files", ("x.exe", b"MZ", "application/x-msdownload"))],
        headers=lead,
    )
    assert r.status_code == 422 and "不支持的附件类型" in r.json()["detail"]
    task = (await api.client.get(f"/api/tasks/{tid}", headers=lead)).json()
    assert task["status"] == "in_progress" and task["completion_requests"] == []

    r = await api.client.post(
        url,
        data={"summary": "基本完成", "explanation": "评审延至明年", "evidence": ["粤人社函1号"]},
        files=EVIDENCE,
        headers=lead,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["explanation"] == "评审延至明年" and made["evidence"] == ["粤人社函1号"]
    (file,) = made["files"]
    assert file["filename"] == "印发通知.pdf" and file["content_type"] == "application/pdf"
    # The supervisor sees the request with its evidence and downloads the file.
    (listed,) = (await api.client.get(url, headers=sup)).json()
    assert listed["files"] == made["files"]
    got = await api.client.get(f"/api/tasks/{tid}/attachments/{file['id']}", headers=sup)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 evidence"
    r = await api.client.post(
        f"{url}/{made['id']}/decision", json={"decision": "approved"}, headers=sup
    )
    assert r.status_code == 200 and r.json()["files"] == made["files"]


async def test_a_pending_extension_blocks_completion_unless_withdrawn_with_it(api: Api) -> None:
    tid, sup, lead, task = await _working_task(api)
    later = (date.fromisoformat(task["due_on"]) + timedelta(days=60)).isoformat()
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests",
        json={"requested_due_on": later, "reason": "等待评审"},
        headers=lead,
    )
    assert r.status_code == 201
    ext = r.json()["id"]
    url = f"/api/tasks/{tid}/completion-requests"
    form = {"summary": "已完成", "explanation": "剩余工作转入常态化"}
    r = await api.client.post(url, data=form, files=EVIDENCE, headers=lead)
    assert r.status_code == 409 and "待审核的延期申请" in r.json()["detail"]
    assert r.headers["content-type"] == "application/problem+json"

    r = await api.client.post(
        url, data={**form, "withdraw_extension": "true"}, files=EVIDENCE, headers=lead
    )
    assert r.status_code == 201, r.text
    (extension,) = (
        await api.client.get(f"/api/tasks/{tid}/extension-requests", headers=sup)
    ).json()
    assert extension["id"] == ext and extension["withdrawn"] and extension["decision"] is None
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests/{ext}/decision",
        json={"decision": "approved"},
        headers=sup,
    )
    assert r.status_code == 422 and r.json()["detail"] == "该延期申请已撤回"
    kinds = [
        e["kind"] for e in (await api.client.get(f"/api/tasks/{tid}/timeline", headers=sup)).json()
    ]
    assert "extension_withdrawn" in kinds and "completion_requested" in kinds


async def test_withdrawing_an_extension_alone_and_refusals(api: Api) -> None:
    tid, sup, lead, task = await _working_task(api)
    later = (date.fromisoformat(task["due_on"]) + timedelta(days=30)).isoformat()
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests",
        json={"requested_due_on": later, "reason": "等待评审"},
        headers=lead,
    )
    ext = r.json()["id"]
    withdraw = f"/api/tasks/{tid}/extension-requests/{ext}/withdraw"
    assert (await api.client.post(withdraw, headers=sup)).status_code == 403
    r = await api.client.post(withdraw, headers=lead)
    assert r.status_code == 200 and r.json()["withdrawn"] is True
    r = await api.client.post(withdraw, headers=lead)
    assert r.status_code == 422 and "已撤回" in r.json()["detail"]
    # Withdrawn, it no longer blocks a new extension request.
    r = await api.client.post(
        f"/api/tasks/{tid}/extension-requests",
        json={"requested_due_on": later, "reason": "再次申请"},
        headers=lead,
    )
    assert r.status_code == 201
    # Only the lead department asks for completion; the refusal comes before any file is stored.
    r = await api.client.post(
        f"/api/tasks/{tid}/completion-requests",
        data={"summary": "完成", "explanation": "说明"},
        files=EVIDENCE,
        headers=sup,
    )
    assert r.status_code == 403 and r.json()["detail"] == "只有牵头单位可以申请办结"
    assert not _stored_files(Path(api.ledger.settings.upload_dir))
