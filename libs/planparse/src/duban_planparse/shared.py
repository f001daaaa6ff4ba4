"""One object for equal values within a document: a plan names the same departments, in the
same clause, in thousands of measures. Each measure holding its own equal tuples, `Party`
objects and clause text made a 100,000-measure result twice its size.

Per document, not process-wide (no ``sys.intern``): the names come from an uploaded file and
are let go with its result.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class Shared:
    """``shared(value)``: the first value equal to ``value`` seen so far (or ``value`` itself).

    Only for immutable values made of strings (str, tuples of str or None, frozen dataclasses of
    them): an int and a float that compare equal (1 == 1.0) are not interchangeable.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: T) -> T:
        found: T = self._seen.setdefault(value, value)
        return found
