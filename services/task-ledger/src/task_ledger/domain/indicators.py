"""Indicators (量化指标): a plan's targets tracked as numbers, with a light of their own.

Pure rules, no I/O: how a target sentence reads (qualifier, 新增 or cumulative, money units),
the expected path from the start to the due date (a straight line, or through the
milestone-defined checkpoints), and the light when the reported value lags that path.
The rule is documented in docs/indicators.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import pairwise

from duban_contracts.vocabulary import Light
from task_ledger.domain.errors import DomainError

# Behind the expected path by more than this share of the whole span: yellow / red.
YELLOW_SHORTFALL = 0.10
RED_SHORTFALL = 0.25
# 左右 (about): reaching this share of the target counts as reaching it.
ABOUT_TOLERANCE = 0.95

# Longest first, so 不少于 wins over 少于-like fragments and 万亿元 over 亿元.
QUALIFIERS = ("不少于", "不低于", "不超过", "以上", "以内", "左右", "力争", "争取", "超过", "确保")
_MONEY_IN_WAN = {"元": 0.0001, "万元": 1, "亿元": 10_000, "万亿元": 100_000_000}


class Kind(StrEnum):
    CUMULATIVE = "cumulative"  # the total reached by the due date (累计, 达到)
    NEW = "new"  # what is added over the period (新增)


class Aggregation(StrEnum):
    SUM = "sum"  # counts, money: the children's shares add up
    MEAN = "mean"  # rates, percentages: the member average


def normalise_quantity(value: float, unit: str) -> tuple[float, str]:
    """Money in 万元 whatever the sentence used (1.2亿元 → 12000 万元); other units as printed."""
    factor = _MONEY_IN_WAN.get(unit)
    if factor is None:
        return value, "%" if unit == "％" else unit
    return _tidy(value * factor), "万元"


def qualifier_of(text: str) -> str | None:
    for word in QUALIFIERS:
        if word in text:
            return word
    return None


def kind_of(text: str) -> Kind:
    return Kind.NEW if "新增" in text else Kind.CUMULATIVE


def default_aggregation(unit: str) -> Aggregation:
    return Aggregation.MEAN if unit in ("%", "个百分点") else Aggregation.SUM


_NAME_NOISE = re.compile(
    r"力争|争取|确保|培育打造|培育|打造|新增|累计|达到|实现|建成|创建|认定|以上|左右|不少于|不低于|"
    r"超过|共|约|都能|全部|使|到|至|年底|年末|\d{4}年|“|”|\"|\s"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|个百分点|[万亿]*元|[万亿]?[^\d\s，。；、]{0,1})")


def name_of(text: str, value: float, unit: str) -> str:
    """What the target counts: 力争培育打造国家级劳务品牌15个 → 国家级劳务品牌."""
    printed = f"{fmt(value)}{unit}"
    stripped = text.replace(printed, "", 1) if printed in text else _NUMBER.sub("", text, count=1)
    name = _NAME_NOISE.sub("", stripped).strip("的，,。；;")
    return name[:200] or text[:200]


@dataclass(frozen=True)
class TargetReading:
    """One parsed target sentence read as an indicator draft."""

    name: str
    target: float
    unit: str
    due: date | None
    qualifier: str | None
    kind: Kind
    aggregation: Aggregation
    source_text: str


def read_target(text: str, value: float, unit: str, due: date | None) -> TargetReading:
    target, normalised = normalise_quantity(value, unit)
    return TargetReading(
        name=name_of(text, value, unit),
        target=target,
        unit=normalised,
        due=due,
        qualifier=qualifier_of(text),
        kind=kind_of(text),
        aggregation=default_aggregation(normalised),
        source_text=text,
    )


@dataclass(frozen=True)
class Checkpoint:
    """A milestone-defined point of the path: ``value`` due by ``on``."""

    on: date
    value: float


@dataclass(frozen=True)
class Indicator:
    name: str
    target: float
    unit: str
    due: date | None
    start: date | None = None
    baseline: float | None = None
    qualifier: str | None = None
    kind: Kind = Kind.CUMULATIVE
    aggregation: Aggregation = Aggregation.SUM
    checkpoints: tuple[Checkpoint, ...] = field(default=())

    @property
    def origin(self) -> float:
        """Where the path starts: 新增 counts from zero, a cumulative total from its baseline."""
        if self.kind is Kind.NEW:
            return 0.0
        return self.baseline or 0.0

    @property
    def goal(self) -> float:
        """The value that counts as reached (左右 allows a little less)."""
        if self.qualifier == "左右":
            return self.target * ABOUT_TOLERANCE
        return self.target


def expected(ind: Indicator, today: date) -> float | None:
    """The value the path asks for today: linear between (start, origin), the checkpoints in
    date order and (due, target). None without a start or due to measure against."""
    if ind.start is None or ind.due is None or ind.due <= ind.start:
        return None
    points = [(ind.start, ind.origin)]
    points += [
        (c.on, c.value)
        for c in sorted(ind.checkpoints, key=lambda c: c.on)
        if ind.start < c.on < ind.due
    ]
    points.append((ind.due, ind.target))
    if today <= ind.start:
        return ind.origin
    for (a_on, a_value), (b_on, b_value) in pairwise(points):
        if today <= b_on:
            share = (today - a_on).days / (b_on - a_on).days
            return a_value + (b_value - a_value) * share
    return ind.target


def completion(ind: Indicator, current: float | None) -> float | None:
    """完成率: the share of the way from the origin to the target, 0..1 (may exceed 1)."""
    span = ind.target - ind.origin
    if current is None or span == 0:
        return None
    return (current - ind.origin) / span


@dataclass(frozen=True)
class Verdict:
    light: Light
    reason: str | None
    expected: float | None


def assess(ind: Indicator, current: float | None, today: date) -> Verdict:
    """Red past the due date short of the goal; otherwise yellow/red when behind the path by more
    than YELLOW_SHORTFALL/RED_SHORTFALL of the span. A 力争/争取 (stretch) target is at worst
    yellow before its due date. An unreported value counts as the origin."""
    value = ind.origin if current is None else current
    shown = "未填报" if current is None else fmt(current)
    head = f"{ind.name} {shown}/{fmt(ind.target)}"
    if ind.due is not None and today > ind.due:
        if value >= ind.goal:
            return Verdict(Light.GREEN, None, ind.target)
        return Verdict(Light.RED, f"{head}，已过时间节点未达标", ind.target)
    path = expected(ind, today)
    span = abs(ind.target - ind.origin)
    if path is None or span == 0:
        return Verdict(Light.GREEN, None, path)
    rising = ind.target >= ind.origin  # else a target that goes down (控制在…以内)
    shortfall = (path - value) / span if rising else (value - path) / span
    if shortfall <= YELLOW_SHORTFALL:
        return Verdict(Light.GREEN, None, path)
    reason = f"{head}，按进度应达 {fmt(_whole(ind, path))}"
    stretch = ind.qualifier in ("力争", "争取")
    if shortfall > RED_SHORTFALL and not stretch:
        return Verdict(Light.RED, reason, path)
    return Verdict(Light.YELLOW, reason, path)


@dataclass(frozen=True)
class Tracked:
    """An indicator of a task with its current value (a decomposed task's: its children's,
    aggregated), as the task's light and pages use it."""

    id: str
    indicator: Indicator
    current: float | None
    source_text: str = ""

    def assess(self, today: date) -> Verdict:
        return assess(self.indicator, self.current, today)


