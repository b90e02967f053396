"""The optional health endpoint: /healthz and Prometheus /metrics from the database."""

from __future__ import annotations

import socket

import aiohttp

from bot.health import health_server
from storage import feeds
from tests.conftest import Db, make_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_healthz_and_metrics(db: Db) -> None:
    async with db.sessionmaker.begin() as s:
        await feeds.add_feed(s, "https://a.example/rss")
    port = _free_port()
    settings = make_settings(db.url, daemon={"health_port": port})
    async with health_server(settings, db.sessionmaker), aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            assert resp.status == 200 and (await resp.text()).startswith("ok; last tick never")
        async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            body = await resp.text()
    assert 'claimbot_feeds{state="ok"} 1' in body and "claimbot_outbox_pending 0" in body


async def test_off_by_default(db: Db) -> None:
    async with health_server(make_settings(db.url), db.sessionmaker):
        pass
