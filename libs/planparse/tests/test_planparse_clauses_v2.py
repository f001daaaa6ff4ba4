"""Issue 19: responsibility clauses in every common shape, written after real 分工方案 / 任务分解 /
实施方案 / 工作要点 of cities, counties, districts, provinces and autonomous regions.

Every document here is made up; none is in the seeds. Several documents per shape, different
places and numbering, so the rules are tested for the family and not for one example.
"""

from __future__ import annotations

import pytest

from duban_planparse import parse_text

pytestmark = pytest.mark.unit


def one(text: str):
    (document,) = parse_text(text).documents
    return document


def roles(document):
    return [(m.label, m.lead, m.supporting) for m in document.measures]


def measure(document, label):
    (found,) = [m for m in document.measures if m.label == label]
    return found


# --- bracketed clause at the end, every bracket type --------------------------------------


@pytest.mark.parametrize(
    ("opener", "closer"),
    [("（", "）"), ("(", ")"), ("〔", "〕"), ("[", "]"), ("【", "】"), ("［", "］")],
)
def test_bracket_types_at_the_end(opener, closer):
    doc = one(
        "韶关市2024年优化营商环境工作要点\n\n一、提升政务服务\n\n"
        f"（一）推进一网通办。实现事项网上可办。{opener}市政务服务数据管理局牵头，市财政局、"
        f"市商务局配合{closer}\n"
        f"（二）压减审批时限。{opener}市人社局、市教育局等负责{closer}\n"
    )
    assert roles(doc) == [
        ("（一）", ("市政务服务数据管理局",), ("市财政局", "市商务局")),
        ("（二）", ("市人社局",), ("市教育局",)),
    ]
    assert all(opener not in d and "等" not in d for m in doc.measures for d in m.departments)


def test_keyed_fields_in_square_brackets_on_one_line():
    doc = one(
        "沈阳市铁西区2023年为民办实事分工方案\n\n一、民生保障\n\n"
        "1.加强知识产权保护。[牵头单位：区市场监管局；责任单位：区公安分局、区法院]\n"
        "2.新建口袋公园5个。【牵头单位：区城建局；配合单位：各街道办事处；完成时限：2023年10月底】\n"
    )
    first, second = doc.measures
    assert (first.lead, first.supporting) == (("区市场监管局",), ("区公安分局", "区法院"))
    assert (second.lead, second.supporting) == (("区城建局",), ("各街道办事处",))
    assert str(second.due) == "2023-10-31"


# --- 部门分工： and unbracketed clauses closing a paragraph --------------------------------


def test_division_of_duties_after_the_measure():
    doc = one(
        "某区商务发展三年行动方案\n\n一、主要任务\n\n"
        "（一）培育消费新场景。打造特色街区3条。部门分工：区商务局牵头，各街道、区直各部门配合。\n"
        "（二）发展夜间经济。延长营业时间。部门分工：区文旅局牵头，区公安分局、区城管局配合。\n"
    )
    first, second = doc.measures
    assert (first.lead, first.supporting) == (("区商务局",), ("各街道", "区直各部门"))
    assert {p.kind for p in first.parties if p.role == "supporting"} == {"collective"}
    assert (second.lead, second.supporting) == (("区文旅局",), ("区公安分局", "区城管局"))
    assert "部门分工" not in first.text and "区商务局" not in first.text


# --- keyed lines after the measure ----------------------------------------------------------


def test_keyed_lines_after_the_measure_county():
    doc = one(
        "某县2024年交通建设任务分解方案\n\n一、路网建设\n\n"
        "1.新改建农村公路50公里。\n牵头单位：县交通运输局\n责任单位：县财政局、各乡镇人民政府\n"
        "责任领导：张某某\n完成时限：2024年12月底\n\n"
        "2.建设客运站1个。\n牵头单位：县交通运输局\n协同责任单位：县自然资源局、县住建局\n"
        "牵头负责领导：李某某\n"
    )
    first, second = doc.measures
    assert first.lead == ("县交通运输局",)
    assert first.supporting == ("县财政局", "各乡镇人民政府")
    assert first.leaders == ("张某某",)
    assert "张某某" not in first.departments
    assert second.supporting == ("县自然资源局", "县住建局")
    assert second.leaders == ("李某某",)


