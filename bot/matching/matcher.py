"""Scoring one claim against one sentence: how much of the claim's informative content the sentence states.

The score (0-100) blends three views of the claim's words in the sentence:
IDF-weighted coverage of the claim's terms, the share of its word pairs that appear close together
(order and phrasing), and rapidfuzz's token_set_ratio over stems (spelling slips, word forms).
A claim with aliases is scored by its best-matching wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.matching.text import terms

W_COVERAGE, W_PAIRS, W_FUZZ, W_PRECISION = 0.62, 0.18, 0.12, 0.08
SHORT_CLAIM_TERMS = 3
"""Claims of fewer informative terms than this are capped below 100: one shared word is weak evidence."""
WINDOW = 3
"""Two claim words count as a pair in the sentence when at most WINDOW - 1 words apart there."""


@dataclass(frozen=True, slots=True)
class Wording:
    """One wording of a claim (its text or an alias), prepared for scoring."""

    terms: tuple[str, ...]
    termset: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    joined: str


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence (or the title) of a story, prepared for scoring."""

    text: str
    terms: tuple[str, ...]
    termset: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    joined: str


def pairs_of(seq: Sequence[str], window: int) -> frozenset[tuple[str, str]]:
    """Unordered pairs of distinct terms at most ``window - 1`` positions apart."""
    out = set()
    for i, a in enumerate(seq):
        for b in seq[i + 1 : i + window]:
            if a != b:
                out.add((a, b) if a < b else (b, a))
    return frozenset(out)


def wording(text: str) -> Wording:
    ts = tuple(terms(text))
    return Wording(ts, frozenset(ts), pairs_of(ts, 2), " ".join(ts))


def unit(text: str) -> Unit:
    ts = tuple(terms(text))
    return Unit(text, ts, frozenset(ts), pairs_of(ts, WINDOW), " ".join(ts))


QUANTITY_WEIGHT = 0.3
"""Number and quantity words weigh less in coverage: whether figures agree is the facts' job, not the match's."""
_QUANTITY = frozenset(
    "hundr thousand million billion trillion dozen multi pound dollar euro bn mn tn percent cent score sever".split()
)


def weight(t: str, idf: Mapping[str, float], default_idf: float) -> float:
    w = idf.get(t, default_idf)
    return w * QUANTITY_WEIGHT if t in _QUANTITY or t[:1].isdigit() else w


def score_wording(w: Wording, u: Unit, idf: Mapping[str, float], default_idf: float) -> float:
    """Score 0-100 of one wording against one unit."""
    if not w.termset or not u.termset:
        return 0.0
    shared = w.termset & u.termset
    if not shared:
        return 0.0
    covered = sum(weight(t, idf, default_idf) for t in shared)
    coverage = covered / sum(weight(t, idf, default_idf) for t in w.termset)
    pairs = len(w.pairs & u.pairs) / len(w.pairs) if w.pairs else coverage
    precision = covered / sum(weight(t, idf, default_idf) for t in u.termset)
    fz = fuzz.token_set_ratio(w.joined, u.joined) / 100.0
    raw = W_COVERAGE * coverage + W_PAIRS * pairs + W_FUZZ * fz + W_PRECISION * precision
    if len(w.termset) < SHORT_CLAIM_TERMS:
        raw *= 0.8 + 0.1 * (len(w.termset) - 1)
    return 100.0 * raw


def best_wording(
    wordings: Sequence[Wording], u: Unit, idf: Mapping[str, float], default_idf: float
) -> tuple[float, Wording | None]:
    best, chosen = 0.0, None
    for w in wordings:
        s = score_wording(w, u, idf, default_idf)
        if s > best:
            best, chosen = s, w
    return best, chosen


_SURFACE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|U\.S\.|U\.K\.")


def matched_words(sentence: str, termset: frozenset[str]) -> tuple[str, ...]:
    """Words of ``sentence`` as written whose terms belong to ``termset`` (for bold in alerts)."""
    out = []
    for m in _SURFACE.finditer(sentence):
        if any(t in termset for t in terms(m.group())):
            out.append(m.group())
    return tuple(dict.fromkeys(out))
