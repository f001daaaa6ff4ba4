"""Hand-made documents, one per responsibility shape of issue 3, plus structure edge cases.

None of these come from the seeds: they imitate other provinces' plans, city and district
任务分工方案 and government-work-report task splits.
"""

from __future__ import annotations

from datetime import date

import pytest

from duban_planparse import parse_text

pytestmark = pytest.mark.unit


def one(text: str):
    (document,) = parse_text(text).documents
    return document


def by_label(document, label):
    (measure,) = [m for m in document.measures if m.label == label]
    return measure


def test_list_with_division_of_duties_first_is_lead():
    doc = one(
        "湖南省劳务品牌建设三年行动方案\n\n一、重点任务\n\n"
        "（一）建立品牌目录。摸清底数，建立目录。（省人力资源社会保障厅、省发展改革委、省财政厅按职责分工负责）\n"
        "（二）推动品牌输出。加强劳务协作。（省商务厅负责）\n"
    )
    first = by_label(doc, "（一）")
    assert first.departments == ("省人力资源社会保障厅", "省发展改革委", "省财政厅")
    assert first.lead == ("省人力资源社会保障厅",)
    assert first.supporting == ("省发展改革委", "省财政厅")
    assert first.title == "建立品牌目录"
    assert "按职责分工负责" not in first.text
    second = by_label(doc, "（二）")
    assert (second.lead, second.supporting) == (("省商务厅",), ())


def test_collective_only_clause():
    doc = one("某市实施方案\n\n一、保障措施\n\n1.加强领导。建立机制。（各部门按职责分工负责）\n")
    measure = by_label(doc, "1.")
    assert measure.departments == ("各部门",)
    assert measure.collective == ("各部门",)
    assert measure.unknown_departments == ()
    assert not [w for w in doc.warnings if w.startswith("未识别的部门")]


def test_clause_in_its_own_paragraph_after_the_measure():
    doc = one(
        "某省行动方案\n\n一、主要措施\n\n（一）强化培训。开展职业技能培训，提升技能水平。\n\n"
        "（省人力资源社会保障厅、省教育厅按职责分工负责）\n\n"
        "（二）扩大宣传。讲好品牌故事。\n\n(省委宣传部、省广播电视局按职责分工负责)\n"
    )
    first, second = doc.measures
    assert first.departments == ("省人力资源社会保障厅", "省教育厅")
    assert first.text == "强化培训。开展职业技能培训，提升技能水平。"
    assert second.departments == ("省委宣传部", "省广播电视局")


def test_comma_rule_announced_once_carries_forward_with_xiatong():
    doc = one(
        "某市2023年重点工作任务分工方案\n\n"
        "1.稳定就业岗位。（责任单位：市人力资源社会保障局，市发展改革委、市财政局。逗号前为牵头单位，下同）\n"
        "2.扶持创业。（责任单位：市人力资源社会保障局、市财政局，市市场监管局）\n"
        "3.做好保障。（责任单位：市民政局）\n"
    )
    one_, two, three = doc.measures
    assert one_.lead == ("市人力资源社会保障局",)
    assert one_.supporting == ("市发展改革委", "市财政局")
    assert two.lead == ("市人力资源社会保障局", "市财政局")  # 下同: the rule still applies
    assert two.supporting == ("市市场监管局",)
    assert three.lead == ("市民政局",)
    assert three.supporting == ()


def test_without_xiatong_the_comma_rule_is_local():
    doc = one(
        "某县方案\n\n1.甲。（责任单位：县人社局，县财政局。逗号前为牵头单位）\n"
        "2.乙。（责任单位：县人社局，县财政局）\n"
    )
    first, second = doc.measures
    assert (first.lead, first.supporting) == (("县人社局",), ("县财政局",))
    # Without 下同 the next clause falls back to "first listed leads".
    assert (second.lead, second.supporting) == (("县人社局",), ("县财政局",))


def test_lead_and_responsible_keys_in_brackets():
    doc = one(
        "某区重点任务清单\n\n（一）优化营商环境。推进一网通办。"
        "（牵头单位：区政务服务数据管理局；责任单位：区发展改革局、区市场监管局）\n"
    )
    measure = doc.measures[0]
    assert measure.lead == ("区政务服务数据管理局",)
    assert measure.supporting == ("区发展改革局", "区市场监管局")
    assert measure.departments == measure.lead + measure.supporting


