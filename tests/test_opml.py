"""OPML import/export: nesting, bad entries reported one per line, round trip, hostile XML refused."""

from __future__ import annotations

import pytest

from bot.catalog.opml import OpmlError, OpmlFeed, parse_opml, render_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="World">
    <outline text="Guardian world" type="rss" xmlUrl="https://www.theguardian.com/world/rss"/>
    <outline text="Defence">
      <outline title="Defense News" text="DN" type="rss" xmlUrl="https://www.defensenews.com/arc/outboundfeeds/rss/"/>
    </outline>
  </outline>
  <outline text="No url" type="rss"/>
  <outline text="Bad scheme" type="rss" xmlUrl="javascript:alert(1)"/>
  <outline text="No host" type="rss" xmlUrl="http:///feed"/>
  <outline text="Dup" type="rss" xmlUrl="https://www.theguardian.com/world/rss"/>
  <outline text="Untitled" XMLURL="https://example.com/feed.xml"/>
  <outline text="just a note"/>
</body></opml>"""


def test_nested_outlines_and_errors() -> None:
    feeds, errors = parse_opml(NESTED)
    assert feeds == [
        OpmlFeed("Guardian world", "https://www.theguardian.com/world/rss"),
        OpmlFeed("Defense News", "https://www.defensenews.com/arc/outboundfeeds/rss/"),
        OpmlFeed("Untitled", "https://example.com/feed.xml"),
    ]
    assert len(errors) == 3
    assert all("\n" not in e for e in errors)
    assert "No url" in errors[0] and "no xmlUrl" in errors[0]
    assert "unsupported URL scheme" in errors[1]
    assert "without a host" in errors[2]


@pytest.mark.parametrize(
    "feeds",
    [
        [],
        [OpmlFeed("One", "https://a.example.test/rss")],
        [
            OpmlFeed('Ünïcode & <stuff> "q"', "https://b.example.test/rss?a=1&b=2"),
            OpmlFeed("Local", "file:///srv/feeds/local.xml"),
        ],
    ],
)
def test_round_trip(feeds: list[OpmlFeed]) -> None:
    document = render_opml(feeds)
    assert document.startswith(b"<?xml")
    assert parse_opml(document) == (feeds, [])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not xml at all", "not well-formed"),
        (b"<rss/>", "root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<opml><body><outline text='&b;' xmlUrl='https://x.example.test/'/></body></opml>",
            "refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<opml><body><outline text='&x;' xmlUrl='https://x.example.test/'/></body></opml>",
            "refused",
        ),
    ],
)
def test_not_opml(data: bytes, reason: str) -> None:
    with pytest.raises(OpmlError, match=reason):
        parse_opml(data)
