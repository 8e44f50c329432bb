"""Model rule lookup, registration and the tile/patch token math."""

from __future__ import annotations

import decimal
import math
import re
import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from _private import (
    RULE_PERIODS,
    builtin_rules,
    estimate_with_infos,
    exceptions_module,
    image_tokens,
    patch_count,
    resize_for_rule,
    rules_module,
    sized_detail,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openai.types.shared.chat_model import ChatModel
from openai.types.shared.responses_model import ResponsesModel

import openai_vision_ext
from openai_vision_ext import (
    ImageError,
    ImageInfo,
    InvalidDetailError,
    InvalidModelRuleError,
    InvalidOptionError,
    ModelRule,
    OpenAIVisionExtError,
    PatchLimit,
    UnknownModelError,
    get_model_rule,
    register_model_rule,
    unregister_model_rule,
)

# Ids in the SDK's model lists that take no image input (text, audio or retired text models).
NON_VISION = re.compile(
    r"^(gpt-3\.5|gpt-4$|gpt-4-(0314|0613|32k|0125-preview|1106-preview|turbo-preview)"
    r"|o1-(mini|preview)|o3-mini|gpt-audio|gpt-4o(-mini)?-audio|gpt-daybreak|gpt-rosalind)"
)


def _literals(tp: object) -> Iterator[str]:
    for arg in typing.get_args(tp):
        if isinstance(arg, str):
            yield arg
        else:
            yield from _literals(arg)


SDK_MODELS = sorted(set(_literals(ChatModel)) | set(_literals(ResponsesModel)))
SDK_VISION_MODELS = [m for m in SDK_MODELS if not NON_VISION.match(m)]


@pytest.fixture
def registry() -> Iterator[list[str]]:
    """Names registered by a test; removed afterwards so tests stay independent."""
    names: list[str] = []
    yield names
    for name in names:
        unregister_model_rule(name)


# --- token math: guide examples and real bills --------------------------------------------


@pytest.mark.parametrize(
    ("model", "width", "height", "detail", "tokens"),
    [
        # Guide examples (tile family).
        ("gpt-4o", 1024, 1024, "high", 765),
        ("gpt-4o", 2048, 4096, "high", 1105),
        ("gpt-4o", 2048, 4096, "low", 85),
        ("gpt-4o", 4096, 8192, "low", 85),
        # auto bills as high on tile models (real bills: 640x480 auto on gpt-4o is 425).
        ("gpt-4o", 640, 480, "auto", 425),
        # Fit-to-2048 rounds to nearest (facts: 2049x513 billed 1,453 and 2050x513 773, both
        # with 8 text tokens, on gpt-4o in June 2025).
        ("gpt-4o", 2049, 513, "high", 1453 - 8),
        ("gpt-4o", 2050, 513, "high", 773 - 8),
        # gpt-4o-mini constants 2833/5667: 640x480 is 2 tiles.
        ("gpt-4o-mini", 640, 480, "high", 2833 + 2 * 5667),
        # gpt-4.1 bills as a tile model (real bills: 128x128 = 255 = 85 + 170).
        ("gpt-4.1", 128, 128, "high", 255),
        # gpt-5 tile 70/140, 640x480 = 2 tiles, billed one token less (349, 2026-01-22).
        ("gpt-5", 640, 480, "high", 70 + 2 * 140 - 1),
        # Patch family, real bills: 640x480 = 20 x 15 = 300 patches.
        ("gpt-5-nano", 640, 480, "auto", 450),  # 300 x 1.5
        ("gpt-5-mini", 640, 480, "auto", 360),  # 300 x 1.2
        ("o4-mini", 640, 480, "auto", 516),  # 300 x 1.72
        ("gpt-4.1-mini", 640, 480, "auto", 488),  # 300 x 1.62 + 2
        # 128x128 = 16 patches: gpt-5-mini ceil(19.2) = 20; gpt-4.1-nano floor(39.36) + 2 = 41.
        ("gpt-5-mini", 100, 100, "auto", 20),
        ("gpt-4.1-nano", 128, 128, "auto", 41),
        ("gpt-4.1-nano", 995, 996, "auto", 2521),  # 32 x 32 = 1024 patches, floor(2519.04) + 2
    ],
)
def test_image_tokens_match_guide_and_bills(
    model: str, width: int, height: int, detail: str, tokens: int
) -> None:
    """Token counts equal the guide's worked examples and real billed image tokens."""
    assert image_tokens(get_model_rule(model), width, height, detail) == tokens


def test_guide_patch_example_shrinks_to_1452_patches() -> None:
    """Guide: 1800x2400 at a 1536-patch budget becomes 1056x1408, 33 x 44 = 1452 patches."""
    rule = get_model_rule("o4-mini")
    assert patch_count(rule, 1800, 2400, "high") == 1452
    assert resize_for_rule(rule, 1800, 2400, "high") == (1056, 1408)


@pytest.mark.parametrize(
    ("as_of", "budget", "size", "patches", "tokens", "verified"),
    [
        # 2025 bills: 1,536 patches; 2400x1800 -> 1408x1056, 44 x 33 = 1452; floor(x 1.62) + 2
        ("2025-06-01", 1536, (1408, 1056), 1452, 2354, True),
        ("2026-08-31", 1536, (1408, 1056), 1452, 2354, True),
        # guide V4 (Sept 2026): 2048 px and 6,144 patches: 2048x1536, 64 x 48 = 3072
        ("2026-09-01", 6144, (2048, 1536), 3072, 4978, False),
        (None, 6144, (2048, 1536), 3072, 4978, False),
    ],
)
def test_gpt41_mini_patch_budget_is_picked_by_date(
    as_of: str | None,
    budget: int,
    size: tuple[int, int],
    patches: int,
    tokens: int,
    verified: bool,
) -> None:
    """gpt-4.1-mini's rule changed on a date: a bill is sized with the row of its date, a
    request without one with the newest (the guide's, unverified by any bill)."""
    rule = get_model_rule("gpt-4.1-mini-2025-04-14", as_of)
    assert rule.name == "gpt-4.1-mini"
    assert rule.patch_limit("high").max_patches == budget
    assert rule.patch_limit("low") == rule.patch_limit("high")
    assert resize_for_rule(rule, 2400, 1800, "high") == size
    assert patch_count(rule, 2400, 1800, "high") == patches
    assert image_tokens(rule, 2400, 1800, "high") == tokens
    assert rule.verified is verified
    assert "original" not in rule.details


@pytest.mark.parametrize(
    ("as_of", "budget"),
    [
        (date(2026, 8, 31), 1536),
        (date(2026, 9, 1), 6144),
        ("2026-09-01T00:30:00+02:00", 1536),  # still 2026-08-31 in UTC
        ("2026-08-31T23:30:00-02:00", 6144),  # already 2026-09-01 in UTC
        ("2026-09-01T00:30:00", 6144),  # naive: read as given
    ],
)
def test_as_of_takes_dates_and_date_times_read_in_utc(as_of: str | date, budget: int) -> None:
    """``as_of`` may be a ``datetime.date`` or an ISO date-time; an aware one is read in UTC."""
    rule = get_model_rule("gpt-4.1-mini", as_of)
    assert rule.patch_limit("high").max_patches == budget


@pytest.mark.parametrize("as_of", ["2026-8-31", "last tuesday", 20260901])
def test_a_malformed_as_of_is_a_typed_error(as_of: object) -> None:
    """A date that is not ISO (once compared as text, "2026-8-31" picked the newer row) is
    refused with the package's error naming the form to use."""
    with pytest.raises(InvalidOptionError, match="as_of must be an ISO date"):
        get_model_rule("gpt-4.1-mini", as_of)  # type: ignore[arg-type]


def test_estimate_uses_the_image_rule_of_its_date() -> None:
    """``estimate_with_infos(as_of=...)`` bills an image with the row in force on that date;
    only a row backed by bills can make the estimate exact."""
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
                ],
            }
        ]
    }
    info = ImageInfo("png", "image/png", 2400, 1800, 1, False, 100, "ab" * 32)
    before = estimate_with_infos(
        "chat.completions", "gpt-4.1-mini", request, [info], as_of="2026-01-23"
    )
    after = estimate_with_infos(
        "chat.completions", "gpt-4.1-mini", request, [info], as_of="2026-09-01"
    )
    now = estimate_with_infos("chat.completions", "gpt-4.1-mini", request, [info])
    assert (before.image_tokens, after.image_tokens, now.image_tokens) == (2354, 4978, 4978)
    assert before.exact
    assert before.rule_verified
    assert not after.exact
    assert not after.rule_verified
    assert any("not verified by bills" in note for note in after.notes)


