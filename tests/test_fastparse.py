"""The lxml fast path gives exactly feedparser's result or steps aside; entity attacks stay harmless."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from bot.pipeline.fastparse import fast_extract, hardened_parser
from bot.pipeline.parse import FeedParseError, ParsedFeed, parse_feed

FEEDS = Path(__file__).parent / "feeds"
URL = "https://news.example.test/section/rss"


def both(body: bytes, content_type: str | None = None) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    def run(fast: bool) -> ParsedFeed | str:
        try:
            return parse_feed(body, URL, content_type, fast=fast)
        except FeedParseError as exc:
            return exc.reason

    return run(False), run(True)


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.iterdir()))
def test_fixtures_give_feedparsers_result(name: str) -> None:
    slow, fast = both((FEEDS / name).read_bytes())
    assert fast == slow


@pytest.mark.parametrize("name", ["rss2.xml", "rss1.rdf"])
def test_plain_fixtures_take_the_fast_path(name: str) -> None:
    assert fast_extract((FEEDS / name).read_bytes(), URL, None) is not None


def rss(items: str, channel: str = "<title>T</title><link>/h</link>", decl: str = "", ns: str = "") -> bytes:
    head = decl or '<?xml version="1.0" encoding="utf-8"?>'
    return f'{head}<rss version="2.0"{ns}><channel>{channel}{items}</channel></rss>'.encode()


MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
CASES = {
    "relative guid is a link": rss("<item><title>a</title><guid>p/1</guid></item>"),
    "guid not a permalink": rss('<item><title>a</title><guid isPermaLink="false">p/1</guid></item>'),
    "guid permalink True": rss('<item><title>a</title><guid isPermaLink="True">x y</guid></item>'),
    "guid then link": rss("<item><guid>https://a.test/g</guid><link>/l</link></item>"),
    "link then guid": rss("<item><link>/l</link><guid>https://a.test/g</guid></item>"),
    "empty link": rss("<item><title>a</title><link></link><guid>https://a.test/g</guid></item>"),
    "javascript link": rss("<item><title>a</title><link>javascript:alert(1)</link></item>"),
    "query entities": rss("<item><title>a</title><link>/r?a=1&amp;amp;b=2&amp;c;=3</link></item>"),
    "urn guid": rss("<item><title>a</title><guid>urn:uuid:1</guid></item>"),
    "entities in text": rss("<item><title>a &amp; b &lt;i&gt;c&lt;/i&gt; &#233;t&#xE9;</title></item>"),
    "mojibake": rss("<item><title>CafÃ© ok</title><description>fa\u00c3\u00a7ade</description></item>"),
    "c1 control": rss("<item><title>\u0093quoted\u0094</title></item>"),
    "content only": rss(
        "<item><title>a</title><content:encoded>&lt;p&gt;x&lt;/p&gt;</content:encoded></item>",
        ns=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    ),
    "content before description": rss(
        "<item><title>a</title><content:encoded>c</content:encoded><description>d</description></item>",
        ns=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    ),
    "empty description and content": rss(
        "<item><title>a</title><description/><content:encoded>c</content:encoded></item>",
        ns=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    ),
    "media title first": rss("<item><media:title>m</media:title><title>t</title></item>", ns=MEDIA),
    "media title after": rss("<item><title>t</title><media:title>m</media:title></item>", ns=MEDIA),
    "empty title then dc title": rss("<item><title></title><dc:title>d</dc:title></item>", ns=MEDIA),
    "dc date only": rss("<item><title>t</title><dc:date>2025-02-13T09:00+01:00</dc:date></item>", ns=MEDIA),
    "odd date": rss("<item><title>t</title><pubDate>13 Feb 2025 25:00</pubDate></item>"),
    "itunes summary": rss(
        "<item><itunes:summary>s</itunes:summary><description>d</description></item>",
        ns=' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
    ),
    "inline html": rss("<item><title>t</title><description><p>x</p></description></item>"),
    "unbound prefix": rss("<item><x:title>t</x:title><title>u</title></item>"),
    "channel title after item": rss("<item><title>t</title></item><title>Late</title>"),
    "image before title": rss(
        "<item><title>t</title></item>",
        channel="<image><title>I</title><link>/i</link></image><title>T</title>",
    ),
    "atom self link": rss(
        "<item><title>t</title></item>",
        channel='<atom:link rel="self" href="/self"/><title>T</title>',
        ns=' xmlns:atom="http://www.w3.org/2005/Atom"',
    ),
    "ttl and sy": rss(
        "<item><title>t</title></item>",
        channel="<title>T</title><ttl>5</ttl><sy:updatePeriod>daily</sy:updatePeriod>",
        ns=' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"',
    ),
    "no declaration": rss("<item><title>t</title></item>", decl="<!-- x -->"),
    "latin1 declared": rss(
        "<item><title>caf\u00e9</title></item>", decl='<?xml version="1.0" encoding="iso-8859-1"?>'
    ),
    "comment inside title": rss("<item><title>a<!-- c -->b</title></item>"),
    "cdata": rss("<item><title><![CDATA[a <b>c</b> &amp; d]]></title></item>"),
    "atom": (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">'
        b'<title type="html">A &lt;em&gt;B&lt;/em&gt;</title><link href="/"/><link rel="self" href="/f"/>'
        b"<entry><title>e</title><id>urn:uuid:1</id><updated>2025-02-13T18:30:02+02:00</updated>"
        b'<link rel="related" href="r"/><summary type="html">&lt;p&gt;s&lt;/p&gt;</summary>'
        b'<content type="html">c</content></entry>'
        b'<entry><id>tag:x.test,2005:2</id><link href="p2"/><published>2025-01-01T00:00:00Z</published>'
        b'<content type="text">only content</content></entry>'
        b'<entry xml:base="https://other.test/x/"><id>rel/3</id><title type="xhtml">x</title></entry></feed>'
    ),
}


@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml", "text/xml; charset=utf-8"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_cases_match_feedparser(name: str, content_type: str | None) -> None:
    slow, fast = both(CASES[name], content_type)
    assert fast == slow


def test_fast_path_steps_aside_for_declarations() -> None:
    for name in ("billion_laughs.xml", "external_entity.xml", "latin1.xml", "not_wellformed.xml"):
        assert fast_extract((FEEDS / name).read_bytes(), URL, None) is None


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_hardened_parser_expands_nothing_and_reads_nothing(name: str) -> None:
    """Even handed a hostile DTD directly, the fast path's lxml parser neither expands nor fetches."""
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "root:x:0"
    tracemalloc.start()
    try:
        try:
            root = etree.fromstring((FEEDS / name).read_bytes(), hardened_parser())
            text = "".join(root.itertext())
        except etree.XMLSyntaxError as exc:  # libxml2's amplification guard refusing is harmless too
            text = str(exc)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert "lollollol" not in text
    assert (secret not in text or not secret) and "root:x:0" not in text
