"""Issue 19: numbering schemes, the plan inside its notice, warnings, parties and resolution."""

from __future__ import annotations

import json

import pytest

from duban_planparse import parse_text

pytestmark = pytest.mark.unit


def one(text: str):
    (document,) = parse_text(text).documents
    return document


@pytest.mark.parametrize(
    ("first", "second", "labels"),
    [
        ("1.", "2.", ["1.", "2."]),
        ("1、", "2、", ["1.", "2."]),
        ("1．", "2．", ["1.", "2."]),
        ("1﹒", "2﹒", ["1.", "2."]),
        ("1)", "2)", ["（1）", "（2）"]),
        ("（1）", "（2）", ["（1）", "（2）"]),
        ("⑴", "⑵", ["（1）", "（2）"]),
        ("⒈", "⒉", ["1.", "2."]),
        ("①", "②", ["①", "②"]),
        ("❶", "❷", ["①", "②"]),
        ("第一条", "第二条", ["第一条", "第二条"]),
        ("1.1", "1.2", ["1.1", "1.2"]),
    ],
)
def test_numbering_schemes(first, second, labels):
    doc = one(
        "某自治区2024年工作要点\n\n一、重点任务\n\n"
        f"{first}推进甲项工作。（自治区发展改革委牵头）\n"
        f"{second}推进乙项工作。（自治区财政厅负责）\n"
    )
    assert [m.label for m in doc.measures] == labels
    assert [m.lead for m in doc.measures] == [("自治区发展改革委",), ("自治区财政厅",)]


def test_chinese_circled_section_numbers():
    doc = one("某省方案\n\n㈠加强领导。（省委办公厅负责）\n㈡强化督查。（省政府督查室负责）\n")
    assert [m.label for m in doc.measures] == ["（一）", "（二）"]


def test_unknown_numbering_inside_a_measure_is_reported():
    doc = one(
        "某市方案\n\n一、任务\n\n"
        "1.推进三项改革。\nA.深化放管服改革（市政数局牵头）\nB.推进国企改革（市国资委牵头）\n"
        "C.推进财税改革（市财政局牵头）\n"
    )
    assert len(doc.measures) == 1
    assert any(w.startswith("一1.：") and "合并" in w for w in doc.warnings)


def test_notice_wrapping_a_plan_gives_title_and_number():
    doc = one(
        "惠州市人民政府办公室关于印发《惠州市2024年优化营商环境重点任务分工方案》的通知\n\n"
        "惠府办〔2024〕7号\n\n各县（区）人民政府，市直有关单位：\n\n"
        "现将《惠州市2024年优化营商环境重点任务分工方案》印发给你们，请认真贯彻落实。\n\n"
        "惠州市人民政府办公室\n2024年3月5日\n\n"
        "惠州市2024年优化营商环境重点任务分工方案\n\n一、任务\n\n1.甲。（市发展改革局牵头）\n"
    )
    assert doc.plan_title == "惠州市2024年优化营商环境重点任务分工方案"
    assert doc.doc_number == "惠府办〔2024〕7号"
    assert doc.jurisdiction == "惠州市"


def test_notice_with_numbered_points_passes_its_number_to_the_plan():
    result = parse_text(
        "临沂市人民政府办公室\n临政办发〔2023〕9号\n"
        "关于印发《临沂市乡村振兴重点任务分工方案》的通知\n\n"
        "一、提高认识\n各县区要高度重视。\n\n"
        "附件\n\n临沂市乡村振兴重点任务分工方案\n\n一、任务\n\n1.甲。（市农业农村局牵头，市财政局配合）\n"
    )
    plan = result.documents[-1]
    assert plan.title == "临沂市乡村振兴重点任务分工方案"
    assert plan.doc_number == "临政办发〔2023〕9号"


def test_each_unread_measure_is_a_warning_with_its_label():
    doc = one(
        "某市方案\n\n一、任务\n\n"
        "1.甲。（市财政局负责）\n2.乙。（牵头：张三同志抓总，请各位按时报送）\n3.丙。\n"
        "4.丁。（市民政局负责）\n"
    )
    warnings = "\n".join(doc.warnings)
    assert "一2.：责任单位未能识别" in warnings
    assert "一3.：未读出责任单位" in warnings
    assert "一1." not in warnings and "一4." not in warnings


