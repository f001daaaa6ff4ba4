"""Issue #22, bounded inputs: a task page shows the newest progress reports and timeline
entries with a link to older ones (a task with 5,000 reports was a 2.9 MB page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e


def test_a_task_page_shows_the_newest_reports_and_links_to_older_ones(
    ledger_server, browsers, shot
) -> None:
    task = ledger_server.fresh_task("in_progress")
    lead = ledger_server.liaison(task.lead_department_ids[0])
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
