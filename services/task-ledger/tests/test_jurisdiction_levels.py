"""The level of a place no registry knows, read from its name: a new city's own bureaus
created by a plan import rank among cities (they were 省 and ranked beside 省厅)."""

from __future__ import annotations

import pytest

from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.domain.jurisdiction import level_by_name
from task_ledger.service_layer.imports import _level_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("place", "level"),
    [
        ("岚甲乙市", JurisdictionLevel.CITY),
        ("某省岚甲乙市", JurisdictionLevel.CITY),
        ("岚甲乙自治州", JurisdictionLevel.CITY),
        ("岚甲乙市云溪县", JurisdictionLevel.COUNTY),
        ("岚甲乙市东城区", JurisdictionLevel.COUNTY),
        ("岚甲乙市云溪县桃源镇", JurisdictionLevel.TOWN),
        ("岚甲乙市东城区城关街道", JurisdictionLevel.TOWN),
        ("某某省", JurisdictionLevel.PROVINCE),
        ("某某自治区", JurisdictionLevel.PROVINCE),
        ("重庆市", JurisdictionLevel.PROVINCE),
        ("未知", None),
    ],
)
def test_a_place_name_states_its_level(place: str, level: JurisdictionLevel | None) -> None:
    assert level_by_name(place) is level


def test_an_imported_plan_of_an_unknown_city_creates_city_departments() -> None:
    assert _level_of("岚甲乙市") is JurisdictionLevel.CITY
    assert _level_of("广东省") is JurisdictionLevel.PROVINCE  # the registry still decides
    assert _level_of(None) is JurisdictionLevel.PROVINCE