def aggregate(values: Sequence[float | None], how: Aggregation) -> float | None:
    """A decomposed task's value from its children's: their sum, or the member average.
    Children that have not reported count as nothing for a sum and are left out of a mean."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    if how is Aggregation.SUM:
        return _tidy(sum(known))
    return _tidy(sum(known) / len(known))


def check_values(known_ids: set[str], values: Mapping[str, float]) -> None:
    """A report's indicator values: only the task's indicators, never negative."""
    unknown = [k for k in values if k not in known_ids]
    if unknown:
        raise DomainError(f"任务没有这些指标：{'、'.join(unknown)}")
    if any(v < 0 for v in values.values()):
        raise DomainError("指标数值不能为负数")


_RANK = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


def worse(a: Light, b: Light) -> Light:
    return a if _RANK[a] >= _RANK[b] else b


def fmt(value: float) -> str:
    """18.0 → 18, 12.5 → 12.5 (the way a person writes the figure)."""
    rounded = round(value, 1)
    return str(int(rounded)) if float(rounded).is_integer() else f"{rounded:g}"


def _whole(ind: Indicator, value: float) -> float:
    """Things counted one by one (个, 家, 人) are expected in whole numbers: 17.1 brands → 17."""
    counted = float(ind.target).is_integer() and ind.unit not in _FRACTIONAL_UNITS
    return float(round(value)) if counted else value


_FRACTIONAL_UNITS = frozenset(
    {"%", "个百分点", "万元", "倍", "万人", "万人次", "万户", "万亩", "万吨"}
)


def _tidy(value: float) -> float:
    return float(round(value, 6))
