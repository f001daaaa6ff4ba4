"""Names of responsible parties: collectives, own prefixes and elided-prefix restoration."""

from __future__ import annotations

import re
from functools import lru_cache

from .text_lines import CLOSERS, OPENERS, ORG_SUFFIX_CHARS

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
    "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门",
    "台湾",
)  # fmt: skip
_PROVINCE_FULL = re.compile(
    "^(?:" + "|".join(PROVINCES) + r")(?:[\u4e00-\u9fff]{0,4}?(?:特别行政区|自治区|省|市))?"
)
# Names that are complete on their own: central bodies and vertically managed branches.
_OWN = re.compile(
    r"^(?:中国|中华|中央|中共|国家|国务院|全国|人民银行|人行|银保监|证监|银监|保监|共青团|团中央|"
    r"海关|税务总局|[\u4e00-\u9fff]{2,8}海关)"
)
_BAD_PLACE_TAIL = ("城市", "城区", "社区", "园区", "地区", "景区", "小区", "市区", "城乡", "保护区")
_PLACE = re.compile(
    r"^([\u4e00-\u9fff]{1,7}?(?:特别行政区|自治区|自治州|自治县|自治旗|新区|省|市|县|区|州|盟|旗))"
    r"(?=[\u4e00-\u9fff]{2})"
)
_SINGLE = re.compile(r"^(自治区|省|市(?!场|政)|县|区(?!域)|州|盟|旗|镇(?!街)|乡(?!村|镇)|街道)")
# 各部门, 相关乡镇办, 市直各单位, 市各有关部门, 全市…
_COLLECTIVE = re.compile(
    r"^(?:(?:省|市|县|区|自治区|州|盟|旗)?直?(?:各|相关|有关|其他|其它)|全省|全市|全区|全县|所属|所辖)"
)
_TRAILING_ETC = re.compile(
    r"(?:等(?:\d+个|[一二三四五六七八九十]+个)?(?:相关|有关|其他|成员)?(?:部门|单位|机构)?|等)$"
)


@lru_cache(maxsize=4096)
def is_collective(name: str) -> bool:
    """各部门, 各地, 各县市区人民政府, 相关乡镇办…: parties that are not one department."""
    if len(name) > 16 or not _COLLECTIVE.match(name):
        return False
    core = _TRAILING_GROUP.sub("", name)
    return len(core) >= 2 and (core[-1] in ORG_SUFFIX_CHARS or core[-1] in "地级道班")


_BRACKETED_VERB = re.compile(r"[（(](?:按职责分工|按职责)?(?:负责|配合|落实)[）)]$")


_SPACE = re.compile(r"\s+")
_TRAILING_GROUP = re.compile(r"[（(〔][^（()）〔〕]{0,20}[）)〕]$")
_SEPARATORS = re.compile(r"[、，,；;/／\s]+|和(?=各)")


def clean_name(name: str) -> str:
    name = _SPACE.sub("", name).strip("，,、；;。：:")
    name = _BRACKETED_VERB.sub("", name)
    return _TRAILING_ETC.sub("", name)


def _balanced(name: str) -> bool:
    depth = 0
    for ch in name:
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@lru_cache(maxsize=4096)
def looks_like_party(name: str) -> bool:
    if not 2 <= len(name) <= 40 or any(ch in name for ch in "。！？“”《》：:\"'"):
        return False
    if name[0] in OPENERS or name[0] in CLOSERS or not _balanced(name):
        return False
    if is_collective(name):
        return True
    core = _TRAILING_GROUP.sub("", name)
    return bool(core) and core[-1] in ORG_SUFFIX_CHARS


@lru_cache(maxsize=4096)
def restorable_prefix(name: str) -> str | None:
    """The jurisdiction prefix a name prints (省, 自治区, 广州市…) that later names may elide."""
    if _OWN.match(name):
        return None
    province = _PROVINCE_FULL.match(name)
    if province:
        full = province.group(0)
        return full if full[-1] in "省市区" and len(full) < len(name) else None
    place = _PLACE.match(name)
    if place and not place.group(1).endswith(_BAD_PLACE_TAIL):
        prefix = place.group(1)
        # 广州市: the lazy match stops at 州; the place goes on to 市.
        nxt = name[len(prefix) : len(prefix) + 2]
        if nxt[:1] in ("市", "县", "区", "盟", "旗") and nxt != "市场":
            prefix += nxt[0]
        return prefix
    single = _SINGLE.match(name)
    return single.group(1) if single else None


def has_own_prefix(name: str) -> bool:
    return bool(_OWN.match(name) or _PROVINCE_FULL.match(name) or restorable_prefix(name))


# A name that is a place or a body of a place is never given another place's prefix:
# 市商务局、乐昌市、仁化县 is not 市乐昌市; 团市委 is not 市团市委.
_IS_PLACE = re.compile(
    r"(?:[市县区旗镇乡州盟]|街道|开发区|新区|园区|公司|集团|供电局|分行|支行|海关)$|[省市县区旗]委|"
    r"^(?:国网|国家电网|南方电网|南网|中国|中石|中铁|中交|中建|中核|中航)|"
    r"(?:市|县|区|旗|镇|乡|街道|州|盟)(?:人民政府|政府|管委会|管理委员会|办事处|党委|党工委)|"
    r"^(?:团|中共|共青团)"
)


def is_place_body(name: str) -> bool:
    """乐昌市, 南雄市人民政府, 团市委, 国网某供电公司: never given another place's prefix."""
    return bool(_IS_PLACE.search(name))


def restore_prefixes(names: list[str]) -> list[str]:
    """（自治区发展改革委、工业和信息化厅） → 自治区发展改革委, 自治区工业和信息化厅.

    Only a bare department name (工业和信息化厅) takes the prefix printed before it; places,
    bodies of places and names complete on their own keep exactly what is printed.
    """
    carried: str | None = None
    out: list[str] = []
    for name in names:
        if is_collective(name):
            out.append(name)
            continue
        prefix = restorable_prefix(name)
        if prefix:
            carried = prefix
            out.append(name)
        elif has_own_prefix(name) or carried is None or _IS_PLACE.search(name):
            out.append(name)
        else:
            out.append(carried + name)
    return out


_EACH_LEVEL = re.compile(r"^各[省市县区州盟旗]{1,3}$")
_LEVEL_GOVERNMENT = re.compile(
    r"^[省市县区州盟旗乡镇](?:级|级以上)?(?:人民)?(?:政府|党委|党委和政府)$"
)


def _join_each_levels(names: list[str]) -> list[str]:
    """各市、县人民政府 is one collective party (the governments of each city and county)."""
    out: list[str] = []
    for name in names:
        if out and _EACH_LEVEL.match(out[-1]) and _LEVEL_GOVERNMENT.match(name):
            out[-1] = f"{out[-1]}、{name}"
        else:
            out.append(name)
    return out


def split_parties(text: str) -> list[str]:
    """Split a list of names on 、，； but never inside brackets: 各县（市、区）人民政府."""
    return list(_split_parties(text))


@lru_cache(maxsize=8192)
def _split_parties(text: str) -> tuple[str, ...]:
    if not any(ch in OPENERS for ch in text):
        parts = _SEPARATORS.split(text)
    else:
        parts = _OUTSIDE_BRACKETS.split(text)
    return tuple(_join_each_levels([n for n in (clean_name(p) for p in parts) if n]))


# A separator followed by a closer before any opener is inside a bracket (one level deep).
_OUTSIDE_BRACKETS = re.compile(r"(?:[、，,；;/／\s]|和(?=各))+(?![^（(〔【\[［]*[）)〕】\]］])")