def test_several_fields_on_one_line_split_by_semicolons():
    doc = one(
        "清远市2024年卫生健康工作要点\n\n一、医疗服务\n\n"
        "1.推进紧密型县域医共体建设。\n"
        "牵头单位：市卫健委；责任主体：各县（市、区）；配合单位：市医保局\n"
        "2.完善分级诊疗。\n责任领导：陈副市长；牵头单位：市卫健委；责任单位：市医保局、市财政局\n"
    )
    first, second = doc.measures
    assert first.lead == ("市卫健委",)
    assert first.supporting == ("各县（市、区）", "市医保局")
    assert [p.kind for p in first.parties] == ["department", "collective", "department"]
    assert second.leaders == ("陈副市长",)
    assert (second.lead, second.supporting) == (("市卫健委",), ("市医保局", "市财政局"))


def test_responsible_units_line_without_lead_key_first_is_lead():
    doc = one(
        "某省2024年数字政府建设工作要点\n\n一、基础设施\n\n"
        "（一）建设政务云平台。\n责任单位：省政务服务数据管理局、省财政厅、省通信管理局\n"
    )
    (m,) = doc.measures
    assert m.lead == ("省政务服务数据管理局",)
    assert m.supporting == ("省财政厅", "省通信管理局")


# --- clause at the start --------------------------------------------------------------------


def test_clause_opening_the_paragraph():
    doc = one(
        "某市城市更新行动实施方案\n\n一、重点任务\n\n"
        "（一）由分管副市长负责，市住建局牵头，相关部门配合，推进老旧小区改造120个。\n"
        "（二）完善基础设施。由市城管局牵头，会同市财政局、市自然资源局，加快管网改造。\n"
        "（三）市交通运输局牵头，各区配合，优化公交线网。\n"
    )
    first, second, third = doc.measures
    assert first.leaders == ("分管副市长",)
    assert (first.lead, first.supporting) == (("市住建局",), ("相关部门",))
    assert first.text.startswith("推进老旧小区改造")
    assert (second.lead, second.supporting) == (("市城管局",), ("市财政局", "市自然资源局"))
    assert (third.lead, third.supporting) == (("市交通运输局",), ("各区",))


# --- several leads --------------------------------------------------------------------------


def test_several_leads_with_fenbie():
    doc = one(
        "某市稳就业工作方案\n\n一、措施\n\n"
        "1.促进返乡创业。责任单位：市人社局、市农业农村局分别牵头，市财政局配合\n"
        "2.开展技能培训。（市人社局、市教育局分别牵头，各区人民政府配合）\n"
        "3.支持平台就业。（市商务局、市人社局共同牵头）\n"
    )
    assert roles(doc) == [
        ("1.", ("市人社局", "市农业农村局"), ("市财政局",)),
        ("2.", ("市人社局", "市教育局"), ("各区人民政府",)),
        ("3.", ("市商务局", "市人社局"), ()),
    ]


# --- notes: 下同, 以下不再列出, conventions ---------------------------------------------------


def test_note_carries_the_clause_forward_until_the_next_clause():
    doc = one(
        "某市2024年统计工作要点\n\n一、统计调查\n\n"
        "（一）开展经济普查。（市统计局牵头，各有关单位配合，以下不再逐项列出，下同）\n"
        "（二）做好常规调查。\n（三）加强数据质量。\n"
        "（四）推进统计执法。（市司法局牵头）\n（五）加强宣传。\n"
    )
    assert roles(doc) == [
        ("（一）", ("市统计局",), ("各有关单位",)),
        ("（二）", ("市统计局",), ("各有关单位",)),
        ("（三）", ("市统计局",), ("各有关单位",)),
        ("（四）", ("市司法局",), ()),
        ("（五）", (), ()),
    ]
    for m in doc.measures:
        assert not any("下同" in d or "列出" in d for d in m.departments)


