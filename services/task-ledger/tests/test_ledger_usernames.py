"""Readable demo usernames: place and department in pinyin initials of the usual short names."""

from __future__ import annotations

import pytest

from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.domain.model import Department
from task_ledger.service_layer.directory import registry_departments
from task_ledger.service_layer.usernames import readable_username

pytestmark = pytest.mark.unit


def dep(name: str, place: str, level: JurisdictionLevel = JurisdictionLevel.PROVINCE) -> Department:
    return Department(f"dep-{name}", name, place, level)


def test_usernames_say_where_and_which_department() -> None:
    taken: set[str] = set()
    assert readable_username(dep("广东省人力资源和社会保障厅", "广东省"), taken) == "gd-rst"
    assert readable_username(dep("国家发展和改革委员会", "国家"), taken) == "gj-fgw"
    assert readable_username(dep("内蒙古自治区教育厅", "内蒙古自治区"), taken) == "nmg-jyt"
    city = dep("广州市人力资源和社会保障局", "广东省广州市", JurisdictionLevel.CITY)
    assert readable_username(city, taken) == "gz-rsj"
    assert readable_username(dep("天河区教育局", "广东省广州市天河区"), taken) == "th-jyj"


def test_a_clash_gets_a_number_and_every_seeded_name_is_unique_and_valid() -> None:
    taken: set[str] = set()
    first = readable_username(dep("广东省人社厅", "广东省"), taken)
    second = readable_username(dep("广东省人力资源和社会保障厅", "广东省"), taken)
    assert (first, second) == ("gd-rst", "gd-rst-2")

    names: set[str] = set()
    made = [readable_username(d, names) for d in registry_departments()]
    assert len(set(made)) == len(made) == len(registry_departments())
    assert all(n.isascii() and n[0].isalnum() and len(n) <= 30 for n in made)