def test_keys_on_their_own_lines_with_deadline():
    doc = one(
        "某市政府工作报告重点任务分解\n\n"
        "1.新增城镇就业5万人以上。实施就业优先政策。\n"
        "牵头单位：市人力资源社会保障局\n"
        "责任单位：市发展改革委、市财政局、各区人民政府\n"
        "完成时限：2023年10月底前\n\n"
        "2.推进老旧小区改造。\n牵头单位：市住房城乡建设局\n责任单位：各区人民政府\n"
    )
    first, second = doc.measures
    assert first.lead == ("市人力资源社会保障局",)
    assert first.supporting == ("市发展改革委", "市财政局", "各区人民政府")
    assert first.collective == ("各区人民政府",)
    assert first.due == date(2023, 10, 31)
    assert "牵头单位" not in first.text
    assert [(t.value, t.unit) for t in first.targets] == [(5, "万人")]
    assert (second.lead, second.supporting) == (("市住房城乡建设局",), ("各区人民政府",))


def test_responsible_leader_kept_apart_from_departments():
    doc = one(
        "某市重点工作任务分工方案\n\n一、稳增长\n\n"
        "（一）扩大有效投资。（责任领导：张三、李四；牵头单位：市发展改革委；责任单位：市财政局、市自然资源局）\n"
    )
    measure = doc.measures[0]
    assert measure.leaders == ("张三", "李四")
    assert measure.lead == ("市发展改革委",)
    assert measure.supporting == ("市财政局", "市自然资源局")
    assert "张三" not in measure.departments


def test_tortoise_shell_brackets():
    doc = one(
        "某省实施意见\n\n三、重点任务\n\n（五）完善服务。建设服务站点。"
        "〔责任单位：省人力资源社会保障厅、省民政厅按职责分工负责〕\n"
    )
    measure = doc.measures[0]
    assert measure.lead == ("省人力资源社会保障厅",)
    assert measure.supporting == ("省民政厅",)


def test_department_division_lead_and_cooperating():
    doc = one(
        "某市方案\n\n一、任务\n\n1.推进劳务协作。建立协作机制。\n"
        "部门分工：市人力资源社会保障局牵头，各地、各部门配合。\n"
        "2.培育龙头企业。（市工业和信息化局牵头，市财政局、市商务局配合）\n"
    )
    first, second = doc.measures
    assert first.lead == ("市人力资源社会保障局",)
    assert first.supporting == ("各地", "各部门")
    assert first.collective == ("各地", "各部门")
    assert second.lead == ("市工业和信息化局",)
    assert second.supporting == ("市财政局", "市商务局")


def test_elided_prefixes_restored_but_own_prefixes_kept():
    doc = one(
        "内蒙古自治区某实施方案\n\n一、任务\n\n1.支持创业。落实政策。"
        "（自治区发展改革委、工业和信息化厅、人民银行呼和浩特支行、银保监会内蒙古监管局、财政厅按职责分工负责）\n"
    )
    measure = doc.measures[0]
    assert measure.departments == (
        "自治区发展改革委",
        "自治区工业和信息化厅",
        "人民银行呼和浩特支行",
        "银保监会内蒙古监管局",
        "自治区财政厅",
    )
    assert measure.canonical[-1] == "内蒙古自治区财政厅"


def test_city_prefix_restored_and_market_supervision_not_mistaken_for_a_prefix():
    doc = one(
        "某市方案\n\n一、任务\n\n1.规范市场。（市场监管局负责）\n"
        "2.改善营商环境。（广州市发展改革委、市场监管局、城市管理和综合执法局、各区人民政府按职责分工负责）\n"
    )
    first, second = doc.measures
    assert first.departments == ("市场监管局",)
    assert second.departments == (
        "广州市发展改革委",
        "广州市市场监管局",
        "广州市城市管理和综合执法局",
        "各区人民政府",
    )


