"""Markdown messages shown in every channel: sanitised HTML, plain text, robot dialects.

A message is written once, in CommonMark (the notifier's templates), and shown by whatever
reads it: the in-app inbox and e-mail as sanitised HTML, e-mail's text part as plain text
without Markdown syntax, group robots in the reduced Markdown their clients understand.

markdown-it-py parses (raw HTML off: `<script>` in a message is text, never markup) and
renders; nh3 (ammonia) then sanitises the HTML, so even a rendering bug cannot let a script,
an event handler or a `javascript:` link through. Links keep only http(s) or relative
targets; links to another site carry rel="noopener noreferrer" and open in a new tab.

Parsing and escaping live in `markdown`, the renderers in `html`, `text` and `robot`; the
names below are the public ones.
"""

from __future__ import annotations

from duban_common.richtext.html import (
    EMAIL_STYLE,
    INBOX_STYLE,
    HtmlStyle,
    to_html,
)
from duban_common.richtext.markdown import (
    MAX_CHARS,
    Parsed,
    is_external,
    md_escape,
    parse,
    safe_href,
)
from duban_common.richtext.robot import (
    RobotDialect,
    fit_blocks,
    robot_literal,
    to_robot_markdown,
)
from duban_common.richtext.text import (
    to_text,
)

__all__ = [
    "EMAIL_STYLE",
    "INBOX_STYLE",
    "MAX_CHARS",
    "HtmlStyle",
    "Parsed",
    "RobotDialect",
    "fit_blocks",
    "is_external",
    "md_escape",
    "parse",
    "robot_literal",
    "safe_href",
    "to_html",
    "to_robot_markdown",
    "to_text",
]
