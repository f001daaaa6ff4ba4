"""The home pages' dashboards (service_layer/dashboards.py): lists of what awaits an answer."""

from __future__ import annotations

import pytest
from ledger_helpers import Api, first_task

from task_ledger.service_layer import dashboards

pytestmark = pytest.mark.integration


async def test_open_notices_are_a_departments_own_and_a_supervisors_within_scope(
    api: Api,
) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    task = await first_task(api, sup)
    tid, plan = task["id"], task["plan_id"]
    lead_dep, support_dep = task["lead_department_ids"][0], task["supporting_department_ids"][0]
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    ids = {}
    for dep in (lead_dep, support_dep):
        r = await api.client.post(
            f"/api/tasks/{tid}/supervision-notices",
            json={
                "department_id": dep,
                "level": "orange",
                "requirements": "报送整改方案",
                "reply_due_on": "2025-06-05",
            },
            headers=sup,
        )
        assert r.status_code == 201, r.text
        ids[dep] = r.json()["id"]
    async with api.ledger.reading() as conn:  # both unanswered: each department its own
        theirs = await dashboards.notices_for_department(conn, support_dep)
    assert [n.id for n in theirs] == [ids[support_dep]]
    support = await api.liaison_of(support_dep)
    r = await api.client.post(
        f"/api/tasks/{tid}/supervision-notices/{ids[support_dep]}/answer",
        json={"answer": "已报送"},
        headers=support,
    )
    assert r.status_code == 200

    async with api.ledger.reading() as conn:
        mine = await dashboards.notices_for_department(conn, lead_dep)
        answered_dep = await dashboards.notices_for_department(conn, support_dep)
        in_scope = await dashboards.open_notices(conn, (plan,))
        elsewhere = await dashboards.open_notices(conn, ("plan-of-nobody",))
    assert [(n.id, n.task_title) for n in mine] == [(ids[lead_dep], task["title"])]
    assert answered_dep == []  # answered: off the list
    assert [n.id for n in in_scope] == [ids[lead_dep]]
    assert elsewhere == []
