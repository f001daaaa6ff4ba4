"""The jurisdiction tree of departments: whether one department lies inside another's area.

The tree comes from departments' parent links (a city bureau registered with its provincial
department as parent). A department without a link to the area is placed by its
jurisdiction's name: "广东省广州市" lies inside 广东省, a bare "广州市" lies nowhere, so
register lower departments with a parent (or a qualified jurisdiction) before decomposing
to them. National departments cover every area.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.domain.model import LEVEL_RANK, Department


def ancestry(dep: Department, departments: Mapping[str, Department]) -> list[Department]:
    """`dep` and its known ancestors, nearest first (a cycle or a missing parent ends it)."""
    chain: list[Department] = []
    current: Department | None = dep
    while current is not None and current not in chain:
        chain.append(current)
        current = departments.get(current.parent_id) if current.parent_id else None
    return chain


def lies_within(dep: Department, area: Department, departments: Mapping[str, Department]) -> bool:
    """Whether `dep` belongs to the area (jurisdiction) of `area`; `departments` must hold
    the ancestors of `dep`."""
    if area.level == JurisdictionLevel.NATIONAL:
        return True
    return any(
        d.jurisdiction == area.jurisdiction or d.jurisdiction.startswith(area.jurisdiction)
        for d in ancestry(dep, departments)
    )


def splitting_rank(dep: Department) -> int:
    """The rank children of a task led by `dep` must stay below: a collective group
    (各县（市、区）人民政府, level = its members') splits to members of its own level."""
    return LEVEL_RANK[dep.level] + (1 if dep.collective else 0)


def subordinates(
    areas: Sequence[Department], departments: Mapping[str, Department]
) -> list[Department]:
    """The departments a task led by `areas` may be split to: of a lower level than every
    area and inside one of them (what `check_decomposition` and the handler accept), by level
    then name."""
    if not areas:
        return []
    top = min(splitting_rank(a) for a in areas)
    found = [
        d
        for d in departments.values()
        if LEVEL_RANK[d.level] < top
        and not d.collective
        and any(lies_within(d, a, departments) for a in areas)
    ]
    return sorted(found, key=lambda d: (-LEVEL_RANK[d.level], d.name))


# The four municipalities are provinces although their names end with 市.
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
# The last place in a jurisdiction's name says its level: 广东省韶关市 is a city. Checked in
# this order, as 自治区 and 地区 end with 区 and a county-level 市 is rarer than a city.
LEVEL_SUFFIXES = (
    (("省", "自治区"), JurisdictionLevel.PROVINCE),
    (("街道", "镇", "乡"), JurisdictionLevel.TOWN),
    (("地区", "州", "盟"), JurisdictionLevel.CITY),
    (("县", "区", "旗"), JurisdictionLevel.COUNTY),
    (("市",), JurisdictionLevel.CITY),
)


def level_by_name(place: str) -> JurisdictionLevel | None:
    """The level a jurisdiction's name states, for a place no registry knows (a city plan's
    own bureaus must rank among cities, not beside 省厅); None when the name says nothing."""
    if place in MUNICIPALITIES:
        return JurisdictionLevel.PROVINCE
    for suffixes, level in LEVEL_SUFFIXES:
        if place.endswith(suffixes):
            return level
    return None
