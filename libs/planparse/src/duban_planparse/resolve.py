"""Departments as printed → departments of the plan's jurisdiction.

``市财政局`` in a 韶关市 plan is 韶关市财政局;
``区工信局`` in a 铁西区 plan is 铁西区工业和信息化局.
The registry answers when it knows the jurisdiction; otherwise the name is *proposed*: the
printed level prefix (市/区/县/省/自治区…) is replaced by the jurisdiction, when the two agree,
and common short forms are spelled out. A prefix is never invented: a place (乐昌市), a body
named with its own place (人民银行韶关市分行) or a prefix of another level (市X局 in a 区 plan)
keeps what is printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .parties import has_own_prefix, is_collective, is_place_body
from .registry import DepartmentRegistry

_LEVEL = re.compile(r"^(自治区|自治州|自治县|省|市(?!场)|县|区(?!域)|州|盟|旗)")
# Body of a department name (after its level prefix) → the full form most offices use.
SHORT_FORMS = {
    "工信局": "工业和信息化局",
    "发改局": "发展和改革局",
    "发改委": "发展和改革委员会",
    "发展改革委": "发展和改革委员会",
    "发展改革局": "发展和改革局",
    "人社局": "人力资源和社会保障局",
    "人力资源社会保障局": "人力资源和社会保障局",
    "人社厅": "人力资源和社会保障厅",
    "人力资源社会保障厅": "人力资源和社会保障厅",
    "住建局": "住房和城乡建设局",
    "住房城乡建设局": "住房和城乡建设局",
    "住建厅": "住房和城乡建设厅",
    "住房城乡建设厅": "住房和城乡建设厅",
    "卫健委": "卫生健康委员会",
    "卫生健康委": "卫生健康委员会",
    "卫健局": "卫生健康局",
    "市场监管局": "市场监督管理局",
    "应急局": "应急管理局",
    "医保局": "医疗保障局",
    "政数局": "政务服务数据管理局",
    "文旅局": "文化和旅游局",
    "文化旅游局": "文化和旅游局",
    "交通局": "交通运输局",
    "退役军人局": "退役军人事务局",
    "国资委": "国有资产监督管理委员会",
    "民宗局": "民族宗教事务局",
    "农业农村委": "农业农村委员会",
    "科技局": "科学技术局",
    "工信厅": "工业和信息化厅",
    "教体局": "教育体育局",
    "自然资源和规划局": "自然资源和规划局",
}
_BARE_DEPARTMENT = re.compile(r"(?:局|委|办|厅|中心|委员会|办公室)$")


@dataclass(frozen=True, slots=True)
class Resolved:
    canonical: str | None  # registry name
    proposed: str | None  # name of a department the registry does not know
    jurisdiction: str | None


def spell_out(name: str) -> str:
    level = _LEVEL.match(name)
    prefix = level.group(1) if level else ""
    body = name[len(prefix) :]
    return prefix + SHORT_FORMS.get(body, body)


def propose(name: str, jurisdiction: str | None) -> tuple[str, str | None]:
    """(full name, its jurisdiction) for a department the registry does not know."""
    full = spell_out(name)
    level = _LEVEL.match(full)
    if jurisdiction and level and _same_level(level.group(1), jurisdiction):
        return jurisdiction + full[len(level.group(1)) :], jurisdiction
    if level or has_own_prefix(full) or not jurisdiction or is_place_body(full):
        return full, None  # another level's prefix, a place or 团市委: as printed
    if _BARE_DEPARTMENT.search(full) and not full.startswith(("人民银行", "国家", "中国")):
        return jurisdiction + full, jurisdiction
    return full, None


def _same_level(prefix: str, jurisdiction: str) -> bool:
    if prefix in ("自治区", "自治州", "自治县"):
        return jurisdiction.endswith(prefix)
    return jurisdiction.endswith(prefix) and not jurisdiction.endswith(
        ("自治区", "自治州", "自治县")
    )


@lru_cache(maxsize=8192)
def resolve(name: str, jurisdiction: str | None, registry: DepartmentRegistry) -> Resolved:
    if is_collective(name):
        return Resolved(None, None, jurisdiction)
    found = registry.lookup(name, jurisdiction)
    if found is not None:
        return Resolved(found.name, None, found.jurisdiction)
    proposed, place = propose(name, jurisdiction)
    found = registry.lookup(proposed, jurisdiction) if proposed != name else None
    if found is not None:
        return Resolved(found.name, None, found.jurisdiction)
    return Resolved(None, proposed, place)
