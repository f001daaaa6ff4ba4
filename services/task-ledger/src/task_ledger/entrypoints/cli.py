"""`task_ledger.entrypoints.cli:app` (`python -m task_ledger.entrypoints.cli`), wired into the
`duban` command as `duban audit verify`, `duban user create` and `duban plan import FILE`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="督办台账：审计与方案导入", no_args_is_help=True)
audit_app = typer.Typer(help="审计记录", no_args_is_help=True)
plan_app = typer.Typer(help="行动方案", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(plan_app, name="plan")
user_app = typer.Typer(help="用户", no_args_is_help=True)
app.add_typer(user_app, name="user")


@audit_app.command("verify")
def audit_verify(
    database_url: Annotated[
        str | None, typer.Option(help="台账数据库（默认取 DUBAN_DATABASE_URL）")
    ] = None,
) -> None:
    """校验审计记录的哈希链；有记录被改动或删除时指出第一条出错的记录。"""
    from task_ledger.service_layer.audit import verify_audit_trail
    from task_ledger.settings import Settings

    report = asyncio.run(verify_audit_trail(database_url or Settings().database_url))
    if report.ok:
        typer.echo(f"审计链完整：共 {report.checked} 条记录")
        return
    typer.echo(f"审计链已损坏：{report.reason}（第 {report.first_broken_seq} 条）", err=True)
    raise typer.Exit(1)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="登录名")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="密码（须符合策略）")],
    role: Annotated[str, typer.Option(help="admin / supervisor / leadership / liaison")] = "admin",
    display_name: Annotated[str, typer.Option(help="显示名")] = "系统管理员",
    department_id: Annotated[str | None, typer.Option(help="所属单位（联络员必填）")] = None,
    plan: Annotated[
        list[str] | None, typer.Option(help="督办方案范围（可多次；不填为全部方案）")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="台账数据库")] = None,
) -> None:
    """直接在台账数据库中创建用户（生产环境不生成演示账号，首个管理员由此创建）。"""
    from pydantic import TypeAdapter, ValidationError

    from duban_common.migrations import upgrade
    from duban_contracts.vocabulary import Role
    from task_ledger.bootstrap import MIGRATIONS
    from task_ledger.domain.errors import DomainError
    from task_ledger.domain.model import User
    from task_ledger.entrypoints.schemas import Username
    from task_ledger.service_layer.directory import create_user, user_id
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    try:
        TypeAdapter(Username).validate_python(username)
    except ValidationError:
        raise typer.BadParameter(
            "用户名只能由英文字母、数字和 . _ - 组成，并以字母或数字开头"
        ) from None
    settings = Settings(database_url=database_url) if database_url else Settings()
    upgrade(settings.database_url, MIGRATIONS)
    user = User(
        user_id(username),
        username,
        display_name,
        Role(role),
        department_id,
        plan_ids=tuple(dict.fromkeys(plan or ())),
    )
    operator = User("cli", "cli", "命令行", Role.ADMIN)

    async def run() -> None:
        ledger = Ledger(settings)
        try:
            await create_user(ledger, operator, user, password)
        finally:
            await ledger.dispose()

    try:
        asyncio.run(run())
    except DomainError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"已创建用户 {username}（{user.role.label}）")


@plan_app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(help="方案文件（txt / md / docx / pdf）", exists=True)],
    url: Annotated[str, typer.Option(help="台账服务地址")] = "http://127.0.0.1:8000",
    username: Annotated[str, typer.Option(help="督查人员账号")] = "supervisor",
    password: Annotated[
        str, typer.Option(help="密码", envvar="DUBAN_DEMO_SUPERVISOR_PASSWORD")
    ] = "supervisor-demo",
    yes: Annotated[bool, typer.Option("--yes", help="不预览，直接确认导入")] = False,
) -> None:
    """把方案文件上传到运行中的台账服务：预览解析结果，确认后立项。"""
    import httpx

    with httpx.Client(base_url=url, timeout=120) as client:
        result = import_plan(client, file, username, password, confirm=None if yes else _ask)
    typer.echo(result)


def _ask(preview: dict) -> bool:  # type: ignore[type-arg]
    for doc in preview["documents"]:
        typer.echo(f"《{doc['title']}》：{doc['task_count']} 项任务")
        if doc["unknown_departments"]:
            typer.echo(f"  未登记的单位：{'、'.join(doc['unknown_departments'])}")
    return typer.confirm("确认导入？")


def import_plan(client, file: Path, username: str, password: str, confirm=None) -> str:  # type: ignore[no-untyped-def]
    """Login, upload, (optionally ask), confirm. Returns a one-line Chinese summary."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    if r.status_code != 200:
        raise typer.BadParameter(f"登录失败：{r.json().get('detail', r.status_code)}")
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = client.post("/api/imports", files={"file": (file.name, file.read_bytes())}, headers=headers)
    if r.status_code != 201:
        raise typer.BadParameter(f"上传失败：{r.json().get('detail', r.status_code)}")
    preview = r.json()
    if confirm is not None and not confirm(preview):
        return "已取消"
    r = client.post(f"/api/imports/{preview['import_id']}/confirm", headers=headers)
    if r.status_code == 202:  # a large plan: confirmed by a background job
        return _follow(client, preview["import_id"], headers)
    if r.status_code != 200:
        raise typer.BadParameter(f"确认失败：{r.json().get('detail', r.status_code)}")
    done = r.json()
    return f"导入完成：方案 {done['plans']} 个，措施 {done['measures']} 项，任务 {done['tasks']} 项"


def _follow(client, import_id: str, headers: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """Wait for a background import, showing its progress."""
    import time

    while True:
        state = client.get(f"/api/imports/{import_id}", headers=headers).json()
        progress = state.get("progress") or {}
        if state["status"] == "confirmed":
            return f"导入完成（后台）：措施 {progress.get('total', 0)} 项"
        if state.get("job_error"):
            raise typer.BadParameter(state["job_error"])
        typer.echo(f"后台导入中：{progress.get('done', 0)} / {progress.get('total', 0)}")
        time.sleep(2)


if __name__ == "__main__":
    app()
