"""The hostile-feed suite: what an attacker or a careless operator puts in a feed or its URL.

Unicode-digit hosts (directly and via a redirect), NUL and lone-surrogate items on SQLite and PostgreSQL,
a poll that crashes, markup and terminal escapes in titles (store and console), over-long text,
``javascript:`` links, and a FIFO given as a file feed.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.alerts.alert import Alert, Notice
from bot.alerts.console import ConsoleTransport
from bot.app import Database, poll_once, prepare_chats
from bot.catalog.claims import load_seeds, read_seed_file
from bot.catalog.feeds import add_feed, as_url
from bot.pipeline import urlguard
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.pipeline.parse import parse_feed
from bot.pipeline.poll import Poller, run_tick
from bot.pipeline.urlguard import AddressGate, UnsafeAddressError, UnsafeURLError, canonical_host, check_url
from bot.plaintext import SUMMARY_MAX, TITLE_MAX, plain
from bot.resources import seeds_path
from bot.settings import FeedSettings, Settings
from storage import feeds
from storage.models import Feed, Story
from testkit.samples import WEAPONS, rss
from tests.conftest import Db, make_settings
from tests.feedserver import FeedServer, MapResolver

RSS = (
    b"<rss version='2.0'><channel><title>t</title>"
    b"<item><title>a</title><guid>g1</guid></item></channel></rss>"
)
FULL_WIDTH = "１２７.０.０.１"
CIRCLED = "①②⑦.0.0.1"
UNSAFE = ("\x00", "\x1b", "\x07", "\x9b", "\ud800", "\u202e")


def strict(**overrides: object) -> FeedSettings:
    return FeedSettings(**{"timeout": 2.0, "connect_timeout": 1.0, "max_redirects": 3, **overrides})


async def _poll(db: Db, settings: Settings, client: FeedClient, out: io.StringIO | None = None) -> None:
    async with db.sessionmaker.begin() as s:
        await s.execute(update(Feed).values(next_check_at=datetime.now(UTC)))
    await poll_once(
        settings, Database(db.engine, db.sessionmaker), client, ConsoleTransport(out or io.StringIO())
    )


async def _feed(db: Db) -> Feed:
    async with db.sessionmaker() as s:
        feed = (await s.scalars(select(Feed))).one()
    return feed


async def _stories(db: Db) -> list[Story]:
    async with db.sessionmaker() as s:
        return list((await s.scalars(select(Story).order_by(Story.id))).all())


# --- Unicode-digit hosts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        (FULL_WIDTH, "127.0.0.1"),
        (CIRCLED, "127.0.0.1"),
        ("①⑥⑨.②⑤④.①⑥⑨.②⑤④", "169.254.169.254"),
        ("１２７。０。０。１", "127.0.0.1"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("[::1]", "::1"),
    ],
)
def test_hosts_are_compared_in_canonical_form(host: str, canonical: str) -> None:
    assert canonical_host(host) == canonical


@pytest.mark.parametrize("host", [FULL_WIDTH, CIRCLED, "①⑥⑨.②⑤④.①⑥⑨.②⑤④"])
async def test_unicode_digit_hosts_are_refused_at_add_time(host: str) -> None:
    with pytest.raises(UnsafeURLError, match="not public"):
        await check_url(f"http://{host}/feed", trusted=True, allow_private=False)


@pytest.mark.parametrize("host", [FULL_WIDTH, CIRCLED])
async def test_unicode_digit_hosts_are_never_fetched(host: str) -> None:
    async with FeedServer() as server:
        server.feed("/rss", RSS)
        async with FeedClient(strict()) as client:
            result = await client.fetch(f"http://{host}:{server.port}/rss")
    assert result.outcome == "error" and "127.0.0.1 is not public" in (result.error or "")
    assert server.hits["/rss"] == 0


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1"])
def test_the_socket_factory_refuses_forbidden_addresses(address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    info = (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, 80))
    with pytest.raises(UnsafeAddressError, match="not public"):
        AddressGate(allow_private=False)(info)
    AddressGate(allow_private=True)(info).close()


async def test_full_width_feed_added_while_private_allowed_is_refused_once_switched_off(db: Db) -> None:
    """A feed row spelled in full-width digits (as older versions stored it) is still checked at connect."""
    open_settings = make_settings(db.url)
    closed_settings = make_settings(db.url, feeds={"allow_private_networks": False})
    async with FeedServer() as server:
        server.feed("/x", RSS)
        url = f"http://{FULL_WIDTH}:{server.port}/x"
        async with db.sessionmaker.begin() as s:
            checked = await add_feed(s, url, open_settings.feeds, trusted=True)
            stored_as = checked.url
            checked.url = url  # as older versions stored it: the guard must not depend on the spelling
        async with FeedClient(open_settings.feeds) as client:
            await _poll(db, open_settings, client)
        assert server.hits["/x"] == 1 and len(await _stories(db)) == 1
        server.feed("/x", rss(("n", "A new story", "text")))
        async with FeedClient(closed_settings.feeds) as client:
            await _poll(db, closed_settings, client)
    assert server.hits["/x"] == 1
    assert len(await _stories(db)) == 1
    feed = await _feed(db)
    assert feed.error_count == 1 and "127.0.0.1 is not public" in (feed.last_error or "")
    assert stored_as == server.url("/x")  # new feeds are stored in canonical form


@pytest.fixture
def public_127_0_0_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.2 is a public address, so a server there stands in for a public feed host."""
    real = urlguard.is_public_address
    monkeypatch.setattr(urlguard, "is_public_address", lambda ip: str(ip) == "127.0.0.2" or real(ip))


