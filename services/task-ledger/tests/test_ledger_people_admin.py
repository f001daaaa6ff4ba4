"""People and departments administration through the API: department changes and merges,
account actions, and bulk-loaded liaison lists (preview, then all or nothing)."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from ledger_helpers import Api
from sqlalchemy import select

from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t

pytestmark = pytest.mark.integration


async def _departments(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.client.get("/api/departments", headers=headers)
    return {d["id"]: d for d in r.json()}


async def test_merging_a_duplicate_moves_its_tasks_and_people_and_retires_it(api: Api) -> None:
    await api.import_seed()
    admin = await api.login("admin")
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    target = tasks["items"][0]
    duplicate = target["lead_department_ids"][0]
    deps = await _departments(api, admin)
    kept = next(
        d
        for d in deps
        if d not in target["lead_department_ids"] + target["supporting_department_ids"]
    )
    moved_tasks = [
        x["id"]
        for x in tasks["items"]
        if duplicate in x["lead_department_ids"] + x["supporting_department_ids"]
    ]
    liaison = await api.liaison_of(duplicate)  # a session from before the merge keeps working

    r = await api.client.post(
        f"/api/departments/{duplicate}/merge", json={"into_id": kept}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["tasks_moved"] == len(moved_tasks) > 0
    assert r.json()["merged"]["id"] == duplicate and r.json()["into"]["id"] == kept

    after = (await api.client.get(f"/api/tasks/{target['id']}", headers=sup)).json()
    assert duplicate not in after["lead_department_ids"] + after["supporting_department_ids"]
    assert kept in after["lead_department_ids"]
    assert duplicate not in await _departments(api, admin)
    users = (
        await api.client.get("/api/users", params={"department_id": kept}, headers=admin)
    ).json()
    assert f"user-liaison-{duplicate.removeprefix('dep-')}" in {u["id"] for u in users}
    r = await api.client.get(f"/api/tasks/{target['id']}", headers=liaison)
    assert r.status_code == 200  # the moved liaison now sees the task as the kept department's

    removed = await api.outbox("directory.department_removed")
    assert [o.key for o in removed] == [duplicate]
    reannounced = {o.key for o in await api.outbox("task.registered")}
    assert set(moved_tasks) <= reannounced
    async with api.ledger.reading() as conn:
        audit = (
            await conn.execute(
                select(t.audit_log).where(t.audit_log.c.action == "department.merge")
            )
        ).all()
        row = (
            await conn.execute(select(t.departments).where(t.departments.c.id == duplicate))
        ).one()
    assert [a.entity_id for a in audit] == [duplicate] and row.merged_into == kept

    # A retired department can be neither merged again nor changed, nor merged into.
    r = await api.client.post(
        f"/api/departments/{duplicate}/merge", json={"into_id": kept}, headers=admin
    )
    assert r.status_code == 422 and "已并入" in r.json()["detail"], r.text
    r = await api.client.post(
        f"/api/departments/{kept}/merge", json={"into_id": kept}, headers=admin
    )
    assert r.status_code == 422 and "它自己" in r.json()["detail"]


async def test_departments_are_renamed_re_levelled_and_re_parented_without_cycles(
    api: Api,
) -> None:
    admin = await api.login("admin")
    body = {"name": "某某市人社局", "jurisdiction": "某某市", "level": "city"}
    city = (await api.client.post("/api/departments", json=body, headers=admin)).json()
    body = {
        "name": "某某县人社局",
        "jurisdiction": "某某县",
        "level": "county",
        "parent_id": city["id"],
    }
    county = (await api.client.post("/api/departments", json=body, headers=admin)).json()

    r = await api.client.patch(
        f"/api/departments/{county['id']}",
        json={"name": "某某县人力资源和社会保障局", "level": "town"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["level"], r.json()["id"]) == (
        "某某县人力资源和社会保障局",
        "town",
        county["id"],
    )
    r = await api.client.patch(
        f"/api/departments/{city['id']}", json={"parent_id": county["id"]}, headers=admin
    )
    assert r.status_code == 422 and "下级单位" in r.json()["detail"], r.text
    r = await api.client.patch(
        f"/api/departments/{city['id']}", json={"parent_id": "dep-nope"}, headers=admin
    )
    assert r.status_code == 404 and r.json()["detail"] == "上级单位不存在"
    r = await api.client.patch(
        f"/api/departments/{city['id']}", json={"level": "village"}, headers=admin
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_deactivation_and_password_reset_end_sessions_and_tokens(api: Api) -> None:
    admin = await api.login("admin")
    found = (await api.client.get("/api/users", params={"q": "督查"}, headers=admin)).json()
    assert [u["username"] for u in found] == ["supervisor"]
    sup = await api.login("supervisor")

    r = await api.client.post("/api/users/user-supervisor/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.client.get("/api/tasks", headers=sup)).status_code == 401
    r = await api.client.post(
        "/api/auth/login", json={"username": "supervisor", "password": "supervisor-demo"}
    )
    assert r.status_code == 401
    inactive = (
        await api.client.get("/api/users", params={"active": "false"}, headers=admin)
    ).json()
    assert [u["id"] for u in inactive] == ["user-supervisor"]
    r = await api.client.post("/api/users/user-supervisor/reactivate", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is True
    sup = await api.login("supervisor")

    r = await api.client.post("/api/users/user-supervisor/password-reset", headers=admin)
    assert r.status_code == 200, r.text
    password = r.json()["initial_password"]
    assert len(password) >= 16
    assert (await api.client.get("/api/tasks", headers=sup)).status_code == 401
    await api.login("supervisor", password)

    r = await api.client.post("/api/users/user-admin/deactivate", headers=admin)
    assert r.status_code == 422 and r.json()["detail"] == "不能停用自己的账号"
    r = await api.client.post("/api/users/user-nobody/password-reset", headers=admin)
    assert r.status_code == 422 and "不存在" in r.json()["detail"]


async def test_reset_password_must_be_changed_at_next_login_in_production_mode(api: Api) -> None:
    api.ledger.settings.force_password_change = True
    admin = await api.login("admin")
    r = await api.client.post("/api/users/user-supervisor/password-reset", headers=admin)
    assert r.json()["user"]["must_change_password"] is True


LIST = """\
单位,姓名,手机,邮箱,企业微信/钉钉 ID
{known},张三,138 0013 8000,zhangsan@example.gov.cn,zs01
{known},李四,13800138000,lisi@example,
人社局XYZ,王五,12345,,
{known},张三,+86 139-0013-9000,zhangsan@example.gov.cn,
"""


async def test_a_liaison_list_is_previewed_row_by_row_and_never_half_written(api: Api) -> None:
    await api.import_seed()
    admin = await api.login("admin")
    deps = list((await _departments(api, admin)).values())
    known = next(d for d in deps if d["name"] == "广东省教育厅")
    content = LIST.format(known=known["name"]).encode("gb18030")  # as Excel saves it in China
    r = await api.client.post(
        "/api/users/liaison-lists/preview", files={"file": ("名单.csv", content)}, headers=admin
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert r.json()["error_rows"] == 3
    assert rows[0]["errors"] == [] and rows[0]["username"] == "13800138000"
    assert rows[0]["department_id"] == known["id"] and rows[0]["im_id"] == "zs01"
    assert "手机号与第 2 行重复" in rows[1]["errors"]
    assert any("邮箱“lisi@example”格式不正确" in e for e in rows[1]["errors"])
    assert any(e.startswith("未知单位“人社局XYZ”") for e in rows[2]["errors"])
    assert any("手机号“12345”不正确" in e for e in rows[2]["errors"])
    assert any("同一单位的同一人" in e for e in rows[3]["errors"])
    assert any("邮箱与第 2 行重复" in e for e in rows[3]["errors"])

    before = len((await api.client.get("/api/users", headers=admin)).json())
    r = await api.client.post(
        "/api/users/liaison-lists", files={"file": ("名单.csv", content)}, headers=admin
    )
    assert r.status_code == 422 and "未导入任何账号" in r.json()["detail"], r.text
    assert len((await api.client.get("/api/users", headers=admin)).json()) == before

    # An .xlsx with a title row and other header names loads every row at once.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某市联络员名单"])
    sheet.append(["序号", "单位名称", "联络员姓名", "手机号码", "电子邮箱", "钉钉ID"])
    sheet.append([1, known["name"], "张三", 13800138000, "zhangsan@example.gov.cn", "zs01"])
    sheet.append([2, "广东省教育厅 ", "李四", "13900139000", None, None])
    data = io.BytesIO()
    book.save(data)
    r = await api.client.post(
        "/api/users/liaison-lists", files={"file": ("名单.xlsx", data.getvalue())}, headers=admin
    )
    assert r.status_code == 201, r.text
    created = r.json()["created"]
    assert [c["username"] for c in created] == ["13800138000", "13900139000"]
    await api.login("13800138000", created[0]["initial_password"])
    users = (await api.client.get("/api/users", params={"q": "1380013"}, headers=admin)).json()
    assert users[0]["department_id"] == known["id"] and users[0]["role"] == "liaison"

    r = await api.client.post(
        "/api/users/liaison-lists", files={"file": ("名单.xlsx", data.getvalue())}, headers=admin
    )
    assert r.status_code == 422 and "已有账号" in r.json()["detail"]
    r = await api.client.post(
        "/api/users/liaison-lists/preview", files={"file": ("名单.txt", b"x")}, headers=admin
    )
    assert r.status_code == 422 and r.json()["detail"] == "请上传 .xlsx 或 .csv 文件"
    r = await api.client.post(
        "/api/users/liaison-lists/preview",
        files={"file": ("名单.xlsx", b"PK-not-a-zip")},
        headers=admin,
    )
    assert r.status_code == 422 and "Excel" in r.json()["detail"]


async def test_departments_with_tasks_but_no_liaison_are_counted(api: Api) -> None:
    await api.import_seed()
    admin = await api.login("admin")
    assert (await api.client.get("/api/departments/unstaffed", headers=admin)).json()["count"] == 0
    sup = await api.login("supervisor")
    task = (await api.client.get("/api/tasks", headers=sup)).json()["items"][0]
    lead = task["lead_department_ids"][0]
    liaison_id = f"user-liaison-{lead.removeprefix('dep-')}"
    await api.client.post(f"/api/users/{liaison_id}/deactivate", headers=admin)
    r = await api.client.get("/api/departments/unstaffed", headers=admin)
    assert r.json()["count"] == 1 and r.json()["departments"][0]["id"] == lead
    assert r.json()["fix_url"] == "/admin/people/import"

    # The admin's home and import pages say so, with the pages that fix it.
    form = await api.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"csrf_token": token[1], "username": "admin", "password": "admin-demo"}
    assert (await api.client.post("/login", data=data)).status_code == 303
    for path in ("/", "/imports", "/admin"):
        page = (await api.client.get(path)).text
        assert "1 个单位尚无联络员" in page, path
        assert 'href="/admin/people/import"' in page and "unstaffed=1" in page, path
    assert "尚无联络员" not in (await api.client.get("/tasks")).text


async def test_a_plan_imported_after_a_merge_goes_to_the_kept_department(api: Api) -> None:
    """The registry still resolves the duplicate's printed name to its id: the import
    preview names the kept department instead, so no task lands on a retired one."""
    admin = await api.login("admin")
    deps = await _departments(api, admin)
    duplicate = next(d for d, v in deps.items() if v["name"] == "广东省人力资源和社会保障厅")
    body = {"name": "广东省人社厅（合并保留）", "jurisdiction": "广东省", "level": "province"}
    kept = (await api.client.post("/api/departments", json=body, headers=admin)).json()["id"]
    r = await api.client.post(
        f"/api/departments/{duplicate}/merge", json={"into_id": kept}, headers=admin
    )
    assert r.status_code == 200 and r.json()["tasks_moved"] == 0, r.text

    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    named = {
        d for x in tasks["items"] for d in x["lead_department_ids"] + x["supporting_department_ids"]
    }
    assert kept in named and duplicate not in named


def test_initial_passwords_pass_the_default_password_policy() -> None:
    from task_ledger.service_layer.passwords import check_policy
    from task_ledger.service_layer.people import initial_password
    from task_ledger.settings import Settings

    strict = Settings()
    assert strict.password_policy
    made = {initial_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        check_policy(strict, "gd-rst", password)  # raises when refused


async def test_a_merge_rewrites_the_pending_import_previews_that_name_the_duplicate(
    api: Api,
) -> None:
    """A preview not yet confirmed names the kept department instead of the duplicate, in
    its measure rows and in the units it lists for correction; other rows are untouched."""
    admin = await api.login("admin")
    sup = await api.login("supervisor")
    import_id = (await api.upload())["import_id"]

    async def measures() -> list[dict[str, Any]]:
        r = await api.client.get(
            f"/api/imports/{import_id}/documents/0/measures",
            params={"page_size": 200},
            headers=sup,
        )
        return list(r.json())

    before = await measures()
    duplicate = next(ref["id"] for m in before for ref in m["lead"] if ref["known"])
    kept = next(d for d in await _departments(api, admin) if d != duplicate)
    r = await api.client.post(
        f"/api/departments/{duplicate}/merge", json={"into_id": kept}, headers=admin
    )
    assert r.status_code == 200, r.text
    after = await measures()
    ids = lambda ms: [[r["id"] for r in (*m["lead"], *m["supporting"])] for m in ms]  # noqa: E731
    assert duplicate in str(ids(before)) and duplicate not in str(ids(after))
    assert ids(after) == [[kept if i == duplicate else i for i in row] for row in ids(before)]
    async with api.ledger.reading() as conn:
        row = await repo.get_plan_import(conn, import_id)
    doc = row.preview["documents"][0]
    assert duplicate not in {d["id"] for d in doc["departments"]}
