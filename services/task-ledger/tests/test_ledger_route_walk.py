"""Every task route, walked as another department's liaison: refused (404) and audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from ledger_helpers import SEED_FILE, Api
from sqlalchemy import select

from duban_contracts import Envelope
from task_ledger.adapters import tables as t
from task_ledger.entrypoints.problems import NOT_VISIBLE

pytestmark = pytest.mark.integration

# A request each task route accepts, so validation passes and authorization is what refuses.
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/tasks/{task_id}"): {},
    ("GET", "/api/tasks/{task_id}/timeline"): {},
    ("POST", "/api/tasks/{task_id}/dispatch"): {},
    ("POST", "/api/tasks/{task_id}/acknowledge"): {},
    ("POST", "/api/tasks/{task_id}/start"): {},
    ("POST", "/api/tasks/{task_id}/close"): {},
    ("POST", "/api/tasks/{task_id}/decompose"): {
        "json": {"children": [{"title": "分解", "lead_department_ids": ["dep-x"]}]}
    },
    ("GET", "/api/tasks/{task_id}/progress-reports"): {},
    ("POST", "/api/tasks/{task_id}/progress-reports"): {"data": {"percent": "10"}},
    ("GET", "/api/tasks/{task_id}/attachments/{attachment_id}"): {},
    ("GET", "/api/tasks/{task_id}/completion-requests"): {},
    ("POST", "/api/tasks/{task_id}/completion-requests"): {"data": {"summary": "完成"}},
    ("POST", "/api/tasks/{task_id}/completion-requests/{request_id}/decision"): {
        "json": {"decision": "approved"}
    },
    ("GET", "/api/tasks/{task_id}/extension-requests"): {},
    ("POST", "/api/tasks/{task_id}/extension-requests"): {
        "json": {"requested_due_on": "2030-01-01", "reason": "理由"}
    },
    ("POST", "/api/tasks/{task_id}/extension-requests/{request_id}/decision"): {
        "json": {"decision": "approved"}
    },
    ("POST", "/api/tasks/{task_id}/extension-requests/{request_id}/withdraw"): {},
    ("GET", "/api/tasks/{task_id}/supervision-notices"): {},
    ("POST", "/api/tasks/{task_id}/supervision-notices"): {
        "json": {
            "department_id": "dep-x",
            "level": "blue",
            "requirements": "要求",
            "reply_due_on": "2030-01-01",
        }
    },
    ("POST", "/api/tasks/{task_id}/supervision-notices/{notice_id}/answer"): {
        "json": {"answer": "答复"}
    },
    ("POST", "/api/tasks/{task_id}/reminders"): {"json": {"message": "催办"}},
    ("GET", "/api/tasks/{task_id}/indicators"): {},
    ("GET", "/api/tasks/{task_id}/milestones"): {},
    ("PUT", "/api/tasks/{task_id}/milestones"): {"json": {"milestones": []}},
}


def task_routes(app: Any) -> list[tuple[str, str]]:
    """Every route of the app with a task in its path (included routers too, via OpenAPI)."""
    app.openapi_schema = None  # rebuild: routes may have been added after the first build
    found = []
    for path, operations in app.openapi()["paths"].items():
        if "{task_id}" in path:
            found += [(method.upper(), path) for method in sorted(operations)]
    hidden = [
        r
        for r in app.routes
        if isinstance(r, APIRoute) and not r.include_in_schema and "{task_id}" in r.path
    ]
    assert not hidden, "task routes must be in the schema so this walk sees them"
    return found


async def test_every_task_route_refuses_another_departments_liaison(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    target = tasks["items"][0]
    involved = set(target["lead_department_ids"] + target["supporting_department_ids"])
    departments = (await api.client.get("/api/departments", headers=sup)).json()
    outsider = next(d["id"] for d in departments if d["id"] not in involved)
    stranger = await api.liaison_of(outsider)
    await api.client.post(f"/api/tasks/{target['id']}/dispatch", headers=sup)

    routes = task_routes(api.app)
    assert set(routes) == set(SAMPLES), "a new task route needs a sample request here"
    outbox_before = len(await api.outbox())
    for method, template in routes:
        path = template.format(
            task_id=target["id"], attachment_id="att-1", request_id="req-1", notice_id="ntc-1"
        )
        r = await api.client.request(method, path, headers=stranger, **SAMPLES[(method, template)])
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["detail"] == NOT_VISIBLE, (method, path)

    async with api.ledger.reading() as conn:
        denied = (
            await conn.execute(
                select(t.audit_log)
                .where(t.audit_log.c.action == "access.denied")
                .order_by(t.audit_log.c.seq)
            )
        ).all()
    assert [(d.after["method"], d.after["path"]) for d in denied] == [
        (
            m,
            p.format(
                task_id=target["id"], attachment_id="att-1", request_id="req-1", notice_id="ntc-1"
            ),
        )
        for m, p in routes
    ]
    assert {d.actor_id for d in denied} == {f"user-liaison-{outsider.removeprefix('dep-')}"}
    assert {d.entity_id for d in denied} == {target["id"]}
    assert len(await api.outbox()) == outbox_before  # nothing happened to the task
    after = (await api.client.get(f"/api/tasks/{target['id']}", headers=sup)).json()
    assert (after["status"], after["version"]) == ("dispatched", 1)

    # The same requests from the lead department pass authorization (the refusal was not
    # caused by a malformed request): whatever they answer, it is not "not visible".
    lead = await api.liaison_of(target["lead_department_ids"][0])
    for method, template in routes:
        path = template.format(
            task_id=target["id"], attachment_id="att-1", request_id="req-1", notice_id="ntc-1"
        )
        r = await api.client.request(method, path, headers=lead, **SAMPLES[(method, template)])
        assert r.status_code != 422 or "请求参数不合法" not in r.json()["detail"], (method, path)
        if r.status_code == 404:
            assert r.json()["detail"] != NOT_VISIBLE, (method, path)

    # Lists never show another department's task either.
    mine = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=stranger)).json()
    assert target["id"] not in {x["id"] for x in mine["items"]}


async def create_supervisor(
    api: Api, admin: dict[str, str], username: str, plan_ids: list[str]
) -> Any:
    """An admin creates a supervisor over `plan_ids` (password "scoped-pass")."""
    return await api.client.post(
        "/api/users",
        json={
            "username": username,
            "display_name": "方案督查",
            "role": "supervisor",
            "password": "scoped-pass",
            "plan_ids": plan_ids,
        },
        headers=admin,
    )


async def test_a_supervisor_limited_to_one_plan_sees_and_acts_only_on_it(api: Api) -> None:
    """督查 over a plan scope: another plan's tasks are as invisible as to an outsider."""
    seeds = sorted(SEED_FILE.parent.glob("*.txt"))
    first = (await api.import_seed(seeds[0]))["result"]["plan_ids"][0]
    other = (await api.import_seed(seeds[1]))["result"]["plan_ids"][0]
    admin = await api.login("admin")
    r = await create_supervisor(api, admin, "scoped", [first])
    assert r.status_code == 201 and r.json()["plan_ids"] == [first], r.text
    scoped = await api.login("scoped", "scoped-pass")

    listed = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=scoped)).json()
    assert listed["total"] > 0 and {x["plan_id"] for x in listed["items"]} == {first}
    plans = (await api.client.get("/api/plans", headers=scoped)).json()
    assert [p["id"] for p in plans] == [first]
    r = await api.client.get(
        "/api/reports/monthly", params={"plan": other, "month": "2025-06"}, headers=scoped
    )
    assert r.status_code == 404
    r = await api.client.get(
        "/api/reports/monthly", params={"plan": first, "month": "2025-06"}, headers=scoped
    )
    assert r.status_code == 200

    sup = await api.login("supervisor")  # unscoped: every plan
    theirs = (
        await api.client.get("/api/tasks", params={"plan_id": other, "page_size": 1}, headers=sup)
    ).json()["items"][0]
    for method, template in task_routes(api.app):
        path = template.format(
            task_id=theirs["id"], attachment_id="att-1", request_id="req-1", notice_id="ntc-1"
        )
        r = await api.client.request(method, path, headers=scoped, **SAMPLES[(method, template)])
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    r = await api.client.post(f"/api/tasks/{listed['items'][0]['id']}/dispatch", headers=scoped)
    assert r.status_code == 200, r.text

    # A scope names existing plans, and only supervisors and leadership members have one.
    r = await create_supervisor(api, admin, "bad-scope", ["plan-nope"])
    assert r.status_code in (400, 409, 422) and "方案不存在" in r.json()["detail"], r.text