def test_registered_rule_applies_at_every_date(registry: list[str]) -> None:
    """A rule registered for a dated model wins on any date (it has no periods)."""
    registry.append("gpt-4.1-mini")
    mine = register_model_rule(
        "gpt-4.1-mini", family="patch", multiplier=2, source="t", as_of=date(2026, 1, 1)
    )
    assert get_model_rule("gpt-4.1-mini", "2025-01-01") is mine
    assert get_model_rule("gpt-4.1-mini", "2026-10-01") is mine


def test_every_rule_period_row_is_the_newest_in_rules() -> None:
    """``RULES`` holds the row in force now: the newest period of each name."""
    for name, rows in RULE_PERIODS.items():
        assert [r.since for r in rows] == sorted(r.since for r in rows)
        assert builtin_rules()[name] is rows[-1]
        assert get_model_rule(name, "1999-01-01") is rows[0]


def test_patch_tokens_round_up_by_default() -> None:
    """o4-mini rounds patches x multiplier up: 1452 x 1.72 = 2497.44 -> 2498."""
    assert image_tokens(get_model_rule("o4-mini"), 1800, 2400, "high") == 2498


def test_tile_resize_follows_guide() -> None:
    """Guide: 2048x4096 is scaled to 1024x2048, then to 768x1536 (shortest side 768)."""
    assert resize_for_rule(get_model_rule("gpt-4o"), 2048, 4096, "high") == (768, 1536)


