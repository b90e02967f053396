"""parse_feed over the fixture feeds: formats, clean text, fallback ids, dates, links, encodings, failures."""

from __future__ import annotations

import asyncio
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.pipeline.parse import FeedParseError, clean_text, feed_ttl, parse_feed, parse_in_executor

FEEDS = Path(__file__).parent / "feeds"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_rss2_entries_are_clean_and_absolute() -> None:
    feed = parse_feed(load("rss2.xml"), "https://news.example.test/rss", "application/rss+xml")
    assert feed.title == "Example & Co. World News"
    assert feed.ttl == 30 * 60
    assert feed.bozo is None
    first, no_guid, bare = feed.entries
    assert first.guid == "story-1"
    assert first.title == "Poland signs tank deal"
    assert first.summary == "Poland signed a multi-billion deal. More text…"
    assert first.content == "Full story body."
    assert first.link == "https://news.example.test/world/2025/feb/13/poland-korea?utm_source=rss"
    assert first.published == datetime(2025, 2, 13, 9, 0, tzinfo=UTC)
    assert no_guid.guid == "https://news.example.test/world/no-guid"
    assert bare.link is None and bare.published is None
    assert bare.guid.startswith("sha1:")


def test_fallback_guid_is_stable() -> None:
    body = load("rss2.xml")
    one = parse_feed(body, "https://news.example.test/rss").entries[2].guid
    two = parse_feed(body, "https://elsewhere.example.test/rss").entries[2].guid
    assert one == two


def test_atom_with_xml_base_and_offsets() -> None:
    feed = parse_feed(load("atom.xml"), "https://atom.example.test/feed.atom", "application/atom+xml")
    assert feed.title == "Atom Example"
    (entry,) = feed.entries
    assert entry.link == "https://atom.example.test/blog/posts/hegseth"
    assert entry.summary == "The US will no longer focus on Europe."
    assert entry.content == "Full text."
    assert entry.published == datetime(2025, 2, 13, 16, 30, 2, tzinfo=UTC)
    assert entry.published.tzinfo is UTC


def test_rss1_and_syndication_hints() -> None:
    feed = parse_feed(load("rss1.rdf"), "https://rdf.example.test/index.rdf")
    assert feed.ttl == 1800.0
    (entry,) = feed.entries
    assert entry.title == "Rutte calls for less bureaucracy"
    assert entry.guid == "https://rdf.example.test/a"
    assert entry.published == datetime(2025, 2, 13, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml; charset=ISO-8859-1"])
def test_latin1_declared_or_sniffed(content_type: str | None) -> None:
    feed = parse_feed(load("latin1.xml"), "https://latin.example.test/rss", content_type)
    assert feed.title == "Café news"
    assert feed.entries[0].title == "Jürgen Hardt: «Europe»"
    assert feed.entries[0].summary == "Naïve façade"


def test_not_wellformed_feed_with_entries_is_accepted_as_bozo() -> None:
    feed = parse_feed(load("not_wellformed.xml"), "https://broken.example.test/rss")
    assert feed.bozo is not None
    assert [e.title for e in feed.entries][:1] == ["Still readable"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("not_a_feed.html", "not a feed"), ("empty_channel.xml", "no entries")],
)
def test_failures_keep_a_reason(name: str, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason) as info:
        parse_feed(load(name), "https://x.example.test/")
    assert "\n" not in info.value.reason


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"\x00\xff\xfe garbage", b"/etc/passwd", b"https://example.com/"]
)
def test_junk_is_not_a_feed_and_never_opened_as_path_or_url(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://x.example.test/")


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        (None, ""),
        ("plain", "plain"),
        ("<p>a</p><p>b</p>", "a b"),
        ("a<b>b</b>c", "abc"),
        ("x &amp; y &#8217; &eacute;", "x & y ’ é"),
        ("  lots \n\t of   space ", "lots of space"),
        ("<style>p{}</style>ok<script>evil()</script>", "ok"),
        ("<!-- hidden -->shown", "shown"),
        ("&lt;b&gt;escaped&lt;/b&gt;", "<b>escaped</b>"),
    ],
)
def test_clean_text(markup: str | None, text: str) -> None:
    assert clean_text(markup) == text


@pytest.mark.parametrize(
    ("feed", "ttl"),
    [
        ({}, None),
        ({"ttl": "60"}, 3600.0),
        ({"ttl": "junk"}, None),
        ({"sy_updateperiod": "daily"}, 86400.0),
        ({"sy_updateperiod": "daily", "sy_updatefrequency": "4"}, 21600.0),
        ({"sy_updateperiod": "fortnightly"}, None),
        ({"ttl": "0", "sy_updateperiod": "hourly"}, 3600.0),
    ],
)
def test_feed_ttl(feed: dict[str, str], ttl: float | None) -> None:
    assert feed_ttl(feed) == ttl


def test_results_pickle_for_process_pools() -> None:
    feed = parse_feed(load("rss2.xml"), "https://news.example.test/rss")
    assert pickle.loads(pickle.dumps(feed)) == feed


async def test_parse_in_executor_threads_and_processes() -> None:
    body = load("atom.xml")
    in_thread = await parse_in_executor(None, body, "https://atom.example.test/feed.atom")
    with ProcessPoolExecutor(max_workers=1) as pool:
        in_process = await parse_in_executor(pool, body, "https://atom.example.test/feed.atom")
    assert in_thread == in_process
    assert not asyncio.get_running_loop().is_closed()
