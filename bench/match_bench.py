"""Speed of the claim index beside brute-force rapidfuzz and a bare BM25 index.

    taskset -c 1 .venv/bin/python -m bench.match_bench --dataset ../shared/data/clef2020-task2 \
        [--sizes 12,10000,100000]

Stories are a fact-check title plus a 3-5 sentence summary (one sentence restates the claim, the others
are restatements of other claims' titles); pools beyond the 10,375 real claims are grown with distinct
generated claims (the first half of one claim joined to the second half of another), never copies.
Each story is timed in wall-clock and in CPU seconds of the matching thread: on a shared machine the
second is what one core costs, the first what a reader waits.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable

from rapidfuzz import fuzz, process
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bot.matching import ClaimSpec, StoryDoc, build_index
from bot.matching.clef import load_claims
from bot.matching.index import story_units

WARM_STORIES = 20
"""Untimed stories matched first, as a running bot has matched many: the word caches are warm."""


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


Timings = tuple[list[float], list[float]]
"""Per-story wall-clock and CPU (this thread) seconds."""


def timed(docs: list[StoryDoc], label: str, work: Callable[[StoryDoc], object]) -> Timings:
    """Wall and CPU time of ``work`` per story: CPU time is what one core costs when others share it."""
    wall: list[float] = []
    cpu: list[float] = []
    for doc in track(docs, description=label):
        w, c = time.perf_counter(), time.thread_time()
        work(doc)
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return wall, cpu


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def run(
    size: int, base: list[ClaimSpec], n_stories: int, brute_n: int, rng: random.Random
) -> list[list[str]]:
    pool = grow(base, size, rng)
    docs = stories(base, n_stories, rng)
    warm = stories(base, WARM_STORIES, random.Random(-size))  # own generator: pools and stories as before
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    index = build_index(pool)
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    memory = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # peak RSS growth, MiB
    for doc in warm:  # a running bot's word caches are warm; these stories are not timed
        index.match(doc, 70.0)

    def claimbot(doc: StoryDoc) -> None:
        index.match(doc, 70.0)
        index.candidates(doc, 5)

    def bare(doc: StoryDoc) -> None:
        index._pool(Counter(t for u in story_units(doc) for t in u.termset), 5)

    texts = [c.text for c in pool]

    def brute(doc: StoryDoc) -> None:
        process.cdist([u.text for u in story_units(doc)], texts, scorer=fuzz.token_set_ratio, workers=1)

    rows = [
        ("claimbot index", timed(docs, f"{size:>7} claims: claimbot", claimbot)),
        ("bare BM25", timed(docs, f"{size:>7} claims: bare BM25", bare)),
        ("brute-force cdist token_set_ratio", timed(docs[:brute_n], f"{size:>7} claims: brute force", brute)),
    ]
    brute_wall, brute_cpu = (statistics.median(ls) for ls in rows[-1][1])
    table = []
    for name, (wall, cpu) in rows:
        table.append(
            [
                f"{size:,}",
                name,
                f"{p(wall, 0.5) * 1e3:.2f}",
                f"{p(wall, 0.99) * 1e3:.2f}",
                f"{p(cpu, 0.5) * 1e3:.2f} / {p(cpu, 0.99) * 1e3:.2f}",
                f"{len(wall) / sum(wall):.0f}",
                f"{brute_wall / p(wall, 0.5):.0f}× / {brute_cpu / p(cpu, 0.5):.0f}×",
                f"{build:.1f} s ({build_cpu:.1f} CPU) / {memory:.0f} MiB" if name == "claimbot index" else "",
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
        "CPU p50 / p99 ms",
        "stories/s",
        "vs brute (p50 wall / CPU)",
        "index build / memory",
    ):
        table.add_column(col)
    for size in (int(s) for s in args.sizes.split(",")):
        for row in run(size, base, args.stories, args.brute_stories, rng):
            table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
