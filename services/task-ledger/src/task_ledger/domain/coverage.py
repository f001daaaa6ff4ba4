"""Coverage of a superior plan by its subordinate plans (issue 24): the roll-up rule, pure.

Roll-up rule: a subordinate plan's progress on a superior measure is the mean progress of the
tasks registered for its measures that take that superior measure up (confirmed links only);
the superior measure's progress is the mean of those per-plan figures over the subordinate
plans that take it up. Each jurisdiction weighs the same however many measures or tasks it
split the work into; a subordinate plan that has not taken the measure up does not drag the
mean down but shows as a gap (`covered_by` of `subordinates`), and a measure no one takes up
has no progress (None) and is flagged uncovered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from duban_contracts.vocabulary import Light

ROLLUP_RULE = (
    "上级措施进度 = 各下级方案进度的平均值；某下级方案的进度 = 其落实该措施的任务进度的平均值"
    "（只计已确认的对应关系，未落实的下级方案不计入平均值，单列为未覆盖）"
)
# Worst first: a cell shows its worst task's light.
_SEVERITY = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}


def mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return round(sum(found) / len(found), 1) if found else None


def plan_progress(task_progress: Sequence[int]) -> float | None:
    """One subordinate plan's progress on one superior measure."""
    return mean(task_progress)


def measure_progress(per_plan: Sequence[float | None]) -> float | None:
    """The superior measure's progress over the subordinate plans that take it up."""
    return mean(p for p in per_plan if p is not None)


def worst(lights: Iterable[Light]) -> Light | None:
    found = sorted(lights, key=_SEVERITY.__getitem__)
    return found[0] if found else None


@dataclass(frozen=True)
class SubordinateSummary:
    """One subordinate plan in the monthly report's 下级落实情况 section."""

    title: str
    jurisdiction: str | None
    measures_covered: int
    measures_total: int
    progress: float | None
    lights: dict[str, int]  # its implementing tasks by light (green / yellow / red)


@dataclass(frozen=True)
class CoverageSummary:
    subordinates: tuple[SubordinateSummary, ...]
    uncovered: tuple[tuple[str, str], ...]  # (label, title) of superior measures no one takes up
    rule: str = ROLLUP_RULE
