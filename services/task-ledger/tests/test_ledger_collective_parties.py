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
