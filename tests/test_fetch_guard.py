"""The URL guard inside FeedClient: names resolving to loopback, redirect hops, DNS rebinding."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.pipeline import urlguard
from bot.pipeline.fetch import FeedClient
from bot.pipeline.urlguard import UnsafeURLError, check_url
from bot.settings import FeedSettings
from tests.feedserver import FeedServer, MapResolver

RSS = b"<rss version='2.0'><channel><title>t</title><item><title>a</title></item></channel></rss>"
NAME = "feeds.example.test"


def settings(**overrides: Any) -> FeedSettings:
    return FeedSettings(**{"timeout": 0.5, "connect_timeout": 0.5, "max_redirects": 3, **overrides})


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


async def test_name_resolving_to_loopback_is_refused(server: FeedServer) -> None:
    server.feed("/rss", RSS)
    async with FeedClient(settings(), resolver=MapResolver({NAME: "127.0.0.1"})) as client:
        result = await client.fetch(server.url("/rss", host=NAME))
    assert result.outcome == "error"
    assert result.error == f"host {NAME} resolves to non-public address 127.0.0.1"
    assert server.hits["/rss"] == 0


async def test_private_switch_allows_it(server: FeedServer) -> None:
    server.feed("/rss", RSS)
    resolver = MapResolver({NAME: "127.0.0.1"})
    async with FeedClient(settings(allow_private_networks=True), resolver=resolver) as client:
        result = await client.fetch(server.url("/rss", host=NAME))
    assert result.outcome == "ok" and server.hits["/rss"] == 1


async def test_ip_literals_are_checked_too(server: FeedServer) -> None:
    server.feed("/rss", RSS)
    async with FeedClient(settings()) as client:
        result = await client.fetch(server.url("/rss"))
    assert result.outcome == "error" and "not public" in (result.error or "")
    assert server.hits["/rss"] == 0


async def test_every_redirect_hop_is_checked(server: FeedServer) -> None:
    server.feed("/internal", RSS)
    resolver = MapResolver({NAME: "127.0.0.1"})
    async with FeedClient(settings(allow_private_networks=True), resolver=resolver) as open_client:
        hop_url = server.redirect("/hop", server.url("/internal", host=NAME))
        assert (await open_client.fetch(hop_url)).outcome == "ok"
    # The same redirect with the switch off: the first hop's name already fails the guard.
    async with FeedClient(settings(), resolver=resolver) as strict:
        strict_hop = await strict.fetch(server.url("/hop", host=NAME))
    assert strict_hop.outcome == "error" and "non-public" in (strict_hop.error or "")
    assert server.hits["/internal"] == 1


@pytest.fixture
def public_127_0_0_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.2 is a public address, so a server there stands in for a public feed host."""
    real = urlguard.is_public_address
    monkeypatch.setattr(urlguard, "is_public_address", lambda ip: str(ip) == "127.0.0.2" or real(ip))


@pytest.mark.usefixtures("public_127_0_0_2")
@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:9/admin", "127.0.0.1 is not public"),
        ("http://intranet.example.test:9/admin", "resolves to non-public address 10.1.2.3"),
        ("http://[::1]:9/admin", "::1 is not public"),
    ],
)
async def test_redirect_hops_to_private_targets_are_refused(target: str, reason: str) -> None:
    resolver = MapResolver({"public.example.test": "127.0.0.2", "intranet.example.test": "10.1.2.3"})
    async with FeedServer(host="127.0.0.2") as srv:
        srv.redirect("/out", target, 302)
        srv.feed("/rss", RSS)
        async with FeedClient(settings(), resolver=resolver) as client:
            fine = await client.fetch(srv.url("/rss", host="public.example.test"))
            result = await client.fetch(srv.url("/out", host="public.example.test"))
    assert fine.outcome == "ok"
    assert result.outcome == "error" and reason in (result.error or "")
    assert srv.hits["/out"] == 1


async def test_redirect_to_file_scheme_is_refused(server: FeedServer) -> None:
    async with FeedClient(settings(allow_private_networks=True)) as client:
        result = await client.fetch(server.redirect("/sneaky", "file:///etc/passwd", 302), trusted=True)
    assert result.outcome == "error" and "scheme 'file'" in (result.error or "")


class RebindingResolver(AbstractResolver):
    """Answers a public address first, then loopback: the classic DNS rebinding trick."""

    def __init__(self) -> None:
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "127.0.0.1"
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


async def test_dns_rebinding_cannot_slip_through(server: FeedServer) -> None:
    server.feed("/rss", RSS)
    resolver = RebindingResolver()
    url = server.url("/rss", host=NAME)
    assert await check_url(url, trusted=False, allow_private=False, resolver=resolver) == url
    async with FeedClient(settings(), resolver=resolver) as client:
        result = await client.fetch(url)
    assert result.outcome == "error" and "127.0.0.1" in (result.error or "")
    assert server.hits["/rss"] == 0


async def test_add_time_check_refuses_the_same_name() -> None:
    with pytest.raises(UnsafeURLError):
        await check_url(
            f"http://{NAME}/rss",
            trusted=False,
            allow_private=False,
            resolver=MapResolver({NAME: "127.0.0.1"}),
        )
