"""Adapter: the plan cascade's benchmark lives beside its package (libs/cascade)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.common import BenchContext, Result

SCRIPT = Path(__file__).resolve().parents[1] / "libs" / "cascade" / "bench_cascade.py"


def run(ctx: BenchContext) -> Result:
    spec = importlib.util.spec_from_file_location("bench_cascade", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run()  # type: ignore[no-any-return]
