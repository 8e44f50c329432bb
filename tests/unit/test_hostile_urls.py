"""Hostile strings: broken URLs, credentials, signed URLs, disguised data URLs, long strings.

Every URL problem is a FetchURLError raised before any connection; nothing secret and no
payload is echoed in a message or a repr.
"""

from __future__ import annotations

import base64
import io
import socket
from typing import Any

import pytest
from _helpers import data_url, png

from openai_vision_ext import (
    FetchError,
    FetchURLError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    image_part,
    inspect_image,
    prepare_image,
)


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything resolves or connects."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


BROKEN_URLS = [
    "http://exämple.com/a.png",
    "https://example.com/caf\u00e9.png",
    "http://example.com:99999/a.png",
    "http://example.com:port/a.png",
    "http://example.com:-1/a.png",
    "http://example.com:0/a.png",
    "http://[::1/a.png",
    "http://[zz::1]/a.png",
    "http://[::1]]/a.png",
    "http://" + "a" * 64 + ".example.com/a.png",
    "http://" + ".".join(["abcdefghij"] * 30) + "/a.png",
    "http://-bad-.example.com/a.png",
    "http://exa mple.com/a.png",
    "http://example.com/a.png\r\nX-Injected: 1",
    "http://example..com/a.png",
    "http:///a.png",
    "https://" + "a" * 9000,
]


@pytest.mark.parametrize("url", BROKEN_URLS, ids=range(len(BROKEN_URLS)))
def test_every_broken_url_is_a_fetch_url_error_before_any_connection(
    url: str, no_connection: None
) -> None:
    """Non-ASCII, bad ports, broken IPv6, over-long labels and names, whitespace: FetchURLError."""
    with pytest.raises(FetchURLError) as caught:
        prepare_image(url, fetch=True)
    message = str(caught.value)
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) < 500


def test_credentials_are_refused_and_never_echoed(no_connection: None) -> None:
    """The refusal of http://user:password@host names neither the user nor the password."""
    with pytest.raises(FetchURLError) as caught:
        prepare_image("http://alice:hunter2@example.com/a.png", fetch=True)
    assert "hunter2" not in str(caught.value)
    assert "alice" not in str(caught.value)
    assert "hunter2" not in caught.value.url
    assert "alice" not in caught.value.url
    assert "REDACTED@example.com" in str(caught.value)


SIGNED = [
    ("https://b.s3.amazonaws.com/a.png?X-Amz-Signature=s3cret&X-Amz-Credential=AKIA1", "s3cret"),
    ("https://a.blob.core.windows.net/c/a.png?sv=2024&sig=s3cret", "s3cret"),
    ("https://cdn.example.com/a.png?Signature=s3cret&Key-Pair-Id=K1", "s3cret"),
    ("https://example.com/a.png?token=s3cret", "s3cret"),
    ("https://example.com/a.png?x-goog-signature=s3cret", "s3cret"),
    ("https://example.com/a.png#access_token=s3cret", "s3cret"),
]


@pytest.mark.parametrize(("url", "secret"), SIGNED)
def test_signed_url_values_are_redacted_in_fetch_errors(url: str, secret: str) -> None:
    """A failing fetch of a signed URL shows the URL without its signature."""
    scheme, _, rest = url.partition("://")
    loopback = f"{scheme}://127.0.0.1/{rest.partition('/')[2]}"  # refused by the SSRF guard
    with pytest.raises(FetchError) as caught:
        prepare_image(loopback, fetch=True)
    assert secret not in str(caught.value)
    assert secret not in caught.value.url


def test_signed_url_in_summary_and_repr_is_redacted() -> None:
    """A URL passed through shows up in summary() and repr() without its signature."""
    prepared = prepare_image("https://example.com/a.png?sig=s3cret&w=1")
    assert "s3cret" not in prepared.summary()
    assert "s3cret" not in repr(prepared)
    assert prepared.url == "https://example.com/a.png?sig=s3cret&w=1"  # sent as given


def _png(side: int = 300) -> bytes:
    return png((side, side), "red")


def test_prepared_image_repr_holds_no_payload() -> None:
    """repr(PreparedImage) names sizes and actions, never the bytes."""
    data = _png()
    prepared = prepare_image(data)
    text = repr(prepared)
    assert len(text) < 600
    assert base64.b64encode(data[:30]).decode()[:20] not in text
    assert repr(data[:12])[2:-1] not in text


DATA_URL = data_url(_png() * 20)

DISGUISED = {
    "leading space": " " + DATA_URL,
    "leading newline": "\n" + DATA_URL,
    "double quotes": f'"{DATA_URL}"',
    "single quotes": f"'{DATA_URL}'",
    "css url": f"url({DATA_URL})",
    "css url quoted": f"url('{DATA_URL}')",
    "no data: prefix": DATA_URL[5:],
}


@pytest.mark.parametrize("text", DISGUISED.values(), ids=DISGUISED.keys())
@pytest.mark.parametrize("entry", [inspect_image, image_part, prepare_image])
def test_disguised_data_urls_are_invalid_data_url_errors(text: str, entry: Any) -> None:
    """Quoted, wrapped, indented or prefix-less data URLs: InvalidDataURLError, no payload."""
    with pytest.raises(InvalidDataURLError) as caught:
        entry(text)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("entry", [inspect_image, image_part, prepare_image])
def test_a_string_longer_than_a_path_is_never_opened(entry: Any) -> None:
    """Raw base64 (or any text) longer than PATH_MAX is refused without a file-system call."""
    raw = DATA_URL.partition(",")[2]
    with pytest.raises(ImageSourceError, match="too long to be a file path") as caught:
        entry(raw)
    assert len(str(caught.value)) < 300


def test_control_characters_in_a_missing_path_are_escaped() -> None:
    """A path holding a newline shows it escaped in the error (no forged log lines)."""
    with pytest.raises(ImageSourceError) as caught:
        inspect_image("missing\nWARNING forged line.png")
    assert "\n" not in str(caught.value)
    assert "\\n" in str(caught.value)


class _Pipe(io.RawIOBase):
    """A non-seekable stream of ``n`` zero bytes after a PNG signature, counting reads."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.left, 1 << 20)
        head = b"\x89PNG\r\n\x1a\n" if self.read_bytes == 0 else b""
        view[:n] = (head + bytes(n))[:n]
        self.left -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("entry", [inspect_image, image_part, prepare_image])
def test_a_huge_non_seekable_stream_is_refused_while_reading(entry: Any) -> None:
    """300 MB through a pipe: refused after about 64 MiB, not read to its end first."""
    pipe = _Pipe(300 * 2**20)
    with pytest.raises(ImageTooLargeError):
        entry(io.BufferedReader(pipe))
    assert pipe.read_bytes < 80 * 2**20
