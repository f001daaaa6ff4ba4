"""The coverage page of a superior plan (issue 24) in a real browser. A city plan written for
these tests (its tasks are its own: the seeded plan's tasks belong to the other page tests)
cites the national guidance the Guangdong seed carries; its lead department reports progress
through its task page and the national measure's cell and roll-up follow, on a phone (390 px)
and a laptop (1366 × 768)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from task_ledger.adapters import tables as t
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import imports

pytestmark = pytest.mark.e2e
NATIONAL = "人社部发〔2021〕66号"
IMPORT_SEED = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
CITY_PLAN = """韶人社〔2022〕5号
关于印发《韶关市劳务品牌建设工作方案》的通知

各县（市、区）人力资源社会保障局：
根据《人力资源社会保障部 国家发展改革委等20部门关于劳务品牌建设的指导意见》（人社部发〔2021〕66号），结合我市实际，制定本方案。

韶关市劳务品牌建设工作方案

一、重点任务
（一）分类型发现劳务品牌。广泛开展摸底调查，掌握本市劳务品牌数量、分布、特征等基本情况，针对性制定发展规划和建设方案，明确建设思路、发展方向和工作重点。（责任单位：韶关市人力资源和社会保障局）
（二）提高技能含量。鼓励各类培训机构、职业院校开展劳务品牌相关职业技能培训，完善劳务品牌相关职业技能等级认定、专项职业能力考核等多元化评价方式，加强劳务品牌技能带头人培养，建设技能大师工作室。（责任单位：韶关市教育局，韶关市人力资源和社会保障局配合）
（三）发展山区特色农业。推进丹霞山周边特色农产品种植，带动农户增收。（责任单位：韶关市农业农村局）
"""


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_coverage_page_follows_a_subordinate_tasks_progress(ledger_server, browsers, shot) -> None:
    [national] = ledger_server.rows(select(t.plans).where(t.plans.c.doc_number == NATIONAL))
    supervisor = ledger_server.supervisor

    async def import_city_plan() -> str:
        data = CITY_PLAN.encode()
        preview = await imports.upload(ledger_server.ledger, supervisor, "韶关市方案.txt", data)
        [doc] = preview["documents"]
        assert doc["superior"]["plan_id"] == national.id  # by the cited 文号
        await imports.confirm(ledger_server.ledger, supervisor, preview["import_id"])
        return str(doc["plan_id"])

    city = ledger_server.call(import_city_plan())
    links = ledger_server.rows(
        select(t.measure_links).where(
            t.measure_links.c.plan_id == city, t.measure_links.c.status == "confirmed"
        )
    )
    [task] = ledger_server.rows(
        select(t.tasks).where(
            t.tasks.c.plan_id == city, t.tasks.c.title.startswith("分类型发现劳务品牌")
        )
    )
    superior_measure = next(
        link.superior_measure_id for link in links if link.measure_id == task.measure_id
    )
    lead_id = task.lead_department_ids[0]
    lead = ledger_server.liaison(lead_id)

    async def dispatch_and_sign() -> None:
        await h.dispatch(ledger_server.ledger, supervisor, task.id)
        await h.acknowledge(ledger_server.ledger, lead, task.id)

    ledger_server.call(dispatch_and_sign())

    sup = browsers.login("supervisor")
    sup.set_viewport_size({"width": 1366, "height": 768})
    sup.goto(f"/tasks/{task.id}")
    sup.get_by_test_id("coverage-link").click()  # the task's own (city) plan: no subordinates
    expect(sup.get_by_test_id("no-subordinates")).to_be_visible()
    sup.goto(f"/plans/{national.id}/coverage")
    expect(sup.get_by_role("heading", level=1)).to_have_text("下级落实情况")
    expect(sup.get_by_test_id("subordinates")).to_contain_text("韶关市劳务品牌建设工作方案")
    row = sup.locator(f'tr[data-measure-id="{superior_measure}"]')
    cell = row.locator(f'td[data-plan-id="{city}"]')
    expect(cell).to_contain_text("分类型发现劳务品牌")
    expect(cell).to_contain_text("韶关市人力资源和社会保障局")
    assert cell.get_attribute("data-progress") == "0.0"
    rollup_before = row.get_by_test_id("rollup").inner_text()
    assert no_horizontal_overflow(sup)
    shot(sup, "coverage-1366")

    # The lead department reports 80 % on its task page.
    liaison = browsers.login(ledger_server.liaison_username(lead_id))
    liaison.goto(f"/tasks/{task.id}")
    form = liaison.locator("#report form")
    form.get_by_label("完成进度").fill("80")
    form.get_by_label("已完成工作").fill("已完成全市劳务品牌摸底。")
    form.get_by_role("button", name="提交进展").click()
    expect(liaison.locator(".flash-success")).to_contain_text("已填报进展 80%")
    # Liaisons see no plan-wide view.
    liaison.goto(f"/plans/{national.id}/coverage")
    expect(liaison.get_by_role("heading", level=1)).to_have_text("无权访问")

    sup.reload()
    expect(cell).to_have_attribute("data-progress", "80.0")
    expect(cell).to_contain_text("80%")
    expect(row.get_by_test_id("rollup")).not_to_have_text(rollup_before)

    phone = browsers.login("supervisor", mobile=True)
    phone.goto(f"/plans/{national.id}/coverage")
    expect(phone.get_by_test_id("matrix-wrap")).to_be_visible()
    expect(phone.locator(f'tr[data-measure-id="{superior_measure}"]')).to_contain_text("80%")
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


RELINK_PLAN = CITY_PLAN.replace("韶人社〔2022〕5号", "韶人社〔2022〕9号").replace(
    "韶关市", "南雄市"
)


def test_a_supervisor_relinks_a_plan_on_its_page(ledger_server, browsers, shot) -> None:
    """After import: reject a confirmed measure link, add one the matcher left out, then drop
    the superior plan; each change is stored and announced (plan.measure_link_changed,
    plan.link_changed)."""
    [national] = ledger_server.rows(select(t.plans).where(t.plans.c.doc_number == NATIONAL))
    supervisor = ledger_server.supervisor

    async def import_plan() -> str:
        preview = await imports.upload(
            ledger_server.ledger, supervisor, "南雄市方案.txt", RELINK_PLAN.encode()
        )
        await imports.confirm(ledger_server.ledger, supervisor, preview["import_id"])
        return str(preview["documents"][0]["plan_id"])

    city = ledger_server.call(import_plan())

    def links_of(status: str) -> set[tuple[str, str]]:
        rows = ledger_server.rows(
            select(t.measure_links).where(
                t.measure_links.c.plan_id == city, t.measure_links.c.status == status
            )
        )
        return {(r.measure_id, r.superior_measure_id) for r in rows}

    def announced(kind: str) -> int:
        return len(
            ledger_server.rows(
                select(t.outbox).where(t.outbox.c.key == city, t.outbox.c.event_type == kind)
            )
        )

    confirmed = links_of("confirmed")
    assert confirmed
    events_before = announced("plan.measure_link_changed")

    sup = browsers.login("supervisor")
    sup.set_viewport_size({"width": 1366, "height": 768})
    sup.goto(f"/plans/{city}/coverage")
    relink = sup.get_by_test_id("relink")
    expect(relink).to_contain_text(NATIONAL)
    expect(relink.get_by_label("更换上级方案")).to_have_value(national.id)
    rows = relink.locator("tr[data-link]")
    expect(rows).to_have_count(len(confirmed))
    first = rows.first.get_attribute("data-link")
    assert first is not None
    rows.first.locator("select").select_option("rejected")
    # The local addition (山区特色农业) is linked by hand to the superior's first measure.
    measures = ledger_server.rows(
        select(t.measures).where(t.measures.c.plan_id == city).order_by(t.measures.c.position)
    )
    superior_measures = ledger_server.rows(
        select(t.measures)
        .where(t.measures.c.plan_id == national.id)
        .order_by(t.measures.c.position)
    )
    local = measures[-1]
    relink.get_by_label("本方案措施").select_option(local.id)
    relink.get_by_label("上级措施").select_option(superior_measures[0].id)
    assert no_horizontal_overflow(sup)
    shot(sup, "plan-relink-1366")
    relink.get_by_role("button", name="保存对应关系").click()
    expect(sup.locator(".flash-success")).to_contain_text("已确认 1 条、驳回 1 条")
    measure_id, _, superior_id = first.partition("|")
    assert (measure_id, superior_id) in links_of("rejected")
    assert (local.id, superior_measures[0].id) in links_of("confirmed")
    assert announced("plan.measure_link_changed") == events_before + 2
    expect(sup.locator(f'tr[data-link="{first}"]').get_by_test_id("link-status")).to_have_text(
        "已驳回"
    )

    # Half a new pair is refused in Chinese and changes nothing.
    relink = sup.get_by_test_id("relink")
    relink.get_by_label("本方案措施").select_option(local.id)
    relink.get_by_role("button", name="保存对应关系").click()
    expect(sup.locator(".flash-error")).to_contain_text("须同时选择本方案措施和上级措施")

    phone = browsers.login("supervisor", mobile=True)
    phone.goto(f"/plans/{city}/coverage#relink")
    expect(phone.get_by_test_id("relink")).to_be_visible()
    assert no_horizontal_overflow(phone)
    shot(phone, "plan-relink-390")

    # Dropping the superior: the links go, the plan no longer shows in the national coverage.
    plan_events = announced("plan.link_changed")
    sup.get_by_test_id("relink").get_by_label("更换上级方案").select_option("")
    sup.get_by_role("button", name="保存上级方案").click()
    expect(sup.locator(".flash-success")).to_contain_text("已取消上级方案")
    expect(sup.get_by_test_id("relink").locator("tr[data-link]")).to_have_count(0)
    assert announced("plan.link_changed") == plan_events + 1
    assert not links_of("confirmed")
    sup.goto(f"/plans/{national.id}/coverage")
    expect(sup.locator(f'li[data-plan-id="{city}"]')).to_have_count(0)


CONFLICT_PLAN = """丹人社〔2022〕3号
关于印发《丹霞市劳务品牌建设工作方案》的通知

