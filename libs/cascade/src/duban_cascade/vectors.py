"""TF-IDF vectors and cosine similarity over a small corpus (the measures of two plans).

A few dozen lines over dicts: scikit-learn would bring numpy and scipy for a corpus of at most a
few hundred short texts, and the sparse dict form is fast enough (see the bench).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

Vector = dict[str, float]


def tfidf(documents: Sequence[Sequence[str]]) -> list[Vector]:
    """Sublinear tf × smoothed idf, L2-normalised; an empty document gives an empty vector."""
    df: Counter[str] = Counter()
    for terms in documents:
        df.update(set(terms))
    n = len(documents)
    idf = {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}
    vectors = []
    for terms in documents:
        counts = Counter(terms)
        vector = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        vectors.append({t: v / norm for t, v in vector.items()} if norm else {})
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    total = sum(v * b[t] for t, v in a.items() if t in b)
    return min(1.0, max(0.0, total))


def top_shared(a: Vector, b: Vector, limit: int) -> list[str]:
    """The shared terms that weigh most in both vectors, heaviest first (ties by term)."""
    shared = [(a[t] * b[t], t) for t in a.keys() & b.keys()]
    return [t for _, t in sorted(shared, key=lambda x: (-x[0], x[1]))[:limit]]
