"""URL policy: schemes, address classes, the validating resolver, add-time checks, redaction."""

from __future__ import annotations

import ipaddress

import pytest

from bot.pipeline.urlguard import (
    GuardedResolver,
    UnsafeAddressError,
    UnsafeURLError,
    check_target,
    check_url,
    is_public_address,
    redact,
)
from tests.feedserver import MapResolver


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("2001:db8::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/feed", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("example.com/feed", "no scheme"),
        ("http:///feed", "no host"),
        ("http://127.0.0.1/feed", "not public"),
        ("http://[::1]:8080/feed", "not public"),
        ("http://[::ffff:7f00:1]/feed", "not public"),
        ("http://example.com:notaport/", "malformed"),
    ],
)
def test_check_target_refuses(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError, match=reason):
        check_target(url, allow_private=False)


def test_check_target_private_switch() -> None:
    check_target("http://127.0.0.1:8080/feed", allow_private=True)
    check_target("https://8.8.8.8/feed", allow_private=False)


async def test_guarded_resolver_refuses_private_answers() -> None:
    inner = MapResolver({"feeds.example.test": "127.0.0.1", "mixed.example.test": ["8.8.8.8", "10.0.0.2"]})
    guard = GuardedResolver(inner, allow_private=False)
    with pytest.raises(UnsafeAddressError, match="127.0.0.1"):
        await guard.resolve("feeds.example.test", 80)
    with pytest.raises(UnsafeAddressError, match="10.0.0.2"):
        await guard.resolve("mixed.example.test", 80)
    allowed = GuardedResolver(inner, allow_private=True)
    assert [r["host"] for r in await allowed.resolve("feeds.example.test", 80)] == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://News.Example.TEST/Feed?x=1#frag", "https://news.example.test/Feed?x=1"),
        ("http://news.example.test", "http://news.example.test/"),
        ("https://8.8.8.8/rss", "https://8.8.8.8/rss"),
    ],
)
async def test_check_url_normalises(url: str, normal: str) -> None:
    resolver = MapResolver({"news.example.test": "93.184.216.34"})
    assert await check_url(url, trusted=False, allow_private=False, resolver=resolver) == normal


async def test_check_url_refuses_names_resolving_to_loopback() -> None:
    resolver = MapResolver({"feeds.example.test": "127.0.0.1"})
    url = "http://feeds.example.test/rss"
    with pytest.raises(UnsafeURLError, match="non-public address 127.0.0.1"):
        await check_url(url, trusted=False, allow_private=False, resolver=resolver)
    assert await check_url(url, trusted=False, allow_private=True, resolver=resolver) == url


async def test_check_url_unresolvable_host() -> None:
    with pytest.raises(UnsafeURLError, match="cannot be resolved"):
        await check_url(
            "http://nowhere.example.test/", trusted=False, allow_private=False, resolver=MapResolver({})
        )


async def test_file_urls_only_when_trusted(tmp_path: object) -> None:
    with pytest.raises(UnsafeURLError, match="command line or the config"):
        await check_url("file:///etc/passwd", trusted=False, allow_private=True)
    assert await check_url("file:///srv/feeds/a.xml", trusted=True, allow_private=False) == (
        "file:///srv/feeds/a.xml"
    )


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://user:hunter2@example.com/feed", "https://example.com/feed"),
        ("https://user@example.com:8443/feed", "https://example.com:8443/feed"),
        ("https://example.com/feed?token=abc&page=2", "https://example.com/feed?token=***&page=2"),
        ("https://example.com/feed?api_key=abc#x", "https://example.com/feed?api_key=***"),
        ("https://example.com/feed", "https://example.com/feed"),
    ],
)
def test_redact(url: str, safe: str) -> None:
    assert redact(url) == safe
