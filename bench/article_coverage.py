"""How many seed claims the claims proposed from the seed article cover, beside its raw sentences.

    .venv/bin/python -m bench.article_coverage ../shared/seed-article.txt [--claims seeds/claims.jsonl]

A proposal covers a seed claim when the matcher scores the pair at or above 80: each proposal is a story
(its one sentence as the title) matched against an index of the seed claims, as ``claimbot match`` does.
The baseline is every sentence of the article body as written (``bot.matching.text.sentences``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from bot.articles.proposals import DEFAULT_LIMIT, claims_in
from bot.articles.source import read_file
from bot.matching import ClaimSpec, StoryDoc, build_index
from bot.matching.index import ClaimIndex
from bot.matching.text import sentences

COVERS = 80.0


def best_scores(index: ClaimIndex, texts: Sequence[str]) -> dict[str, float]:
    best: dict[str, float] = {}
    for n, text in enumerate(texts):
        for c in index.candidates(StoryDoc(n, text), len(index)):
            best[str(c.claim_id)] = max(best.get(str(c.claim_id), 0.0), c.score)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", type=Path)
    parser.add_argument("--claims", type=Path, default=Path("seeds/claims.jsonl"))
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    args = parser.parse_args()
    seeds = [
        json.loads(line) for line in args.claims.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    index = build_index([ClaimSpec(s["id"], s["text"], tuple(s.get("aliases") or ())) for s in seeds])
    article = read_file(args.article, 10_000_000)
    proposed = [p.text for p in claims_in(article, args.limit)]
    raw = sentences(article.text)
    for name, texts in ((f"{len(raw)} raw sentences", raw), (f"{len(proposed)} proposals", proposed)):
        best = best_scores(index, texts)
        covered = sorted(k for k, v in best.items() if v >= COVERS)
        missed = ", ".join(f"{s['id']} ({best.get(s['id'], 0):.0f})" for s in seeds if s["id"] not in covered)
        print(f"{name}: cover {len(covered)} of {len(seeds)} seed claims; missed: {missed or 'none'}")


if __name__ == "__main__":
    main()
