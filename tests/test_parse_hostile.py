"""Entity attacks against the feed parser: nothing expands, nothing local is read, memory stays small."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from bot.pipeline.parse import FeedParseError, parse_feed

FEEDS = Path(__file__).parent / "feeds"


def test_billion_laughs_does_not_expand() -> None:
    tracemalloc.start()
    try:
        feed = parse_feed((FEEDS / "billion_laughs.xml").read_bytes(), "https://evil.example.test/")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    for entry in feed.entries:
        assert "lollollol" not in entry.title + entry.summary
        assert len(entry.title) < 100


def test_external_entities_are_not_read() -> None:
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "root:x:0"
    try:
        feed = parse_feed((FEEDS / "external_entity.xml").read_bytes(), "https://evil.example.test/")
    except FeedParseError:
        return
    for entry in feed.entries:
        text = entry.title + entry.summary + entry.content
        assert secret not in text
        assert "root:x:0" not in text


@pytest.mark.parametrize("depth", [10_000])
def test_deep_nesting_is_survived(depth: int) -> None:
    body = b"<rss version='2.0'><channel><item><title>deep</title><link>https://d.example.test/</link>"
    body += b"<x>" * depth + b"</x>" * depth + b"</item></channel></rss>"
    feed = parse_feed(body, "https://d.example.test/")
    assert feed.entries[0].title == "deep"