@pytest.mark.usefixtures("public_127_0_0_2")
@pytest.mark.parametrize("host", [FULL_WIDTH, CIRCLED])
async def test_redirect_to_unicode_digit_host_is_refused_and_never_stored(db: Db, host: str) -> None:
    settings = make_settings(db.url, feeds={"allow_private_networks": False})
    resolver = MapResolver({"public.example.test": "127.0.0.2"})
    async with FeedServer() as internal, FeedServer(host="127.0.0.2") as public:
        internal.feed("/secret", RSS)
        public.redirect("/out", f"http://{host}:{internal.port}/secret", 301)
        start = public.url("/out", host="public.example.test")
        async with db.sessionmaker.begin() as s:
            await feeds.add_feed(s, start)
        async with FeedClient(settings.feeds, resolver=resolver) as client:
            await _poll(db, settings, client)
    assert public.hits["/out"] == 1 and internal.hits["/secret"] == 0
    feed = await _feed(db)
    assert feed.url == start and feed.error_count == 1 and "not public" in (feed.last_error or "")
    assert await _stories(db) == []


# --- Bad characters and crashes ------------------------------------------------------------------------

POISON = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Poison</title>'
    b"<item><title>Good one</title><guid>g1</guid><description>fine</description></item>"
    b"<item><title>NUL ref &#0; here</title><guid>g2</guid><description>x&#0;y</description></item>"
    b"<item><title>raw NUL \x00 here</title><guid>g3</guid><description>a\x00b</description></item>"
    b"<item><title>lone &#xD800; surrogate</title><guid>g4&#xD800;</guid><description>s</description></item>"
    b"</channel></rss>"
)


async def test_nul_and_surrogate_items_are_cleaned_and_stored(db: Db, settings: Settings) -> None:
    async with FeedServer() as server:
        url = server.feed("/poison", POISON)
        async with db.sessionmaker.begin() as s:
            await feeds.add_feed(s, url)
        async with FeedClient(settings.feeds) as client:
            await _poll(db, settings, client)
    stories = await _stories(db)
    titles = sorted(story.title for story in stories)
    assert titles == sorted(["Good one", "NUL ref here", "raw NUL here", "lone surrogate"])
    for story in stories:
        assert not any(bad in story.title + story.summary for bad in UNSAFE)
    feed = await _feed(db)
    assert feed.error_count == 0 and feed.last_ok_at is not None and feed.lease_owner is None
    assert (feed.last_error or "").startswith("accepted with problems")  # the raw NUL is not well-formed XML


async def test_a_crashing_poll_counts_as_a_failure_of_its_feed(db: Db, settings: Settings) -> None:
    """Here the parse pool is already shut down (a real fault of a real executor)."""
    broken = ThreadPoolExecutor(1)
    broken.shutdown()
    async with FeedServer() as server:
        url = server.feed("/rss", RSS)
        async with db.sessionmaker.begin() as s:
            await feeds.add_feed(s, url)
        before = datetime.now(UTC)
        async with FeedClient(settings.feeds) as client:
            poller = Poller(db.sessionmaker, client, ClaimSet(settings.matching), settings, broken)
            summary = await run_tick(poller, owner="test")
    assert summary.failed == 1
    feed = await _feed(db)
    assert feed.error_count == 1
    assert (feed.last_error or "").startswith("internal error: RuntimeError")
    assert feed.lease_owner is None and feed.lease_until is None
    assert feed.next_check_at is not None and feed.next_check_at.replace(tzinfo=UTC) > before


# --- Markup, escapes, sizes, links ---------------------------------------------------------------------

ESCAPED_TITLE = "Trump presses allies on weapons \x1b[2J\x1b]0;pwned\x07 [bold red]now[/] \u202eevil done"


