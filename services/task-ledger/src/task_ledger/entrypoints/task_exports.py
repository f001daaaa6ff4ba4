"""The current filtered task list as a download (.csv / .xlsx), shared by the API and the
pages; the list is the one `queries.find_tasks` gives the user, so nobody exports a task
they could not see."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from duban_common.calendar import china_calendar
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import Task, User
from task_ledger.entrypoints.responses import TaskOut
from task_ledger.service_layer import queries, task_list_files
from task_ledger.service_layer.uow import Ledger

ExportFormat = task_list_files.ExportFormat
MAX_ROWS = 20_000
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def rows_of(
    ledger: Ledger, tasks: list[Task], names: dict[str, str], plans: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Tasks as the pages and the exports show them: the API's task fields, department (and
    plan) names, days late."""
    today = ledger.today()
    out = []
    for task in tasks:
        v = TaskOut.of(task, today, ledger.settings.warning_days).model_dump()
        v["lead_names"] = [names.get(d, d) for d in task.lead_department_ids]
        v["supporting_names"] = [names.get(d, d) for d in task.supporting_department_ids]
        v["plan_title"] = (plans or {}).get(task.plan_id, "")
        # Working days, as the watcher's 逾期 reminders and the monthly report count them.
        v["days_late"] = 0
        if v["overdue"] and task.due_on is not None:
            v["days_late"] = china_calendar().working_days_between(task.due_on, today)
        out.append(v)
    return out


async def task_list_file(
    ledger: Ledger, user: User, search: queries.TaskSearch, fmt: ExportFormat
) -> Response:
    total, tasks = await queries.find_tasks(ledger, user, search, 0, MAX_ROWS)
    if total > MAX_ROWS:
        raise DomainError(
            f"符合条件的任务有 {total} 项，一次最多导出 {MAX_ROWS} 项，请缩小筛选范围"
        )
    async with ledger.reading() as conn:
        names = await queries.department_names(conn)
        plans = {p.id: p.title for p in await queries.plans(conn)}
    rows = rows_of(ledger, tasks, names, plans)
    content = task_list_files.render(rows, fmt)
    filename = f"任务清单-{ledger.today().isoformat()}.{fmt}"
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
