"""Issue #22, bounded inputs: a task page shows the newest progress reports and timeline
entries with a link to older ones (a task with 5,000 reports was a 2.9 MB page)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from task_ledger.adapters import repository as repo
from task_ledger.domain.model import Task
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e


def own_task(ledger_server, task_id: str) -> tuple[Task, Any]:
    """A dispatched and acknowledged task of its own (the seeded plan's drafts are shared by
    the other page tests) and its lead liaison."""
    sup = ledger_server.supervisor
    lead_id = ledger_server.department_id("广东省财政厅")
    lead = ledger_server.liaison(lead_id)

    async def prepare() -> Task:
        async with ledger_server.ledger.transaction() as tx:
            any_task = (await repo.list_tasks(tx.conn, repo.TaskFilter()))[0]
            task = Task(
                id=task_id,
                plan_id=any_task.plan_id,
                measure_id=any_task.measure_id,
                title="分页测试任务",
                lead_department_ids=(lead_id,),
                due_on=any_task.due_on,
                original_due_on=any_task.due_on,
            )
            await repo.insert_task(tx.conn, task, tx.now)
        await h.dispatch(ledger_server.ledger, sup, task.id)
        await h.acknowledge(ledger_server.ledger, lead, task.id)
        return task

    return ledger_server.call(prepare()), lead


def test_a_task_page_shows_the_newest_reports_and_links_to_older_ones(
    ledger_server, browsers, shot
) -> None:
    task, lead = own_task(ledger_server, "task-paging-web")
    size = ledger_server.ledger.settings.detail_page_size
    count = size + 3

    async def report_many() -> None:
        for n in range(1, count + 1):
            data = h.ReportInput(percent=n, done_work=f"第{n}次填报的工作内容")
            await h.report_progress(ledger_server.ledger, lead, task.id, data)

    ledger_server.call(report_many())
    for mobile, label in ((False, "desktop"), (True, "phone")):
        page = browsers.login(lead.username, "liaison-demo", mobile=mobile)
        if not mobile:
            page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"/tasks/{task.id}")
        reports = page.locator("#reports")
        expect(reports.locator("article.report")).to_have_count(size)
        expect(reports.locator("article.report").first).to_contain_text(f"第{count}次填报")
        expect(reports).not_to_contain_text("第3次填报的工作内容")
        expect(reports).to_contain_text(f"共 {count} 条")
        expect(page.locator("#timeline li")).to_have_count(size)
        more = reports.get_by_role("link", name="更早的填报")
        more.scroll_into_view_if_needed()
        # The whole page, then the viewport around the link (what a reader sees there).
        folder = shot(page, f"task-paging-{label}").parent
        page.screenshot(path=str(folder / f"task-paging-more-{label}.png"))

        more.click()
        older = page.locator("#reports article.report")
        expect(older).to_have_count(3)
        expect(older.first).to_contain_text("第3次填报的工作内容")
        expect(page.locator("#reports").get_by_role("link", name="更早的填报")).to_have_count(0)
        page.locator("#timeline").get_by_role("link", name="更早的记录").click()
        expect(page.locator("#timeline li").first).not_to_contain_text(f"{count}%")
        shot(page, f"task-paging-older-{label}")


def test_the_import_review_page_shows_measures_page_by_page(
    ledger_server, browsers, shot, monkeypatch
) -> None:
    """A 100,000-measure plan's review page listed every measure: it shows one page of them."""
    from pathlib import Path

    from task_ledger.service_layer import imports

    monkeypatch.setattr(ledger_server.ledger.settings, "preview_page_size", 3)
    seed = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
    preview = ledger_server.call(
        imports.upload(
            ledger_server.ledger, ledger_server.supervisor, "paging-review.txt", seed.read_bytes()
        )
    )
    count = preview["documents"][0]["measure_count"]
    assert count > 3
    for mobile, label in ((False, "desktop"), (True, "phone")):
        page = browsers.login("supervisor", mobile=mobile)
        if not mobile:
            page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"/imports/{preview['import_id']}")
        doc = page.locator(".doc").first
        expect(doc).to_contain_text(f"措施 {count} 项")
        expect(doc.locator("table.measures tbody tr")).to_have_count(3)
        pager = doc.get_by_role("navigation", name="措施分页")
        pager.scroll_into_view_if_needed()
        folder = shot(page, f"import-review-paging-{label}").parent
        page.screenshot(path=str(folder / f"import-review-pager-{label}.png"))
        pager.get_by_role("link", name="下一页").click()
        expect(page.locator(".doc").first.get_by_role("navigation")).to_contain_text("第 2 /")
        rows = page.locator(".doc").first.locator("table.measures tbody tr")
        expect(rows.first).to_be_visible()
        first_page = {m["id"] for m in preview["documents"][0]["measures"]}
        assert rows.first.get_attribute("data-measure-id") not in first_page