async def test_a_scoped_supervisor_oversees_the_plans_they_import(api: Api) -> None:
    seeds = sorted(SEED_FILE.parent.glob("*.txt"))
    first = (await api.import_seed(seeds[0]))["result"]["plan_ids"][0]
    admin = await api.login("admin")
    r = await create_supervisor(api, admin, "importer", [first])
    assert r.status_code == 201, r.text
    importer = await api.login("importer", "scoped-pass")
    path = seeds[1]
    r = await api.client.post(
        "/api/imports",
        files={"file": (path.name, path.read_bytes(), "text/plain")},
        headers=importer,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(f"/api/imports/{r.json()['import_id']}/confirm", headers=importer)
    assert r.status_code == 200, r.text
    new_plan = r.json()["plan_ids"][0]
    plans = (await api.client.get("/api/plans", headers=importer)).json()
    assert {p["id"] for p in plans} == {first, new_plan}
    upserts = [Envelope.from_bytes(row.body) for row in await api.outbox("directory.user_upserted")]
    assert upserts[-1].payload["plan_ids"] == [first, new_plan]


# A request each import route accepts (the import id comes from the path).
IMPORT_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/imports/{import_id}"): {},
    ("GET", "/api/imports/{import_id}/documents/{document}/measures"): {},
    ("POST", "/api/imports/{import_id}/confirm"): {},
    ("PATCH", "/api/imports/{import_id}/measures/{measure_id}/indicators/{key}"): {
        "json": {"target": 30}
    },
    ("POST", "/api/imports/{import_id}/indicator-conflicts"): {
        "json": {"name": "国家级劳务品牌", "choice": "first"}
    },
    ("PUT", "/api/imports/{import_id}/plans/{plan_id}/superior"): {
        "json": {"superior_plan_id": None}
    },
    ("POST", "/api/imports/{import_id}/plans/{plan_id}/measure-links"): {
        "json": {
            "decisions": [
                {"measure_id": "msr-x", "superior_measure_id": "msr-y", "status": "rejected"}
            ]
        }
    },
}


