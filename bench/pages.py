"""Benchmark: the server time of each ledger page with 10,000 tasks in the ledger (issue 21:
no page over 300 ms), on SQLite and on PostgreSQL.

The seed plan is imported through the service layer (departments, demo users, the plan's
measures); 10,000 tasks are then written in bulk beside it, spread over the departments, the
statuses and six months of deadlines, with a progress report on every task that has started,
child tasks under some, 600 inbox messages for the supervisor and missing monthly reports.
Each page is requested in-process through the ASGI app (httpx's ASGITransport: the figure is
the server's own time, routing, queries and rendering, without a network), signed in through
the login form like a browser; the median of REPEATS after one warm-up request is reported.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from bench.common import entry
from duban_common.clock import ManualClock
from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer import imports
from task_ledger.service_layer.directory import liaison_user_id
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

TASKS = 10_000
REPEATS = 5
SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_9108b65ab0af5f8f.txt"
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
STATUSES = [
    TaskStatus.DISPATCHED,
    TaskStatus.ACKNOWLEDGED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.IN_PROGRESS,
    TaskStatus.IN_PROGRESS,
    TaskStatus.COMPLETION_REQUESTED,
    TaskStatus.COMPLETED,
    TaskStatus.CLOSED,
]
TOPICS = ["劳务品牌", "零工市场", "技能培训", "创业担保贷款", "高校毕业生就业", "返乡入乡创业"]


def _settings(url: str, workdir: Path) -> Settings:
    return Settings(
        database_url=url,
        upload_dir=str(workdir / "uploads"),
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        environment="test",
        password_policy=False,
        run_consumers=False,
    )


async def _load(ledger: Ledger) -> dict[str, str]:
    """The seed plan, then TASKS tasks in bulk; returns ids the pages are asked for."""
    sup_row = None
    async with ledger.reading() as conn:
        sup_row = (
            await conn.execute(select(t.users).where(t.users.c.username == "supervisor"))
        ).first()
    assert sup_row is not None
    from task_ledger.adapters import repository as repo

    async with ledger.reading() as conn:
        sup = await repo.get_user(conn, sup_row.id)
    assert sup is not None
    preview = await imports.upload(ledger, sup, SEED.name, SEED.read_bytes())
    await imports.confirm(ledger, sup, preview["import_id"])
    async with ledger.reading() as conn:
        plan = (await conn.execute(select(t.plans.c.id).limit(1))).scalar_one()
        # The reported plan holds all TASKS tasks, so the report view's figure is for 10,000.
        measures = list(
            (
                await conn.execute(select(t.measures.c.id).where(t.measures.c.plan_id == plan))
            ).scalars()
        )
        deps = sorted((await conn.execute(select(t.departments.c.id))).scalars())
    tasks, roles, reports, inbox, monthly = [], [], [], [], []
    today = NOW.date()
    for i in range(TASKS):
        status = STATUSES[i % len(STATUSES)]
        lead = deps[(i * 7) % len(deps)]
        support = deps[(i * 11 + 3) % len(deps)]
        due = today + timedelta(days=(i * 37) % 180 - 60)
        tid = f"task-bench-{i:05d}"
        parent = f"task-bench-{i - 1:05d}" if i % 10 == 9 else None
        progress = 0 if status in (TaskStatus.DISPATCHED, TaskStatus.ACKNOWLEDGED) else i % 100
        tasks.append(
            {
                "id": tid,
                "plan_id": plan,
                "measure_id": measures[i % len(measures)],
                "parent_task_id": parent,
                "title": f"第{i}项：推进{TOPICS[i % len(TOPICS)]}工作",
                "lead_department_ids": [lead],
                "supporting_department_ids": [support] if support != lead else [],
                "status": status.value,
                "due_on": due,
                "original_due_on": due,
                "start_on": today - timedelta(days=90),
                "progress": progress,
                "escalation_level": None,
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        roles.append({"task_id": tid, "department_id": lead, "role": "lead"})
        if support != lead:
            roles.append({"task_id": tid, "department_id": support, "role": "supporting"})
        if progress:
            reports.append(
                {
                    "id": f"rep-bench-{i:05d}",
                    "task_id": tid,
                    "department_id": lead,
                    "author_id": liaison_user_id(lead),
                    "percent": progress,
                    "done_work": f"完成{TOPICS[(i + 1) % len(TOPICS)]}阶段工作，"
                    f"召开推进会{i % 9}次",
                    "next_steps": "继续推进",
                    "problems": "",
                    "coordination_needed": "",
                    "period": "2026-03",
                    "created_at": NOW - timedelta(hours=i % 500),
                }
            )
    for n in range(600):
        inbox.append(
            {
                "id": f"msg-bench-{n:04d}",
                "user_id": sup.id,
                "notification_id": f"ntf-bench-{n}",
                "subject": ("【催办】" if n % 3 == 0 else "【督办提醒】") + f"第{n}项任务",
                "body": "请及时办理。",
                "link": None,
                "task_ids": [f"task-bench-{n:05d}"],
                "at": NOW - timedelta(minutes=n),
                "read_at": None if n % 2 else NOW,
            }
        )
    for dep in deps[:40]:
        monthly.append(
            {
                "department_id": dep,
                "period": "2026-02",
                "report_due_on": date(2026, 2, 28),
                "requested_at": NOW,
                "missing": True,
                "consecutive_misses": 1,
                "escalation_level": None,
            }
        )
    async with ledger.transaction() as tx:
        for table, rows in (
            (t.tasks, tasks),
            (t.task_departments, roles),
            (t.progress_reports, reports),
            (t.inbox_messages, inbox),
            (t.monthly_reports, monthly),
        ):
            for k in range(0, len(rows), 2_000):
                await tx.conn.execute(insert(table), rows[k : k + 2_000])
    busiest = max(deps, key=lambda d: sum(r["department_id"] == d for r in roles))
    async with ledger.transaction() as tx:
        # Demo liaisons have readable usernames (gd-rst); their ids follow the department.
        liaison = (
            await tx.conn.execute(
                select(t.users.c.username).where(t.users.c.id == liaison_user_id(busiest))
            )
        ).scalar_one()
    return {"plan": plan, "liaison": liaison, "task": "task-bench-00008"}


async def _login(client: httpx.AsyncClient, username: str, password: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, (r.status_code, r.text[:300])


async def _time(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (the server's Python and, on
    SQLite, the database engine; not PostgreSQL's own processes) per request, in ms. The CPU
    figure does not move with what else runs on the machine; the wall figure does."""
    r = await client.get(url)  # warm-up (and a check that the page answers)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    wall, cpu = [], []
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        r = await client.get(url)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return statistics.median(wall), statistics.median(cpu)


