"""PURE: make user-supplied text safe to echo in messages, reprs, logs and records.

One home for three rules, used by every module that puts a URL, a path or other user text
into an error message, a ``repr``, a log line or an audit record:

* :func:`redact_url` hides credentials (``user:password@``) and the values of signed-URL query
  parameters (``sig``, ``signature``, ``token``, ``X-Amz-*``, ``X-Goog-*``, ...), and shortens a
  ``data:`` URL to its header and payload length.
* :func:`escape` turns control characters (newlines, ANSI escapes, Unicode line separators)
  into visible escapes, so a value cannot break a log line in two or hide text.
* :func:`elide` keeps a short head of a long text and says how long it was.

:func:`safe` does all three (the usual call for anything user-supplied); :func:`redact_text`
redacts every URL found inside a free-form message (an exception's text).
"""

from __future__ import annotations

import re
from typing import Final

from ._dataurl import is_data_url

__all__ = ["MAX_SHOWN", "elide", "escape", "redact_text", "redact_url", "safe"]

MAX_SHOWN: Final = 120
"""Characters of user text shown at most in a message (the rest is elided, with its length)."""

REDACTED: Final = "REDACTED"

_SECRET_PARAMS: Final = frozenset(
    {
        "sig",
        "signature",
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "auth",
        "authorization",
        "key",
        "api_key",
        "apikey",
        "password",
        "pass",
        "secret",
        "client_secret",
        "credential",
        "session",
        "sessionid",
        "policy",
        "skoid",
        "sktid",
        "skt",
        "ske",
        "sks",
        "skv",
        "key-pair-id",
    }
)
"""Query parameters whose values authorise a request (Azure SAS, CloudFront, OAuth, ...)."""

_SECRET_PREFIXES: Final = ("x-amz-", "x-goog-", "x-oss-", "x-cos-", "x-ms-")
"""Prefixes of signed-URL parameters (S3, GCS, Alibaba OSS, Tencent COS, Azure)."""

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e]")
"""Characters that break a log line, move the cursor, or reorder text when displayed."""

_URL: Final = re.compile(r"(?i)\b(?:https?|data|ftp|wss?)://?[^\s'\"<>]+|\bdata:[^\s'\"<>]+")


def escape(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\n``, ``\\x1b``, ``\\u2028``).

    >>> escape("image/png\\nFAKE LOG LINE")
    'image/png\\\\nFAKE LOG LINE'
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def elide(text: str, limit: int = MAX_SHOWN) -> str:
    """At most ``limit`` characters of ``text``, then ``...`` and the full length.

    >>> elide("a" * 300, 10)
    'aaaaaaaaaa...(300 chars)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...({len(text):,} chars)"


def redact_url(url: str) -> str:
    """``url`` without credentials or signature values; a data URL without its payload.

    Works on malformed URLs too (it never parses ports or hosts, which can raise).

    >>> redact_url("https://user:pw@example.com/a.png?X-Amz-Signature=abc&w=2")
    'https://REDACTED@example.com/a.png?X-Amz-Signature=REDACTED&w=2'
    >>> redact_url("data:image/png;base64," + "A" * 5000)
    'data:image/png;base64,<5000 chars>'
    """
    if is_data_url(url):
        head, comma, payload = url.partition(",")
        return f"{head[:64]}{comma}<{len(payload)} chars>" if comma else elide(url, 64)
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    end = len(rest)
    for stop in "/?#":
        found = rest.find(stop)
        if 0 <= found < end:
            end = found
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        authority = f"{REDACTED}@{authority.rpartition('@')[2]}"
    tail = _redact_query(tail)
    return f"{scheme}{sep}{authority}{tail}"


def _redact_query(tail: str) -> str:
    before, q, after = tail.partition("?")
    if not q:
        return _redact_fragment(tail)
    query, hash_, fragment = after.partition("#")
    params = [_redact_param(p) for p in query.split("&")]
    return f"{before}?{'&'.join(params)}{hash_}{_redact_params(fragment) if hash_ else ''}"


def _redact_fragment(tail: str) -> str:
    before, hash_, fragment = tail.partition("#")
    return f"{before}{hash_}{_redact_params(fragment)}" if hash_ else tail


def _redact_params(text: str) -> str:
    """OAuth implicit flows put ``access_token=`` in the fragment: redact those too."""
    return "&".join(_redact_param(p) for p in text.split("&")) if "=" in text else text


def _redact_param(param: str) -> str:
    name, eq, value = param.partition("=")
    if not eq or not value:
        return param
    key = name.lower()
    if key in _SECRET_PARAMS or key.startswith(_SECRET_PREFIXES) or "token" in key:
        return f"{name}={REDACTED}"
    return param


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (for messages that embed URLs).

    >>> redact_text("fetching https://a:b@h/x?sig=1 failed")
    'fetching https://REDACTED@h/x?sig=REDACTED failed'
    """
    return _URL.sub(lambda m: redact_url(m.group()), text)


def safe(text: str, limit: int = MAX_SHOWN) -> str:
    """User text ready for a message or log: URLs redacted, escaped, then elided.

    >>> safe("https://u:p@h/a.png\\n")
    'https://REDACTED@h/a.png\\\\n'
    """
    return elide(escape(redact_text(text)), limit)
