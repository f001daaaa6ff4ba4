"""Issue 21 items 2 and 3 in a real browser: a lead liaison splits a task to two cities on the
task page and follows the children (names, lights, roll-up); a keyword finds tasks; batch
签收 / 催办 report each task; the list is exported and printed; the inbox pages, filters by
kind and is marked read at once. Screenshots at 390 px and 1366 px."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts.vocabulary import JurisdictionLevel, Role, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain.model import Department, Measure, Plan, Task, User
from task_ledger.service_layer import directory
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e
LEAD = "广东省人力资源和社会保障厅"
PASSWORD = "find-bulk-pass-1"


def fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _city(ledger_server, parent_id: str, name: str) -> Department:  # type: ignore[no-untyped-def]
    admin = ledger_server.user(directory.user_id("admin"))
    tag = uuid.uuid4().hex[:6]
    dep = Department(
        f"dep-t{tag}", f"{name}{tag}", "广东省" + name[:3], JurisdictionLevel.CITY, parent_id
    )
    ledger_server.call(directory.create_department(ledger_server.ledger, admin, dep))
    return dep


def _user(ledger_server, dep_id: str, role: Role = Role.LIAISON) -> User:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    user = User(f"user-fb-{tag}", f"fb-{tag}", f"联络员{tag}", role, dep_id)
    ledger_server.call(
        directory.create_user(ledger_server.ledger, ledger_server.supervisor, user, PASSWORD)
    )
    return user


PLAN_ID, MEASURE_ID = "plan-find-bulk", "msr-find-bulk"


def _own_task(ledger_server, status: TaskStatus, title: str) -> Task:  # type: ignore[no-untyped-def]
    """A task of this module's own plan: the seeded plan's tasks (and their count, which other
    page tests assert) and the pool of draft tasks are shared."""
    lead_id = ledger_server.department_id(LEAD)

    async def add() -> Task:
        async with ledger_server.ledger.transaction() as tx:
            plans = select(t.plans.c.id).where(t.plans.c.id == PLAN_ID)
            if (await tx.conn.execute(plans)).first() is None:
                await repo.insert_plan(tx.conn, Plan(PLAN_ID, "查找与批量办理测试方案"), tx.now)
                measure = Measure(MEASURE_ID, PLAN_ID, "一", ("一",), "测试措施", "测试措施正文")
                await repo.insert_measure(tx.conn, measure, 0)
            task = Task(
                id=h.new_id("task"),
                plan_id=PLAN_ID,
                measure_id=MEASURE_ID,
                title=f"{title}{uuid.uuid4().hex[:6]}",
                lead_department_ids=(lead_id,),
                status=status,
                due_on=date(2025, 12, 31),
                original_due_on=date(2025, 12, 31),
                start_on=date(2025, 6, 1),
            )
            await repo.insert_task(tx.conn, task, tx.now)
        return task

    return ledger_server.call(add())


def test_lead_liaison_splits_a_task_to_two_cities(ledger_server, browsers, shot) -> None:
    task = _own_task(ledger_server, TaskStatus.ACKNOWLEDGED, "分解测试任务")
    lead_dep = task.lead_department_ids[0]
    gz = _city(ledger_server, lead_dep, "广州市人社局")
    sz = _city(ledger_server, lead_dep, "深圳市人社局")
    lead = browsers.login(ledger_server.liaison_username(lead_dep))
    lead.goto(f"/tasks/{task.id}")
    panel = lead.get_by_test_id("decompose")
    panel.locator("summary").click()
    panel.get_by_label(gz.name, exact=True).check()
    panel.get_by_label(sz.name, exact=True).check()
    late = date(2026, 1, 30)
    panel.get_by_label(f"{sz.name}的完成时限（不填按上面的时限）").evaluate(
        f"(el) => {{ el.removeAttribute('max'); el.value = '{late.isoformat()}'; }}"
    )
    panel.get_by_role("button", name="分解").click()
    expect(lead.locator(".flash-error")).to_contain_text("下级任务的完成时限不能晚于上级任务")

    lead.goto(f"/tasks/{task.id}")
    panel = lead.get_by_test_id("decompose")
    panel.locator("summary").click()
    panel.get_by_label(gz.name, exact=True).check()
    panel.get_by_label(sz.name, exact=True).check()
    panel.get_by_role("button", name="分解").click()
    expect(lead.locator(".flash-success")).to_contain_text("已分解为 2 项下级任务")
    children = lead.get_by_test_id("children")
    expect(children).to_contain_text(gz.name)
    expect(children).to_contain_text(sz.name)
    expect(children.locator(".lamp")).to_have_count(2)
    expect(lead.get_by_test_id("roll-up")).to_contain_text("平均值")

    # A city liaison reports 60%: the parent rolls up to the mean, 30%.
    child_ids = [c.id for c in ledger_server.call(_children(ledger_server, task.id))]
    gz_child = next(c for c in child_ids if ledger_server.task(c).lead_department_ids == (gz.id,))
    gz_liaison = _user(ledger_server, gz.id)
    ledger_server.call(h.acknowledge(ledger_server.ledger, gz_liaison, gz_child))
    ledger_server.call(
        h.report_progress(ledger_server.ledger, gz_liaison, gz_child, h.ReportInput(60), [])
    )
    lead.goto(f"/tasks/{task.id}")
    expect(lead.get_by_test_id("roll-up")).to_contain_text("30%")
    # The provincial liaison opens its child (before: 404).
    lead.get_by_test_id("children").get_by_role("link").first.click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text(task.title)
    expect(lead.locator("main")).not_to_contain_text("不存在")

    sup = browsers.login("supervisor")
    sup.goto(f"/tasks/{task.id}")
    sup_children = sup.get_by_test_id("children")
    expect(sup_children).to_contain_text(gz.name)
    assert "dep-" not in sup_children.inner_text()
    shot(sup, "find-bulk-01-children-desktop")
    phone = browsers.login(ledger_server.liaison_username(lead_dep), mobile=True)
    phone.goto(f"/tasks/{task.id}")
    phone.get_by_test_id("decompose").locator("summary").click()
    fits(phone)
    shot(phone, "find-bulk-02-decompose-phone")


async def _children(ledger_server, task_id: str):  # type: ignore[no-untyped-def]
    async with ledger_server.ledger.reading() as conn:
        return await repo.get_children(conn, task_id)


def test_search_batch_export_and_print(ledger_server, browsers, shot, tmp_path: Path) -> None:
    waiting = _own_task(ledger_server, TaskStatus.DISPATCHED, "批量签收测试任务")
    signed = _own_task(ledger_server, TaskStatus.ACKNOWLEDGED, "批量签收测试任务")
    liaison = browsers.login(ledger_server.liaison_username(waiting.lead_department_ids[0]))
    liaison.set_viewport_size({"width": 1366, "height": 768})
    liaison.goto("/tasks")
    liaison.get_by_test_id("keyword").fill(waiting.title[:12])
    liaison.get_by_role("button", name="查询").click()
    expect(liaison.locator(f'tr[data-task-id="{waiting.id}"]')).to_be_visible()
    # Tick the waiting task and the already signed one: one is signed, one is refused.
    liaison.goto("/tasks?q=批量签收测试任务")
    form = liaison.get_by_test_id("batch-form")
    form.locator(f'input[name="task_id"][value="{waiting.id}"]').check()
    form.locator(f'input[name="task_id"][value="{signed.id}"]').check()
    form.get_by_test_id("batch-acknowledge").click()
    results = liaison.get_by_test_id("batch-results")
    expect(results.locator(f'tr[data-task-id="{waiting.id}"]')).to_contain_text("已签收")
    expect(results.locator(f'tr[data-task-id="{signed.id}"]')).to_contain_text("✘")
    expect(liaison.get_by_role("heading", level=1)).to_contain_text("成功 1 项，未办理 1 项")
    shot(liaison, "find-bulk-03-batch-results")

    sup = browsers.login("supervisor")
    sup.set_viewport_size({"width": 1366, "height": 768})
    sup.goto("/tasks?q=批量签收测试任务")
    expect(sup.locator(f'tr[data-task-id="{waiting.id}"]')).to_be_visible()
    sup.get_by_test_id("select-all").click()
    sup.get_by_test_id("batch-remind").click()
    expect(sup.get_by_test_id("batch-results")).to_contain_text("催办已发出")
    sup.goto(f"/tasks?q={waiting.title[:12]}")
    shot(sup, "find-bulk-04-task-list-desktop")
    with sup.expect_download() as download:
        sup.get_by_test_id("export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][1] == "任务" and waiting.title in {r[1] for r in rows[1:]}
    with sup.expect_download() as download:
        sup.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sup.get_by_test_id("print-view").click()
    expect(sup.get_by_test_id("print-table")).to_contain_text(waiting.title)
    expect(sup.locator("main")).to_contain_text("关键词")
    phone = browsers.login("supervisor", mobile=True)
    phone.goto(f"/tasks?q={waiting.title[:12]}")
    fits(phone)
    shot(phone, "find-bulk-05-task-list-phone")
    phone.goto("/tasks?due_from=2030-01-02&due_to=2030-01-01")
    expect(phone.locator("main")).to_contain_text("起始日期不能晚于截止日期")


def test_inbox_pages_kinds_and_mark_all_read(ledger_server, browsers, shot) -> None:
    user = _user(ledger_server, ledger_server.department_id(LEAD))
    at = datetime(2025, 6, 2, tzinfo=UTC)
    rows = [
        {
            "id": f"msg-{user.id}-{n}",
            "user_id": user.id,
            "notification_id": f"n-{n}",
            "subject": ("【催办】任务" if n % 4 == 0 else "【督办提醒】任务") + str(n),
            "body": None,
            "link": None,
            "task_ids": [],
            "at": at + timedelta(minutes=n),
            "read_at": None,
        }
        for n in range(45)
    ]

    async def add() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await repo.add_inbox_messages(tx.conn, rows)

    ledger_server.call(add())
    page = browsers.login(user.username, PASSWORD, mobile=True)
    page.goto("/inbox")
    expect(page.get_by_role("heading", level=1)).to_contain_text("站内信（45）")
    expect(page.get_by_test_id("inbox-pager")).to_contain_text("第 1 / 2 页")
    expect(page.locator(".messages li")).to_have_count(30)
    fits(page)
    shot(page, "find-bulk-06-inbox-phone")
    page.get_by_test_id("inbox-kinds").get_by_role("link", name="催办").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("站内信（12）")
    page.get_by_test_id("read-all").click()
    expect(page.locator(".flash-success")).to_contain_text("已将 45 条消息标为已读")
    expect(page.get_by_test_id("unread")).to_have_count(0)


def test_supervisor_presses_cuibao_beside_a_missing_report(ledger_server, browsers, shot) -> None:
    dep = _city(ledger_server, ledger_server.department_id(LEAD), "韶关市人社局")

    async def missing() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await repo.upsert_monthly(
                tx.conn,
                dep.id,
                "2025-05",
                report_due_on=date(2025, 5, 28),
                missing=True,
                consecutive_misses=1,
            )

    ledger_server.call(missing())
    page = browsers.login("supervisor", mobile=True)
    row = page.locator(f'#missing-reports tr[data-department-id="{dep.id}"]')
    expect(row).to_contain_text(dep.name)
    fits(page)
    row.get_by_test_id("remind-report").click()
    expect(page.locator(".flash-success")).to_contain_text("催报已发出")
    page.locator("#missing-reports").scroll_into_view_if_needed()
    folder = shot(page, "find-bulk-07-cuibao-phone").parent
    page.locator("#missing-reports").screenshot(path=str(folder / "find-bulk-08-cuibao-table.png"))
    sent = ledger_server.rows(
        select(t.outbox).where(t.outbox.c.event_type == "command.send_report_reminder")
    )
    assert any(dep.id in bytes(r.body).decode(errors="ignore") for r in sent)
