"""The benchmark's feed server: N feeds on one port, most answering 304 to a conditional GET.

Runs in its own process so its CPU time is not billed to the ingesting side.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.synchronize
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.process import BaseProcess

from aiohttp import web

WORDS = (
    "NATO allies defence spending weapons Europe Poland tanks artillery Starmer Trump Hegseth security "
    "guarantees energy industry bureaucracy interoperability Rutte Hardt argument alliance budget"
).split()


def feed_body(feed: int, entries: int, generation: int) -> bytes:
    """An RSS 2.0 document of ``entries`` items with HTML descriptions, unique per feed and generation."""
    start = datetime(2025, 2, 13, 12, 0, tzinfo=UTC)
    items = []
    for n in range(entries):
        words = " ".join(WORDS[(feed + n + k) % len(WORDS)] for k in range(40))
        when = format_datetime(start - timedelta(minutes=n), usegmt=True)
        items.append(
            f"<item><title>Story {feed}-{generation}-{n}: {words[:60]}</title>"
            f"<link>https://news{feed}.example.test/{generation}/{n}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{feed}-{generation}-{n}</guid><pubDate>{when}</pubDate>'
            f"<description><![CDATA[<p>{words}</p><p>More &amp; <b>more</b> text.</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>https://news{feed}.example.test/</link><ttl>15</ttl>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def build_app(feeds: int, fresh: int, entries: int) -> web.Application:
    """Feeds ``0..fresh-1`` changed since the last tick (new ETag); the others match ``"v0"``."""
    bodies = {i: feed_body(i, entries, 1 if i < fresh else 0) for i in range(feeds)}

    async def handler(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        etag = f'"v{1 if index < fresh else 0}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=bodies[index], headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    app = web.Application()
    app.router.add_get("/feed/{index}", handler)
    return app


def _serve(port: int, feeds: int, fresh: int, entries: int, ready: multiprocessing.synchronize.Event) -> None:
    async def main() -> None:
        runner = web.AppRunner(build_app(feeds, fresh, entries), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def start_server(port: int, feeds: int, fresh: int, entries: int) -> BaseProcess:
    """Start the server process and wait until it listens; the caller terminates it."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(target=_serve, args=(port, feeds, fresh, entries, ready), daemon=True)
    process.start()
    if not ready.wait(60):
        process.terminate()
        raise RuntimeError("benchmark feed server did not start")
    return process
