"""PURE: read the usage the API billed from a Response, a ChatCompletion or a final stream event.

The SDK objects are only read, never changed. Both APIs name the same numbers differently, so the
attribute paths live in one table per API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Final, TypeGuard

from ._records import maker
from ._types import Api

__all__ = ["ABSURD_TOKENS", "BilledUsage", "billed_usage", "check_usage", "is_count"]

ABSURD_TOKENS: Final = 100_000_000
"""A count above this is not a real bill: no model's context window or output comes near it."""


def is_count(value: object) -> TypeGuard[int]:
    """A token count: a non-negative ``int`` (``bool`` is not one).

    >>> is_count(3), is_count(True), is_count(-1), is_count(2.0)
    (True, False, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
        _read_int(usage, path)
        for path in _READ_PATHS[api]  # in COUNTS (field) order
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
    if _plain(usage):
        return usage, ()
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


def _plain(usage: BilledUsage) -> bool:
    """Whether ``check_usage`` has nothing to say: the four main counts plausible ints, no part
    above its whole, no 12 h breakdown (the usual response, answered without a loop)."""
    inputs, cached, outputs = usage.input_tokens, usage.cached_tokens, usage.output_tokens
    reasoning, writes = usage.reasoning_tokens, usage.cache_write_tokens
    if not (
        isinstance(inputs, int)
        and isinstance(cached, int)
        and isinstance(outputs, int)
        and isinstance(reasoning, int)
    ):
        return False
    return (
        0 <= cached <= inputs <= ABSURD_TOKENS
        and 0 <= reasoning <= outputs <= ABSURD_TOKENS
        and (writes is None or (isinstance(writes, int) and 0 <= writes <= inputs - cached))
        and usage.cache_write_12h_tokens is None
    )


_READ_PATHS: Final[Mapping[Api, tuple[tuple[str, ...], ...]]] = {
    api: tuple(paths[name] for name in COUNTS) for api, paths in _PATHS.items()
}
"""Per API, the attribute path of each count, in ``BilledUsage`` field order."""

_ABSENT: Final = object()


def _read_int(usage: object, path: tuple[str, ...]) -> int | None:
    """The count at ``path`` below ``usage`` (``None`` where an attribute on the way is missing
    or ``None``, or the value is not an int). Reads each SDK model's own fields (its
    ``__dict__``) first, so a missing one (an older SDK, a response without the field) costs
    no ``AttributeError`` raised and caught."""
    node = usage
    for name in path:
        own = getattr(node, "__dict__", None)
        value = own.get(name, _ABSENT) if type(own) is dict else _ABSENT
        node = _attribute(node, name) if value is _ABSENT else value
        if node is None:
            return None
    return (
        node
        if type(node) is int or (isinstance(node, int) and not isinstance(node, bool))
        else None
    )


def _attribute(node: object, name: str) -> object:
    """``node.name`` when it is not in ``node.__dict__``: for a pydantic model with extras
    allowed (the SDK's), an extra field or ``None`` (an SDK older than the field); else the
    attribute lookup (``None`` when missing)."""
    extra = getattr(node, "__pydantic_extra__", None)
    if type(extra) is dict and not any(name in vars(c) for c in type(node).__mro__):
        return extra.get(name)  # the SDK's models keep undeclared fields as extras
    return getattr(node, name, None)
