"""An article as claimbot reads it, and the one-line reasons it can refuse one.

Exceptions::

    ArticleError          the input cannot be read as an article; the message is the one line to show
    ├── NotAnArticle      a homepage, a PDF, a paywall stub, an error page, an empty text
    ├── TooLarge          a page or text past the caps
    ├── UnsafeAddress     a private, loopback or otherwise forbidden address
    ├── Unsupported       a script the sentence splitter does not handle
    └── NothingCheckable  an article with no sentence worth tracking
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Protocol

from bot.errors import ArticleError as ArticleError

MAX_TEXT = 100_000
"""Characters of main text read from one article (a long read is ~40,000)."""
MIN_TEXT = 300
"""Fewer characters of main text than this is a stub, a teaser or an index, not an article."""


class NotAnArticle(ArticleError):
    pass


class TooLarge(ArticleError):
    pass


class UnsafeAddress(ArticleError):
    pass


class Unsupported(ArticleError):
    pass


class NothingCheckable(ArticleError):
    pass


@dataclass(frozen=True, slots=True)
class Article:
    """Main text (paragraphs one per line), title, link and publication date (ISO, when the page says)."""

    text: str
    title: str = ""
    link: str | None = None
    date: str | None = None


def from_text(text: str, *, link: str | None = None) -> Article:
    """A pasted or saved text: the first line is the title when it is short and has no final stop."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise NotAnArticle("That text is empty: paste the article's text or send its link.")
    title = ""
    if len(lines) > 1 and len(lines[0]) <= 200 and not lines[0].endswith((".", "!", "?", "”", "’", '"')):
        title, lines = lines[0], lines[1:]
    body = "\n".join(lines)
    check_size(body)
    check_script(body)
    return Article(body, title, link)


def check_size(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise TooLarge(
            f"That article is too long ({len(text):,} characters; the most is {MAX_TEXT:,}): "
            "send a shorter one or paste the part you want."
        )


LATIN_SHARE = 0.6


def check_script(text: str) -> None:
    """Refuses text mostly in a script other than Latin: sentences are split on Latin capitals and stops."""
    letters = [c for c in text[:20_000] if c.isalpha()]
    if not letters:
        raise NotAnArticle("That text has no words: paste the article's text or send its link.")
    latin = sum(_script(c) == "LATIN" for c in letters)
    if latin / len(letters) < LATIN_SHARE:
        others = [_script(c) for c in letters if _script(c) != "LATIN"]
        main = max(set(others), key=others.count).title()
        raise Unsupported(
            f"That article is written in {main} script; I can only split sentences in languages written "
            "in the Latin alphabet (English, French, German, Spanish…)."
        )


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return "UNKNOWN"


class _Remembers(Protocol):
    article_link: str | None
    article_title: str | None
    article_date: str | None


def remember(claim: _Remembers, article: Article) -> None:
    """Record on ``claim`` the article it was picked from."""
    claim.article_link = article.link
    claim.article_title = article.title[:300] or None
    claim.article_date = (article.date or "")[:32] or None
