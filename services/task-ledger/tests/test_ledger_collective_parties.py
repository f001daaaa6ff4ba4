"""Collective parties (各县（市、区）人民政府, 各地级以上市人民政府, 各有关部门) are groups, not
units: kept as collective departments at their members' level, never counted as unstaffed."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import Api

pytestmark = pytest.mark.integration

PLAN = """韶关市促进就业三年行动方案

一、稳定就业岗位
（一）扩大县域就业。各县（市、区）建设就业驿站，2027年底前全覆盖。（各县（市、区）人民政府负责，各有关部门配合）
（二）壮大市级平台。建设零工市场。（各地级以上市人民政府负责，韶关市人力资源和社会保障局配合）
"""


async def test_collective_parties_are_groups_at_their_members_level(
    api: Api, tmp_path: Path
) -> None:
    path = tmp_path / "韶关市促进就业方案.txt"
    path.write_text(PLAN, encoding="utf-8")
    imported = await api.import_seed(path)
    doc = imported["preview"]["documents"][0]
    assert "各县（市、区）人民政府" in "".join(doc["collective_departments"])
    assert not any("各" in name for name in doc["unknown_departments"])

    admin = await api.login("admin")
    deps = (await api.client.get("/api/departments", headers=admin)).json()
    items = deps["items"] if isinstance(deps, dict) else deps
    by_name = {d["name"]: d for d in items}
    county = next(d for n, d in by_name.items() if "各县" in n)
    assert county["level"] == "county"
    unstaffed = (await api.client.get("/api/departments/unstaffed", headers=admin)).json()
    assert not any("各" in d["name"] for d in unstaffed["departments"])


PROVINCE_PLAN = """广东省稳就业行动方案

一、扩大就业
（一）建设零工市场。2027年底前各地级以上市至少建成1个零工市场。（各地级以上市人民政府负责，各有关部门配合）
（二）建设就业驿站。2027年底前就业驿站覆盖全部县区。（各县（市、区）人民政府负责，广东省人力资源和社会保障厅配合）
"""


async def test_a_supervisor_expands_a_collective_and_it_is_never_ranked(
    api: Api, tmp_path: Path
) -> None:
    from task_ledger.adapters.reports.source import monthly_report

    path = tmp_path / "广东省稳就业行动方案.txt"
    path.write_text(PROVINCE_PLAN, encoding="utf-8")
    imported = await api.import_seed(path)
    doc = imported["preview"]["documents"][0]
    assert len(doc["collective_departments"]) == 3, doc["collective_departments"]
    admin, sup = await api.login("admin"), await api.login("supervisor")
    deps = (await api.client.get("/api/departments", headers=admin)).json()
    items = deps["items"] if isinstance(deps, dict) else deps
    by_name = {d["name"]: d for d in items}
    cities = next(d for n, d in by_name.items() if n.startswith("各地级以上市"))
    counties = next(d for n, d in by_name.items() if n.startswith("各县"))
    assert (cities["level"], counties["level"]) == ("city", "county")
    province = by_name["广东省人力资源和社会保障厅"]["id"]

    # Two cities of the province (under it by their parent link), one elsewhere.
    members = []
    for name, place, parent in (
        ("韶关市人民政府", "韶关市", province),
        ("清远市人民政府", "清远市", province),
        ("长沙市人民政府", "长沙市", None),
    ):
        body = {"name": name, "jurisdiction": place, "level": "city", "parent_id": parent}
        r = await api.client.post("/api/departments", json=body, headers=admin)
        assert r.status_code == 201, r.text
        members.append(r.json()["id"])
    r = await api.client.get("/api/departments/unstaffed", headers=admin)
    assert not any(d["name"].startswith("各") for d in r.json()["departments"])

    plan_id = doc["plan_id"]
    tasks = (
        await api.client.get("/api/tasks", params={"plan": plan_id, "page_size": 50}, headers=sup)
    ).json()["items"]
    parent = next(t for t in tasks if t["lead_department_ids"] == [cities["id"]])
    assert (await api.client.post(f"/api/tasks/{parent['id']}/dispatch", headers=sup)).is_success
    async with api.ledger.reading() as conn:
        from task_ledger.adapters import repository as repo
        from task_ledger.service_layer import queries

        me = await repo.get_user(conn, "user-supervisor")
        task = await repo.get_task(conn, parent["id"])
        assert me is not None and task is not None
        offered = {d.id for d in await queries.split_candidates(conn, me, task)}
    assert set(members[:2]) <= offered and members[2] not in offered
    due = parent["due_on"]
    children = [{"title": "落实", "lead_department_ids": [m], "due_on": due} for m in members[:2]]
    r = await api.client.post(
        f"/api/tasks/{parent['id']}/decompose", json={"children": children}, headers=sup
    )
    assert r.status_code == 201, r.text
    wrong = {
        "children": [{"title": "落实", "lead_department_ids": [counties["id"]], "due_on": due}]
    }
    r = await api.client.post(f"/api/tasks/{parent['id']}/decompose", json=wrong, headers=sup)
    assert r.status_code == 422, r.text  # a group is no member to split to

    async with api.ledger.reading() as conn:
        report, _ = await monthly_report(
            conn, plan_id, api.ledger.today().strftime("%Y-%m"), api.ledger.today(), 3
        )
    ranked = {d.name for d in report.departments}
    assert {"韶关市人民政府", "清远市人民政府"} <= ranked
    assert not any(name.startswith("各") for name in ranked)
