"""The claim index: BM25 postings pick a few candidate claims per story, the matcher scores them.

Build once per claim set (``build_index``); matching is read-only apart from ``set_facts``.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Hashable, Sequence

from rapidfuzz import fuzz

from bot.matching.bm25 import K1, Postings
from bot.matching.changes import compare
from bot.matching.facts import extract_facts
from bot.matching.polarity import relative_polarity
from bot.matching.scoring import (
    Unit,
    Wording,
    calibrate,
    combine,
    formula,
    matched_words,
    score_wording,
    unit,
    weight,
    wording,
)
from bot.matching.story import MAX_UNITS, Ranked, StoryReading, story_units
from bot.matching.text import clean
from bot.matching.types import Candidate, ClaimSpec, Facts, Match, StoryDoc

__all__ = ["MAX_UNITS", "ClaimIndex", "build_index", "story_units"]

POOL = 48
"""Claims re-scored per story: BM25's best, whatever the story's length."""
W_SIMILAR = 0.4
"""Share of coverage (vs token_sort_ratio) in claim-to-claim similarity."""
EAGER_FACTS = 1000
"""Pools up to this size get every claim's facts at build (a few ms per hundred claims), so that an index
sent to a worker process arrives with them; larger pools extract a claim's facts when it first matches."""

BestUnit = tuple[float, Unit | None, Wording | None]


class ClaimIndex:
    """Claims with their wordings, BM25 postings and current facts."""

    def __init__(self, claims: Sequence[ClaimSpec]) -> None:
        self._ids: list[Hashable] = []
        self._pos: dict[Hashable, int] = {}
        self._texts: list[str] = []
        self._wordings: list[tuple[Wording, ...]] = []
        self._facts: list[Facts | None] = []
        self._last: StoryReading | None = None
        for claim in claims:
            if claim.id in self._pos:
                raise ValueError(f"duplicate claim id {claim.id!r}")
            self._pos[claim.id] = len(self._ids)
            self._ids.append(claim.id)
            self._texts.append(claim.text)
            self._wordings.append(tuple(w for w in map(wording, (claim.text, *claim.aliases)) if w.terms))
            self._facts.append(claim.facts)
        self._bm = Postings(_term_counts(ws) for ws in self._wordings)
        self.idf, self.default_idf = self._bm.idf, self._bm.default_idf
        self._totals, self._first = self._wording_totals()
        if len(self._ids) <= EAGER_FACTS:
            for claim_id in self._ids:
                self.facts(claim_id)

    def _wording_totals(self) -> tuple[array[float], array[int]]:
        """Each wording's total term weight (claim i's are ``totals[first[i]:]``, one per wording)."""
        wt = {t: weight(t, self.idf, self.default_idf) for t in self.idf}
        totals, first = array("d"), array("i")
        for ws in self._wordings:
            first.append(len(totals))
            totals.extend([sum(map(wt.__getitem__, w.termset)) for w in ws])
        return totals, first

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the last story's reading (an index travels to worker processes)."""
        return {**self.__dict__, "_last": None}

    def __len__(self) -> int:
        return len(self._ids)

    def _pool(self, query: Counter[str], size: int) -> list[int]:
        """Claims with the best BM25 scores for the query (very common terms skipped if others exist)."""
        return self._bm.pool(query, size)

    def _bm25(self, tf: Counter[str], i: int, u: Unit) -> float:
        norm = self._bm.norm[i]
        return sum(self.idf[t] * n * (K1 + 1) / (n + norm) for t, n in tf.items() if t in u.termset)

    def _read(self, story: StoryDoc) -> StoryReading:
        """The story's reading, remembered for the last story (one story is matched, then listed)."""
        last = self._last
        if last is None or last.story != story:
            last = self._last = StoryReading(story)
        return last

    def _scored(self, story: StoryDoc, size: int) -> Ranked:
        return self._read(story).ranked(size, self._best)

    def _best(self, units: Sequence[Unit], size: int) -> Ranked:
        """Each pooled claim with its best unit and wording, best first.

        What ``best_wording`` then ``combine`` with ``_bm25`` give for every unit, the same sums in the
        same order, with each term's weight looked up once per story and each claim's BM25 once.
        """
        query: Counter[str] = Counter(t for u in units for t in u.termset)
        wt = {t: weight(t, self.idf, self.default_idf) for t in query}
        u_totals = [sum(map(wt.__getitem__, u.termset)) for u in units]
        out = []
        for i in self._pool(query, size):
            score, u, w = self._best_unit(i, units, u_totals, wt)
            if u is not None and w is not None:
                out.append((score, i, u, w))
        out.sort(key=lambda r: (-r[0], r[1]))
        return out

    def _best_unit(
        self, i: int, units: Sequence[Unit], u_totals: list[float], wt: dict[str, float]
    ) -> BestUnit:
        """Claim ``i``'s best unit and wording: ``best_wording`` per unit, then ``combine`` with BM25."""
        ws, first = self._wordings[i], self._first[i]
        wordings = list(zip(ws, self._totals[first : first + len(ws)], strict=True))
        bm25 = self._bm.shares(_term_counts(ws), i, wt)
        best: BestUnit = (0.0, None, None)
        lead = units[0] if units and units[0].parts else None
        for u, u_total in zip(units, u_totals, strict=True):
            s, chosen, terms = 0.0, None, u.termset
            for w, w_total in wordings:
                if u is lead and not all(w.termset & part.termset for part in units[1 : 1 + u.parts]):
                    continue  # the lead adds to its parts only for a wording that each of them states
                shared = w.termset & terms
                if shared:
                    score = formula(sum(map(wt.__getitem__, shared)), w_total, u_total, w.joined, u.joined)
                    if score > s:
                        s, chosen = score, w
            if chosen is not None:
                s = combine(s, sum([c for t, c in bm25 if t in terms]))
                if s > best[0]:
                    best = (s, u, chosen)
        return (calibrate(best[0]), best[1], best[2])  # monotone: the same best unit, calibrated once

    def _best_sentence(self, i: int, units: Sequence[Unit], lead: Unit, w: Wording) -> tuple[Unit, Wording]:
        """Claim ``i``'s best single sentence among ``units`` (the lead unit when none shares a word)."""
        wt = {t: weight(t, self.idf, self.default_idf) for u in units for t in u.termset}
        _, u, chosen = self._best_unit(i, units, [sum(map(wt.__getitem__, u.termset)) for u in units], wt)
        return (u, chosen) if u is not None and chosen is not None else (lead, w)

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
        reading = self._read(story)
        for score, i, u, w in reading.ranked(POOL, self._best):
            if score < min_score:
                break
            if u.text == reading.lead:  # facts and polarity are read from one sentence, not from several
                u, w = self._best_sentence(i, reading.units[1:], u, w)
            current = self.facts(self._ids[i])
            facts = relative_polarity(current, self._texts[i], w.termset, reading.facts(u), u.text, u.termset)
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


def _term_counts(ws: tuple[Wording, ...]) -> Counter[str]:
    """A claim's terms over all its wordings, counted, in order of first use."""
    tf: Counter[str] = Counter()
    for w in ws:
        tf.update(w.terms)
    return tf


def build_index(claims: Sequence[ClaimSpec]) -> ClaimIndex:
    """An index over ``claims``; their ``facts`` (None: extracted from the text when first needed)."""
    return ClaimIndex(claims)
