"""Issue 19: task tables in .xlsx (openpyxl), .docx and text give the same measures.

The workbook has a merged title row, a header over two rows (责任单位 above 牵头单位 | 配合单位),
a 重点任务 column merged down over its measures, and a second sheet.
"""

from __future__ import annotations

import io
import re

import docx
import openpyxl
import pytest

from duban_planparse import parse_bytes, parse_text

pytestmark = pytest.mark.unit

TITLE = "梅州市2024年稳就业重点任务分解表"
# section, measure, lead, supporting, due
ROWS = [
    ("扩大就业容量", "城镇新增就业1.2万人", "市人社局", "各县（市、区）人民政府", "2024年12月底"),
    ("扩大就业容量", "开发公益性岗位500个", "市人社局", "市财政局、市民政局", "2024年9月底"),
    ("扩大就业容量", "组织招聘会30场", "市人社局", "市总工会、团市委", "2024年11月底"),
    ("强化重点群体", "高校毕业生就业率达90%", "市教育局", "市人社局", "2024年8月底"),
    (
        "强化重点群体",
        "帮扶困难人员就业800人",
        "市人社局",
        "市残联、各县（市、区）人民政府",
        "2024年12月底",
    ),
]
SHEET2 = [
    ("优化就业服务", "建设零工市场3个", "市人社局", "市住建局", "2024年6月底"),
]


def _expected(rows):
    # 、 inside 各县（市、区） does not separate names.
    return [(r[1], (r[2],), tuple(re.split(r"、(?![^（]*）)", r[3]))) for r in rows]


def _summary(result):
    return [(m.title, m.lead, m.supporting, m.due) for d in result.documents for m in d.measures]


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "重点任务"
    ws.append([TITLE])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "重点任务", "具体措施", "责任单位", None, "完成时限"])
    ws.append([None, None, None, "牵头单位", "配合单位", None])
    ws.merge_cells("D2:E2")
    for col in "ABCF":
        ws.merge_cells(f"{col}2:{col}3")
    start = 4
    for i, row in enumerate(ROWS, start=1):
        ws.append([i, row[0], row[1], row[2], row[3], row[4]])
    ws.merge_cells(f"B{start}:B{start + 2}")  # 扩大就业容量 over three rows
    ws.merge_cells(f"B{start + 3}:B{start + 4}")
    second = book.create_sheet("服务")
    second.append(["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"])
    for i, row in enumerate(SHEET2, start=len(ROWS) + 1):
        second.append([i, *row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph(TITLE)
    all_rows = ROWS + SHEET2
    table = document.add_table(rows=2 + len(all_rows), cols=6)
    header = ["序号", "重点任务", "具体措施", "责任单位", "", "完成时限"]
    for i, text in enumerate(header):
        table.cell(0, i).text = text
    table.cell(1, 3).text = "牵头单位"
    table.cell(1, 4).text = "配合单位"
    table.cell(0, 3).merge(table.cell(0, 4))  # 责任单位 spans two columns
    for col in (0, 1, 2, 5):
        table.cell(0, col).merge(table.cell(1, col))
    for r, row in enumerate(all_rows, start=2):
        table.cell(r, 0).text = str(r - 1)
        for c, value in enumerate(row, start=1):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(4, 1))  # vertical merge of 扩大就业容量
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _text_plan() -> str:
    lines = [TITLE, ""]
    sections: list[str] = []
    for i, (section, task, lead, support, due) in enumerate(ROWS + SHEET2, start=1):
        if section not in sections:
            sections.append(section)
            lines.append(f"{'一二三'[len(sections) - 1]}、{section}")
        lines.append(f"{i}.{task}（牵头单位：{lead}；配合单位：{support}；完成时限：{due}）")
    return "\n".join(lines)


def _flattened_text() -> str:
    lines = [TITLE, "", "序号\t重点任务\t具体措施\t牵头单位\t配合单位\t完成时限"]
    for i, row in enumerate(ROWS + SHEET2, start=1):
        lines.append("\t".join([str(i), *row]))
    return "\n".join(lines)


def test_xlsx_docx_and_text_give_the_same_measures():
    from_text = _summary(parse_text(_text_plan()))
    from_xlsx = _summary(parse_bytes(_xlsx(), "任务分解表.xlsx"))
    from_docx = _summary(parse_bytes(_docx(), "任务分解表.docx"))
    from_flat = _summary(parse_text(_flattened_text()))
    assert [(t, lead, sup) for t, lead, sup, _ in from_text] == _expected(ROWS + SHEET2)
    assert from_xlsx == from_text
    assert from_docx == from_text
    assert from_flat == from_text
    assert str(from_text[0][3]) == "2024-12-31"


def test_xlsx_sections_paths_and_format():
    result = parse_bytes(_xlsx(), "任务分解表.xlsx")
    assert result.format == "xlsx"
    (document,) = result.documents
    assert document.title == TITLE
    assert document.jurisdiction == "梅州市"
    paths = [m.path for m in document.measures]
    assert paths[0] == ("一", "1.") and paths[3] == ("二", "4.")
    assert paths[-1][-1] == "6."


def test_xlsx_leader_column_and_responsible_only_column():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "工作任务", "责任领导", "责任单位", "时间节点"])
    ws.append([1, "推进老旧小区改造", "王副区长", "区住建局、区财政局、各街道", "2024年底"])
    ws.append([2, "新建停车位2000个", "李副区长", "区城管局", "2024年10月"])
    buffer = io.BytesIO()
    book.save(buffer)
    (document,) = parse_bytes(buffer.getvalue(), "表.xlsx").documents
    first, second = document.measures
    assert first.leaders == ("王副区长",)
    assert first.lead == ("区住建局",)
    assert first.supporting == ("区财政局", "各街道")
    assert second.lead == ("区城管局",) and second.leaders == ("李副区长",)


