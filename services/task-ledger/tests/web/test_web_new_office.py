"""A new office runs a plan of its own from the pages alone (issue 21, first 'Done when'):
the admin imports a city plan text, sees that the new departments have no liaisons, adds two
county departments and bulk-loads a liaison list, dispatches; a city liaison on a phone finds
a task by keyword, signs it and decomposes it to the two counties; each county liaison reports
and asks for completion with evidence; the parent's progress rolls up; the supervisor approves
both in bulk; the monthly report counts each measure once. Screenshots of every step go to
test-output/screenshots/office-*.png for a person to look at."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from task_ledger.adapters import tables as t

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

MEASURES = (
    ("建设零工驿站", "市人力资源社会保障局牵头，市民政局配合"),
    ("开展高校毕业生就业攻坚", "市人力资源社会保障局、市教育局按职责分工负责"),
    ("加大创业担保贷款支持", "市财政局牵头，市人力资源社会保障局配合"),
    ("实施数字技能提升行动", "市数据资源管理局牵头，市农业农村局配合"),
    ("推进就业服务站进村入社区", "各县（市、区）人民政府负责"),
    ("强化就业形势监测", "市统计局牵头，市人力资源社会保障局配合"),
)


def plan_text(city: str) -> str:
    """A fictional city's action plan: six measures, the city's own bureaus (none of them in
    the registry), one measure for 各县（市、区）."""
    body = "\n".join(
        f"（{'一二三四五六'[i]}）{title}。按照全市统一部署推进{title}工作，2025年11月底前完成。（{parties}）"
        for i, (title, parties) in enumerate(MEASURES)
    )
    return (
        f"{city}人民政府办公室关于印发{city}稳就业促增收行动方案的通知\n\n"
        f"{city[:3]}政办发〔2025〕27号\n\n"
        "各县（市、区）人民政府，市政府各部门：\n"
        f"《{city}稳就业促增收行动方案》已经市政府同意，现印发给你们，请认真贯彻执行。\n\n"
        f"{city}人民政府办公室\n2025年5月20日\n\n"
        f"{city}稳就业促增收行动方案\n\n"
        "为稳定和扩大就业，促进城乡居民增收，结合我市实际，制定本方案。\n\n"
        "一、重点任务\n"
        f"{body}\n\n"
        "二、保障措施\n各地各部门要加强组织领导，每月28日前报送工作进展。\n"
    )


def fits(page: Page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= (page.viewport_size or {"width": 0})["width"])


class Steps:
    """Screenshots of each step, and the pages that were wider than their viewport."""

    def __init__(self, shot: Any) -> None:
        self.shot = shot
        self.too_wide: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        self.shot(page, f"office-{name}")
        if not fits(page):
            self.too_wide.append(name)


def sign_in(browsers: Any, username: str, password: str, mobile: bool) -> Page:
    page = browsers.new(mobile=mobile)
    page.set_viewport_size(PHONE if mobile else DESKTOP)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(password)?(\?.*)?$"))
    if page.url.endswith("/password"):  # a one-time password is changed first
        fresh = f"Qx7!{uuid.uuid4().hex[:10]}"
        page.get_by_label("当前密码").fill(password)
        page.get_by_label("新密码", exact=True).fill(fresh)
        page.get_by_label("确认新密码").fill(fresh)
        page.get_by_role("button", name="修改密码").click()
        page.wait_for_url(re.compile(r"/(\?.*)?$"))
    return page


def test_a_new_office_runs_its_own_plan_from_the_pages(  # type: ignore[no-untyped-def]
    ledger_server, browsers, shot, tmp_path
) -> None:
    tag = uuid.uuid4().hex[:4]
    city = "岚" + "".join("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"[int(c, 16)] for c in tag) + "市"
    counties = (f"{city}云溪县人民政府", f"{city}南屏县人民政府")
    step = Steps(shot)
    settings = ledger_server.ledger.settings
    demo_users = settings.seed_demo_users
    settings.seed_demo_users = False  # a real office: imported departments come with nobody
    try:
        admin = browsers.login("admin")
        admin.set_viewport_size(DESKTOP)
        admin.get_by_role("link", name="方案导入").click()
        plan_file = tmp_path / f"{city}稳就业促增收行动方案.txt"
        plan_file.write_text(plan_text(city), encoding="utf-8")
        admin.get_by_label("方案文件").set_input_files(str(plan_file))
        admin.get_by_role("button", name="上传并解析").click()
        expect(admin).to_have_url(re.compile(r"/imports/imp-"))
        doc = admin.locator(".doc").first
        expect(doc.locator("table.measures tbody tr")).to_have_count(7)
        expect(doc.get_by_test_id("unknown")).to_contain_text(f"{city}统计局")
        # 各县（市、区）人民政府 is a group to split after confirming, not a unit to create.
        expect(doc.get_by_test_id("unknown")).not_to_contain_text("各县")
        collective = doc.get_by_test_id("collective")
        expect(collective).to_contain_text("集体责任主体（确认后请分解到各成员单位）")
        expect(collective).to_contain_text("各县（市、区）人民政府")
        step(admin, "01-import-review-1366")
        admin.get_by_role("button", name="确认导入并立项").click()
        expect(admin.locator(".flash-success")).to_contain_text("任务 6 项")
    finally:
        settings.seed_demo_users = demo_users
    plan_id = admin.locator(".doc").first.get_attribute("data-plan-id")
    assert plan_id
    unstaffed = admin.get_by_test_id("unstaffed")
    expect(unstaffed).to_contain_text("个单位尚无联络员")
    step(admin, "02-import-confirmed-1366")
    admin.get_by_role("link", name="查看单位").click()
    expect(admin.get_by_test_id("departments")).to_contain_text(f"{city}统计局")
    # Nobody can be liaison of a group: 各县（市、区）人民政府 is not counted as unstaffed.
    expect(admin.get_by_test_id("departments")).not_to_contain_text("各县（市、区）人民政府")
    step(admin, "03-unstaffed-departments-1366")

    # Two counties of the city, under the city (decomposition follows the parent links).
    county_ids = []
    for name in counties:
        admin.goto("/admin/departments")
        admin.locator("summary", has_text="新增单位").click()
        form = admin.locator("details#new form")
        form.get_by_label("单位名称").fill(name)
        form.get_by_label("所属地区").fill(name.removesuffix("人民政府"))
        form.get_by_label("层级").select_option("county")
        form.get_by_role("button", name="新增").click()
        expect(admin.locator(".flash-success")).to_contain_text(f"已新增单位“{name}”")
        county_ids.append(admin.url.rsplit("/", 1)[1])
    step(admin, "04-county-created-1366")

    # The liaison list: the city's bureaus and the two counties.
    bureaus = [
        f"{city}人力资源和社会保障局",
        f"{city}民政局",
        f"{city}教育局",
        f"{city}财政局",
        f"{city}数据资源管理局",
        f"{city}农业农村局",
        f"{city}统计局",
        *counties,
    ]
    digits = str(int(tag, 16) % 10000).zfill(4)
    mobiles = {name: f"139{i:02d}{digits}{i:02d}"[:11] for i, name in enumerate(bureaus)}
    people = "".join(f"{name},联络员{i},{mobiles[name]},,\n" for i, name in enumerate(bureaus))
    admin.goto("/admin/people/import")
    admin.get_by_label("名单文件").set_input_files(
        {
            "name": "联络员名单.csv",
            "mimeType": "text/csv",
            "buffer": ("单位,姓名,手机,邮箱,企业微信/钉钉 ID\n" + people).encode(),
        }
    )
    admin.get_by_role("button", name="上传并检查").click()
    step(admin, "05-liaison-preview-1366")
    admin.get_by_role("button", name=f"确认导入 {len(bureaus)} 名联络员").click()
    created = admin.get_by_test_id("created")
    passwords = {
        name: created.locator("tr", has_text=mobiles[name]).locator("code").inner_text()
        for name in bureaus
    }
    step(admin, "06-liaisons-created-1366")

    # 交办 the whole plan from its task list.
    admin.goto(f"/tasks?plan={plan_id}&status=draft")
    step(admin, "07-drafts-1366")
    admin.get_by_role("button", name=re.compile("交办本方案全部待交办任务")).click()
    expect(admin.locator(".flash-success")).to_contain_text("已交办 6 项任务")

    # 各县（市、区）人民政府 is no department: the admin expands it into the city's counties.
    admin.goto(f"/tasks?plan={plan_id}&q=就业服务站")
    admin.locator("tr[data-task-id]").get_by_role("link", name="推进就业服务站进村入社区").click()
    expect(admin.get_by_test_id("awaiting-members")).to_contain_text("待分解到成员单位")
    admin.locator("#decompose summary").click()
    admin.get_by_test_id("expand-county").click()
    expanded = admin.locator("#decompose form")
    for name in counties:
        expect(expanded.get_by_role("checkbox", name=name)).to_be_checked()
    expect(expanded.get_by_role("checkbox")).to_have_count(2)
    step(admin, "07b-expand-collective-1366")
    expanded.get_by_role("button", name="分解").click()
    expect(admin.locator(".flash-success")).to_contain_text("已分解为 2 项下级任务")

    # The city's human-resources liaison, on a phone: keyword search, sign, decompose.
    hr = bureaus[0]
    lead = sign_in(browsers, mobiles[hr], passwords[hr], mobile=True)
    step(lead, "08-liaison-home-390")
    lead.goto("/tasks")
    lead.get_by_test_id("keyword").fill("零工驿站")
    lead.get_by_role("button", name="查询").click()
    expect(lead.locator("tr[data-task-id]")).to_have_count(1)
    step(lead, "09-liaison-search-390")
    lead.locator("tr[data-task-id]").get_by_role("link", name="建设零工驿站").click()
    lead.get_by_role("button", name="签收").click()
    expect(lead.locator(".flash-success")).to_contain_text("已签收")
    parent_id = lead.url.split("/tasks/")[1].split("#")[0].split("?")[0]
    lead.locator("#decompose summary").click()
    decompose = lead.locator("#decompose form")
    for i, (name, dep_id) in enumerate(zip(counties, county_ids, strict=True)):
        decompose.get_by_role("checkbox", name=name).check()
        decompose.locator(f"input[name='due_{dep_id}']").fill(f"2025-10-{20 + i}")
    step(lead, "10-decompose-form-390")
    decompose.get_by_role("button", name="分解").click()
    expect(lead.locator(".flash-success")).to_contain_text("已分解为 2 项下级任务")
    children = lead.get_by_test_id("children")
    expect(children.locator("tr[data-task-id]")).to_have_count(2)
    step(lead, "11-decomposed-390")

    # Each county liaison signs, reports, and asks for completion with evidence.
    for i, name in enumerate(counties):
        county = sign_in(browsers, mobiles[name], passwords[name], mobile=True)
        step(county, f"12-county{i}-home-390")
        county.locator("#needs-report, #my-tasks").get_by_role(
            "link", name="建设零工驿站"
        ).first.click()
        county.get_by_role("button", name="签收").click()
        expect(county.locator(".flash-success")).to_contain_text("已签收")
        form = county.locator("#report form")
        form.get_by_label("完成进度").fill(str(40 + 20 * i))
        form.get_by_label("已完成工作").fill(f"已建成零工驿站 {3 + i} 个。")
        form.get_by_role("button", name="提交进展").click()
        expect(county.locator(".flash-success")).to_contain_text("已填报进展")
        step(county, f"13-county{i}-reported-390")

    lead.reload()
    expect(lead.get_by_test_id("roll-up")).to_contain_text("50%")
    step(lead, "14-rolled-up-390")

    for i, name in enumerate(counties):
        county = sign_in(browsers, mobiles[name], passwords[name], mobile=True)
        county.locator("#my-tasks").get_by_role("link", name="建设零工驿站").first.click()
        form = county.locator("#report form")
        form.get_by_label("完成进度").fill("100")
        form.get_by_label("已完成工作").fill("零工驿站全部建成并投入使用。")
        form.get_by_role("button", name="提交进展").click()
        expect(county.locator(".flash-success")).to_contain_text("已填报进展 100%")
        completion = county.locator("#completion-form")
        completion.locator("summary").click()
        completion.get_by_label("办理情况").fill("零工驿站已建成并运行。")
        evidence = tmp_path / f"验收照片{i}.pdf"
        evidence.write_bytes(b"%PDF-1.4 evidence")
        completion.get_by_label(re.compile("佐证材料")).set_input_files(str(evidence))
        step(county, f"15-county{i}-completion-390")
        completion.get_by_role("button", name="提交办结申请").click()
        expect(county.locator(".flash-success")).to_contain_text("办结申请已提交")

    # The supervisor approves both in bulk.
    sup = browsers.login("supervisor")
    sup.set_viewport_size(DESKTOP)
    sup.goto(f"/tasks?plan={plan_id}&status=completion_requested")
    expect(sup.locator("tr[data-task-id]")).to_have_count(2)
    sup.get_by_test_id("select-all").click()
    step(sup, "16-approvals-1366")
    sup.get_by_test_id("batch-approve").click()
    expect(sup.locator("h1")).to_contain_text("成功 2 项")
    for name in counties:  # the two children share a title: the department tells them apart
        expect(sup.get_by_test_id("batch-results").locator("tr", has_text=name)).to_contain_text(
            "已同意办结"
        )
    step(sup, "17-approved-1366")

    rows = ledger_server.rows(select(t.tasks).where(t.tasks.c.parent_task_id == parent_id))
    assert {r.status for r in rows} == {"completed"}
    lead.reload()
    expect(lead.get_by_test_id("roll-up")).to_contain_text("100%")

    # The monthly report counts six measures, the split one once.
    sup.goto(f"/reports?plan={plan_id}&month=2025-06")
    sup.get_by_test_id("view-report").click()
    step(sup, "18-report-1366")
    expect(sup.locator("body")).to_contain_text(
        "本方案共 6 项措施、6 项任务（另分解下级任务 4 项，计入上级任务，不重复统计）"
    )
    # The city's own bureaus rank among cities, the counties among counties; the collective
    # 各县（市、区）人民政府 (county level, its members') is no unit and is not ranked.
    expect(sup.locator("body")).to_contain_text("县（市、区）级（2 个单位）")
    expect(sup.locator("body")).to_contain_text("市级（")
    expect(sup.locator("body")).not_to_contain_text("省直单位")
    assert not step.too_wide, step.too_wide
