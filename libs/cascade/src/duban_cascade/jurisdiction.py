"""Where a plan applies (国家 / 广东省 / 某市 …) and how high that is in the chain.

The names follow the plan importer's registry (the national level is 国家), so a cascade and the
ledger speak of the same jurisdictions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from duban_planparse import default_registry

NATIONAL = "国家"
# Rank in the chain: a superior plan has a smaller rank than the plans that implement it.
_RANKS = {"国家": 0, "省": 1, "自治区": 1, "直辖市": 1, "市": 2, "州": 2, "盟": 2, "地区": 2}
_COUNTY_RANK = 3
# 文号 issuer codes: national ministries and the provinces' one-character abbreviations.
_NATIONAL_CODE = re.compile(
    r"^(?:国|国办|中发|中办|人社部|发改|财|教|工信部|民发|农|商|科|自然资|建|文旅|国卫|市场监管|"
    r"国市监|知|广电|银保监|证监|银发|国乡振)"
)
_PROVINCE_CODES = {
    "京": "北京市", "津": "天津市", "沪": "上海市", "渝": "重庆市", "冀": "河北省",
    "晋": "山西省", "辽": "辽宁省", "吉": "吉林省", "黑": "黑龙江省", "苏": "江苏省",
    "浙": "浙江省", "皖": "安徽省", "闽": "福建省", "赣": "江西省", "鲁": "山东省",
    "豫": "河南省", "鄂": "湖北省", "湘": "湖南省", "粤": "广东省", "桂": "广西壮族自治区",
    "琼": "海南省", "川": "四川省", "黔": "贵州省", "云": "云南省", "藏": "西藏自治区",
    "陕": "陕西省", "甘": "甘肃省", "青": "青海省", "宁": "宁夏回族自治区",
    "新": "新疆维吾尔自治区", "内": "内蒙古自治区",
}  # fmt: skip
_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,10}?(?:自治区|省|市|自治州|州|盟|地区|县|旗|区))")


def rank(jurisdiction: str | None) -> int | None:
    """0 national, 1 province, 2 city, 3 county; None when unknown."""
    if not jurisdiction:
        return None
    if jurisdiction == NATIONAL or jurisdiction in ("全国", "中央"):
        return 0
    known = default_registry().jurisdiction(jurisdiction)
    if known is not None and known.level in _RANKS:
        return _RANKS[known.level]
    if jurisdiction.endswith(("省", "自治区")) or jurisdiction in _PROVINCE_CODES.values():
        return 1
    if jurisdiction.endswith(("市", "州", "盟", "地区")):
        return 2
    if jurisdiction.endswith(("县", "旗", "区")):
        return _COUNTY_RANK
    return None


def from_doc_number(doc_number: str | None) -> str | None:
    """人社部发〔2021〕66号 → 国家, 粤人社发… → 广东省; None when the code says nothing."""
    if not doc_number:
        return None
    if _NATIONAL_CODE.match(doc_number):
        return NATIONAL
    return _PROVINCE_CODES.get(doc_number[0])


def from_names(names: Iterable[str]) -> str | None:
    """The place most issuer names or a title start with (广州市人力资源和社会保障局 → 广州市)."""
    votes: dict[str, int] = {}
    for name in names:
        if name.startswith(("国家", "中国", "中共中央", "国务院")) or name.endswith(("部", "总局")):
            votes[NATIONAL] = votes.get(NATIONAL, 0) + 1
            continue
        match = _PLACE.match(name.removeprefix("关于"))
        if match and not match.group(1).startswith("市场"):
            votes[match.group(1)] = votes.get(match.group(1), 0) + 1
    return max(votes, key=lambda k: (votes[k], -len(k))) if votes else None