def import_routes(app: Any) -> list[tuple[str, str]]:
    app.openapi_schema = None
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{import_id}" in path
        for method in sorted(operations)
    ]


async def test_a_scoped_supervisor_cannot_touch_another_supervisors_import(api: Api) -> None:
    """Issue #22 (scope): a pending import belongs to its uploader; another supervisor limited
    to a plan neither lists, reads nor confirms it. Admins and unscoped supervisors see all."""
    seeds = sorted(SEED_FILE.parent.glob("*.txt"))
    first = (await api.import_seed(seeds[0]))["result"]["plan_ids"][0]
    admin = await api.login("admin")
    for name in ("owner", "other"):
        assert (await create_supervisor(api, admin, name, [first])).status_code == 201
    owner = await api.login("owner", "scoped-pass")
    other = await api.login("other", "scoped-pass")
    path = seeds[1]
    r = await api.client.post(
        "/api/imports", files={"file": (path.name, path.read_bytes(), "text/plain")}, headers=owner
    )
    assert r.status_code == 201, r.text
    pending = r.json()["import_id"]

    listed = (await api.client.get("/api/imports", headers=other)).json()
    assert pending not in {i["id"] for i in listed["items"]}
    assert path.name not in str(listed)
    routes = import_routes(api.app)
    assert set(routes) == set(IMPORT_SAMPLES), "a new import route needs a sample request here"
    for method, template in routes:
        url = template.format(
            import_id=pending, document=0, plan_id="plan-x", measure_id="msr-x", key="t-1"
        )
        r = await api.client.request(
            method, url, headers=other, **IMPORT_SAMPLES[(method, template)]
        )
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.json()["detail"] == "导入记录不存在"
    assert (await api.client.get(f"/api/imports/{pending}", headers=owner)).json()[
        "status"
    ] == "previewed"  # the refused confirm changed nothing

    mine = (await api.client.get("/api/imports", headers=owner)).json()
    assert [i["id"] for i in mine["items"]] == [pending] and mine["total"] == 1
    for everyone in (admin, await api.login("supervisor")):
        seen = (await api.client.get("/api/imports", headers=everyone)).json()
        assert pending in {i["id"] for i in seen["items"]} and seen["total"] == 2
        assert (
            await api.client.get(f"/api/imports/{pending}", headers=everyone)
        ).status_code == 200
    r = await api.client.post(f"/api/imports/{pending}/confirm", headers=owner)
    assert r.status_code == 200, r.text
    liaison = await api.liaison_of(await first_department(api, admin))
    assert (await api.client.get("/api/imports", headers=liaison)).status_code == 403


