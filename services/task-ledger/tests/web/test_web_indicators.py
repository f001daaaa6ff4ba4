"""Indicators on the pages: a liaison on a phone (390 px) reports 12 自治区级劳务品牌 against a
target of 30 in the report form and sees 12/30 with its light and reason."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import imports

pytestmark = pytest.mark.e2e
IMPORT_SEED = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"


def _a_task_of_the_national_guidance(ledger_server):  # type: ignore[no-untyped-def]
    """A draft task of the seed's other plan (人力资源和社会保障部), dispatched and signed for:
    the seeded plan's own drafts are shared out among the page tests (`fresh_task`)."""
    lead_id = ledger_server.department_id("人力资源和社会保障部")
    sup, lead_user = ledger_server.supervisor, ledger_server.liaison(lead_id)

    async def prepare() -> str:
        async with ledger_server.ledger.reading() as conn:
            drafts = await repo.list_tasks(conn, repo.TaskFilter(status=TaskStatus.DRAFT))
        task = next(d for d in drafts if d.lead_department_ids == (lead_id,))
        await h.dispatch(ledger_server.ledger, sup, task.id)
        await h.acknowledge(ledger_server.ledger, lead_user, task.id)
        return task.id

    return ledger_server.task(ledger_server.call(prepare()))


def test_a_liaison_reports_an_indicator_from_a_phone(ledger_server, browsers, shot) -> None:
    task = _a_task_of_the_national_guidance(ledger_server)
    indicator_id = f"ind-web-{task.id[-8:]}"

    async def add_indicator() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await repo.insert_indicator(
                tx.conn,
                {
                    "id": indicator_id,
                    "task_id": task.id,
                    "measure_id": task.measure_id,
                    "position": 99,
                    "name": "自治区级劳务品牌",
                    "target": 30,
                    "unit": "个",
                    "due_on": date(2025, 12, 31),
                    # 2025-06-02 is 152 of the 364 days: 12.5 brands are due today.
                    "start_on": date(2025, 1, 1),
                    "baseline": None,
                    "qualifier": None,
                    "kind": "cumulative",
                    "aggregation": "sum",
                    "source_text": "培育打造自治区级劳务品牌30个",
                    "checkpoints": [],
                    "dropped": False,
                    "updated_at": tx.now,
                },
            )

    ledger_server.call(add_indicator())
    lead = ledger_server.liaison_username(task.lead_department_ids[0])
    phone = browsers.login(lead, mobile=True)
    phone.goto(f"/tasks/{task.id}")
    form = phone.locator("#report form")
    field = form.get_by_label("自治区级劳务品牌（目标 30 个）")
    expect(field).to_be_visible()
    box = field.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, "the input fits a phone"
    form.get_by_label("完成进度").fill("30")
    form.get_by_label("已完成工作").fill("已培育自治区级劳务品牌 12 个")
    field.fill("12")
    form.get_by_role("button", name="提交进展").click()

    expect(phone.locator(".flash-success")).to_contain_text("已填报进展 30%")
    row = phone.locator(f'#indicators tr[data-indicator-id="{indicator_id}"]')
    expect(row.get_by_test_id("indicator-current")).to_have_text("12")
    expect(row).to_contain_text("40%")  # 完成率
    expect(row).to_contain_text("绿灯")
    shot(phone, "30-indicator-reported-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"no sideways scrolling on a phone ({width} px)"

    values = ledger_server.rows(
        select(t.indicator_values).where(t.indicator_values.c.indicator_id == indicator_id)
    )
    assert [(v.value, v.task_id) for v in values] == [(12, task.id)]

    # A bad figure is refused in Chinese and nothing is stored.
    form = phone.locator("#report form")
    form.get_by_label("完成进度").fill("35")
    form.get_by_label("自治区级劳务品牌（目标 30 个）").evaluate("e => e.type = 'text'")
    form.get_by_label("自治区级劳务品牌（目标 30 个）").fill("很多")
    form.get_by_role("button", name="提交进展").click()
    expect(phone.locator(".flash-error")).to_contain_text("指标数值须为数字")
    assert (
        len(
            ledger_server.rows(
                select(t.indicator_values).where(t.indicator_values.c.indicator_id == indicator_id)
            )
        )
        == 1
    )


def test_the_import_review_asks_to_choose_and_corrects_targets(ledger_server, browsers) -> None:
    """Only previewed here (never confirmed): the plan import test confirms the same seed."""
    sup = browsers.login("supervisor")
    sup.goto("/imports")
    sup.get_by_label("方案文件").set_input_files(str(IMPORT_SEED))
    sup.get_by_role("button", name="上传并解析").click()
    expect(sup).to_have_url(re.compile(r"/imports/imp-"))
    conflict = sup.get_by_test_id("indicator-conflict")
    expect(conflict).to_contain_text("力争培育打造国家级劳务品牌15个")
    expect(conflict).to_contain_text("新增国家级劳务品牌5个")
    conflict.get_by_role("button", name="两处均保留").click()
    expect(sup.locator(".flash-success")).to_contain_text("已确认指标")
    expect(sup.get_by_test_id("indicator-conflict")).to_contain_text("已确认：两处均保留")

    review = sup.locator(".indicators-review")
    review.locator("summary").click()
    item = review.locator("li", has_text="使20%以上的农牧业旗县市拥有符合县域特色的劳务品牌")
    item.get_by_role("button", name="删除").click()
    expect(sup.locator(".flash-success")).to_contain_text("已删除该目标")
    sup.locator(".indicators-review summary").click()
    expect(
        sup.locator(".indicators-review li", has_text="使20%以上的农牧业旗县市拥有")
    ).to_contain_text("（已删除）")


LEAGUE_PLAN = """锡人社发〔2023〕7号
关于印发《锡林郭勒盟劳务品牌培育方案》的通知

各旗县市（区）人力资源和社会保障局：
现将《锡林郭勒盟劳务品牌培育方案》印发给你们，请认真贯彻落实。

锡林郭勒盟人力资源和社会保障局
2023年3月1日

锡林郭勒盟劳务品牌培育方案

一、重点任务
（一）培育劳务品牌。对摸底发现的劳务品牌分类培育，成熟一批认定一批，到2025年底，培育打造自治区级劳务品牌30个。（责任单位：内蒙古自治区人力资源和社会保障厅）
（二）强化品牌宣传。利用各类媒体宣传推介劳务品牌。（责任单位：内蒙古自治区人力资源和社会保障厅）
"""


def test_twelve_of_thirty_reported_on_the_page_reaches_the_report_and_the_ledger(
    ledger_server, browsers
) -> None:
    """Imported from a plan's text (the target becomes the indicator), reported through the
    task page, read back on the task page, the monthly report and the Excel ledger."""
    sup_user = ledger_server.supervisor
    lead_id = ledger_server.department_id("内蒙古自治区人力资源和社会保障厅")
    lead_of = {lead_id: ledger_server.liaison(lead_id)}

    async def import_and_dispatch() -> tuple[str, str]:
        preview = await imports.upload(
            ledger_server.ledger, sup_user, "锡林郭勒盟方案.txt", LEAGUE_PLAN.encode()
        )
        await imports.confirm(ledger_server.ledger, sup_user, preview["import_id"])
        doc = preview["documents"][0]
        measure = next(m for m in doc["measures"] if m["title"] == "培育劳务品牌")
        task_id = measure["task_id"]
        await h.dispatch(ledger_server.ledger, sup_user, task_id)
        await h.acknowledge(ledger_server.ledger, lead_of[measure["lead"][0]["id"]], task_id)
        return str(doc["plan_id"]), task_id

    plan_id, task_id = ledger_server.call(import_and_dispatch())
    task = ledger_server.task(task_id)
    liaison = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
    liaison.goto(f"/tasks/{task_id}")
    form = liaison.locator("#report form")
    form.get_by_label("完成进度").fill("40")
    form.get_by_label("已完成工作").fill("已培育自治区级劳务品牌 12 个")
    form.get_by_label("自治区级劳务品牌（目标 30 个）").fill("12")
    form.get_by_role("button", name="提交进展").click()
    expect(liaison.locator(".flash-success")).to_contain_text("已填报进展 40%")
    [indicator] = ledger_server.rows(select(t.indicators).where(t.indicators.c.task_id == task_id))
    row = liaison.locator(f'#indicators tr[data-indicator-id="{indicator.id}"]')
    expect(row.get_by_test_id("indicator-current")).to_have_text("12")
    expect(row).to_contain_text("40%")
    # Issued 2023-03-01, due 2025-12-31: by 2025-06-02 about 24 were due, so 12 is red.
    expect(row).to_contain_text("红灯")
    reason = liaison.get_by_test_id("light-reason").first
    expect(reason).to_contain_text("自治区级劳务品牌 12/30，按进度应达 24")

    sup = browsers.login("supervisor")
    sup.goto(f"/reports/view?plan={plan_id}&month=2025-06")
    expect(sup.locator("body")).to_contain_text("九、目标完成情况")
    expect(sup.locator("body")).to_contain_text("自治区级劳务品牌 12/30，按进度应达 24")
    r = sup.request.get(f"/reports/download?plan={plan_id}&month=2025-06&format=xlsx")
    assert r.status == 200
    sheet = load_workbook(io.BytesIO(r.body()))["指标"]
    rows = [[c.value for c in line] for line in sheet.iter_rows(min_row=2)]
    [ours] = [x for x in rows if x[4] == "自治区级劳务品牌"]
    assert ours[5:10] == ["30 个", 12, "40.0%", "2025-12-31", "红灯"]


MILESTONE_PLAN = """锡人社发〔2023〕8号
关于印发《锡林郭勒盟劳务品牌宣传推介方案》的通知

各旗县市（区）人力资源和社会保障局：
现将《锡林郭勒盟劳务品牌宣传推介方案》印发给你们，请认真贯彻落实。

锡林郭勒盟人力资源和社会保障局
2023年3月2日

锡林郭勒盟劳务品牌宣传推介方案

一、重点任务
（一）宣传推介劳务品牌。2025年6月底前，完成劳务品牌宣传片拍摄；2026年底前，举办劳务品牌推介会。（责任单位：内蒙古自治区人力资源和社会保障厅）
"""


def test_a_supervisor_edits_milestones_on_the_task_page(ledger_server, browsers, shot) -> None:
    sup_user = ledger_server.supervisor

    async def import_plan() -> str:
        preview = await imports.upload(
            ledger_server.ledger, sup_user, "宣传方案.txt", MILESTONE_PLAN.encode()
        )
        await imports.confirm(ledger_server.ledger, sup_user, preview["import_id"])
        return str(preview["documents"][0]["measures"][0]["task_id"])

    task_id = ledger_server.call(import_plan())
    sup = browsers.login("supervisor", mobile=True)
    sup.goto(f"/tasks/{task_id}")
    listed = sup.locator("#indicators ul.milestones li")
    before = listed.count()
    assert before >= 1
    editor = sup.get_by_test_id("edit-milestones")
    editor.locator("summary").click()
    first_key = editor.locator("[data-milestone-edit]").first.get_attribute("data-milestone-edit")
    editor.locator(f'input[name="due:{first_key}"]').fill("2025-09-30")
    editor.get_by_label("新增时间节点日期（可不填）").fill("2026-03-31")
    editor.get_by_label("新增事项").fill("完成劳务品牌推介视频投放")
    assert sup.evaluate("document.documentElement.scrollWidth") <= 390
    shot(sup, "31-milestones-edit-phone")
    editor.get_by_role("button", name="保存时间节点").click()
    expect(sup.locator(".flash-success")).to_contain_text("已保存时间节点")
    expect(sup.locator(f'li[data-milestone="{first_key}"]')).to_contain_text("2025-09-30")
    expect(sup.locator("#indicators ul.milestones li")).to_have_count(before + 1)
    expect(sup.locator("#indicators ul.milestones")).to_contain_text("完成劳务品牌推介视频投放")
    announced = ledger_server.rows(
        select(t.outbox).where(
            t.outbox.c.key == task_id, t.outbox.c.event_type == "task.milestones_set"
        )
    )
    assert len(announced) == 2  # the import's and the edit's

    # Half a new milestone is refused in Chinese; nothing changes or is announced.
    editor = sup.get_by_test_id("edit-milestones")
    editor.locator("summary").click()
    editor.get_by_label("新增事项").fill("只有事项没有日期")
    editor.get_by_role("button", name="保存时间节点").click()
    expect(sup.locator(".flash-error")).to_contain_text("须同时填写日期和事项")
    assert (
        len(
            ledger_server.rows(
                select(t.outbox).where(
                    t.outbox.c.key == task_id, t.outbox.c.event_type == "task.milestones_set"
                )
            )
        )
        == 2
    )

    # Dropping one.
    editor = sup.get_by_test_id("edit-milestones")
    editor.locator("summary").click()
    editor.locator(f'input[name="drop"][value="{first_key}"]').check()
    editor.get_by_role("button", name="保存时间节点").click()
    expect(sup.locator(".flash-success")).to_contain_text("已保存时间节点")
    expect(sup.locator(f'li[data-milestone="{first_key}"]')).to_have_count(0)
