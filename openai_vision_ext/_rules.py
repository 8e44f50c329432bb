"""PURE: model rule lookup and registration, and the tile/patch image token math.

Lookup order: a rule registered with ``register_model_rule`` or a built-in row of exactly that
name, then the name without a dated snapshot suffix (``gpt-4o-2024-08-06`` -> ``gpt-4o``), then
the longest prefix ending at a ``-`` (``gpt-4o-mini-search-preview`` -> ``gpt-4o-mini``).
Registered rules win over built-in rows at every step. Lookups are cached by model id; the
cache is emptied whenever a rule is registered or unregistered.

All sizes are whole numbers and every rounding is exact integer arithmetic (no floats).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal

from ._dated import in_force
from ._exceptions import (
    ImageError,
    ImageRejectedError,
    InvalidModelRuleError,
    UnknownModelError,
)
from ._rules_data import (
    RULE_PERIODS,
    RULES,
    TEXT_RULES,
    Family,
    ModelRule,
    PatchLimit,
    SizedDetail,
    TextRule,
)
from ._types import check_detail

__all__ = [
    "ImageSizing",
    "InvalidModelRuleError",
    "ModelRule",
    "PatchLimit",
    "builtin_rules",
    "get_model_rule",
    "image_token_range",
    "image_tokens",
    "patch_count",
    "register_model_rule",
    "resize_for_rule",
    "size_image",
    "sized_detail",
    "sizing_for_rule",
    "sizing_table",
    "text_rule",
    "unregister_model_rule",
]

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")
_TILE_FIT = 2048
_TILE_SHORT_SIDE = 768
_TILE_LOW_SIDE = 512
_TILE = 512
_PATCH = 32

_registered: dict[str, ModelRule] = {}

_resolved: dict[str, ModelRule] = {}
"""``get_model_rule`` answers by model id; emptied by ``register_model_rule`` and
``unregister_model_rule`` (misses are not cached: they raise)."""
_RESOLVED_MAX = 4096
"""Entries kept before the cache starts over (model ids may come from user input)."""


def builtin_rules() -> MappingProxyType[str, ModelRule]:
    """The built-in rule table, read-only, keyed by row name.

    >>> builtin_rules()["gpt-4o"].tile_tokens
    170
    """
    return MappingProxyType(RULES)


def _row(name: str) -> ModelRule | None:
    return _registered.get(name) or RULES.get(name)


def _candidates(model: str) -> Iterator[str]:
    yield model
    undated = _SNAPSHOT.sub("", model)
    if undated != model:
        yield undated
    parts = undated.split("-")
    for end in range(len(parts) - 1, 0, -1):
        yield "-".join(parts[:end])


def get_model_rule(model: str, as_of: str | date | None = None) -> ModelRule:
    """The image token rule for ``model``; ``UnknownModelError`` when none applies.

    ``as_of`` (an ISO date or date-time, or a ``datetime.date``, e.g. a bill's; an aware
    date-time is read in UTC) picks the built-in row in force on that date where the rule
    changed over time (``RULE_PERIODS``); ``None``: the row in force now; anything else
    ``InvalidOptionError``. A registered rule applies at every date.

    >>> get_model_rule("gpt-4o-mini-2024-07-18").name
    'gpt-4o-mini'
    >>> [get_model_rule("gpt-4.1-mini", d).patch_limit("high").max_patches
    ...  for d in ("2026-01-23", "2026-09-01")]
    [1536, 6144]
    """
    rule = _current_rule(model)
    if as_of is None or _registered.get(rule.name) is rule:
        return rule
    return in_force(RULE_PERIODS.get(rule.name, ()), as_of) or rule


def _current_rule(model: str) -> ModelRule:
    try:
        return _resolved[model]
    except (KeyError, TypeError):  # not seen yet, or not a hashable id (the walk refuses it)
        pass
    for name in _candidates(model):
        rule = _row(name)
        if rule is not None:
            if len(_resolved) >= _RESOLVED_MAX:
                _resolved.clear()
            _resolved[model] = rule
            return rule
    raise UnknownModelError(model)


def text_rule(model: str, as_of: str | None = None) -> ModelRule | TextRule:
    """How ``model``'s text is tokenised and framed: its image rule if it has one (the row in
    force on ``as_of``, see ``get_model_rule``), else a text-only row (gpt-4, gpt-3.5,
    o1-mini, o3-mini); ``UnknownModelError`` for neither.

    >>> text_rule("gpt-4-0613").encoding
    'cl100k_base'
    """
    try:
        return get_model_rule(model, as_of)
    except UnknownModelError:
        for name in _candidates(model) if isinstance(model, str) else ():
            row = TEXT_RULES.get(name)
            if row is not None:
                return row
        raise


def register_model_rule(
    name: str,
    *,
    family: Family,
    source: str,
    as_of: date,
    base_tokens: int = 0,
    tile_tokens: int = 0,
    multiplier: float | str | Fraction = 1,
    max_patches: int = 1536,
    max_side: int | None = None,
    patch_limits: Mapping[SizedDetail, PatchLimit] | None = None,
    auto: SizedDetail = "high",
    rounding: Literal["ceil", "floor"] = "ceil",
    image_overhead: int = 0,
    reject_over_patches: int | None = None,
    unsupported: tuple[SizedDetail, ...] = (),
    reasoning: bool = False,
    encoding: Literal["o200k_base", "cl100k_base"] = "o200k_base",
) -> ModelRule:
    """Add (or replace) the rule for model ``name`` and every id it prefixes; return it.

    Tile models take ``base_tokens``/``tile_tokens``. Patch models take ``multiplier`` (read
    from its decimal text, so ``1.62`` is exactly 162/100) and ``max_patches``/``max_side`` for
    every detail, or ``patch_limits`` per detail (``high`` required). ``reasoning`` selects the
    Responses framing of reasoning models (o-series, gpt-5 family).

    >>> from datetime import date
    >>> rule = register_model_rule("my-vision", family="tile", base_tokens=85,
    ...     tile_tokens=170, source="my own bills", as_of=date(2026, 1, 1))
    >>> get_model_rule("my-vision-2026-01-01") is rule
    True
    >>> unregister_model_rule("my-vision")
    """
    limits: dict[SizedDetail, PatchLimit] = dict(
        patch_limits or {"high": PatchLimit(max_patches, max_side)}
    )
    problem = _rule_problem(family, tile_tokens, limits)
    if problem:
        raise InvalidModelRuleError(f"cannot register a rule for {name!r}: {problem}")
    rule = ModelRule(
        name=name,
        family=family,
        source=source,
        as_of=as_of,
        base_tokens=base_tokens,
        tile_tokens=tile_tokens,
        multiplier=Fraction(str(multiplier))
        if isinstance(multiplier, float)
        else Fraction(multiplier),
        rounding=rounding,
        image_overhead=image_overhead,
        patch_limits=tuple(limits.items()),
        auto=auto,
        reject_over_patches=reject_over_patches,
        unsupported=unsupported,
        reasoning=reasoning,
        encoding=encoding,
    )
    _registered[name] = rule
    _resolved.clear()
    return rule


def _rule_problem(
    family: object, tile_tokens: int, limits: Mapping[SizedDetail, PatchLimit]
) -> str | None:
    if family not in ("tile", "patch"):
        return f"family must be 'tile' or 'patch', not {family!r}"
    if family == "tile" and tile_tokens <= 0:
        return "a tile rule needs tile_tokens > 0"
    if "high" not in limits:
        return "patch_limits needs a 'high' entry (other details fall back to it)"
    if any(limit.max_patches is not None and limit.max_patches < 1 for limit in limits.values()):
        return "max_patches must be at least 1 (or None: no budget at that detail)"
    return None


def unregister_model_rule(name: str) -> None:
    """Remove a rule added with ``register_model_rule`` (built-in rows stay).

    >>> unregister_model_rule("never-registered")
    """
    _registered.pop(name, None)
    _resolved.clear()


def sized_detail(rule: ModelRule, detail: object) -> SizedDetail:
    """The detail an image is billed at: ``auto`` (or absent) maps to the rule's choice.

    >>> sized_detail(get_model_rule("gpt-4o"), "auto")
    'high'
    """
    if detail is None or detail == "auto":
        return rule.auto
    return check_detail(detail)  # type: ignore[return-value]  # not auto: a sized detail


def _round_div(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` exactly, halves to even (as ``round(Fraction(...))``);
    ``denominator`` > 0.

    >>> [_round_div(n, 2) for n in (1, 3, 5, 7)]
    [0, 2, 2, 4]
    """
    quotient, remainder = divmod(numerator, denominator)
    twice = remainder << 1
    if twice > denominator or (twice == denominator and quotient & 1):
        return quotient + 1
    return quotient