def test_tile_low_is_sized_to_512() -> None:
    """``low`` sends a 512 px version on tile models, so that is the size worth sending."""
    assert resize_for_rule(get_model_rule("gpt-4o"), 2048, 1024, "low") == (512, 256)


def test_small_image_is_not_resized() -> None:
    """An image already inside every limit keeps its size."""
    assert resize_for_rule(get_model_rule("gpt-5-nano"), 239, 178, "auto") == (239, 178)


@pytest.mark.parametrize(("model", "expected"), [("gpt-5.4", "high"), ("gpt-5.5", "original")])
def test_auto_maps_per_rule(model: str, expected: str) -> None:
    """``auto`` is ``high`` on gpt-5.4 and ``original`` on gpt-5.5 and later."""
    assert sized_detail(get_model_rule(model), "auto") == expected


def test_newest_models_budget_by_detail() -> None:
    """gpt-5.4: 2,500 patches at high, 10,000 at original (6000 px max side)."""
    rule = get_model_rule("gpt-5.4")
    assert patch_count(rule, 6000, 6000, "high") == 2500
    assert patch_count(rule, 6000, 6000, "original") == 10_000


def test_max_side_applies_before_patch_budget() -> None:
    """A 4000x100 image on gpt-5.4 high is first scaled to 2048 px wide (64 x 2 patches)."""
    rule = get_model_rule("gpt-5.4")
    assert resize_for_rule(rule, 4000, 100, "high") == (2048, 51)
    assert patch_count(rule, 4000, 100, "high") == 64 * 2


def test_newest_models_flag_rejection_over_30000_patches() -> None:
    """The newest models reject, not shrink, images over 30,000 patches; older ones shrink."""
    assert get_model_rule("gpt-6-astra").reject_over_patches == 30_000
    assert get_model_rule("gpt-5-mini").reject_over_patches is None


def test_invalid_detail_is_a_typed_error() -> None:
    """A detail outside low/high/auto/original raises InvalidDetailError naming the choices."""
    with pytest.raises(InvalidDetailError, match="'low', 'high', 'auto', 'original'"):
        image_tokens(get_model_rule("gpt-4o"), 10, 10, "medium")


