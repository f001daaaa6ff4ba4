"""Issue 21 items 2 and 3 through the API: a decomposed task's children seen by the department
that split it; keyword search and the due window; batch 签收 / 催办 / 审核 with a result per
task; the filtered list exported without formula injection; the inbox paged, by kind, all read."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest
from ledger_helpers import Api

from duban_contracts import Envelope
from task_ledger.adapters import repository as repo

pytestmark = pytest.mark.integration


async def _tasks(api: Api, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = await api.client.get("/api/tasks", params={"page_size": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _city_under(api: Api, lead_dep: str, name: str, username: str) -> str:
    admin = await api.login("admin")
    r = await api.client.post(
        "/api/departments",
        json={"name": name, "jurisdiction": "广州市", "level": "city", "parent_id": lead_dep},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    city = r.json()["id"]
    r = await api.client.post(
        "/api/users",
        json={
            "username": username,
            "display_name": f"{name}联络员",
            "role": "liaison",
            "department_id": city,
            "password": "city-pass-1",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return str(city)


async def _signed_task(api: Api) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """A dispatched and signed task of the seed plan, its lead liaison and the supervisor."""
    await api.import_seed()
    sup = await api.login("supervisor")
    task = (await _tasks(api, sup, page_size=1))["items"][0]
    lead = await api.liaison_of(task["lead_department_ids"][0])
    assert (await api.client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)).is_success
    assert (await api.client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)).is_success
    return task, lead, sup


async def test_the_department_that_split_a_task_reads_its_children(api: Api) -> None:
    task, lead, sup = await _signed_task(api)
    city = await _city_under(api, task["lead_department_ids"][0], "广州市人社局", "gz-rsj")
    late = {"children": [{"title": "x", "lead_department_ids": [city], "due_on": "2099-01-01"}]}
    r = await api.client.post(f"/api/tasks/{task['id']}/decompose", json=late, headers=lead)
    assert r.status_code == 422 and "不能晚于上级任务" in r.json()["detail"]
    body = {"children": [{"title": "=1+1 广州落实", "lead_department_ids": [city], "due_on": None}]}
    body["children"][0]["due_on"] = task["due_on"]
    r = await api.client.post(f"/api/tasks/{task['id']}/decompose", json=body, headers=lead)
    assert r.status_code == 201, r.text
    child = r.json()[0]
    # The provincial liaison who split it reads the child (before: 404) but cannot sign it.
    r = await api.client.get(f"/api/tasks/{child['id']}", headers=lead)
    assert r.status_code == 200 and r.json()["parent_task_id"] == task["id"]
    r = await api.client.post(f"/api/tasks/{child['id']}/acknowledge", headers=lead)
    assert r.status_code == 404
    # Another department still gets 404 on the child.
    other = next(
        d["id"]
        for d in (await api.client.get("/api/departments", headers=sup)).json()
        if d["id"] not in (city, *task["lead_department_ids"], *task["supporting_department_ids"])
    )
    r = await api.client.get(f"/api/tasks/{child['id']}", headers=await api.liaison_of(other))
    assert r.status_code == 404

    # The CSV export writes the child's formula-like title as text.
    r = await api.client.get(
        "/api/tasks/export", params={"format": "csv", "q": "广州落实"}, headers=sup
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["序号", "任务"] and rows[1][1] == "'=1+1 广州落实"
    assert len(rows) == 2
    r = await api.client.get("/api/tasks/export", params={"q": "广州落实"}, headers=sup)
    sheet = zipfile.ZipFile(io.BytesIO(r.content)).read("xl/worksheets/sheet1.xml").decode()
    assert 't="inlineStr"' in sheet and "=1+1 广州落实" in sheet and "<f>" not in sheet


async def test_keyword_search_over_titles_measures_and_reports(api: Api) -> None:
    task, lead, sup = await _signed_task(api)
    everything = (await _tasks(api, sup))["total"]
    word = task["title"][2:6]
    found = await _tasks(api, sup, q=word)
    assert 0 < found["total"] < everything
    assert all(word in x["title"] for x in found["items"]) or found["total"] >= 1
    assert task["id"] in {x["id"] for x in found["items"]}
    assert (await _tasks(api, sup, q="没有这样的关键词１２３"))["total"] == 0
    # % and _ are literal, not wildcards.
    assert (await _tasks(api, sup, q="%"))["total"] == 0
    # A word only a progress report holds finds its task.
    r = await api.client.post(
        f"/api/tasks/{task['id']}/progress-reports",
        data={"percent": "30", "done_work": "召开零工市场推进会"},
        headers=lead,
    )
    assert r.status_code == 201, r.text
    assert [x["id"] for x in (await _tasks(api, sup, q="零工市场推进会"))["items"]] == [task["id"]]
    # Liaisons search only among their own tasks.
    mine = await _tasks(api, lead, q="零工市场推进会")
    assert mine["total"] == 1
    # The due window.
    due = task["due_on"]
    window = await _tasks(api, sup, due_after=due, due_before=due)
    assert window["total"] >= 1 and all(x["due_on"] == due for x in window["items"])
    r = await api.client.get(
        "/api/tasks", params={"due_after": "2030-01-02", "due_before": "2030-01-01"}, headers=sup
    )
    assert r.status_code == 422 and "起始日期不能晚于截止日期" in r.json()["detail"]


async def test_batch_work_reports_each_task(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    items = (await _tasks(api, sup, page_size=3))["items"]
    ids = [x["id"] for x in items]
    for tid in ids[:2]:
        assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)).is_success
    lead = await api.liaison_of(items[0]["lead_department_ids"][0])
    r = await api.client.post(
        "/api/tasks/batch",
        json={"action": "acknowledge", "task_ids": [*ids, "task-missing"]},
        headers=lead,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    by_id = {x["task_id"]: x for x in out["results"]}
    assert by_id[ids[0]]["ok"] and by_id[ids[0]]["message"] == "已签收"
    assert not by_id["task-missing"]["ok"] and "不存在" in by_id["task-missing"]["message"]
    assert out["succeeded"] + out["failed"] == len(ids) + 1
    # 审核 without a pending completion request: refused per task, in Chinese.
    r = await api.client.post(
        "/api/tasks/batch", json={"action": "approve", "task_ids": ids[:1]}, headers=sup
    )
    assert r.json()["results"][0] == {
        "task_id": ids[0],
        "ok": False,
        "message": "该任务没有待审核的办结申请",
    }
    r = await api.client.post(
        "/api/tasks/batch", json={"action": "return", "task_ids": ids[:1]}, headers=sup
    )
    assert r.json()["results"][0]["message"] == "退回须填写理由"
    # 催办 goes out for each task a supervisor sends it to; a liaison may not.
    r = await api.client.post(
        "/api/tasks/batch",
        json={"action": "remind", "task_ids": ids[:2], "text": "请本周内报送"},
        headers=sup,
    )
    assert [x["ok"] for x in r.json()["results"]] == [True, True]
    r = await api.client.post(
        "/api/tasks/batch",
        json={"action": "remind", "task_ids": ids[:1], "text": "x"},
        headers=lead,
    )
    assert r.json()["results"][0]["ok"] is False
    r = await api.client.post(
        "/api/tasks/batch", json={"action": "sign", "task_ids": ids[:1]}, headers=sup
    )
    assert r.status_code == 422


async def test_inbox_paging_kinds_and_mark_all_read(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    me = (await api.client.get("/api/me", headers=sup)).json()
    at = datetime(2025, 6, 2, tzinfo=UTC)
    rows = [
        {
            "id": f"msg-{n:03d}",
            "user_id": me["id"],
            "notification_id": f"n-{n}",
            "subject": ("【催办】任务" if n % 3 == 0 else "【督办提醒】任务") + str(n),
            "body": None,
            "link": None,
            "task_ids": [],
            "at": at.replace(minute=n % 60, hour=n // 60),
            "read_at": None,
        }
        for n in range(120)
    ]
    async with api.ledger.transaction() as tx:
        await repo.add_inbox_messages(tx.conn, rows)
    r = await api.client.get("/api/me/inbox", params={"page_size": 50}, headers=sup)
    assert r.status_code == 200 and len(r.json()) == 50
    assert r.headers["X-Total-Count"] == "120" and 'rel="next"' in r.headers["Link"]
    r = await api.client.get("/api/me/inbox", params={"kind": "urge"}, headers=sup)
    assert r.headers["X-Total-Count"] == "40"
    assert all(m["subject"].startswith("【催办】") for m in r.json())
    r = await api.client.get("/api/me/inbox", params={"kind": "nope"}, headers=sup)
    assert r.status_code == 422
    r = await api.client.post("/api/me/inbox/read-all", headers=sup)
    assert r.json() == {"marked": 120}
    r = await api.client.get("/api/me/inbox", params={"unread": True}, headers=sup)
    assert r.headers["X-Total-Count"] == "0"
    assert (await api.client.post("/api/me/inbox/read-all", headers=sup)).json() == {"marked": 0}


async def test_a_supervisor_reminds_a_department_of_its_missing_report(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    dep = (await _tasks(api, sup, page_size=1))["items"][0]["lead_department_ids"][0]
    async with api.ledger.transaction() as tx:
        await repo.upsert_monthly(
            tx.conn,
            dep,
            "2025-05",
            report_due_on=date(2025, 5, 28),
            missing=True,
            consecutive_misses=2,
        )
    url = f"/api/monthly-reports/{dep}/2025-05/reminders"
    r = await api.client.post(url, headers=await api.liaison_of(dep))
    assert r.status_code == 403 and r.json()["detail"] == "只有督查人员可以催报"
    r = await api.client.post(f"/api/monthly-reports/{dep}/2025-04/reminders", headers=sup)
    assert r.status_code == 404 and "缺报记录" in r.json()["detail"]
    r = await api.client.post(f"/api/monthly-reports/{dep}/2025-4/reminders", headers=sup)
    assert r.status_code == 422
    r = await api.client.post(url, headers=sup)
    assert r.status_code == 202, r.text
    sent = [
        Envelope.from_bytes(x.body).open() for x in await api.outbox("command.send_report_reminder")
    ]
    assert [(m.department_id, m.period, m.consecutive_misses) for m in sent] == [
        (dep, "2025-05", 2)
    ]
