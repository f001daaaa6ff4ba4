"""Run every benchmark, print a table, write bench/results/latest.json.

`python -m bench [NAME ...]` runs only the modules whose name contains one of NAMEs (after the
raw aiokafka baseline, which always runs) and updates their figures in the file.

The raw aiokafka yardstick is measured first (the `kafka.raw_aiokafka.*` keys) and again just
before each module: a module's ratios are to the raw figures of its own moment on the same
broker (each compared entry records that value as `baseline_value`).

Each module in MODULES has `run(ctx: BenchContext) -> Result`. Modules run one at a time in
a fresh subprocess each, so one's memory figures are not polluted by another's.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import sys
import tempfile
import traceback
from pathlib import Path

from bench.common import PRODUCE, BenchContext, Result, database_if_any
from duban_common.embedded_broker import EmbeddedBroker

MODULES = [
    "bench.kafka_baseline",  # first: every other figure is compared with it
    "bench.planparse",
    "bench.cascade",
    "bench.task_ledger_cascade",
    "bench.task_ledger",
    "bench.task_ledger_http",
    "bench.task_ledger_commands",  # the write command without HTTP, plain vs group commit
    "bench.task_ledger_import",  # a 100,000-measure plan: upload, background confirm, memory
    "bench.task_ledger_reads",  # a task view, a task list, an inbox page: CPU per request
    "bench.task_ledger_reports",
    "bench.people_admin",
    "bench.pages",  # each page's server time with 10,000 tasks (issue 21)
    "bench.deadline_watcher",
    "bench.deadline_watcher_batches",  # a consumed progress report's cost to the watcher
    "bench.notifier",
    "bench.system",  # last: the whole system, broker and three services, under a mixed load
]

OUT = Path(__file__).parent / "results" / "latest.json"


def _child(module: str, ctx: BenchContext, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        queue.put(("ok", importlib.import_module(module).run(ctx)))
    except BaseException:
        queue.put(("error", traceback.format_exc()))


def _run_module(module: str, ctx: BenchContext) -> Result:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.get_context("fork").Process(target=_child, args=(module, ctx, queue))
    proc.start()
    status, value = queue.get()
    proc.join()
    if status != "ok":
        print(f"!! {module} failed:\n{value}", file=sys.stderr)
        return {}
    return value


def main() -> None:
    only = sys.argv[1:]
    results: Result = {}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        ctx = BenchContext(broker.bootstrap_servers, None, tmp, {})
        results.update(_run_module("bench.kafka_baseline", ctx))
        for module in MODULES[1:]:
            if only and not any(o in module for o in only):
                continue
            # The yardstick again, just before the module: a run lasts half an hour and the
            # machine's speed moves within it; a ratio is to raw aiokafka at the module's time.
            baseline = _run_module("bench.kafka_baseline", ctx)
            produce = baseline[PRODUCE]["value"]
            print(f".. {module} (raw aiokafka {produce:,.0f} msg/s)", file=sys.stderr, flush=True)
            with database_if_any() as pg:  # each module a database of its own
                module_ctx = BenchContext(broker.bootstrap_servers, pg, tmp, baseline)
                results.update(_run_module(module, module_ctx))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if only and OUT.exists():  # a partial run updates its own figures, keeps the others
        results = {**json.loads(OUT.read_text()), **results}
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    width = max((len(k) for k in results), default=10)
    print(f"{'benchmark':<{width}}  {'value':>14}  {'unit':<8}  {'ratio':>8}  baseline")
    for name, r in results.items():
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.4g}"
        at = r.get("baseline_value")  # absent from files written before it was recorded
        base = f"{r['baseline']} ({at:,.0f})" if r.get("baseline") and at else r["baseline"] or ""
        print(f"{name:<{width}}  {r['value']:>14,.3f}  {r['unit']:<8}  {ratio:>8}  {base}")
    print(f"\nwritten to {OUT}")


if __name__ == "__main__":
    main()