def test_collective_parties_kept_as_collective():
    doc = one(
        "某县2022年重点工作任务分工\n\n一、乡村振兴\n\n"
        "（一）完善基础设施。（县农业农村局、各县市区人民政府、相关乡镇办按职责分工负责）\n"
    )
    measure = doc.measures[0]
    assert measure.departments == ("县农业农村局", "各县市区人民政府", "相关乡镇办")
    assert measure.collective == ("各县市区人民政府", "相关乡镇办")
    assert measure.lead == ("县农业农村局",)


def test_unknown_department_is_reported_never_merged():
    doc = one(
        "广东省某行动方案\n\n一、任务\n\n"
        "（一）甲。（省人力资源社会保障厅、省人力资源社会保险厅、省数字经济促进局按职责分工负责）\n"
    )
    measure = doc.measures[0]
    assert measure.canonical == ("广东省人力资源和社会保障厅", None, None)
    assert measure.unknown_departments == ("省人力资源社会保险厅", "省数字经济促进局")
    assert "未识别的部门：省人力资源社会保险厅" in doc.warnings
    assert "未识别的部门：省数字经济促进局" in doc.warnings


def test_aliases_resolve_to_one_department():
    doc = one(
        "广东省某方案\n\n一、任务\n\n（一）甲。（省人社厅负责）\n（二）乙。（广东省人力资源和社会保障厅负责）\n"
        "（三）丙。（省人力资源社会保障厅负责）\n"
    )
    assert {m.canonical for m in doc.measures} == {("广东省人力资源和社会保障厅",)}


def test_no_explicit_lead_marker_first_listed_leads():
    doc = one("某方案\n\n一、任务\n\n1.甲。（国家发展改革委、财政部负责）\n")
    assert doc.measures[0].lead == ("国家发展改革委",)


def test_sub_points_belong_to_their_measure():
    doc = one(
        "某市方案\n\n一、任务\n\n1.做好就业服务。重点做好以下工作：\n"
        "（1）开展招聘活动；\n（2）加强职业指导。（市人力资源社会保障局、市教育局按职责分工负责）\n"
        "2.加强资金保障。（市财政局负责）\n"
    )
    assert [m.label for m in doc.measures] == ["1.", "2."]
    first = doc.measures[0]
    assert first.lead == ("市人力资源社会保障局",)
    assert "（1）开展招聘活动" in first.text


def test_section_clause_passes_down_to_items():
    doc = one(
        "某区任务清单\n\n一、稳就业（牵头单位：区人力资源社会保障局）\n\n"
        "1.开展招聘会。\n2.发放补贴。\n"
    )
    assert [m.lead for m in doc.measures] == [("区人力资源社会保障局",)] * 2


def test_heading_levels_and_bracket_widths():
    doc = one(
        "某省方案\n\n一、总体要求\n\n(一) 目标。到2025年底完成。\n\n二、任务\n\n（一）第一类\n\n"
        "1、甲项。（省财政厅负责）\n2. 乙项。\n(1) 乙一。（省商务厅负责）\n（2）乙二。（省民政厅负责）\n"
    )
    paths = [m.path for m in doc.measures]
    assert paths == [
        ("一", "（一）"),
        ("二", "（一）", "1."),
        ("二", "（一）", "2.", "（1）"),
        ("二", "（一）", "2.", "（2）"),
    ]


def test_page_furniture_bold_and_page_break_in_a_name():
    doc = one(
        "**某省行动方案**\n\n一、措施\n\n（一）**加强统筹。**组织开展调查研究，掌握基本\n\n- 3 -\n\n"
        "情况。（省人力资源社会保障厅、省农业\n\n— 4 —\n\n农村厅按职责分工负责）\n\n"
        "（二）做好宣传。加强宣传。（省委宣传部负责）\n\n广东省人力资源和社会保障厅    广东省财政厅\n\n"
        "2022年3月1日\n"
    )
    first, second = doc.measures
    assert first.title == "加强统筹"
    assert first.text == "加强统筹。组织开展调查研究，掌握基本情况。"
    assert first.departments == ("省人力资源社会保障厅", "省农业农村厅")
    assert second.text == "做好宣传。加强宣传。"  # the signature block is not part of it
    assert doc.issuers == ("广东省人力资源和社会保障厅", "广东省财政厅")
    assert doc.issued_on == date(2022, 3, 1)
    assert doc.title == "某省行动方案"


