"""Scoring one claim against one sentence: how much of the claim's informative content the sentence states.

The score (0-100) multiplies: the IDF-weighted share of the claim's terms the sentence states (coverage),
how much informative evidence they share in absolute terms (a two-word claim fully covered is weaker
evidence than an eight-word one), the share of the sentence that is about the claim (precision), and
rapidfuzz's token_set_ratio over stems. A claim with aliases is scored by its best wording.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from bot.matching.text import terms

COVERAGE_EXP = 0.5
"""Coverage enters as a square root: a paraphrase that keeps most rare words is still close to the claim."""
EVIDENCE_SCALE = 2.0
"""Shared informative mass (in rare-word units) at which the evidence factor reaches 1 - 1/e."""
RARE_IDF = 7.0
"""IDF of a word found in about one claim in a thousand: the unit of evidence."""
W_PRECISION, W_FUZZ = 0.2, 0.15
W_BM25, BM25_SCALE = 0.5, 20.0
"""Half the score is the claim's BM25 score for the sentence, saturated: 1 - exp(-bm25 / BM25_SCALE)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """One wording of a claim (its text or an alias), prepared for scoring."""

    terms: tuple[str, ...]
    termset: frozenset[str]
    joined: str


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence (or the title) of a story, prepared for scoring."""

    text: str
    terms: tuple[str, ...]
    termset: frozenset[str]
    joined: str
    parts: int = 0
    """For the title-and-lead unit: how many of the units after it it joins (they come right after it)."""


def wording(text: str) -> Wording:
    ts = tuple(terms(text))
    return Wording(ts, frozenset(ts), " ".join(ts))


def unit(text: str) -> Unit:
    ts = tuple(terms(text))
    return Unit(text, ts, frozenset(ts), " ".join(ts))


QUANTITY_WEIGHT = 0.3
"""Number and quantity words weigh less in coverage: whether figures agree is the facts' job."""
_QUANTITY = frozenset(
    (
        "hundr thousand million billion trillion dozen multi pound dollar euro bn mn tn percent cent score"
        " sever"
    ).split()
)


def weight(t: str, idf: Mapping[str, float], default_idf: float) -> float:
    w = idf.get(t, default_idf)
    return w * QUANTITY_WEIGHT if t in _QUANTITY or t[:1].isdigit() else w


def total(
    termset: frozenset[str], idf: Mapping[str, float], default_idf: float, memo: dict[frozenset[str], float]
) -> float:
    """Weight of a whole wording or unit, remembered in ``memo`` (one per story: idf does not change)."""
    found = memo.get(termset)
    if found is None:
        found = memo[termset] = sum(weight(t, idf, default_idf) for t in termset)
    return found


def score_wording(
    w: Wording,
    u: Unit,
    idf: Mapping[str, float],
    default_idf: float,
    memo: dict[frozenset[str], float] | None = None,
) -> float:
    """Score 0-100 of one wording against one unit."""
    if not w.termset or not u.termset:
        return 0.0
    shared = w.termset & u.termset
    if not shared:
        return 0.0
    covered = sum(weight(t, idf, default_idf) for t in shared)
    memo = {} if memo is None else memo
    w_total = total(w.termset, idf, default_idf, memo)
    return formula(covered, w_total, total(u.termset, idf, default_idf, memo), w.joined, u.joined)


def formula(covered: float, w_total: float, u_total: float, w_joined: str, u_joined: str) -> float:
    """The score from the shared weight, the wording's and the unit's total weights and their stems."""
    coverage = covered / w_total
    precision = covered / u_total
    evidence = 1.0 - math.exp(-covered / RARE_IDF / EVIDENCE_SCALE)
    fz = float(fuzz.token_set_ratio(w_joined, u_joined)) / 100.0
    raw = math.pow(coverage, COVERAGE_EXP) * evidence * (1 - W_PRECISION + W_PRECISION * precision)
    raw *= 1 - W_FUZZ + W_FUZZ * fz
    return 100.0 * raw


def combine(wording_score: float, bm25: float) -> float:
    """The final 0-100 score from the best wording's score and the claim's BM25 score for the unit."""
    return (1 - W_BM25) * wording_score + W_BM25 * 100.0 * (1.0 - math.exp(-bm25 / BM25_SCALE))


CALIBRATION: tuple[tuple[float, float], ...] = ((0.0, 0.0), (74.0, 70.0), (100.0, 100.0))
"""Knots (raw score, reported score) of a monotone piecewise-linear map: the alert threshold 70 is the raw
score 74, where precision on the real-news set's tune half is 0.85 (`claimbot eval-news --half tune`:
P 0.852, R 0.143 at 70; uncalibrated P 0.727, R 0.199)."""


def calibrate(raw: float) -> float:
    """The reported 0-100 score for a raw one: strictly increasing, so rankings do not change."""
    for (x0, y0), (x1, y1) in zip(CALIBRATION, CALIBRATION[1:], strict=False):
        if raw <= x1:
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
    return 100.0


def best_wording(
    wordings: Sequence[Wording],
    u: Unit,
    idf: Mapping[str, float],
    default_idf: float,
    memo: dict[frozenset[str], float] | None = None,
) -> tuple[float, Wording | None]:
    best, chosen = 0.0, None
    for w in wordings:
        s = score_wording(w, u, idf, default_idf, memo)
        if s > best:
            best, chosen = s, w
    return best, chosen


_SURFACE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*|U\.S\.|U\.K\.")


def matched_words(sentence: str, termset: frozenset[str]) -> tuple[str, ...]:
    """Words of ``sentence`` as written whose terms belong to ``termset`` (for bold in alerts).

    A number with a decimal point or thousands separator ("3.2", "1,000") is one word: bold only when all
    of it matched, never a digit inside it."""
    out = []
    for w in _SURFACE.findall(sentence):
        ts = _surface_terms(w)
        if ts and (termset.issuperset(ts) if w[:1].isdigit() else not termset.isdisjoint(ts)):
            out.append(w)
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=100_000)
def _surface_terms(word: str) -> tuple[str, ...]:
    return tuple(terms(word))
