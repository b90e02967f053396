"""Articles from links: real pages served on 127.0.0.1 through the feeds' URL guard and caps, and one clear
line for every page that is not an article."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bot.articles.article import ArticleError, NotAnArticle, TooLarge, UnsafeAddress, Unsupported
from bot.articles.proposals import claims_in
from bot.articles.source import fetch_article, first_link, read_file
from bot.settings import FeedSettings
from tests.feedserver import FeedServer

PAGES = Path(__file__).parent / "articles"
HTML = "text/html; charset=utf-8"


def page(name: str) -> bytes:
    return gzip.decompress((PAGES / name).read_bytes())


def feeds(**changes: object) -> FeedSettings:
    values: dict[str, object] = {"allow_private_networks": True, "timeout": 5.0, "connect_timeout": 2.0}
    return FeedSettings.model_validate(values | changes)


async def test_a_real_news_page_gives_its_title_date_and_claims() -> None:
    async with FeedServer() as server:
        url = server.feed("/news/helicopter", page("aljazeera-helicopter.html.gz"), content_type=HTML)
        article = await fetch_article(url, feeds())
    assert article.title == "US service members killed in Afghanistan helicopter crash"
    assert article.date == "2019-11-20" and article.link == url
    texts = [p.text for p in claims_in(article)]
    assert "Roughly 13,000 US troops remain in Afghanistan" in " ".join(texts)
    assert not any("Follow Al Jazeera" in t or "SOURCE" in t for t in texts)


HOMEPAGE = b"""<html><head><title>Daily Wire</title></head><body><nav><a href="/a">World</a>
<a href="/b">Sport</a></nav><ul><li><a href="/x">Storm hits coast</a></li><li><a href="/y">Cup final
tonight</a></li></ul></body></html>"""
PAYWALL = b"""<html><head><title>Budget row deepens</title></head><body><article><h1>Budget row deepens</h1>
<p>The chancellor faces a revolt over the plan.</p><p>Subscribe to continue reading. Already a subscriber?
Sign in.</p></article></body></html>"""


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "line"),
    [
        ("/", HOMEPAGE, HTML, 200, "That is a homepage, not an article: send the link of one article."),
        ("/story/1", PAYWALL, HTML, 200, "That article is behind a paywall: paste its text instead."),
        ("/report.pdf", b"%PDF-1.7\n...", "application/pdf", 200, "That link is a PDF, not a web page"),
        ("/missing", b"gone", HTML, 404, "That page does not exist (HTTP 404/410): check the link."),
        ("/photo", b"\x89PNG....", "image/png", 200, "That link is not a web page (image/png)"),
        ("/korean", None, HTML, 200, "That article is written in Hangul script; I can only split sentences"),
    ],
)
async def test_pages_that_are_not_articles_get_one_clear_line(
    path: str, body: bytes | None, content_type: str, status: int, line: str
) -> None:
    async with FeedServer() as server:
        if status == 200:
            url = server.feed(path, body or page("entermedia-hangul.html.gz"), content_type=content_type)
        else:
            url = server.respond(path, status, body or b"")
        with pytest.raises(ArticleError) as caught:
            await fetch_article(url, feeds())
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, (NotAnArticle, Unsupported))


async def test_a_huge_page_is_refused_at_the_cap() -> None:
    async with FeedServer() as server:
        url = server.feed(
            "/long", b"<html><body>" + b"<p>word </p>" * 20_000 + b"</body></html>", content_type=HTML
        )
        with pytest.raises(TooLarge, match=r"^That page is too large \(over 100,000 bytes\): paste"):
            await fetch_article(url, feeds(max_bytes=100_000))


async def test_a_private_address_is_refused_before_any_request() -> None:
    async with FeedServer() as server:
        url = server.feed("/news/helicopter", page("aljazeera-helicopter.html.gz"), content_type=HTML)
        with pytest.raises(UnsafeAddress, match="it points to a private or local address"):
            await fetch_article(url, feeds(allow_private_networks=False))
        assert server.hits["/news/helicopter"] == 0


def test_saved_pages_and_texts_are_read_from_files(tmp_path: Path) -> None:
    saved = tmp_path / "story.html"
    saved.write_bytes(page("aljazeera-helicopter.html.gz"))
    assert read_file(saved, 1_000_000).title == "US service members killed in Afghanistan helicopter crash"
    pdf = tmp_path / "story.txt"
    pdf.write_bytes(b"%PDF-1.4 binary")
    with pytest.raises(NotAnArticle, match="is a PDF"):
        read_file(pdf, 1_000_000)
    with pytest.raises(TooLarge, match="larger than the 10-byte cap"):
        read_file(saved, 10)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("read this https://news.example/a/b?x=1. thanks", "https://news.example/a/b?x=1"),
        ("(see https://news.example/a)", "https://news.example/a"),
        ("no link here", None),
    ],
)
def test_first_link(text: str, link: str | None) -> None:
    assert first_link(text) == link
