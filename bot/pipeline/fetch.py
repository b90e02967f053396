"""Fetching feeds politely and defensively: one aiohttp session, a guarded connector, caps and timeouts.

aiohttp rather than httpx: it is already installed with aiogram, and its connector accepts a custom resolver,
which is how the URL guard pins each connection to the address it validated, and its socket factory, which
checks the address of every socket it opens (see :mod:`urlguard`).

Local ``file://`` feeds are read only when they name a regular file (never a FIFO, device or folder, which
could block or never end), opened non-blocking, capped in size and bounded by the fetch timeout.

:meth:`FeedClient.fetch` never raises for network or HTTP problems; it returns a :class:`FetchResult` whose
``outcome`` is ``ok``, ``not_modified`` (304 or an empty 200), ``gone`` (410) or ``error`` with one line
saying why (credentials never appear in it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.pipeline.urlguard import (
    AddressGate,
    GuardedResolver,
    UnsafeAddressError,
    UnsafeURLError,
    check_target,
    redact,
)
from bot.settings import FeedSettings

logger = logging.getLogger(__name__)

Outcome = Literal["ok", "not_modified", "gone", "error"]
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchResult:
    outcome: Outcome
    final_url: str
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_permanently_to: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    http_status: int | None = None
    error: str | None = None


class _Refused(Exception):
    """A fetch stopped early with a ready result."""

    def __init__(self, result: FetchResult) -> None:
        super().__init__(result.error)
        self.result = result


class FeedClient:
    """One shared HTTP session for every feed fetch; build it once and use it as an async context manager."""

    def __init__(self, settings: FeedSettings, *, resolver: AbstractResolver | None = None) -> None:
        self._settings = settings
        self._guard = GuardedResolver(resolver, allow_private=settings.allow_private_networks)
        self._gate = AddressGate(allow_private=settings.allow_private_networks)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FeedClient:
        s = self._settings
        connector = aiohttp.TCPConnector(
            resolver=self._guard,
            socket_factory=self._gate,
            limit=s.concurrency,
            limit_per_host=s.per_host,
            ttl_dns_cache=60,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=s.connect_timeout, sock_read=s.timeout),
            headers={"User-Agent": s.user_agent_header, "Accept": ACCEPT},
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            await self._guard.close()
            self._session = None

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, trusted: bool = False
    ) -> FetchResult:
        """Fetch ``url`` conditionally; ``trusted`` (CLI/config feeds only) admits ``file://`` URLs."""
        if urlsplit(url).scheme.lower() == "file":
            if not trusted:
                return _error(url, "file:// URLs are only allowed for feeds added from the CLI or config")
            try:
                async with asyncio.timeout(self._settings.timeout):
                    return await self._fetch_file(url, etag, last_modified)
            except TimeoutError:
                return _error(url, f"reading the file timed out after {self._settings.timeout:g}s")
        try:
            async with asyncio.timeout(self._settings.timeout):
                return await self._fetch_http(url, etag, last_modified)
        except _Refused as refused:
            return refused.result
        except TimeoutError:
            return _error(url, f"timed out after {self._settings.timeout:g}s")
        except aiohttp.ClientConnectorError as exc:
            unsafe = isinstance(exc.os_error, UnsafeAddressError)
            return _error(url, str(exc.os_error) if unsafe else _describe(exc, url))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return _error(url, _describe(exc, url))

    async def _fetch_http(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        if self._session is None:
            raise RuntimeError("FeedClient used outside 'async with'")
        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, moved, seen = url, None, {url}
        permanent_so_far = True
        for _hop in range(self._settings.max_redirects + 1):
            try:
                check_target(current, allow_private=self._settings.allow_private_networks)
            except UnsafeURLError as exc:
                return _error(current, str(exc))
            async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                if resp.status not in _REDIRECTS:
                    result = await self._finish(resp, current, etag, last_modified)
                    ok = result.outcome in ("ok", "not_modified", "gone")
                    return replace(result, moved_permanently_to=moved) if ok and moved else result
                location = resp.headers.get("Location")
                if not location:
                    return _error(current, f"HTTP {resp.status} redirect without a Location", resp.status)
                following = urljoin(current, location.strip())
                permanent_so_far = permanent_so_far and resp.status in _PERMANENT
                if permanent_so_far:
                    moved = following
            if following in seen:
                return _error(current, f"redirect loop back to {redact(following)}", resp.status)
            seen.add(following)
            current = following
        return _error(current, f"more than {self._settings.max_redirects} redirects")

    async def _finish(
        self, resp: aiohttp.ClientResponse, url: str, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        status, headers = resp.status, resp.headers
        base = FetchResult(
            "error",
            final_url=url,
            http_status=status,
            retry_after=retry_after_seconds(headers.get("Retry-After")),
            max_age=cache_max_age(headers.get("Cache-Control")),
        )
        if status == 304:
            return replace(
                base,
                outcome="not_modified",
                etag=headers.get("ETag", etag),
                last_modified=headers.get("Last-Modified", last_modified),
            )
        if status == 410:
            return replace(base, outcome="gone", error="HTTP 410 Gone")
        if status >= 400 or status < 200:
            return replace(base, error=f"HTTP {status} {resp.reason or ''}".rstrip())
        body = await self._read_capped(resp, url)
        return replace(
            base,
            outcome="ok" if body.strip() else "not_modified",
            body=body if body.strip() else None,
            content_type=headers.get("Content-Type"),
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
        )

    async def _read_capped(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        cap = self._settings.max_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise _Refused(_error(url, f"response of {resp.content_length} bytes exceeds the {cap}-byte cap"))
        chunks: list[bytes] = []
        total = 0
        # resp.content yields decompressed data in bounded pieces, so this caps gzip bombs too.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            total += len(chunk)
            if total > cap:
                raise _Refused(_error(url, f"response exceeds the {cap}-byte cap (after decompression)"))
            chunks.append(chunk)
        return b"".join(chunks)

    async def _fetch_file(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        path = Path(urlsplit(url).path)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                return _error(url, f"{path} is not a regular file")
            stamp, tag = http_date(info.st_mtime), file_etag(info.st_mtime_ns, info.st_size)
            # The ETag sees rewrites within one second; Last-Modified alone only serves rows stored before it.
            unchanged = etag == tag if etag else bool(last_modified) and last_modified == stamp
            if unchanged:
                return FetchResult("not_modified", final_url=url, etag=tag, last_modified=stamp)
            body = await asyncio.to_thread(_read_file, path, self._settings.max_bytes)
        except OSError as exc:
            return _error(url, f"cannot read {path}: {exc.strerror or exc}")
        except ValueError as exc:
            return _error(url, str(exc))
        if not body.strip():
            return FetchResult("not_modified", final_url=url, etag=tag, last_modified=stamp)
        return FetchResult("ok", final_url=url, body=body, etag=tag, last_modified=stamp)


def file_etag(mtime_ns: int, size: int) -> str:
    """A strong validator for a local file: nanosecond mtime and size, as nginx does with seconds."""
    return f'"{mtime_ns:x}-{size:x}"'


def _read_file(path: Path, cap: int) -> bytes:
    # Non-blocking, and checked again once open: the path may have been swapped for a FIFO since stat().
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path} is not a regular file")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"file exceeds the {cap}-byte cap")
    return data


def _describe(exc: BaseException, url: str) -> str:
    """One line naming the exception, with any credentials of ``url`` masked out of it."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    parts = urlsplit(url)
    for secret in (parts.password, parts.username):
        if secret:
            text = text.replace(secret, "***")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error(url: str, reason: str, status: int | None = None) -> FetchResult:
    return FetchResult("error", final_url=url, error=reason, http_status=status)


def http_date(timestamp: float) -> str:
    """IMF-fixdate, as in Last-Modified."""
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_max_age(value: str | None) -> float | None:
    """Freshness lifetime from Cache-Control max-age (we are a private cache); None when absent."""
    found = _MAX_AGE.search(value or "")
    return float(found.group(1)) if found else None
