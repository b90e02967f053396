"""The CLEF-2020 CheckThat! Task 2 layout (verified claim retrieval) and its ranking measures."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.matching.types import ClaimSpec, StoryDoc

_SIGNATURE = re.compile(r"\s*[—–-]{1,2}\s*[^—–\n]*\(@\w+\)\s*\w+\.?\s+\d{1,2},\s+\d{4}\s*$")
_LINKS = re.compile(r"(?:https?://|pic\.twitter\.com/)\S+")


def clean_tweet(text: str) -> str:
    """A tweet without URLs, pic.twitter.com links or its trailing '— Name (@handle) Month D, YYYY'."""
    text = _SIGNATURE.sub("", text)
    return " ".join(_LINKS.sub(" ", text).split())


def load_claims(dataset: Path) -> list[ClaimSpec]:
    """Claims of ``verified_claims.docs.tsv``: the claim text, with the fact-check's title as an alias."""
    with (dataset / "verified_claims.docs.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        next(rows, None)
        return [ClaimSpec(r[0], r[1], tuple(r[2:3])) for r in rows if len(r) >= 2]


@dataclass(frozen=True, slots=True)
class Query:
    story: StoryDoc
    relevant: frozenset[Hashable]


def load_split(dataset: Path, split: str) -> list[Query]:
    """Tweets of one split (any folder holding tweets.queries.tsv and tweet-vclaim-pairs.qrels)."""
    folder = dataset / split
    relevant: dict[str, set[str]] = {}
    with (folder / "tweet-vclaim-pairs.qrels").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 4 and parts[3] != "0":
                relevant.setdefault(parts[0], set()).add(parts[2])
    with (folder / "tweets.queries.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        next(rows, None)
        return [
            Query(StoryDoc(r[0], clean_tweet(r[1])), frozenset(relevant[r[0]]))
            for r in rows
            if len(r) >= 2 and r[0] in relevant
        ]


def average_precision(ranked: Sequence[Hashable], relevant: frozenset[Hashable], k: int) -> float:
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked[:k], 1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / min(len(relevant), k) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[Hashable], relevant: frozenset[Hashable]) -> float:
    return next((1.0 / r for r, item in enumerate(ranked, 1) if item in relevant), 0.0)


def recall(ranked: Sequence[Hashable], relevant: frozenset[Hashable], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


MEASURES: dict[str, Callable[[Sequence[Hashable], frozenset[Hashable]], float]] = {
    "MAP@1": lambda r, rel: average_precision(r, rel, 1),
    "MAP@5": lambda r, rel: average_precision(r, rel, 5),
    "Recall@5": lambda r, rel: recall(r, rel, 5),
    "MRR": reciprocal_rank,
}


def bootstrap(values: Sequence[float], rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean (seeded: the same data gives the same interval)."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[min(int(0.975 * rounds), rounds - 1)]