@pytest.mark.parametrize("note", ["下同", "以下同", "后同", "以下不再列出", "不再逐一列出"])
def test_every_same_note_is_dropped(note):
    doc = one(f"某县方案\n\n一、任务\n\n1.甲。（县发改局牵头，县财政局配合，{note}）\n2.乙。\n")
    assert roles(doc) == [
        ("1.", ("县发改局",), ("县财政局",)),
        ("2.", ("县发改局",), ("县财政局",)),
    ]


@pytest.mark.parametrize(
    ("convention", "sep"),
    [
        ("逗号前为牵头单位", "，"),
        ("责任单位中逗号前的为牵头单位", "，"),
        ("分号前为牵头单位", "；"),
    ],
)
def test_document_level_comma_convention(convention, sep):
    doc = one(
        f"某自治区2024年生态环境保护工作要点\n\n说明：责任单位中{convention}，下同。\n\n"
        "一、污染防治\n\n"
        f"1.打好蓝天保卫战。（责任单位：自治区生态环境厅{sep}自治区发展改革委、工业和信息化厅）\n"
        f"2.打好碧水保卫战。（自治区水利厅、自治区住房城乡建设厅{sep}自治区农牧厅负责）\n"
    )
    first, second = doc.measures
    assert first.lead == ("自治区生态环境厅",)
    assert first.supporting == ("自治区发展改革委", "自治区工业和信息化厅")
    assert second.lead == ("自治区水利厅", "自治区住房城乡建设厅")
    assert second.supporting == ("自治区农牧厅",)


@pytest.mark.parametrize("convention", ["列第一位的为牵头单位", "排名第一的为牵头单位"])
def test_first_listed_convention(convention):
    doc = one(
        f"某市方案\n\n各项任务责任单位中{convention}。\n\n一、任务\n\n"
        "1.甲。（市民政局、市财政局、市卫健委）\n"
        f"2.乙。（市教育局、市人社局，{convention}）\n"
    )
    second = measure(doc, "2.")
    assert second.lead == ("市教育局",) and second.supporting == ("市人社局",)
    assert not any("牵头" in d for m in doc.measures for d in m.departments)


# --- sub-items sharing one clause -----------------------------------------------------------


def test_sub_items_share_the_parent_clause_and_stay_one_measure():
    doc = one(
        "某区2024年教育工作要点\n\n一、任务\n\n"
        "1.推进集团化办学。\n（1）新组建教育集团3个；\n（2）推进集团内师资流动；\n"
        "（3）开展联合教研。（区教育局牵头，区财政局、区人社局配合）\n"
        "2.加强师资建设。\n①招聘教师100名；\n②培训校长50名。（区教育局负责）\n"
    )
    assert roles(doc) == [
        ("1.", ("区教育局",), ("区财政局", "区人社局")),
        ("2.", ("区教育局",), ()),
    ]
    assert "（2）推进集团内师资流动" in doc.measures[0].text


def test_inline_items_with_their_own_clauses_are_measures():
    doc = one(
        "某县2024年重点工作任务分解方案\n\n一、产业发展\n\n"
        "（一）推进工业升级。一是实施技改项目20个（县工信局牵头，县财政局配合）；"
        "二是培育规上企业10家（县发改局牵头）；三是建设产业园区（县开发区管委会负责）。\n"
        "（二）发展现代农业。一是扩大种植面积；二是推广良种。（县农业农村局牵头，各乡镇配合）\n"
    )
    assert roles(doc) == [
        ("一是", ("县工信局",), ("县财政局",)),
        ("二是", ("县发改局",), ()),
        ("三是", ("县开发区管委会",), ()),
        ("（二）", ("县农业农村局",), ("各乡镇",)),
    ]
    assert doc.measures[0].path == ("一", "（一）", "一是")


# --- groups, lists, 等 ----------------------------------------------------------------------


