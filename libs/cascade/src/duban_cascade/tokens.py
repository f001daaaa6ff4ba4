"""Chinese text to terms: jieba words and character bigrams, without policy boilerplate.

Every plan in a chain says 加强、推进、按规定、符合条件的; those words tell nothing about which
measure is which, so they are dropped before weighting (IDF alone would only damp them).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import jieba

from .normalize import nfkc

STOP_WORDS = frozenset(
    """
    加强 推进 推动 工作 建设 各地 各级 有关 有关部门 部门 相关 负责 按职责 分工 职责 牵头 配合
    鼓励 支持 引导 开展 实施 落实 完善 健全 强化 提升 提高 促进 加快 加大 深化 深入 积极 大力
    充分 发挥 作用 进一步 不断 持续 切实 认真 全面 逐步 努力 力争 着力 做好 抓好 推广 探索
    按规定 规定 符合条件 符合 条件 给予 对于 通过 以及 及其 等等 方面 领域 方式 形式 机制 体系
    要求 重要 重点 主要 基础 基本 有效 有力 提供 形成 实现 确保 保障 服务 政策 措施 任务 目标
    本地区 本地 当地 地区 我省 我区 全省 全区 全市 省级 市级 自治区 国家 省 市 县 区 各 年 月 日
    一批 若干 一定 比例 相应 有条件 条件 的 和 与 及 等 对 在 为 是 了 将 把 以 从 向 由 于 其
    作为 分工负责 职责分工 按职责分工负责
    并 或 及时 同时 其中 之间 所有 以上 以下 左右 万 亿 个 项 家 名 次 人 人次
    """.split()  # noqa: SIM905 - a word list reads better as a block of text
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Characters that make a bigram straddle two words rather than name anything.
_FUNCTION_CHARS = frozenset("的和与及等对在为是了将把以从向由于其并或各之")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer, loaded once per process (its dictionary takes ~0.5 s)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)  # "Building prefix dict..." is not for users
            instance = jieba.Tokenizer()
            instance.initialize()
            _tokenizer = instance
        return _tokenizer


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """jieba words of two or more characters that are not boilerplate."""
    return tuple(
        w
        for w in tokenizer().lcut(nfkc(text))
        if len(w) >= 2 and _WORD_CHAR.search(w) and w not in STOP_WORDS
    )


@lru_cache(maxsize=4096)
def bigrams(text: str) -> tuple[str, ...]:
    """Overlapping character pairs within runs of Chinese characters."""
    grams = []
    for run in _CJK_RUN.findall(nfkc(text)):
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if pair not in STOP_WORDS and not (set(pair) & _FUNCTION_CHARS):
                grams.append(pair)
    return tuple(grams)