def test_government_work_report_task_split():
    doc = one(
        "某市人民政府关于印发2023年《政府工作报告》重点工作任务分工的通知\n\n某府〔2023〕5号\n\n"
        "各区人民政府，市政府各部门：\n现将任务分工印发给你们，请认真落实。\n\n"
        "一、着力稳定经济增长\n\n"
        "1.全年地区生产总值增长6%左右。（责任领导：王五；牵头单位：市发展改革委；责任单位：市统计局；"
        "完成时限：2023年12月底）\n"
        "2.年内完成投资100亿元。（牵头单位：市发展改革委；责任单位：各区人民政府）\n"
    )
    first, second = doc.measures
    assert first.leaders == ("王五",)
    assert first.due == date(2023, 12, 31)
    assert [(t.value, t.unit) for t in first.targets] == [(6, "%")]
    assert second.due == date(2023, 12, 31)  # 年内 in a 2023 document
    assert [(t.value, t.unit) for t in second.targets] == [(100, "亿元")]


def test_markdown_pipe_table_of_tasks():
    doc = one(
        "# 某区2024年重点任务分解表\n\n"
        "| 序号 | 工作任务 | 牵头单位 | 责任单位 | 完成时限 |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| 1 | 建成社区食堂20家 | 区民政局 | 各街道办事处 | 2024年6月底前 |\n"
        "| 2 | 开展技能培训5000人次 | 区人力资源社会保障局 | 区财政局 | 2024年12月底前 |\n"
    )
    first, second = doc.measures
    assert doc.title == "某区2024年重点任务分解表"
    assert (first.label, first.title) == ("1.", "建成社区食堂20家")
    assert first.lead == ("区民政局",)
    assert first.supporting == ("各街道办事处",)
    assert first.due == date(2024, 6, 30)
    assert [(t.value, t.unit) for t in second.targets] == [(5000, "人次")]


def test_deadline_shapes():
    doc = one(
        "某省方案\n\n一、任务\n\n1.甲。2022年10月底前出台办法。（省财政厅负责）\n"
        "2.乙。至2021年12月31日完成清理。（省财政厅负责）\n"
        "3.丙。“十四五”末全面建成。（省财政厅负责）\n"
        "4.丁。2023年上半年完成。（省财政厅负责）\n"
        "5.戊。长期坚持。（省财政厅负责）\n"
    )
    dues = [m.due for m in doc.measures]
    assert dues[:4] == [
        date(2022, 10, 31),
        date(2021, 12, 31),
        date(2025, 12, 31),
        date(2023, 6, 30),
    ]
    assert dues[4] is None  # nothing of its own and no plan horizon


def test_measure_due_falls_back_to_document_horizon():
    doc = one(
        "某省“十四五”劳务品牌建设规划\n\n一、目标\n\n（一）总目标。到2025年底，建成一批品牌。\n\n"
        "二、任务\n\n（一）甲。做好甲。（省财政厅负责）\n（二）乙。2023年底前完成乙。（省商务厅负责）\n"
    )
    assert doc.due == date(2025, 12, 31)
    assert [m.due for m in doc.measures] == [
        date(2025, 12, 31),
        date(2025, 12, 31),
        date(2023, 12, 31),
    ]


def test_blank_issue_date_is_null_with_warning():
    doc = one(
        "某省方案\n\n某省人力资源和社会保障厅\n\n2022年  月  日\n\n一、任务\n\n1.甲。（省财政厅负责）\n"
    )
    assert doc.issued_on is None
    assert any(w.startswith("成文日期不完整") for w in doc.warnings)


def test_several_documents_split_on_a_new_document_number():
    doc_a = "某省实施方案\n\n一、任务\n\n（一）甲。（省财政厅负责）\n\n"
    doc_b = (
        "国办发〔2022〕9号\n\n国务院办公厅关于某事的通知\n\n一、任务\n\n（一）乙。（财政部负责）\n"
    )
    documents = parse_text(doc_a + doc_b).documents
    assert [d.title for d in documents] == ["某省实施方案", "国务院办公厅关于某事的通知"]
    assert documents[1].doc_number == "国办发〔2022〕9号"
    assert documents[1].measures[0].lead == ("财政部",)


