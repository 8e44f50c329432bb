"""PURE: read the usage the API billed from a Response, a ChatCompletion or a final stream event.

The SDK objects are only read, never changed. Both APIs name the same numbers differently, so the
attribute paths live in one table per API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._types import Api

__all__ = ["BilledUsage", "billed_usage"]


@dataclass(frozen=True, slots=True)
class BilledUsage:
    """Billed token counts of one response (``None`` where the API did not say)."""

    input_tokens: int | None
    """Whole billed input: text, images and framing (``prompt_tokens`` on Chat Completions)."""
    cached_tokens: int | None
    """Part of the input served from the prompt cache."""
    output_tokens: int | None
    """Billed output (``completion_tokens`` on Chat Completions)."""
    reasoning_tokens: int | None
    """Part of the output spent on reasoning."""


_PATHS: Mapping[Api, Mapping[str, tuple[str, ...]]] = {
    "responses": {
        "input_tokens": ("input_tokens",),
        "cached_tokens": ("input_tokens_details", "cached_tokens"),
        "output_tokens": ("output_tokens",),
        "reasoning_tokens": ("output_tokens_details", "reasoning_tokens"),
    },
    "chat.completions": {
        "input_tokens": ("prompt_tokens",),
        "cached_tokens": ("prompt_tokens_details", "cached_tokens"),
        "output_tokens": ("completion_tokens",),
        "reasoning_tokens": ("completion_tokens_details", "reasoning_tokens"),
    },
}


def billed_usage(api: Api, response: object) -> BilledUsage | None:
    """Return the billed usage carried by ``response`` (anything with a ``usage``), or ``None``.

    Works for ``Response``, ``ParsedResponse``, ``ChatCompletion`` and the last
    ``ChatCompletionChunk`` of a stream that asked for usage.

    >>> from openai.types.completion_usage import CompletionUsage
    >>> from types import SimpleNamespace
    >>> chunk = SimpleNamespace(usage=CompletionUsage(
    ...     prompt_tokens=269, completion_tokens=12, total_tokens=281))
    >>> billed_usage("chat.completions", chunk)
    BilledUsage(input_tokens=269, cached_tokens=None, output_tokens=12, reasoning_tokens=None)
    >>> billed_usage("responses", SimpleNamespace(usage=None)) is None
    True
    """
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    paths = _PATHS[api]
    return BilledUsage(
        input_tokens=_read_int(usage, paths["input_tokens"]),
        cached_tokens=_read_int(usage, paths["cached_tokens"]),
        output_tokens=_read_int(usage, paths["output_tokens"]),
        reasoning_tokens=_read_int(usage, paths["reasoning_tokens"]),
    )


def _read_int(obj: object, path: tuple[str, ...]) -> int | None:
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj if isinstance(obj, int) and not isinstance(obj, bool) else None
