"""What every benchmark module shares: the context it gets and the shape of its results."""

from __future__ import annotations

import os
import resource
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


def entry(
    value: float, unit: str, baseline: str | None = None, base_value: float | None = None
) -> dict[str, Any]:
    ratio = round(value / base_value, 3) if base_value else None
    return {"value": round(value, 3), "unit": unit, "baseline": baseline, "ratio": ratio}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    return process_rss_mb(os.getpid())


def compared(value: float, unit: str, baseline: str, ctx: BenchContext) -> dict[str, Any]:
    """An entry beside the raw aiokafka figure `baseline` measured in the same run."""
    base = (ctx.baseline.get(baseline) or {}).get("value")
    return entry(value, unit, baseline if base else None, base)


def process_rss_mb(pid: int) -> float:
    """Resident set size of another process (a server under test)."""
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
