"""Precision and recall of proposed links against hand-checked ones.

Precision counts a proposal as right when it is required or acceptable (a defensible partial
take-up); recall is over the required links only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

Pair = tuple[str, str]  # (child measure key, superior measure key)


@dataclass(frozen=True, slots=True)
class Evaluation:
    proposed: int
    correct: int
    required: int
    found: int

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.required if self.required else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Evaluation) -> Evaluation:
        return Evaluation(
            self.proposed + other.proposed,
            self.correct + other.correct,
            self.required + other.required,
            self.found + other.found,
        )


def evaluate(
    proposed: Collection[Pair], required: Collection[Pair], acceptable: Collection[Pair] = ()
) -> Evaluation:
    chosen = set(proposed)
    good = set(required) | set(acceptable)
    return Evaluation(
        proposed=len(chosen),
        correct=len(chosen & good),
        required=len(set(required)),
        found=len(chosen & set(required)),
    )