def test_collective_groups_are_groups():
    doc = one(
        "某省方案\n\n一、任务\n\n"
        "（一）甲。（省发展改革委牵头，各地、各部门配合）\n"
        "（二）乙。（各县（市、区）人民政府负责）\n"
        "（三）丙。（省商务厅牵头，各专班、省直有关单位配合）\n"
        "（四）丁。（各乡镇（街道）负责）\n"
    )
    first, second, third, fourth = doc.measures
    assert first.supporting == ("各地", "各部门")
    assert second.lead == ("各县（市、区）人民政府",)
    assert third.supporting == ("各专班", "省直有关单位")
    assert fourth.lead == ("各乡镇（街道）",)
    for m in doc.measures:
        for party in m.parties:
            if party.name.startswith(("各", "省直")):
                assert party.kind == "collective" and party.proposed is None
    assert not [d for d in doc.new_departments if d.name.startswith("各")]


@pytest.mark.parametrize(
    ("printed", "names"),
    [
        ("市发改委、市财政局等部门", ("市发改委", "市财政局")),
        ("市发改委，市财政局等单位", ("市发改委", "市财政局")),
        ("市发改委,市财政局等", ("市发改委", "市财政局")),
        ("市发改委；市财政局等相关部门", ("市发改委", "市财政局")),
        ("市发改委、市财政局等有关部门", ("市发改委", "市财政局")),
        ("市发改委、市财政局等成员单位", ("市发改委", "市财政局")),
        ("市发改委等12个部门", ("市发改委",)),
    ],
)
def test_list_separators_and_trailing_etc(printed, names):
    doc = one(f"某市方案\n\n一、任务\n\n1.甲。（{printed}负责）\n")
    assert doc.measures[0].departments == names


# --- places are never given a prefix --------------------------------------------------------


def test_county_named_in_a_city_plan_keeps_its_name():
    doc = one(
        "韶关市2024年乡村振兴工作要点\n\n一、任务\n\n"
        "1.支持试点。（市农业农村局、乐昌市、仁化县、南雄市人民政府负责）\n"
        "2.建设园区。（市工信局牵头，团市委、市委宣传部配合）\n"
    )
    first, second = doc.measures
    assert first.departments == ("市农业农村局", "乐昌市", "仁化县", "南雄市人民政府")
    assert second.supporting == ("团市委", "市委宣传部")


# --- leaders are never departments ----------------------------------------------------------


def test_leaders_inside_a_clause():
    doc = one(
        "某县方案\n\n一、任务\n\n"
        "1.甲。（责任领导：王副县长；牵头单位：县住建局；责任单位：县财政局）\n"
        "2.乙。（由县政府分管副县长负责，县水利局牵头，各乡镇配合）\n"
    )
    first, second = doc.measures
    assert first.leaders == ("王副县长",)
    assert second.leaders == ("县政府分管副县长",)
    for m in doc.measures:
        assert not any(d.endswith("县长") for d in m.departments)


# --- a government-work-report task split, several shapes in one document ----------------------


def test_work_report_task_split():
    doc = one(
        "洛阳市人民政府办公室关于印发洛阳市2024年政府工作报告重点工作任务分工方案的通知\n\n"
        "洛政办〔2024〕12号\n\n各县（市、区）人民政府，市人民政府各部门：\n"
        "现将《洛阳市2024年政府工作报告重点工作任务分工方案》印发给你们，请认真贯彻执行。\n\n"
        "洛阳市2024年政府工作报告重点工作任务分工方案\n\n一、主要预期目标\n"
        "1.全市地区生产总值增长6%左右。（牵头单位：市发展改革委；责任单位：市统计局，各县（市、区）人民政府）\n"
        "二、重点工作\n（一）扩大有效投资\n"
        "3.实施重点项目1000个以上。（市发展改革委牵头，市各有关部门按职责分工负责）\n"
        "4.加快老旧小区改造。（责任单位：市住房城乡建设局（牵头）、市财政局，各县（市、区）政府）\n"
        "5.推进城市更新。（牵头单位：市住建局 配合单位：市自然资源和规划局）\n"
        "6.建设保障性住房。（市政府分管领导：王某；牵头单位：市住建局；责任单位：市财政局）\n"
        "（二）提升产业能级\n"
        "8.培育专精特新企业100家。市工业和信息化局牵头，市科技局、市财政局配合。\n"
        "9.发展数字经济。加快数据中心建设。做好算力调度。市大数据局牵头，市发展改革委配合。\n"
    )
    assert doc.plan_title == "洛阳市2024年政府工作报告重点工作任务分工方案"
    assert doc.doc_number == "洛政办〔2024〕12号"
    assert roles(doc) == [
        ("1.", ("市发展改革委",), ("市统计局", "各县（市、区）人民政府")),
        ("3.", ("市发展改革委",), ("市各有关部门",)),
        ("4.", ("市住房城乡建设局",), ("市财政局", "各县（市、区）政府")),
        ("5.", ("市住建局",), ("市自然资源和规划局",)),
        ("6.", ("市住建局",), ("市财政局",)),
        ("8.", ("市工业和信息化局",), ("市科技局", "市财政局")),
        ("9.", ("市大数据局",), ("市发展改革委",)),
    ]
    assert measure(doc, "6.").leaders == ("王某",)
    assert "市科技局" not in measure(doc, "8.").text


