"""Speed of the claim index beside brute-force rapidfuzz and a bare BM25 index.

    .venv/bin/python -m bench.match_bench --dataset ../shared/data/clef2020-task2 [--sizes 10000,100000]

Stories are a fact-check title plus a 3-5 sentence summary (one sentence restates the claim, the others
are restatements of other claims' titles); pools beyond the 10,375 real claims are grown with distinct
generated claims (the first half of one claim joined to the second half of another), never copies.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections import Counter

from rapidfuzz import fuzz, process
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bot.matching import ClaimSpec, StoryDoc, build_index
from bot.matching.clef import load_claims
from bot.matching.index import story_units


def grow(claims: list[ClaimSpec], size: int, rng: random.Random) -> list[ClaimSpec]:
    """``size`` distinct claims: the real ones first, then spliced halves of two random real claims."""
    out, texts = list(claims[:size]), {c.text for c in claims}
    while len(out) < size:
        a, b = rng.sample(claims, 2)
        wa, wb = a.text.split(), b.text.split()
        text = " ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :])
        if text not in texts:
            texts.add(text)
            out.append(ClaimSpec(f"g{len(out)}", text))
    return out


def stories(claims: list[ClaimSpec], n: int, rng: random.Random) -> list[StoryDoc]:
    out = []
    for i in range(n):
        target = rng.choice(claims)
        others = [c.aliases[0] if c.aliases else c.text for c in rng.sample(claims, rng.randint(2, 4))]
        body = [target.text, *others]
        rng.shuffle(body)
        out.append(StoryDoc(i, target.aliases[0] if target.aliases else target.text, " ".join(body)))
    return out


def run(
    size: int, base: list[ClaimSpec], n_stories: int, brute_n: int, rng: random.Random
) -> list[list[str]]:
    pool = grow(base, size, rng)
    docs = stories(base, n_stories, rng)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    index = build_index(pool)
    build = time.perf_counter() - start
    memory = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # peak RSS growth, MiB
    rows = []
    lat: list[float] = []
    for doc in track(docs, description=f"{size:>7} claims: claimbot"):
        t = time.perf_counter()
        index.match(doc, 70.0)
        index.candidates(doc, 5)
        lat.append(time.perf_counter() - t)
    rows.append(("claimbot index", lat))
    lat = []
    for doc in track(docs, description=f"{size:>7} claims: bare BM25"):
        t = time.perf_counter()
        units = story_units(doc)
        index._pool(Counter(t for u in units for t in u.termset), 5)
        lat.append(time.perf_counter() - t)
    rows.append(("bare BM25", lat))
    texts = [c.text for c in pool]
    lat = []
    for doc in track(docs[:brute_n], description=f"{size:>7} claims: brute force"):
        t = time.perf_counter()
        process.cdist([u.text for u in story_units(doc)], texts, scorer=fuzz.token_set_ratio, workers=1)
        lat.append(time.perf_counter() - t)
    rows.append(("brute-force cdist token_set_ratio", lat))
    brute = statistics.median(rows[-1][1])
    table = []
    for name, ls in rows:
        ls = sorted(ls)
        p50, p99 = ls[len(ls) // 2], ls[min(int(0.99 * len(ls)), len(ls) - 1)]
        table.append(
            [
                f"{size:,}",
                name,
                f"{p50 * 1e3:.2f}",
                f"{p99 * 1e3:.2f}",
                f"{len(ls) / sum(ls):.0f}",
                f"{brute / p50:.0f}×",
                f"{build:.1f} s / {memory:.0f} MiB" if name == "claimbot index" else "",
            ]
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="CLEF-2020 Task 2 folder")
    parser.add_argument("--sizes", default="10000,100000", help="claim pool sizes, comma-separated")
    parser.add_argument("--stories", type=int, default=300, help="stories per pool")
    parser.add_argument("--brute-stories", type=int, default=20, help="stories for the brute-force baseline")
    args = parser.parse_args()
    rng = random.Random(0)
    base = load_claims(__import__("pathlib").Path(args.dataset))
    table = Table(title="claimbot match benchmark (one core, per story: title + 3-5 sentences)")
    for col in (
        "claims",
        "method",
        "p50 ms",
        "p99 ms",
        "stories/s",
        "vs brute (p50)",
        "index build / memory",
    ):
        table.add_column(col)
    for size in (int(s) for s in args.sizes.split(",")):
        for row in run(size, base, args.stories, args.brute_stories, rng):
            table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
