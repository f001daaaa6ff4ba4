"""Measure-link methods against the seed gold set: ``uv run --frozen python
libs/cascade/evaluate_methods.py`` prints, per method, the threshold/relative setting with the
best *neighbourhood* F1 (the mean F1 of the setting and its grid neighbours: a setting that only
works on a knife edge would not carry over to other plans) and its precision/recall/F1 (both
seed plans pooled), then the default method's figures per plan. The README's table comes from
here.
"""

from __future__ import annotations

import sys
from itertools import product
from pathlib import Path

from duban_cascade import DEFAULT_METHOD, Method, Plan, pair_scores, select
from duban_cascade.evaluation import Evaluation, evaluate
from duban_cascade.files import read_plans
from duban_cascade.measures import TextKind

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent / "tests"))
import cascade_gold as gold  # noqa: E402

THRESHOLDS = [round(0.05 + 0.025 * i, 3) for i in range(19)]
RELATIVES = [0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]
METHODS: list[tuple[TextKind, float, str]] = [
    ("title", 0.0, "标题 jieba（基线）"),
    ("bigram", 0.0, "正文字二元组"),
    ("jieba", 0.0, "正文 jieba 词"),
    ("hybrid", 0.0, "正文 jieba 词 + 字二元组"),
    ("bigram", 0.2, "字二元组 + 部门职能 0.2"),
    ("jieba", 0.2, "jieba 词 + 部门职能 0.2"),
    ("hybrid", 0.2, "jieba 词 + 字二元组 + 部门职能 0.2"),
    ("hybrid", 0.35, "jieba 词 + 字二元组 + 部门职能 0.35"),
]


Case = tuple[Plan, Plan, set[tuple[str, str]], set[tuple[str, str]]]


def seed_plans() -> list[Case]:
    plans = {p.key: p for f in sorted((ROOT / "seeds").glob("0*.txt")) for p in read_plans(f)}
    national = plans[gold.NATIONAL]
    return [
        (national, plans[gold.INNER_MONGOLIA], gold.INNER_MONGOLIA_REQUIRED,
         gold.INNER_MONGOLIA_ACCEPTABLE),
        (national, plans[gold.GUANGDONG], gold.GUANGDONG_REQUIRED, gold.GUANGDONG_ACCEPTABLE),
    ]  # fmt: skip


def score(method: Method) -> list[Evaluation]:
    results = []
    for parent, child, required, acceptable in seed_plans():
        kept = select(pair_scores(parent, child, method), method.threshold, method.relative)
        results.append(evaluate({(s.child.key, s.parent.key) for s in kept}, required, acceptable))
    return results


def main() -> None:
    cases = seed_plans()
    print("| 方法 | 阈值 | 相对 | 提议 | 精确率 | 召回率 | F1 | 邻域 F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for text, weight, name in METHODS:
        method = Method(name, text, weight, 0.0, 0.0)
        scored = [(pair_scores(p, c, method), r, a) for p, c, r, a in cases]
        grid: dict[tuple[int, int], Evaluation] = {}
        for (i, threshold), (j, relative) in product(enumerate(THRESHOLDS), enumerate(RELATIVES)):
            total = Evaluation(0, 0, 0, 0)
            for scores, required, acceptable in scored:
                kept = select(scores, threshold, relative)
                total += evaluate({(s.child.key, s.parent.key) for s in kept}, required, acceptable)
            grid[(i, j)] = total
        smooth = {
            (i, j): sum(grid[n].f1 for n in near) / len(near)
            for (i, j) in grid
            if (near := [(i + a, j + b) for a in (-1, 0, 1) for b in (-1, 0, 1)
                         if (i + a, j + b) in grid])
        }  # fmt: skip
        i, j = max(smooth, key=lambda k: (round(smooth[k], 9), grid[k].f1))
        e = grid[(i, j)]
        print(f"| {name} | {THRESHOLDS[i]} | {RELATIVES[j]} | {e.proposed} | {e.precision:.3f} | "
              f"{e.recall:.3f} | {e.f1:.3f} | {smooth[(i, j)]:.3f} |")  # fmt: skip
    print(f"\n默认方法 {DEFAULT_METHOD}:")
    for (_, child, _, _), e in zip(cases, score(DEFAULT_METHOD), strict=True):
        print(f"  {child.title}: 提议 {e.proposed} 精确率 {e.precision:.3f} 召回率 {e.recall:.3f}")


if __name__ == "__main__":
    main()
