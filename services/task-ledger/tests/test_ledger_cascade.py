"""Plan cascade on both stores: importing a superior and a subordinate plan, confirming the
proposed links in the preview, and the superior plan's coverage and roll-up following a
subordinate task's progress (issue 24)."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

import pytest
from ledger_helpers import SEED_FILE, SEEDS, Api
from openpyxl import load_workbook

from duban_contracts import Envelope
from task_ledger.service_layer.coverage import column_order

pytestmark = pytest.mark.integration

PROVINCE_SEED = SEEDS / "003_719c3a43df115ca9.txt"


async def upload(api: Api, headers: dict[str, str]) -> dict:
    data = await asyncio.to_thread(PROVINCE_SEED.read_bytes)
    r = await api.client.post(
        "/api/imports", files={"file": (PROVINCE_SEED.name, data, "text/plain")}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def imported_pair(api: Api) -> tuple[str, str, dict]:
    """The Guangdong seed imported (its plan and, as its annex, the national guidance, linked
    by the preview's proposal), the Inner Mongolia plan previewed: (national plan id, import
    id of the provincial plan, its one document)."""
    documents = (await api.import_seed(SEED_FILE))["preview"]["documents"]
    [national] = [d for d in documents if d["doc_number"] == "人社部发〔2021〕66号"]
    sup = await api.login("supervisor")
    preview = await upload(api, sup)
    [doc] = preview["documents"]
    return national["plan_id"], preview["import_id"], doc


async def test_preview_proposes_the_cited_superior_and_measure_links(api: Api) -> None:
    national_id, import_id, doc = await imported_pair(api)
    sup = await api.login("supervisor")
    superior = doc["superior"]
    assert superior["plan_id"] == national_id
    best = superior["candidates"][0]
    assert best["plan_id"] == national_id and best["score"] == 1.0
    assert "人社部发〔2021〕66号" in best["reason"]
    links = doc["measure_links"]
    assert len(links) >= 10 and all(link["status"] == "proposed" for link in links)
    assert all(0 < link["score"] <= 1 and link["reason"] for link in links)
    # What the API answers for the stored preview is the same proposal.
    again = (await api.client.get(f"/api/imports/{import_id}", headers=sup)).json()
    assert again["documents"][0]["measure_links"] == links

    # No superior: no measure links; the cited plan again: the same proposals.
    url = f"/api/imports/{import_id}/plans/{doc['plan_id']}/superior"
    r = await api.client.put(url, json={"superior_plan_id": None}, headers=sup)
    assert r.status_code == 200, r.text
    assert r.json()["superior"]["plan_id"] is None and r.json()["measure_links"] == []
    r = await api.client.put(url, json={"superior_plan_id": national_id}, headers=sup)
    assert r.json()["measure_links"] == links
    bad = await api.client.put(url, json={"superior_plan_id": "plan-nope"}, headers=sup)
    assert bad.status_code == 404 and bad.json()["detail"] == "上级方案不存在"
    bad = await api.client.put(url, json={"superior_plan_id": doc["plan_id"]}, headers=sup)
    assert bad.status_code == 422 and "自身" in bad.json()["detail"]

    r = await api.client.get("/api/tasks", params={"page_size": 1}, headers=sup)
    liaison = await api.liaison_of(r.json()["items"][0]["lead_department_ids"][0])
    r = await api.client.put(url, json={"superior_plan_id": None}, headers=liaison)
    assert r.status_code == 403


async def test_confirmed_links_drive_coverage_and_roll_up(api: Api) -> None:
    national_id, import_id, doc = await imported_pair(api)
    sup = await api.login("supervisor")
    plan_id = doc["plan_id"]
    links = doc["measure_links"]
    rejected = links[-1]
    r = await api.client.post(
        f"/api/imports/{import_id}/plans/{plan_id}/measure-links",
        json={
            "decisions": [
                {
                    "measure_id": rejected["measure_id"],
                    "superior_measure_id": rejected["superior_measure_id"],
                    "status": "rejected",
                }
            ]
        },
        headers=sup,
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)
    assert r.status_code == 200, r.text

    stored = (await api.client.get(f"/api/plans/{plan_id}/links", headers=sup)).json()
    assert stored["superior"]["plan_id"] == national_id
    statuses = {
        (m["measure_id"], m["superior_measure_id"]): m["status"] for m in stored["measure_links"]
    }
    assert len(statuses) == len(links)
    assert statuses.pop((rejected["measure_id"], rejected["superior_measure_id"])) == "rejected"
    assert set(statuses.values()) == {"confirmed"}

    # Events for the link changes, keyed by the subordinate plan.
    # (The first plan link is Guangdong's, confirmed with the seed's import.)
    plan_events = await api.outbox("plan.link_changed")
    assert len(plan_events) == 2 and plan_events[-1].key == plan_id
    measure_events = [r for r in await api.outbox("plan.measure_link_changed") if r.key == plan_id]
    assert len(measure_events) == len(links)
    opened = Envelope.model_validate_json(plan_events[-1].body).open()
    assert opened.superior_plan_id == national_id  # type: ignore[attr-defined]

    coverage = (await api.client.get(f"/api/plans/{national_id}/coverage", headers=sup)).json()
    # Guangdong (linked when its file was imported) and Inner Mongolia, whose column comes
    # first although it was linked last: columns go by jurisdiction.
    subordinates = [s["plan_id"] for s in coverage["subordinates"]]
    assert len(subordinates) == 2 and subordinates[0] == plan_id
    column = 0
    covered = [m for m in coverage["measures"] if m["cells"][column]["covered"]]
    confirmed_superiors = {sid for (_, sid), status in statuses.items() if status == "confirmed"}
    assert {m["measure_id"] for m in covered} == confirmed_superiors
    assert coverage["subordinates"][column]["measures_covered"] == len(covered)
    assert {m["measure_id"] for m in coverage["uncovered"]} == {
        m["measure_id"] for m in coverage["measures"] if not any(c["covered"] for c in m["cells"])
    }
    target = next(m for m in covered if m["cells"][column]["implementations"][0]["tasks"])
    cell = target["cells"][column]
    assert target["progress"] == 0 and cell["progress"] == 0
    task = cell["implementations"][0]["tasks"][0]
    assert task["lead_departments"] and task["light"] in {"green", "yellow", "red"}

    # The subordinate's lead department reports progress: coverage and roll-up follow.
    tid = task["task_id"]
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    lead = await api.liaison_of(detail["lead_department_ids"][0])
    assert (await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)).status_code == 200
    assert (await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)).status_code == 200
    r = await api.client.post(
        f"/api/tasks/{tid}/progress-reports", data={"percent": "60"}, headers=lead
    )
    assert r.status_code == 201, r.text
    after = (await api.client.get(f"/api/plans/{national_id}/coverage", headers=sup)).json()
    moved = next(m for m in after["measures"] if m["measure_id"] == target["measure_id"])
    tasks = [t for i in moved["cells"][column]["implementations"] for t in i["tasks"]]
    expected = round(sum(t["progress"] for t in tasks) / len(tasks), 1)
    assert moved["cells"][column]["progress"] == expected > 0
    # The roll-up: the mean over the subordinate plans that take the measure up.
    figures = [c["progress"] for c in moved["cells"] if c["progress"] is not None]
    assert moved["progress"] == round(sum(figures) / len(figures), 1) > 0
    assert after["subordinates"][column]["progress"] > 0

    # The superior plan's monthly report says the same (下级落实情况); a subordinate's has none.
    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": national_id, "month": "2025-06", "format": "md"},
        headers=sup,
    )
    assert r.status_code == 200, r.text
    section = r.text.split("## 十、下级落实情况", 1)[1]
    sub = after["subordinates"][column]
    assert (
        f"内蒙古自治区《{sub['title']}》 | {sub['measures_covered']}/16 | {sub['progress']:.1f}%"
        in section
    )
    for m in after["uncovered"]:
        assert f"- {m['label']} {m['title']}" in section
    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": national_id, "month": "2025-06", "format": "xlsx"},
        headers=sup,
    )
    sheet = load_workbook(io.BytesIO(r.content))["下级落实情况"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [f"{sub['measures_covered']}/16", f"{sub['progress']:.1f}%"] in [r[2:4] for r in rows]
    r = await api.client.get(
        "/api/reports/monthly",
        params={"plan": plan_id, "month": "2025-06", "format": "html"},
        headers=sup,
    )
    assert r.status_code == 200 and "下级落实情况" not in r.text

    # Liaisons see no plan-wide view; an unknown plan is 404.
    r = await api.client.get(f"/api/plans/{national_id}/coverage", headers=lead)
    assert r.status_code == 403
    r = await api.client.get("/api/plans/plan-nope/coverage", headers=sup)
    assert r.status_code == 404


async def test_relinking_a_stored_plan_proposes_again_and_decisions_stick(api: Api) -> None:
    national_id, import_id, doc = await imported_pair(api)
    sup = await api.login("supervisor")
    plan_id = doc["plan_id"]
    # Imported without a superior: nothing is linked.
    url = f"/api/imports/{import_id}/plans/{plan_id}/superior"
    await api.client.put(url, json={"superior_plan_id": None}, headers=sup)
    assert (await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)).is_success
    assert (await api.client.get(f"/api/plans/{plan_id}/links", headers=sup)).json() == {
        "plan_id": plan_id,
        "superior": None,
        "measure_links": [],
    }
    # Confirmed previews are no longer edited: the plan is.
    r = await api.client.put(url, json={"superior_plan_id": national_id}, headers=sup)
    assert r.status_code == 422

    r = await api.client.put(
        f"/api/plans/{plan_id}/superior", json={"superior_plan_id": national_id}, headers=sup
    )
    assert r.status_code == 200, r.text
    linked = r.json()
    assert linked["superior"]["plan_id"] == national_id
    proposed = linked["measure_links"]
    assert proposed and {m["status"] for m in proposed} == {"proposed"}
    assert [m["measure_id"] for m in proposed] == sorted(m["measure_id"] for m in proposed)
    # Proposals do not count as coverage until confirmed.
    coverage = (await api.client.get(f"/api/plans/{national_id}/coverage", headers=sup)).json()
    # Columns go by jurisdiction (both provinces: by name), not by when they were linked.
    assert [s["jurisdiction"] for s in coverage["subordinates"]] == ["内蒙古自治区", "广东省"]
    column = [s["plan_id"] for s in coverage["subordinates"]].index(plan_id)
    assert not any(m["cells"][column]["covered"] for m in coverage["measures"])

    first = proposed[0]
    r = await api.client.post(
        f"/api/plans/{plan_id}/measure-links",
        json={
            "decisions": [
                {
                    "measure_id": first["measure_id"],
                    "superior_measure_id": first["superior_measure_id"],
                    "status": "confirmed",
                }
            ]
        },
        headers=sup,
    )
    assert r.status_code == 200, r.text
    coverage = (await api.client.get(f"/api/plans/{national_id}/coverage", headers=sup)).json()
    assert [m["measure_id"] for m in coverage["measures"] if m["cells"][column]["covered"]] == [
        first["superior_measure_id"]
    ]
    # A cycle is refused; a measure of another plan is refused.
    r = await api.client.put(
        f"/api/plans/{national_id}/superior", json={"superior_plan_id": plan_id}, headers=sup
    )
    assert r.status_code == 422 and "互为上级" in r.json()["detail"]
    r = await api.client.post(
        f"/api/plans/{plan_id}/measure-links",
        json={
            "decisions": [
                {
                    "measure_id": first["superior_measure_id"],
                    "superior_measure_id": first["measure_id"],
                    "status": "confirmed",
                }
            ]
        },
        headers=sup,
    )
    assert r.status_code == 404


async def test_a_supervisor_limited_to_some_plans_sees_only_their_coverage(api: Api) -> None:
    national_id, import_id, doc = await imported_pair(api)
    sup = await api.login("supervisor")
    assert (await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)).is_success
    admin = await api.login("admin")
    for username, plans in (("sup-national", [national_id]), ("sup-province", [doc["plan_id"]])):
        r = await api.client.post(
            "/api/users",
            json={
                "username": username,
                "display_name": username,
                "role": "supervisor",
                "password": "scoped-password",
                "plan_ids": plans,
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
    full = (await api.client.get(f"/api/plans/{national_id}/coverage", headers=sup)).json()
    assert len(full["subordinates"]) == 2

    national_only = await api.login("sup-national", "scoped-password")
    r = await api.client.get(f"/api/plans/{national_id}/coverage", headers=national_only)
    assert r.status_code == 200 and r.json()["subordinates"] == []
    assert len(r.json()["uncovered"]) == len(r.json()["measures"])

    province_only = await api.login("sup-province", "scoped-password")
    r = await api.client.get(f"/api/plans/{national_id}/coverage", headers=province_only)
    assert r.status_code == 404
    # Nor may they link their plan to a plan outside their scope.
    r = await api.client.put(
        f"/api/plans/{doc['plan_id']}/superior",
        json={"superior_plan_id": national_id},
        headers=province_only,
    )
    assert r.status_code == 404 and r.json()["detail"] == "上级方案不存在"


def test_coverage_columns_go_by_level_then_jurisdiction() -> None:
    def plan(plan_id: str, jurisdiction: str | None) -> SimpleNamespace:
        return SimpleNamespace(id=plan_id, jurisdiction=jurisdiction, title=f"{plan_id}方案")

    linked_in_this_order = [
        plan("unknown", None),
        plan("county", "乳源瑶族自治县"),
        plan("city-b", "韶关市"),
        plan("province", "广东省"),
        plan("city-a", "广州市"),
    ]
    ordered = sorted(linked_in_this_order, key=column_order)
    assert [p.id for p in ordered] == ["province", "city-a", "city-b", "county", "unknown"]
