"""Plan imports through the HTTP API on both stores (SQLite and PostgreSQL): previews,
idempotence, unknown and collective departments, notices that carry a plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import SEEDS, Api

pytestmark = pytest.mark.integration


async def test_plan_import_previews_flags_unknown_and_is_idempotent(api: Api) -> None:
    sup = await api.login("supervisor")
    first = await api.import_seed()
    preview, result = first["preview"], first["result"]
    expected_tasks = sum(d["task_count"] for d in preview["documents"])
    assert expected_tasks > 0 and result["tasks"] == expected_tasks
    measure = preview["documents"][0]["measures"][1]
    assert (
        measure["lead"][0]["known"] and measure["lead"][0]["name"] == "广东省人力资源和社会保障厅"
    )
    unknown = [d for doc in preview["documents"] for d in doc["unknown_departments"]]
    groups = [d for doc in preview["documents"] for d in doc["collective_departments"]]
    assert groups and not set(groups) & set(unknown)  # a collective group is no unit to create
    assert result["departments"] == len(set(unknown)) + len(set(groups))

    again = await api.import_seed()
    assert again["result"]["tasks"] == 0 and again["result"]["plans"] == 0
    r = await api.client.get("/api/tasks", headers=sup)
    assert r.json()["total"] == expected_tasks
    registered = await api.outbox("task.registered")
    assert len(registered) == expected_tasks
    directory = await api.outbox("directory.department_upserted")
    r = await api.client.get("/api/departments", headers=sup)
    assert len(directory) == len(r.json())  # every department was announced once

    bad = await api.client.post(
        "/api/imports", files={"file": ("x.txt", b"", "text/plain")}, headers=sup
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["detail"] == "上传的文件为空"


async def test_plan_import_of_the_second_seed(api: Api) -> None:
    seed = SEEDS / "003_719c3a43df115ca9.txt"
    done = await api.import_seed(seed)
    assert done["result"]["tasks"] == sum(d["task_count"] for d in done["preview"]["documents"])
    assert done["preview"]["documents"][0]["jurisdiction"] == "内蒙古自治区"


CITY_PLAN = """关于印发《临江市2025年优化营商环境重点任务分工方案》的通知
临政办发〔2025〕12号

各区人民政府，市政府各部门：
　　现将《临江市2025年优化营商环境重点任务分工方案》印发给你们，请认真贯彻落实。

临江市人民政府办公室
2025年3月10日

临江市2025年优化营商环境重点任务分工方案

一、提升政务服务效能
（一）深化“一网通办”。推进政务服务事项全程网办。
牵头单位：市政务服务数据管理局
责任单位：市直各部门，各区人民政府
完成时限：2025年12月底
（二）推行“高效办成一件事”。新增10个集成办理场景。（市政务服务数据管理局牵头，市公安局、市医保局配合）
"""


async def test_a_city_plan_in_its_notice_imports_under_its_own_title_and_jurisdiction(
    api: Api, tmp_path: Path
) -> None:
    """The plan a notice carries is the plan (not 关于印发…的通知); departments the registry does
    not know are named with the plan's city, never a bare 市…局; groups are flagged."""
    path = tmp_path / "临江市分工方案.txt"
    path.write_text(CITY_PLAN, encoding="utf-8")
    imported = await api.import_seed(path)
    (doc,) = imported["preview"]["documents"]
    assert doc["title"] == "临江市2025年优化营商环境重点任务分工方案"
    assert doc["doc_number"] == "临政办发〔2025〕12号"
    first, second = doc["measures"]
    assert [d["name"] for d in first["lead"]] == ["临江市政务服务数据管理局"]
    assert [(d["printed"], d["collective"]) for d in first["supporting"]] == [
        ("市直各部门", True),
        ("各区人民政府", True),
    ]
    assert [d["name"] for d in second["supporting"]] == ["临江市公安局", "临江市医疗保障局"]
    sup = await api.login("supervisor")
    plans = (await api.client.get("/api/plans", headers=sup)).json()
    assert "临江市2025年优化营商环境重点任务分工方案" in [p["title"] for p in plans]