def test_a_large_import_confirmed_on_the_page_runs_in_the_background(
    ledger_server, browsers, shot, monkeypatch, tmp_path
) -> None:
    """Confirming a large import was one long request: the page hands it to a background job
    and shows its progress until it is confirmed."""
    monkeypatch.setattr(ledger_server.ledger.settings, "import_background_measures", 3)
    monkeypatch.setattr(ledger_server.ledger.settings, "import_batch_size", 2)
    lines = ["广东省关于后台导入测试的行动方案", "", "一、重点任务"]
    lines += [
        f"（{n}）开展第{n}项后台导入测试工作。（广东省人力资源和社会保障厅负责）"
        for n in range(1, 13)
    ]
    plan = tmp_path / "后台导入测试.txt"
    plan.write_text("\n".join(lines), encoding="utf-8")
    sup = browsers.login("supervisor")
    sup.set_viewport_size({"width": 1366, "height": 768})
    sup.goto("/imports")
    sup.get_by_label("方案文件").set_input_files(str(plan))
    sup.get_by_role("button", name="上传并解析").click()
    expect(sup).to_have_url(re.compile(r"/imports/imp-"))
    sup.get_by_role("button", name="确认导入并立项").click()
    expect(sup.locator(".flash").first).to_contain_text("已转入后台导入")
    shot(sup, "import-background-desktop")
    for _ in range(100):
        sup.reload()
        if sup.get_by_text("已确认导入").count():
            break
        sup.wait_for_timeout(100)
    expect(sup.get_by_role("heading", level=1)).to_contain_text("已确认导入")
    expect(sup.locator("#import-progress")).to_have_count(0)


def test_page_writes_count_against_the_same_rate_limit(ledger_server, monkeypatch) -> None:
    """The pages share the API's per-user write limits: over the limit a reminder is refused
    with the Chinese message and nothing is sent."""
    import httpx
    from sqlalchemy import func, select

    from task_ledger.adapters import tables as t
    from task_ledger.service_layer import rate_limits

    from .test_web_route_walk import _login

    now = [1_900_000_020.0]
    monkeypatch.setattr(rate_limits, "wall_clock", lambda: now[0])
    monkeypatch.setitem(ledger_server.ledger.settings.write_limits, "reminder", 1)
    task, _ = own_task(ledger_server, "task-rate-limit-web")

    def reminders() -> int:
        return ledger_server.rows(
            select(func.count())
            .select_from(t.timeline)
            .where(t.timeline.c.task_id == task.id, t.timeline.c.kind == "manual_reminder")
        )[0][0]

    before = reminders()
    with httpx.Client(base_url=ledger_server.base_url, timeout=30) as client:
        csrf = _login(client, "supervisor", "supervisor-demo")
        for n in range(2):
            r = client.post(
                f"/tasks/{task.id}/remind",
                data={"csrf_token": csrf, "message": f"第{n + 1}次催办"},
                follow_redirects=True,
            )
            assert r.status_code == 200
        assert "操作过于频繁" in r.text and "催办" in r.text
    assert reminders() == before + 1


def test_the_import_list_shows_a_background_imports_progress(ledger_server, browsers, shot) -> None:
    """The import list says how far a background import has got, and that one stopped."""
    from datetime import UTC, datetime
    from pathlib import Path

    from task_ledger.service_layer import imports

    seed = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
    uploaded = [
        ledger_server.call(
            imports.upload(ledger_server.ledger, ledger_server.supervisor, name, seed.read_bytes())
        )["import_id"]
        for name in ("progress-running.txt", "progress-stopped.txt")
    ]

    async def set_progress(**running: Any) -> None:
        async with ledger_server.ledger.transaction() as tx:
            await repo.set_import_progress(tx.conn, uploaded[0], **running)
            await repo.set_import_progress(tx.conn, uploaded[1], job_error="后台导入中断：测试")

    # A job another process holds (its lease far ahead: no resumer here takes it).
    lease = datetime(2100, 1, 1, tzinfo=UTC)
    ledger_server.call(
        set_progress(
            status="confirming", progress_done=40, progress_total=160, job_lease_until=lease
        )
    )
    try:
        for mobile, label in ((True, "phone"), (False, "desktop")):
            page = browsers.login("supervisor", mobile=mobile)
            if not mobile:
                page.set_viewport_size({"width": 1366, "height": 768})
            page.goto("/imports")
            running = page.get_by_role("row").filter(has_text="progress-running.txt")
            expect(running).to_contain_text("后台导入中（40/160）")
            stopped = page.get_by_role("row").filter(has_text="progress-stopped.txt")
            expect(stopped).to_contain_text("上次导入中断，可重新确认")
            shot(page, f"imports-list-progress-{label}")
    finally:
        ledger_server.call(set_progress(status="previewed", job_lease_until=None))
