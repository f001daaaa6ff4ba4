"""Word's automatic list numbering rendered as text (一、/（一）/1./①), as the reader sees it.

In a .docx whose headings are numbered by Word (w:numPr on the paragraph or its style), the
numbers are not in the paragraph text; without them every measure would merge into one. The
counters follow numbering.xml: each abstract list keeps one counter per level, a level resets
the deeper ones, and ``lvlText`` (``%1、``, ``（%2）``, ``第%1条``) is filled per ``numFmt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out += letters
            n -= value
    return out


def _letter(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "chineseCounting": _chinese,
    "chineseCountingThousand": _chinese,
    "chineseLegalSimplified": _chinese,
    "ideographTraditional": _chinese,
    "japaneseCounting": _chinese,
    "taiwaneseCounting": _chinese,
    "taiwaneseCountingThousand": _chinese,
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedParen": lambda n: f"（{n}）",
    "decimalEnclosedFullstop": lambda n: f"{n}.",
    "upperLetter": _letter,
    "lowerLetter": lambda n: _letter(n).lower(),
    "upperRoman": _roman,
    "lowerRoman": lambda n: _roman(n).lower(),
}


def _val(element: Any, tag: str) -> str | None:
    child = element.find(f"{_W}{tag}") if element is not None else None
    return None if child is None else child.get(f"{_W}val")


class ListNumbering:
    """Call with a w:p element; returns the number Word would print before it, or ''."""

    def __init__(self, numbering: Any, styles: Any) -> None:
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self._abstract_of: dict[str, str] = {}
        self._style_num: dict[str, tuple[str, int]] = {}
        self._counters: dict[str, dict[int, int]] = {}
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    def _read_numbering(self, numbering: Any) -> None:
        for abstract in numbering.iterfind(f"{_W}abstractNum"):
            key = abstract.get(f"{_W}abstractNumId") or ""
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in abstract.iterfind(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl") or 0)
                start = _val(lvl, "start") or "1"
                levels[ilvl] = (
                    _val(lvl, "numFmt") or "decimal",
                    _val(lvl, "lvlText") or "",
                    int(start) if start.isdigit() else 1,
                )
            self._levels[key] = levels
        for num in numbering.iterfind(f"{_W}num"):
            abstract_id = _val(num, "abstractNumId")
            if abstract_id is not None:
                self._abstract_of[num.get(f"{_W}numId") or ""] = abstract_id

    def _read_styles(self, styles: Any) -> None:
        for style in styles.iterfind(f"{_W}style"):
            ppr = style.find(f"{_W}pPr")
            numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
            num_id = _val(numpr, "numId")
            if num_id:
                ilvl = _val(numpr, "ilvl") or "0"
                self._style_num[style.get(f"{_W}styleId") or ""] = (
                    num_id,
                    int(ilvl) if ilvl.isdigit() else 0,
                )

    def __call__(self, paragraph: Any) -> str:
        ppr = paragraph.find(f"{_W}pPr")
        if ppr is None or not self._levels:
            return ""
        numpr = ppr.find(f"{_W}numPr")
        num_id = _val(numpr, "numId")
        ilvl_text = _val(numpr, "ilvl")
        if num_id is None:
            styled = self._style_num.get(_val(ppr, "pStyle") or "")
            if styled is None:
                return ""
            num_id, ilvl = styled
        else:
            ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else 0
        abstract = self._abstract_of.get(num_id)
        levels = self._levels.get(abstract or "")
        if num_id == "0" or not levels or ilvl not in levels:
            return ""
        counters = self._counters.setdefault(abstract or "", {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new item restarts its sub-levels
        fmt, text, _ = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""
        for level in range(ilvl, -1, -1):
            if f"%{level + 1}" in text:
                level_fmt, _, level_start = levels.get(level, ("decimal", "", 1))
                value = counters.get(level, level_start)
                text = text.replace(f"%{level + 1}", FORMATS.get(level_fmt, str)(value))
        return text