def _hostile_rss(title: str, summary: str, link: str = "https://news.example.org/a") -> bytes:
    # Built as text and encoded, so raw controls reach the parser as they would from a server.
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;")

    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T\x1b[31m</title>'
        f"<item><title>{esc(title)}</title><link>{esc(link)}</link><guid>g-{len(title)}</guid>"
        f"<description>{esc(summary)}</description></item></channel></rss>"
    ).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("fast", [True, False])
def test_every_parser_cleans_text_the_same_way(fast: bool) -> None:
    body = _hostile_rss(ESCAPED_TITLE, "<b>bold</b> \x1b[8mhidden\x1b[0m text", "javascript:alert(1)")
    parsed = parse_feed(body, "https://news.example.org/feed", "application/rss+xml", fast=fast)
    entry = parsed.entries[0]
    assert entry.title == "Trump presses allies on weapons [bold red]now[/] evil done"
    assert entry.summary == "bold hidden text"
    assert entry.link is None and parsed.title == "T"


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x"])
def test_only_web_links_are_kept(link: str) -> None:
    parsed = parse_feed(_hostile_rss("t", "s", link), "https://news.example.org/feed", None)
    assert parsed.entries[0].link is None


def test_titles_and_summaries_are_capped() -> None:
    parsed = parse_feed(_hostile_rss("T" * 1_000_000, "S " * 100_000), "https://news.example.org/f", None)
    entry = parsed.entries[0]
    assert len(entry.title) == TITLE_MAX and entry.title.endswith("…")
    assert len(entry.summary) <= SUMMARY_MAX and entry.summary.endswith("…")


async def test_escapes_in_titles_reach_neither_store_nor_console(db: Db, settings: Settings) -> None:
    out = io.StringIO()
    async with db.sessionmaker.begin() as s:
        await load_seeds(s, read_seed_file(seeds_path("claims.jsonl")))
    await prepare_chats(Database(db.engine, db.sessionmaker), settings)
    async with FeedServer() as server:
        url = server.feed("/rss", rss(("a", "Floods", "rain")))
        async with db.sessionmaker.begin() as s:
            await feeds.add_feed(s, url)
        async with FeedClient(settings.feeds) as client:
            await _poll(db, settings, client, out)  # the baseline
            server.feed("/rss", _hostile_rss(ESCAPED_TITLE, WEAPONS, "javascript:alert(1)"))
            await _poll(db, settings, client, out)
    printed = out.getvalue()
    assert "Trump presses allies on weapons [bold red]now[/] evil done" in printed
    assert not any(bad in printed for bad in UNSAFE) and "javascript" not in printed
    stored = [story for story in await _stories(db) if story.title.startswith("Trump")]
    assert len(stored) == 1 and stored[0].link is None
    assert not any(bad in stored[0].title for bad in UNSAFE)


async def test_console_never_prints_raw_escapes_or_floods() -> None:
    """Rows stored before cleaning existed still print clean."""
    out = io.StringIO()
    console = ConsoleTransport(out)
    alert = Alert(
        1, "claim", "recurs", 90.0, "\x1b]0;pwned\x07head\x1b[2J" + "x" * 1_000_000, None, "s\x9b1m"
    )
    await console.send(0, 0, alert)
    await console.send(0, 0, Notice("feed \x1b[31m", "gone\x00"))
    printed = out.getvalue()
    assert not any(bad in printed for bad in UNSAFE)
    assert "head" in printed and "[NOTICE] feed : gone" in printed and len(printed) < 10_000


def test_plain_keeps_ordinary_text() -> None:
    assert plain("Zürich – 東京\nline\ttab") == "Zürich – 東京\nline\ttab"


# --- File feeds ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
async def test_a_fifo_file_feed_fails_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    try:
        async with FeedClient(strict()) as client:
            async with asyncio.timeout(10):  # a guard against the old hang, not a race: the fix never waits
                result = await client.fetch(fifo.as_uri(), trusted=True)
    finally:
        # Unblock a reader stuck in open() (the old behaviour), so the test fails instead of hanging.
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert result.outcome == "error" and "not a regular file" in (result.error or "")
    with pytest.raises(UnsafeURLError, match="not a regular file"):
        await check_url(fifo.as_uri(), trusted=True, allow_private=False)


async def test_folders_and_devices_are_not_file_feeds(tmp_path: Path) -> None:
    async with FeedClient(strict()) as client:
        folder = await client.fetch(tmp_path.as_uri(), trusted=True)
        device = await client.fetch(Path(os.devnull).as_uri(), trusted=True)
    assert folder.outcome == device.outcome == "error"
    assert "not a regular file" in (folder.error or "") and "not a regular file" in (device.error or "")


def test_an_empty_feed_argument_is_not_the_current_folder() -> None:
    with pytest.raises(UnsafeURLError, match="no feed given"):
        as_url("  ")
