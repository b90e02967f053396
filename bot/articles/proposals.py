"""Claims worth tracking in an article: its sentences made to stand alone, ranked by check-worthiness."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.articles import worthiness
from bot.articles.article import Article, NothingCheckable
from bot.articles.standalone import stand_alone
from bot.catalog.claims import MAX_LENGTH
from bot.matching.text import sentences, terms

DEFAULT_LIMIT = 15
MIN_TERMS = 4
"""A sentence with fewer informative words ('It is only sensible.') asserts too little to be tracked."""
MIN_LOWER = 3
"""A sentence has at least this many lowercase words: a dateline or a byline ('November 20, 2019 - 11:28
AMT') has none."""
_LOWER = re.compile(r"(?<![\w'’])[a-zà-ÿ]{2,}")
SAME = 0.7
"""Share of informative words two proposals must share to be one (a photo caption repeating a sentence)."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A claim proposed from an article: the sentence as it stands alone, as written, and its rank score."""

    text: str
    sentence: str
    score: float
    position: int


def propose(text: str, title: str = "", limit: int = DEFAULT_LIMIT) -> list[Proposal]:
    """Up to ``limit`` claims from ``text`` (and its ``title``), best first; [] when none is checkable."""
    paragraphs = [sentences(line) for line in text.splitlines() if line.strip()]
    if title.strip():
        paragraphs.insert(0, sentences(" ".join(title.split())))
    candidates = []
    for position, line in enumerate(stand_alone(paragraphs)):
        claim = line.standalone
        if len(terms(claim)) < MIN_TERMS or len(claim) > MAX_LENGTH or len(_LOWER.findall(claim)) < MIN_LOWER:
            continue
        s = worthiness.score(line.text)
        if s > 0 and worthiness.checkable(line.text):
            candidates.append(Proposal(claim, line.text, round(s, 3), position))
    candidates.sort(key=lambda p: (-p.score, p.position))
    kept: list[Proposal] = []
    seen: list[frozenset[str]] = []
    for p in candidates:
        ts = frozenset(terms(p.text))
        if any(len(ts & other) >= SAME * min(len(ts), len(other)) for other in seen):
            continue
        kept.append(p)
        seen.append(ts)
        if len(kept) >= limit:
            break
    return kept


def claims_in(article: Article, limit: int = DEFAULT_LIMIT) -> list[Proposal]:
    """:func:`propose` for an article; :class:`NothingCheckable` when it has no sentence worth tracking."""
    found = propose(article.text, article.title, limit)
    if not found:
        raise NothingCheckable(
            "I found no checkable sentence in that text (a figure, a party acting, a status or a quote): "
            "send a news article, or /track one claim."
        )
    return found
