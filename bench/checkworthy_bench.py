"""Check-worthiness ranking against human labels: CLEF-2019 CheckThat! Task 1 (debates and speeches).

    .venv/bin/python -m bench.checkworthy_bench DATA [--seed 13] [--rounds 400]

DATA is a folder with ``CT19-T1-Training.csv`` and/or ``CT19-T1-Test.csv`` (columns line_number, speaker,
text, label, file_name; one row per sentence, label 1 = check-worthy). The documents of both files are
pooled and split in two halves with a fixed seed: the weights of ``bot.articles.worthiness`` are tuned
(random search) on the first half only, and every ranker is reported on the second: precision@5 and
recall@10 per document, averaged over documents, beside two baselines from the same run (the first
sentences; the sentences with a number, in order).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from bot.articles import worthiness

Ranker = Callable[["Doc"], list[int]]


@dataclass(frozen=True)
class Doc:
    name: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    features: tuple[tuple[float, ...], ...]


def load(folder: Path) -> list[Doc]:
    rows: dict[str, list[tuple[int, str, int]]] = {}
    for name in ("CT19-T1-Training.csv", "CT19-T1-Test.csv"):
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["speaker"].strip().upper() == "SYSTEM":  # (APPLAUSE), (LAUGHTER): not sentences
                    continue
                rows.setdefault(row["file_name"], []).append(
                    (int(row["line_number"]), row["text"], int(row["label"]))
                )
    if not rows:
        raise SystemExit(f"{folder}: no CT19-T1-Training.csv or CT19-T1-Test.csv")
    docs = []
    for name in sorted(rows):
        lines = sorted(rows[name])
        texts = tuple(t for _, t, _ in lines)
        docs.append(
            Doc(name, texts, tuple(lab for _, _, lab in lines), tuple(map(worthiness.features, texts)))
        )
    return docs


def precision_at(ranked: Sequence[int], doc: Doc, k: int) -> float:
    return sum(doc.labels[i] for i in ranked[:k]) / k


def recall_at(ranked: Sequence[int], doc: Doc, k: int) -> float:
    positives = sum(doc.labels)
    return sum(doc.labels[i] for i in ranked[:k]) / positives if positives else 0.0


def by_weights(weights: Sequence[float]) -> Ranker:
    def rank(doc: Doc) -> list[int]:
        scores = [sum(w * f for w, f in zip(weights, fs, strict=True)) for fs in doc.features]
        return sorted(range(len(scores)), key=lambda i: (-scores[i], i))

    return rank


def first_sentences(doc: Doc) -> list[int]:
    return list(range(len(doc.texts)))


_DIGIT = re.compile(r"\d")


def with_a_number(doc: Doc) -> list[int]:
    has = [i for i, t in enumerate(doc.texts) if _DIGIT.search(t)]
    return has + [i for i in range(len(doc.texts)) if not _DIGIT.search(doc.texts[i])]


def measure(rank: Ranker, docs: Sequence[Doc]) -> tuple[float, float]:
    ranked = [rank(d) for d in docs]
    p5 = statistics.fmean(precision_at(r, d, 5) for r, d in zip(ranked, docs, strict=True))
    r10 = statistics.fmean(recall_at(r, d, 10) for r, d in zip(ranked, docs, strict=True))
    return p5, r10


def fit(docs: Sequence[Doc], epochs: int = 150, rate: float = 0.5) -> tuple[float, ...]:
    """Logistic regression on the features (positives weighted up to balance the classes), no intercept:
    only the order of sentences matters."""
    rows = [(fs, lab) for d in docs for fs, lab in zip(d.features, d.labels, strict=True)]
    positives = sum(lab for _, lab in rows) or 1
    boost = (len(rows) - positives) / positives
    n = len(rows[0][0])
    w = [0.0] * (n + 1)
    for _ in range(epochs):
        grad = [0.0] * (n + 1)
        for fs, lab in rows:
            z = w[n] + sum(a * b for a, b in zip(w, fs, strict=False))
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            g = (p - lab) * (boost if lab else 1.0)
            for j, f in enumerate(fs):
                grad[j] += g * f
            grad[n] += g
        w = [wj - rate * gj / len(rows) for wj, gj in zip(w, grad, strict=True)]
    return tuple(w[:n])


POSITIVE = frozenset(("figure", "digit", "quantity", "parties", "status", "attributed"))
"""What the issue calls checkable (a number, an amount, a party, a status, an attribution) never counts
against a sentence: debates reward these less than news does ('we plan to…' is a promise there)."""


def _signed(weights: Sequence[float]) -> tuple[float, ...]:
    return tuple(
        max(w, 0.0) if name in POSITIVE else w for name, w in zip(worthiness.FEATURES, weights, strict=True)
    )


def tune(docs: Sequence[Doc], rounds: int, rng: random.Random) -> tuple[float, ...]:
    """A logistic fit, then random search around it; the objective is P@5 + R@10 on ``docs`` only."""
    best = _signed(fit(docs))
    best_value = sum(measure(by_weights(best), docs))
    for _ in range(rounds):
        trial = _signed([w + rng.gauss(0, 0.3) for w in best])
        value = sum(measure(by_weights(trial), docs))
        if value > best_value:
            best, best_value = trial, value
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder with the CT19-T1 CSV files")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rounds", type=int, default=400, help="random-search trials on the tuning half")
    args = parser.parse_args()
    docs = load(args.data)
    rng = random.Random(args.seed)
    order = list(docs)
    rng.shuffle(order)
    half = len(order) // 2
    tuning, held_out = order[:half], order[half:]
    tuned = tune(tuning, args.rounds, rng)
    positives = sum(sum(d.labels) for d in held_out)
    sentences = sum(len(d.texts) for d in held_out)
    split = f"{len(tuning)} tuning, {len(held_out)} held out"
    print(f"documents: {split} ({sentences} sentences, {positives} check-worthy)")
    print(
        "tuned weights: " + ", ".join(f"{n}={w:.2f}" for n, w in zip(worthiness.FEATURES, tuned, strict=True))
    )
    print(f"{'ranker':<34} {'held-out P@5':>12} {'R@10':>6}   {'tuning P@5':>10} {'R@10':>6}")
    rankers: list[tuple[str, Ranker]] = [
        ("baseline: first sentences", first_sentences),
        ("baseline: sentences with a number", with_a_number),
        ("worthiness, weights in the code", by_weights(astuple(worthiness.TUNED))),
        ("worthiness, tuned in this run", by_weights(tuned)),
    ]
    for name, rank in rankers:
        p5, r10 = measure(rank, held_out)
        tp5, tr10 = measure(rank, tuning)
        print(f"{name:<34} {p5:12.3f} {r10:6.3f}   {tp5:10.3f} {tr10:6.3f}")


if __name__ == "__main__":
    main()
