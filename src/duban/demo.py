"""`make demo`: three simulated months of 督办 work against the real services.

The launcher starts the broker and the three services on a fresh data directory with a
shared simulated clock; the script then moves the clock step by step (a week, the monthly
dispatch day, the report deadline, ...) and acts like the people would, through the ledger's
API: dispatch, acknowledge, progress reports (some departments diligent, some not), extension
requests, completions approved and returned, supervision notices and answers. The watcher's
reminders and escalations and the notifier's deliveries happen on their own. At the end the
monthly reports and the Excel ledger are written and a short summary is printed.

Every choice comes from a seeded random generator, so a run is reproducible.
"""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from duban.demo_summary import summary_lines
from duban.first_start import first_start
from duban.launcher import SystemLauncher
from duban_common.clock import CHINA, FileClock

START = date(2025, 11, 3)  # a Monday; the seed plans' tasks are due 2025-12-31
MONTHS = ("2025-11", "2025-12", "2026-01")
SETTLE_SECONDS = 3.0  # let timers fire and events travel after each clock move
HEAD_PASSWORD = "Fenguan#Lingdao-2025"  # the demo's department heads (分管领导), one per department


@dataclass
class Actor:
    """One logged-in person talking to the ledger API."""

    http: httpx.Client
    username: str

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, **kwargs: Any) -> Any:
        r = self.http.post(path, **kwargs)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.username} POST {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None


def _evidence(task: dict) -> list[tuple[str, tuple[str, bytes, str]]]:
    """An evidence file (佐证材料) for 申请办结, which needs at least one."""
    text = f"{task['title']}\n办结佐证：相关文件已印发，工作台账已建立。\n"
    return [("files", ("办结佐证材料.txt", text.encode(), "text/plain"))]


@dataclass
class Demo:
    launcher: SystemLauncher
    seed: int = 2025
    console: Console = field(default_factory=Console)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rnd = random.Random(self.seed)
        self.base = self.launcher.url("task-ledger")
        self.actors: dict[str, Actor] = {}

    def actor(self, username: str, password: str) -> Actor:
        if username not in self.actors:
            http = httpx.Client(base_url=self.base, timeout=60)
            r = http.post("/api/auth/login", json={"username": username, "password": password})
            r.raise_for_status()
            http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            self.actors[username] = Actor(http, username)
        return self.actors[username]

    def liaison(self, department_id: str) -> Actor | None:
        """The department's demo liaison (readable username, e.g. gd-rst; liaisons loaded from
        a list have their own passwords); collective parties (各部门) have none."""
        if not hasattr(self, "_liaisons"):
            users = self.actor("admin", "admin-demo").get("/api/users?role=liaison")
            self._liaisons = {
                u["department_id"]: u["username"]
                for u in users
                if u["id"].startswith("user-liaison-")
            }
        username = self._liaisons.get(department_id)
        return self.actor(username, "liaison-demo") if username else None

    def at(self, day: date, hour: int = 10) -> None:
        FileClock.write(
            self.launcher.clock_file, datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)
        )
        time.sleep(SETTLE_SECONDS)

    # --- the script -----------------------------------------------------------------------

    def run(self) -> None:
        sup = self.actor("supervisor", "supervisor-demo")
        tasks = sup.get("/api/tasks", page_size=200)["items"]
        leads = sorted({t["lead_department_ids"][0] for t in tasks})
        self._add_department_heads(leads)
        # A third of the departments are slack: they skip monthly reports.
        slack = set(self.rnd.sample(leads, max(1, len(leads) // 3)))
        steps = self._calendar()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
        ) as progress:
            bar = progress.add_task("模拟三个月的督办工作", total=len(steps))
            for day, action in steps:
                progress.update(bar, description=f"{day} {action}")
                self.at(day)
                getattr(self, f"_{action}")(sup, tasks, slack, day)
                progress.advance(bar)

    def _add_department_heads(self, departments: list[str]) -> None:
        """橙 and 红 reach the lead department's head: the demo has one per department."""
        admin = self.actor("admin", "admin-demo")
        for department_id in departments:
            username = f"head-{department_id.removeprefix('dep-')}"[:64]
            body = {
                "username": username,
                "display_name": "分管领导",
                "role": "department_head",
                "department_id": department_id,
                "password": HEAD_PASSWORD,
            }
            r = admin.http.post("/api/users", json=body)
            if r.status_code == 429:  # the per-minute limit on new users: wait it out once
                time.sleep(float(r.headers.get("Retry-After", "60")) + 1)
                r = admin.http.post("/api/users", json=body)
            if r.status_code >= 400:
                raise RuntimeError(f"admin POST /api/users: {r.status_code} {r.text[:300]}")
            self.counts["部门负责人"] += 1

    def _calendar(self) -> list[tuple[date, str]]:
        steps: list[tuple[date, str]] = [(START, "dispatch")]
        day = START
        while day < date(2026, 1, 23):
            day += timedelta(days=7)
            steps.append((day, "weekly_work"))
        for month in MONTHS:
            y, m = (int(p) for p in month.split("-"))
            steps.append((date(y, m, 20), "monthly_dispatch"))
            steps.append((date(y, m, 29), "after_report_deadline"))
        steps += [(date(2025, 12, 15), "completions"), (date(2026, 1, 8), "supervise")]
        steps.sort()
        return steps

    def _dispatch(self, sup: Actor, tasks: list[dict], slack: set[str], day: date) -> None:
        for t in tasks:
            sup.post(f"/api/tasks/{t['id']}/dispatch")
            self.counts["交办"] += 1
            lead = self.liaison(t["lead_department_ids"][0])
            if lead is not None:
                lead.post(f"/api/tasks/{t['id']}/acknowledge")
                self.counts["签收"] += 1

    def _report(self, t: dict, day: date, step: int) -> None:
        who = self.liaison(t["lead_department_ids"][0])
        if who is None:
            return
        current = who.get(f"/api/tasks/{t['id']}")
        if current["status"] not in ("acknowledged", "in_progress", "returned"):
            return
        percent = min(95, current["progress"] + step)
        who.post(
            f"/api/tasks/{t['id']}/progress-reports",
            data={
                "percent": str(percent),
                "period": day.strftime("%Y-%m"),
                "done_work": f"截至{day:%m月%d日}，{t['title'][:20]}等工作完成约{percent}%",
                "next_steps": "继续推进，按月报送进展",
                "problems": "" if percent > 50 else "部分市县进度偏慢",
            },
        )
        self.counts["进展填报"] += 1

    def _weekly_work(self, sup: Actor, tasks: list[dict], slack: set[str], day: date) -> None:
        for t in tasks:
            if t["lead_department_ids"][0] not in slack and self.rnd.random() < 0.5:
                self._report(t, day, self.rnd.randint(5, 15))

    def _monthly_dispatch(self, sup: Actor, tasks: list[dict], slack: set[str], day: date) -> None:
        for t in tasks:
            if t["lead_department_ids"][0] not in slack:
                self._report(t, day, self.rnd.randint(3, 8))

    def _after_report_deadline(self, *_: Any) -> None:
        """Nothing to do: the watcher flags missing monthly reports by itself."""

    def _completions(self, sup: Actor, tasks: list[dict], slack: set[str], day: date) -> None:
        diligent = [
            t
            for t in tasks
            if t["lead_department_ids"][0] not in slack
            and self.liaison(t["lead_department_ids"][0])
        ]
        for i, t in enumerate(diligent[:4]):
            who = self.liaison(t["lead_department_ids"][0])
            assert who is not None
            self._report(t, day, 100)
            req = who.post(
                f"/api/tasks/{t['id']}/completion-requests",
                data={"summary": "各项工作已完成，佐证材料已上传"},
                files=_evidence(t),
            )
            if i == 0:  # returned once, then approved
                sup.post(
                    f"/api/tasks/{t['id']}/completion-requests/{req['id']}/decision",
                    json={"decision": "rejected", "comment": "佐证材料不全，请补充"},
                )
                self.counts["办结退回"] += 1
                req = who.post(
                    f"/api/tasks/{t['id']}/completion-requests",
                    data={"summary": "已补充佐证材料"},
                    files=_evidence(t),
                )
            sup.post(
                f"/api/tasks/{t['id']}/completion-requests/{req['id']}/decision",
                json={"decision": "approved"},
            )
            self.counts["办结"] += 1
            if i == 1:
                sup.post(f"/api/tasks/{t['id']}/close")
                self.counts["销号"] += 1
        # One slack department asks for more time before the due date: refused at first,
        # granted on a better reason.
        for t in tasks:
            who = self.liaison(t["lead_department_ids"][0])
            if t["lead_department_ids"][0] in slack and who is not None:
                ext = who.post(
                    f"/api/tasks/{t['id']}/extension-requests",
                    json={"requested_due_on": "2026-06-30", "reason": "工作量较大"},
                )
                sup.post(
                    f"/api/tasks/{t['id']}/extension-requests/{ext['id']}/decision",
                    json={"decision": "rejected", "comment": "理由不充分，请细化资金缺口后再申请"},
                )
                self.counts["延期不同意"] += 1
                ext = who.post(
                    f"/api/tasks/{t['id']}/extension-requests",
                    json={"requested_due_on": "2026-03-31", "reason": "需协调跨部门资金"},
                )
                sup.post(
                    f"/api/tasks/{t['id']}/extension-requests/{ext['id']}/decision",
                    json={"decision": "approved", "comment": "同意延期至3月底"},
                )
                self.counts["延期批准"] += 1
                break

    def _supervise(self, sup: Actor, tasks: list[dict], slack: set[str], day: date) -> None:
        overdue = sup.get("/api/tasks", overdue="true", page_size=200)["items"]
        for t in overdue[:5]:
            dep = t["lead_department_ids"][0]
            notice = sup.post(
                f"/api/tasks/{t['id']}/supervision-notices",
                json={
                    "department_id": dep,
                    "level": "orange",
                    "requirements": "任务已逾期，请于三个工作日内书面说明原因并报送整改措施",
                    "reply_due_on": (day + timedelta(days=5)).isoformat(),
                },
            )
            self.counts["督办单"] += 1
            answerer = self.liaison(dep)
            if dep not in slack and answerer is not None:
                answerer.post(
                    f"/api/tasks/{t['id']}/supervision-notices/{notice['id']}/answer",
                    json={"answer": "已召开专题会部署整改，月底前完成"},
                )
                self.counts["督办单已回复"] += 1

    # --- the end --------------------------------------------------------------------------

    def write_reports(self, out: Path) -> list[Path]:
        sup = self.actor("supervisor", "supervisor-demo")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for plan in sup.get("/api/plans"):
            for month in MONTHS:
                for fmt in ("html", "md"):
                    r = sup.http.get(
                        "/api/reports/monthly",
                        params={"plan": plan["id"], "month": month, "format": fmt},
                    )
                    r.raise_for_status()
                    path = out / f"{plan['id']}-{month}-月度调度报告.{fmt}"
                    path.write_bytes(r.content)
                    written.append(path)
            r = sup.http.get(
                "/api/reports/monthly",
                params={"plan": plan["id"], "month": MONTHS[-1], "format": "xlsx"},
            )
            r.raise_for_status()
            path = out / f"{plan['id']}-工作台账.xlsx"
            path.write_bytes(r.content)
            written.append(path)
        return written

    def summary(self) -> dict[str, int]:
        sup = self.actor("supervisor", "supervisor-demo")
        tasks = sup.get("/api/tasks", page_size=200)["items"]
        kinds: Counter[str] = Counter()
        for t in tasks:
            kinds.update(e["kind"] for e in sup.get(f"/api/tasks/{t['id']}/timeline"))
        statuses = Counter(t["status"] for t in tasks)
        return {
            **self.counts,
            "任务总数": len(tasks),
            "已办结或销号": statuses["completed"] + statuses["closed"],
            "到期提醒": kinds["reminder"],
            "逾期提醒": kinds["overdue"],
            "升级督办": kinds["escalation"],
            "送达记录": kinds["delivered"],
            "邮件": len(list((self.launcher.data_dir / "mail").rglob("*.eml"))),
        }


def run_demo(data_dir: Path, seed: int = 2025) -> None:
    console = Console()
    if data_dir.exists():
        shutil.rmtree(data_dir)  # a demo always starts from nothing, so it is reproducible
    FileClock.write(
        data_dir / "clock.json", datetime(START.year, START.month, START.day, 9, tzinfo=CHINA)
    )
    with console.status("启动消息代理和三个服务……"):
        launcher = SystemLauncher(data_dir=data_dir).start()
    try:
        console.print(first_start(launcher))
        demo = Demo(launcher, seed, console)
        demo.run()
        with console.status("生成月度调度报告和工作台账……"):
            written = demo.write_reports(data_dir / "reports")
        console.print(f"\n[bold]报告[/]（{len(written)} 个文件）：{data_dir / 'reports'}")
        console.print("[bold]演示小结[/]")
        for name, value in demo.summary().items():
            console.print(f"  {name}：{value}")
        console.print("[bold]谁收到了什么[/]")
        for line in summary_lines(data_dir / "notifier.db"):
            console.print(f"  {line}")
    finally:
        launcher.stop()