def test_empty_size_is_a_typed_error() -> None:
    """A 0-pixel side is an ImageError, not a crash inside the math."""
    with pytest.raises(ImageError, match="at least 1x1"):
        image_tokens(get_model_rule("gpt-4o"), 0, 10, "high")


# --- lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "rule"),
    [
        ("gpt-4o", "gpt-4o"),  # exact
        ("gpt-4o-2024-08-06", "gpt-4o"),  # dated snapshot
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),  # snapshot of the longer name, not gpt-4o
        ("gpt-4o-mini-search-preview", "gpt-4o-mini"),  # longest prefix
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("gpt-5-chat-latest", "gpt-5-chat"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4"),
        ("o4-mini-deep-research", "o4-mini"),
        ("gpt-6.2-astra-law", "gpt-6.2"),
        ("gpt-5-nano", "gpt-5-nano"),
    ],
)
def test_lookup_order(model: str, rule: str) -> None:
    """Exact name, then dated snapshot, then the longest ``-``-bounded prefix."""
    assert get_model_rule(model).name == rule


@pytest.mark.parametrize(
    "model", ["claude-3-opus", "gpt-3.5-turbo", "gpt-4", "azure-deployment:gpt-4o", ""]
)
def test_unknown_model_raises(model: str) -> None:
    """No rule -> UnknownModelError (a KeyError) telling how to register one."""
    with pytest.raises(UnknownModelError, match="register_model_rule") as info:
        get_model_rule(model)
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("model", SDK_VISION_MODELS)
def test_every_sdk_vision_model_has_a_rule(model: str) -> None:
    """Every vision model the SDK lists (gpt-4o through gpt-6) resolves to a rule."""
    assert get_model_rule(model).family in ("tile", "patch")


@pytest.mark.parametrize("name", sorted(builtin_rules()))
def test_every_row_is_sourced_and_dated(name: str) -> None:
    """Each built-in row says where its numbers come from and when."""
    rule = builtin_rules()[name]
    assert rule.source.strip()
    assert date(2023, 1, 1) <= rule.as_of <= date(2027, 1, 1)


@pytest.mark.parametrize(
    "name", sorted(n for n, r in builtin_rules().items() if r.family == "patch")
)
def test_patch_rows_have_a_high_limit(name: str) -> None:
    """Patch rows always define ``high`` (other details fall back to it)."""
    assert builtin_rules()[name].patch_limit("high").max_patches >= 1536


# --- registration ---------------------------------------------------------------------------


def test_registered_rule_is_found_with_snapshot_and_prefix(registry: list[str]) -> None:
    """A registered rule serves its exact name, dated snapshots and longer ids."""
    rule = register_model_rule(
        "acme-vision", family="tile", base_tokens=10, tile_tokens=20, source="t", as_of=date.today()
    )
    registry.append("acme-vision")
    assert get_model_rule("acme-vision-2026-01-01") is rule
    assert get_model_rule("acme-vision-large") is rule
    assert image_tokens(rule, 1024, 1024, "high") == 10 + 4 * 20


def test_registered_rule_overrides_builtin(registry: list[str]) -> None:
    """Registering a built-in name replaces it until unregistered."""
    rule = register_model_rule(
        "gpt-4o", family="patch", multiplier=1.5, source="t", as_of=date.today()
    )
    registry.append("gpt-4o")
    assert get_model_rule("gpt-4o") is rule
    unregister_model_rule("gpt-4o")
    assert get_model_rule("gpt-4o").family == "tile"


def test_registered_float_multiplier_is_exact(registry: list[str]) -> None:
    """``multiplier=1.62`` means exactly 162/100, so 300 patches cost 486, not 487."""
    rule = register_model_rule(
        "acme-patch", family="patch", multiplier=1.62, source="t", as_of=date.today()
    )
    registry.append("acme-patch")
    assert rule.multiplier == Fraction(162, 100)
    assert image_tokens(rule, 640, 480, "high") == 486


