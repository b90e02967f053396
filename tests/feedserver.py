"""A real HTTP feed server on 127.0.0.1 for tests: register responses per path, count requests server-side.

Usage::

    async with FeedServer() as server:
        url = server.feed("/rss", RSS_BYTES, etag='"v1"')
        server.respond("/down", 500)
        server.sequence("/flaky", [Reply(500), Reply(200, RSS_BYTES)])
        ...
        assert server.hits["/rss"] == 2
        assert server.requests_to("/rss")[-1].headers["If-None-Match"] == '"v1"'

Routes can be added after the server started (one catch-all route dispatches on the path). Handlers are
plain aiohttp handlers, so anything not covered by the helpers can be registered with :meth:`route`.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Reply:
    """One canned response."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    path: str
    method: str
    headers: CIMultiDictProxy[str]


class FeedServer:
    """aiohttp.web on an ephemeral 127.0.0.1 port; use as an async context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.hits: Counter[str] = Counter()
        self.seen: list[Seen] = []
        self._routes: dict[str, Handler] = {}
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str, *, host: str | None = None) -> str:
        """URL of ``path``; ``host`` replaces 127.0.0.1 (a name an injected resolver maps here)."""
        return f"http://{host or self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def route(self, path: str, handler: Handler) -> str:
        self._routes[path] = handler
        return self.url(path)

    def respond(self, path: str, status: int = 200, body: bytes = b"", **headers: str) -> str:
        return self.sequence(path, [Reply(status, body, headers)])

    def sequence(self, path: str, replies: list[Reply]) -> str:
        """Answer with ``replies`` in order; the last one repeats."""
        queue = list(replies)

        async def handler(request: web.Request) -> web.StreamResponse:
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))

        return self.route(path, handler)

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """Serve ``body`` with validators, answering 304 to a matching conditional GET."""

        async def handler(request: web.Request) -> web.StreamResponse:
            validators = {"ETag": etag, "Last-Modified": last_modified}
            headers = {k: v for k, v in validators.items() if v is not None}
            if (etag and request.headers.get("If-None-Match") == etag) or (
                last_modified and not etag and request.headers.get("If-Modified-Since") == last_modified
            ):
                return web.Response(status=304, headers=headers)
            return web.Response(body=body, headers={"Content-Type": content_type, **headers})

        return self.route(path, handler)

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        return self.respond(path, status, Location=to)

    def gzip_bomb(self, path: str, decompressed_size: int) -> str:
        """A small gzip body that inflates to ``decompressed_size`` bytes of spaces inside a feed."""
        head, tail = b'<?xml version="1.0"?><rss version="2.0"><channel><title>', b"</title></channel></rss>"
        payload = gzip.compress(head + b" " * decompressed_size + tail, compresslevel=9)
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return self.sequence(path, [Reply(200, payload, headers)])

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.seen.append(Seen(request.path, request.method, request.headers))
        handler = self._routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no route registered for this path")
        return await handler(request)


class MapResolver(AbstractResolver):
    """DNS for tests: names map to fixed addresses (e.g. feeds.example.test -> 127.0.0.1); others fail."""

    def __init__(self, names: Mapping[str, str | list[str]]) -> None:
        self.names = {name: [a] if isinstance(a, str) else list(a) for name, a in names.items()}
        self.lookups: Counter[str] = Counter()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups[host] += 1
        if host not in self.names:
            raise OSError(socket.EAI_NONAME, f"{host} does not resolve (test resolver)")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                proto=0,
                flags=socket.AI_NUMERICHOST,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
            )
            for address in self.names[host]
        ]

    async def close(self) -> None:
        return None