def test_autonomous_region_plan_with_bracketed_keys_and_vertical_branches():
    doc = one(
        "广西壮族自治区2024年营商环境优化提升行动方案\n\n一、重点任务\n（一）深化政务服务改革。\n"
        "1.推进高效办成一件事。【牵头单位】自治区政务服务监管办【配合单位】自治区各有关部门，各市人民政府\n"
        "2.推行证明事项告知承诺制。〔自治区司法厅牵头，自治区各有关部门按职责分工负责〕\n"
        "3.压减企业开办时间。\n【责任单位】自治区市场监管局、自治区公安厅、国家税务总局广西壮族自治区税务局\n"
        "（二）优化金融服务。\n"
        "4.加大信贷投放。（人民银行广西壮族自治区分行、国家金融监督管理总局广西监管局、"
        "自治区地方金融管理局按职责分工负责）\n"
        "5.降低融资成本。（责任单位：自治区地方金融管理局，各市人民政府。逗号前为牵头单位）\n"
    )
    assert doc.jurisdiction == "广西壮族自治区"
    assert roles(doc) == [
        ("1.", ("自治区政务服务监管办",), ("自治区各有关部门", "各市人民政府")),
        ("2.", ("自治区司法厅",), ("自治区各有关部门",)),
        ("3.", ("自治区市场监管局",), ("自治区公安厅", "国家税务总局广西壮族自治区税务局")),
        (
            "4.",
            ("人民银行广西壮族自治区分行",),
            ("国家金融监督管理总局广西监管局", "自治区地方金融管理局"),
        ),
        ("5.", ("自治区地方金融管理局",), ("各市人民政府",)),
    ]
    proposed = {p.name: p.proposed for m in doc.measures for p in m.parties}
    assert proposed["自治区司法厅"] == "广西壮族自治区司法厅"
    assert proposed["国家税务总局广西壮族自治区税务局"] == "国家税务总局广西壮族自治区税务局"


def test_keys_after_a_comma_or_a_space_and_a_deadline_first():
    doc = one(
        "某县方案\n\n一、任务\n"
        "1.推进甲项工作，责任单位：县发改局、县财政局\n"
        "2.推进乙项工作 牵头单位：县民政局 配合单位：各乡镇\n"
        "3.推进丙项工作。（2024年底前，县水利局牵头，县财政局配合）\n"
    )
    assert roles(doc) == [
        ("1.", ("县发改局",), ("县财政局",)),
        ("2.", ("县民政局",), ("各乡镇",)),
        ("3.", ("县水利局",), ("县财政局",)),
    ]
    assert str(measure(doc, "3.").due) == "2024-12-31"
    assert measure(doc, "1.").title == "推进甲项工作"