def test_attachment_marker_after_measures_starts_an_annex_document():
    text = (
        "某市方案\n\n一、任务\n\n1.甲。（市财政局负责）\n\n附件2\n\n某市重点项目清单\n\n"
        "1.建设产业园。（市发展改革委负责）\n"
    )
    documents = parse_text(text).documents
    assert [d.title for d in documents] == ["某市方案", "某市重点项目清单"]


def test_lead_marked_inside_the_list():
    doc = one(
        "四川省方案\n\n一、任务\n\n（一）甲。（责任单位：省人力资源社会保障厅（牵头）、省财政厅、省教育厅）\n"
        "（二）乙。（省发展改革委、省商务厅（牵头））\n"
    )
    first, second = doc.measures
    assert first.lead == ("省人力资源社会保障厅",)
    assert first.supporting == ("省财政厅", "省教育厅")
    assert second.lead == ("省商务厅",)
    assert second.supporting == ("省发展改革委",)


def test_lead_then_others_with_deng():
    doc = one(
        "四川省方案\n\n一、任务\n\n（一）甲。（省人力资源社会保障厅牵头，省发展改革委、省财政厅等按职责分工负责）\n"
        "（二）乙。（各地各有关部门负责）\n（三）丙。（省人力资源社会保障厅等部门负责）\n"
    )
    first, second, third = doc.measures
    assert first.lead == ("省人力资源社会保障厅",)
    assert first.supporting == ("省发展改革委", "省财政厅")
    assert second.collective == ("各地各有关部门",)
    assert third.departments == ("省人力资源社会保障厅",)


def test_deadline_inside_the_clause():
    doc = one(
        "山东省方案\n\n一、任务\n\n（一）健全政策。（省财政厅、省人力资源社会保障厅负责，2022年底前完成）\n"
    )
    measure = doc.measures[0]
    assert measure.lead == ("省财政厅",)
    assert measure.supporting == ("省人力资源社会保障厅",)
    assert measure.due == date(2022, 12, 31)
    assert measure.text == "健全政策。"


def test_county_livelihood_task_split():
    doc = one(
        "某县人民政府办公室关于印发某县2023年民生实事分工方案的通知\n\n某政办发〔2023〕12号\n\n"
        "各乡镇人民政府、街道办事处，县直各单位：\n\n现将方案印发给你们。\n\n某县人民政府办公室\n2023年3月1日\n\n"
        "某县2023年民生实事分工方案\n\n一、教育\n\n"
        "1.新建幼儿园3所，新增学位900个。（责任领导：李副县长；牵头单位：县教育局；"
        "责任单位：县财政局、县自然资源局，相关乡镇办；完成时限：2023年8月底）\n\n二、医疗\n\n"
        "2.完成村卫生室标准化建设20个。\n牵头单位：县卫生健康局\n配合单位：各乡镇人民政府\n完成时限：2023年年底前\n"
    )
    assert doc.doc_number == "某政办发〔2023〕12号"
    assert doc.issuers == ("某县人民政府办公室",)
    assert doc.issued_on == date(2023, 3, 1)
    assert doc.jurisdiction == "某县"
    first, second = doc.measures
    assert first.leaders == ("李副县长",)
    assert first.lead == ("县教育局",)
    assert first.supporting == ("县财政局", "县自然资源局", "相关乡镇办")
    assert first.due == date(2023, 8, 31)
    assert [(t.value, t.unit) for t in first.targets] == [(3, "所"), (900, "个")]
    assert second.supporting == ("各乡镇人民政府",)
    assert second.due == date(2023, 12, 31)
    assert [(t.value, t.unit) for t in second.targets] == [(20, "个")]
    # The county is not in the registry: its departments are reported, one warning each.
    assert "未识别的部门：县教育局" in doc.warnings


def test_unregistered_province_is_still_named():
    doc = one(
        "山东省劳务品牌建设行动方案\n\n鲁人社字〔2022〕10号\n\n一、工作目标\n\n"
        "到2025年，全省打造省级劳务品牌100个以上，带动就业50万人。\n\n二、重点任务\n\n"
        "（一）摸清底数。2022年6月底前完成调查。（省人力资源社会保障厅牵头，各市按职责分工负责）\n"
    )
    assert doc.jurisdiction == "山东省"
    assert doc.due == date(2025, 12, 31)
    goal, first = doc.measures
    assert [(t.value, t.unit) for t in goal.targets] == [(100, "个"), (50, "万人")]
    assert first.due == date(2022, 6, 30)
    assert first.supporting == ("各市",)


