"""I/O edge: download an image from an http(s) URL, opt-in, with an SSRF guard and hard limits.

Only used when the caller asks for it (``prepare_image(url, fetch=True)``); by default URLs are
passed to OpenAI untouched. The guard runs at connect time, in the network backend: the host is
resolved, **every** resolved address must be public (not private, loopback, link-local, shared,
multicast or reserved) unless inside ``FetchOptions.allow_networks``, and the socket then connects
to an address that was checked, so a DNS answer cannot change between check and connect. Each
redirect hop is a new request through the same guard. Bodies are streamed and cut off at
``max_bytes``. ``timeout`` bounds each DNS lookup, connect, read and write; ``total_timeout``
bounds the whole fetch, redirects included: every socket operation gets at most the time left,
so a server that drips its headers or body a byte at a time cannot hold a fetch open.
Proxies from the environment are ignored (a proxy would connect on our behalf, unchecked).

Errors (all ``FetchError``, an ``ImageSourceError``)::

    FetchError
    ├── FetchURLError        not an http(s) URL, or no host
    ├── FetchBlockedError    the host resolves to a non-public address
    ├── FetchRedirectError   too many redirects, or a redirect without a usable Location
    ├── FetchStatusError     the server answered with a non-2xx status
    ├── FetchTimeoutError    connect/read timeout or total deadline exceeded
    └── FetchTooLargeError   the body is larger than max_bytes (also ImageTooLargeError)
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from urllib.parse import urljoin, urlsplit

import httpcore2
from httpcore2 import NetworkBackend, NetworkStream, SyncBackend

from .._exceptions import (
    FetchBlockedError,
    FetchError,
    FetchRedirectError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchURLError,
    InvalidOptionError,
)
from .._redact import elide, redact_url, safe
from .sources import http_url

__all__ = [
    "FetchBlockedError",
    "FetchError",
    "FetchOptions",
    "FetchRedirectError",
    "FetchStatusError",
    "FetchTimeoutError",
    "FetchTooLargeError",
    "FetchURLError",
    "InvalidOptionError",
    "fetch_image",
    "http_url",
]

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

_SCHEMES: Final = frozenset({"http", "https"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_USER_AGENT: Final = "openai-vision-ext (image fetch)"
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
_NEVER_PUBLIC: Final = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("fec0::/10"),  # site-local, deprecated but still private
)
"""Non-public networks that ``ipaddress``'s ``is_global`` does not flag."""


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Limits for ``fetch=True``. The defaults suit images on the public internet.

    >>> FetchOptions(allow_networks=("127.0.0.0/8",)).allows("127.0.0.1")
    True
    >>> FetchOptions().allows("10.1.2.3"), FetchOptions().allows("93.184.215.14")
    (False, True)
    """

    max_bytes: int = 20 * 1024 * 1024
    """Largest body accepted (OpenAI's per-image limit); the download stops beyond it."""
    timeout: float = 10.0
    """Seconds allowed for each DNS lookup, connect, read and write."""
    total_timeout: float = 30.0
    """Seconds allowed for the whole fetch, redirects included (stops slow-drip servers)."""
    max_redirects: int = 5
    """Redirect hops followed before giving up."""
    allow_networks: tuple[str, ...] = ()
    """CIDR networks allowed although not public, e.g. ``("127.0.0.0/8",)`` for a local server."""

    def __post_init__(self) -> None:
        numbers = {
            "max_bytes": self.max_bytes,
            "timeout": self.timeout,
            "total_timeout": self.total_timeout,
        }
        for name, value in numbers.items():
            if not value > 0:
                raise InvalidOptionError(f"FetchOptions.{name} must be positive, not {value!r}")
        if self.max_redirects < 0:
            raise InvalidOptionError(
                f"FetchOptions.max_redirects must be 0 or more, not {self.max_redirects!r}"
            )
        if isinstance(self.allow_networks, str):
            raise InvalidOptionError("FetchOptions.allow_networks must be a tuple of CIDR strings")
        try:
            _networks(self.allow_networks)
        except ValueError as exc:
            raise InvalidOptionError(f"FetchOptions.allow_networks: {exc}") from None

    def allows(self, address: str) -> bool:
        """Whether the guard lets a connection to ``address`` (an IP literal) through.

        An IPv6 address embedding an IPv4 one is judged by the IPv4 address it reaches."""
        raw = ipaddress.ip_address(address.split("%", 1)[0])
        ip = _unmapped(raw)
        if any(a in net for a in (raw, ip) for net in _networks(self.allow_networks)):
            return True
        return ip.is_global and not ip.is_multicast and not any(ip in n for n in _NEVER_PUBLIC)


def fetch_image(url: str, *, options: FetchOptions | None = None) -> bytes:
    """Download ``url`` under the SSRF guard and limits of ``options``; return the body.

    >>> fetch_image("http://169.254.169.254/latest/meta-data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    openai_vision_ext.FetchBlockedError: refusing to fetch http://169.254.169.254/...
    """
    opts = options or FetchOptions()
    deadline = time.monotonic() + opts.total_timeout
    backend = _GuardedBackend(opts, url, deadline)
    with httpcore2.ConnectionPool(
        ssl_context=ssl.create_default_context(), network_backend=backend, retries=0
    ) as pool:
        for _hop in range(opts.max_redirects + 1):
            backend.url = url
            location = _get(pool, url, opts, deadline)
            if isinstance(location, bytes):
                return location
            url = location
    raise FetchRedirectError(
        f"gave up after {opts.max_redirects} redirects; pass the final image URL", url=url
    )


def _get(
    pool: httpcore2.ConnectionPool, url: str, opts: FetchOptions, deadline: float
) -> bytes | str:
    """One hop: the body (bytes), or the next URL (str) on a redirect."""
    host = _check_url(url)
    timeouts = {
        "connect": opts.timeout,
        "read": opts.timeout,
        "write": opts.timeout,
        "pool": opts.timeout,
    }
    headers = [
        (b"Host", host.encode("idna")),
        (b"User-Agent", _USER_AGENT.encode()),
        (b"Accept", b"image/*"),
    ]
    try:
        with pool.stream("GET", url, headers=headers, extensions={"timeout": timeouts}) as resp:
            if resp.status in _REDIRECTS:
                return _location(url, resp.headers)
            if not 200 <= resp.status < 300:
                raise FetchStatusError(
                    f"fetching {_shown(url)} failed with HTTP {resp.status}",
                    url=url,
                    status=resp.status,
                )
            _check_length(url, resp.headers, opts.max_bytes)
            return _read_capped(url, resp.iter_stream(), opts.max_bytes, deadline)
    except (httpcore2.TimeoutException, TimeoutError):
        if time.monotonic() >= deadline:
            raise _total_timeout(url, opts.total_timeout) from None
        raise FetchTimeoutError(
            f"fetching {_shown(url)} timed out (timeout={opts.timeout}s per operation); "
            "raise FetchOptions(timeout=...) for a slow server",
            url=url,
        ) from None
    except httpcore2.NetworkError as exc:
        raise FetchError(
            f"fetching {_shown(url)} failed: {exc or type(exc).__name__}", url=url
        ) from None
    except httpcore2.ProtocolError as exc:
        raise FetchError(
            f"fetching {_shown(url)} failed: bad HTTP response ({exc})", url=url
        ) from None


_MAX_URL: Final = 8192
"""Longest URL fetched (browsers and servers commonly stop at 8 KiB)."""

_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
"""One DNS label of an ASCII host name (``_`` allowed: real hosts use it in subdomains)."""


_BRACKETED: Final = re.compile(r"\[[0-9A-Fa-f:.]+(?:%25[\w.~-]+)?\](?::[0-9]{1,5})?")


def _check_url(url: str) -> str:
    """Validate ``url`` completely, before any connection; return the ``Host`` header value.

    Every problem is a :class:`FetchURLError` whose message shows the URL redacted."""
    shown = redact_url(url)

    def bad(why: str) -> FetchURLError:
        return FetchURLError(f"cannot fetch {safe(shown)!r}: {why}", url=shown)

    if len(url) > _MAX_URL:
        raise bad(f"the URL is {len(url):,} characters long (at most {_MAX_URL:,})")
    if not url.isascii():
        raise bad(
            "the URL contains non-ASCII characters; percent-encode the path "
            "(urllib.parse.quote) and write the host in punycode (str.encode('idna'))"
        )
    if any(c <= " " or c == "\x7f" for c in url):
        raise bad("the URL contains spaces or control characters; percent-encode them")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError as exc:  # bad port, unbalanced IPv6 brackets, ...
        raise bad(f"it is malformed ({exc})") from None
    if parts.scheme.lower() not in _SCHEMES or not hostname:
        raise bad("only http(s) URLs with a host can be fetched")
    if parts.username is not None or parts.password is not None:
        raise bad("URLs with credentials are refused (they would be sent to the server)")
    if port == 0:
        raise bad("port 0 cannot be connected to")
    netloc = parts.netloc
    if netloc.startswith("[") or ":" in hostname:
        if not _BRACKETED.fullmatch(netloc):
            raise bad(f"the host {elide(netloc, 60)!r} is not a well-formed [IPv6]:port")
        _check_ipv6(hostname, bad)
    else:
        _check_hostname(hostname, bad)
    return netloc


def _check_ipv6(hostname: str, bad: Callable[[str], FetchURLError]) -> None:
    try:
        ipaddress.IPv6Address(hostname)
    except ValueError:
        raise bad(f"{hostname!r} is not a valid IPv6 address") from None


def _check_hostname(hostname: str, bad: Callable[[str], FetchURLError]) -> None:
    name = hostname.removesuffix(".")
    if len(name) > 253:
        raise bad("the host name is longer than 253 characters")
    for label in name.split("."):
        if not _LABEL.fullmatch(label):
            raise bad(
                f"the host name has an invalid label {elide(label, 20)!r} (labels are 1-63 "
                "letters, digits or hyphens, not starting or ending with a hyphen)"
            )


def _shown(url: str) -> str:
    """``url`` as error messages show it: redacted, escaped and elided."""
    return safe(redact_url(url))


def _location(url: str, headers: Iterable[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == b"location":
            target = urljoin(url, value.decode("latin-1").strip())
            _check_url(target)
            return target
    raise FetchRedirectError(f"{_shown(url)} redirected without a Location header", url=url)


def _check_length(url: str, headers: Iterable[tuple[bytes, bytes]], limit: int) -> None:
    for name, value in headers:
        if name.lower() == b"content-length" and value.strip().isdigit() and int(value) > limit:
            raise _too_large(url, int(value), limit)


def _read_capped(url: str, chunks: Iterator[bytes], limit: int, deadline: float) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(url, len(body), limit)
        if time.monotonic() > deadline:
            raise _total_timeout(url, None)
    return bytes(body)


def _total_timeout(url: str, total: float | None) -> FetchTimeoutError:
    limit = "" if total is None else f" of {total}s"
    return FetchTimeoutError(
        f"fetching {_shown(url)} took longer than the total timeout{limit}; "
        "raise FetchOptions(total_timeout=...) for a slow server",
        url=url,
    )


def _too_large(url: str, n_bytes: int, limit: int) -> FetchTooLargeError:
    return FetchTooLargeError(
        f"the image at {_shown(url)} is larger than {limit:,} bytes (got at least {n_bytes:,}); "
        "raise FetchOptions(max_bytes=...) or pass a smaller image",
        url=url,
        n_bytes=n_bytes,
        limit=limit,
    )


class _GuardedBackend(NetworkBackend):
    """A network backend that resolves, checks every address, then connects to a checked one.

    Every stream it returns is bounded by the fetch's deadline (``_DeadlineStream``)."""

    def __init__(self, options: FetchOptions, url: str, deadline: float) -> None:
        self._options = options
        self._inner = SyncBackend()
        self._deadline = deadline
        self.url = url
        """The hop being fetched, for error messages."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> NetworkStream:
        addresses = _resolve(host, port, _capped(self._options.timeout, self._deadline))
        if not addresses:
            raise FetchError(f"cannot resolve host {host!r}", url=self.url)
        for address in addresses:
            if not self._options.allows(address):
                raise FetchBlockedError(
                    f"refusing to fetch {_shown(self.url)}: {address} is not a public address "
                    "(allow it with FetchOptions(allow_networks=...))",
                    url=self.url,
                    address=address,
                )
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, _capped(timeout, self._deadline), local_address, socket_options
                )
            except httpcore2.ConnectError as exc:
                last = exc
            else:
                return _DeadlineStream(stream, self._deadline)
        assert last is not None
        raise last

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(NetworkStream):
    """A stream whose every read, write and TLS handshake gets at most the time left."""

    def __init__(self, inner: NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, self._deadline))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, self._deadline))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _capped(timeout, self._deadline))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _capped(timeout: float | None, deadline: float) -> float:
    """``timeout`` cut down to the time left before ``deadline``; a timeout once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore2.ReadTimeout("the total timeout of the fetch has passed")
    return left if timeout is None else min(timeout, left)


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself), deduplicated.

    ``getaddrinfo`` has no timeout of its own, so it runs in a daemon thread that is abandoned
    (it ends with the resolver's own timeout) if it takes longer than ``timeout``."""
    found: list[list[str]] = []

    def lookup() -> None:
        found.append(_getaddrinfo(host, port))

    thread = threading.Thread(target=lookup, name="openai-vision-ext-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise httpcore2.ConnectTimeout(f"resolving {host!r} took longer than {timeout:.1f}s")
    return found[0] if found else []


def _getaddrinfo(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # gaierror and friends: the host cannot be resolved
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _unmapped(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address embeds (mapped, compatible, NAT64, 6to4, Teredo), else
    ``ip``.

    ``::ffff:10.0.0.1``, ``::10.0.0.1`` or ``64:ff9b::a00:1`` reach 10.0.0.1, so they are judged
    as 10.0.0.1 (``::`` and ``::1`` stay as they are)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return ip


def _networks(cidrs: tuple[str, ...]) -> list[IPNetwork]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]