async def first_department(api: Api, headers: dict[str, str]) -> str:
    return str((await api.client.get("/api/departments", headers=headers)).json()[0]["id"])


async def test_a_liaison_decomposes_only_inside_their_province(api: Api) -> None:
    """Issue #22 (scope): a provincial liaison decomposing to a department of another province
    got 201; decomposition stays inside the decomposer's jurisdiction tree."""
    seeds = sorted(SEED_FILE.parent.glob("*.txt"))
    await api.import_seed(seeds[0])
    await api.import_seed(seeds[1])
    sup, admin = await api.login("supervisor"), await api.login("admin")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    departments = {
        d["id"]: d for d in (await api.client.get("/api/departments", headers=admin)).json()
    }
    task = next(
        x
        for x in tasks["items"]
        if departments[x["lead_department_ids"][0]]["jurisdiction"] == "广东省"
    )
    lead_dep = task["lead_department_ids"][0]
    inner_mongolia = next(d for d in departments.values() if d["jurisdiction"] == "内蒙古自治区")

    async def city(name: str, jurisdiction: str, parent: str | None) -> str:
        body = {"name": name, "jurisdiction": jurisdiction, "level": "city", "parent_id": parent}
        r = await api.client.post("/api/departments", json=body, headers=admin)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    foreign = await city("呼和浩特市人力资源和社会保障局", "呼和浩特市", inner_mongolia["id"])
    unplaced = await city("包头市人力资源和社会保障局", "包头市", None)
    qualified = await city("广东省佛山市人力资源和社会保障局", "广东省佛山市", None)
    own = await city("广州市人力资源和社会保障局", "广州市", lead_dep)

    lead = await api.liaison_of(lead_dep)
    await api.client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)
    await api.client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)

    def child(dep: str, supporting: tuple[str, ...] = ()) -> dict[str, Any]:
        return {
            "children": [
                {
                    "title": "分解落实",
                    "lead_department_ids": [dep],
                    "supporting_department_ids": list(supporting),
                    "due_on": task["due_on"],
                }
            ]
        }

    url = f"/api/tasks/{task['id']}/decompose"
    for who in (lead, sup):
        for body in (child(foreign), child(unplaced), child(own, (foreign,))):
            r = await api.client.post(url, json=body, headers=who)
            assert r.status_code == 403, r.text
            assert "管辖范围" in r.json()["detail"]
    after = (await api.client.get(f"/api/tasks/{task['id']}", headers=sup)).json()
    assert after["children"] == [] and after["version"] == 2
    r = await api.client.post(url, json=child(own), headers=lead)
    assert r.status_code == 201, r.text
    r = await api.client.post(url, json=child(qualified), headers=sup)
    assert r.status_code == 201, r.text