def test_unbracketed_clause_closing_the_paragraph():
    doc = one(
        "某市方案\n\n一、任务\n\n1.加强统筹。建立工作专班。责任单位：市人力资源社会保障局、市财政局。\n"
        "2.强化督办。定期通报。牵头单位：市政府督查室；配合单位：市直各单位。\n"
    )
    first, second = doc.measures
    assert first.lead == ("市人力资源社会保障局",)
    assert first.supporting == ("市财政局",)
    assert first.text == "加强统筹。建立工作专班。"
    assert second.lead == ("市政府督查室",)
    assert second.collective == ("市直各单位",)


def test_city_collectives_with_a_place_prefix():
    doc = one(
        "某市方案\n\n一、任务\n\n（一）甲。（市发展改革委牵头，市各有关部门按职责分工负责）\n"
    )
    measure = doc.measures[0]
    assert measure.lead == ("市发展改革委",)
    assert measure.supporting == ("市各有关部门",)
    assert measure.collective == ("市各有关部门",)


def test_red_header_grid_and_colophon_do_not_pollute():
    doc = one(
        "某\t省\t人\t力\t资\t源\t社\t会\t保\t障\t厅\n某\t省\t财\t政\t厅\t厅\t厅\n\n文件\n\n某人社发〔2022〕8号\n\n"
        "关于某事的通知\n\n各市人力资源社会保障局：\n\n一、任务\n\n（一）甲。做好甲。（省财政厅负责）\n\n"
        "（此件主动公开）\n\n（联系人：王某，电话：12345678）\n\n抄送：省政府办公厅。\n\n"
        "某省人力资源和社会保障厅办公室 2022年5月6日印发\n"
    )
    assert doc.doc_number == "某人社发〔2022〕8号"
    assert doc.title == "关于某事的通知"
    assert doc.measures[0].text == "甲。做好甲。"
    assert doc.issued_on == date(2022, 5, 6)


def test_bracketed_place_list_inside_a_name():
    doc = one(
        "某市方案\n\n一、任务\n\n1.甲。（责任单位：市财政局、各县（市、区）人民政府）\n"
        "2.乙。\n\n市人力资源社会保障局、市教育局按职责分工负责。\n"
    )
    first, second = doc.measures
    assert first.departments == ("市财政局", "各县（市、区）人民政府")
    assert first.collective == ("各县（市、区）人民政府",)
    assert second.lead == ("市人力资源社会保障局",)  # unbracketed clause on its own line
    assert second.supporting == ("市教育局",)


def test_guizhou_style_plan_with_bracketed_place_names():
    doc = one(
        "黔人社发〔2022〕7号\n\n贵州省人力资源和社会保障厅等部门关于印发《贵州省劳务品牌建设实施方案》的通知\n\n"
        "各市（州）人力资源社会保障局：\n\n现将方案印发给你们。\n\n贵州省劳务品牌建设实施方案\n\n"
        "一、重点任务\n\n（一）实施劳务品牌培育工程。到2025年，全省培育省级劳务品牌50个。"
        "（责任单位：省人力资源社会保障厅、省乡村振兴局，各市〔州〕人民政府）\n"
        "（二）完善服务体系。（各市（州）、县（市、区）人民政府负责）\n"
    )
    assert doc.doc_number == "黔人社发〔2022〕7号"
    assert (
        doc.title == "贵州省人力资源和社会保障厅等部门关于印发《贵州省劳务品牌建设实施方案》的通知"
    )
    assert doc.issuers == ("贵州省人力资源和社会保障厅",)
    assert doc.jurisdiction == "贵州省"
    first, second = doc.measures
    assert first.departments == ("省人力资源社会保障厅", "省乡村振兴局", "各市〔州〕人民政府")
    assert first.collective == ("各市〔州〕人民政府",)
    assert [(t.value, t.unit, t.due) for t in first.targets] == [(50, "个", date(2025, 12, 31))]
    assert second.departments == ("各市（州）", "县（市、区）人民政府")


