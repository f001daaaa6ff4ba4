"""Small inline SVG charts: printable, no JavaScript, no external assets."""

from __future__ import annotations

from html import escape

LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


# Label column of the bar chart: two lines of at most LABEL_CHARS characters each (13 px CJK
# glyphs), so a long department name is never cut at the chart's left edge.
LABEL_CHARS = 11
LABEL_WIDTH = 160


def short_label(name: str) -> list[str]:
    """A name as at most two lines of LABEL_CHARS: the province prefix every provincial
    department shares (广东省…) goes first, then the middle of a still-long name is elided."""
    for prefix in ("广东省", "省"):
        if name.startswith(prefix) and len(name) > LABEL_CHARS:
            name = name[len(prefix) :]
            break
    if len(name) <= LABEL_CHARS:
        return [name]
    if len(name) > 2 * LABEL_CHARS:
        name = name[:LABEL_CHARS] + name[-(LABEL_CHARS - 1) :]
        return [name[:LABEL_CHARS], "…" + name[LABEL_CHARS:]]
    return [name[:LABEL_CHARS], name[LABEL_CHARS:]]


def bar_chart(items: list[tuple[str, float, str]], width: int = 560, unit: str = "") -> str:
    """Horizontal bars: (label, value, colour). Each bar carries the full label as its
    <title> (a tooltip, and what a screen reader says)."""
    if not items:
        return ""
    row, label_w = 34, LABEL_WIDTH
    top = max((v for _, v, _ in items), default=0) or 1
    h = row * len(items) + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
        'role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value, colour) in enumerate(items):
        y = 5 + i * row
        w = (width - label_w - 70) * value / top
        lines = short_label(label)
        first_y = y + (13 if len(lines) == 2 else 20)
        text = "".join(
            f'<tspan x="{label_w - 6}" y="{first_y + n * 14}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(label)}：{value:g}{unit}</title>"
            f'<text text-anchor="end" font-size="12">{text}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row - 12}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 20}" font-size="12">{value:g}{unit}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


EMPTY_CHART = '<p class="note chart-empty">本期无数据</p>'


def line_chart(
    labels: list[str],
    series: list[tuple[str, list[float], str]],
    width: int = 560,
    height: int = 220,
) -> str:
    """Lines over months: series of (name, values, colour), with a legend. With nothing but
    zeros there is no chart: flat lines under a made-up scale of 1 read as data."""
    top = max((v for _, vs, _ in series for v in vs), default=0)
    if not labels or not top:
        return EMPTY_CHART
    left, right, top_pad, bottom = 40, 20, 24, 30
    step = (width - left - right) / max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + (height - top_pad - bottom) * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" '
        f'y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11">{top:g}</text>',
    ]
    for i, label in enumerate(labels):
        x, _ = xy(i, 0)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>'
        )
    for n, (name, values, colour) in enumerate(series):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        parts.append(
            f'<rect x="{left + n * 110}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + n * 110 + 16}" y="14" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
