from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest

from duban_common.richtext import (
    EMAIL_STYLE,
    INBOX_STYLE,
    RobotDialect,
    fit_blocks,
    safe_href,
    to_html,
    to_robot_markdown,
    to_text,
)

pytestmark = pytest.mark.unit

DIGEST = """### 督办提醒汇总
张三，您好：

您负责联络的任务中，有 **8** 项需要关注：

#### 今日到期（1项）

- [深入调查摸底](http://duban.example/tasks/t1)，完成时限 2026年1月5日，*请抓紧*

> 同意延期至2月底，请按期办结。

[打开督办系统](http://duban.example/)
"""
MARKDOWN_SYNTAX = ("###", "**", "](")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def links(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == "a"]


def test_html_of_a_digest_has_no_markdown_and_links_as_actions() -> None:
    html = to_html(DIGEST, INBOX_STYLE, site="http://duban.example")
    page = Elements(html)
    assert [t for t, _ in page.tags][:3] == ["h3", "p", "p"]
    text = "".join(page.text)
    assert not any(mark in text for mark in MARKDOWN_SYNTAX)
    assert "督办提醒汇总" in text and "8" in text
    links = page.links()
    assert [a["href"] for a in links] == ["http://duban.example/tasks/t1", "http://duban.example/"]
    assert links[0]["class"] == "button msg-link"  # inside a sentence
    assert links[1]["class"] == "button primary msg-action"  # a paragraph of its own
    assert all("rel" not in a and "target" not in a for a in links)  # same site


def test_links_to_another_site_get_noopener() -> None:
    html = to_html("[外部](https://other.example/x)", site="http://duban.example")
    (link,) = Elements(html).links()
    assert link["rel"] == "noopener noreferrer"
    assert link["target"] == "_blank"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[点我](javascript:alert(1))",
        "[点我](JaVaScRiPt:alert(1))",
        "[点我](java\tscript:alert(1))",
        "[点我](data:text/html;base64,PHNjcmlwdD4=)",
        "[点我](vbscript:msgbox)",
        "[点我](//evil.example/x)",
        "<a href='javascript:alert(1)'>x</a>",
        '<iframe src="http://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        "![x](javascript:alert(1))",
        '<http://ok.example/"onmouseover="alert(1)>',
    ],
)
def test_hostile_input_never_becomes_markup(hostile: str) -> None:
    for style in (INBOX_STYLE, EMAIL_STYLE):
        html = to_html(f"前文\n\n{hostile}\n\n后文", style)
        page = Elements(html)
        tags = {tag for tag, _ in page.tags}
        assert tags <= {"p", "a", "em", "strong"}, html
        for attrs in (a for _, a in page.tags):
            assert not any(name.startswith("on") for name in attrs), html
            assert "src" not in attrs, html
        for link in page.links():
            assert re.match(r"https?://", link.get("href") or ""), html
        assert "javascript:" not in " ".join(str(a.get("href")) for a in page.links())


def test_safe_href_keeps_http_and_site_paths_only() -> None:
    assert safe_href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_href("/tasks/1") == "/tasks/1"
    for bad in (
        "javascript:alert(1)",
        "mailto:a@b",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "http:/x",
        "tasks/1",
        "",
    ):
        assert safe_href(bad) is None


def test_plain_text_has_no_markdown_syntax() -> None:
    text = to_text(DIGEST)
    assert not any(mark in text for mark in MARKDOWN_SYNTAX)
    assert text.startswith("督办提醒汇总\n\n张三，您好：")
    assert "有 8 项需要关注" in text
    assert "• 深入调查摸底（http://duban.example/tasks/t1），完成时限 2026年1月5日，请抓紧" in text
    assert "　　同意延期至2月底，请按期办结。" in text  # the quote, indented
    assert text.endswith("打开督办系统\nhttp://duban.example/\n")  # the URL on its own line


def test_plain_text_of_a_refused_link_is_its_text_only() -> None:
    assert to_text("[点我](javascript:alert(1)) 与 [站内](/tasks/1)") == (
        "[点我](javascript:alert(1)) 与 站内（/tasks/1）\n"  # never a link: the literal text
    )
    assert to_text("1. 第一\n2. 第二\n   - 子项") == "1. 第一\n2. 第二\n   • 子项\n"


def test_very_long_input_renders_quickly() -> None:
    nasty = (
        "[" * 20_000
        + "*" * 20_000
        + "> " * 5_000
        + "<" * 10_000
        + "\n".join(f"- [{i}](http://x.example/{i}) **b**" for i in range(3_000))
    )
    started = time.perf_counter()
    html = to_html(nasty)
    text = to_text(nasty)
    robot = to_robot_markdown(nasty, RobotDialect("test", 4096))
    assert time.perf_counter() - started < 10
    assert "<script" not in html and text and robot


WECOM = RobotDialect("wecom", 4096, lists=False, italic=False, colour_tag=True)
DINGTALK = RobotDialect("dingtalk", 20_000, inline_code=False)


def test_robot_dialects_keep_what_each_supports() -> None:
    wecom = "\n\n".join(to_robot_markdown(DIGEST, WECOM, accent="warning"))
    assert wecom.startswith('### <font color="warning">督办提醒汇总</font>')
    assert "**8**" in wecom and "[深入调查摸底](http://duban.example/tasks/t1)" in wecom
    assert "\n• [深入调查摸底]" in wecom  # no lists in WeCom: a bullet character
    assert "*请抓紧*" not in wecom and "请抓紧" in wecom  # no italics either
    assert "> 同意延期至2月底" in wecom
    dingtalk = "\n\n".join(to_robot_markdown(DIGEST, DINGTALK, accent="warning"))
    assert dingtalk.startswith("### 督办提醒汇总")  # no colours
    assert "<font" not in dingtalk
    assert "\n- [深入调查摸底](http://duban.example/tasks/t1)" in dingtalk
    assert "*请抓紧*" in dingtalk


def test_robot_text_that_looks_like_markup_stays_text() -> None:
    out = "\n\n".join(to_robot_markdown("任务「[点我](javascript:x) <b>加粗</b> **真**」", WECOM))
    assert "[点我](" not in out and "<b>" not in out
    assert "［点我］(javascript:x) ＜b＞加粗＜/b＞ **真**" in out


def test_fit_blocks_cuts_at_a_block_boundary() -> None:
    blocks = ["### 标题", "第一段" * 100, "第二段" * 500, "[查看](http://x.example/)"]
    fitted = fit_blocks(blocks, 2000, "[查看全文](http://x.example/)")
    assert len(fitted.encode()) <= 2000
    assert fitted.startswith("### 标题\n\n第一段")
    assert "第二段" not in fitted and fitted.endswith("[查看全文](http://x.example/)")
    assert fit_blocks(blocks[:1], 2000, "x") == "### 标题"
    one = fit_blocks(["长" * 5000], 100, "…")
    assert len(one.encode()) <= 100 and one.endswith("…")
