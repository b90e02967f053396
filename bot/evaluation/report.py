"""Alert quality on a labelled half: precision, recall and F1 at a threshold, the precision/recall curve,
change-kind and changed-facts accuracy, each with a bootstrap interval over claims.

Pure: a system's output is a :class:`Verdict` per (entry, claim) pair it scored; pairs it did not score
count as score 0.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.evaluation.newsset import Gold, NewsHalf

BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_SEED = 7


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a system said of one (entry, claim) pair."""

    score: float
    kind: str = "recurs"
    changes: frozenset[str] = frozenset()


Verdicts = Mapping[tuple[str, str], Verdict]
"""By (entry id, claim id)."""


@dataclass(frozen=True, slots=True)
class Pair:
    claim: str
    gold: Gold
    verdict: Verdict


def pairs(half: NewsHalf, verdicts: Verdicts) -> list[Pair]:
    """Every entry of the half against every claim of the half."""
    none = Verdict(0.0)
    return [
        Pair(c.id, half.gold(e, c.id), verdicts.get((e.id, c.id), none))
        for e in half.entries
        for c in half.claims
    ]


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int
    fp: int
    fn: int
    kind_right: int
    facts_right: int
    changed_found: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_right / self.tp if self.tp else 0.0

    @property
    def facts_accuracy(self) -> float:
        return self.facts_right / self.changed_found if self.changed_found else 0.0


def count(ps: Sequence[Pair], threshold: float) -> Counts:
    tp = fp = fn = kind = facts = changed = 0
    for p in ps:
        alerted = p.verdict.score >= threshold
        positive = p.gold.label != "none"
        if alerted and positive:
            tp += 1
            kind += p.verdict.kind == p.gold.label
            if p.gold.label == "changed" and p.verdict.kind == "changed":
                changed += 1
                facts += p.verdict.changes == p.gold.changes
        elif alerted:
            fp += 1
        elif positive:
            fn += 1
    return Counts(tp, fp, fn, kind, facts, changed)


def bootstrap(
    ps: Sequence[Pair], measure: Callable[[Sequence[Pair]], float], rounds: int = BOOTSTRAP_ROUNDS
) -> tuple[float, float]:
    """A 95% interval for ``measure``, resampling claims with replacement (pairs follow their claim)."""
    by_claim: dict[str, list[Pair]] = {}
    for p in ps:
        by_claim.setdefault(p.claim, []).append(p)
    claims = sorted(by_claim)
    rng = random.Random(BOOTSTRAP_SEED)
    values = sorted(
        measure([p for c in rng.choices(claims, k=len(claims)) for p in by_claim[c]]) for _ in range(rounds)
    )
    return values[int(0.025 * rounds)], values[min(rounds - 1, int(0.975 * rounds))]


def curve(ps: Sequence[Pair], thresholds: Sequence[float]) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) at each threshold."""
    return [(t, (c := count(ps, t)).precision, c.recall) for t in thresholds]


def best_threshold(ps: Sequence[Pair], thresholds: Sequence[float]) -> float:
    """The threshold with the best F1 (the lowest of ties): how a baseline's threshold is set on tune."""
    return max(thresholds, key=lambda t: (count(ps, t).f1, -t))