def test_registered_per_detail_limits(registry: list[str]) -> None:
    """``patch_limits`` sets a budget per detail; ``low`` falls back to ``high`` when absent."""
    rule = register_model_rule(
        "acme-sized",
        family="patch",
        patch_limits={"high": PatchLimit(100), "original": PatchLimit(400)},
        source="t",
        as_of=date.today(),
    )
    registry.append("acme-sized")
    assert patch_count(rule, 3200, 3200, "original") == 400
    assert patch_count(rule, 3200, 3200, "low") == 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"family": "hexagon"}, "family must be"),
        ({"family": "tile"}, "tile_tokens > 0"),
        ({"family": "patch", "patch_limits": {"low": PatchLimit(10)}}, "'high' entry"),
        ({"family": "patch", "max_patches": 0}, "at least 1"),
    ],
)
def test_register_rejects_bad_rules(kwargs: dict[str, object], message: str) -> None:
    """Impossible rules are refused with a typed error saying what is wrong."""
    with pytest.raises(InvalidModelRuleError, match=message):
        register_model_rule("bad", source="t", as_of=date.today(), **kwargs)  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------

sides = st.integers(min_value=1, max_value=12_000)
TILE_MODELS = sorted(n for n, r in builtin_rules().items() if r.family == "tile")
ALL_MODELS = sorted(builtin_rules())


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(TILE_MODELS), w=sides, h=sides, k=st.integers(2, 8))
def test_tile_tokens_never_decrease_when_scaling_up(model: str, w: int, h: int, k: int) -> None:
    """At high, a bigger image of the same shape never costs fewer tokens (tile models)."""
    rule = get_model_rule(model)
    assert image_tokens(rule, k * w, k * h, "high") >= image_tokens(rule, w, h, "high")


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(TILE_MODELS), w=sides, h=sides)
def test_tile_low_is_constant(model: str, w: int, h: int) -> None:
    """``low`` costs the base tokens (plus the row's per-image overhead) whatever the size."""
    rule = get_model_rule(model)
    assert image_tokens(rule, w, h, "low") == rule.base_tokens + rule.image_overhead


@settings(max_examples=80, deadline=None)
@given(
    model=st.sampled_from(ALL_MODELS),
    w=sides,
    h=sides,
    detail=st.sampled_from(["low", "high", "auto", "original"]),
)
def test_target_size_never_upscales(model: str, w: int, h: int, detail: str) -> None:
    """The server-side size is never larger than the input and never empty."""
    tw, th = resize_for_rule(get_model_rule(model), w, h, detail)
    assert 1 <= tw <= w
    assert 1 <= th <= h


@settings(max_examples=80, deadline=None)
@given(
    model=st.sampled_from(ALL_MODELS),
    w=sides,
    h=sides,
    detail=st.sampled_from(["low", "high", "auto", "original"]),
)
def test_tokens_positive_and_patches_within_budget(model: str, w: int, h: int, detail: str) -> None:
    """Tokens are positive; a patch model never bills more than its budget allows."""
    rule = get_model_rule(model)
    sizing = rules_module.sizing_for_rule(rule, w, h, detail)
    if sizing.tokens is None:  # rejected: only over the rule's patch limit or detail
        assert sizing.rejected
        return
    assert sizing.tokens > 0
    if rule.family == "patch":
        limit = rule.patch_limit(sized_detail(rule, detail))
        cap = limit.max_patches or rule.reject_over_patches
        assert cap is not None
        assert sizing.tokens <= math.ceil(cap * rule.multiplier) + rule.image_overhead


# --- exact integer rounding, checked against the Fraction arithmetic it replaced -------------


def test_round_div_matches_fraction_rounding_exhaustively() -> None:
    """round(n / d) with halves to even, exactly as round(Fraction(n, d)), for every small case
    (every remainder of every quotient up to 132, so every exact half for even d)."""
    for denominator in range(1, 130):
        for numerator in range(132 * denominator + 7):
            expected = round(Fraction(numerator, denominator))
            assert rules_module._round_div(numerator, denominator) == expected, (
                numerator,
                denominator,
            )


