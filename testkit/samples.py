"""Small feed documents for tests, built from plain tuples."""

from __future__ import annotations

from html import escape

POLAND = (
    "Poland signed a multi-billion-pound deal to buy hundreds of tanks, planes and long-range artillery "
    "from South Korea."
)
WEAPONS = (
    "Donald Trump urged Britain and other Nato allies to buy more American weapons "
    "to strengthen the alliance."
)
POLAND_CHANGED = "Poland signed a $6.5bn deal for 180 South Korean tanks, planes and long-range artillery."
UNRELATED = "Heavy rain flooded roads across northern Italy overnight, and rescuers helped dozens of drivers."


def rss(
    *items: tuple[str, str, str], title: str = "Test feed", date: str = "Fri, 14 Feb 2025 08:00:00 GMT"
) -> bytes:
    """An RSS 2.0 document; each item is (guid, title, description); the guid is also the link."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>https://news.example.org/{escape(g)}</link>"
        f"<guid>https://news.example.org/{escape(g)}</guid><pubDate>{date}</pubDate>"
        f"<description>{escape(d)}</description></item>"
        for g, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://news.example.org/</link><description>test</description>{body}</channel></rss>"
    ).encode()