def test_red_header_of_full_names_between_two_documents():
    text = (
        "某省实施方案\n\n一、任务\n\n（一）甲。做好甲工作。（省财政厅负责）\n\n"
        "人力资源社会保障部   国家发展改革委\n教育部   科技部   民政部\n\n文件\n\n人社部发〔2021〕9号\n\n"
        "人力资源社会保障部等部门关于某事的意见\n\n一、任务\n\n（一）乙。（人力资源社会保障部负责）\n"
    )
    first, second = parse_text(text).documents
    assert first.measures[0].text == "甲。做好甲工作。"
    assert second.doc_number == "人社部发〔2021〕9号"
    assert second.measures[0].lead == ("人力资源社会保障部",)


def test_lead_and_responsible_lines_closed_by_punctuation():
    doc = one(
        "某市方案\n\n一、任务\n\n1.甲。做好甲工作。\n牵头单位：市财政局；\n责任单位：市审计局、市税务局。\n"
        "2.乙。（牵头单位：市商务局）（责任单位：市市场监管局）\n"
    )
    first, second = doc.measures
    assert first.lead == ("市财政局",)
    assert first.supporting == ("市审计局", "市税务局")
    assert second.lead == ("市商务局",)
    assert second.supporting == ("市市场监管局",)


def test_document_number_listed_in_an_annex_does_not_split():
    (document,) = parse_text(
        "某省方案\n\n一、任务\n\n（一）甲。（省财政厅负责）\n\n二、政策依据\n\n"
        "（一）国家政策。具体见下列文件：\n人社部发〔2021〕66号\n人社部发〔2022〕1号\n"
    ).documents
    assert [m.label for m in document.measures] == ["（一）", "（一）"]
    assert document.measures[1].text.endswith("人社部发〔2021〕66号人社部发〔2022〕1号")
    assert document.cites == ("人社部发〔2021〕66号", "人社部发〔2022〕1号")


def test_provincial_work_report_responsibility_split():
    doc = one(
        "2024年省政府工作报告重点工作责任分工\n\n一、扎实推动高质量发展\n\n"
        "1.地区生产总值增长6%左右。（省发展改革委牵头，省直有关部门和各市县政府按职责分工负责）\n"
        "2.居民消费价格涨幅3%左右。（责任单位：省发展改革委、省统计局；配合单位：各市、县人民政府）\n"
        "3.粮食产量稳定在1300万吨以上。（省农业农村厅牵头，省粮食和储备局配合）\n"
    )
    first, second, third = doc.measures
    assert first.supporting == ("省直有关部门", "各市县政府")
    assert first.collective == ("省直有关部门", "各市县政府")
    assert second.lead == ("省发展改革委",)
    assert second.supporting == ("省统计局", "各市、县人民政府")  # printed order kept
    assert second.collective == ("各市、县人民政府",)
    assert [(t.value, t.unit) for t in third.targets] == [(1300, "万吨")]
    assert doc.due == date(2024, 12, 31)


def test_signature_with_seal_note_after_the_last_measure():
    doc = one(
        "某方案\n\n一、任务\n\n1.甲。（省财政厅负责）\n\n某省财政厅\n（盖章）\n二〇二二年一月二日\n"
    )
    assert doc.issuers == ("某省财政厅",)
    assert doc.issued_on == date(2022, 1, 2)
    assert doc.measures[0].text == "甲。"


def test_part_headings_above_the_usual_levels():
    doc = one(
        "某省规划\n\n第一部分 总体要求\n\n一、目标\n\n（一）总目标。到2025年建成。\n\n"
        "第二部分 主要任务\n\n一、就业\n\n（一）稳岗。（省人力资源社会保障厅负责）\n"
    )
    assert [m.path for m in doc.measures] == [
        ("第一部分", "一", "（一）"),
        ("第二部分", "一", "（一）"),
    ]
    assert doc.measures[1].lead == ("省人力资源社会保障厅",)


def test_comma_rule_stated_in_the_preamble():
    doc = one(
        "某市重点任务分工方案\n\n各项任务的责任单位中，逗号前为牵头单位。\n\n一、任务\n\n"
        "1.甲。（责任单位：市财政局、市审计局，市税务局）\n"
    )
    measure = doc.measures[0]
    assert measure.lead == ("市财政局", "市审计局")
    assert measure.supporting == ("市税务局",)
