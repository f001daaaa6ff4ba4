"""The `duban` command: one entry point for operators and developers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="督办 Duban：跨部门任务台账与督办系统", no_args_is_help=True)
plan_app = typer.Typer(help="行动方案：解析与导入", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
report_app = typer.Typer(help="月度调度报告与工作台账", no_args_is_help=True)
app.add_typer(report_app, name="report")
deadletter_app = typer.Typer(help="死信：查看与重放（duban.deadletter）", no_args_is_help=True)
app.add_typer(deadletter_app, name="deadletter")

KafkaOption = Annotated[
    str | None, typer.Option("--kafka", help="Kafka 地址（默认取 DUBAN_KAFKA_BOOTSTRAP_SERVERS）")
]


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


@plan_app.command("cascade")
def plan_cascade(
    files: Annotated[list[Path], typer.Argument(help="方案文件（txt / md / docx / pdf），可多个")],
    format: Annotated[str, typer.Option("--format", help="json 或 table")] = "json",
) -> None:
    """关联上下级方案：找出每个方案所落实的上级方案、各措施承接的上级措施和无人承接的上级措施。"""
    from duban_cascade.cli import FORMATS, cascade_files, render
    from duban_planparse import PlanParseError

    if format not in FORMATS:
        raise typer.BadParameter("只能是 json 或 table", param_hint="--format")
    try:
        cascade = cascade_files(files)
    except PlanParseError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(render(cascade, format))


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
    from task_ledger.domain.errors import UnknownPlan
    from task_ledger.service_layer.reports import monthly_report_file
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


def _kafka(kafka: str | None) -> str:
    from duban_common.settings import ServiceSettings

    return kafka or ServiceSettings().kafka_bootstrap_servers


def _kafka_security() -> dict[str, Any]:
    """TLS/SASL options from DUBAN_KAFKA_* (e.g. the `duban-ops` KafkaUser on Kubernetes)."""
    from duban_common.kafka_security import client_options
    from duban_common.settings import ServiceSettings

    return client_options(ServiceSettings())


def _print_letters(letters: list[dict[str, object]], format: str) -> None:
    if format == "json":
        typer.echo(json.dumps(letters, ensure_ascii=False, indent=2))
        return
    if format != "table":
        raise typer.BadParameter("--format 只能是 table 或 json")
    for letter in letters:
        typer.echo(
            f"{letter['position']}  {letter['timestamp']}  {letter['original_topic'] or '?'}"
            f"  键={letter['key']}  {letter['event_type'] or '（无法解析）'}"
            f"  {letter['event_id'] or ''}\n    原因：{letter['reason']}"
        )
    typer.echo(f"共 {len(letters)} 条")


@deadletter_app.command("list")
def deadletter_list(
    since: Annotated[
        str | None, typer.Option(help="只列出此时刻之后的死信（ISO 8601，默认北京时间）")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
    kafka: KafkaOption = None,
) -> None:
    """列出死信：位置（分区:偏移量）、时间、原主题、键、事件、原因。"""
    import asyncio

    from duban.deadletter import DeadLetterError, parse_since, read_dead_letters

    try:
        moment = parse_since(since) if since else None
        letters = asyncio.run(read_dead_letters(_kafka(kafka), moment, _kafka_security()))
    except DeadLetterError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    _print_letters([letter.summary() for letter in letters], format)


@deadletter_app.command("replay")
def deadletter_replay(
    offset: Annotated[
        list[str] | None, typer.Option("--offset", help="分区:偏移量（list 所示），可重复")
    ] = None,
    event_id: Annotated[
        list[str] | None, typer.Option("--event-id", help="事件编号，可重复")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="重放此时刻之后的全部死信（ISO 8601，默认北京时间）")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出将重放的死信")] = False,
    kafka: KafkaOption = None,
) -> None:
    """把选中的死信按原键重新发布到原主题（消费端幂等，重放安全）。"""
    import asyncio

    from duban.deadletter import (
        DeadLetterError,
        parse_event_id,
        parse_position,
        parse_since,
        read_dead_letters,
        replay,
        select,
    )

    if not (offset or event_id or since):
        typer.echo("错误：请用 --offset、--event-id 或 --since 指定要重放的死信", err=True)
        raise typer.Exit(2)
    bootstrap, security = _kafka(kafka), _kafka_security()
    try:
        positions = [parse_position(o) for o in offset or ()]
        ids = [parse_event_id(i) for i in event_id or ()]
        moment = parse_since(since) if since else None
        chosen = select(asyncio.run(read_dead_letters(bootstrap, moment, security)), positions, ids)
        if dry_run:
            _print_letters([letter.summary() for letter in chosen], "table")
            return
        done = asyncio.run(replay(bootstrap, chosen, security))
    except DeadLetterError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    for letter, topic in done:
        typer.echo(f"已重放 {letter.position} -> {topic}（键={letter.summary()['key']}）")
    typer.echo(f"共重放 {len(done)} 条")


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
