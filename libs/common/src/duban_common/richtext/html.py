"""Messages as sanitised HTML (the inbox, e-mail): markdown-it renders with the style's classes
or inline styles, nh3 then keeps only `TAGS` and safe link targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import nh3
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from duban_common.richtext.markdown import (
    PARSER,
    SAFE_SCHEMES,
    is_external,
    links_only,
    parse,
    safe_href,
)

# What a message can contain once rendered; anything else is dropped by the sanitiser.
TAGS = frozenset(
    {"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "a", "ul", "ol", "li"}
    | {"blockquote", "code", "hr"}
)
STYLED_PROPERTIES = frozenset(
    {"color", "background-color", "font-size", "font-weight", "line-height", "margin"}
    | {"padding", "padding-left", "border", "border-left", "border-radius", "text-decoration"}
    | {"display"}
)


@dataclass(frozen=True)
class HtmlStyle:
    """How rendered HTML is dressed: CSS classes (a page with a stylesheet) or inline styles
    (e-mail clients drop <style>). `action` dresses a paragraph's only link as a button."""

    classes: Mapping[str, str] = field(default_factory=dict)
    styles: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def cleaner(self) -> nh3.Cleaner:
        """The sanitiser letting exactly these classes and styles through (built once)."""
        return _cleaner(self)

    def attrs(self, name: str) -> dict[str, str]:
        found = {}
        if name in self.classes:
            found["class"] = self.classes[name]
        if name in self.styles:
            found["style"] = self.styles[name]
        return found


# The ledger's pages (their stylesheet has .button): every link a button, a paragraph's only
# link the primary one.
INBOX_STYLE = HtmlStyle(classes={"link": "button msg-link", "action": "button primary msg-action"})
_BUTTON = (
    "display:inline-block;padding:8px 18px;margin:4px 0;border-radius:4px;"
    "background-color:#1d4ed8;color:#ffffff;text-decoration:none;font-weight:bold"
)
EMAIL_STYLE = HtmlStyle(
    styles={
        "h1": "font-size:20px;margin:0 0 12px;color:#1f2937",
        "h2": "font-size:19px;margin:0 0 12px;color:#1f2937",
        "h3": "font-size:18px;margin:0 0 12px;color:#1f2937",
        "h4": "font-size:16px;margin:16px 0 8px;color:#374151",
        "p": "margin:0 0 12px;line-height:1.7",
        "ul": "margin:0 0 12px;padding-left:22px",
        "ol": "margin:0 0 12px;padding-left:22px",
        "li": "margin:0 0 6px;line-height:1.7",
        "blockquote": "margin:0 0 12px;padding:8px 12px;border-left:4px solid #cbd5e1;"
        "background-color:#f8fafc;color:#334155",
        "link": "color:#1d4ed8;text-decoration:underline",
        "action": _BUTTON,
    }
)


class _DressedRenderer(RendererHTML):
    """markdown-it's HTML renderer, adding the classes or styles of `env["style"]` and safe
    link attributes. One instance serves every call (building one costs more than a short
    message): what a call needs travels in `env`."""

    def renderToken(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if token.type == "link_close" and not env["links"].pop():
            return ""
        if token.nesting != 1:
            return super().renderToken(tokens, idx, options, env)
        if token.type == "link_open":
            extra = self._link_attrs(token, tokens, env)
            env["links"].append(extra is not None)
            if extra is None:  # a refused target: its text stays, without a link
                return ""
        else:
            extra = env["style"].attrs(token.tag)
        if not extra:
            return super().renderToken(tokens, idx, options, env)
        saved = token.attrs
        token.attrs = {**saved, **extra}
        try:
            return super().renderToken(tokens, idx, options, env)
        finally:
            token.attrs = saved  # the tokens may be rendered again for another channel

    @staticmethod
    def _link_attrs(token: Token, siblings: Sequence[Token], env: EnvType) -> dict[str, str] | None:
        href = safe_href(str(token.attrGet("href") or ""))
        if href is None:
            return None
        # Once per paragraph, not per link: a paragraph of thousands of links stays linear.
        known = env["standalone"]
        if id(siblings) not in known:
            known[id(siblings)] = links_only(siblings)
        kind = "action" if known[id(siblings)] else "link"
        attrs = {"href": href, **env["style"].attrs(kind)}
        if is_external(href, env["site"]):
            attrs["rel"] = "noopener noreferrer"
            attrs["target"] = "_blank"
        return attrs


_HTML_RENDERER = _DressedRenderer()


def to_html(
    markdown: str | Sequence[Token], style: HtmlStyle = INBOX_STYLE, *, site: str | None = None
) -> str:
    """Sanitised HTML of a message. `site` (scheme://host:port) is where the HTML is shown:
    links to it are not external."""
    tokens = parse(markdown) if isinstance(markdown, str) else markdown
    env: dict[str, Any] = {"style": style, "site": site, "links": [], "standalone": {}}
    raw = _HTML_RENDERER.render(tokens, PARSER.options, env)
    return style.cleaner.clean(raw)


def _cleaner(style: HtmlStyle) -> nh3.Cleaner:
    classes = {
        tag: set(" ".join(v for k, v in style.classes.items() if _tag_of(k) == tag).split())
        for tag in {_tag_of(k) for k in style.classes}
    }
    attributes: dict[str, set[str]] = {"a": {"href", "rel"}}
    for name in style.styles:
        attributes.setdefault(_tag_of(name), set()).add("style")
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes=attributes,
        tag_attribute_values={"a": {"target": {"_blank"}}},
        url_schemes=set(SAFE_SCHEMES),
        link_rel=None,  # set per link above: only links that leave the site need it
        allowed_classes=classes or None,
        filter_style_properties=set(STYLED_PROPERTIES) if style.styles else None,
        strip_comments=True,
    )


def _tag_of(name: str) -> str:
    return "a" if name in ("link", "action") else name
