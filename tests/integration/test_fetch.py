"""fetch=True against a local HTTP server on 127.0.0.1 (the guard opened for loopback only)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import _helpers
import pytest
from _private import fetch_image

from openai_vision_ext import (
    FetchBlockedError,
    FetchOptions,
    FetchRedirectError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchURLError,
    ImageTooLargeError,
    estimate_image_tokens,
    prepare_image,
)

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

LOOPBACK = FetchOptions(allow_networks=("127.0.0.0/8",), timeout=2.0, total_timeout=5.0)


def png(size: tuple[int, int]) -> bytes:
    return _helpers.png(size, (10, 120, 200))


SMALL = png((64, 48))
LARGE = png((3000, 2000))


class Handler(BaseHTTPRequestHandler):
    """Routes: images, redirects, errors, oversized and slow bodies."""

    protocol_version = "HTTP/1.1"
    hits: list[str] = []  # noqa: RUF012 - shared by the server's threads on purpose

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        routes: dict[str, Callable[[], None]] = {
            "/small.png": lambda: self.body(SMALL),
            "/large.png": lambda: self.body(LARGE),
            "/redirect": lambda: self.redirect("/small.png"),
            "/redirect-private": lambda: self.redirect("http://10.0.0.1/small.png"),
            "/redirect-file": lambda: self.redirect("file:///etc/passwd"),
            "/loop": lambda: self.redirect("/loop"),
            "/no-location": lambda: self.redirect(None),
            "/big": lambda: self.body(b"\0" * 5000),
            "/big-unannounced": self.unannounced,
            "/slow": self.slow,
            "/drip-headers": self.drip_headers,
            "/drip-body": self.drip_body,
            "/redirect-name": lambda: self.redirect(
                f"http://internal.example:{self.port}/small.png"
            ),
        }
        route = routes.get(self.path)
        if route is None:
            self.send_error(404)
        else:
            route()

    @property
    def port(self) -> int:
        return self.connection.getsockname()[1]  # type: ignore[no-any-return]

    def body(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str | None) -> None:
        self.send_response(302)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def unannounced(self) -> None:
        """A body with no Content-Length (chunked) that never ends on its own."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with contextlib.suppress(OSError):  # the client hangs up, as it should
            for _ in range(10_000):
                self.wfile.write(b"400\r\n" + b"\0" * 1024 + b"\r\n")

    def slow(self) -> None:
        time.sleep(1.0)
        with contextlib.suppress(OSError):  # the client gave up, as it should
            self.body(SMALL)

    def drip(self, data: bytes) -> None:
        """Send ``data`` one byte every 20 ms: each read succeeds, the whole takes ages."""
        with contextlib.suppress(OSError):  # the client hangs up, as it should
            for i in range(len(data)):
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(0.02)

    def drip_headers(self) -> None:
        """Status line and 150 harmless headers, dripped (about 30 s in all)."""
        headers = b"".join(b"X-Pad-%d: x\r\n" % i for i in range(150))
        self.drip(b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: 0\r\n\r\n")

    def drip_body(self) -> None:
        """Prompt headers, then a 1,500-byte body dripped (about 30 s)."""
        self.send_response(200)
        self.send_header("Content-Length", "1500")
        self.end_headers()
        self.drip(b"\0" * 1500)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def clear_hits() -> None:
    Handler.hits.clear()


def test_an_image_is_downloaded_when_loopback_is_allowed(base_url: str) -> None:
    """With 127.0.0.0/8 allowed, the body is returned byte for byte."""
    assert fetch_image(f"{base_url}/small.png", options=LOOPBACK) == SMALL


def test_loopback_is_refused_by_default_without_connecting(base_url: str) -> None:
    """With default options the guard refuses 127.0.0.1 and the server sees no request."""
    with pytest.raises(FetchBlockedError):
        fetch_image(f"{base_url}/small.png")
    assert Handler.hits == []


def test_redirects_are_followed(base_url: str) -> None:
    """A 302 to another path on the allowed host is followed."""
    assert fetch_image(f"{base_url}/redirect", options=LOOPBACK) == SMALL
    assert Handler.hits == ["/redirect", "/small.png"]


def test_a_redirect_to_a_private_address_is_refused(base_url: str) -> None:
    """The guard runs again on every hop: a redirect to 10.0.0.1 is refused."""
    with pytest.raises(FetchBlockedError) as info:
        fetch_image(f"{base_url}/redirect-private", options=LOOPBACK)
    assert info.value.address == "10.0.0.1"


def test_a_redirect_to_another_scheme_is_refused(base_url: str) -> None:
    """A redirect to file:// is refused like a file:// URL."""
    with pytest.raises(FetchURLError):
        fetch_image(f"{base_url}/redirect-file", options=LOOPBACK)


def test_a_redirect_loop_stops_at_the_limit(base_url: str) -> None:
    """A redirect loop ends with FetchRedirectError after max_redirects + 1 requests."""
    opts = FetchOptions(allow_networks=LOOPBACK.allow_networks, max_redirects=3)
    with pytest.raises(FetchRedirectError):
        fetch_image(f"{base_url}/loop", options=opts)
    assert len(Handler.hits) == 4


def test_a_redirect_without_location_is_an_error(base_url: str) -> None:
    """A 302 with no Location raises FetchRedirectError."""
    with pytest.raises(FetchRedirectError, match="Location"):
        fetch_image(f"{base_url}/no-location", options=LOOPBACK)


def test_an_http_error_status_is_reported(base_url: str) -> None:
    """A 404 raises FetchStatusError carrying the status."""
    with pytest.raises(FetchStatusError) as info:
        fetch_image(f"{base_url}/missing.png", options=LOOPBACK)
    assert info.value.status == 404


def test_an_announced_oversized_body_is_refused(base_url: str) -> None:
    """A Content-Length over max_bytes is refused; the error is also an ImageTooLargeError."""
    opts = FetchOptions(allow_networks=LOOPBACK.allow_networks, max_bytes=1000)
    with pytest.raises(FetchTooLargeError) as info:
        fetch_image(f"{base_url}/big", options=opts)
    assert isinstance(info.value, ImageTooLargeError)
    assert (info.value.n_bytes, info.value.limit) == (5000, 1000)


def test_an_endless_body_is_cut_off_at_the_cap(base_url: str) -> None:
    """A chunked body with no length is read only up to just past max_bytes."""
    opts = FetchOptions(allow_networks=LOOPBACK.allow_networks, max_bytes=100_000)
    with pytest.raises(FetchTooLargeError) as info:
        fetch_image(f"{base_url}/big-unannounced", options=opts)
    assert 100_000 < info.value.n_bytes < 100_000 + 200_000


def test_a_slow_server_times_out(base_url: str) -> None:
    """A server that takes 1 s to answer exceeds a 0.2 s read timeout."""
    opts = FetchOptions(allow_networks=LOOPBACK.allow_networks, timeout=0.2)
    with pytest.raises(FetchTimeoutError):
        fetch_image(f"{base_url}/slow", options=opts)


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_a_slow_drip_server_is_cut_off_by_the_total_timeout(base_url: str, path: str) -> None:
    """A server sending a byte every 20 ms never trips the 2 s per-read timeout; the 0.5 s
    total timeout still ends the fetch, whether it drips the headers or the body."""
    opts = FetchOptions(allow_networks=LOOPBACK.allow_networks, timeout=2.0, total_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="total timeout"):
        fetch_image(f"{base_url}{path}", options=opts)
    assert time.monotonic() - start < 1.5


def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hop is resolved and checked again: a redirect to a host name whose DNS answer is
    10.0.0.5 is refused before connecting, although the first hop was allowed."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host == "internal.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchBlockedError) as info:
        fetch_image(f"{base_url}/redirect-name", options=LOOPBACK)
    assert info.value.address == "10.0.0.5"
    assert Handler.hits == ["/redirect-name"]


