"""The ledger's pages in a real browser (Debian's Chromium through Playwright): liaisons,
supervisors, plan import, reports, and the security rules of the pages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from ledger_helpers import csrf_of
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.adapters.files import FileStore
from task_ledger.domain.model import Attachment
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e
IMPORT_SEED = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def test_liaison_reports_progress_and_sees_it_in_the_timeline(
    ledger_server, browsers, shot, tmp_path
) -> None:
    task = ledger_server.fresh_task()
    lead = ledger_server.liaison_username(task.lead_department_ids[0])
    page = browsers.new()
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    shot(page, "01-login")
    page.get_by_label("用户名").fill(lead)
    page.get_by_label("密码").fill("liaison-demo")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("我的任务")
    browsers.states[lead] = page.context.storage_state()
    expect(page.locator("#needs-report")).to_contain_text(task.title)
    expect(page.locator(f'#my-tasks tr[data-task-id="{task.id}"]')).to_contain_text("已签收")
    shot(page, "02-liaison-home")

    page.locator("#needs-report").get_by_role("link", name=task.title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(task.title)
    expect(page.get_by_test_id("lead")).to_contain_text("广东省人力资源和社会保障厅")
    expect(page.get_by_test_id("due")).to_contain_text("2025-12-31")
    expect(page.get_by_test_id("measure-text")).not_to_be_empty()
    evidence = tmp_path / "调查摸底情况.txt"
    evidence.write_text("全省劳务品牌清单（第一批）", encoding="utf-8")
    form = page.locator("#report form")
    form.get_by_label("完成进度").fill("40")
    form.get_by_label("已完成工作").fill("完成全省劳务品牌调查摸底，建立品牌清单。")
    form.get_by_label("下一步计划").fill("6月底前印发一品一策工作方案。")
    form.get_by_label("存在问题").fill("部分地市摸底数据不全。")
    form.get_by_label("附件").set_input_files(str(evidence))
    form.get_by_role("button", name="提交进展").click()

    expect(page.locator(".flash-success")).to_contain_text("已填报进展 40%")
    expect(page.locator("#timeline li").first).to_contain_text("填报进展 40%")
    expect(page.locator("#timeline")).to_contain_text("由方案导入立项")
    reports = page.locator("#reports")
    expect(reports).to_contain_text("完成全省劳务品牌调查摸底，建立品牌清单。")
    expect(reports).to_contain_text("部分地市摸底数据不全。")
    with page.expect_download() as download:
        reports.get_by_role("link", name="调查摸底情况.txt").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == "全省劳务品牌清单（第一批）"
    shot(page, "03-task-page")

    stored = ledger_server.task(task.id)
    assert (stored.progress, stored.status) == (40, TaskStatus.IN_PROGRESS)
    page.goto("/")
    expect(page.locator("#needs-report")).not_to_contain_text(task.title)

    phone = browsers.login(lead, mobile=True)
    expect(phone.locator(f'#my-tasks tr[data-task-id="{task.id}"]')).to_contain_text("40%")
    shot(phone, "04-liaison-home-phone")
    phone.goto(f"/tasks/{task.id}")
    expect(phone.locator("#timeline")).to_contain_text("填报进展 40%")
    shot(phone, "05-task-page-phone")


def test_another_department_sees_nothing_of_the_task(ledger_server, browsers) -> None:
    task = ledger_server.fresh_task()
    lead_user = ledger_server.liaison(task.lead_department_ids[0])
    store = FileStore(ledger_server.ledger.settings.upload_dir)
    sha, size = store.save([b"internal figures"])
    attachment = Attachment(h.new_id("att"), "内部数据.txt", "text/plain", size, sha)
    ledger_server.call(
        h.report_progress(
            ledger_server.ledger,
            lead_user,
            task.id,
            h.ReportInput(30, done_work="只给本任务的单位看的进展"),
            [attachment],
        )
    )
    outsider_dep = ledger_server.department_id("广东省市场监督管理局")
    assert outsider_dep not in task.department_ids
    outsider = ledger_server.liaison(outsider_dep)
    page = browsers.login(outsider.username)

    # Lists: the home and every filter of the task list leave the task out.
    expect(page.locator("#my-tasks")).to_contain_text("加强规范保护")  # their own task
    for url in ("/", "/tasks", f"/tasks?plan={ledger_server.plan_id}", "/tasks?light=green"):
        page.goto(url)
        expect(page.locator("main")).not_to_contain_text(task.title)
        assert page.locator(f'[data-task-id="{task.id}"]').count() == 0

    # The task, its attachment, and its forms answer like a task that does not exist.
    response = page.goto(f"/tasks/{task.id}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("任务不存在或无权访问")
    expect(page.locator("main")).not_to_contain_text(task.title)
    response = page.goto(f"/tasks/{task.id}/attachments/{attachment.id}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).not_to_contain_text("internal figures")
    page.goto("/")
    r = page.request.post(
        f"/tasks/{task.id}/progress", multipart={"csrf_token": csrf_of(page), "percent": "99"}
    )
    assert r.status == 404
    assert "只给本任务的单位看的进展" not in r.text()
    assert ledger_server.task(task.id).progress == 30
    # Plan-wide reports are for supervisors.
    response = page.goto(f"/reports/view?plan={ledger_server.plan_id}&month=2025-06")
    assert response is not None and response.status == 403

    denied = ledger_server.rows(
        select(t.audit_log).where(
            t.audit_log.c.action == "access.denied",
            t.audit_log.c.entity_id == task.id,
            t.audit_log.c.actor_id == outsider.id,
        )
    )
    assert {row.after["action"] for row in denied} == {
        "read",
        "download_attachment",
        "report_progress",
    }


def test_supervisor_issues_a_notice_and_approves_a_completion(
    ledger_server, browsers, shot, tmp_path
) -> None:
    task = ledger_server.fresh_task(to="in_progress")
    supporting = task.supporting_department_ids[0]
    sup = browsers.login("supervisor")
    expect(sup.get_by_role("heading", level=1)).to_contain_text("调度总览")
    plan_row = sup.locator("#by-plan tr", has_text="关于加强劳务品牌建设的行动方案")
    expect(plan_row.locator("td").nth(1)).to_have_text("9")  # the plan's nine tasks
    # Within the seeded plan (other tests give this department tasks of other plans).
    sup.goto(f"/?plan={ledger_server.plan_id}")
    dep_row = sup.locator("#by-department tr", has_text="广东省人力资源和社会保障厅")
    expect(dep_row.locator("td").nth(2)).to_have_text("5")  # lead of five of them
    shot(sup, "06-supervisor-home")

    sup.goto(f"/tasks/{task.id}")
    sup.locator("#notice-form summary").click()
    notice = sup.locator("#notice-form form")
    notice.get_by_label("督办单位").select_option(supporting)
    notice.get_by_label("督办等级").select_option("orange")
    notice.get_by_label("督办要求").fill("请于一周内报送本单位劳务品牌调查清单。")
    notice.get_by_label("回复时限").fill("2025-06-09")
    notice.get_by_role("button", name="下发").click()
    expect(sup.locator(".flash-success")).to_contain_text("已下发橙色督办单")
    expect(sup.locator("#timeline li").first).to_contain_text("下发橙色督办单，2025-06-09 前回复")
    expect(sup.locator("#notices")).to_contain_text("请于一周内报送本单位劳务品牌调查清单。")
    shot(sup, "07-task-notice")
    sup.locator("summary", has_text="催办").click()
    sup.get_by_label("催办内容").fill("请加快推进。")
    sup.get_by_role("button", name="发送催办").click()
    expect(sup.locator(".flash-success")).to_contain_text("催办已发出")
    expect(sup.locator("#timeline li").first).to_contain_text("督查人员催办")

    # The department the notice went to sees it on its home and answers it.
    dep = browsers.login(ledger_server.liaison_username(supporting))
    expect(dep.locator("#reminders")).to_contain_text(task.title)
    dep.goto(f"/tasks/{task.id}")
    dep.locator("#notices").get_by_label("回复").fill("已报送调查清单。")
    dep.get_by_role("button", name="回复督办单").click()
    expect(dep.locator("#notices")).to_contain_text("回复：已报送调查清单。")

    # The lead department asks to close the task.
    lead = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
    lead.goto(f"/tasks/{task.id}")
    lead.locator("#completion-form summary").click()
    lead.get_by_label("办理情况").fill("一品一策方案已印发，品牌清单已建立。")
    lead.get_by_label("说明").fill("品牌评选待国家公布结果，转入常态化推进。")
    evidence = tmp_path / "一品一策方案.txt"
    evidence.write_text("粤人社函〔2025〕1号", encoding="utf-8")
    lead.get_by_label("佐证材料").set_input_files(str(evidence))
    lead.get_by_label("材料备注").fill("粤人社函〔2025〕1号")
    lead.get_by_role("button", name="提交办结申请").click()
    expect(lead.locator(".flash-success")).to_contain_text("办结申请已提交")
    expect(lead.locator(".badges")).to_contain_text("申请办结")

    # The supervisor approves it from the home page.
    sup.goto("/")
    request = sup.locator("#approvals .request", has_text=task.title)
    expect(request).to_contain_text("一品一策方案已印发")
    expect(request).to_contain_text("品牌评选待国家公布结果")  # the 说明 below 100%
    expect(request.get_by_role("link", name="一品一策方案.txt")).to_be_visible()
    request.get_by_role("button", name="同意办结").click()
    expect(sup.locator(".flash-success")).to_contain_text("已同意办结")
    expect(sup.locator("#approvals")).not_to_contain_text(task.title)
    sup.goto(f"/tasks/{task.id}")
    expect(sup.locator(".badges")).to_contain_text("已办结")
    expect(sup.locator("#timeline li").first).to_contain_text("办结审核：批准")
    assert ledger_server.task(task.id).status == TaskStatus.COMPLETED
    sup.get_by_role("button", name="销号").click()
    expect(sup.locator(".badges")).to_contain_text("已销号")
    assert ledger_server.task(task.id).status == TaskStatus.CLOSED


def test_supervisor_returns_a_completion_and_approves_an_extension(
    ledger_server, browsers, shot, tmp_path
) -> None:
    task = ledger_server.fresh_task(to="in_progress")
    lead = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
    lead.goto(f"/tasks/{task.id}")
    lead.locator("#extension-form summary").click()
    lead.get_by_label("新的完成时限").fill("2026-03-31")
    lead.get_by_label("延期理由").fill("需等待国家评选结果。")
    lead.get_by_role("button", name="提交延期申请").click()
    expect(lead.locator(".flash-success")).to_contain_text("延期申请已提交")

    sup = browsers.login("supervisor")
    extension = sup.locator("#approvals .request", has_text="需等待国家评选结果。")
    expect(extension).to_contain_text("2025-12-31")
    extension.get_by_role("button", name="同意延期").click()
    expect(sup.locator(".flash-success")).to_contain_text("已同意延期")

    lead.goto(f"/tasks/{task.id}")
    lead.locator("#completion-form summary").click()
    lead.get_by_label("办理情况").fill("已基本完成。")
    lead.get_by_label("说明").fill("余下工作转入常态化。")
    evidence = tmp_path / "办结佐证.txt"
    evidence.write_text("工作方案已印发", encoding="utf-8")
    lead.get_by_label("佐证材料").set_input_files(str(evidence))
    lead.get_by_role("button", name="提交办结申请").click()
    expect(lead.locator(".flash-success")).to_contain_text("办结申请已提交")

    sup.goto("/")
    expect(sup.locator("#approvals .request", has_text="已基本完成。")).to_have_count(1)
    shot(sup, "10-supervisor-approvals")
    completion = sup.locator("#approvals .request", has_text="已基本完成。")
    completion.get_by_role("button", name="退回").click()  # a return needs a reason
    expect(sup.locator(".flash-error")).to_contain_text("退回须说明理由")
    completion = sup.locator("#approvals .request", has_text="已基本完成。")
    completion.get_by_label("审核意见").fill("缺少佐证材料。")
    completion.get_by_role("button", name="退回").click()
    expect(sup.locator(".flash-success")).to_contain_text("已退回")

    lead.goto(f"/tasks/{task.id}")
    expect(lead.locator(".badges")).to_contain_text("退回")
    expect(lead.get_by_test_id("due")).to_contain_text("2026-03-31")
    expect(lead.get_by_test_id("original-due")).to_contain_text("2025-12-31")
    expect(lead.locator("#timeline")).to_contain_text("完成时限由 2025-12-31 调整为 2026-03-31")
    expect(lead.locator("#timeline")).to_contain_text("缺少佐证材料。")


def test_plan_import_page_imports_a_document(ledger_server, browsers, shot) -> None:
    sup = browsers.login("supervisor")
    sup.get_by_role("link", name="方案导入").click()
    sup.get_by_label("方案文件").set_input_files(str(IMPORT_SEED))
    sup.get_by_role("button", name="上传并解析").click()
    expect(sup).to_have_url(re.compile(r"/imports/imp-"))
    doc = sup.locator(".doc").first
    expect(doc).to_contain_text("内蒙古自治区劳务品牌建设实施方案")
    expect(doc.locator("table.measures")).to_contain_text("分类型发现劳务品牌")
    expect(doc.locator("table.measures")).to_contain_text("内蒙古自治区市场监督管理局")
    # 各部门 is a collective group, listed apart from units to create.
    expect(doc.get_by_test_id("collective")).to_contain_text("各部门")
    # The same target stated twice with different figures asks a person to choose (#23).
    conflict = doc.get_by_test_id("indicator-conflict")
    expect(conflict).to_contain_text("力争培育打造国家级劳务品牌15个")
    expect(conflict).to_contain_text("新增国家级劳务品牌5个")
    shot(sup, "08-import-review")

    # “各部门” is not a department: point it at the lead department of the plan.
    correct = doc.locator(".correct form")
    correct.get_by_label("文中的单位").select_option(label="各部门（未登记）")
    correct.get_by_label("更正为").select_option(label="内蒙古自治区人力资源和社会保障厅")
    correct.get_by_role("button", name="更正").click()
    expect(sup.locator(".flash-success")).to_contain_text("已更正 1 处责任单位")
    expect(sup.get_by_test_id("unknown")).to_have_count(0)
    expect(sup.get_by_test_id("collective")).to_have_count(0)

    sup.get_by_role("button", name="确认导入并立项").click()
    expect(sup.locator(".flash-success")).to_contain_text(
        "导入完成：方案 1 个，措施 16 项，任务 14 项，新增单位 0 个"
    )
    plan_id = sup.locator(".doc").first.get_attribute("data-plan-id")
    sup.get_by_role("link", name="查看本方案的任务").click()
    expect(sup.locator("tr[data-task-id]")).to_have_count(14)
    expect(sup.locator("main")).to_contain_text("加强组织领导")

    # 交办 the whole plan from the task list, then the lead department signs for one task.
    sup.goto(f"/tasks?plan={plan_id}&status=draft")
    sup.get_by_role("button", name="交办本方案全部待交办任务（14 项）").click()
    expect(sup.locator(".flash-success")).to_contain_text("已交办 14 项任务")
    expect(sup.locator("tr[data-task-id]", has_text="待交办")).to_have_count(0)

    tasks = ledger_server.rows(select(t.tasks).where(t.tasks.c.plan_id == plan_id))
    assert len(tasks) == 14
    assert {x.status for x in tasks} == {TaskStatus.DISPATCHED.value}
    first = next(x for x in tasks if x.title.startswith("分类型发现劳务品牌"))
    liaison = browsers.login(ledger_server.liaison_username(first.lead_department_ids[0]))
    liaison.locator("#needs-report").get_by_role("link", name=first.title).click()
    liaison.get_by_role("button", name="签收").click()
    expect(liaison.locator(".flash-success")).to_contain_text("已签收")
    expect(liaison.locator(".badges")).to_contain_text("已签收")
    expect(liaison.locator("#report form")).to_be_visible()
    leadership = next(x for x in tasks if x.title.startswith("加强组织领导"))
    assert leadership.lead_department_ids == [
        ledger_server.department_id("内蒙古自治区人力资源和社会保障厅")
    ]


def test_reports_page_shows_the_report_and_downloads_the_ledger(
    ledger_server, browsers, shot
) -> None:
    sup = browsers.login("supervisor")
    sup.get_by_role("link", name="月度报告").click()
    sup.get_by_label("方案").select_option(ledger_server.plan_id)
    sup.get_by_label("月份").fill("2025-06")
    sup.get_by_role("button", name="选择").click()
    sup.get_by_test_id("view-report").click()
    expect(sup.locator("h1")).to_contain_text("2025-06 月度调度报告")
    expect(sup.locator("body")).to_contain_text("关于加强劳务品牌建设的行动方案")
    shot(sup, "09-monthly-report")
    sup.go_back()

    with sup.expect_download() as xlsx:
        sup.get_by_test_id("download-xlsx").click()
    assert xlsx.value.suggested_filename == "2025-06-工作台账.xlsx"
    book = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()), read_only=True)
    assert {"逾期事项", "汇总"} <= set(book.sheetnames)
    ledger_sheet = book[book.sheetnames[0]]
    title, header = list(ledger_sheet.iter_rows(max_row=2, values_only=True))
    assert title[0].startswith("关于加强劳务品牌建设的行动方案 工作台账（2025-06")
    assert header[:3] == ("序号", "任务", "牵头单位")
    assert ledger_sheet.max_row - 2 == 9  # the plan's nine tasks, below the title and header
    with sup.expect_download() as md:
        sup.get_by_test_id("download-md").click()
    text = Path(md.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# 关于加强劳务品牌建设的行动方案 — 2025-06 月度调度报告")
    with sup.expect_download() as docx:
        sup.get_by_test_id("download-docx").click()
    assert docx.value.suggested_filename == "2025-06-月度调度报告.docx"
    assert Path(docx.value.path()).read_bytes()[:2] == b"PK"  # a zip: the Word package
    with sup.expect_download() as pdf:
        sup.get_by_test_id("download-pdf").click()
    assert docx.value.suggested_filename != pdf.value.suggested_filename
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"

    liaison = browsers.login(
        ledger_server.liaison_username(ledger_server.department_id("广东省教育厅"))
    )
    response = liaison.goto("/reports")
    assert response is not None and response.status == 403
    expect(liaison.locator("main")).to_contain_text("只有督查人员可以查看月度报告")
