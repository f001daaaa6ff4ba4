"""The typer CLI: `audit verify` on a store, `plan import` against a running ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ledger_helpers import SEED_FILE, START, ledger_settings
from sqlalchemy import update
from typer.testing import CliRunner

from duban_common.clock import ManualClock
from duban_common.db import make_engine
from duban_common.migrations import upgrade
from task_ledger.adapters import tables as t
from task_ledger.bootstrap import MIGRATIONS
from task_ledger.entrypoints.cli import app, import_plan
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.directory import seed
from task_ledger.service_layer.uow import Ledger

pytestmark = pytest.mark.integration


def test_audit_verify_names_the_first_broken_record(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url, MIGRATIONS)

    async def seed_and_tamper(tamper: bool) -> None:
        ledger = Ledger(ledger_settings(db_url, tmp_path), ManualClock(START))
        try:
            if tamper:
                async with ledger.engine.begin() as conn:
                    await conn.execute(
                        update(t.audit_log)
                        .where(t.audit_log.c.seq == 7)
                        .values(actor_id="someone-else")
                    )
            else:
                await seed(ledger)
        finally:
            await ledger.dispose()

    asyncio.run(seed_and_tamper(False))
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert ok.exit_code == 0 and "审计链完整" in ok.output, ok.output
    asyncio.run(seed_and_tamper(True))
    broken = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert broken.exit_code == 1
    assert "第 7 条记录的内容被改动" in broken.output


def test_plan_import_over_http(sqlite_url: str, tmp_path: Path) -> None:
    settings = ledger_settings(sqlite_url, tmp_path)
    web = create_app(settings, ManualClock(START), background=False)
    with TestClient(web) as client:
        first = import_plan(client, SEED_FILE, "supervisor", "supervisor-demo")
        again = import_plan(
            client, SEED_FILE, "supervisor", "supervisor-demo", confirm=lambda preview: True
        )
        cancelled = import_plan(
            client, SEED_FILE, "supervisor", "supervisor-demo", confirm=lambda preview: False
        )
    assert first.startswith("导入完成：方案 2 个") and "任务 0 项" not in first
    assert again.endswith("任务 0 项")
    assert cancelled == "已取消"
    engine = make_engine(sqlite_url)

    async def count_tasks() -> int:
        async with engine.connect() as conn:
            return len((await conn.execute(t.tasks.select())).all())

    try:
        assert asyncio.run(count_tasks()) > 0
    finally:
        asyncio.run(engine.dispose())


def test_no_demo_accounts_in_production(sqlite_url: str, tmp_path: Path) -> None:
    upgrade(sqlite_url, MIGRATIONS)
    settings = ledger_settings(
        sqlite_url,
        tmp_path,
        environment="production",
        secret_key="a-real-secret-for-this-test-0123456789",
    )

    async def seed_and_count() -> tuple[dict[str, int], int]:
        ledger = Ledger(settings, ManualClock(START))
        try:
            counts = await seed(ledger)
            async with ledger.reading() as conn:
                users = len((await conn.execute(t.users.select())).all())
            return counts, users
        finally:
            await ledger.dispose()

    counts, users = asyncio.run(seed_and_count())
    assert counts["departments"] > 0 and counts["users"] == 0 and users == 0
    runner = CliRunner()
    args = [
        "user",
        "create",
        "root",
        "--password",
        "Kx7#Lq9-Vault-2026",
        "--database-url",
        sqlite_url,
    ]
    created = runner.invoke(app, args)
    assert created.exit_code == 0 and "已创建用户 root（管理员）" in created.output, created.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "用户名已存在" in again.output
    # A supervisor limited to plans: the plans must exist, and the root `duban` CLI has it too.
    from duban.cli import app as duban_app

    scoped = ["user", "create", "sup-a", "--password", "Kx7#Lq9-Vault-2026", "--role", "supervisor"]
    scoped += ["--plan", "plan-nope", "--database-url", sqlite_url]
    refused = runner.invoke(duban_app, scoped)
    assert refused.exit_code == 2 and "方案不存在：plan-nope" in refused.output, refused.output

    async def add_plan() -> None:
        from datetime import UTC, datetime

        engine = make_engine(sqlite_url)
        async with engine.begin() as conn:
            await conn.execute(
                t.plans.insert().values(id="plan-a", title="方案甲", created_at=datetime.now(UTC))
            )
        await engine.dispose()

    async def scope_of(user_id: str) -> tuple[str, ...]:
        from task_ledger.adapters import repository as repo

        engine = make_engine(sqlite_url)
        async with engine.connect() as conn:
            user = await repo.get_user(conn, user_id)
        await engine.dispose()
        assert user is not None
        return user.plan_ids

    asyncio.run(add_plan())
    scoped[scoped.index("plan-nope")] = "plan-a"
    assert runner.invoke(duban_app, scoped).exit_code == 0
    assert asyncio.run(scope_of("user-sup-a")) == ("plan-a",)
