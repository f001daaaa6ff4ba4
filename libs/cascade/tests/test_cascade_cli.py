"""``duban plan cascade FILE ... --format json|table``."""

from __future__ import annotations

import json
from pathlib import Path

import cascade_gold as gold
import cascade_plans as cp
import pytest
from typer.testing import CliRunner

from duban.cli import app

pytestmark = pytest.mark.unit

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
SEED_FILES = [str(SEEDS / "000_9108b65ab0af5f8f.txt"), str(SEEDS / "003_719c3a43df115ca9.txt")]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", "cascade", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_on_the_seeds_links_both_provinces_to_the_guidance() -> None:
    code, out, _ = run(*SEED_FILES, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"plans", "links", "uncovered"}
    assert [set(p) for p in data["plans"]] == [
        {"title", "doc_number", "jurisdiction", "parent_doc_number"}
    ] * 3
    parents = {p["doc_number"]: p["parent_doc_number"] for p in data["plans"]}
    assert parents[gold.INNER_MONGOLIA] == gold.NATIONAL
    assert parents[gold.GUANGDONG] == gold.NATIONAL  # no 文号 in the seed: its title stands in
    assert {link["child_doc_number"] for link in data["links"]} == {
        gold.INNER_MONGOLIA,
        gold.GUANGDONG,
    }
    for link in data["links"]:
        assert set(link) == {
            "parent_doc_number", "parent_label", "parent_title",
            "child_doc_number", "child_label", "child_title", "score",
        }  # fmt: skip
        assert link["parent_doc_number"] == gold.NATIONAL
        assert 0 < link["score"] <= 1
    assert {
        "parent_doc_number": gold.NATIONAL,
        "parent_label": "（六）",
        "parent_title": "提高技能含量",
        "child_doc_number": gold.GUANGDONG,
        "child_label": "二（三）",
        "child_title": "强化能力培养，推进技能开发",
    }.items() <= next(
        link for link in data["links"] if link["child_title"] == "强化能力培养，推进技能开发"
    ).items()
    assert data["uncovered"] == []


def test_json_lists_uncovered_superior_measures(tmp_path: Path) -> None:
    files = []
    for name, text in (("p.txt", cp.PROVINCE_TEXT), ("n.txt", cp.NANCHANG_TEXT)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    code, out, _ = run(*files)  # json is the default
    assert code == 0
    uncovered = json.loads(out)["uncovered"]
    assert [(u["doc_number"], u["label"]) for u in uncovered] == [
        (cp.PROVINCE, "（六）"),
        (cp.PROVINCE, "（七）"),
    ]


def test_table_is_readable() -> None:
    code, out, _ = run(*SEED_FILES, "--format", "table")
    assert code == 0
    assert "方案及其上级方案" in out
    assert "内蒙古自治区劳务品牌建设实施方案" in out
    assert "人社部发〔2021〕66号" in out
    assert "强化能力培养，推进技能开发" in out and "提高技能含量" in out
    assert "本地新增" in out  # 实施劳务品牌培树行动
    assert "上级措施均已有下级方案承接" in out


def test_bad_format_and_missing_file_give_chinese_errors(tmp_path: Path) -> None:
    code, _, err = run(*SEED_FILES, "--format", "xml")
    assert code == 2
    assert "只能是 json 或 table" in err
    code, _, err = run(str(tmp_path / "无此文件.txt"))
    assert code == 2
    assert "错误：文件不存在" in err and "无此文件.txt" in err
    empty = tmp_path / "空.txt"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(str(empty))
    assert code == 2
    assert "文件为空" in err
