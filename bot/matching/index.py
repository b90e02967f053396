"""The claim index: BM25 postings pick a few candidate claims per story, the matcher scores them.

Build once per claim set (``build_index``); matching is read-only apart from ``set_facts``.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence

from rapidfuzz import fuzz

from bot.matching.changes import compare
from bot.matching.facts import extract_facts
from bot.matching.matcher import (
    Unit,
    Wording,
    best_wording,
    combine,
    matched_words,
    score_wording,
    unit,
    wording,
)
from bot.matching.polarity import relative_polarity
from bot.matching.text import clean, sentences
from bot.matching.types import Candidate, ClaimSpec, Facts, Match, StoryDoc

K1, B = 1.2, 0.75
PRIOR_DOCS = 1000
"""Virtual claims that mention nothing: IDF of a small pool stays near what a large one would give."""
POOL = 48
"""Claims re-scored per story: BM25's best, whatever the story's length."""
W_SIMILAR = 0.4
"""Share of coverage (vs token_sort_ratio) in claim-to-claim similarity."""
MAX_UNITS = 400
"""Sentences of one story looked at (title first); later ones of a very long story are ignored."""
COMMON_DF, COMMON_DOCS = 0.08, 10_000
"""In pools above 2,000 claims, terms in more than 8% of claims (of 800 claims past 10,000) do not
nominate candidates: they add little to BM25 and walking their postings is most of a lookup's cost."""


def story_units(story: StoryDoc) -> list[Unit]:
    """The title and each sentence of the summary and content, once each, as scoring units."""
    texts = [clean(story.title)] if story.title.strip() else []
    for part in (story.summary, story.content):
        if part.strip():
            texts.extend(sentences(clean(part)))
    seen: set[str] = set()
    out: list[Unit] = []
    for t in texts:
        if t and t not in seen and len(out) < MAX_UNITS:
            seen.add(t)
            out.append(unit(t))
    return out