@pytest.mark.parametrize(
    "host",
    ["localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f.0.0.1", "127.1"],
    ids=["name", "ipv4-mapped-ipv6", "decimal", "hex", "short"],
)
def test_other_spellings_of_loopback_are_refused_without_connecting(
    base_url: str, host: str
) -> None:
    """Loopback written as a name, an IPv4-mapped IPv6 literal or a decimal/hex/short IPv4 is
    judged by the address it resolves to, and refused by default: the server sees nothing."""
    port = base_url.rpartition(":")[2]
    with pytest.raises(FetchBlockedError):
        fetch_image(f"http://{host}:{port}/small.png")
    assert Handler.hits == []


def test_a_fetched_image_is_prepared_like_a_local_one(base_url: str) -> None:
    """prepare_image(url, fetch=True) downloads, then shrinks with an identical estimate."""
    p = prepare_image(
        f"{base_url}/large.png", fetch=True, fetch_options=LOOPBACK, model="gpt-4o", detail="high"
    )
    assert p.url is None
    assert p.info is not None
    assert p.actions == ("fetched", "resized")
    assert p.original_n_bytes == len(LARGE)
    assert estimate_image_tokens(
        p.info.width, p.info.height, model="gpt-4o", detail="high"
    ) == estimate_image_tokens(3000, 2000, model="gpt-4o", detail="high")