def test_sub_items_under_a_title_only_item():
    doc = one(
        "某区方案\n\n一、任务\n1.推进集团化办学\n（1）新组建教育集团3个；\n（2）推进集团内师资流动；\n"
        "（3）开展联合教研。（区教育局牵头，区财政局配合）\n2.加强师资建设\n"
        "①招聘教师100名（区人社局负责）；\n②培训校长50名（区教育局负责）。\n"
    )
    assert [(m.path, m.lead, m.supporting) for m in doc.measures] == [
        (("一", "1."), ("区教育局",), ("区财政局",)),
        (("一", "2.", "①"), ("区人社局",), ()),
        (("一", "2.", "②"), ("区教育局",), ()),
    ]


def test_county_task_list_with_convention_in_the_notice():
    doc = one(
        "中共某某县委办公室 某某县人民政府办公室\n关于印发《某某县2024年乡村振兴重点工作任务清单》的通知\n\n"
        "县委各部门，县直各单位，各乡镇党委、政府：\n"
        "现将《某某县2024年乡村振兴重点工作任务清单》印发给你们。各项任务责任单位中排在第一位的为牵头单位。\n\n"
        "一、确保粮食安全\n"
        "1.稳定粮食播种面积30万亩以上。（县农业农村局、县发展改革局、县财政局，各乡镇）\n"
        "2.建设高标准农田2万亩。（县农业农村局，县自然资源局、县水利局）\n"
        "3.抓好耕地保护。责任领导：王某某；责任单位：县自然资源局，县农业农村局，各乡镇\n"
        "二、巩固脱贫成果\n"
        "4.落实防返贫动态监测。（县乡村振兴局牵头；县民政局、县医保局按职责分工负责）\n"
        "5.脱贫人口务工规模稳定在3万人以上。（县人社局负责，县乡村振兴局配合，下同）\n"
        "6.开展技能培训5000人次。\n7.推进消费帮扶。（县商务局）\n"
        "三、其他\n8.完成交办的其他事项。（各乡镇、县直各相关单位）\n"
    )
    assert doc.plan_title == "某某县2024年乡村振兴重点工作任务清单"
    assert doc.jurisdiction == "某某县"
    assert roles(doc) == [
        ("1.", ("县农业农村局",), ("县发展改革局", "县财政局", "各乡镇")),
        ("2.", ("县农业农村局",), ("县自然资源局", "县水利局")),
        ("3.", ("县自然资源局",), ("县农业农村局", "各乡镇")),
        ("4.", ("县乡村振兴局",), ("县民政局", "县医保局")),
        ("5.", ("县人社局",), ("县乡村振兴局",)),
        ("6.", ("县人社局",), ("县乡村振兴局",)),
        ("7.", ("县商务局",), ()),
        ("8.", ("各乡镇",), ("县直各相关单位",)),
    ]
    assert measure(doc, "3.").leaders == ("王某某",)
    assert not [w for w in doc.warnings if "未读出" in w or "未能识别" in w]


@pytest.mark.parametrize(
    ("clause", "lead", "supporting"),
    [
        ("（市直各部门按照职责分工抓好落实）", ("市直各部门",), ()),
        ("（市发改委牵头，各有关部门按照各自职责分工负责）", ("市发改委",), ("各有关部门",)),
        ("（市教育局、市人社局按职责分工）", ("市教育局",), ("市人社局",)),
        ("（市发改委为牵头单位，市财政局为配合单位）", ("市发改委",), ("市财政局",)),
        ("（市发改委牵头负责，市财政局、市商务局参与）", ("市发改委",), ("市财政局", "市商务局")),
        ("（市发改委会同市财政局负责）", ("市发改委",), ("市财政局",)),
        ("（市发改委负责，市财政局协助）", ("市发改委",), ("市财政局",)),
    ],
)
def test_verbs_of_responsibility(clause, lead, supporting):
    (m,) = one(f"某市方案\n\n一、任务\n\n1.甲。{clause}\n").measures
    assert (m.lead, m.supporting) == (lead, supporting)


@pytest.mark.parametrize("text", [")区配合", "[区配合", "（区负责", "区）负责"])
def test_stray_brackets_never_enter_a_name(text):
    doc = one("某市方案\n\n一、任务\n\n1." + text)
    for m in doc.measures:
        assert not any(ch in d for d in m.departments for ch in "()（）[]")


