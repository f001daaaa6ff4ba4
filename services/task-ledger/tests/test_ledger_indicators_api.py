"""Indicators through the API on the Inner Mongolia seed: drafts and the 15 vs 新增 5 conflict in
the preview, a liaison reporting 12 of 30 自治区级劳务品牌, the light and its reason."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from ledger_helpers import SEEDS, Api
from openpyxl import load_workbook

from duban_contracts import Envelope
from duban_contracts.events import ProgressReported, TaskMilestonesSet

pytestmark = pytest.mark.integration

SEED = SEEDS / "003_719c3a43df115ca9.txt"


async def _upload(api: Api, sup: dict[str, str]) -> dict[str, Any]:
    data = await asyncio.to_thread(SEED.read_bytes)
    r = await api.client.post(
        "/api/imports", files={"file": (SEED.name, data, "text/plain")}, headers=sup
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _measure(doc: dict[str, Any], label: str) -> dict[str, Any]:
    return next(m for m in doc["measures"] if m["label"] == label)


async def test_the_preview_shows_the_differing_national_brand_target(api: Api) -> None:
    sup = await api.login("supervisor")
    preview = await _upload(api, sup)
    doc = preview["documents"][0]
    (conflict,) = [c for c in doc["indicator_conflicts"] if c["name"] == "国家级劳务品牌"]
    assert [p["sentence"] for p in conflict["places"]] == [
        "力争培育打造国家级劳务品牌15个",
        "新增国家级劳务品牌5个",
    ]
    assert [p["target"] for p in conflict["places"]] == [15, 5]
    assert "新增5个" in conflict["message"] and conflict["resolution"] is None
    # A person decides: the total and the increment are both meant.
    r = await api.client.post(
        f"/api/imports/{preview['import_id']}/indicator-conflicts",
        json={"name": "国家级劳务品牌", "choice": "both"},
        headers=sup,
    )
    assert r.status_code == 200, r.text
    again = (await api.client.get(f"/api/imports/{preview['import_id']}", headers=sup)).json()
    assert again["documents"][0]["indicator_conflicts"][0]["resolution"] == "both"
    bad = await api.client.post(
        f"/api/imports/{preview['import_id']}/indicator-conflicts",
        json={"name": "不存在的指标", "choice": "first"},
        headers=sup,
    )
    assert bad.status_code == 404


async def test_preview_corrections_reach_the_tasks_indicators(api: Api) -> None:
    sup = await api.login("supervisor")
    preview = await _upload(api, sup)
    m10 = _measure(preview["documents"][0], "10.")
    by_name = {d["name"]: d for d in m10["indicators"]}
    assert by_name["自治区级劳务品牌"]["target"] == 30
    assert by_name["国家级劳务品牌"]["kind"] == "new"
    base = f"/api/imports/{preview['import_id']}/measures/{m10['id']}/indicators"
    r = await api.client.patch(
        f"{base}/{by_name['农牧业旗县市一县一品牌的目标']['key']}",
        json={"dropped": True},
        headers=sup,
    )
    assert r.status_code == 200, r.text
    r = await api.client.patch(
        f"{base}/{by_name['自治区级劳务品牌']['key']}",
        json={"baseline": 3, "due": "2025-12-31"},
        headers=sup,
    )
    assert r.status_code == 200 and r.json()["baseline"] == 3
    assert (
        await api.client.patch(
            f"{base}/{by_name['自治区级劳务品牌']['key']}", json={"target": -1}, headers=sup
        )
    ).status_code == 422
    r = await api.client.post(f"/api/imports/{preview['import_id']}/confirm", headers=sup)
    assert r.status_code == 200, r.text
    found = (await api.client.get(f"/api/tasks/{m10['task_id']}/indicators", headers=sup)).json()
    names = [i["name"] for i in found]
    assert "农牧业旗县市一县一品牌的目标" not in names
    brands = next(i for i in found if i["name"] == "自治区级劳务品牌")
    assert brands["baseline"] == 3 and brands["target"] == 30


async def test_a_liaison_reports_12_of_30_brands_and_the_task_lights_up(api: Api) -> None:
    sup = await api.login("supervisor")
    done = await api.import_seed(SEED)
    m10 = _measure(done["preview"]["documents"][0], "10.")
    tid = m10["task_id"]
    assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)).status_code == 200
    indicators = (await api.client.get(f"/api/tasks/{tid}/indicators", headers=sup)).json()
    brands = next(i for i in indicators if i["name"] == "自治区级劳务品牌")
    assert (brands["current"], brands["target"], brands["unit"]) == (None, 30, "个")

    liaison = await api.liaison_of(m10["lead"][0]["id"])
    r = await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=liaison)
    assert r.status_code == 200
    api.clock.advance(timedelta(days=121))  # 2025-10-01: 121 of the 212 days to 2025-12-31
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports",
        data={
            "percent": "40",
            "done_work": "已培育自治区级劳务品牌 12 个",
            "indicator_values": json.dumps({brands["id"]: 12}),
        },
        headers=liaison,
    )
    assert r.status_code == 201, r.text

    indicators = (await api.client.get(f"/api/tasks/{tid}/indicators", headers=liaison)).json()
    brands = next(i for i in indicators if i["name"] == "自治区级劳务品牌")
    assert brands["summary"] == "自治区级劳务品牌 12/30"
    assert brands["completion"] == 40.0
    assert brands["light"] == "yellow"
    assert brands["reason"] == "自治区级劳务品牌 12/30，按进度应达 17"
    task = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    assert task["light"] in ("yellow", "red")
    assert "自治区级劳务品牌 12/30，按进度应达 17" in task["light_reasons"]

    history = (await api.client.get(f"/api/indicators/{brands['id']}/values", headers=sup)).json()
    assert [(v["value"], v["task_id"]) for v in history] == [(12, tid)]
    (event,) = [
        Envelope.from_bytes(x.body).open() for x in await api.outbox("task.progress_reported")
    ]
    assert isinstance(event, ProgressReported)
    assert [(v.indicator_id, v.value) for v in event.indicator_values] == [(brands["id"], 12)]

    # The monthly report and the Excel ledger show it (目标完成情况 / sheet 指标).
    plan_id = done["result"]["plan_ids"][0]
    params = {"plan": plan_id, "month": "2025-10", "format": "md"}
    md = (await api.client.get("/api/reports/monthly", params=params, headers=sup)).text
    assert "## 九、目标完成情况" in md
    line = next(x for x in md.splitlines() if "| 自治区级劳务品牌 |" in x and "| 12 |" in x)
    assert (
        "| 30 个 | 12 | 40.0% | 2025-12-31 | 黄灯：自治区级劳务品牌 12/30，按进度应达 17 |" in line
    )
    params["format"] = "html"
    html = (await api.client.get("/api/reports/monthly", params=params, headers=sup)).text
    assert "九、目标完成情况" in html and "自治区级劳务品牌 12/30，按进度应达 17" in html
    # Attainment against time: the bar is filled to 40 %, the path's mark at 121/212 ≈ 57 %.
    assert '<span style="width: 40.0%">' in html and re.search(r'<i style="left: 57\.\d+%">', html)
    params["format"] = "xlsx"
    r = await api.client.get("/api/reports/monthly", params=params, headers=sup)
    sheet = load_workbook(io.BytesIO(r.content))["指标"]
    header = [c.value for c in sheet[2]]  # below the sheet's title row
    assert header[4:10] == ["指标", "目标值", "当前值", "完成率", "时间节点", "状态"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    ours = next(x for x in rows if x[4] == "自治区级劳务品牌" and x[6] == 12)
    assert ours[5:10] == ["30 个", 12, "40.0%", "2025-12-31", "黄灯"]


async def test_bad_indicator_values_are_refused_in_chinese(api: Api) -> None:
    sup = await api.login("supervisor")
    done = await api.import_seed(SEED)
    m10 = _measure(done["preview"]["documents"][0], "10.")
    tid = m10["task_id"]
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    liaison = await api.liaison_of(m10["lead"][0]["id"])
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=liaison)
    url = f"/api/tasks/{tid}/progress-reports"
    for values in ("not json", json.dumps({"x": -1}), json.dumps({"ind-x": "many"})):
        r = await api.client.post(
            url, data={"percent": "10", "indicator_values": values}, headers=liaison
        )
        assert r.status_code == 422 and "指标数值格式不正确" in r.text
    r = await api.client.post(
        url,
        data={"percent": "10", "indicator_values": json.dumps({"ind-unknown": 1})},
        headers=liaison,
    )
    assert 400 <= r.status_code < 500 and "任务没有这些指标" in r.text
    # A liaison may not correct an indicator; a supervisor may.
    ind_id = (await api.client.get(f"/api/tasks/{tid}/indicators", headers=sup)).json()[0]["id"]
    r = await api.client.patch(f"/api/indicators/{ind_id}", json={"target": 25}, headers=liaison)
    assert r.status_code == 403
    r = await api.client.patch(f"/api/indicators/{ind_id}", json={"target": 25}, headers=sup)
    assert r.status_code == 200
    again = (await api.client.get(f"/api/tasks/{tid}/indicators", headers=sup)).json()[0]
    assert again["target"] == 25


async def test_milestones_are_announced_and_closed_by_a_report_with_evidence(api: Api) -> None:
    sup = await api.login("supervisor")
    done = await api.import_seed(SEED)
    m10 = _measure(done["preview"]["documents"][0], "10.")
    tid = m10["task_id"]
    (announced,) = [
        m
        for m in (
            Envelope.from_bytes(x.body).open() for x in await api.outbox("task.milestones_set")
        )
        if m.task_id == tid
    ]
    assert isinstance(announced, TaskMilestonesSet)
    dues = {m.key: m.due_on for m in announced.milestones}
    assert dues == {
        "ms-1": date(2022, 12, 31),
        "ms-2": date(2023, 12, 31),
        "ms-3": date(2025, 12, 31),
    }
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    # 2025: the 2022 and 2023 milestones are past and open, so the task is red and says why.
    task = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    late_2023 = "时间节点 2023-12-31 逾期未完成："
    assert task["light"] == "red"
    assert [r[: len(late_2023)] for r in task["light_reasons"] if r.startswith("时间节点")] == [
        "时间节点 2022-12-31 逾期未完成：",
        late_2023,
    ]
    liaison = await api.liaison_of(m10["lead"][0]["id"])
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=liaison)
    url = f"/api/tasks/{tid}/progress-reports"
    r = await api.client.post(
        url, data={"percent": "30", "milestones_done": ["ms-2"]}, headers=liaison
    )
    assert r.status_code in (400, 409, 422) and "佐证" in r.text
    r = await api.client.post(
        url, data={"percent": "30", "milestones_done": ["ms-9"], "done_work": "x"}, headers=liaison
    )
    assert 400 <= r.status_code < 500 and "任务没有这些时间节点" in r.text
    r = await api.client.post(
        url,
        data={
            "percent": "30",
            "done_work": "20%以上的农牧业旗县市已拥有劳务品牌，名单见附件",
            "milestones_done": ["ms-2"],
        },
        files=[("files", ("名单.txt", b"list", "text/plain"))],
        headers=liaison,
    )
    assert r.status_code == 201, r.text
    states = (await api.client.get(f"/api/tasks/{tid}/milestones", headers=sup)).json()
    assert [(s["key"], s["done"]) for s in states] == [
        ("ms-1", False),
        ("ms-2", True),
        ("ms-3", False),
    ]
    task = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    late = [r for r in task["light_reasons"] if r.startswith("时间节点")]
    assert len(late) == 1 and late[0].startswith("时间节点 2022-12-31")  # 2023's is closed
    reported = [
        Envelope.from_bytes(x.body).open() for x in await api.outbox("task.progress_reported")
    ]
    assert [m.milestones_done for m in reported] == [("ms-2",)]
    again = await api.client.post(
        url,
        data={"percent": "35", "milestones_done": ["ms-2"], "done_work": "再报"},
        headers=liaison,
    )
    assert 400 <= again.status_code < 500 and "已报告完成" in again.text


async def test_a_decomposed_tasks_indicators_sum_or_average_the_childrens_shares(
    api: Api,
) -> None:
    sup, admin = await api.login("supervisor"), await api.login("admin")
    done = await api.import_seed(SEED)
    m10 = _measure(done["preview"]["documents"][0], "10.")
    tid, lead_dep = m10["task_id"], m10["lead"][0]["id"]
    cities = []
    for n, (name, place) in enumerate(
        [("呼和浩特市人力资源和社会保障局", "呼和浩特市"), ("包头市人力资源和社会保障局", "包头市")]
    ):
        r = await api.client.post(
            "/api/departments",
            json={"name": name, "jurisdiction": place, "level": "city", "parent_id": lead_dep},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        dep = r.json()["id"]
        r = await api.client.post(
            "/api/users",
            json={
                "username": f"city-{n}",
                "display_name": f"{place}联络员",
                "role": "liaison",
                "department_id": dep,
                "password": f"city-liaison-{n}",
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        cities.append((dep, await api.login(f"city-{n}", f"city-liaison-{n}")))
    lead = await api.liaison_of(lead_dep)
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)
    r = await api.client.post(
        f"/api/tasks/{tid}/decompose",
        json={
            "children": [
                {"title": f"{dep}落实", "lead_department_ids": [dep], "due_on": "2025-11-30"}
                for dep, _ in cities
            ]
        },
        headers=lead,
    )
    assert r.status_code == 201, r.text
    children = [c["id"] for c in r.json()]
    parent_indicators = (await api.client.get(f"/api/tasks/{tid}/indicators", headers=sup)).json()
    ids = {i["name"]: i["id"] for i in parent_indicators}
    brands, share = ids["自治区级劳务品牌"], ids["农牧业旗县市拥有符合县域特色的劳务品牌"]
    for (_, liaison), child, (count, rate) in zip(
        cities, children, [(5, 10), (7, 30)], strict=True
    ):
        # A child reports against its parent's indicators (its share).
        mine = (await api.client.get(f"/api/tasks/{child}/indicators", headers=liaison)).json()
        assert {i["id"] for i in mine} == set(ids.values())
        await api.client.post(f"/api/tasks/{child}/acknowledge", headers=liaison)
        r = await api.client.post(
            f"/api/tasks/{child}/progress-reports",
            data={"percent": "50", "indicator_values": json.dumps({brands: count, share: rate})},
            headers=liaison,
        )
        assert r.status_code == 201, r.text
    mine = (await api.client.get(f"/api/tasks/{children[1]}/indicators", headers=sup)).json()
    assert next(i for i in mine if i["id"] == brands)["own_share"] == 7
    totals = {
        i["name"]: i["current"]
        for i in (await api.client.get(f"/api/tasks/{tid}/indicators", headers=sup)).json()
    }
    assert totals["自治区级劳务品牌"] == 12  # sum of 5 and 7
    assert totals["农牧业旗县市拥有符合县域特色的劳务品牌"] == 20  # mean of 10 % and 30 %
