"""The fetch SSRF guard and URL rules, without any connection (everything is refused first)."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from _private import fetch_image, http_url

from openai_vision_ext import (
    FetchBlockedError,
    FetchError,
    FetchOptions,
    FetchTimeoutError,
    FetchURLError,
    InvalidOptionError,
    OpenAIVisionExtError,
    prepare_image,
)

pytestmark = pytest.mark.block_network  # a connection attempt would fail these tests loudly

NON_PUBLIC = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",  # reserved
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",  # with a zone
    "fc00::1",
    "fec0::1",  # site-local
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "ff02::1",
    "ff0e::1",  # global-scope multicast
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_the_guard_refuses_non_public_addresses(address: str) -> None:
    """Private, loopback, link-local, shared, multicast and reserved addresses are refused,
    including IPv4 addresses hidden inside IPv6 ones."""
    assert not FetchOptions().allows(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_the_guard_lets_public_addresses_through(address: str) -> None:
    """Public IPv4 and IPv6 addresses are allowed."""
    assert FetchOptions().allows(address)


def test_allow_networks_opens_exactly_the_listed_networks() -> None:
    """Allowing 127.0.0.0/8 opens loopback IPv4, not private ranges or IPv6 loopback."""
    opts = FetchOptions(allow_networks=("127.0.0.0/8",))
    assert (opts.allows("127.0.0.1"), opts.allows("10.0.0.1"), opts.allows("::1")) == (
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"max_bytes": 0},
        {"timeout": 0},
        {"total_timeout": -1.0},
        {"max_redirects": -1},
        {"allow_networks": ("localhost",)},
        {"allow_networks": "127.0.0.0/8"},
    ],
)
def test_fetch_options_out_of_range_are_refused_when_made(options: dict[str, Any]) -> None:
    """Non-positive limits, negative redirects and networks that are not CIDR tuples raise
    InvalidOptionError (a ValueError of this package) at construction, not mid-fetch."""
    with pytest.raises(InvalidOptionError) as info:
        FetchOptions(**options)
    assert isinstance(info.value, OpenAIVisionExtError)
    assert isinstance(info.value, ValueError)


def test_allow_networks_matches_an_ipv6_address_as_written() -> None:
    """Allowing ::1/128 opens IPv6 loopback, although ::1 is not an IPv4-embedding address."""
    assert FetchOptions(allow_networks=("::1/128",)).allows("::1")


def test_an_ipv4_mapped_address_is_allowed_by_its_ipv4_network() -> None:
    """::ffff:127.0.0.1 reaches 127.0.0.1, so allowing 127.0.0.0/8 allows it too."""
    assert FetchOptions(allow_networks=("127.0.0.0/8",)).allows("::ffff:127.0.0.1")


def fake_dns(answers: dict[str, list[str]]) -> Any:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    return getaddrinfo


def test_a_hostname_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard judges what a name resolves to, not the name."""
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({"images.example": ["10.0.0.7"]}))
    with pytest.raises(FetchBlockedError) as info:
        fetch_image("https://images.example/cat.png")
    assert info.value.address == "10.0.0.7"


def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """One private address among public ones is enough to refuse (no picking the good one)."""
    monkeypatch.setattr(
        socket, "getaddrinfo", fake_dns({"mixed.example": ["93.184.215.14", "192.168.0.9"]})
    )
    with pytest.raises(FetchBlockedError) as info:
        fetch_image("http://mixed.example/cat.png")
    assert info.value.address == "192.168.0.9"


def test_a_dns_lookup_that_hangs_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo has no timeout of its own; a resolver stuck for 3 s still ends the fetch
    after the 0.2 s timeout with FetchTimeoutError."""

    def stuck(*args: Any, **kwargs: Any) -> list[Any]:
        time.sleep(3)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        fetch_image("https://slow-dns.example/cat.png", options=FetchOptions(timeout=0.2))
    assert time.monotonic() - start < 1.5


def test_an_unresolvable_host_is_a_fetch_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that does not resolve raises FetchError naming the host."""

    def nxdomain(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    with pytest.raises(FetchError, match=r"cannot resolve host 'nowhere\.example'"):
        fetch_image("https://nowhere.example/cat.png")


def test_cloud_metadata_is_refused_by_default() -> None:
    """The classic SSRF target, 169.254.169.254, is refused with a hint to allow networks."""
    with pytest.raises(FetchBlockedError, match="allow_networks"):
        fetch_image("http://169.254.169.254/latest/meta-data/")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.png", "gopher://example.com/"]
)
def test_non_http_schemes_are_refused(url: str) -> None:
    """Only http and https URLs are fetched or passed through."""
    with pytest.raises(FetchURLError):
        prepare_image(url, fetch=True)


def test_urls_with_credentials_are_refused() -> None:
    """user:password@ in a URL is refused rather than sent to the host."""
    with pytest.raises(FetchURLError, match="credentials"):
        fetch_image("https://user:secret@example.com/a.png")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com/a.png", "https://example.com/a.png"),
        ("HTTP://example.com/a.png", "HTTP://example.com/a.png"),
        ("photos/a.png", None),
        ("C:\\photos\\a.png", None),
        ("data:image/png;base64,AAAA", None),
    ],
)
def test_http_url_tells_urls_from_paths(text: str, expected: str | None) -> None:
    """http(s) URLs are URLs; paths (also Windows paths) and data URLs are not."""
    assert http_url(text) == expected
