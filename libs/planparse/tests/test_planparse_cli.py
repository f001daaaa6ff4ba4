"""Text and JSON rendering used by ``duban plan parse``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duban_planparse import parse_file, parse_text
from duban_planparse.cli import format_json, format_table

pytestmark = pytest.mark.unit

# The seeds live once, at the repository root (`make run` imports them from there).
SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def test_table_of_the_guangdong_file():
    table = format_table(parse_file(SEEDS / "000_9108b65ab0af5f8f.txt"))
    assert "文件：关于加强劳务品牌建设的行动方案" in table
    assert "文号：人社部发〔2021〕66号" in table
    assert "共 14 项措施，其中 9 项明确了责任单位" in table
    assert "共 16 项措施，其中 14 项明确了责任单位" in table
    assert "深入调查摸底，加强统筹谋划" in table


def test_table_shows_leaders_milestones_and_warnings():
    result = parse_text(
        "某市方案\n\n一、任务\n\n1.甲。2022年底前完成调查，2023年底前全面推开。"
        "（责任领导：张三；牵头单位：市财政局；责任单位：市省级劳务品牌办公室）\n"
    )
    table = format_table(result)
    assert "责任领导：张三" in table
    assert "节点 2022-12-31" in table and "节点 2023-12-31" in table
    assert "警告：未找到成文日期" in table


def test_table_columns_line_up_with_wide_characters():
    table = format_table(parse_file(SEEDS / "003_719c3a43df115ca9.txt"))
    rows = [line for line in table.splitlines() if line.startswith("二（一）")]
    assert len(rows) == 3
    assert (
        len({line.index("2025-12-31") - _wide(line[: line.index("2025-12-31")]) for line in rows})
        == 1
    )


def _wide(text: str) -> int:
    import unicodedata

    return -sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


def test_json_is_the_to_dict_shape():
    result = parse_file(SEEDS / "003_719c3a43df115ca9.txt")
    data = json.loads(format_json(result))
    assert data == json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["documents"][0]["doc_number"] == "内人社发〔2022〕3号"