各县（市、区）人力资源社会保障局：
根据《人力资源社会保障部 国家发展改革委等20部门关于劳务品牌建设的指导意见》（人社部发〔2021〕66号），结合我市实际，制定本方案。

丹霞市劳务品牌建设工作方案

一、重点任务
（一）分类型发现劳务品牌。广泛开展摸底调查，到2025年底，力争培育市级劳务品牌10个。（责任单位：韶关市人力资源和社会保障局）
（二）提高技能含量。鼓励各类培训机构开展劳务品牌相关职业技能培训，到2025年底，新增市级劳务品牌3个。（责任单位：韶关市教育局）
"""


def test_the_plan_page_shows_a_differing_target_and_takes_the_choice(
    ledger_server, browsers, shot
) -> None:
    supervisor = ledger_server.supervisor

    async def import_plan() -> str:
        preview = await imports.upload(
            ledger_server.ledger, supervisor, "丹霞市方案.txt", CONFLICT_PLAN.encode()
        )
        await imports.confirm(ledger_server.ledger, supervisor, preview["import_id"])
        return str(preview["documents"][0]["plan_id"])

    plan = ledger_server.call(import_plan())
    sup = browsers.login("supervisor", mobile=True)
    sup.goto(f"/plans/{plan}/coverage")
    conflicts = sup.get_by_test_id("conflicts")
    expect(conflicts).to_contain_text("1 项待确认")
    item = conflicts.locator("[data-conflict-id]").first
    expect(item.get_by_test_id("conflict-sentence")).to_have_text(
        ["（一）：力争培育市级劳务品牌10个", "（二）：新增市级劳务品牌3个"]
    )
    expect(item.get_by_test_id("conflict-state")).to_have_text("待确认")
    assert no_horizontal_overflow(sup)
    shot(sup, "plan-conflicts-390")
    item.get_by_role("button", name="两处都保留").click()
    expect(sup.locator(".flash-success")).to_contain_text("已确认两处都保留")
    item = sup.get_by_test_id("conflicts").locator("[data-conflict-id]").first
    expect(item.get_by_test_id("conflict-state")).to_have_text("已确认：两处都保留")
    expect(item.get_by_role("button")).to_have_count(0)
    decided = ledger_server.rows(
        select(t.indicator_conflict_decisions).where(
            t.indicator_conflict_decisions.c.plan_id == plan
        )
    )
    assert [d.choice for d in decided] == ["both"]
