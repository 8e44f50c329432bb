"""The VCR settings shared by ``conftest.py`` (replay) and ``_build_cassettes.py`` (recording).

No ``record_mode`` here: it comes from the command line (CI: ``--record-mode=none``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path
from typing import Any

__all__ = ["CASSETTES", "scrub_data_urls", "vcr_settings"]

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
"""Top-level ``cassettes/``; one folder per test module."""

_DATA_URL = re.compile(rb"data:([a-z]+/[A-Za-z0-9.+-]+);base64,([A-Za-z0-9+/=]+)")
"""A base64 data URL of any MIME type: images, and the PDFs and documents of file parts."""

_KEEP_RESPONSE_HEADERS = frozenset({"content-type", "x-request-id"})


def _digest(match: re.Match[bytes]) -> bytes:
    try:
        payload = base64.b64decode(match.group(2), validate=True)
    except binascii.Error:
        payload = match.group(2)
    return b"data:" + match.group(1) + b";sha256," + hashlib.sha256(payload).hexdigest().encode()


def scrub_data_urls(body: bytes) -> bytes:
    """Replace each data URL (image or file) by its sha256, so cassettes hold no image or file
    bytes and matching on the body stays exact.

    >>> scrub_data_urls(b'{"u": "data:image/png;base64,aGk="}')[:47]  # base64 of b"hi"
    b'{"u": "data:image/png;sha256,8f434346648f6b96df'
    >>> hashlib.sha256(b"hi").hexdigest()[:18]
    '8f434346648f6b96df'
    """
    return _DATA_URL.sub(_digest, body)


def _before_record_request(request: Any) -> Any:
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if body:
        request.body = scrub_data_urls(body)
    return request


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEEP_RESPONSE_HEADERS}
    return response


def vcr_settings() -> dict[str, Any]:
    """Keyword arguments for ``vcr.VCR``/pytest-recording's ``vcr_config`` (never record_mode)."""
    return {
        "filter_headers": [
            "authorization",
            "api-key",
            "openai-organization",
            "openai-project",
            "cookie",
            "set-cookie",
            "host",
        ],
        "before_record_request": _before_record_request,
        "before_record_response": _before_record_response,
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }
