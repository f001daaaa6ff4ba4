"""The `duban` command: one entry point for operators and developers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="督办 Duban：跨部门任务台账与督办系统", no_args_is_help=True)
plan_app = typer.Typer(help="行动方案：解析与导入", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
report_app = typer.Typer(help="月度调度报告与工作台账", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _wire_ledger_commands() -> None:
    """`duban audit verify`, `duban user create` and `duban plan import` live with the ledger."""
    from task_ledger.entrypoints import cli as ledger_cli

    app.add_typer(ledger_cli.audit_app, name="audit")
    app.add_typer(ledger_cli.user_app, name="user")
    plan_app.command("import")(ledger_cli.plan_import)


_wire_ledger_commands()


@plan_app.command("parse")
def plan_parse(
    file: Annotated[Path, typer.Argument(help="方案文件（txt / md / docx / pdf）")],
    format: Annotated[str, typer.Option("--format", help="json 或 table")] = "json",
) -> None:
    """解析行动方案，输出文件中的文件、措施、责任单位、时限与目标。"""
    from duban_planparse import PlanParseError, parse_file
    from duban_planparse.cli import format_table

    try:
        result = parse_file(file)
    except PlanParseError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    if format == "table":
        typer.echo(format_table(result))
    elif format == "json":
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        raise typer.BadParameter("--format 只能是 json 或 table")


@report_app.command("monthly")
def report_monthly(
    plan: Annotated[str, typer.Option(help="方案编号或方案名称的一部分")],
    month: Annotated[str, typer.Option(help="月份 YYYY-MM")],
    format: Annotated[str, typer.Option("--format", help="html、md 或 xlsx")] = "html",
    out: Annotated[Path | None, typer.Option(help="输出文件（默认按报告名写到当前目录）")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="台账数据库（默认取 DUBAN_DATABASE_URL）")
    ] = None,
) -> None:
    """生成某方案某月的月度调度报告（html / md）或工作台账（xlsx）。"""
    import asyncio

    from duban_common.clock import clock_from_file_setting
    from task_ledger.reports.service import monthly_report_file
    from task_ledger.reports.source import UnknownPlan
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})

    async def produce():  # type: ignore[no-untyped-def]
        ledger = Ledger(settings, clock_from_file_setting(settings.clock_file))
        try:
            return await monthly_report_file(ledger, plan, month, format)
        finally:
            await ledger.dispose()

    try:
        report = asyncio.run(produce())
    except (UnknownPlan, ValueError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    target = out or Path(report.filename)
    target.write_bytes(report.content)
    typer.echo(str(target))


@app.command("docs")
def docs(out: Annotated[Path, typer.Option(help="输出目录")] = Path("docs/generated")) -> None:
    """Write JSON Schema for every contract and an AsyncAPI document per service."""
    from duban.docs import write_asyncapi, write_contract_schemas

    written = write_contract_schemas(out / "schemas") + write_asyncapi(out / "asyncapi")
    for path in written:
        typer.echo(str(path))


@app.command("run")
def run(
    data_dir: Annotated[Path, typer.Option(help="数据目录（SQLite 库、日志、邮件）")] = Path(
        "data"
    ),
    kafka: Annotated[
        str | None, typer.Option(help="外部 Kafka 地址；不填则启动内置消息代理")
    ] = None,
) -> None:
    """启动整个系统：内置消息代理 + 台账、时限监控、通知三个服务。Ctrl-C 停止。"""
    import signal
    import time

    from duban.launcher import LaunchError, SystemLauncher

    launcher = SystemLauncher(data_dir=data_dir, kafka_bootstrap=kafka)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    typer.echo("正在启动督办系统……")
    try:
        launcher.start()
        from duban.first_start import first_start

        summary = first_start(launcher)
    except LaunchError as exc:
        launcher.stop()
        typer.echo(f"启动失败：{exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(summary)
    try:
        while not stop:
            dead = launcher.check_alive()
            if dead:
                typer.echo(f"服务 {dead} 意外退出，正在停止全部服务", err=True)
                break
            time.sleep(0.5)
    finally:
        typer.echo("正在停止……")
        launcher.stop()
        typer.echo("已停止。数据保存在 " + str(data_dir.resolve()))


@app.command("demo")
def demo(
    data_dir: Annotated[Path, typer.Option(help="演示数据目录（每次重建）")] = Path("data/demo"),
    seed: Annotated[int, typer.Option(help="随机种子，同一种子结果相同")] = 2025,
) -> None:
    """用加速的模拟时钟演示三个月的督办工作，最后生成月度报告和工作台账。"""
    from duban.demo import run_demo

    run_demo(data_dir, seed)


@app.command("broker")
def broker(port: Annotated[int, typer.Option(help="监听端口")] = 9092) -> None:
    """Run the embedded Kafka-protocol broker on loopback until Ctrl-C."""
    import sys

    from duban_common import embedded_broker

    sys.argv = ["broker", str(port)]
    embedded_broker.main()


if __name__ == "__main__":
    app()
