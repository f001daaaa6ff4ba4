"""The `duban` command: one entry point for operators and developers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="督办 Duban：跨部门任务台账与督办系统", no_args_is_help=True)
plan_app = typer.Typer(help="行动方案：解析与导入", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


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


@app.command("docs")
def docs(out: Annotated[Path, typer.Option(help="输出目录")] = Path("docs/generated")) -> None:
    """Write JSON Schema for every contract and an AsyncAPI document per service."""
    from duban.docs import write_asyncapi, write_contract_schemas

    written = write_contract_schemas(out / "schemas") + write_asyncapi(out / "asyncapi")
    for path in written:
        typer.echo(str(path))


@app.command("broker")
def broker(port: Annotated[int, typer.Option(help="监听端口")] = 9092) -> None:
    """Run the embedded Kafka-protocol broker on loopback until Ctrl-C."""
    import sys

    from duban_common import embedded_broker

    sys.argv = ["broker", str(port)]
    embedded_broker.main()


if __name__ == "__main__":
    app()
