"""The ledger's pages in a real browser (Debian's Chromium through Playwright): liaisons,
supervisors, plan import, reports, and the security rules of the pages."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, EscalationLevel, TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.adapters.files import FileStore
from task_ledger.domain.model import Attachment
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.e2e
IMPORT_SEED = Path(__file__).resolve().parents[4] / "seeds" / "003_719c3a43df115ca9.txt"
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def csrf_of(page) -> str:  # type: ignore[no-untyped-def]
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return str(token)


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


def test_a_post_without_the_csrf_token_is_refused(ledger_server, browsers) -> None:
    task = ledger_server.fresh_task()
    page = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
    page.goto(f"/tasks/{task.id}")
    token = csrf_of(page)
    url = f"/tasks/{task.id}/progress"
    other = browsers.new()
    other.goto("/login")
    foreign = csrf_of(other)
    assert foreign != token
    attempts = [
        ({"percent": "55"}, {}),
        ({"csrf_token": "forged", "percent": "55"}, {}),
        ({"csrf_token": foreign, "percent": "55"}, {}),
        ({"csrf_token": token, "percent": "55"}, {"Origin": "http://evil.example"}),
    ]
    for form, headers in attempts:
        r = page.request.post(url, form=form, headers=headers)
        assert r.status == 403, form
        assert "CSRF" in r.text()
    r = page.request.post("/login", form={"username": "supervisor", "password": "supervisor-demo"})
    assert r.status == 403
    reports = ledger_server.rows(
        select(t.progress_reports).where(t.progress_reports.c.task_id == task.id)
    )
    assert reports == []

    r = page.request.post(url, form={"csrf_token": token, "percent": "55"})
    assert r.ok and "已填报进展 55%" in r.text()
    assert ledger_server.task(task.id).progress == 55


def test_login_is_throttled_after_repeated_failures(ledger_server, browsers) -> None:
    username = ledger_server.liaison_username(ledger_server.department_id("广东省教育厅"))
    page = browsers.new()
    page.goto("/login")
    for _ in range(4):
        r = page.request.post(
            "/login",
            form={"csrf_token": csrf_of(page), "username": username, "password": "wrong"},
        )
        assert r.status == 401 and "用户名或密码错误" in r.text()
    # The fifth failure through the form.
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("用户名或密码错误")
    # Locked: even the right password is refused for now.
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("liaison-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("登录失败次数过多，请 15 分钟后再试")
    expect(page).to_have_url(LOGIN_URL)

    # Per address: a spray over many usernames locks the address for everyone.
    token = csrf_of(page)
    for i in range(15):
        r = page.request.post(
            "/login", form={"csrf_token": token, "username": f"nobody-{i}", "password": "x"}
        )
        assert r.status == 401
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill("supervisor-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("登录失败次数过多")

    ledger_server.call(ledger_server.app.state.auth.reset_throttle())  # the lock-out ends
    login_ok = browsers.login(username, fresh=True)
    expect(login_ok.get_by_role("heading", level=1)).to_contain_text("我的任务")


def test_a_rotating_forwarded_for_from_loopback_does_not_dodge_the_address_lockout(
    ledger_server, fresh_security_state
) -> None:
    """Issue #22: through the real server (uvicorn with the service's options), a client on
    loopback sending a new X-Forwarded-For each time was a new address each time."""
    with httpx.Client(base_url=ledger_server.base_url) as client:
        for i in range(20):
            r = client.post(
                "/api/auth/login",
                json={"username": f"nobody-{i}", "password": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            )
            assert r.status_code == 401, r.text
        r = client.post(
            "/api/auth/login",
            json={"username": "supervisor", "password": "supervisor-demo"},
            headers={"X-Forwarded-For": "203.0.113.1"},
        )
        assert r.status_code == 429 and "登录失败次数过多" in r.json()["detail"]


def test_session_cookie_times_out_and_ends_at_logout(ledger_server, browsers) -> None:
    username = ledger_server.liaison_username(ledger_server.department_id("广东省教育厅"))
    page = browsers.login(username, fresh=True)
    cookie = next(c for c in page.context.cookies() if c["name"] == "duban_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"

    ledger_server.app.state.web.idle_timeout = 1.0
    page.wait_for_timeout(1500)
    page.goto("/tasks")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator(".flash-warning")).to_contain_text("登录已超时")
    ledger_server.app.state.web.idle_timeout = 1800

    page = browsers.login(username, fresh=True)
    stolen = page.context.cookies()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(LOGIN_URL)
    replay = browsers.new()
    replay.context.add_cookies(stolen)
    replay.goto("/")
    expect(replay).to_have_url(LOGIN_URL)


def test_escalations_missing_reports_and_reminders_reach_the_pages(ledger_server, browsers) -> None:
    """Events of the deadline-watcher and the notifier, through the ledger's inbound handler
    (what its Kafka consumer calls), show up on both homes, the inbox and the timeline."""
    task = ledger_server.fresh_task(to="in_progress", lead="广东省发展和改革委员会")
    lead_dep = task.lead_department_ids[0]
    liaison = ledger_server.liaison(lead_dep)
    now = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
    escalation = ev.EscalationRaised(
        task_id=task.id,
        task_title=task.title,
        plan_id=task.plan_id,
        level=EscalationLevel.ORANGE,
        due_on=date(2025, 5, 30),
        working_days_late=2,
        department_ids=(lead_dep,),
        reason="逾期 2 个工作日仍未办结",
        scheduled_for=now,
        dedupe_key=f"esc-{task.id}",
    )
    missing = ev.ReportMissing(
        department_id=lead_dep,
        period="2025-05",
        report_due_on=date(2025, 5, 28),
        consecutive_misses=2,
        scheduled_for=now,
        dedupe_key=f"miss-{lead_dep}",
    )
    escalation_env = Envelope.wrap(escalation, producer="deadline-watcher")
    sent = ev.NotificationSent(
        key=task.id,
        notification_id=f"ntf-{task.id}",
        source_event_ids=(str(escalation_env.event_id),),
        task_ids=(task.id,),
        recipient_id=liaison.id,
        channel=Channel.INBOX,
        attempt=1,
        at=now,
        subject="【督办提醒】任务已升级为橙色督办",
        body="请尽快办理并填报进展。",
    )
    batch = [
        (escalation_env, escalation),
        (Envelope.wrap(missing, producer="deadline-watcher"), missing),
        (Envelope.wrap(sent, producer="notifier"), sent),
    ]
    assert ledger_server.call(inbound.handle_batch(ledger_server.ledger, batch)) == 3

    sup = browsers.login("supervisor")
    expect(sup.locator("#escalations")).to_contain_text(task.title)
    expect(sup.locator("#escalations")).to_contain_text("升级督办（橙）：逾期 2 个工作日仍未办结")
    missing_row = sup.locator("#missing-reports tr", has_text="广东省发展和改革委员会")
    expect(missing_row).to_contain_text("2025-05")
    expect(missing_row.locator("td").nth(3)).to_have_text("2")

    page = browsers.login(liaison.username)
    expect(page.locator("#reminders")).to_contain_text("【督办提醒】任务已升级为橙色督办")
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.get_by_role("link", name="全部站内信").click()
    message = page.locator(".messages li", has_text="【督办提醒】任务已升级为橙色督办")
    expect(message).to_contain_text("请尽快办理并填报进展。")
    message.get_by_role("button", name="标记已读").click()
    expect(page.get_by_test_id("unread")).to_have_count(0)
    page.locator(".messages li").first.get_by_role("link", name="查看任务").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(task.title)
    expect(page.locator("#timeline")).to_contain_text("升级督办（橙）")
    expect(page.locator(".badges")).to_contain_text("已下发督办单")


def test_overdue_tasks_turn_red_on_both_homes(ledger_server, browsers) -> None:
    """The same light function as the API and the reports: past the due date, red."""
    task = ledger_server.fresh_task(to="in_progress", lead="广东省市场监督管理局")
    # Five calendar days late, two working days: 1-3 January are the New Year holiday and
    # Sunday 4 January is a 调休 working day.
    ledger_server.clock.set(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    try:
        sup = browsers.login("supervisor")
        overdue = sup.locator("#overdue tr", has_text=task.title)
        expect(overdue).to_contain_text("逾期 2 个工作日")
        expect(overdue).to_contain_text("红灯")
        dep_row = sup.locator("#by-department tr", has_text="广东省市场监督管理局")
        expect(dep_row.locator("td").nth(5)).not_to_have_text("0")  # red
        expect(dep_row.locator("td").nth(6)).not_to_have_text("0")  # overdue

        liaison = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
        expect(liaison.locator(".stat-red b")).not_to_have_text("0")
        row = liaison.locator(f'#my-tasks tr[data-task-id="{task.id}"]')
        expect(row).to_contain_text("红灯")
        liaison.goto(f"/tasks/{task.id}")
        expect(liaison.get_by_test_id("due")).to_contain_text("已逾期 2 个工作日")
        # An extension must be asked for before the deadline: the form is gone.
        expect(liaison.locator("#extension-form")).to_have_count(0)
    finally:
        ledger_server.clock.set(datetime(2025, 6, 2, 2, 0, tzinfo=UTC))


def test_password_page_comes_first_when_forced_and_changes_the_password(
    ledger_server, browsers
) -> None:
    """The password page on a phone: a forced change first, mismatches and the policy refused
    with Chinese messages, then the new password works and the old one does not. The page
    satisfies its CSP (no violation reported by the browser)."""
    from duban_contracts.vocabulary import Role
    from task_ledger.adapters.repository import auth as auth_repo
    from task_ledger.domain.model import User
    from task_ledger.service_layer import directory

    admin = ledger_server.user("user-admin")
    user = User("user-pw-web", "pw-web", "改密测试", Role.SUPERVISOR)
    old, new = "Old-Pass-2026!x", "Nq5#wTz8?Lk-2027"
    ledger_server.call(directory.create_user(ledger_server.ledger, admin, user, old))

    async def force_change() -> None:
        async with ledger_server.ledger.transaction() as tx:
            await auth_repo.set_credentials(tx.conn, user.id, None, True)

    ledger_server.call(force_change())
    page = browsers.new(mobile=True)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto("/login")
    page.get_by_label("用户名").fill("pw-web")
    page.get_by_label("密码").fill(old)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/password$"))
    expect(page.get_by_text("这是初始密码或重置后的密码")).to_be_visible()
    page.goto("/tasks")  # anything else sends the user back
    page.wait_for_url(re.compile(r"/password$"))
    expect(page.locator(".flash-warning")).to_contain_text("请先修改初始密码")

    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new + "x")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".flash-error")).to_contain_text("两次输入的新密码不一致")
    settings = ledger_server.ledger.settings
    settings.password_policy = True  # the page tests' server relaxes it; here the default
    try:
        page.get_by_label("当前密码").fill(old)
        page.get_by_label("新密码", exact=True).fill("password")
        page.get_by_label("确认新密码").fill("password")
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".flash-error")).to_contain_text("密码不符合要求")
        expect(page.locator(".flash-error")).to_contain_text("长度至少 10 位")
    finally:
        settings.password_policy = False
    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new)
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.locator(".flash-success")).to_contain_text("密码已修改")
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    assert violations == []

    other = browsers.new()
    other.goto("/login")
    other.get_by_label("用户名").fill("pw-web")
    other.get_by_label("密码").fill(old)
    other.get_by_role("button", name="登录").click()
    expect(other.locator(".flash-error")).to_contain_text("用户名或密码错误")
    ledger_server.call(ledger_server.app.state.auth.reset_throttle())
