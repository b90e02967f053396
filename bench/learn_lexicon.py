"""Learn a Polish→English term lexicon from a comparable corpus of RSS entries (same events, same days).

    python -m bench.learn_lexicon CORPUS.jsonl [CORPUS.jsonl ...] \
        --exclude tests/data/realnews/entries.jsonl --out bot/matching/data/pl_en.tsv

Each corpus line is one JSON entry with ``date``, ``title``, ``description``, ``language`` (and ``link``,
``path``, ``index``). Entries of the ``--exclude`` file (matched by link or by (path, index) provenance)
are skipped. For each Polish light stem and English matcher term seen on enough days, the daily document
rates are z-scored; a pair's evidence is the correlation of the two series plus a bonus for spelling
similarity (cognates such as "finlandii" ~ "finland"). Each Polish stem keeps its best English term when
the evidence clears ``--min-score``.
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from bot.matching.text import STOP_WORDS, clean, terms, words

_SUFFIXES = tuple(
    sorted(
        """ami ach ach owi ego emu ych ymi imi ich ym im om ow ie ii ia iu io ja je ji ju a e i o u y
        owie owa owe owy owej owych owego owym ska skie ski skiej skich skiego sku""".split(),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 4


@lru_cache(maxsize=200_000)
def pl_stem(word: str) -> str:
    """A light stem of one folded (lowercase, accent-free) Polish word: the longest known ending removed."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


PL_STOP = frozenset(
    """i w z na się nie do że o to jak po od za jest dla są ale co już przez oraz jego jej ich tym tego ten
    ta te czy też lub by być może który która które których został została zostały jako przy tak pod nad
    aby był była było będzie mln mld tys proc zł r""".split()
)


def excluded(path: Path) -> tuple[set[str], set[tuple[str, int]]]:
    links, places = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            links.add(o.get("link") or "")
            prov = o.get("provenance") or {}
            places.add((prov.get("path") or "", int(prov.get("index") or -1)))
    return links, places


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="+", type=Path)
    ap.add_argument("--exclude", type=Path, required=True, help="entries.jsonl of the evaluation set")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--min-days", type=int, default=15, help="days a word must be seen on, in each language")
    ap.add_argument("--min-score", type=float, default=0.45)
    ap.add_argument("--cognate-weight", type=float, default=0.5)
    ap.add_argument("--cache", type=Path, help="pickle of the counted corpus: written once, then reused")
    ap.add_argument(
        "--window", type=int, default=15, help="days of the moving mean each series is read against"
    )
    args = ap.parse_args()
    if args.cache and args.cache.is_file():
        with args.cache.open("rb") as fh:
            counts, docs = pickle.load(fh)
    else:
        counts, docs = count(args)
        if args.cache:
            with args.cache.open("wb") as fh:
                pickle.dump((counts, docs), fh)
    learn(args, counts, docs)


Counts = dict[str, dict[str, Counter[str]]]


def count(args: argparse.Namespace) -> tuple[Counts, dict[str, Counter[str]]]:
    links, places = excluded(args.exclude)
    counts: dict[str, dict[str, Counter[str]]] = {"pl": defaultdict(Counter), "en": defaultdict(Counter)}
    docs: dict[str, Counter[str]] = {"pl": Counter(), "en": Counter()}
    skipped = 0
    for path in args.corpus:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                o = json.loads(line)
                if o.get("link") in links or (o.get("path"), o.get("index")) in places:
                    skipped += 1
                    continue
                lang = (o.get("language") or "")[:2].lower()
                if lang not in ("pl", "en"):
                    continue
                day = str(o.get("date") or "")[:10]
                text = clean(f"{o.get('title') or ''} {o.get('description') or ''}"[:1500])[:1000]
                if lang == "pl":
                    found = {
                        pl_stem(w) for w in words(text) if w not in PL_STOP and len(w) > 2 and not w.isdigit()
                    }
                else:
                    found = {
                        t
                        for t in terms(text)
                        if len(t) > 2 and t.isascii() and t.isalpha() and t not in STOP_WORDS
                    }
                docs[lang][day] += 1
                for t in found:
                    counts[lang][t][day] += 1
    print(f"skipped {skipped} excluded entries")
    return counts, docs


def learn(args: argparse.Namespace, counts: Counts, docs: dict[str, Counter[str]]) -> None:
    days = sorted(set(docs["pl"]) & set(docs["en"]))
    col = {d: i for i, d in enumerate(days)}
    print(f"{len(days)} days")

    def matrix(lang: str) -> tuple[list[str], np.ndarray]:
        vocab = [t for t, c in counts[lang].items() if sum(1 for d in c if d in col) >= args.min_days]
        m = np.zeros((len(vocab), len(days)), dtype=np.float32)
        total = np.array([docs[lang][d] for d in days], dtype=np.float32)
        for i, t in enumerate(vocab):
            for d, n in counts[lang][t].items():
                if d in col:
                    m[i, col[d]] = n
        m = np.sqrt(m / total)
        # bursts, not levels: a feed that comes or goes shifts every word's level for months
        kernel = np.ones(args.window, dtype=np.float32) / args.window
        for i in range(len(m)):
            m[i] -= np.convolve(m[i], kernel, mode="same")
        m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-9
        return vocab, m

    pl_vocab, pl = matrix("pl")
    en_vocab, en = matrix("en")
    print(f"{len(pl_vocab)} Polish stems, {len(en_vocab)} English terms")
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for j, t in enumerate(en_vocab):
        by_prefix[t[:4]].append(j)
    rows = []
    for start in range(0, len(pl_vocab), 512):
        corr = pl[start : start + 512] @ en.T
        k = min(30, corr.shape[1] - 1)
        top = np.argpartition(-corr, k, axis=1)[:, :k]
        for r, cands in enumerate(top):
            word = pl_vocab[start + r]
            best = max(
                (
                    float(corr[r, j])
                    + args.cognate_weight * max(0.0, fuzz.ratio(word, en_vocab[j]) / 100 - 0.5),
                    float(corr[r, j]),
                    en_vocab[j],
                )
                for j in {*cands.tolist(), *by_prefix.get(word[:4], ())}
            )
            if best[0] >= args.min_score and best[2] != word:
                rows.append((word, best[2], best[0], best[1]))
    rows.sort(key=lambda r: -r[2])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        fh.write(
            "# Polish light stem -> English matcher term, learned by bench/learn_lexicon.py from the\n"
            "# Polish and English feeds of rumca-js/RSS-Link-Database-2022 and -2023\n"
            "# (the real-news set's entries excluded):\n"
            "# correlation of daily document rates plus a spelling-similarity bonus.\n"
            f"# min-days {args.min_days}, min-score {args.min_score}, cognate-weight {args.cognate_weight},"
            f" window {args.window}\n"
            "# columns: polish, english, score, correlation\n"
        )
        for word, t, s, c in rows:
            fh.write(f"{word}\t{t}\t{s:.3f}\t{c:.3f}\n")
    print(f"{len(rows)} entries written to {args.out}")


if __name__ == "__main__":
    main()
