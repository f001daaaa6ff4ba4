"""The coverage page of a superior plan (issue 24) in a real browser: the seeded Guangdong plan
is linked to the national guidance it carries as an annex (confirmed with the seed's import);
a Guangdong department reports progress through its task page and the national measure's
cell and roll-up follow, on a phone (390 px) and a laptop (1366 × 768)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e
NATIONAL = "人社部发〔2021〕66号"
IMPORT_SEED = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
# The fixtures' `fresh_task` takes draft tasks led by this department: leave them to it.
RESERVED_LEAD = "广东省人力资源和社会保障厅"


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_coverage_page_follows_a_subordinate_tasks_progress(ledger_server, browsers, shot) -> None:
    [national] = ledger_server.rows(select(t.plans).where(t.plans.c.doc_number == NATIONAL))
    province = ledger_server.plan_id
    links = ledger_server.rows(
        select(t.measure_links).where(
            t.measure_links.c.plan_id == province, t.measure_links.c.status == "confirmed"
        )
    )
    assert links, "the seed's import confirms the proposed measure links"
    reserved = ledger_server.department_id(RESERVED_LEAD)
    drafts = ledger_server.rows(
        select(t.tasks).where(
            t.tasks.c.measure_id.in_([link.measure_id for link in links]),
            t.tasks.c.status == TaskStatus.DRAFT.value,
        )
    )
    task = next(x for x in drafts if reserved not in x.lead_department_ids)
    superior_measure = next(
        link.superior_measure_id for link in links if link.measure_id == task.measure_id
    )
    lead_id = task.lead_department_ids[0]

    supervisor, lead = ledger_server.supervisor, ledger_server.liaison(lead_id)

    async def dispatch_and_sign() -> None:
        await h.dispatch(ledger_server.ledger, supervisor, task.id)
        await h.acknowledge(ledger_server.ledger, lead, task.id)

    ledger_server.call(dispatch_and_sign())

    sup = browsers.login("supervisor")
    sup.set_viewport_size({"width": 1366, "height": 768})
    sup.goto(f"/tasks/{task.id}")
    sup.get_by_test_id("coverage-link").click()  # the task's own (provincial) plan
    expect(sup.get_by_test_id("no-subordinates")).to_be_visible()
    sup.goto(f"/plans/{national.id}/coverage")
    expect(sup.get_by_role("heading", level=1)).to_have_text("下级落实情况")
    expect(sup.get_by_test_id("subordinates")).to_contain_text("关于加强劳务品牌建设的行动方案")
    row = sup.locator(f'tr[data-measure-id="{superior_measure}"]')
    cell = row.locator(f'td[data-plan-id="{province}"]')
    expect(cell).to_contain_text(task.title[:8])
    before = float(cell.get_attribute("data-progress") or "0")
    rollup_before = row.get_by_test_id("rollup").inner_text()
    assert no_horizontal_overflow(sup)
    shot(sup, "coverage-1366")

    # The lead department reports 80 % on its task page.
    liaison = browsers.login(ledger_server.liaison_username(lead_id))
    liaison.goto(f"/tasks/{task.id}")
    form = liaison.locator("#report form")
    form.get_by_label("完成进度").fill("80")
    form.get_by_label("已完成工作").fill("已落实上级措施。")
    form.get_by_role("button", name="提交进展").click()
    expect(liaison.locator(".flash-success")).to_contain_text("已填报进展 80%")
    # Liaisons see no plan-wide view.
    liaison.goto(f"/plans/{national.id}/coverage")
    expect(liaison.get_by_role("heading", level=1)).to_have_text("无权访问")

    sup.reload()
    after = float(cell.get_attribute("data-progress") or "0")
    assert after > before
    expect(cell).to_contain_text("80%")
    expect(row.get_by_test_id("rollup")).not_to_have_text(rollup_before)

    phone = browsers.login("supervisor", mobile=True)
    phone.goto(f"/plans/{national.id}/coverage")
    expect(phone.get_by_test_id("matrix-wrap")).to_be_visible()
    assert no_horizontal_overflow(phone)
    shot(phone, "coverage-390")


def test_import_preview_proposes_the_superior_and_takes_decisions(
    ledger_server, browsers, shot
) -> None:
    """Previewed, not confirmed: the page import test confirms this very document."""
    [national] = ledger_server.rows(select(t.plans).where(t.plans.c.doc_number == NATIONAL))
    sup = browsers.login("supervisor")
    sup.goto("/imports")
    sup.get_by_label("方案文件").set_input_files(str(IMPORT_SEED))
    sup.get_by_role("button", name="上传并解析").click()
    cascade = sup.locator(".doc").first.get_by_test_id("cascade")
    chosen = cascade.get_by_label("上级方案")
    expect(chosen).to_have_value(national.id)
    expect(chosen.locator("option:checked")).to_contain_text(NATIONAL)
    rows = cascade.locator("tr[data-link]")
    assert rows.count() >= 10
    expect(rows.first.get_by_test_id("link-status")).to_have_text("建议")
    shot(sup, "coverage-import-preview")

    rows.first.get_by_role("checkbox").check()
    cascade.get_by_role("button", name="保存对应关系").click()
    expect(sup.locator(".flash-success")).to_contain_text("驳回 1 条")
    rows = sup.locator(".doc").first.locator("tr[data-link]")
    expect(rows.first.get_by_test_id("link-status")).to_have_text("已驳回")
    expect(rows.nth(1).get_by_test_id("link-status")).to_have_text("已确认")

    # No superior: no measure links are proposed.
    cascade = sup.locator(".doc").first.get_by_test_id("cascade")
    cascade.get_by_label("上级方案").select_option("")
    cascade.get_by_role("button", name="确定上级方案").click()
    expect(sup.locator(".flash-success")).to_contain_text("已更新上级方案")
    expect(sup.locator(".doc").first.locator("tr[data-link]")).to_have_count(0)
    assert no_horizontal_overflow(sup)