def test_notes_in_brackets_of_their_own():
    doc = one(
        "某市方案\n\n一、任务\n\n1.甲。\n"
        "责任单位：市发改委、市统计局，各县（市、区）政府（逗号前为牵头单位，下同）\n"
        "2.乙。\n责任单位：市财政局，市税务局\n"
        "3.丙。（市商务局、市工信局（排名第一的为牵头单位））\n"
        "4.丁。（市人社局牵头，市财政局配合）（下同）\n5.戊。\n"
    )
    assert roles(doc) == [
        ("1.", ("市发改委", "市统计局"), ("各县（市、区）政府",)),
        ("2.", ("市财政局",), ("市税务局",)),
        ("3.", ("市商务局",), ("市工信局",)),
        ("4.", ("市人社局",), ("市财政局",)),
        ("5.", ("市人社局",), ("市财政局",)),
    ]


@pytest.mark.parametrize(
    ("printed", "leaders"),
    [
        ("县委常委、副县长王某某", ("县委常委、副县长王某某",)),
        ("张某某、李某某", ("张某某", "李某某")),
        ("李副县长、张副县长", ("李副县长", "张副县长")),
    ],
)
def test_leaders_titles_and_names(printed, leaders):
    (m,) = one(
        f"某县方案\n\n一、任务\n\n1.甲。\n责任领导：{printed}\n牵头单位：县水利局\n"
    ).measures
    assert m.leaders == leaders
    assert m.departments == ("县水利局",)


def test_unnumbered_paragraphs_with_their_own_clauses_are_measures():
    doc = one(
        "某市2024年工作要点\n\n一、重点任务\n"
        "推进X工作，完成目标。（市发改委牵头，市财政局配合）\n"
        "推进Y工作。\n牵头单位：市工信局\n配合单位：市科技局\n"
        "推进Z工作。（市商务局负责）\n"
        "二、保障措施\n加强组织领导。建立工作机制。\n强化督促检查。定期通报进展。\n"
    )
    assert [(m.path, m.title, m.lead, m.supporting) for m in doc.measures] == [
        (("一", "第1段"), "推进X工作，完成目标", ("市发改委",), ("市财政局",)),
        (("一", "第2段"), "推进Y工作", ("市工信局",), ("市科技局",)),
        (("一", "第3段"), "推进Z工作", ("市商务局",), ()),
        (("二",), "保障措施", (), ()),
    ]


def test_keyed_lines_then_a_convention_line():
    doc = one(
        "某市方案\n\n说明：责任单位中逗号前为牵头单位。\n\n一、任务\n\n"
        "1.甲。\n牵头单位：市人社局\n责任单位：市教育局、市财政局，各区人民政府\n完成时限：2023年12月底前\n"
    )
    (m,) = doc.measures
    assert m.lead == ("市人社局",)
    assert m.supporting == ("市教育局", "市财政局", "各区人民政府")
    assert str(m.due) == "2023-12-31"


def test_a_bracketed_clause_outranks_prose_that_opens_the_paragraph():
    doc = one(
        "某市方案\n\n一、任务\n\n"
        "1.各地负责，确保完成目标任务。（市发改委牵头，市财政局配合）\n"
        "2.由分管副市长负责，市住建局牵头，相关部门配合，推进改造。（完成时限：2024年底）\n"
    )
    first, second = doc.measures
    assert (first.lead, first.supporting) == (("市发改委",), ("市财政局",))
    assert (second.lead, second.supporting, second.leaders) == (
        ("市住建局",),
        ("相关部门",),
        ("分管副市长",),
    )
    assert second.text == "推进改造。" and str(second.due) == "2024-12-31"


