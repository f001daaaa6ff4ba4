"""`task_ledger.cli:app` — wired into the `duban` command as `duban audit verify` and
`duban plan import FILE`."""

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


@audit_app.command("verify")
def audit_verify(
    database_url: Annotated[
        str | None, typer.Option(help="台账数据库（默认取 DUBAN_DATABASE_URL）")
    ] = None,
) -> None:
    """校验审计记录的哈希链；有记录被改动或删除时指出第一条出错的记录。"""
    from duban_common.db import make_engine
    from task_ledger.adapters.audit import verify_chain
    from task_ledger.settings import Settings

    url = database_url or Settings().database_url

    async def run() -> object:
        engine = make_engine(url)
        try:
            return await verify_chain(engine)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    if report.ok:  # type: ignore[attr-defined]
        typer.echo(f"审计链完整：共 {report.checked} 条记录")  # type: ignore[attr-defined]
        return
    typer.echo(f"审计链已损坏：{report.reason}（第 {report.first_broken_seq} 条）", err=True)  # type: ignore[attr-defined]
    raise typer.Exit(1)


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
    if r.status_code != 200:
        raise typer.BadParameter(f"确认失败：{r.json().get('detail', r.status_code)}")
    done = r.json()
    return f"导入完成：方案 {done['plans']} 个，措施 {done['measures']} 项，任务 {done['tasks']} 项"
