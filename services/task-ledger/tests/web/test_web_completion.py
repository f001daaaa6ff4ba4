"""申请办结 on the task page (issue 21): evidence files uploaded through the form, a 说明 below
100%, a pending extension withdrawn in the same action, and the supervisor's approval card with
progress, the last report and the evidence to download. The page at 390 and 1366 px."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e


def _a_task_of_another_plan(ledger_server):  # type: ignore[no-untyped-def]
    """A draft of a plan other than the seeded one (whose drafts the page tests share out),
    led by a department other than 人力资源和社会保障部 (the indicator tests take those), due
    after the extension date asked for below; dispatched and started here."""
    sup = ledger_server.supervisor
    taken = ledger_server.department_id("人力资源和社会保障部")

    async def drafts() -> list:  # type: ignore[type-arg]
        async with ledger_server.ledger.reading() as conn:
            # Tasks led by a collective group (no liaison; they wait to be split) are left out.
            groups = set(
                (await conn.execute(select(t.departments.c.id).where(t.departments.c.collective)))
                .scalars()
                .all()
            )
            found = await repo.list_tasks(conn, repo.TaskFilter(status=TaskStatus.DRAFT))
            return [d for d in found if not groups & set(d.lead_department_ids)]

    task = next(
        d
        for d in ledger_server.call(drafts())
        if d.plan_id != ledger_server.plan_id
        and len(d.lead_department_ids) == 1
        and d.lead_department_ids[0] != taken
        and d.due_on is not None
        and date(2025, 6, 2) < d.due_on < date(2026, 3, 31)
    )
    lead = ledger_server.liaison(task.lead_department_ids[0])

    async def prepare() -> None:
        await h.dispatch(ledger_server.ledger, sup, task.id)
        await h.acknowledge(ledger_server.ledger, lead, task.id)
        await h.start(ledger_server.ledger, lead, task.id)

    ledger_server.call(prepare())
    return ledger_server.task(task.id)


def test_completion_with_evidence_withdraws_a_pending_extension(
    ledger_server, browsers, shot, tmp_path
) -> None:
    task = _a_task_of_another_plan(ledger_server)
    lead = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]), mobile=True)
    lead.goto(f"/tasks/{task.id}")
    # On a phone the forms come first and the measure text is folded away.
    actions_top = lead.locator("#actions").bounding_box()
    facts_top = lead.locator(".facts").bounding_box()
    assert actions_top and facts_top and actions_top["y"] < facts_top["y"]
    expect(lead.get_by_test_id("measure-text")).to_be_hidden()
    form = lead.locator("#report form")
    form.get_by_label("完成进度").fill("35")
    form.get_by_label("已完成工作").fill("完成全省劳务品牌调查摸底。")
    form.get_by_role("button", name="提交进展").click()
    expect(lead.locator(".flash-success")).to_contain_text("已填报进展 35%")

    lead.locator("#extension-form summary").click()
    lead.get_by_label("新的完成时限").fill("2026-03-31")
    lead.get_by_label("延期理由").fill("等待国家评选结果。")
    lead.get_by_role("button", name="提交延期申请").click()
    expect(lead.locator(".flash-success")).to_contain_text("延期申请已提交")

    completion = lead.locator("#completion-form")
    expect(lead.get_by_test_id("pending-extension")).to_contain_text("待审核的延期申请")
    completion.get_by_label("办理情况").fill("品牌清单已建立，一品一策方案已印发。")
    completion.get_by_label("说明").fill("国家评选结果公布后补报。")
    evidence = tmp_path / "一品一策方案.pdf"
    evidence.write_bytes(b"%PDF-1.4 plan")
    completion.get_by_label("佐证材料").set_input_files(str(evidence))
    completion.get_by_label("撤回该延期申请并申请办结").check()
    width = lead.evaluate("document.documentElement.scrollWidth")
    shot(lead, "21-completion-form-390")
    assert width <= 390
    completion.get_by_role("button", name="提交办结申请").click()
    expect(lead.locator(".flash-success")).to_contain_text("办结申请已提交")
    expect(lead.locator("#timeline")).to_contain_text("撤回延期申请")
    expect(lead.locator(".badges")).to_contain_text("申请办结")

    for mobile, size in ((True, "390"), (False, "1366")):
        sup = browsers.login("supervisor", mobile=mobile)
        if not mobile:
            sup.set_viewport_size({"width": 1366, "height": 768})
        sup.goto(f"/tasks/{task.id}")
        card = sup.get_by_test_id("completion-card")
        expect(card).to_contain_text("品牌清单已建立")
        expect(card.get_by_test_id("card-progress")).to_have_text("35%")
        expect(card).to_contain_text("国家评选结果公布后补报。")
        expect(card.get_by_test_id("card-last-report")).to_contain_text("完成全省劳务品牌调查摸底")
        link = card.get_by_role("link", name="一品一策方案.pdf")
        expect(link).to_be_visible()
        expect(sup.locator("#approvals, .request", has_text="等待国家评选结果")).to_have_count(0)
        assert sup.evaluate("document.documentElement.scrollWidth") <= (390 if mobile else 1366)
        shot(sup, f"21-approval-card-{size}")
    with sup.expect_download() as got:
        link.click()
    assert got.value.suggested_filename == "一品一策方案.pdf"
    assert got.value.path().read_bytes() == b"%PDF-1.4 plan"
