"""What every benchmark module shares: the context it gets and the shape of its results."""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Result = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class BenchContext:
    bootstrap_servers: str
    postgres_url: str | None  # a fresh database for this run, or None if PostgreSQL is absent
    workdir: str
    baseline: Result  # raw aiokafka figures measured in this run on the same broker

    def stores(self) -> list[tuple[str, str | None]]:
        """(store, PostgreSQL URL or None for SQLite): SQLite always, PostgreSQL when present."""
        postgres = [("postgresql", self.postgres_url)] if self.postgres_url else []
        return [("sqlite", None), *postgres]

    def fresh_databases(self, count: int) -> contextlib.AbstractContextManager[list[str]]:
        """`count` new databases on the server of `postgres_url` (see `fresh_databases`)."""
        assert self.postgres_url, "PostgreSQL is absent"
        return fresh_databases(self.postgres_url, count)


POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def database_if_any() -> Iterator[str | None]:
    """A fresh database on the local PostgreSQL server, or None (said once) when there is
    none: the PostgreSQL figures are then skipped."""
    with contextlib.ExitStack() as stack:
        url: str | None = None
        try:
            (url,) = stack.enter_context(fresh_databases(POSTGRES_SERVER, 1))
        except Exception as exc:
            print(f"PostgreSQL unavailable, PostgreSQL figures skipped: {exc}", file=sys.stderr)
        yield url


@contextlib.contextmanager
def fresh_databases(server_url: str, count: int) -> Iterator[list[str]]:
    """`count` new, empty PostgreSQL databases on the server of `server_url`, dropped
    afterwards: one per configuration measured, so that none is measured on what another
    left behind (as each SQLite configuration gets a file of its own)."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    admin = server.set(database="postgres").render_as_string(hide_password=False)
    names = [f"duban_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [server.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def entry(
    value: float, unit: str, baseline: str | None = None, base_value: float | None = None
) -> dict[str, Any]:
    """One figure; with `baseline`, its ratio to that raw aiokafka figure, whose value
    (`baseline_value`) was measured just before the figure's module ran."""
    ratio = round(value / base_value, 6) if base_value else None
    return {
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline if base_value else None,
        "baseline_value": round(base_value, 1) if base_value else None,
        "ratio": ratio,
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    return process_rss_mb(os.getpid())


PRODUCE = "kafka.raw_aiokafka.produce_per_s"
CONSUME = "kafka.raw_aiokafka.consume_per_s"


def compared(value: float, unit: str, baseline: str, ctx: BenchContext) -> dict[str, Any]:
    """An entry beside the raw aiokafka figure `baseline` measured in the same run, on the
    same broker, just before this module (`ctx.baseline`)."""
    return entry(value, unit, baseline, (ctx.baseline.get(baseline) or {}).get("value"))


def process_rss_mb(pid: int) -> float:
    """Resident set size of another process (a server under test)."""
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
