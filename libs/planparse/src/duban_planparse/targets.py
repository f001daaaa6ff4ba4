"""Quantitative targets (培育打造自治区级劳务品牌30个, 50%以上的旗县) and contradictions."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from datetime import date

from .models import Target

_UNITS = (
    "%|％|个百分点|万亿元|亿美元|万美元|亿元|万元|万人次|万人|万户|万亩|万个|万家|万名|万套|万辆|万吨|"
    "万平方米|万千瓦|万公顷|亿千瓦时|平方公里|平方米|公顷|千瓦|公里|千米|人次|个|家|人|名|所|项|场|次|户|期|"
    "批|条|支|座|套|亩|吨|倍|类|种|处|篇|间|辆|艘|架|张|床"
)
_NUMBER = re.compile(
    r"(?<![\d.第〔])(\d+(?:\.\d+)?)\s*("
    + _UNITS
    + r")(?!月|部门|单位|工作日|小时|方面|要素|环节|号|级)"
)
_CLAUSE_SPLIT = re.compile(r"[，,。；;！？!?：:\n]")
_TARGET_VERB = re.compile(
    r"培育|打造|新增|建成|建设|达到|达|实现|力争|完成|创建|认定|培训|吸纳|带动|提升|提高|增长|超过|"
    r"不少于|不低于|以上|累计|覆盖|拥有|确保|争取|新建|改造|招聘|安置|帮扶|举办|开展|引进|输出|转移|"
    r"扶持|认证|评选|选树|发放|组建|形成|控制|开工|完工|竣工|投用|投入使用|保持|稳定在"
)
_RATE_CONTEXT = re.compile(r"给予|补贴|补助|奖励|标准为|比例为|费率|利率|按\d")
# Words removed when comparing what two targets count.
_SUBJECT_NOISE = re.compile(
    r"力争|培育|打造|新增|累计|达到|实现|建成|创建|认定|以上|左右|不少于|不低于|超过|确保|争取|共|约|"
    r"都能|全部|的|到|至|使|在|年底|年末|底|前|\d{4}年|“|”|\"|\s"
)


def _value(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def find_targets(text: str, due_for: Callable[[int], date | None] | None = None) -> list[Target]:
    """Targets in ``text``; ``due_for`` gives the due date that applies at an offset."""
    targets: list[Target] = []
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return targets
    # Clause boundaries (，。；：…) once, then each number finds its clause by bisection.
    cuts = [m.start() for m in _CLAUSE_SPLIT.finditer(text)]
    done = -1
    for number in numbers:
        i = bisect_left(cuts, number.start())
        if i == done:
            continue  # this clause was handled with an earlier number
        done = i
        start = cuts[i - 1] + 1 if i else 0
        clause = text[start : cuts[i] if i < len(cuts) else len(text)]
        if not _TARGET_VERB.search(clause) or _RATE_CONTEXT.search(clause):
            continue
        due = due_for(start) if due_for else None
        for found in _NUMBER.finditer(clause):
            unit = "%" if found.group(2) == "％" else found.group(2)
            targets.append(Target(clause.strip(), _value(found.group(1)), unit, due))
    return targets


def subject(target: Target) -> str:
    """What a target counts: 力争培育打造国家级劳务品牌15个 → 国家级劳务品牌."""
    text = _NUMBER.sub("", target.text, count=1)
    return _SUBJECT_NOISE.sub("", text)


def contradictions(targets: list[Target]) -> list[str]:
    """Warnings for targets that count the same thing by the same date with different values."""
    seen: dict[tuple[str, str, date | None], Target] = {}
    warnings: list[str] = []
    for target in targets:
        key = (subject(target), target.unit, target.due)
        if len(key[0]) < 2:
            continue
        first = seen.setdefault(key, target)
        if first is not target and first.value != target.value:
            warnings.append(
                f"目标前后不一致：{key[0]}一处为{first.value}{target.unit}（“{first.text}”），"
                f"另一处为{target.value}{target.unit}（“{target.text}”）"
            )
    return warnings
