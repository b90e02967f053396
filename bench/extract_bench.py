"""Main-text extraction on real news pages: trafilatura (favor_precision, as claimbot runs it, and with its
defaults) beside readability-lxml.

    .venv/bin/python -m bench.extract_bench DATA

DATA is the layout of the public article-extraction benchmark (scrapinghub/article-extraction-benchmark,
MIT): ``html/<id>.html.gz`` and ``ground-truth.json`` ({id: {"articleBody": ..., "url": ...}}). For each
page and library: word-level precision, recall and F1 of the extracted text against the human-made
article body (bags of lowercase words, as the benchmark's own evaluate.py counts them), and the time taken.
readability-lxml returns HTML; its text is taken with lxml's text_content().
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura
from readability import Document

_WORD = re.compile(r"\w+")


def _trafilatura(html: str) -> str:
    return trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True) or ""


def _readability(html: str) -> str:
    summary = Document(html).summary(html_partial=True)
    return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""


def _trafilatura_default(html: str) -> str:
    return trafilatura.extract(html) or ""


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "trafilatura": _trafilatura,
    "trafilatura default": _trafilatura_default,
    "readability-lxml": _readability,
}


def prf(got: str, want: str) -> tuple[float, float, float]:
    g, w = Counter(_WORD.findall(got.lower())), Counter(_WORD.findall(want.lower()))
    common = sum((g & w).values())
    p = common / sum(g.values()) if g else 0.0
    r = common / sum(w.values()) if w else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    args = parser.parse_args()
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in EXTRACTORS}
    times: dict[str, float] = dict.fromkeys(EXTRACTORS, 0.0)
    failures: Counter[str] = Counter()
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((args.data / "html" / f"{page_id}.html.gz").read_bytes()).decode(
            "utf-8", "replace"
        )
        for name, extract in EXTRACTORS.items():
            start = time.perf_counter()
            try:
                text = extract(html)
            except Exception:  # a library that raises on a real page is measured as extracting nothing
                text = ""
                failures[name] += 1
            times[name] += time.perf_counter() - start
            scores[name].append(prf(text, item["articleBody"]))
    print(f"{len(truth)} pages")
    print(
        f"{'library':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'F1<0.5':>7} {'ms/page':>8} {'errors':>6}"
    )
    for name, rows in scores.items():
        p, r, f = (statistics.fmean(col) for col in zip(*rows, strict=True))
        bad = sum(row[2] < 0.5 for row in rows)
        print(
            f"{name:<20} {p:9.3f} {r:7.3f} {f:6.3f} {bad:7d} {1000 * times[name] / len(rows):8.1f}"
            f" {failures[name]:6d}"
        )


if __name__ == "__main__":
    main()