class ClaimIndex:
    """Claims with their wordings, BM25 postings and current facts."""

    def __init__(self, claims: Sequence[ClaimSpec]) -> None:
        self._ids: list[Hashable] = []
        self._pos: dict[Hashable, int] = {}
        self._texts: list[str] = []
        self._wordings: list[tuple[Wording, ...]] = []
        self._facts: list[Facts | None] = []
        self._last: tuple[tuple[StoryDoc, int], list[tuple[float, int, Unit, Wording]]] | None = None
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for claim in claims:
            if claim.id in self._pos:
                raise ValueError(f"duplicate claim id {claim.id!r}")
            i = len(self._ids)
            self._ids.append(claim.id)
            self._pos[claim.id] = i
            self._texts.append(claim.text)
            ws = tuple(w for w in (wording(t) for t in (claim.text, *claim.aliases)) if w.terms)
            self._wordings.append(ws)
            self._facts.append(claim.facts)
            tf = Counter(t for w in ws for t in w.terms)
            lengths.append(sum(tf.values()))
            for t, n in tf.items():
                postings[t].append((i, n))
        n_docs = max(len(self._ids), 1)
        avg = (sum(lengths) / n_docs) or 1.0
        self._norm = array("f", (K1 * (1 - B + B * n / avg) for n in lengths))
        self.idf: dict[str, float] = {}
        self._docs: dict[str, array[int]] = {}
        self._weights: dict[str, array[float]] = {}
        for t, plist in postings.items():
            idf = math.log(1.0 + (n_docs + PRIOR_DOCS - len(plist) + 0.5) / (len(plist) + 0.5))
            self.idf[t] = idf
            self._docs[t] = array("i", (i for i, _ in plist))
            norm = self._norm
            self._weights[t] = array("f", (idf * n * (K1 + 1) / (n + norm[i]) for i, n in plist))
        self.default_idf = math.log(1.0 + (n_docs + PRIOR_DOCS + 0.5) / 0.5)
        self._common = max(int(COMMON_DF * min(n_docs, COMMON_DOCS)), 1) if n_docs > 2000 else n_docs + 1

    def __len__(self) -> int:
        return len(self._ids)

    def _pool(self, query: Counter[str], size: int) -> list[int]:
        """Claims with the best BM25 scores for the query (very common terms skipped if others exist)."""
        acc: dict[int, float] = defaultdict(float)
        known = [t for t in query if t in self._docs]
        rare = [t for t in known if len(self._docs[t]) <= self._common] or known
        for t in rare:
            q = query[t]
            for i, w in zip(self._docs[t], self._weights[t], strict=True):
                acc[i] += q * w
        return heapq.nlargest(size, acc, key=acc.__getitem__)

    def _bm25(self, tf: Counter[str], i: int, u: Unit) -> float:
        norm = self._norm[i]
        return sum(self.idf[t] * n * (K1 + 1) / (n + norm) for t, n in tf.items() if t in u.termset)

    def _scored(self, story: StoryDoc, size: int) -> list[tuple[float, int, Unit, Wording]]:
        """``_best`` for a story, remembered for the last story (match then candidates costs one pass)."""
        key = (story, size)
        if self._last is None or self._last[0] != key:
            self._last = (key, self._best(story_units(story), size))
        return self._last[1]

    def _best(self, units: Sequence[Unit], size: int) -> list[tuple[float, int, Unit, Wording]]:
        """Each pooled claim with its best unit and wording, best first."""
        query: Counter[str] = Counter(t for u in units for t in u.termset)
        out = []
        memo: dict[frozenset[str], float] = {}
        for i in self._pool(query, size):
            best: tuple[float, Unit | None, Wording | None] = (0.0, None, None)
            tf = Counter(t for w in self._wordings[i] for t in w.terms)
            for u in units:
                s, w = best_wording(self._wordings[i], u, self.idf, self.default_idf, memo)
                if w is None:
                    continue
                s = combine(s, self._bm25(tf, i, u))
                if s > best[0]:
                    best = (s, u, w)
            if best[1] is not None and best[2] is not None:
                out.append((best[0], i, best[1], best[2]))
        out.sort(key=lambda r: (-r[0], r[1]))
        return out

    def facts(self, claim_id: Hashable) -> Facts:
        """The claim's current facts (extracted from its text on first use when none were given)."""
        i = self._pos[claim_id]
        found = self._facts[i]
        if found is None:
            found = self._facts[i] = extract_facts(self._texts[i])
        return found

    def set_facts(self, claim_id: Hashable, facts: Facts) -> None:
        """Record a claim's new current state; later matches compare against it."""
        self._facts[self._pos[claim_id]] = facts

    def match(self, story: StoryDoc, min_score: float) -> list[Match]:
        """Claims the story states at ``min_score`` or above, one Match per claim (its best sentence)."""
        out = []
        for score, i, u, w in self._scored(story, POOL):
            if score < min_score:
                break
            current = self.facts(self._ids[i])
            facts = relative_polarity(
                current, self._texts[i], w.termset, extract_facts(u.text), u.text, u.termset
            )
            changes = compare(current, facts)
            out.append(
                Match(
                    self._ids[i],
                    round(score, 2),
                    u.text,
                    "changed" if changes else "recurs",
                    changes,
                    facts,
                    matched_words(u.text, w.termset),
                )
            )
        return out

    def candidates(self, story: StoryDoc, k: int) -> list[Candidate]:
        """The ``k`` best-scoring claims for the story, whatever their score."""
        best = self._scored(story, max(POOL, k))
        return [Candidate(self._ids[i], round(s, 2)) for s, i, _, _ in best[:k]]

    def similar(self, text: str, k: int) -> list[Candidate]:
        """Claims most like ``text`` (duplicate detection on /track); 100 means the same informative words.

        Symmetric: the weaker of the two coverage scores, blended with token_sort_ratio over stems.
        """
        u = unit(clean(text))
        if not u.terms:
            return []
        new = wording(u.text)
        scored = []
        for i in self._pool(Counter(u.termset), max(POOL, k)):
            s = 0.0
            for w in self._wordings[i]:
                ab = score_wording(w, u, self.idf, self.default_idf)
                ba = score_wording(
                    new, Unit(w.joined, w.terms, w.termset, w.joined), self.idf, self.default_idf
                )
                s = max(
                    s, W_SIMILAR * min(ab, ba) + (1 - W_SIMILAR) * fuzz.token_sort_ratio(w.joined, new.joined)
                )
            scored.append((s, i))
        scored.sort(key=lambda r: (-r[0], r[1]))
        return [Candidate(self._ids[i], round(s, 2)) for s, i in scored[:k]]


def build_index(claims: Sequence[ClaimSpec]) -> ClaimIndex:
    """An index over ``claims``; their ``facts`` (None: extracted from the text when first needed)."""
    return ClaimIndex(claims)
