"""FeedClient against a real HTTP server on 127.0.0.1: conditional GET, redirects, limits, failures."""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot import __version__
from bot.pipeline.fetch import FeedClient, cache_max_age, retry_after_seconds
from bot.pipeline.parse import parse_feed
from bot.settings import FeedSettings
from tests.feedserver import FeedServer, Reply

FEEDS = Path(__file__).parent / "feeds"
RSS = (FEEDS / "rss2.xml").read_bytes()


def settings(**overrides: Any) -> FeedSettings:
    base: dict[str, Any] = {
        "timeout": 0.5,
        "connect_timeout": 0.5,
        "max_bytes": 100_000,
        "max_redirects": 3,
        "allow_private_networks": True,
    }
    return FeedSettings(**{**base, **overrides})


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[FeedClient]:
    async with FeedClient(settings()) as feed_client:
        yield feed_client


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss2.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("rss1.rdf", "application/rdf+xml"),
        ("latin1.xml", "text/xml; charset=ISO-8859-1"),
    ],
)
async def test_fetches_every_format(
    server: FeedServer, client: FeedClient, name: str, content_type: str
) -> None:
    url = server.feed(f"/{name}", (FEEDS / name).read_bytes(), content_type=content_type)
    result = await client.fetch(url)
    assert result.outcome == "ok" and result.http_status == 200 and result.error is None
    assert result.body == (FEEDS / name).read_bytes()
    assert result.content_type == content_type
    assert parse_feed(result.body, result.final_url, result.content_type).entries


async def test_sends_identity_headers(server: FeedServer, client: FeedClient) -> None:
    await client.fetch(server.feed("/rss", RSS))
    (seen,) = server.requests_to("/rss")
    assert seen.headers["User-Agent"].startswith(f"claimbot/{__version__}")
    assert "application/rss+xml" in seen.headers["Accept"]
    assert "gzip" in seen.headers["Accept-Encoding"]


async def test_etag_flow_counted_on_server(server: FeedServer, client: FeedClient) -> None:
    url = server.feed("/rss", RSS, etag='"v1"')
    first = await client.fetch(url)
    assert first.outcome == "ok" and first.etag == '"v1"'
    second = await client.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.outcome == "not_modified" and second.body is None and second.http_status == 304
    assert second.etag == '"v1"'
    assert server.hits["/rss"] == 2
    assert server.requests_to("/rss")[1].headers["If-None-Match"] == '"v1"'


async def test_last_modified_flow(server: FeedServer, client: FeedClient) -> None:
    stamp = "Thu, 13 Feb 2025 10:00:00 GMT"
    url = server.feed("/rss", RSS, last_modified=stamp)
    first = await client.fetch(url)
    second = await client.fetch(url, etag=None, last_modified=first.last_modified)
    assert (first.outcome, second.outcome) == ("ok", "not_modified")
    assert second.last_modified == stamp
    assert server.requests_to("/rss")[1].headers["If-Modified-Since"] == stamp


async def test_empty_200_is_not_modified(server: FeedServer, client: FeedClient) -> None:
    result = await client.fetch(server.respond("/empty", 200, b"  \n"))
    assert result.outcome == "not_modified" and result.body is None


async def test_500_then_recovery(server: FeedServer, client: FeedClient) -> None:
    url = server.sequence("/flaky", [Reply(500), Reply(503, headers={"Retry-After": "120"}), Reply(200, RSS)])
    first, second, third = [await client.fetch(url) for _ in range(3)]
    assert (first.outcome, first.http_status, first.error) == ("error", 500, "HTTP 500 Internal Server Error")
    assert (second.outcome, second.retry_after) == ("error", 120.0)
    assert third.outcome == "ok"
    assert server.hits["/flaky"] == 3


async def test_cache_control_max_age(server: FeedServer, client: FeedClient) -> None:
    url = server.sequence("/rss", [Reply(200, RSS, {"Cache-Control": "public, max-age=1800"})])
    assert (await client.fetch(url)).max_age == 1800.0


async def test_slow_server_times_out(server: FeedServer) -> None:
    url = server.sequence("/slow", [Reply(200, RSS, delay=0.5)])
    async with FeedClient(settings(timeout=0.1)) as client:
        result = await client.fetch(url)
    assert result.outcome == "error" and result.error == "timed out after 0.1s"


async def test_body_past_the_cap(server: FeedServer, client: FeedClient) -> None:
    url = server.respond("/huge", 200, b"<rss>" + b"x" * 200_000 + b"</rss>")
    result = await client.fetch(url)
    assert result.outcome == "error" and "exceeds the 100000-byte cap" in (result.error or "")


async def test_chunked_body_past_the_cap(server: FeedServer, client: FeedClient) -> None:
    from aiohttp import web

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"y" * 10_000)
        return response

    result = await client.fetch(server.route("/stream", stream))
    assert result.outcome == "error" and "cap" in (result.error or "")


async def test_gzip_bomb_is_capped_after_decompression(server: FeedServer, client: FeedClient) -> None:
    url = server.gzip_bomb("/bomb", 10_000_000)
    result = await client.fetch(url)
    assert result.outcome == "error" and "after decompression" in (result.error or "")


async def test_gzip_body_is_decompressed(server: FeedServer, client: FeedClient) -> None:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
    result = await client.fetch(server.sequence("/gz", [Reply(200, gzip.compress(RSS), headers)]))
    assert result.outcome == "ok" and result.body == RSS


