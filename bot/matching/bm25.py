"""BM25 over the claims: IDF, length norms, and postings as compact arrays that nominate a story's pool.

Built once from each claim's term counts; read-only afterwards, so one instance is shared by threads.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Container, Iterable

K1, B = 1.2, 0.75
PRIOR_DOCS = 1000
"""Virtual claims that mention nothing: IDF of a small pool stays near what a large one would give."""
COMMON_DF, COMMON_DOCS = 0.08, 10_000
"""In pools above 2,000 claims, terms in more than 8% of claims (of 800 claims past 10,000) do not
nominate candidates: they add little to BM25 and walking their postings is most of a lookup's cost."""


class Postings:
    """For each term, the claims that have it (``docs``) and its BM25 weight in each (``weights``)."""

    __slots__ = ("idf", "default_idf", "norm", "docs", "weights", "common")

    def __init__(self, term_counts: Iterable[Counter[str]]) -> None:
        postings: dict[str, tuple[list[int], list[int]]] = {}  # term -> (claims, counts), no tuple each
        lengths: list[int] = []
        for i, tf in enumerate(term_counts):
            lengths.append(sum(tf.values()))
            for t, n in tf.items():
                found = postings.get(t)
                if found is None:
                    postings[t] = ([i], [n])
                else:
                    found[0].append(i)
                    found[1].append(n)
        n_docs = max(len(lengths), 1)
        avg = (sum(lengths) / n_docs) or 1.0
        self.norm = norm = array("f", [K1 * (1 - B + B * n / avg) for n in lengths])
        self.idf: dict[str, float] = {}
        self.docs: dict[str, array[int]] = {}
        self.weights: dict[str, array[float]] = {}
        k1 = K1 + 1
        for t, (ids, counts) in postings.items():
            idf = math.log(1.0 + (n_docs + PRIOR_DOCS - len(ids) + 0.5) / (len(ids) + 0.5))
            self.idf[t] = idf
            self.docs[t] = array("i", ids)
            self.weights[t] = array(
                "f", [idf * n * k1 / (n + norm[i]) for i, n in zip(ids, counts, strict=True)]
            )
        self.default_idf = math.log(1.0 + (n_docs + PRIOR_DOCS + 0.5) / 0.5)
        self.common = max(int(COMMON_DF * min(n_docs, COMMON_DOCS)), 1) if n_docs > 2000 else n_docs + 1

    def pool(self, query: Counter[str], size: int) -> list[int]:
        """Claims with the best BM25 scores for the query (very common terms skipped if others exist)."""
        acc: dict[int, float] = {}
        get, docs, weights = acc.get, self.docs, self.weights
        known = [t for t in query if t in docs]
        for t in [t for t in known if len(docs[t]) <= self.common] or known:
            q = query[t]
            if q == 1:  # most terms: one sentence has them; the same sums, a multiply fewer
                for i, w in zip(docs[t], weights[t], strict=True):
                    acc[i] = get(i, 0.0) + w
            else:
                for i, w in zip(docs[t], weights[t], strict=True):
                    acc[i] = get(i, 0.0) + q * w
        return top(acc, size)

    def shares(self, tf: Counter[str], i: int, keep: Container[str]) -> list[tuple[str, float]]:
        """Each term's share of claim ``i``'s BM25 score, in ``tf`` order, for the terms in ``keep``."""
        norm, idf, k1 = self.norm[i], self.idf, K1 + 1
        return [(t, idf[t] * n * k1 / (n + norm)) for t, n in tf.items() if t in keep]


def top(scores: dict[int, float], k: int) -> list[int]:
    """``heapq.nlargest(k, scores, key=scores.__getitem__)``, ties in the same order, in less time: the
    k-th best value is found without a key function, then only the keys that reach it are sorted."""
    if len(scores) > k > 0:
        floor = heapq.nlargest(k, scores.values())[-1]
        return sorted([i for i, v in scores.items() if v >= floor], key=scores.__getitem__, reverse=True)[:k]
    return sorted(scores, key=scores.__getitem__, reverse=True)[:k]
