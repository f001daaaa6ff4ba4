"""Liaison lists read and checked row by row (pure: no database)."""

from __future__ import annotations

import pytest

from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import Department
from task_ledger.service_layer.liaison_list import DepartmentIndex, check, mobile_of, parse

pytestmark = pytest.mark.unit

CITY = JurisdictionLevel.CITY
DEPARTMENTS = [
    Department("dep-gz", "人力资源和社会保障局", "广州市", CITY),
    Department("dep-sz", "人力资源和社会保障局", "深圳市", CITY),
    Department("dep-edu", "广州市教育局", "广州市", CITY),
]


def test_the_header_is_found_under_a_title_and_read_by_its_variants() -> None:
    rows = parse(
        [
            ["2026 年联络员名单"],
            ["序号", "所在单位", "联络员", "联络员手机", "E-mail", "企业微信"],
            ["1", "广州市教育局", "张三", "13800138000", "a@example.cn", "zs"],
            ["", "", "", "", "", ""],
            ["2", "广州市教育局", "李四", "", "", ""],
        ]
    )
    assert [(r.line, r.department, r.name, r.mobile, r.email, r.im_id) for r in rows] == [
        (3, "广州市教育局", "张三", "13800138000", "a@example.cn", "zs"),
        (5, "广州市教育局", "李四", "", "", ""),
    ]
    with pytest.raises(DomainError, match="没有找到表头"):
        parse([["姓名", "手机"], ["张三", "13800138000"]])


def test_mobiles_are_normalised_and_checked() -> None:
    assert mobile_of("+86 138-0013-8000") == "13800138000"
    assert mobile_of("８６１３８００１３８０００") == "13800138000"  # full-width, as typed in Excel
    assert mobile_of("020-12345678") is None
    assert mobile_of("12800138000") is None


def test_a_shared_name_needs_its_place_and_unknown_names_get_suggestions() -> None:
    index = DepartmentIndex(DEPARTMENTS)
    assert index.find("广州市人力资源和社会保障局")[0] == DEPARTMENTS[0]
    found, problem = index.find("人力资源和社会保障局")
    assert found is None and problem is not None and "有重名" in problem
    found, problem = index.find("广州市教育厅")
    assert found is None and problem == "未知单位“广州市教育厅”，是否为：广州市教育局？"


def test_rows_are_checked_against_each_other_and_existing_accounts() -> None:
    rows = parse(
        [
            ["单位", "姓名", "手机", "邮箱"],
            ["广州市教育局", "张三", "13800138000", ""],
            ["广州市教育局", "李四", "13900139000", "bad@"],
            ["深圳市人力资源和社会保障局", "王五", "13700137000", ""],
        ]
    )
    checked = check(rows, DepartmentIndex(DEPARTMENTS), taken={"13800138000"})
    assert checked[0].errors == ["手机号 13800138000 已有账号"]
    assert checked[1].errors == ["邮箱“bad@”格式不正确"]
    assert checked[2].errors == [] and checked[2].department_id == "dep-sz"