def test_goal_sections_without_parties_are_not_warned():
    doc = one(
        "某市方案\n\n一、总体要求\n\n（一）指导思想。坚持以人民为中心。\n（二）主要目标。到2025年完成。\n\n"
        "二、任务\n\n（一）甲。（市财政局负责）\n（二）乙。（市民政局负责）\n"
    )
    assert not [w for w in doc.warnings if "未读出" in w]


def test_parties_resolve_within_the_jurisdiction():
    doc = one(
        "沈阳市铁西区2024年重点工作分工方案\n\n一、任务\n\n"
        "1.甲。（区工信局牵头，区工业和信息化局、各街道、市公安局铁西分局配合）\n"
        "2.乙。（区工信局负责）\n"
    )
    assert doc.jurisdiction == "沈阳市铁西区"
    first = doc.measures[0]
    assert first.departments == ("区工信局", "区工业和信息化局", "各街道", "市公安局铁西分局")
    parties = {p.name: p for p in first.parties}
    assert parties["区工信局"].role == "lead"
    assert parties["区工信局"].proposed == "沈阳市铁西区工业和信息化局"
    assert parties["各街道"].kind == "collective" and parties["各街道"].proposed is None
    assert parties["市公安局铁西分局"].proposed == "市公安局铁西分局"  # another level: as printed
    names = [d.name for d in doc.new_departments]
    assert names.count("沈阳市铁西区工业和信息化局") == 1  # two printed forms, one department
    (merged,) = [d for d in doc.new_departments if d.name == "沈阳市铁西区工业和信息化局"]
    assert merged.printed == ("区工信局", "区工业和信息化局")


def test_registry_department_resolves_to_its_canonical_name():
    doc = one("广东省某方案\n\n一、任务\n\n（一）甲。（省人社厅牵头，省财政厅配合）\n")
    lead, support = doc.measures[0].parties
    assert lead.canonical == "广东省人力资源和社会保障厅" and lead.proposed is None
    assert support.canonical == "广东省财政厅"
    assert doc.new_departments == ()


@pytest.mark.parametrize(
    "name",
    [
        "省教育厅", "市卫生健康委", "县委办", "市政府研究室", "自治区党委政法委员会", "临沂市人民政府",
        "高新区管委会", "城关街道办事处", "市公共资源交易中心", "拱北海关", "国家税务总局临沂市税务局",
        "人民银行临沂市分行", "山东金融监管局", "市消防救援支队", "县融媒体中心",
    ],
)  # fmt: skip
def test_departments_of_any_province_are_recognised_by_form(name):
    doc = one(f"某地方案\n\n一、任务\n\n1.甲。（{name}负责）\n")
    assert doc.measures[0].departments == (name,)
    assert doc.measures[0].parties[0].kind == "department"


def test_json_contract_keeps_lists_of_names():
    doc = one("某县方案\n\n一、任务\n\n1.甲。（县教育局牵头，县财政局配合）\n")
    data = json.loads(json.dumps(doc.to_dict(), ensure_ascii=False))
    (m,) = data["measures"]
    assert m["departments"] == ["县教育局", "县财政局"]
    assert m["lead"] == ["县教育局"] and m["supporting"] == ["县财政局"]
    assert [p["role"] for p in m["parties"]] == ["lead", "supporting"]
    assert {d["name"] for d in data["new_departments"]} == {"某县教育局", "某县财政局"}


def test_table_format_lists_new_departments():
    from duban_planparse.cli import format_table

    result = parse_text("某县方案\n\n一、任务\n\n1.甲。（县人社局牵头，县财政局配合）\n")
    table = format_table(result)
    assert "新部门：某县人力资源和社会保障局（文中写作：县人社局）" in table
    assert "新部门：某县财政局（文中写作：县财政局）" in table


@pytest.mark.parametrize(
    ("printed", "proposed"),
    [
        ("市财政局", "韶关市财政局"),
        ("市委宣传部", "韶关市委宣传部"),
        ("团市委", "团市委"),
        ("乐昌市", "乐昌市"),
        ("区财政局", "区财政局"),  # another level: not this city's
        ("人民银行韶关市分行", "人民银行韶关市分行"),
        ("市人社局", "韶关市人力资源和社会保障局"),
    ],
)
def test_proposed_names_in_a_city_plan(printed, proposed):
    from duban_planparse.resolve import propose

    assert propose(printed, "韶关市")[0] == proposed
