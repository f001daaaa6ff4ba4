"""Benchmarks of the plan cascade; ``python -m bench cascade`` calls ``run()``.

cascade.3x50_ms      linking 3 plans of 50 measures each (a superior and two subordinates):
                     plan links + 2 × 50 × 50 measure pairs, token caches cleared, best of 7
cascade.seeds_ms     the same on the three seed documents (already parsed)
cascade.jieba_load_s loading jieba's dictionary, once per process (before the first match)
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

from duban_cascade import Citation, Plan, PlanMeasure, build_cascade, read_plans, tokens

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
MEASURES = 50


def _entry(value: float, unit: str) -> dict:
    return {"value": round(value, 3), "unit": unit, "baseline": None, "ratio": None}


def _sentences() -> list[str]:
    """Real policy sentences: those of the seed measures."""
    found = []
    for plan in (p for f in sorted(SEEDS.glob("0*.txt")) for p in read_plans(f)):
        for m in plan.measures:
            found += [s + "。" for s in re.split("[。；]", m.text) if len(s) > 8]
    return found


def generated_plans(seed: int = 11) -> list[Plan]:
    rng = random.Random(seed)
    pool = _sentences()
    parent_measures = [
        PlanMeasure(f"p{i}", f"（{i}）", f"措施{i}", "".join(rng.sample(pool, 4)))
        for i in range(MEASURES)
    ]
    number = "某发〔2023〕1号"
    parent = Plan(number, "某某行动方案", number, "国家", tuple(parent_measures))
    plans = [parent]
    for province in ("广东省", "江西省"):
        measures = []
        for i in range(MEASURES):
            # Most take up a superior measure in other words; some merge two; a few are new.
            base = parent_measures[rng.randrange(MEASURES)].text.split("。")[:-1]
            if rng.random() < 0.2:
                base += parent_measures[rng.randrange(MEASURES)].text.split("。")[:2]
            if rng.random() < 0.1:
                base = rng.sample(pool, 3)
            rng.shuffle(base)
            text = "。".join(base[: rng.randint(2, len(base))]) + "。"
            measures.append(PlanMeasure(f"c{i}", f"{i}.", f"任务{i}", text))
        citation = Citation("cited", "某某行动方案", number)
        plans.append(
            Plan(f"{province}方案", f"{province}方案", None, province, tuple(measures), (citation,))
        )
    return plans


def _best(plans: list[Plan], runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        tokens.words.cache_clear()
        tokens.bigrams.cache_clear()
        start = time.perf_counter()
        cascade = build_cascade(plans)
        best = min(best, time.perf_counter() - start)
    assert len(cascade.matchings) == len(plans) - 1
    return best


def run() -> dict[str, dict]:
    start = time.perf_counter()
    tokens.tokenizer()
    load = time.perf_counter() - start
    generated = generated_plans()
    assert all(len(p.measures) == MEASURES for p in generated)
    seeds = [p for f in sorted(SEEDS.glob("0*.txt")) for p in read_plans(f)]
    return {
        "cascade.3x50_ms": _entry(_best(generated) * 1000, "ms"),
        "cascade.seeds_ms": _entry(_best(seeds) * 1000, "ms"),
        "cascade.jieba_load_s": _entry(load, "s"),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:24} {value['value']:>10} {value['unit']}")
