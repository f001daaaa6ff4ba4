"""Benchmarks of the plan importer; ``make bench`` calls ``run()``.

planparse.seeds_ms          parsing the three seed documents (two files), best of several runs
planparse.1000_pages_s      a generated plan of 1,000 pages (~1,000,000 characters), best of 3
planparse.1000_pages_peak_mb  peak traced memory while parsing that plan
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from duban_planparse import parse_bytes, parse_text
from duban_planparse.synthetic import generate_plan

FIXTURES = Path(__file__).parent / "tests" / "fixtures"
SEEDS = ("000_9108b65ab0af5f8f.txt", "003_719c3a43df115ca9.txt")


def _entry(value: float, unit: str) -> dict:
    return {"value": round(value, 3), "unit": unit, "baseline": None, "ratio": None}


def run() -> dict[str, dict]:
    seeds = [((FIXTURES / name).read_bytes(), name) for name in SEEDS]
    for data, name in seeds:  # warm up imports, regex compilation and the registry
        parse_bytes(data, name)
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for data, name in seeds:
            parse_bytes(data, name)
        best = min(best, time.perf_counter() - start)

    plan = generate_plan(pages=1000)
    elapsed = float("inf")
    for _ in range(3):  # best of three: the figure is the parser's, not the machine's load
        start = time.perf_counter()
        result = parse_text(plan, "<1000 pages>")
        elapsed = min(elapsed, time.perf_counter() - start)
    assert result.documents and result.documents[0].measures

    tracemalloc.start()
    parse_text(plan, "<1000 pages>")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "planparse.seeds_ms": _entry(best * 1000, "ms"),
        "planparse.1000_pages_s": _entry(elapsed, "s"),
        "planparse.1000_pages_chars": _entry(len(plan), "chars"),
        "planparse.1000_pages_peak_mb": _entry(peak / 1024 / 1024, "MB"),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:32} {value['value']:>10} {value['unit']}")