@pytest.mark.parametrize(
    ("clause", "lead", "supporting", "leaders"),
    [
        (
            "（责任单位：市发展改革委（牵头）、市财政局；完成时限：2024年12月）",
            ("市发展改革委",),
            ("市财政局",),
            (),
        ),
        (
            "（责任领导：王某；责任单位：市教育局（牵头）、市财政局）",
            ("市教育局",),
            ("市财政局",),
            ("王某",),
        ),
        ("（市发改委、市商务局（牵头））", ("市商务局",), ("市发改委",), ()),
    ],
)
def test_lead_marked_in_a_keyed_list(clause, lead, supporting, leaders):
    (m,) = one(f"某市方案\n\n一、任务\n\n1.甲。{clause}\n").measures
    assert (m.lead, m.supporting, m.leaders) == (lead, supporting, leaders)


def test_contact_details_are_not_part_of_a_name():
    (m,) = one(
        "某市方案\n\n一、任务\n\n1.甲。\n牵头单位：市发改委（联系人：张三，电话：12345678）\n配合单位：市财政局\n"
    ).measures
    assert (m.lead, m.supporting) == (("市发改委",), ("市财政局",))


def test_paragraphs_followed_by_their_bracketed_clause_lines():
    doc = one(
        "某省方案\n\n一、任务\n（一）强化培训\n开展A培训。\n（省人社厅负责）\n开展B培训。\n（省教育厅负责）\n"
        "（二）其他\n开展C。（省民政厅负责）\n（三）宣传\n开展宣传。\n（省委宣传部负责）\n"
    )
    assert [(m.path[-1], m.lead) for m in doc.measures] == [
        ("第1段", ("省人社厅",)),
        ("第2段", ("省教育厅",)),
        ("（二）", ("省民政厅",)),
        ("（三）", ("省委宣传部",)),  # one paragraph and its clause: one measure
    ]


def test_a_pdf_that_spaces_every_character():
    (m,) = one(
        "某市方案\n\n一、任务\n\n1.甲。（市 发 改 委 牵 头 ， 市 财 政 局 配 合）\n"
    ).measures
    assert (m.lead, m.supporting) == (("市发改委",), ("市财政局",))


# --- a keyed clause closing the measure's own paragraph, with marks inside its fields -----


@pytest.mark.parametrize(
    ("clause", "lead", "supporting", "leaders"),
    [
        (
            "责任单位：市自然资源局（牵头）、市住房城乡建设局；责任领导：王某某副市长。",
            ("市自然资源局",),
            ("市住房城乡建设局",),
            ("王某某副市长",),
        ),
        (
            "责任单位：市自然资源局（牵头），市住房城乡建设局",
            ("市自然资源局",),
            ("市住房城乡建设局",),
            (),
        ),
        (
            "牵头单位：县农业农村局（联系人：张某，电话：0751-1234567）；配合单位：县财政局",
            ("县农业农村局",),
            ("县财政局",),
            (),
        ),
        (
            "责任单位：区人社局；责任领导：李某（区委常委、副区长）",
            ("区人社局",),
            (),
            ("李某（区委常委、副区长）",),
        ),
    ],
)
def test_a_keyed_clause_after_the_text_keeps_its_marks_inside_the_fields(
    clause, lead, supporting, leaders
):
    doc = one(
        f"临江市2025年工作要点\n\n一、要素保障\n\n（一）保障用地需求。加快土地供应。{clause}\n\n（二）优化融资。（市金融办牵头）\n"
    )
    first = measure(doc, "（一）")
    assert (first.lead, first.supporting, first.leaders) == (lead, supporting, leaders)
    assert measure(doc, "（二）").lead == ("市金融办",)


def test_a_note_closing_a_keyed_clause_carries_it_forward():
    doc = one(
        "铁西区2025年工作要点\n\n一、就业\n\n（一）稳岗。落实援企稳岗政策。"
        "责任单位：区人社局、区财政局（下同）\n\n（二）扩岗。开发公益性岗位。\n\n"
        "（三）兜底。动态清零零就业家庭。（区民政局牵头）\n"
    )
    assert roles(doc) == [
        ("（一）", ("区人社局",), ("区财政局",)),
        ("（二）", ("区人社局",), ("区财政局",)),
        ("（三）", ("区民政局",), ()),
    ]
