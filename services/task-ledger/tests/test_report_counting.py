"""The monthly report on a small plan written for this test (issue 21): a task decomposed to a
city is counted once with its child listed under it, one closure on time and one late give a
按期办结率 of 50% over the closed tasks, an unfinished task past its deadline is 逾期未办结
(counted apart, days late in working days across the 清明 holiday), provincial and city
departments are ranked apart; the same report downloads as .docx and PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from ledger_helpers import Api
from pypdf import PdfReader

pytestmark = pytest.mark.integration

HRSS, EDU, FIN = "广东省人力资源和社会保障厅", "广东省教育厅", "广东省财政厅"
PLAN = f"""关于推进就业服务提质增效的工作方案

为做好就业服务工作，制定本方案。

一、重点任务

（一）建设零工市场。在各地级以上市建设规范化零工市场，2026年3月底前完成。（{HRSS}牵头，{FIN}配合）

（二）开展技能培训。组织开展职业技能培训，2026年2月底前完成。（{EDU}牵头，{HRSS}配合）

（三）优化创业担保贷款。扩大创业担保贷款覆盖面，2026年1月底前完成。（{FIN}牵头）
"""


async def _import(api: Api, tmp_path) -> list[dict]:  # type: ignore[no-untyped-def]
    path = tmp_path / "就业服务方案.txt"
    path.write_text(PLAN, encoding="utf-8")
    await api.import_seed(path)
    sup = await api.login("supervisor")
    (plan,) = (await api.client.get("/api/plans", headers=sup)).json()
    r = await api.client.get("/api/tasks", params={"plan_id": plan["id"]}, headers=sup)
    tasks = sorted(r.json()["items"], key=lambda t: t["due_on"], reverse=True)
    assert [len(t["lead_department_ids"]) for t in tasks] == [1, 1, 1]
    return tasks


async def _close(api: Api, task: dict, sup: dict[str, str]) -> None:
    lead = await api.liaison_of(task["lead_department_ids"][0])
    tid = task["id"]
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports", data={"percent": "100"}, headers=lead
    )
    assert r.status_code == 201, r.text
    await api.complete(tid, lead, sup)


async def test_report_counts_once_rates_on_closed_and_ranks_by_level(api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sup, admin = await api.login("supervisor"), await api.login("admin")
    market, training, loans = await _import(api, tmp_path)  # due 03-31, 02-28, 01-31
    for t in (market, training, loans):
        assert (await api.client.post(f"/api/tasks/{t['id']}/dispatch", headers=sup)).is_success
        lead = await api.liaison_of(t["lead_department_ids"][0])
        assert (await api.client.post(f"/api/tasks/{t['id']}/acknowledge", headers=lead)).is_success

    # 建设零工市场 goes down to Guangzhou.
    hrss = market["lead_department_ids"][0]
    r = await api.client.post(
        "/api/departments",
        json={"name": "广州市人力资源和社会保障局", "jurisdiction": "广州市", "level": "city",
              "parent_id": hrss},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    city = r.json()["id"]
    r = await api.client.post(
        f"/api/tasks/{market['id']}/decompose",
        json={"children": [{"title": "广州市建设零工市场", "lead_department_ids": [city],
                            "due_on": "2026-03-15"}]},
        headers=await api.liaison_of(hrss),
    )  # fmt: skip
    assert r.status_code == 201, r.text

    await _close(api, training, sup)  # on time: approved in June 2025, due 2026-02-28
    api.clock.set(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    await _close(api, loans, sup)  # late: approved 2026-02-10, due 2026-01-31
    # Past the market's deadline (03-31) and its child's (03-15), neither done.
    api.clock.set(datetime(2026, 4, 8, 2, 0, tzinfo=UTC))

    params = {"plan": market["plan_id"], "month": "2026-04", "format": "md"}
    md = (await api.client.get("/api/reports/monthly", params=params, headers=sup)).text
    assert "本方案共 3 项措施、3 项任务（另分解下级任务 1 项，计入上级任务，不重复统计）" in md
    # 任务总数 3, 已办结 2, 办结率 66.7%, 按期办结率 50.0% (1 of the 2 closed), 逾期未办结 1.
    assert "| 3 | 2 | 66.7% | 50.0% |" in md and "| 1 | 0 | 0 |" in md
    # Days late in working days: 1-3 April, then 7-8 April (4-6 April is 清明) = 5.
    assert "| 1 | 建设零工市场 | 广东省人力资源和社会保障厅 | 2026-03-31 | 5 |" in md
    # The child is numbered under its parent (1-1): 17 working days past Sunday 03-15.
    assert "| 1-1 | 广州市建设零工市场 | 广州市人力资源和社会保障局 | 2026-03-15 | 17 |" in md
    province, city_part = md.split("### 省直单位")[1].split("### 市级")
    assert HRSS in province and "广州市" not in province
    assert "| 1 | 广州市人力资源和社会保障局 |" in city_part

    params["format"] = "docx"
    r = await api.client.get("/api/reports/monthly", params=params, headers=sup)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "本方案共 3 项措施、3 项任务" in text and "按期办结率" in text
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    assert ["3", "2", "66.7%", "50.0%（1/2）", "66.7%", "1", "0"] in cells
    assert doc.sections[0].page_width > doc.sections[0].page_height  # landscape

    params["format"] = "pdf"
    r = await api.client.get("/api/reports/monthly", params=params, headers=sup)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    first = pdf.pages[0]
    assert first.mediabox.width > first.mediabox.height  # A4 landscape from the print CSS
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "按期办结率" in text and "广州市建设零工市场" in text and "第 1 页" in text
