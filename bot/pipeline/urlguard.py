"""Policy for untrusted feed URLs: which schemes, which hosts, which addresses we may connect to.

Only http(s) for URLs from the bot; ``file://`` only when the caller vouches for the source (CLI, config).
Hosts resolving to loopback, private, link-local, multicast, reserved or unspecified addresses (IPv4, IPv6,
IPv4-mapped and 6to4/Teredo-embedded IPv4) are refused unless private networks are allowed.

Hosts are compared in their canonical ASCII form (:func:`canonical_host`: NFKC, then IDNA, as yarl and
aiohttp spell them), so ``１２７.０.０.１`` or ``①②⑦.0.0.1`` is seen as the 127.0.0.1 it will become.

Two guards sit in the HTTP connector. :class:`GuardedResolver` refuses a name whose addresses are not
public (one lookup, no check-then-lookup: DNS rebinding cannot slip through). :class:`AddressGate`, the
connector's socket factory, checks the very address every socket is opened for, however the host was
spelled and whether or not a resolver was asked (aiohttp skips it for IP literals and cached names).
:func:`check_target` refuses IP-literal hosts per hop before any request, with a clearer message.

Exceptions::

    UnsafeURLError (ValueError)      the URL is refused; str() is one line for the user or the log
    UnsafeAddressError (OSError)     raised inside the connector; aiohttp wraps it in ClientConnectorDNSError
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yarl
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.errors import UnsafeAddressError as UnsafeAddressError
from bot.errors import UnsafeURLError as UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_WEB_SCHEMES = ("http", "https")
_SECRET_PARAMS = ("token", "key", "apikey", "api_key", "access_token", "auth", "password", "secret", "sig")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True when connecting to ``ip`` cannot reach this machine or its private networks."""
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        return is_public_address(inner)
    forbidden = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )
    return not forbidden


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def canonical_host(host: str) -> str:
    """``host`` as a connection would spell it: NFKC-folded (full-width, circled digits), IDNA, lower case.

    :class:`UnsafeURLError` when it cannot be a host name.
    """
    try:
        canonical = yarl.URL.build(
            scheme="http", host=unicodedata.normalize("NFKC", host.strip("[]"))
        ).raw_host
    except (ValueError, UnicodeError) as exc:
        raise UnsafeURLError(f"malformed host: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    if not canonical:
        raise UnsafeURLError("the URL has no host")
    return canonical.lower()


def check_target(url: str, *, allow_private: bool) -> None:
    """Static per-hop check of an http(s) URL: scheme, host present, IP-literal hosts allowed."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise UnsafeURLError(f"malformed URL: {exc}") from None
    if not parts.scheme:
        raise UnsafeURLError("not an absolute URL (no scheme); use http:// or https://")
    if parts.scheme.lower() not in _WEB_SCHEMES:
        raise UnsafeURLError(f"scheme {parts.scheme!r} is not allowed; use http or https")
    if not parts.hostname:
        raise UnsafeURLError("the URL has no host")
    host = canonical_host(parts.hostname)
    ip = _literal_ip(host)
    if ip is not None and not allow_private and not is_public_address(ip):
        raise UnsafeURLError(f"address {ip} is not public (loopback, private or reserved)")


class GuardedResolver(AbstractResolver):
    """Resolves through ``inner`` and refuses the host if any address it returns is not public."""

    def __init__(self, inner: AbstractResolver | None = None, *, allow_private: bool = False) -> None:
        self._own_inner = inner is None
        self._inner = inner  # the default one needs a running loop, so it is made on first use
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            for result in results:
                ip = ipaddress.ip_address(result["host"])
                if not is_public_address(ip):
                    raise UnsafeAddressError(f"host {host} resolves to non-public address {ip}")
        return results

    async def close(self) -> None:
        if self._own_inner and self._inner is not None:
            await self._inner.close()
            self._inner = None


class AddressGate:
    """The connector's socket factory: no socket is opened for an address the policy forbids.

    Every connection aiohttp makes, to a resolved name, a cached one or an IP literal, gets its socket
    here with the address it is about to connect to, so this is the check nothing can route around.
    """

    def __init__(self, *, allow_private: bool = False) -> None:
        self._allow_private = allow_private

    def __call__(self, addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not self._allow_private:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not is_public_address(ip):
                raise UnsafeAddressError(f"address {ip} is not public (loopback, private or reserved)")
        return socket.socket(family=family, type=type_, proto=proto)


def _normalise_web(url: str) -> str:
    parts = urlsplit(url.strip())
    userinfo, at, _ = parts.netloc.rpartition("@")
    host = canonical_host(parts.hostname or "")
    hostport = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        hostport += f":{parts.port}"
    return urlunsplit((parts.scheme.lower(), userinfo + at + hostport, parts.path or "/", parts.query, ""))


def _check_file(url: str) -> str:
    path = urlsplit(url).path
    if not path:
        raise UnsafeURLError("file URL without a path")
    resolved = Path(path).resolve()
    if resolved.exists() and not resolved.is_file():
        raise UnsafeURLError(f"{resolved} is not a regular file; a file feed must be one")
    return resolved.as_uri()


async def check_url(
    url: str, *, trusted: bool, allow_private: bool, resolver: AbstractResolver | None = None
) -> str:
    """Normalised URL if the policy admits it (resolving the host now), else :class:`UnsafeURLError`."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme == "file":
        if not trusted:
            raise UnsafeURLError("file:// URLs can only be added from the command line or the config")
        return _check_file(url)
    check_target(url, allow_private=allow_private)
    normalised = _normalise_web(url)
    parts = urlsplit(normalised)
    host = parts.hostname or ""
    if _literal_ip(host) is not None:
        return normalised
    guard = GuardedResolver(resolver, allow_private=allow_private)
    try:
        await guard.resolve(host, parts.port or (443 if parts.scheme == "https" else 80), socket.AF_UNSPEC)
    except UnsafeAddressError as exc:
        raise UnsafeURLError(str(exc)) from None
    except OSError as exc:
        if trusted:  # the operator's word; every fetch still checks the address it connects to
            return normalised
        raise UnsafeURLError(f"host {host} cannot be resolved: {exc.strerror or exc}") from None
    finally:
        await guard.close()
    return normalised


def redact(url: str) -> str:
    """``url`` safe for logs: no user name or password, secret-looking query values masked."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return "<unparsable URL>"
    query = "&".join(_mask_param(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def _mask_param(pair: str) -> str:
    key, sep, value = pair.partition("=")
    if sep and any(secret in key.lower() for secret in _SECRET_PARAMS):
        return f"{key}=***"
    return pair