def _scale_to_fit(width: int, height: int, side: int) -> tuple[int, int]:
    """Shrink (never grow) so the longest side is at most ``side``; sides round to nearest."""
    longest = width if width >= height else height
    if longest <= side:
        return width, height
    return (
        max(1, _round_div(width * side, longest)),
        max(1, _round_div(height * side, longest)),
    )


def _tile_size(width: int, height: int, detail: SizedDetail) -> tuple[int, int]:
    if detail == "low":
        return _scale_to_fit(width, height, _TILE_LOW_SIDE)
    # Fit in 2048 x 2048 (as _scale_to_fit), then shrink the short side to 768.
    # The side being scaled to a length becomes exactly that length: only the other rounds.
    if width >= height:
        if width > _TILE_FIT:
            width, height = _TILE_FIT, max(1, _round_div(height * _TILE_FIT, width))
        if height > _TILE_SHORT_SIDE:
            width, height = max(1, _round_div(width * _TILE_SHORT_SIDE, height)), _TILE_SHORT_SIDE
    else:
        if height > _TILE_FIT:
            width, height = max(1, _round_div(width * _TILE_FIT, height)), _TILE_FIT
        if width > _TILE_SHORT_SIDE:
            width, height = _TILE_SHORT_SIDE, max(1, _round_div(height * _TILE_SHORT_SIDE, width))
    return width, height


