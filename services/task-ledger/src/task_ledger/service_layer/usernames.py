"""Readable usernames for the demo liaisons: where and which department, in pinyin initials
of the usual short names (广东省人力资源和社会保障厅 → gd-rst, 国家发展和改革委员会 →
gj-fgw, 广州市教育局 → gz-jyj), so a person can tell whose account it is. A name two
departments would share gets -2, -3 in the order the departments are created."""

from __future__ import annotations

import re

from task_ledger.domain.model import Department

# The usual short forms of government department names (the long form is what plans print).
SHORT_FORMS = (
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("发展和改革委员会", "发改委"),
    ("工业和信息化", "工信"),
    ("住房和城乡建设", "住建"),
    ("卫生健康委员会", "卫健委"),
    ("文化和旅游", "文旅"),
    ("退役军人事务", "退役军人"),
    ("市场监督管理", "市监"),
    ("国有资产监督管理委员会", "国资委"),
    ("民族宗教事务委员会", "民宗委"),
    ("民族事务委员会", "民委"),
    ("政务服务数据管理", "政数"),
    ("地方金融监督管理", "金融"),
    ("药品监督管理", "药监"),
    ("科学技术协会", "科协"),
    ("妇女联合会", "妇联"),
    ("残疾人联合会", "残联"),
    ("科学技术", "科技"),
    ("生态环境", "生态"),
    ("自然资源", "自然"),
    ("交通运输", "交通"),
    ("应急管理", "应急"),
    ("人民政府办公厅", "政府办"),
    ("人民政府外事办公室", "外办"),
    ("人民政府", "政府"),
)
# Jurisdiction suffixes left out of the place part (广东省 → gd, 内蒙古自治区 → nmg).
PLACE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "省",
    "市",
    "县",
    "区",
    "镇",
    "乡",
)
MAX_NAME = 8


def initials(text: str) -> str:
    # pypinyin's dictionaries (~20 MB) load when a username is first made, not at start.
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return re.sub(r"[^a-z0-9]", "", "".join(letters).lower())


def _levels(jurisdiction: str) -> list[str]:
    """广东省广州市 → [广东省, 广州市]."""
    return re.findall(r".+?(?:自治区|自治州|省|市|县|区|镇|乡)", jurisdiction) or [jurisdiction]


def _place(jurisdiction: str) -> str:
    """The last level of the jurisdiction (广东省广州市 → 广州), national departments gj."""
    if jurisdiction in ("国家", "全国", "中央", ""):
        return "gj"
    last = _levels(jurisdiction)[-1]
    for suffix in PLACE_SUFFIXES:
        if last.endswith(suffix) and len(last) > len(suffix):
            last = last.removesuffix(suffix)
            break
    return initials(last) or "dw"


def _short_name(dep: Department) -> str:
    name = dep.name.replace(dep.jurisdiction, "", 1) if dep.jurisdiction else dep.name
    # 广州市人社局 in 广东省广州市: the place is already in the first part.
    for level in reversed(_levels(dep.jurisdiction) if dep.jurisdiction else []):
        if name.startswith(level) and len(name) > len(level):
            name = name.removeprefix(level)
            break
    for long, short in SHORT_FORMS:
        name = name.replace(long, short)
    return initials(name)[:MAX_NAME] or "dw"


def readable_username(dep: Department, taken: set[str]) -> str:
    """`place-name`, unique among `taken` (which it joins)."""
    base = f"{_place(dep.jurisdiction)}-{_short_name(dep)}"
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base}-{n}"
    taken.add(username)
    return username
