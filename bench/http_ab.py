"""Alternating A/B of the ledger's HTTP write path against another checkout.

    git worktree add --detach /tmp/before 663ba98
    uv run --frozen python -m bench.http_ab --before /tmp/before --config workers_2 --runs 3

Runs `bench.task_ledger_http`'s measurement (the same server start, load and figures) with
the ledger of `--before` and with this checkout's, one after the other, `--runs` times each,
on one broker and a fresh PostgreSQL database per run. The before side runs with its own
`duban_common`, contracts and plan parser on `PYTHONPATH`; it is started with group commit
asked for (a checkout without the setting ignores it). Alternating, so that what else the
machine runs weighs on both sides alike: compare the two sides of one invocation, not runs
of different evenings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import kafka_baseline
from bench.common import POSTGRES_SERVER, BenchContext, Result, fresh_databases
from bench.task_ledger_http import measure_http
from duban_common.embedded_broker import EmbeddedBroker

CONFIGS = {"sqlite": (None, 1), "postgresql": ("pg", 1), "workers_2": ("pg", 2)}
SHOWN = ("progress_reports_per_s", "server_cpu_per_request", "paced_p99", "at_60pct_p50")
SOURCE_DIRS = ("services/task-ledger/src", "libs/common/src", "contracts/src", "libs/planparse/src")


def _pythonpath(checkout: Path) -> str:
    return os.pathsep.join(str(checkout / d) for d in SOURCE_DIRS if (checkout / d).is_dir())


def _figure(result: Result, suffix: str) -> float:
    return next(v["value"] for k, v in result.items() if k.endswith(suffix))


async def _one(ctx: BenchContext, config: str) -> Result:
    store, workers = CONFIGS[config]
    if store is None:
        return await measure_http(ctx, None, workers=workers, group_commit=True)
    with fresh_databases(POSTGRES_SERVER, 1) as (url,):
        return await measure_http(ctx, url, workers=workers, group_commit=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="workers_2")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sides = {
        "before": _pythonpath(args.before.resolve()),
        "after": _pythonpath(Path(__file__).resolve().parents[1]),
    }
    inherited = os.environ.get("PYTHONPATH", "")
    seen: dict[str, dict[str, list[float]]] = {s: {k: [] for k in SHOWN} for s in sides}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        ctx = BenchContext(broker.bootstrap_servers, None, tmp, {})
        raw = kafka_baseline.run(ctx)["kafka.raw_aiokafka.produce_per_s"]["value"]
        print(f"raw aiokafka produce: {raw:,.0f} msg/s", flush=True)
        for _ in range(args.runs):
            for side, path in sides.items():
                # The server is a subprocess started with this environment.
                os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (path, inherited) if p)
                result = asyncio.run(_one(ctx, args.config))
                figures = {k: _figure(result, k) for k in SHOWN}
                for k, v in figures.items():
                    seen[side][k].append(v)
                shown = "  ".join(f"{k} {v:,.2f}" for k, v in figures.items())
                print(f"{time.strftime('%H:%M:%S')} {side:<6} {shown}", flush=True)
    os.environ["PYTHONPATH"] = inherited
    for side, series in seen.items():
        means = "  ".join(f"{k} {statistics.mean(v):,.2f}" for k, v in series.items())
        print(f"mean {side:<6} {means}")


if __name__ == "__main__":
    main()