def _patch_grid(width: int, height: int, limit: PatchLimit) -> tuple[int, int, int]:
    """(width, height, patches) after sizing, per the newest guide's steps 0, A, B, C.

    0: fit inside ``max_side`` (keep aspect, never enlarge). A: count 32 px patches. B: over the
    budget, ``s = sqrt(32^2 * budget / (w * h))`` and ``s_adj = s * min(floor(w*s/32)/(w*s/32),
    floor(h*s/32)/(h*s/32))`` (the min over both sides). C: floor both sides times ``s_adj`` and
    count again. ``s`` cancels: ``s_adj = min(32 * fw / w, 32 * fh / h)`` with
    ``fw = floor(w*s/32) = isqrt(w * budget // h)`` (floor(sqrt(x)) == isqrt(floor(x))), so the
    whole step is exact integer arithmetic.
    """
    if limit.max_side is not None:
        width, height = _scale_to_fit(width, height, limit.max_side)
    patches = -(-width // _PATCH) * -(-height // _PATCH)
    budget = limit.max_patches
    if budget is None or patches <= budget:
        return width, height, patches
    across = math.isqrt(width * budget // height)
    down = math.isqrt(height * budget // width)
    if across * height <= down * width:  # 32 * across / width is the smaller factor
        width, height = _PATCH * across, height * _PATCH * across // width
    else:
        width, height = width * _PATCH * down // height, _PATCH * down
    width, height = max(1, width), max(1, height)
    return width, height, -(-width // _PATCH) * -(-height // _PATCH)


@dataclass(frozen=True, slots=True)
class ImageSizing:
    """How one image is sized and billed under a model's rule at one detail."""

    rule: str
    """The rule row used (e.g. ``gpt-5.4``)."""
    family: Family
    detail: SizedDetail
    """The detail the image is billed at (``auto`` resolved)."""
    width: int
    """Width after the server-side resize (never larger than the input)."""
    height: int
    tiles: int | None
    """512 px tiles (tile family; 0 at ``low``), else ``None``."""
    patches: int | None
    """32 px patches after sizing (patch family), else ``None``."""
    tokens: int | None
    """Input tokens of the image; ``None`` when the API rejects it (see ``rejected``)."""
    rejected: str | None = None
    """Why the API refuses this image at this detail (too many patches, detail not
    supported); ``None`` when it is accepted."""


def size_image(width: int, height: int, *, model: str, detail: object = "auto") -> ImageSizing:
    """How the API sizes and bills one ``width`` x ``height`` image on ``model`` at ``detail``:
    the resized size, tiles or patches, tokens, or why the image is rejected. Pure and exact.

    >>> s = size_image(1800, 2400, model="gpt-5.4", detail="high")
    >>> (s.width, s.height, s.patches, s.tokens)
    (1368, 1824, 2451, 2942)
    >>> size_image(4096, 8192, model="gpt-5.6-sol", detail="original").tokens is None
    True
    """
    return sizing_for_rule(get_model_rule(model), width, height, detail)


def sizing_table() -> dict[str, tuple[SizedDetail, ...]]:
    """Every rule row (built-in and registered) with the details its models accept.

    >>> sizing_table()["gpt-5.2"]
    ('low', 'high')
    """
    rows = {**RULES, **_registered}
    return {name: rows[name].details for name in sorted(rows)}


def sizing_for_rule(
    rule: ModelRule, width: int, height: int, detail: object = "auto"
) -> ImageSizing:
    """``size_image`` for a rule already looked up.

    >>> s = sizing_for_rule(get_model_rule("gpt-5.4"), 1800, 2400, "high")
    >>> (s.width, s.height, s.patches, s.tokens)
    (1368, 1824, 2451, 2942)
    >>> sizing_for_rule(get_model_rule("gpt-5.6-sol"), 4096, 8192, "original").rejected
    'over 30,000 patches after sizing (32,768): the API rejects the image; send detail="high" or \
shrink it'
    """
    plain = type(width) is int and type(height) is int and (detail is None or type(detail) is str)
    key = (id(rule), width, height, detail)
    hit = _SIZINGS.get(key) if plain else None
    if hit is not None and hit[0] is rule:
        return hit[1]
    sizing = _sizing(rule, width, height, detail)
    if plain:
        if len(_SIZINGS) >= _MAX_SIZINGS:
            _SIZINGS.clear()
        _SIZINGS[key] = (rule, sizing)
    return sizing


_SIZINGS: dict[tuple[int, int, int, object], tuple[ModelRule, ImageSizing]] = {}
"""Sizings already worked out, by rule identity, size and detail as written: preflight and the
estimate size each image of a request once between them. Exact (a pure function of its key;
the entry holds the rule, so its id is not reused) and bounded (cleared when full)."""

_MAX_SIZINGS: Final = 4096


def _sizing(rule: ModelRule, width: int, height: int, detail: object) -> ImageSizing:
    _check_size(width, height)
    sized = sized_detail(rule, detail)
    if rule.family == "tile":
        w, h = _tile_size(width, height, sized)
        tiles = 0 if sized == "low" else -(-w // _TILE) * -(-h // _TILE)
        tokens = rule.base_tokens + rule.tile_tokens * tiles + rule.image_overhead
        return ImageSizing(rule.name, "tile", sized, w, h, tiles, None, tokens)
    w, h, patches = _patch_grid(width, height, rule.patch_limit(sized))
    w, h = min(w, width), min(h, height)
    rejected = None
    if sized in rule.unsupported:
        rejected = (
            f"detail={sized!r} is not supported by {rule.name}; use one of "
            f"{', '.join(repr(d) for d in rule.details)}"
        )
    elif rule.reject_over_patches is not None and patches > rule.reject_over_patches:
        rejected = (
            f"over {rule.reject_over_patches:,} patches after sizing ({patches:,}): the API "
            'rejects the image; send detail="high" or shrink it'
        )
    if rejected is not None:
        return ImageSizing(rule.name, "patch", sized, w, h, None, patches, None, rejected)
    exact = patches * rule.multiplier
    rounded = math.floor(exact) if rule.rounding == "floor" else math.ceil(exact)
    tokens = rounded + rule.image_overhead
    return ImageSizing(rule.name, "patch", sized, w, h, None, patches, tokens)


def patch_count(rule: ModelRule, width: int, height: int, detail: object = "auto") -> int:
    """Number of 32 px patches a patch model bills for an image (after sizing).

    >>> patch_count(get_model_rule("o4-mini"), 1800, 2400, "high")
    1452
    >>> patch_count(get_model_rule("gpt-4.1-mini", as_of="2026-01-23"), 2400, 1800, "high")
    1452
    """
    return _patch_grid(width, height, rule.patch_limit(sized_detail(rule, detail)))[2]


def resize_for_rule(rule: ModelRule, width: int, height: int, detail: object) -> tuple[int, int]:
    """The size the server resizes an image to under ``rule`` at ``detail`` (never larger).

    >>> resize_for_rule(get_model_rule("gpt-4o"), 2048, 4096, "high")
    (768, 1536)
    """
    sizing = sizing_for_rule(rule, width, height, detail)
    return sizing.width, sizing.height


def image_tokens(rule: ModelRule, width: int, height: int, detail: object) -> int:
    """Input tokens for one image of ``width`` x ``height`` under ``rule`` at ``detail``.

    An image the API would reject (``sizing_for_rule(...).rejected``) raises
    ``ImageRejectedError``; preflight reports the same as a violation before sending.

    >>> image_tokens(get_model_rule("gpt-4o"), 1024, 1024, "high")
    765
    """
    sizing = sizing_for_rule(rule, width, height, detail)
    if sizing.tokens is None:
        raise ImageRejectedError(sizing.rejected or "rejected")
    return sizing.tokens


def image_token_range(rule: ModelRule, detail: object) -> tuple[int, int]:
    """(fewest, most) input tokens one image of *any* size can cost under ``rule`` at ``detail``:
    the bounds for an image whose size is unknown (a URL or a ``file_id``).

    >>> image_token_range(get_model_rule("gpt-4o"), "high")
    (255, 1445)
    >>> image_token_range(get_model_rule("gpt-4o"), "low")
    (85, 85)
    """
    sized = sized_detail(rule, detail)
    if sized in rule.unsupported:  # the API rejects it: nothing is billed for it
        return 0, 0
    least = image_tokens(rule, 1, 1, sized)
    if rule.family == "tile":  # most tiles: short side at its cap, long side at the fit
        return least, image_tokens(rule, _TILE_SHORT_SIDE, _TILE_FIT, sized)
    limit = rule.patch_limit(sized)
    caps = [c for c in (limit.max_patches, rule.reject_over_patches) if c is not None]
    if limit.max_side is not None:
        per_side = -(-limit.max_side // _PATCH)
        caps.append(per_side * per_side)
    exact = min(caps) * rule.multiplier  # sizing never exceeds any of them
    rounded = math.floor(exact) if rule.rounding == "floor" else math.ceil(exact)
    return least, rounded + rule.image_overhead


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageError(f"image size must be at least 1x1 pixels, not {width}x{height}")
