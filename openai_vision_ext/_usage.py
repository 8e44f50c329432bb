"""PURE: read the usage the API billed from a Response, a ChatCompletion or a final stream event.

The SDK objects are only read, never changed. Both APIs name the same numbers differently, so the
attribute paths live in one table per API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Final

from ._records import maker
from ._types import Api

__all__ = ["ABSURD_TOKENS", "BilledUsage", "billed_usage", "check_usage"]

ABSURD_TOKENS: Final = 100_000_000
"""A count above this is not a real bill: no model's context window or output comes near it."""


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
    cache_write_tokens: int | None = None
    """Part of the input written to the prompt cache (billed at the write rate where published)."""
    cache_write_12h_tokens: int | None = None
    """Part of ``cache_write_tokens`` kept 12 hours (``None`` when not broken down)."""
    service_tier: str | None = None
    """``service_tier`` the response says served it (``default``, ``flex``, ``priority``...)."""


_new_usage = maker(BilledUsage)
"""Per-response constructor of ``BilledUsage`` (see ``_records``)."""

_PATHS: Mapping[Api, Mapping[str, tuple[str, ...]]] = {
    "responses": {
        "input_tokens": ("input_tokens",),
        "cached_tokens": ("input_tokens_details", "cached_tokens"),
        "output_tokens": ("output_tokens",),
        "reasoning_tokens": ("output_tokens_details", "reasoning_tokens"),
        "cache_write_tokens": ("input_tokens_details", "cache_write_tokens"),
        "cache_write_12h_tokens": (
            "input_tokens_details",
            "cache_write_tokens_details",
            "ttl_12h_tokens",
        ),
    },
    "chat.completions": {
        "input_tokens": ("prompt_tokens",),
        "cached_tokens": ("prompt_tokens_details", "cached_tokens"),
        "output_tokens": ("completion_tokens",),
        "reasoning_tokens": ("completion_tokens_details", "reasoning_tokens"),
        "cache_write_tokens": ("prompt_tokens_details", "cache_write_tokens"),
        "cache_write_12h_tokens": (
            "prompt_tokens_details",
            "cache_write_tokens_details",
            "ttl_12h_tokens",
        ),
    },
}
COUNTS: Final = tuple(f.name for f in fields(BilledUsage) if f.name != "service_tier")
"""The counts of ``BilledUsage`` (every field but ``service_tier``), in field order."""


def billed_usage(api: Api, response: object) -> BilledUsage | None:
    """Return the billed usage carried by ``response`` (anything with a ``usage``), or ``None``.

    Works for ``Response``, ``ParsedResponse``, ``ChatCompletion`` and the last
    ``ChatCompletionChunk`` of a stream that asked for usage.

    >>> from openai.types.completion_usage import CompletionUsage
    >>> from types import SimpleNamespace
    >>> chunk = SimpleNamespace(usage=CompletionUsage(
    ...     prompt_tokens=269, completion_tokens=12, total_tokens=281))
    >>> billed_usage("chat.completions", chunk).input_tokens
    269
    >>> billed_usage("responses", SimpleNamespace(usage=None)) is None
    True
    """
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    tier = getattr(response, "service_tier", None)
    inputs, cached, outputs, reasoning, writes, writes_12h = [
        _read_int(usage, read)
        for read in _READERS[api]  # in COUNTS (field) order
    ]
    return _new_usage(
        inputs,
        cached,
        outputs,
        reasoning,
        writes,
        writes_12h,
        service_tier=tier if isinstance(tier, str) else None,
    )


def check_usage(usage: BilledUsage) -> tuple[BilledUsage, tuple[str, ...]]:
    """Sanity-check what the server billed: a negative or absurd count (above
    ``ABSURD_TOKENS``), or parts larger than their whole, becomes ``None`` for pricing, with a
    note saying what was odd. The report keeps the numbers the server sent; only the cost uses
    the checked copy, so it is never negative or infinite.

    >>> odd = BilledUsage(input_tokens=-5, cached_tokens=0, output_tokens=3, reasoning_tokens=0)
    >>> checked, notes = check_usage(odd)
    >>> checked.input_tokens, notes
    (None, ('server usage input_tokens=-5 is negative: not priced',))
    """
    notes: list[str] = []
    changes: dict[str, None] = {}
    for name in COUNTS:
        value = getattr(usage, name)
        if value is None:
            continue
        if value < 0:
            notes.append(f"server usage {name}={value} is negative: not priced")
            changes[name] = None
        elif value > ABSURD_TOKENS:
            notes.append(f"server usage {name}={value} is implausibly large: not priced")
            changes[name] = None
    checked = replace(usage, **changes) if changes else usage
    whole = checked.input_tokens
    parts = (checked.cached_tokens or 0) + (checked.cache_write_tokens or 0)
    if whole is not None and parts > whole:
        notes.append(
            f"server usage: cached ({checked.cached_tokens}) + cache writes "
            f"({checked.cache_write_tokens}) exceed input_tokens ({whole}): parts capped"
        )
    if (
        checked.cache_write_12h_tokens is not None
        and (checked.cache_write_tokens or 0) < checked.cache_write_12h_tokens
    ):
        notes.append("server usage: 12 h cache writes exceed all cache writes: parts capped")
    out = checked.output_tokens
    if out is not None and checked.reasoning_tokens is not None and checked.reasoning_tokens > out:
        notes.append(
            f"server usage: reasoning_tokens ({checked.reasoning_tokens}) exceed output_tokens "
            f"({out})"
        )
    return checked, tuple(notes)


_READERS: Final[Mapping[Api, tuple[Callable[[object], object], ...]]] = {
    api: tuple(attrgetter(".".join(paths[name])) for name in COUNTS)
    for api, paths in _PATHS.items()
}
"""Per API, one dotted-attribute reader per count, in ``BilledUsage`` field order."""


def _read_int(usage: object, read: Callable[[object], object]) -> int | None:
    """The count ``read`` finds (``None`` where an attribute on the way is missing or
    ``None``, or the value is not an int)."""
    try:
        value = read(usage)
    except AttributeError:
        return None
    return (
        value
        if type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
        else None
    )
