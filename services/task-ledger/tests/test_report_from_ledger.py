"""The monthly report read from a real ledger (both stores): its numbers match the ledger's."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from ledger_helpers import Api
from openpyxl import load_workbook

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import EscalationLevel, ReminderKind
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.integration


async def _all_tasks(api: Api, headers: dict[str, str], **params: str) -> list[dict]:
    r = await api.client.get("/api/tasks", params={"page_size": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_monthly_report_matches_the_ledger(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    plans = (await api.client.get("/api/plans", headers=sup)).json()
    plan = plans[0]
    tasks = await _all_tasks(api, sup, plan_id=plan["id"])
    assert tasks
    done, late = tasks[0], tasks[1]

    # One task goes all the way to 已办结; another gets a reminder and an escalation.
    tid = done["id"]
    lead = await api.liaison_of(done["lead_department_ids"][0])
    for step, who in (("dispatch", sup), ("acknowledge", lead)):
        assert (await api.client.post(f"/api/tasks/{tid}/{step}", headers=who)).status_code == 200
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={"percent": "100", "done_work": "全部完成", "problems": "无"},
        headers=lead,
    )
    assert r.status_code == 201, r.text
    await api.complete(tid, lead, sup)

    now = api.clock.now()
    common = dict(
        scheduled_for=now,
        task_id=late["id"],
        task_title=late["title"],
        plan_id=plan["id"],
        department_ids=tuple(late["lead_department_ids"]),
    )
    due = api.ledger.today()
    await inbound.handle_batch(
        api.ledger,
        [
            (env := Envelope.wrap(msg, producer="deadline-watcher", occurred_at=now), env.open())
            for msg in (
                ev.ReminderDue(
                    kind=ReminderKind.BEFORE_DUE,
                    due_on=due,
                    working_days_left=1,
                    dedupe_key="r1",
                    **common,
                ),
                ev.EscalationRaised(
                    level=EscalationLevel.ORANGE,
                    due_on=due,
                    working_days_late=3,
                    reason="逾期3个工作日",
                    dedupe_key="e1",
                    **common,
                ),
            )
        ],
    )

    month = api.ledger.today().strftime("%Y-%m")
    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": plan["id"], "month": month, "format": "md"},
        headers=sup,
    )
    assert r.status_code == 200, r.text
    md = r.text
    total = len(tasks)
    assert f"| {total} | 1 | {100 / total:.1f}% | 100.0% |" in md
    assert "本月共发出催办提醒 1 次，升级督办 1 次" in md
    assert "橙色督办" in md

    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": plan["id"], "month": month, "format": "xlsx"},
        headers=sup,
    )
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))  # below the title and header
    assert len(rows) == total
    by_title = {row[1]: row for row in rows}
    assert by_title[done["title"]][7] == "已办结"
    assert by_title[done["title"]][5].startswith("100%；全部完成")
    assert wb["汇总"]["C3"].value == total

    # Months later, the untouched tasks are overdue: the report agrees with the ledger's list.
    api.clock.advance(timedelta(days=900))
    later = api.ledger.today().strftime("%Y-%m")
    overdue = await _all_tasks(api, sup, plan_id=plan["id"], overdue="true")
    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": plan["id"], "month": later, "format": "xlsx"},
        headers=sup,
    )
    wb = load_workbook(io.BytesIO(r.content))
    assert wb["逾期事项"].max_row - 2 == len(overdue) > 0

    # Liaisons never get a report; unknown plans and bad months are clear errors.
    r = await api.client.get(
        "/api/reports/monthly", params={"plan": plan["id"], "month": month}, headers=lead
    )
    assert r.status_code == 403
    r = await api.client.get(
        "/api/reports/monthly", params={"plan": "不存在的方案", "month": month}, headers=sup
    )
    assert r.status_code == 404 and "找不到方案" in r.json()["detail"]
    r = await api.client.get(
        "/api/reports/monthly", params={"plan": plan["id"], "month": "2026-13"}, headers=sup
    )
    assert r.status_code == 422
