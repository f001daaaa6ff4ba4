"""A generated plan of any length, for benchmarks and scale tests (deterministic per seed)."""

from __future__ import annotations

import random

_CN = "一二三四五六七八九十"
_DEPTS = (
    "省人力资源社会保障厅", "省发展改革委", "省教育厅", "省财政厅", "省工业和信息化厅",
    "省民政厅", "省住房城乡建设厅", "省农业农村厅", "省商务厅", "省文化和旅游厅",
    "省市场监管局", "省乡村振兴局", "人民银行广州分行", "广东银保监局",
)  # fmt: skip
_SENTENCES = (
    "组织开展专项调查研究，掌握本地区劳务品牌数量、分布、特征等基本情况。",
    "鼓励企业、职业院校、职业技能培训机构开展劳务品牌相关职业技能培训，符合条件的按规定给予补贴。",
    "加强政银合作和信息共享，促进金融机构和劳务品牌企业对接（含技工院校）。",
    "到2025年底，培育打造省级劳务品牌30个，带动就业10万人以上。",
    "2023年6月底前完成摸底，2024年底前建立资源库。",
    "支持有条件的地区建立建筑工人服务园，推动资源共享和成果转化。",
)


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN[n - 1]
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN[tens - 1]) + "十" + (_CN[ones - 1] if ones else ""))[:4]


def _clause(rng: random.Random, index: int) -> str:
    depts = rng.sample(_DEPTS, rng.randint(1, 5))
    shape = index % 4
    if shape == 0:
        return f"（{'、'.join(depts)}按职责分工负责）"
    if shape == 1:
        return f"（牵头单位：{depts[0]}；责任单位：{'、'.join(depts[1:]) or depts[0]}）"
    if shape == 2:
        return f"\n\n{depts[0]}牵头，{'、'.join(depts[1:]) or '各地'}配合。"
    return f"（{depts[0]}负责）"


def generate_plan(pages: int = 1000, chars_per_page: int = 1000, seed: int = 7) -> str:
    """About ``pages * chars_per_page`` characters of plan text with page numbers between pages."""
    rng = random.Random(seed)
    parts = ["关于加强劳务品牌建设的行动方案\n\n", "为深入贯彻落实有关部署，制订本方案。\n\n"]
    size = sum(len(p) for p in parts)
    target = pages * chars_per_page
    section = measure = 0
    next_break = chars_per_page
    page = 1
    while size < target:
        if measure % 12 == 0:
            section += 1
            parts.append(f"{_cn_number(section % 99 or 1)}、主要措施第{section}部分\n\n")
        measure += 1
        body = "".join(rng.choice(_SENTENCES) for _ in range(rng.randint(2, 6)))
        label = _cn_number(measure % 12 or 12)
        text = f"（{label}）推进第{measure}项工作。{body}{_clause(rng, measure)}\n\n"
        while size + len(text) > next_break:
            cut = next_break - size
            # Page breaks fall wherever the page ends, mid-sentence included.
            text = text[:cut] + f"\n\n- {page} -\n\n" + text[cut:]
            page += 1
            next_break += chars_per_page
        parts.append(text)
        size += len(text)
    return "".join(parts)
