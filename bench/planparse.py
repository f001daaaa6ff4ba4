"""Adapter: the plan importer's benchmark lives beside its package (libs/planparse)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.common import BenchContext, Result

SCRIPT = Path(__file__).resolve().parents[1] / "libs" / "planparse" / "bench_planparse.py"


def run(ctx: BenchContext) -> Result:
    spec = importlib.util.spec_from_file_location("bench_planparse", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run()  # type: ignore[no-any-return]