async def _bench(url: str, workdir: Path, store: str) -> dict[str, Any]:
    settings = _settings(url, workdir)
    ledger = Ledger(settings, ManualClock(NOW))
    app = create_app(settings, ledger=ledger, background=False)
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        t0 = time.perf_counter()
        ids = await _load(ledger)
        if ledger.postgres:
            # Autovacuum analyzes a table after a bulk load within about a minute; until then
            # the planner takes 10,000 tasks for 9 and nests loops (a report page took 28 s).
            async with ledger.transaction() as tx:
                await tx.conn.execute(text("ANALYZE"))
        load_s = time.perf_counter() - t0
        out[f"pages.{store}.load_{TASKS}_tasks_s"] = entry(load_s, "s")
        transport = httpx.ASGITransport(app=app)
        s = settings
        users = {
            "supervisor": s.demo_supervisor_password.get_secret_value(),
            ids["liaison"]: s.demo_liaison_password.get_secret_value(),
        }
        clients = {}
        for name, password in users.items():
            client = httpx.AsyncClient(transport=transport, base_url="http://ledger")
            await _login(client, name, password)
            clients["liaison" if name != "supervisor" else "supervisor"] = client
        sup, liaison = clients["supervisor"], clients["liaison"]
        pages = [
            ("home_supervisor", sup, "/"),
            ("home_liaison", liaison, "/"),
            ("tasks_supervisor", sup, "/tasks"),
            ("tasks_liaison", liaison, "/tasks"),
            ("tasks_q", sup, "/tasks?q=零工市场"),
            ("tasks_q_measure_text", sup, "/tasks?q=劳务品牌建设专家库"),
            ("tasks_q_report_text", sup, "/tasks?q=召开推进会7次"),
            ("tasks_q_liaison", liaison, "/tasks?q=技能培训"),
            (
                "tasks_filters",
                sup,
                f"/tasks?plan={ids['plan']}&status=in_progress&due_from=2026-03-01&due_to=2026-06-30",
            ),
            ("tasks_overdue", sup, "/tasks?overdue=1"),
            ("tasks_light_red", sup, "/tasks?light=red"),
            ("tasks_page_20", sup, "/tasks?page=20"),
            ("task_page", sup, f"/tasks/{ids['task']}"),
            ("inbox", sup, "/inbox"),
            ("inbox_kind", sup, "/inbox?kind=urge&unread=1"),
            ("reports_page", sup, f"/reports?plan={ids['plan']}"),
            ("report_view", sup, f"/reports/view?plan={ids['plan']}&month=2026-03"),
            ("api_tasks_q", sup, "/api/tasks?q=零工市场"),
        ]
        token = (
            await sup.post(
                "/api/auth/login",
                json={"username": "supervisor", "password": users["supervisor"]},
            )
        ).json()["access_token"]
        only = {a.split("=", 1)[1] for a in sys.argv if a.startswith("--page=")}
        for name, client, path in pages:
            if only and name not in only:  # python -m bench.pages --page=report_view
                continue
            if path.startswith("/api/"):
                client = httpx.AsyncClient(
                    transport=transport,
                    base_url="http://ledger",
                    headers={"Authorization": f"Bearer {token}"},
                )
            wall, cpu = await _time(client, path)
            out[f"pages.{store}.{name}_ms"] = entry(wall, "ms")
            out[f"pages.{store}.{name}_cpu_ms"] = entry(cpu, "ms")
        for client in clients.values():
            await client.aclose()
    return out


def run(ctx: Any) -> dict[str, Any]:
    workdir = Path(ctx.workdir) / f"pages-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)
    results = asyncio.run(_bench(f"sqlite:///{workdir / 'ledger.db'}", workdir, "sqlite"))
    if ctx.postgres_url:
        results.update(asyncio.run(_bench(ctx.postgres_url, workdir, "postgres")))
    return results


if __name__ == "__main__":  # python -m bench.pages: this benchmark alone, printed
    import contextlib
    import tempfile

    from bench.common import BenchContext, database_if_any

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pg = stack.enter_context(database_if_any()) if "--postgres" in sys.argv else None
        for key, value in run(BenchContext("", pg, tmp, {})).items():
            print(f"{key:<48} {value['value']:>10,.1f} {value['unit']}")
