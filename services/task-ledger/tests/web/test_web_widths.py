"""No page is wider than a phone: every page a supervisor and a liaison open, at 390×844,
has no horizontal overflow (long plan titles in <select>s and tables used to push the supervisor
home to 559 px and the report page to 595 px). Screenshots at both sizes for a person to look at.
"""

from __future__ import annotations

import pytest

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.service_layer import handlers as h

pytestmark = pytest.mark.e2e

PHONE = 390


def a_dispatched_task(ledger_server):  # type: ignore[no-untyped-def]
    """A task of the seeded plan its lead liaison sees: one the other page tests dispatched,
    else a draft dispatched here (the page tests take drafts of given lead departments)."""

    supervisor = ledger_server.supervisor  # read here: call() from the server's loop would block it

    async def find() -> str:
        async with ledger_server.ledger.reading() as conn:
            tasks = await repo.list_tasks(conn, repo.TaskFilter(plan_id=ledger_server.plan_id))
        open_ = [x for x in tasks if x.status is not TaskStatus.DRAFT]
        if open_:
            return open_[0].id
        task = tasks[-1]
        await h.dispatch(ledger_server.ledger, supervisor, task.id)
        return task.id

    return ledger_server.task(ledger_server.call(find()))


def test_no_page_is_wider_than_a_phone(ledger_server, browsers, shot) -> None:
    task = a_dispatched_task(ledger_server)
    lead = ledger_server.liaison_username(task.lead_department_ids[0])
    plan = ledger_server.plan_id
    pages = {
        "supervisor": [
            "/",
            "/tasks",
            f"/tasks/{task.id}",
            "/inbox",
            "/imports",
            "/reports",
            f"/reports/view?plan={plan}",
        ],
        lead: ["/", "/tasks", f"/tasks/{task.id}", "/inbox"],
    }
    too_wide = []
    for user, paths in pages.items():
        for mobile in (True, False):
            page = browsers.login(user, mobile=mobile)
            for path in paths:
                page.goto(path)
                width = page.evaluate("document.documentElement.scrollWidth")
                viewport = page.viewport_size or {"width": 0}
                name = f"width-{user.split('-')[0]}-{path.strip('/').split('?')[0].replace('/', '-') or 'home'}"
                shot(page, f"{name}-{viewport['width']}")
                if width > viewport["width"]:
                    too_wide.append((user, path, viewport["width"], width))
    assert not too_wide, f"pages wider than the viewport (user, page, viewport, width): {too_wide}"
