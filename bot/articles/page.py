"""A web page's main text, title and date, by trafilatura; pages that are not one article are refused.

trafilatura rather than readability-lxml: on 181 real news pages both recover the article body about
equally well (F1 0.955 vs 0.958, bench/extract_bench.py), but trafilatura also reads the title and the
publication date a claim remembers, and returns nothing for a page with no main text (a homepage, an
index) where readability-lxml returns the biggest block it finds.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import trafilatura

from bot.articles.article import MIN_TEXT, Article, NotAnArticle, check_script, check_size, from_text

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PAYWALL = re.compile(
    r"\b(?:subscribe|subscription|subscribers?|sign in to (?:read|continue)|log in to (?:read|continue)"
    r"|already a (?:member|subscriber)|paywall|premium (?:article|content))\b",
    re.IGNORECASE,
)


def read_page(body: bytes, *, url: str, content_type: str | None) -> Article:
    """The article in an HTML page; :class:`NotAnArticle` for a PDF, an image, a homepage or a stub."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if body.lstrip()[:5] == b"%PDF-" or kind == "application/pdf":
        raise NotAnArticle("That link is a PDF, not a web page: paste the article's text instead.")
    if kind and kind not in _HTML_TYPES and not kind.startswith("text/"):
        raise NotAnArticle(f"That link is not a web page ({kind}): send the link of an article.")
    if kind == "text/plain":
        return from_text(body.decode("utf-8", "replace"), link=url)
    doc = trafilatura.bare_extraction(
        body, url=url, favor_precision=True, include_comments=False, include_tables=False, with_metadata=True
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if len(text) < MIN_TEXT:
        raise NotAnArticle(_why_not(text, url))
    check_size(text)
    check_script(text)
    title = " ".join((getattr(doc, "title", None) or "").split())
    date = getattr(doc, "date", None) or None
    return Article(text, title[:300], url, date)


def _why_not(text: str, url: str) -> str:
    if _PAYWALL.search(text):
        return "That article is behind a paywall: paste its text instead."
    if urlsplit(url).path.strip("/") == "":
        return "That is a homepage, not an article: send the link of one article."
    return (
        "I found no article text on that page (an index, a teaser or an empty page?): send an article's link."
    )