@settings(max_examples=500, deadline=None)
@given(numerator=st.integers(0, 10**40), denominator=st.integers(1, 10**20))
def test_round_div_matches_fraction_rounding_on_large_numbers(
    numerator: int, denominator: int
) -> None:
    """Exact for any size (no floats): agrees with round(Fraction(n, d))."""
    assert rules_module._round_div(numerator, denominator) == round(
        Fraction(numerator, denominator)
    )


@settings(max_examples=500, deadline=None)
@given(half=st.integers(0, 10**12), denominator=st.integers(1, 10**6))
def test_round_div_rounds_exact_halves_to_even(half: int, denominator: int) -> None:
    """Exact halves (2n + 1) / 2 scaled by any d round to the even neighbour, as Fraction does."""
    numerator, twice_denominator = (2 * half + 1) * denominator, 2 * denominator
    result = rules_module._round_div(numerator, twice_denominator)
    assert result == round(Fraction(numerator, twice_denominator))
    assert result % 2 == 0


def _fraction_scale(width: int, height: int, side: int, *, short: bool) -> tuple[int, int]:
    """The pre-1.x Fraction implementation of _scale_to_fit / _scale_short_side (reference)."""
    edge = min(width, height) if short else max(width, height)
    if edge <= side:
        return width, height
    return (
        max(1, round(Fraction(width * side, edge))),
        max(1, round(Fraction(height * side, edge))),
    )


