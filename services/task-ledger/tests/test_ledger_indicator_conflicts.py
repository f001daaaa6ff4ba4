"""Indicator conflicts on a stored plan (after import): the Inner Mongolia seed states 国家级劳务
品牌 as 力争培育打造15个 in its 目标任务 section and 新增5个 in measure 10. The plan shows both
sentences; a supervisor keeps both, an edit makes them differ anew and the question comes back,
then the first statement is adopted and the difference is gone."""

from __future__ import annotations

import pytest
from ledger_helpers import SEEDS, Api

pytestmark = pytest.mark.integration

SEED = SEEDS / "003_719c3a43df115ca9.txt"
BRANDS = "国家级劳务品牌"


async def test_a_supervisor_decides_the_15_vs_new_5_difference_on_the_plan(api: Api) -> None:
    sup = await api.login("supervisor")
    done = await api.import_seed(SEED)  # confirmed without deciding anything in the preview
    plan_id = done["result"]["plan_ids"][0]
    url = f"/api/plans/{plan_id}/indicator-conflicts"
    r = await api.client.get(url, headers=sup)
    assert r.status_code == 200, r.text
    (conflict,) = [c for c in r.json() if c["name"] == BRANDS]
    assert conflict["scope"] == "plan" and conflict["resolution"] is None
    assert [p["sentence"] for p in conflict["places"]] == [
        "力争培育打造国家级劳务品牌15个",
        "新增国家级劳务品牌5个",
    ]
    assert [(p["target"], p["kind"]) for p in conflict["places"]] == [
        (15, "cumulative"),
        (5, "new"),
    ]
    assert "新增5个" in conflict["message"]

    # Both stand (a total and an increment).
    r = await api.client.post(
        url, json={"conflict_id": conflict["id"], "choice": "both"}, headers=sup
    )
    assert r.status_code == 200, r.text
    assert r.json()["resolution"] == "both"
    again = [c for c in (await api.client.get(url, headers=sup)).json() if c["name"] == BRANDS]
    assert again[0]["resolution"] == "both"

    # An edit makes them differ anew: a person is asked again.
    second = conflict["places"][1]
    r = await api.client.patch(
        f"/api/indicators/{second['indicator_id']}", json={"target": 6}, headers=sup
    )
    assert r.status_code == 200, r.text
    (asked,) = [c for c in (await api.client.get(url, headers=sup)).json() if c["name"] == BRANDS]
    assert asked["resolution"] is None and "新增6个" in asked["message"]

    # The 目标任务 section's figure is adopted: measure 10's indicator becomes 15 in total.
    r = await api.client.post(
        url, json={"conflict_id": asked["id"], "choice": "first"}, headers=sup
    )
    assert r.status_code == 200, r.text
    assert not [c for c in (await api.client.get(url, headers=sup)).json() if c["name"] == BRANDS]
    indicators = (
        await api.client.get(f"/api/tasks/{second['task_id']}/indicators", headers=sup)
    ).json()
    (brands,) = [i for i in indicators if i["name"] == BRANDS]
    assert (brands["target"], brands["kind"]) == (15, "cumulative")


async def test_conflict_decisions_are_refused_clearly(api: Api) -> None:
    sup = await api.login("supervisor")
    done = await api.import_seed(SEED)
    plan_id = done["result"]["plan_ids"][0]
    url = f"/api/plans/{plan_id}/indicator-conflicts"
    (conflict,) = [
        c for c in (await api.client.get(url, headers=sup)).json() if c["name"] == BRANDS
    ]
    r = await api.client.post(url, json={"conflict_id": "cf-none", "choice": "both"}, headers=sup)
    assert r.status_code == 404 and "没有这个指标冲突" in r.json()["detail"]
    r = await api.client.post(
        url, json={"conflict_id": conflict["id"], "choice": "all"}, headers=sup
    )
    assert r.status_code == 422
    task_id = conflict["places"][1]["task_id"]
    task = (await api.client.get(f"/api/tasks/{task_id}", headers=sup)).json()
    liaison = await api.liaison_of(task["lead_department_ids"][0])
    r = await api.client.get(url, headers=liaison)
    assert r.status_code == 403
    r = await api.client.get("/api/plans/no-such-plan/indicator-conflicts", headers=sup)
    assert r.status_code == 404


PROVINCE = """粤人社〔2022〕8号
关于印发《广东省劳务品牌培育工作方案》的通知

各地级以上市人力资源社会保障局：
为推动劳务品牌建设，制定本方案。

广东省劳务品牌培育工作方案

一、重点任务
（一）培育劳务品牌。开展劳务品牌摸底调查，建立劳务品牌培育库，到2025年底，培育省级劳务品牌30个。（责任单位：广东省人力资源和社会保障厅）
（二）提高技能含量。鼓励职业院校开展劳务品牌相关职业技能培训，建设技能大师工作室。（责任单位：广东省教育厅）
"""
CITY = """韶人社〔2022〕11号
关于印发《韶关市劳务品牌培育实施方案》的通知

各县（市、区）人力资源社会保障局：
根据《广东省劳务品牌培育工作方案》（粤人社〔2022〕8号），结合我市实际，制定本方案。

韶关市劳务品牌培育实施方案

一、重点任务
（一）培育劳务品牌。开展全市劳务品牌摸底调查，建立劳务品牌培育库，到2024年底，培育省级劳务品牌5个。（责任单位：韶关市人力资源和社会保障局）
"""


async def _import_text(api: Api, sup: dict[str, str], name: str, text: str) -> dict:
    r = await api.client.post(
        "/api/imports", files={"file": (name, text.encode(), "text/plain")}, headers=sup
    )
    assert r.status_code == 201, r.text
    preview = r.json()
    r = await api.client.post(f"/api/imports/{preview['import_id']}/confirm", headers=sup)
    assert r.status_code == 200, r.text
    return dict(preview["documents"][0])


async def test_a_subordinate_target_differing_from_its_superior_is_flagged(api: Api) -> None:
    sup = await api.login("supervisor")
    province = await _import_text(api, sup, "省方案.txt", PROVINCE)
    city = await _import_text(api, sup, "市方案.txt", CITY)
    assert city["superior"]["plan_id"] == province["plan_id"]
    url = f"/api/plans/{city['plan_id']}/indicator-conflicts"
    (conflict,) = (await api.client.get(url, headers=sup)).json()
    assert conflict["scope"] == "superior" and conflict["name"] == "省级劳务品牌"
    assert [p["sentence"] for p in conflict["places"]] == [
        "培育省级劳务品牌30个",
        "培育省级劳务品牌5个",
    ]
    assert conflict["places"][0]["plan_title"] == "广东省劳务品牌培育工作方案"
    # The superior's indicator is not the city's to change.
    r = await api.client.post(
        url, json={"conflict_id": conflict["id"], "choice": "second"}, headers=sup
    )
    assert r.status_code == 422 and "上级方案的指标不能在下级方案中修改" in r.json()["detail"]
    # The city's share differs on purpose: both stand.
    r = await api.client.post(
        url, json={"conflict_id": conflict["id"], "choice": "both"}, headers=sup
    )
    assert r.status_code == 200 and r.json()["resolution"] == "both"
    # The superior plan itself has no conflict.
    r = await api.client.get(f"/api/plans/{province['plan_id']}/indicator-conflicts", headers=sup)
    assert r.json() == []
