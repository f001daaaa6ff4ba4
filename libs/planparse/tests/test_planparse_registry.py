"""The department registry: canonical names per jurisdiction, aliases, no silent merging."""

from __future__ import annotations

import json

import pytest

from duban_planparse.registry import DepartmentRegistry, default_registry

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def registry():
    return default_registry()


@pytest.mark.parametrize(
    ("name", "jurisdiction", "canonical"),
    [
        ("省人力资源社会保障厅", "广东省", "广东省人力资源和社会保障厅"),
        ("广东省人力资源和社会保障厅", None, "广东省人力资源和社会保障厅"),
        ("省人社厅", "广东省", "广东省人力资源和社会保障厅"),
        ("广东省人社厅", None, "广东省人力资源和社会保障厅"),
        ("省卫生健康委", "广东省", "广东省卫生健康委员会"),
        ("广东银保监局", None, "中国银行保险监督管理委员会广东监管局"),
        ("人民银行广州分行", "广东省", "中国人民银行广州分行"),
        ("自治区市场监管局", "内蒙古自治区", "内蒙古自治区市场监督管理局"),
        ("自治区知识产权局", "内蒙古自治区", "内蒙古自治区知识产权局"),
        ("自治区党委宣传部", "内蒙古自治区", "中共内蒙古自治区委员会宣传部"),
        ("人民银行呼和浩特支行", None, "中国人民银行呼和浩特中心支行"),
        ("证监会内蒙古监管局", None, "中国证券监督管理委员会内蒙古监管局"),
        ("人力资源社会保障部", None, "人力资源和社会保障部"),
        ("国家发展改革委", "广东省", "国家发展和改革委员会"),
        ("市场监管总局", None, "国家市场监督管理总局"),
        ("中央宣传部", None, "中共中央宣传部"),
        ("广东省乡村振兴局（代章）", None, "广东省乡村振兴局"),
        ("广东省 财政厅", None, "广东省财政厅"),
    ],
)
def test_aliases(registry, name, jurisdiction, canonical):
    assert registry.canonical(name, jurisdiction) == canonical


@pytest.mark.parametrize(
    ("name", "jurisdiction"),
    [
        ("省人社厅", None),  # every province has one: never guessed
        ("团省委", None),
        ("团省委", "湖南省"),  # not Guangdong's just because Guangdong is the one we know
        ("省人力资源社会保障厅", "内蒙古自治区"),  # Inner Mongolia writes 自治区…
        ("省人力资源社会保险厅", "广东省"),  # a near miss is unknown, not merged
        ("市人力资源社会保障局", "广州市"),
        ("", None),
    ],
)
def test_unknown_or_ambiguous_names_resolve_to_none(registry, name, jurisdiction):
    assert registry.canonical(name, jurisdiction) is None


def test_lists_departments_with_jurisdiction_and_level(registry):
    departments = registry.departments()
    assert len(departments) > 100
    levels = {d.jurisdiction: d.level for d in departments}
    assert levels == {"国家": "国家", "广东省": "省", "内蒙古自治区": "自治区"}
    names = [(d.jurisdiction, d.name) for d in departments]
    assert len(names) == len(set(names))
    guangdong = {d.name for d in registry.departments("广东省")}
    assert {"广东省人力资源和社会保障厅", "广东省教育厅", "中国人民银行广州分行"} <= guangdong
    hrss = registry.lookup("省人社厅", "广东省")
    assert hrss is not None and "广东省人力资源社会保障厅" in hrss.aliases


def test_no_alias_is_shared_by_two_departments(registry):
    for jurisdiction in registry.jurisdictions():
        seen: dict[str, str] = {}
        for department in registry.departments(jurisdiction.name):
            for alias in department.aliases:
                assert seen.setdefault(alias, department.name) == department.name, alias


def test_ambiguous_alias_in_custom_data_resolves_to_none(tmp_path):
    data = {
        "jurisdictions": [
            {
                "name": "某省",
                "level": "省",
                "prefixes": ["某省", "省"],
                "places": ["某省"],
                "departments": [
                    {"name": "某省甲局", "short": ["甲局", "同名局"]},
                    {"name": "某省乙局", "short": ["乙局", "同名局"]},
                ],
            }
        ]
    }
    path = tmp_path / "departments.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    registry = DepartmentRegistry.load(path)
    assert registry.canonical("省甲局", "某省") == "某省甲局"
    assert registry.canonical("省同名局", "某省") is None


def test_detect_jurisdiction(registry):
    assert registry.detect_jurisdiction(["广东省财政厅", "广东省教育厅", "人社部"]) == "广东省"
    assert registry.detect_jurisdiction(["某某局"]) is None
