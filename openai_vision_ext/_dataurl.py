"""Base64 ``data:`` URLs (RFC 2397), the one home for images and files alike. Pure.

* :func:`is_data_url` is the one "is this a data URL" test (``data:`` in any case);
* :func:`parse_head` reads the header from the first kilobyte only: the declared MIME type
  (lower-cased) and where the payload starts;
* :func:`decode` strictly decodes a slice of the payload (whole base64 quads), naming the
  problem (whitespace, URL-safe alphabet, percent-encoding, padding) when it is not base64.

What the MIME must be and whether the bytes agree with it are the caller's rules (``_image.images``
for images, ``_files`` for files); errors are raised as the caller's type (:class:`Flavour`).
"""

from __future__ import annotations

import binascii
from typing import Final, NamedTuple, TypeGuard

from ._exceptions import OpenAIVisionExtError

__all__ = ["Flavour", "Head", "decode", "is_data_url", "parse_head"]

_HEAD_CHARS: Final = 1024
"""The header (``data:<mime>;<params>;base64,``) must end within this many characters."""


class Flavour(NamedTuple):
    """How one kind of data URL reports problems: its error type, an example and its builder.

    >>> Flavour(OpenAIVisionExtError, "data:image/png;base64,...", "image_part()").builder
    'image_part()'
    """

    error: type[OpenAIVisionExtError]
    example: str
    builder: str


class Head(NamedTuple):
    """A data URL's declared MIME type (stripped, lower-cased) and where its payload starts."""

    mime: str
    start: int


def is_data_url(value: object) -> TypeGuard[str]:
    """True for strings starting with ``data:`` in any case (the one data-URL test).

    >>> is_data_url("data:image/png;base64,AAAA"), is_data_url("DATA:image/png;base64,AAAA")
    (True, True)
    >>> is_data_url("photo.png")
    False
    """
    return isinstance(value, str) and value[:5].lower() == "data:"


def parse_head(url: str, flavour: Flavour) -> Head:
    """The declared MIME type and payload start of a base64 data URL, from its first KB.

    >>> parse_head("DATA:Image/PNG;base64,iVBORw==", _DOCTEST)
    Head(mime='image/png', start=22)
    >>> parse_head("data:text/plain,hello", _DOCTEST)
    Traceback (most recent call last):
    ...
    openai_vision_ext.OpenAIVisionExtError: the data URL is not base64-encoded (no ';base64,' \
marker); expected 'data:x/y;base64,...' (f() builds it)
    """
    if not is_data_url(url):
        raise flavour.error("not a data URL: it must start with 'data:'")
    comma = url.find(",", 5, _HEAD_CHARS)
    if comma < 0:
        raise flavour.error(
            f"malformed data URL: no ',' within its first {_HEAD_CHARS} characters; expected "
            f"{flavour.example!r} ({flavour.builder} builds it)"
        )
    params = url[5:comma].split(";")
    if len(params) < 2 or params[-1].strip().lower() != "base64":
        raise flavour.error(
            "the data URL is not base64-encoded (no ';base64,' marker); expected "
            f"{flavour.example!r} ({flavour.builder} builds it)"
        )
    return Head(params[0].strip().lower(), comma + 1)


def decode(url: str, flavour: Flavour, start: int, end: int | None = None) -> bytes:
    """Strictly decode ``url[start:end]`` (whole base64 quads; ``end`` defaults to the end).

    >>> decode("data:image/png;base64,iVBORw==", _DOCTEST, 22)
    b'\\x89PNG'
    >>> decode("data:image/png;base64,iVBO Rw==", _DOCTEST, 22)
    Traceback (most recent call last):
    ...
    openai_vision_ext.OpenAIVisionExtError: the data URL's payload is not valid base64: it \
contains whitespace or line breaks; encode the bytes with base64.b64encode (no line breaks), \
or let f() build the URL
    """
    try:
        return binascii.a2b_base64(url[start:end], strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise flavour.error(_base64_problem(url, start, exc, flavour)) from None


def _base64_problem(url: str, start: int, exc: Exception, flavour: Flavour) -> str:
    sample = url[start : start + (1 << 16)]
    if any(c in sample for c in " \t\r\n"):
        why = "it contains whitespace or line breaks"
    elif "-" in sample or "_" in sample:
        why = "it uses URL-safe base64 ('-', '_'); use standard base64"
    elif "%" in sample:
        why = "it is percent-encoded; decode it first"
    else:
        why = f"{exc}".lower().rstrip(".")
    return (
        f"the data URL's payload is not valid base64: {why}; encode the bytes with "
        f"base64.b64encode (no line breaks), or let {flavour.builder} build the URL"
    )


_DOCTEST: Final = Flavour(OpenAIVisionExtError, "data:x/y;base64,...", "f()")
