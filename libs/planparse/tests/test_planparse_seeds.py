"""The three seed documents (two files), pinned measure by measure.

How the 37 is counted: a measure is a numbered item with no numbered children (a leaf of the
一、/（一）/1. tree); it "carries departments" when a responsibility clause names at least one
party, a collective such as 各部门 included.

* Guangdong action plan (000, 附件1): 一、目标任务 + 二、（一）–（九） + 三、（一）–（四)
  = 14 measures; only the nine measures of 二、主要措施 end with a clause → 9.
* National guidance 人社部发〔2021〕66号 (000, 附件2): （一）–（十六) = 16 measures; （一）指导思想
  and （二）主要目标 have no clause, （三）–（十六) do, （十二) with 各部门 → 14.
* Inner Mongolia plan (003): 一、（一）（二） + items 1–14 = 16 measures; the two goal items
  have no clause, items 1–14 do, 11 with 各部门 → 14.

9 + 14 + 14 = 37.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from duban_planparse import parse_file

pytestmark = pytest.mark.unit

# The seeds live once, at the repository root (`make run` imports them from there).
SEEDS = Path(__file__).resolve().parents[3] / "seeds"
END_2025 = date(2025, 12, 31)


@pytest.fixture(scope="module")
def guangdong_and_national():
    return parse_file(SEEDS / "000_9108b65ab0af5f8f.txt").documents


@pytest.fixture(scope="module")
def inner_mongolia():
    (document,) = parse_file(SEEDS / "003_719c3a43df115ca9.txt").documents
    return document


def _split(names: str) -> tuple[str, ...]:
    return tuple(names.split("、")) if names else ()


# label, title, lead, supporting (、-separated, as they must come out after prefix restoration)
GUANGDONG = [
    ("（一）", "深入调查摸底，加强统筹谋划", "省人力资源社会保障厅",
     "省发展改革委、省工业和信息化厅、省民政厅、省住房城乡建设厅、省农业农村厅、省文化和旅游厅、省乡村振兴局"),
    ("（二）", "突出特色重点，实施一品一策", "省人力资源社会保障厅", "省教育厅"),
    ("（三）", "强化能力培养，推进技能开发", "省人力资源社会保障厅",
     "省教育厅、省民政厅、省文化和旅游厅"),
    ("（四）", "优化拓展服务，扩大劳务规模", "省人力资源社会保障厅",
     "省工业和信息化厅、省教育厅、省乡村振兴局、省商务厅"),
    ("（五）", "加大政策扶持，促进创新创业", "省发展改革委",
     "省财政厅、省人力资源社会保障厅、省住房城乡建设厅、省农业农村厅、人民银行广州分行、广东银保监局"),
    ("（六）", "培育龙头企业，强化示范引领", "省工业和信息化厅",
     "省科技厅、省人力资源社会保障厅、省住房城乡建设厅、省商务厅、人民银行广州分行、广东证监局"),
    ("（七）", "打造特色园区，加快产业聚集", "省发展改革委",
     "省工业和信息化厅、省民政厅、省人力资源社会保障厅、省自然资源厅、省住房城乡建设厅、省农业农村厅、"
     "省商务厅、省卫生健康委、人民银行广州分行、广东银保监局、广东证监局"),
    ("（八）", "加强规范保护，扩大品牌影响", "省市场监管局", "省人力资源社会保障厅"),
    ("（九）", "组织评选交流，选树优秀典型", "省人力资源社会保障厅",
     "省文化和旅游厅、省乡村振兴局、省广播电视局"),
]  # fmt: skip

NATIONAL = [
    ("三", "（三）", "分类型发现劳务品牌", "人力资源社会保障部", ""),
    ("二", "（四）", "分领域培育劳务品牌", "国家发展改革委",
     "工业和信息化部、民政部、人力资源社会保障部、住房城乡建设部、农业农村部、文化和旅游部、国家乡村振兴局"),
    ("二", "（五）", "建立重点劳务品牌资源库", "人力资源社会保障部", ""),
    ("三", "（六）", "提高技能含量", "教育部", "人力资源社会保障部"),
    ("三", "（七）", "扩大就业规模", "人力资源社会保障部", "农业农村部、商务部、国家乡村振兴局"),
    ("三", "（八）", "增强品牌信誉", "人力资源社会保障部", "商务部、市场监管总局、国家知识产权局"),
    ("四", "（九）", "支持创新创业", "国家发展改革委",
     "财政部、人力资源社会保障部、住房城乡建设部、农业农村部、人民银行、银保监会"),
    ("四", "（十）", "培育龙头企业", "国家发展改革委",
     "科技部、工业和信息化部、人力资源社会保障部、住房城乡建设部、商务部、人民银行、证监会"),
    ("四", "（十一）", "发展产业园区", "国家发展改革委",
     "工业和信息化部、民政部、人力资源社会保障部、自然资源部、住房城乡建设部、商务部、国家卫生健康委、"
     "人民银行、银保监会、证监会"),
    ("五", "（十二）", "加强组织领导", "各部门", ""),
    ("五", "（十三）", "强化工作保障", "人力资源社会保障部", ""),
    ("五", "（十四）", "开展选树推介", "人力资源社会保障部", ""),
    ("五", "（十五）", "举办系列活动", "国家发展改革委",
     "人力资源社会保障部、文化和旅游部、国家乡村振兴局"),
    ("五", "（十六）", "营造良好氛围", "中央宣传部", "人力资源社会保障部、广电总局"),
]  # fmt: skip
# The first row's section is 二 (the table lists the section of each label).
NATIONAL[0] = ("二", *NATIONAL[0][1:])

R = "自治区"
INNER_MONGOLIA = [
    (("二", "（一）", "1."), "分类型发现劳务品牌", f"{R}人力资源社会保障厅", f"{R}市场监管局"),
    (("二", "（一）", "2."), "分领域培育劳务品牌", f"{R}发展改革委",
     f"{R}工业和信息化厅、{R}民政厅、{R}人力资源社会保障厅、{R}住房和城乡建设厅、{R}农牧厅、"
     f"{R}文化和旅游厅、{R}乡村振兴局"),
    (("二", "（一）", "3."), "建立重点劳务品牌资源库", f"{R}人力资源社会保障厅", ""),
    (("二", "（二）", "4."), "提高技能含量", f"{R}教育厅", f"{R}人力资源社会保障厅、{R}财政厅"),
    (("二", "（二）", "5."), "扩大就业规模", f"{R}人力资源社会保障厅",
     f"{R}商务厅、{R}乡村振兴局、{R}财政厅"),
    (("二", "（二）", "6."), "增强品牌信誉", f"{R}人力资源社会保障厅",
     f"{R}民政厅、{R}商务厅、{R}市场监管局、{R}知识产权局"),
    (("二", "（三）", "7."), "支持创新创业", f"{R}发展改革委",
     f"{R}科技厅、{R}财政厅、{R}人力资源社会保障厅、{R}农牧厅、人民银行呼和浩特支行、银保监会内蒙古监管局"),
    (("二", "（三）", "8."), "培育龙头企业", f"{R}发展改革委",
     f"{R}科技厅、{R}工业和信息化厅、{R}人力资源社会保障厅、{R}住房和城乡建设厅、{R}商务厅、"
     f"人民银行呼和浩特支行、{R}市场监管局、证监会内蒙古监管局、{R}知识产权局"),
    (("二", "（三）", "9."), "发展产业园区", f"{R}发展改革委",
     f"{R}工业和信息化厅、{R}民政厅、{R}人力资源社会保障厅、{R}自然资源厅、{R}住房和城乡建设厅、"
     f"{R}商务厅、{R}卫生健康委、人民银行呼和浩特支行、银保监会内蒙古监管局、证监会内蒙古监管局"),
    (("二", "（三）", "10."), "实施劳务品牌培树行动", f"{R}人力资源社会保障厅", ""),
    (("三", "11."), "加强组织领导", "各部门", ""),
    (("三", "12."), "强化工作保障", f"{R}人力资源社会保障厅", ""),
    (("三", "13."), "开展选树推介", f"{R}人力资源社会保障厅",
     f"{R}发展改革委、{R}农牧厅、{R}文化和旅游厅、{R}市场监管局、{R}知识产权局"),
    (("三", "14."), "强化品牌宣介", f"{R}党委宣传部", f"{R}人力资源社会保障厅、{R}广播电视局"),
]  # fmt: skip


def test_three_documents_carry_37_assigned_measures(guangdong_and_national, inner_mongolia):
    documents = [*guangdong_and_national, inner_mongolia]
    assert [len(d.measures) for d in documents] == [14, 16, 16]
    assert [len(d.assigned_measures) for d in documents] == [9, 14, 14]
    assert sum(len(d.assigned_measures) for d in documents) == 37


def test_guangdong_header(guangdong_and_national):
    guangdong, _ = guangdong_and_national
    assert guangdong.title == "关于加强劳务品牌建设的行动方案"
    assert guangdong.plan_title == guangdong.title
    assert guangdong.doc_number is None  # the notice page carrying it is not in the extraction
    assert guangdong.issued_on == date(2021, 12, 15)
    assert guangdong.due == END_2025  # 力争至“十四五”末
    assert guangdong.jurisdiction == "广东省"
    assert guangdong.cites == ("人社部发〔2021〕66号",)
    assert len(guangdong.issuers) == 15
    assert guangdong.issuers[0] == "广东省工业和信息化厅"
    assert "广东省乡村振兴局" in guangdong.issuers  # （代章） dropped
    assert guangdong.issuers[-1] == "中国证券监督管理委员会广东监管局"
    assert guangdong.warnings == ()


@pytest.mark.parametrize("row", GUANGDONG, ids=[r[0] for r in GUANGDONG])
def test_guangdong_measure(guangdong_and_national, row):
    label, title, lead, supporting = row
    guangdong, _ = guangdong_and_national
    measure = next(m for m in guangdong.measures if m.path == ("二", label))
    assert measure.label == label
    assert measure.title == title
    assert measure.lead == _split(lead)
    assert measure.supporting == _split(supporting)
    assert measure.departments == measure.lead + measure.supporting
    assert measure.leaders == ()
    assert measure.due == END_2025
    assert None not in measure.canonical  # every department is in the registry


def test_guangdong_unassigned_sections(guangdong_and_national):
    guangdong, _ = guangdong_and_national
    unassigned = [m.path for m in guangdong.measures if not m.departments]
    assert unassigned == [
        ("一",),
        ("三", "（一）"),
        ("三", "（二）"),
        ("三", "（三）"),
        ("三", "（四）"),
    ]
    goal = guangdong.measures[0]
    assert goal.title == "目标任务"
    assert goal.text.startswith(
        "目标任务\n以促进我省劳务品牌高质量发展为引领"
    )  # text = all after the label


def test_guangdong_page_breaks_bold_and_own_paragraph_clause(guangdong_and_national):
    guangdong, _ = guangdong_and_national
    by_label = {m.path[-1]: m for m in guangdong.measures if m.path[0] == "二"}
    # Page break in mid-sentence is rejoined; the clause does not stay in the text.
    assert "按照劳务品牌所属发展阶段、行业领域、特色类型等进行梳理" in by_label["（一）"].text
    assert "职业技能等级" in by_label["（三）"].text
    assert "按职责分工负责" not in by_label["（八）"].text  # clause in its own paragraph
    assert by_label["（八）"].text.endswith("商标运用指引等服务。")
    # （九）: a page break between paragraphs and a clause wrapped in markdown bold.
    assert "讲好广东劳务品牌故事" in by_label["（九）"].text
    assert "**" not in by_label["（九）"].text


def test_guangdong_last_measure_not_polluted_by_the_annex_header(guangdong_and_national):
    guangdong, _ = guangdong_and_national
    last = guangdong.measures[-1]
    assert last.path == ("三", "（四）")
    assert last.text.endswith("营造全社会关心支持劳务品牌培育创建、发展壮大的良好氛围。")
    assert "文件" not in last.text and "\t" not in last.text


def test_national_header(guangdong_and_national):
    _, national = guangdong_and_national
    assert national.title == "人力资源社会保障部 国家发展改革委等 20 部门关于劳务品牌建设的指导意见"
    assert national.doc_number == "人社部发〔2021〕66号"
    assert national.issuers == ("人力资源社会保障部", "国家发展改革委")
    assert national.issued_on == date(2021, 8, 31)  # 印发 date: no signature date printed
    assert national.due == END_2025  # 力争“十四五”期间
    assert national.jurisdiction == "国家"
    assert national.warnings == ()


@pytest.mark.parametrize("row", NATIONAL, ids=[r[1] for r in NATIONAL])
def test_national_measure(guangdong_and_national, row):
    section, label, title, lead, supporting = row
    _, national = guangdong_and_national
    (measure,) = [m for m in national.measures if m.label == label]
    assert measure.path == (section, label)
    assert measure.title == title
    assert measure.lead == _split(lead)
    assert measure.supporting == _split(supporting)
    assert measure.due == END_2025


def test_national_half_width_labels_and_collective(guangdong_and_national):
    _, national = guangdong_and_national
    labels = [m.label for m in national.measures]
    assert labels[:3] == [
        "（一）",
        "（二）",
        "（三）",
    ]  # printed as "(一) " with half-width brackets
    twelve = next(m for m in national.measures if m.label == "（十二）")
    assert twelve.collective == ("各部门",)
    assert twelve.canonical == (None,)
    assert twelve.unknown_departments == ()
    fifteen = next(m for m in national.measures if m.label == "（十五）")
    assert "国家乡村振兴局" in fifteen.supporting  # name broken by a page break: 国家乡村 / 振兴局
    sixteen = next(m for m in national.measures if m.label == "（十六）")
    assert "此件" not in sixteen.text and "办公厅" not in sixteen.text


def test_inner_mongolia_header(inner_mongolia):
    doc = inner_mongolia
    assert doc.title == "关于印发《内蒙古自治区劳务品牌建设实施方案》的通知"
    assert doc.plan_title == "内蒙古自治区劳务品牌建设实施方案"
    assert doc.doc_number == "内人社发〔2022〕3号"
    assert doc.issued_on is None  # printed as 2021年  月  日
    assert "成文日期不完整：2021年  月  日" in doc.warnings
    assert doc.due == END_2025
    assert doc.jurisdiction == "内蒙古自治区"
    assert doc.cites == ("人社部发〔2021〕66号",)
    assert len(doc.issuers) == 19
    assert doc.issuers[:2] == ("内蒙古自治区人力资源和社会保障厅", "内蒙古自治区发展和改革委员会")
    assert "中国人民银行呼和浩特支行" in doc.issuers


@pytest.mark.parametrize("row", INNER_MONGOLIA, ids=[r[0][-1] for r in INNER_MONGOLIA])
def test_inner_mongolia_measure(inner_mongolia, row):
    path, title, lead, supporting = row
    (measure,) = [m for m in inner_mongolia.measures if m.path == path]
    assert measure.label == path[-1]
    assert measure.title == title
    assert measure.lead == _split(lead)
    assert measure.supporting == _split(supporting)
    assert measure.due == END_2025
    assert measure.unknown_departments == ()


def test_inner_mongolia_canonical_names(inner_mongolia):
    seven = next(m for m in inner_mongolia.measures if m.label == "7.")
    assert dict(zip(seven.departments, seven.canonical, strict=True)) == {
        "自治区发展改革委": "内蒙古自治区发展和改革委员会",
        "自治区科技厅": "内蒙古自治区科学技术厅",
        "自治区财政厅": "内蒙古自治区财政厅",
        "自治区人力资源社会保障厅": "内蒙古自治区人力资源和社会保障厅",
        "自治区农牧厅": "内蒙古自治区农牧厅",
        "人民银行呼和浩特支行": "中国人民银行呼和浩特中心支行",
        "银保监会内蒙古监管局": "中国银行保险监督管理委员会内蒙古监管局",
    }


def test_inner_mongolia_targets_and_contradiction(inner_mongolia):
    goals = next(m for m in inner_mongolia.measures if m.path == ("一", "（二）"))
    assert [(t.value, t.unit) for t in goals.targets] == [(50, "%"), (30, "个"), (15, "个")]
    assert goals.targets[1].text == "培育打造自治区级劳务品牌30个"
    assert goals.targets[0].text.startswith("50%以上的旗县")
    assert all(t.due == END_2025 for t in goals.targets)
    ten = next(m for m in inner_mongolia.measures if m.label == "10.")
    assert [(t.value, t.unit, t.due) for t in ten.targets] == [
        (20, "%", date(2023, 12, 31)),
        (50, "%", END_2025),
        (30, "个", END_2025),
        (5, "个", END_2025),
    ]
    contradictions = [w for w in inner_mongolia.warnings if w.startswith("目标前后不一致")]
    assert len(contradictions) == 1
    assert "国家级劳务品牌" in contradictions[0]
    assert "15个" in contradictions[0] and "5个" in contradictions[0]


def test_inner_mongolia_phased_milestones(inner_mongolia):
    ten = next(m for m in inner_mongolia.measures if m.label == "10.")
    assert [m.due for m in ten.milestones] == [
        date(2022, 12, 31),
        date(2023, 12, 31),
        END_2025,
    ]
    assert ten.milestones[0].text.startswith("即从2022年1月份开始")
    assert "同时建立盟市级和自治区级劳务品牌资源库" in ten.milestones[1].text
    assert ten.milestones[2].text.startswith("2024年、2025年")
    others = [m for m in inner_mongolia.measures if m.label != "10."]
    assert all(not m.milestones for m in others)


def test_seed_json_shape(inner_mongolia):
    data = inner_mongolia.to_dict()
    assert set(data) >= {
        "title",
        "doc_number",
        "issuers",
        "issued_on",
        "due",
        "measures",
        "warnings",
    }
    measure = data["measures"][2]
    assert set(measure) >= {
        "label", "path", "title", "text", "departments", "lead", "supporting", "leaders", "due",
        "targets", "milestones",
    }  # fmt: skip
    assert measure["label"] == "1."
    assert measure["path"] == ["二", "（一）", "1."]
    assert measure["due"] == "2025-12-31"
    assert data["issued_on"] is None