async def test_a_liaison_lists_only_the_plans_they_take_part_in(api: Api) -> None:
    """Issue #22 (scope): liaisons saw every plan's title through /api/plans."""
    seeds = sorted(SEED_FILE.parent.glob("*.txt"))
    first = (await api.import_seed(seeds[0]))["result"]["plan_ids"][0]
    second = (await api.import_seed(seeds[1]))["result"]["plan_ids"][0]
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    plans_of: dict[str, set[str]] = {}
    for x in tasks["items"]:
        for dep in x["lead_department_ids"] + x["supporting_department_ids"]:
            plans_of.setdefault(dep, set()).add(x["plan_id"])
    dep = next(d for d, p in plans_of.items() if p == {first})
    liaison = await api.liaison_of(dep)
    assert [p["id"] for p in (await api.client.get("/api/plans", headers=liaison)).json()] == [
        first
    ]
    everyone = {p["id"] for p in (await api.client.get("/api/plans", headers=sup)).json()}
    assert {first, second} <= everyone and len(everyone) > 1


# A request each administration route accepts, so validation passes and the role refuses.
ADMIN_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/users"): {},
    ("POST", "/api/users"): {
        "json": {
            "username": "walker",
            "display_name": "路人",
            "role": "admin",
            "password": "walker-pass",
        }
    },
    ("PATCH", "/api/users/{user_id}"): {"json": {"role": "admin"}},
    ("POST", "/api/users/{user_id}/deactivate"): {},
    ("POST", "/api/users/{user_id}/reactivate"): {},
    ("POST", "/api/users/{user_id}/password-reset"): {},
    ("POST", "/api/users/liaison-lists/preview"): {
        "files": {"file": ("名单.csv", "单位,姓名,手机\n".encode())}
    },
    ("POST", "/api/users/liaison-lists"): {
        "files": {"file": ("名单.csv", "单位,姓名,手机\n".encode())}
    },
    ("POST", "/api/departments"): {
        "json": {"name": "某单位", "jurisdiction": "某市", "level": "city"}
    },
    ("GET", "/api/departments/unstaffed"): {},
    ("PATCH", "/api/departments/{department_id}"): {"json": {"name": "改名"}},
    ("POST", "/api/departments/{department_id}/merge"): {"json": {"into_id": "dep-x"}},
}


def admin_routes(app: Any) -> list[tuple[str, str]]:
    """Every route under /api/users and /api/departments but the department list (which
    everyone reads)."""
    app.openapi_schema = None
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(("/api/users", "/api/departments")):
            found += [(m.upper(), path) for m in sorted(operations)]
    return [r for r in found if r != ("GET", "/api/departments")]


async def test_every_administration_route_refuses_everyone_but_administrators(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    task = (await api.client.get("/api/tasks", headers=sup)).json()["items"][0]
    liaison = await api.liaison_of(task["lead_department_ids"][0])
    routes = admin_routes(api.app)
    assert set(routes) == set(ADMIN_SAMPLES), "a new administration route needs a sample here"
    users_before = (await api.client.get("/api/users", headers=await api.login("admin"))).json()
    outbox_before = len(await api.outbox())
    for who in (sup, liaison):
        for method, template in routes:
            path = template.format(
                user_id="user-supervisor", department_id=task["lead_department_ids"][0]
            )
            r = await api.client.request(
                method, path, headers=who, **ADMIN_SAMPLES[(method, template)]
            )
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["detail"] == "只有管理员可以管理单位和用户", (method, path)
    assert len(await api.outbox()) == outbox_before
    admin = await api.login("admin")
    assert (await api.client.get("/api/users", headers=admin)).json() == users_before
    # The same requests pass an administrator's authorization (not refused as malformed).
    for method, template in routes:
        path = template.format(user_id="user-nobody", department_id="dep-nobody")
        r = await api.client.request(
            method, path, headers=admin, **ADMIN_SAMPLES[(method, template)]
        )
        detail = r.json().get("detail", "") if r.status_code >= 400 else ""
        assert r.status_code != 403 and "请求参数不合法" not in detail, (
            method,
            path,
            r.text,
        )