def test_header_repeated_on_every_page_is_not_a_measure():
    rows = "\n".join(f"| {i} | 任务{i}开展工作 | 县民政局 | 县财政局 |" for i in range(1, 4))
    text = (
        "某县任务清单\n\n| 序号 | 工作任务 | 牵头单位 | 配合单位 |\n|---|---|---|---|\n"
        f"{rows}\n| 序号 | 工作任务 | 牵头单位 | 配合单位 |\n| 4 | 任务4开展工作 | 县民政局 | 县财政局 |\n"
    )
    (document,) = parse_text(text).documents
    assert [m.label for m in document.measures] == ["1.", "2.", "3.", "4."]


def test_flattened_rows_without_a_header():
    text = (
        "某市2024年民生实事任务表\n\n"
        "1  城镇新增就业1.5万人  市人社局\n"
        "2  新建幼儿园5所  市教育局  市财政局、市自然资源局  2024年12月底\n"
    )
    (document,) = parse_text(text).documents
    first, second = document.measures
    assert first.title == "城镇新增就业1.5万人" and first.lead == ("市人社局",)
    assert second.lead == ("市教育局",)
    assert second.supporting == ("市财政局", "市自然资源局")
    assert str(second.due) == "2024-12-31"


def test_five_thousand_rows(tmp_path):
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("任务")
    ws.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    for i in range(1, 5001):
        ws.append([i, f"第{i}项工作任务开展", "市发展改革委", "市财政局、各区", "2025年底"])
    path = tmp_path / "big.xlsx"
    book.save(path)
    (document,) = parse_bytes(path.read_bytes(), "big.xlsx").documents
    assert len(document.measures) == 5000
    assert all(m.lead == ("市发展改革委",) for m in document.measures)


def test_goal_column_and_responsible_unit_with_person():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "重点任务", "工作目标", "牵头单位", "责任单位及责任人", "完成时限"])
    ws.append([1, "推进老旧小区改造", "完成改造120个", "区住建局", "区财政局、各街道", "2024年底"])
    buffer = io.BytesIO()
    book.save(buffer)
    (document,) = parse_bytes(buffer.getvalue(), "表.xlsx").documents
    (m,) = document.measures
    assert m.title == "推进老旧小区改造"
    assert [(t.value, t.unit) for t in m.targets] == [(120, "个")]
    assert m.lead == ("区住建局",) and m.supporting == ("区财政局", "各街道")
    assert m.leaders == ()


def test_enterprises_and_branches_keep_their_printed_names():
    (document,) = parse_text(
        "某市方案\n\n一、任务\n\n1.保障电力供应。（市发改委、国网某某供电公司、某某供电局、人民银行某某分行负责）\n"
    ).documents
    assert document.measures[0].departments == (
        "市发改委",
        "国网某某供电公司",
        "某某供电局",
        "人民银行某某分行",
    )


