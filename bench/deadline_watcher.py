"""Benchmark: 1,000,000 stored timers, firing 100,000 due ones, lateness under load, RSS.

`run(ctx)` is called by `make bench` (ctx: bootstrap_servers, postgres_url, workdir, baseline).
On PostgreSQL (the production store), then on SQLite (the embedded default):
- bulk insert the pending timers (COPY on PostgreSQL, executemany on SQLite);
- fire the due ones among them (events written to the outbox, timers marked fired, in one
  transaction per batch), through the same Scheduler the service runs;
- relay a slice of those events to Kafka with the shared outbox relay;
- lateness p50/p99 under load: the scheduler loop and the relay running while timers come due
  at a steady rate; lateness = fired_at - fire_at;
- RSS of this process with all the timers stored (the scheduler only holds one batch).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bench.common import PRODUCE, compared, entry
from deadline_watcher.adapters.tables import outbox, timers
from deadline_watcher.bootstrap import MIGRATIONS, relay_batch_size
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from deadline_watcher.settings import Settings
from duban_common.clock import SystemClock
from duban_common.kafka import make_broker
from duban_common.migrations import upgrade
from duban_common.outbox import OutboxRelay

BATCH = 1_000
# DUBAN_BENCH_SCALE shrinks everything for a quick try (e.g. 0.05).
_SCALE = float(os.environ.get("DUBAN_BENCH_SCALE", "1"))


@dataclass(frozen=True)
class Sizes:
    total: int  # pending timers stored
    due: int  # of which due now (one per task)
    relayed: int  # events relayed to Kafka for the relay figure
    lateness: int  # timers coming due during the lateness run
    rate: int  # per second, during the lateness run

    def scaled(self) -> Sizes:
        def scale(n: int) -> int:
            return max(1, int(n * _SCALE))

        return Sizes(
            scale(self.total), scale(self.due), scale(self.relayed), scale(self.lateness), self.rate
        )


FULL = Sizes(total=1_000_000, due=100_000, relayed=3_000, lateness=10_000, rate=1_000)


def run(ctx: Any) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    stores = []
    if ctx.postgres_url:
        stores.append(("postgresql", ctx.postgres_url, FULL.scaled()))
    sqlite_url = f"sqlite:///{os.path.join(ctx.workdir, 'watcher-bench.db')}"
    stores.append(("sqlite", sqlite_url, FULL.scaled()))
    for name, url, sizes in stores:
        results.update(asyncio.run(_bench_store(name, url, sizes, ctx)))
    return results


def _say(message: str) -> None:
    print(f"   bench.deadline_watcher: {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


async def _bench_store(store: str, url: str, sizes: Sizes, ctx: Any) -> dict[str, dict[str, Any]]:
    stored = f"{sizes.total // 1000}k" if sizes.total < 1_000_000 else f"{sizes.total // 10**6}m"
    prefix = f"deadline_watcher.{store}"
    upgrade(url, MIGRATIONS)
    now = datetime.now(UTC)
    started = time.perf_counter()
    await asyncio.to_thread(_bulk_load, url, now, sizes)
    load_s = time.perf_counter() - started
    _say(f"{store}: {sizes.total} timers stored in {load_s:.1f}s")

    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=ctx.bootstrap_servers,
        scheduler_batch_size=BATCH,
        scheduler_poll_seconds=0.2,
        environment="test",
    )
    wctx = WatcherContext.from_settings(settings, clock=SystemClock())
    scheduler = Scheduler(wctx)
    results = {f"{prefix}.timers_bulk_insert_per_s": entry(sizes.total / load_s, "timers/s")}

    async def drain() -> int:
        fired = 0
        while n := await scheduler.fire_due():
            fired += n
        return fired

    started = time.perf_counter()
    fired = sum(await asyncio.gather(*(drain() for _ in range(scheduler.workers))))
    fire_s = time.perf_counter() - started
    _say(f"{store}: {fired} due timers fired in {fire_s:.1f}s ({scheduler.workers} workers)")
    if scheduler.fired_total != sizes.due:
        raise RuntimeError(f"fired {scheduler.fired_total} of {sizes.due} due timers")
    results[f"{prefix}.fire_due_timers_per_s"] = compared(fired / fire_s, "timers/s", PRODUCE, ctx)
    results[f"{prefix}.rss_with_{stored}_timers"] = entry(rss_mb(), "MB")

    # The relay (shared outbox machinery) on a slice of those events, then the rest is
    # marked sent so the lateness run measures firing, not this backlog.
    broker = make_broker(settings)
    await broker.start()
    relay = OutboxRelay(wctx.engine, outbox, broker, batch_size=relay_batch_size(wctx.engine))
    started = time.perf_counter()
    relayed = 0
    while relayed < sizes.relayed and (n := await relay.relay_once()):
        relayed += n
    relay_s = time.perf_counter() - started
    _say(f"{store}: {relayed} events relayed to Kafka in {relay_s:.1f}s")
    results[f"{prefix}.outbox_relay_per_s"] = compared(relayed / relay_s, "events/s", PRODUCE, ctx)
    async with wctx.engine.begin() as conn:
        await conn.execute(
            update(outbox).where(outbox.c.published_at.is_(None)).values(published_at=now)
        )

    p50, p99 = await _lateness(wctx, scheduler, relay, sizes)
    results[f"{prefix}.lateness_p50"] = entry(p50 * 1000, "ms")
    results[f"{prefix}.lateness_p99"] = entry(p99 * 1000, "ms")
    results[f"{prefix}.rss_after_lateness_run"] = entry(rss_mb(), "MB")
    await broker.stop()
    await wctx.engine.dispose()
    return results


async def _lateness(
    wctx: WatcherContext, scheduler: Scheduler, relay: OutboxRelay, sizes: Sizes
) -> tuple[float, float]:
    """Timers come due at `sizes.rate` per second while the loop and the relay run."""
    async with wctx.engine.connect() as conn:
        last_id = await conn.scalar(select(func.max(timers.c.id)))
    start = datetime.now(UTC) + timedelta(seconds=2)
    await asyncio.to_thread(_load_lateness_timers, _plain_url(wctx), start, sizes)
    stop = asyncio.Event()
    relay.wake()
    loops = [asyncio.create_task(scheduler.run(stop)), asyncio.create_task(relay.run(stop))]
    wctx.on_commit = relay.wake
    deadline = time.monotonic() + sizes.lateness / sizes.rate + 60
    query = select(timers.c.fire_at, timers.c.fired_at).where(timers.c.id > last_id)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        async with wctx.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        if all(r.fired_at is not None for r in rows):
            break
    stop.set()
    await asyncio.gather(*loops)
    unfired = sum(r.fired_at is None for r in rows)
    if unfired:
        raise RuntimeError(f"{unfired} of {len(rows)} timers not fired in time")
    lateness = sorted(max(0.0, (r.fired_at - r.fire_at).total_seconds()) for r in rows)
    p99 = lateness[int(len(lateness) * 0.99)]
    _say(f"lateness: {len(rows)} timers due at {sizes.rate}/s, p99 {p99:.3f}s")
    return lateness[len(lateness) // 2], lateness[int(len(lateness) * 0.99)]


# --- bulk loading (synchronous drivers, outside the event loop) ------------------------


def _task_rows(due_on: date, sizes: Sizes) -> Iterator[tuple[Any, ...]]:
    for i in range(sizes.due):
        yield (f"bench-{i}", "plan-bench", f"基准任务{i}", '["dept-1"]', "[]", due_on, "dispatched")


def _timer_rows(now: datetime, due_on: date, sizes: Sizes) -> Iterator[tuple[Any, ...]]:
    """`sizes.due` timers due now (one per task), the rest years ahead."""
    far = now + timedelta(days=3650)
    for i in range(sizes.total):
        task = i % sizes.due
        if i < sizes.due:
            at = now - timedelta(seconds=1 + (i % 600))
            yield (
                f"bench-{task}:before_due:3:{due_on}",
                "before_due",
                f"bench-{task}",
                due_on,
                3,
                at,
            )
        else:
            at = far + timedelta(seconds=i)
            yield (f"bench-{task}:future:{i}", "before_due", f"bench-{task}", due_on, 1, at)


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _bulk_load(url: str, now: datetime, sizes: Sizes) -> None:
    due_on = (now + timedelta(days=14)).date()
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executemany(
                "INSERT INTO tasks (task_id, plan_id, title, lead_department_ids,"
                " supporting_department_ids, due_on, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (*r[:5], r[5].isoformat(), r[6], _sqlite_time(now))
                    for r in _task_rows(due_on, sizes)
                ),
            )
            db.executemany(
                "INSERT INTO timers (dedupe_key, kind, task_id, due_on, step, fire_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (*r[:3], r[3].isoformat(), r[4], _sqlite_time(r[5]))
                    for r in _timer_rows(now, due_on, sizes)
                ),
            )
        return
    import psycopg

    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY tasks (task_id, plan_id, title, lead_department_ids,"
            " supporting_department_ids, due_on, status, updated_at) FROM STDIN"
        ) as copy:
            for r in _task_rows(due_on, sizes):
                copy.write_row((*r, now))
        with cur.copy(
            "COPY timers (dedupe_key, kind, task_id, due_on, step, fire_at) FROM STDIN"
        ) as copy:
            for r in _timer_rows(now, due_on, sizes):
                copy.write_row(r)
        cur.execute("ANALYZE timers")
        cur.execute("ANALYZE tasks")


def _load_lateness_timers(url: str, start: datetime, sizes: Sizes) -> None:
    """Timers on the bench tasks coming due from `start` at `sizes.rate` per second."""
    rows = []
    for i in range(sizes.lateness):
        task = f"bench-{i % sizes.due}"
        at = start + timedelta(seconds=i / sizes.rate)
        rows.append((f"{task}:lateness:{i}", "due_today", task, 0, at))
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as db:
            due = {r[0]: r[1] for r in db.execute("SELECT task_id, due_on FROM tasks")}
            db.executemany(
                "INSERT INTO timers (dedupe_key, kind, task_id, due_on, step, fire_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                ((k, kind, t, due[t], s, _sqlite_time(at)) for k, kind, t, s, at in rows),
            )
        return
    import psycopg

    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        due = dict(cur.execute("SELECT task_id, due_on FROM tasks").fetchall())
        with cur.copy(
            "COPY timers (dedupe_key, kind, task_id, due_on, step, fire_at) FROM STDIN"
        ) as copy:
            for k, kind, t, s, at in rows:
                copy.write_row((k, kind, t, due[t], s, at))


def _plain_url(wctx: WatcherContext) -> str:
    return wctx.settings.database_url


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


if __name__ == "__main__":  # a quick local run: python -m bench.deadline_watcher
    import tempfile
    import uuid
    from types import SimpleNamespace

    import psycopg

    from duban_common.embedded_broker import EmbeddedBroker

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"watcher_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
            bench_ctx = SimpleNamespace(
                bootstrap_servers=broker.bootstrap_servers,
                postgres_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
                workdir=tmp,
                baseline={PRODUCE: {"value": 50_000.0}},
            )
            print(json.dumps(run(bench_ctx), indent=2, ensure_ascii=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