def _fraction_tokens(
    rule: ModelRule, width: int, height: int, detail: str
) -> tuple[int | None, int, int]:
    """Reference tokens (``None``: rejected) and resized size: tiles with Fractions, patches
    with the guide's steps taken literally in 80-digit decimals."""
    sized = sized_detail(rule, detail)
    if rule.family == "tile":
        if sized == "low":
            w, h = _fraction_scale(width, height, 512, short=False)
            return rule.base_tokens + rule.image_overhead, w, h
        w, h = _fraction_scale(*_fraction_scale(width, height, 2048, short=False), 768, short=True)
        tiles = -(-w // 512) * -(-h // 512)
        return rule.base_tokens + rule.tile_tokens * tiles + rule.image_overhead, w, h
    limit = rule.patch_limit(sized)
    w, h = width, height
    if limit.max_side is not None:
        w, h = _fraction_scale(w, h, limit.max_side, short=False)
    patches = -(-w // 32) * -(-h // 32)
    if limit.max_patches is not None and patches > limit.max_patches:
        # The guide's steps B and C, literally, at 80 significant digits (full precision).
        with decimal.localcontext() as ctx:
            ctx.prec = 80
            s = (Decimal(32**2 * limit.max_patches) / Decimal(w * h)).sqrt()
            ws, hs = w * s / 32, h * s / 32
            s_adj = s * min(_floor_exactish(ws) / ws, _floor_exactish(hs) / hs)
            w, h = max(1, _floor_exactish(w * s_adj)), max(1, _floor_exactish(h * s_adj))
        patches = -(-w // 32) * -(-h // 32)
    if rule.reject_over_patches is not None and patches > rule.reject_over_patches:
        return None, min(w, width), min(h, height)
    if sized in rule.unsupported:
        return None, min(w, width), min(h, height)
    exact = patches * rule.multiplier
    tokens = math.floor(exact) if rule.rounding == "floor" else math.ceil(exact)
    return tokens + rule.image_overhead, min(w, width), min(h, height)


def _floor_exactish(value: Decimal) -> int:
    """floor(value), where a value within 1e-60 of an integer is that integer (the 80-digit
    result of an exact integer product can land a hair below it)."""
    nearest = value.to_integral_value(decimal.ROUND_HALF_EVEN)
    if abs(value - nearest) < Decimal("1e-60"):
        return int(nearest)
    return int(value.to_integral_value(decimal.ROUND_FLOOR))


@settings(max_examples=400, deadline=None)
@example(model="gpt-6-astra", w=13_407, h=13_407, detail="high")  # ws is exactly 50: no floor to 49
@given(
    model=st.sampled_from(ALL_MODELS),
    w=st.integers(1, 20_000),
    h=st.integers(1, 20_000),
    detail=st.sampled_from(["low", "high", "original", "auto"]),
)
def test_integer_math_matches_the_fraction_reference(
    model: str, w: int, h: int, detail: str
) -> None:
    """Tokens and resized sizes equal the guide's steps computed at full precision, every rule."""
    rule = get_model_rule(model)
    tokens, rw, rh = _fraction_tokens(rule, w, h, detail)
    assert rules_module.sizing_for_rule(rule, w, h, detail).tokens == tokens
    assert resize_for_rule(rule, w, h, detail) == (rw, rh)


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("detail", ["low", "high", "original"])
def test_integer_math_matches_the_fraction_reference_at_the_edges(model: str, detail: str) -> None:
    """Around every threshold (512, 768, 2048, patch and side limits) and at exact halves."""
    rule = get_model_rule(model)
    edges = [1, 2, 3, 31, 32, 33, 511, 512, 513, 767, 768, 769, 1023, 1024, 1025, 1536, 1537]
    edges += [2047, 2048, 2049, 3072, 4095, 4096, 4097, 6000, 6001, 8192, 12_000]
    for w in edges:
        for h in edges:
            tokens, rw, rh = _fraction_tokens(rule, w, h, detail)
            assert rules_module.sizing_for_rule(rule, w, h, detail).tokens == tokens, (w, h)
            assert resize_for_rule(rule, w, h, detail) == (rw, rh), (w, h)


# --- lookup cache ------------------------------------------------------------------------------


def test_lookup_cache_is_invalidated_by_register_and_unregister(registry: list[str]) -> None:
    """A cached answer (gpt-4o for a dated id) gives way to a rule registered afterwards, and
    comes back when that rule is unregistered."""
    dated = "gpt-4o-2099-01-01"
    builtin = get_model_rule(dated)
    assert builtin.name == "gpt-4o"
    assert get_model_rule(dated) is builtin  # served from the cache
    registry.append("gpt-4o")
    mine = register_model_rule(
        "gpt-4o", family="tile", base_tokens=1, tile_tokens=2, source="t", as_of=date(2026, 1, 1)
    )
    assert get_model_rule(dated) is mine
    assert image_tokens(get_model_rule(dated), 1024, 1024, "high") == 1 + 2 * 4
    unregister_model_rule("gpt-4o")
    assert get_model_rule(dated) is builtin


def test_lookup_cache_does_not_cache_unknown_models(registry: list[str]) -> None:
    """A model unknown now is found once a rule for it is registered."""
    with pytest.raises(UnknownModelError):
        get_model_rule("zz-vision-1")
    registry.append("zz-vision")
    rule = register_model_rule(
        "zz-vision", family="tile", tile_tokens=1, source="t", as_of=date(2026, 1, 1)
    )
    assert get_model_rule("zz-vision-1") is rule


def test_lookup_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many distinct model ids (e.g. from user input) do not grow the cache without bound."""
    monkeypatch.setattr(rules_module, "_RESOLVED_MAX", 8)
    for i in range(50):
        assert get_model_rule(f"gpt-4o-variant{i}").name == "gpt-4o"
        assert len(rules_module._resolved) <= 8


def test_unhashable_model_fails_as_before() -> None:
    """A model id that is not a string fails as before the cache: a TypeError."""
    with pytest.raises(TypeError):
        get_model_rule(["gpt-4o"])  # type: ignore[arg-type]


def test_invalid_model_rule_error_lives_with_the_other_errors() -> None:
    """Defined in _exceptions (one exception root), the same class from _rules and the package,
    a ValueError under the package root."""
    assert InvalidModelRuleError is exceptions_module.InvalidModelRuleError
    assert openai_vision_ext.InvalidModelRuleError is exceptions_module.InvalidModelRuleError
    assert InvalidModelRuleError.__module__ == "openai_vision_ext"
    assert InvalidModelRuleError.__bases__ == (OpenAIVisionExtError, ValueError)
    assert "InvalidModelRuleError" in exceptions_module.__all__