def test_pdf_table_extracted_with_single_spaces():
    text = (
        "某市2024年重点任务分解表\n序号 重点任务 牵头单位 配合单位 完成时限\n"
        "1 城镇新增就业1.2万人以上 市人社局 市财政局、各县（市、区）人民政府 2024年12月底\n"
        "2 新建改造农村公路100公里 市交通运输局 市财政局、\n市自然资源局 2024年10月底\n"
        "3 推进老旧小区改造，完成改造\n小区120个 市住建局 市财政局 2024年12月底\n"
        "4 开展消费促进活动 市商务局 2024年6月底\n"
    )
    (document,) = parse_text(text).documents
    assert [(m.title, m.lead, m.supporting, str(m.due)) for m in document.measures] == [
        (
            "城镇新增就业1.2万人以上",
            ("市人社局",),
            ("市财政局", "各县（市、区）人民政府"),
            "2024-12-31",
        ),
        ("新建改造农村公路100公里", ("市交通运输局",), ("市财政局", "市自然资源局"), "2024-10-31"),
        ("推进老旧小区改造，完成改造小区120个", ("市住建局",), ("市财政局",), "2024-12-31"),
        ("开展消费促进活动", ("市商务局",), (), "2024-06-30"),
    ]


def test_pdf_of_a_task_table_equals_its_text(make_pdf):
    lines = _flattened_text().replace("\t", " ").split("\n")
    from_pdf = _summary(parse_bytes(make_pdf([lines]), "表.pdf"))
    assert from_pdf == _summary(parse_text(_text_plan()))


def test_section_rows_inside_a_table():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "工作任务", "牵头单位", "配合单位", "完成时限"])
    ws.append(["一", "稳定就业", None, None, None])
    ws.append([1, "1.开发公益岗位500个", "区人社局", "区财政局", "2024年底"])
    ws.append(["优化服务（整行合并）"] * 5)
    ws.merge_cells("A4:E4")
    ws.append([2, "建设零工市场", "区人社局", "各街道", "2024年6月"])
    buffer = io.BytesIO()
    book.save(buffer)
    (document,) = parse_bytes(buffer.getvalue(), "表.xlsx").documents
    assert [(m.path, m.title, m.lead) for m in document.measures] == [
        (("一", "1."), "开发公益岗位500个", ("区人社局",)),
        (("二", "2."), "建设零工市场", ("区人社局",)),
    ]


def test_names_on_lines_of_their_own_inside_a_cell():
    document = docx.Document()
    document.add_paragraph("某区任务分工表")
    table = document.add_table(rows=2, cols=4)
    for i, text in enumerate(["序号", "工作任务", "牵头单位", "配合单位"]):
        table.cell(0, i).text = text
    for i, text in enumerate(["1", "推进老旧小区\n改造", "区住建局", "区财政局\n区城管局\n各街道"]):
        table.cell(1, i).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    (parsed,) = parse_bytes(buffer.getvalue(), "表.docx").documents
    (m,) = parsed.measures
    assert m.title == "推进老旧小区改造"
    assert (m.lead, m.supporting) == (("区住建局",), ("区财政局", "区城管局", "各街道"))


def test_space_separated_names_in_a_clause():
    (document,) = parse_text(
        "某市方案\n\n一、任务\n\n1.甲。（市发改委 市财政局 市商务局）\n"
        "2.乙。（牵头单位： 市发改委 配合单位：市财政局 市商务局）\n"
    ).documents
    assert [(m.lead, m.supporting) for m in document.measures] == [
        (("市发改委",), ("市财政局", "市商务局")),
        (("市发改委",), ("市财政局", "市商务局")),
    ]


def test_workbook_without_a_title_row_takes_its_file_name():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "工作任务", "牵头单位"])
    ws.append([1, "推进老旧小区改造", "市住建局"])
    buffer = io.BytesIO()
    book.save(buffer)
    (document,) = parse_bytes(buffer.getvalue(), "/tmp/韶关市2024年重点任务分解表.xlsx").documents
    assert document.title == "韶关市2024年重点任务分解表"
    assert document.jurisdiction == "韶关市"
    assert document.measures[0].parties[0].proposed == "韶关市住房和城乡建设局"