async def test_redirect_loop(server: FeedServer, client: FeedClient) -> None:
    server.redirect("/a", "/b", 302)
    url = server.redirect("/b", server.url("/a"), 302)
    result = await client.fetch(url)
    assert result.outcome == "error" and "redirect loop" in (result.error or "")
    assert result.moved_permanently_to is None


async def test_too_many_redirects(server: FeedServer, client: FeedClient) -> None:
    for hop in range(5):
        server.redirect(f"/r{hop}", f"/r{hop + 1}", 307)
    result = await client.fetch(server.url("/r0"))
    assert result.outcome == "error" and result.error == "more than 3 redirects"


async def test_permanent_redirect_reports_new_url(server: FeedServer, client: FeedClient) -> None:
    new = server.feed("/new", RSS)
    result = await client.fetch(server.redirect("/old", "/new", 301))
    assert result.outcome == "ok" and result.final_url == new
    assert result.moved_permanently_to == new


@pytest.mark.parametrize(("first", "second", "moved"), [(308, 302, "/mid"), (302, 301, None)])
async def test_only_the_permanent_prefix_moves(
    server: FeedServer, client: FeedClient, first: int, second: int, moved: str | None
) -> None:
    server.feed("/end", RSS)
    server.redirect("/mid", "/end", second)
    result = await client.fetch(server.redirect("/start", "/mid", first))
    assert result.outcome == "ok"
    assert result.moved_permanently_to == (server.url(moved) if moved else None)


async def test_410_is_gone(server: FeedServer, client: FeedClient) -> None:
    result = await client.fetch(server.respond("/dead", 410))
    assert (result.outcome, result.http_status) == ("gone", 410)


async def test_connection_refused_is_an_error_not_an_exception(client: FeedClient) -> None:
    async with FeedServer() as srv:
        url = srv.url("/gone-away")
    result = await client.fetch(url)
    assert result.outcome == "error" and result.error


async def test_credentials_never_in_errors(server: FeedServer) -> None:
    url = server.respond("/private", 500).replace("http://", "http://alice:s3cr3t-pw@")
    async with FeedClient(settings()) as client:
        http_error = await client.fetch(url)
        refused = await client.fetch("http://alice:s3cr3t-pw@127.0.0.1:1/feed")
    for result in (http_error, refused):
        assert result.outcome == "error"
        assert "s3cr3t-pw" not in (result.error or "") and "alice" not in (result.error or "")
    assert server.requests_to("/private")[0].headers["Authorization"].startswith("Basic ")


async def test_file_urls_need_trust(tmp_path: Path, client: FeedClient) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(RSS)
    refused = await client.fetch(path.as_uri())
    assert refused.outcome == "error" and "file://" in (refused.error or "")
    ok = await client.fetch(path.as_uri(), trusted=True)
    assert ok.outcome == "ok" and ok.body == RSS and ok.last_modified
    again = await client.fetch(path.as_uri(), trusted=True, last_modified=ok.last_modified)
    assert again.outcome == "not_modified"
    missing = await client.fetch((tmp_path / "nope.xml").as_uri(), trusted=True)
    assert missing.outcome == "error" and "cannot read" in (missing.error or "")


async def test_file_rewritten_within_the_same_second_is_seen(tmp_path: Path, client: FeedClient) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(RSS)
    first = await client.fetch(path.as_uri(), trusted=True)
    assert first.outcome == "ok" and first.etag
    same = await client.fetch(path.as_uri(), trusted=True, etag=first.etag, last_modified=first.last_modified)
    assert same.outcome == "not_modified" and same.etag == first.etag
    mtime_ns = path.stat().st_mtime_ns
    rewritten = RSS.replace(b"Poland", b"Polska")  # same size, same second: only the ETag can tell
    path.write_bytes(rewritten)
    os.utime(path, ns=(mtime_ns + 1_000, mtime_ns + 1_000))
    second = await client.fetch(
        path.as_uri(), trusted=True, etag=first.etag, last_modified=first.last_modified
    )
    assert second.last_modified == first.last_modified
    assert second.outcome == "ok" and second.body == rewritten and second.etag != first.etag


async def test_file_urls_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"z" * 2_000)
    async with FeedClient(settings(max_bytes=1_000)) as client:
        result = await client.fetch(path.as_uri(), trusted=True)
    assert result.outcome == "error" and "cap" in (result.error or "")


async def test_use_outside_context_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await FeedClient(settings()).fetch("http://127.0.0.1:1/")


NOW = datetime(2025, 2, 13, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("soon", None),
        (format_datetime(NOW + timedelta(minutes=10), usegmt=True), 600.0),
        (format_datetime(NOW - timedelta(minutes=10), usegmt=True), 0.0),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("no-cache", None),
        ("max-age=60", 60.0),
        ('public, MAX-AGE="300"', 300.0),
        ("s-maxage=10", None),
    ],
)
def test_cache_max_age(value: str | None, seconds: float | None) -> None:
    assert cache_max_age(value) == seconds


def test_client_can_be_built_outside_the_loop() -> None:
    FeedClient(settings())  # composition roots may build it before asyncio.run


async def test_default_resolver_reaches_a_real_name(server: FeedServer) -> None:
    server.feed("/rss", RSS)
    async with FeedClient(settings(allow_private_networks=False)) as strict:
        refused = await strict.fetch(server.url("/rss", host="localhost"))
    async with FeedClient(settings()) as open_client:
        allowed = await open_client.fetch(server.url("/rss", host="localhost"))
    assert refused.outcome == "error" and "non-public" in (refused.error or "")
    assert allowed.outcome == "ok"
