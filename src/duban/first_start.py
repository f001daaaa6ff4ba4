"""What `duban run` does once the services are up: import the seed plans on the first start
(through the ledger's own import API, like a person would) and say how to log in."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from duban.launcher import LaunchError, SystemLauncher

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class LedgerClient:
    """A tiny JSON client for the ledger API (standard library only)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise LaunchError(f"{method} {path} 失败（{exc.code}）：{detail[:500]}") from None
        return json.loads(payload) if payload else None

    def login(self, username: str, password: str) -> None:
        self.token = self.request(
            "POST", "/api/auth/login", {"username": username, "password": password}
        )["access_token"]

    def upload(self, path: str, file: Path) -> Any:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file.name}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + file.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", path, raw=body, content_type=f"multipart/form-data; boundary={boundary}"
        )


def import_plans(client: LedgerClient, files: list[Path]) -> int:
    """Upload, preview and confirm each file; returns how many tasks were created."""
    created = 0
    for file in files:
        preview = client.upload("/api/imports", file)
        result = client.request("POST", f"/api/imports/{preview['import_id']}/confirm")
        created += int(result.get("tasks", 0))
    return created


def first_start(launcher: SystemLauncher) -> str:
    from task_ledger.settings import Settings

    settings = Settings()
    base = launcher.url("task-ledger")
    client = LedgerClient(base)
    client.login("admin", settings.demo_admin_password.get_secret_value())
    lines = []
    if not client.request("GET", "/api/plans"):
        tasks = import_plans(client, sorted(SEEDS.glob("*.txt")))
        lines.append(f"首次启动：已导入种子方案，生成 {tasks} 项任务。")
    liaisons = liaison_accounts(client)
    password = settings.demo_liaison_password.get_secret_value()
    accounts = launcher.data_dir / "demo-accounts.txt"
    accounts.write_text(
        "用户名\t单位\t地区\n"
        + "".join(f"{u['username']}\t{u['department']}\t{u['jurisdiction']}\n" for u in liaisons),
        encoding="utf-8",
    )
    leading = [u for u in liaisons if u["leads"]]
    lines += [
        "",
        f"督办系统已启动：{base}/ （接口文档 {base}/docs）",
        f"数据目录：{launcher.data_dir}",
        "演示账号：",
        f"  督查    supervisor / {settings.demo_supervisor_password.get_secret_value()}",
        f"  管理员  admin / {settings.demo_admin_password.get_secret_value()}",
        f"  联络员（密码均为 {password}），牵头任务的单位：",
    ]
    width = max((len(u["username"]) for u in leading[:SHOWN]), default=0)
    lines += [f"    {u['username']:<{width}}  {u['department']}" for u in leading[:SHOWN]]
    if len(leading) > SHOWN:
        lines.append(f"    ……另有 {len(leading) - SHOWN} 个牵头单位")
    lines.append(f"  每个单位各有一名联络员，共 {len(liaisons)} 个账号，全部列在 {accounts}")
    lines.append("按 Ctrl-C 停止。")
    return "\n".join(lines)


SHOWN = 30  # liaisons printed at start; the whole list goes to demo-accounts.txt


def liaison_accounts(client: LedgerClient) -> list[dict[str, Any]]:
    """Every active liaison with its department, those whose department leads a task first
    (the accounts one logs in with to try the system); usernames are readable and stable
    (seeded once, e.g. gd-rst for 广东省人力资源和社会保障厅)."""
    deps = {d["id"]: d for d in client.request("GET", "/api/departments")}
    leads: set[str] = set()
    page = 1
    while page <= 50:  # the seed plans hold a few hundred tasks
        found = client.request("GET", f"/api/tasks?page_size=200&page={page}")
        for task in found["items"]:
            leads.update(task["lead_department_ids"])
        if page * 200 >= found["total"]:
            break
        page += 1
    out = []
    for u in client.request("GET", "/api/users?role=liaison&active=true"):
        dep = deps.get(u.get("department_id") or "")
        if dep is None:
            continue
        out.append(
            {
                "username": u["username"],
                "department": dep["name"],
                "jurisdiction": dep["jurisdiction"],
                "leads": dep["id"] in leads,
            }
        )
    out.sort(key=lambda u: (not u["leads"], u["jurisdiction"], u["username"]))
    return out
