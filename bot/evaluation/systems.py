"""The systems compared on the real-news set, each turned into verdicts per (entry, claim) pair.

- the matcher as it is (lexical, or semantic with the extra);
- the matcher of an earlier commit (the baseline this work started from), run from ``git archive`` in a
  subprocess so that both run on the same entries in the same session;
- bare BM25 over stemmed words (no synonyms, no facts, no sentence units);
- MiniLM cosine between claim and story (needs the semantic extra).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from bot.errors import BaselineUnavailableError as BaselineUnavailableError
from bot.evaluation.newsset import Entry, NewsClaim
from bot.evaluation.report import Verdict, Verdicts
from bot.matching import ClaimSpec, StoryDoc
from bot.matching.engines import Engine, build_matcher, build_semantic_matcher
from bot.matching.stem import stem
from bot.matching.text import STOP_WORDS, fold
from bot.pipeline.parse import clean_text

BASELINE_COMMIT = "7ca8248"
"""main when the real-news work started (issue 9): "today's matcher" in the report."""


def story(entry: Entry) -> StoryDoc:
    """The entry as the pipeline stores it: clean title and summary text."""
    return StoryDoc(entry.id, clean_text(entry.title), clean_text(entry.summary))


def _field(change: str) -> str:
    return change.split(":", 1)[0].strip()


def matcher_verdicts(claims: Sequence[NewsClaim], entries: Sequence[Entry], engine: Engine) -> Verdicts:
    specs = [ClaimSpec(c.id, c.text) for c in claims]
    index = build_matcher(specs, engine) if engine == "lexical" else build_semantic_matcher(specs)
    out: dict[tuple[str, str], Verdict] = {}
    for e in entries:
        for m in index.match(story(e), 0.0):
            out[(e.id, str(m.claim_id))] = Verdict(
                m.score, m.kind, frozenset(_field(str(c)) for c in m.changes)
            )
    return out


def commit_verdicts(claims: Sequence[NewsClaim], entries: Sequence[Entry], commit: str) -> Verdicts:
    """The matcher of ``commit`` (``claimbot match`` from a ``git archive`` of it) on the same input."""
    root = Path(__file__).resolve().parents[2]
    try:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", commit, "bot", "storage", "config", "seeds"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BaselineUnavailableError(f"cannot read commit {commit} from git ({exc})") from None
    with tempfile.TemporaryDirectory(prefix="claimbot-baseline-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        cpath, spath = Path(tmp, "claims.jsonl"), Path(tmp, "stories.jsonl")
        cpath.write_text("".join(json.dumps({"id": c.id, "text": c.text}) + "\n" for c in claims))
        spath.write_text(
            "".join(
                json.dumps({"id": s.id, "title": s.title, "summary": s.summary}, ensure_ascii=False) + "\n"
                for s in map(story, entries)
            )
        )
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "match",
                "--claims",
                str(cpath),
                "--stories",
                str(spath),
                "--threshold",
                "0",
                "--top-k",
                "0",
                "--matcher",
                "lexical",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BaselineUnavailableError(f"the matcher of {commit} failed: {run.stderr.strip()[-300:]}")
    out: dict[tuple[str, str], Verdict] = {}
    for line in run.stdout.splitlines():
        row = json.loads(line)
        for m in row["matches"]:
            out[(row["story"], m["claim"])] = Verdict(
                m["score"], m["kind"], frozenset(_field(c) for c in m["changes"])
            )
    return out


_WORD = re.compile(r"[^\W_]+")


def _bare_terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS and len(w) > 1]


def bm25_verdicts(
    claims: Sequence[NewsClaim], entries: Sequence[Entry], k1: float = 1.2, b: float = 0.75
) -> Verdicts:
    """BM25 of each story (the query) against each claim (the documents), scaled so the best pair is 100."""
    docs = [Counter(_bare_terms(c.text)) for c in claims]
    avg = sum(sum(d.values()) for d in docs) / len(docs)
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    raw: dict[tuple[str, str], float] = {}
    for e in entries:
        s = story(e)
        query = set(_bare_terms(f"{s.title} {s.summary}"))
        for c, d in zip(claims, docs, strict=True):
            size = sum(d.values())
            score = sum(
                idf[t] * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * size / avg)) for t in query if t in d
            )
            if score > 0:
                raw[(e.id, c.id)] = score
    top = max(raw.values(), default=1.0)
    return {k: Verdict(100 * v / top) for k, v in raw.items()}


def minilm_verdicts(claims: Sequence[NewsClaim], entries: Sequence[Entry]) -> Verdicts:
    """Cosine (×100) between the claim and the story's title plus summary (the semantic extra's model)."""
    from bot.matching.semantic import load_encoder

    encode = load_encoder()
    stories = [story(e) for e in entries]
    cosines = encode([f"{s.title}. {s.summary}" for s in stories]) @ encode([c.text for c in claims]).T
    return {
        (e.id, c.id): Verdict(100 * float(cosines[i, j]))
        for i, e in enumerate(entries)
        for j, c in enumerate(claims)
    }
