"""Fitting an image to a token/USD budget, and the advice table.

The fit must agree with ``estimate_image_tokens`` (one home for the sizing rules) for every model
in the rules table and every detail, never exceed its budget, grow with the budget, never enlarge
or distort the image, and, when nothing fits, say the cheapest possible cost truthfully.
"""

from __future__ import annotations

from datetime import date

import pytest
from _helpers import encode, png
from _private import builtin_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_vision_ext import (
    DEFAULT_PRICES,
    Advice,
    BudgetExceededError,
    Fit,
    InvalidOptionError,
    OpenAIVisionExtError,
    PatchLimit,
    advise,
    estimate_image_tokens,
    fit_size,
    get_model_rule,
    register_model_rule,
    size_image,
    target_size,
    unregister_model_rule,
)

MODELS = sorted(builtin_rules())
DETAIL_SETS = [("low",), ("high",), ("original",), ("low", "high"), ("low", "high", "original")]
RANK = {"low": 0, "high": 1, "original": 2}

sides = st.integers(min_value=1, max_value=9000)
budgets = st.integers(min_value=0, max_value=40_000)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fit_or_none(width: int, height: int, **kwargs: object) -> Fit | None:
    try:
        return fit_size(width, height, **kwargs)  # type: ignore[arg-type]
    except BudgetExceededError:
        return None


def _aspect_kept(fit: Fit) -> bool:
    """Within one pixel of the input's aspect on the side that was rounded."""
    w, h, big_w, big_h = fit.width, fit.height, fit.original_width, fit.original_height
    return abs(w * big_h - h * big_w) <= max(big_w, big_h)


@PROPS
@given(
    width=sides,
    height=sides,
    model=st.sampled_from(MODELS),
    details=st.sampled_from(DETAIL_SETS),
    budget=budgets,
    min_side=st.none() | st.integers(min_value=1, max_value=2000),
    prefer=st.sampled_from(["size", "detail"]),
)
def test_a_fit_is_within_budget_and_equals_the_estimate_of_what_is_sent(
    width: int,
    height: int,
    model: str,
    details: tuple[str, ...],
    budget: int,
    min_side: int | None,
    prefer: str,
) -> None:
    """Whatever the model, detail set and budget: the sent size's own estimate is the fit's
    tokens and within budget; it is never larger than the input, keeps its aspect, keeps the
    legibility floor, and the server keeps it as sent."""
    fit = _fit_or_none(
        width,
        height,
        model=model,
        max_tokens=budget,
        details=details,
        min_side=min_side,
        prefer=prefer,
    )
    if fit is None:
        return
    assert fit.tokens == estimate_image_tokens(
        fit.width, fit.height, model=model, detail=fit.detail
    )
    assert fit.tokens <= budget
    assert fit.width <= width
    assert fit.height <= height
    assert _aspect_kept(fit)
    assert fit.detail in details
    assert target_size(fit.width, fit.height, model=model, detail=fit.detail) == (
        fit.width,
        fit.height,
    )
    if min_side is not None:
        assert min(fit.width, fit.height) >= min(min_side, width, height)


@PROPS
@given(
    width=sides,
    height=sides,
    model=st.sampled_from(MODELS),
    details=st.sampled_from(DETAIL_SETS),
    budgets=st.lists(budgets, min_size=2, max_size=2),
    prefer=st.sampled_from(["size", "detail"]),
)
def test_a_larger_budget_never_gives_a_smaller_or_cheaper_fit(
    width: int,
    height: int,
    model: str,
    details: tuple[str, ...],
    budgets: list[int],
    prefer: str,
) -> None:
    """Monotone in the budget: more budget never means fewer pixels (prefer=size) or a lower
    detail (prefer=detail), and never fewer tokens."""
    small, large = sorted(budgets)
    kw = {"model": model, "details": details, "prefer": prefer}
    a = _fit_or_none(width, height, max_tokens=small, **kw)
    b = _fit_or_none(width, height, max_tokens=large, **kw)
    if a is None:
        return
    assert b is not None
    assert a.tokens <= b.tokens
    if prefer == "size":
        assert a.width * a.height <= b.width * b.height
    else:
        assert (RANK[a.detail], a.width * a.height) <= (RANK[b.detail], b.width * b.height)


@PROPS
@given(
    width=sides,
    height=sides,
    model=st.sampled_from(MODELS),
    details=st.sampled_from(DETAIL_SETS),
    budget=budgets,
    min_side=st.none() | st.integers(min_value=1, max_value=2000),
)
def test_nothing_fits_names_the_true_cheapest_cost(
    width: int,
    height: int,
    model: str,
    details: tuple[str, ...],
    budget: int,
    min_side: int | None,
) -> None:
    """When nothing fits, the error's cost is achievable (a budget of exactly that fits) and
    minimal (it is over the budget that failed)."""
    kw = {"model": model, "details": details, "min_side": min_side}
    if _fit_or_none(width, height, max_tokens=budget, **kw) is not None:
        return
    with pytest.raises(BudgetExceededError) as info:
        fit_size(width, height, max_tokens=budget, **kw)  # type: ignore[arg-type]
    exc = info.value
    if exc.cheapest is None:  # min_side cannot be kept by these details at any budget
        assert "min_side" in str(exc)
        return
    assert exc.unit == "tokens"
    assert exc.limit == budget
    assert exc.cost > budget
    assert exc.over_by == exc.cost - budget
    fit = fit_size(width, height, max_tokens=int(exc.cost), **kw)  # type: ignore[arg-type]
    assert fit.tokens == exc.cost
    assert exc.cheapest[3] == exc.cost


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=2600),
    height=st.integers(min_value=1, max_value=2600),
    model=st.sampled_from(MODELS),
    budget=st.integers(min_value=0, max_value=6000),
)
def test_the_fit_is_the_largest_kept_size_within_budget(
    width: int, height: int, model: str, budget: int
) -> None:
    """Brute force over every longest side: no size the server keeps as sent that fits the
    budget shows more pixels than the fit (prefer=size)."""
    fit = _fit_or_none(width, height, model=model, max_tokens=budget)
    best = 0
    longest = max(width, height)
    for detail in ("low", "high", "original"):
        if fit is not None and detail not in {o.detail for o in fit.options} | {fit.detail}:
            continue
        for side in range(1, longest + 1, max(1, longest // 400)):
            # The other side rounded half up, as fit_size documents (round() would halve to even).
            w = side if width >= height else max(1, (2 * width * side + height) // (2 * height))
            h = side if height > width else max(1, (2 * height * side + width) // (2 * width))
            if target_size(w, h, model=model, detail=detail) != (w, h):
                continue
            tokens = size_image(w, h, model=model, detail=detail).tokens  # None: rejected
            if tokens is not None and tokens <= budget:
                best = max(best, w * h)
    if fit is None:
        assert best == 0
    else:
        assert fit.width * fit.height >= best


def test_prefer_detail_keeps_high_where_size_takes_low() -> None:
    """On gpt-4o a 300-token budget shows 512x384 either way; size takes the cheaper low,
    detail keeps high."""
    by_size = fit_size(4032, 3024, model="gpt-4o", max_tokens=300)
    by_detail = fit_size(4032, 3024, model="gpt-4o", max_tokens=300, prefer="detail")
    assert (by_size.detail, by_size.tokens) == ("low", 85)
    assert (by_detail.detail, by_detail.tokens) == ("high", 255)
    assert (by_size.width, by_size.height) == (by_detail.width, by_detail.height) == (512, 384)


def test_a_small_image_within_budget_is_sent_as_is() -> None:
    """No resize when the image fits whole at the best detail."""
    fit = fit_size(640, 480, model="gpt-4o", max_tokens=10_000)
    assert (fit.width, fit.height, fit.resized) == (640, 480, False)
    assert fit.tokens == estimate_image_tokens(640, 480, model="gpt-4o", detail="high")


def test_max_usd_converts_through_the_price_table() -> None:
    """A USD budget fits the image whose input cost, at the model's standard rate, is within it."""
    rate = DEFAULT_PRICES.lookup("gpt-4o").standard.input  # type: ignore[union-attr]
    budget_usd = 500 * rate / 1_000_000
    fit = fit_size(4032, 3024, model="gpt-4o", max_usd=budget_usd)
    assert fit.usd is not None
    assert fit.usd <= budget_usd
    assert fit.tokens == fit_size(4032, 3024, model="gpt-4o", max_tokens=500).tokens


def test_max_usd_without_a_price_row_says_what_to_do() -> None:
    """No price, no USD budget: a typed error naming the fix, not a guess."""
    register_model_rule(
        "unpriced-vision", family="tile", base_tokens=85, tile_tokens=170, source="t",
        as_of=date(2026, 1, 1),
    )  # fmt: skip
    try:
        with pytest.raises(InvalidOptionError, match="load_prices"):
            fit_size(100, 100, model="unpriced-vision", max_usd=1.0)
    finally:
        unregister_model_rule("unpriced-vision")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_tokens": -1},
        {"max_tokens": 1.5},
        {"max_usd": -0.1},
        {"max_usd": float("nan")},
        {"min_side": 0},
        {"prefer": "cheap"},
        {"details": []},
    ],
)
def test_bad_options_raise_the_package_error(kwargs: dict[str, object]) -> None:
    """Out-of-range options are typed errors under the package root."""
    with pytest.raises(OpenAIVisionExtError):
        fit_size(100, 100, model="gpt-4o", **kwargs)  # type: ignore[arg-type]


def test_the_error_message_says_cheapest_and_by_how_much() -> None:
    """The refusal names the cheapest option and the shortfall."""
    with pytest.raises(BudgetExceededError) as info:
        fit_size(4032, 3024, model="gpt-4o", max_tokens=50)
    exc = info.value
    assert (exc.cost, exc.limit, exc.over_by) == (85, 50, 35)
    assert exc.cheapest == ("low", 512, 384, 85)
    assert "85 tokens" in str(exc)
    assert "by 35 tokens" in str(exc)


# --------------------------------------------------------------------------------------------
# Advice


def test_advice_rows_equal_the_estimate_of_the_image_as_sent() -> None:
    """Every row is estimate_image_tokens/target_size of the image as given."""
    models = ["gpt-4o", "gpt-4.1-mini", "gpt-5", "gpt-5.4", "gpt-5.5"]
    advice = advise((4032, 3024), models=models)
    assert isinstance(advice, Advice)
    assert {r.model for r in advice.rows} == set(models)
    for r in advice.rows:
        if r.tokens is None:
            continue
        assert r.tokens == estimate_image_tokens(4032, 3024, model=r.model, detail=r.detail)
        assert (r.width, r.height) == target_size(4032, 3024, model=r.model, detail=r.detail)
        price = DEFAULT_PRICES.lookup(r.model)
        assert price is not None
        assert r.usd == pytest.approx(r.tokens * price.standard.input / 1_000_000)
    data = advice.as_dict()
    assert len(data["rows"]) == len(advice.rows)
    assert str(advice).splitlines()[0].split()[:3] == ["model", "detail", "model"]


@pytest.mark.parametrize("model", MODELS)
def test_low_costs_more_than_high_is_flagged_exactly_when_true(model: str) -> None:
    """The flag appears on the low row iff low's estimate exceeds high's for this image."""
    advice = advise((1800, 2400), models=[model], details=["low", "high"])
    low = estimate_image_tokens(1800, 2400, model=model, detail="low")
    high = estimate_image_tokens(1800, 2400, model=model, detail="high")
    (low_row,) = [r for r in advice.rows if r.detail == "low"]
    assert ("low costs more than high here" in low_row.flags) == (low > high)


def test_rejected_sizes_are_flagged_and_never_fitted() -> None:
    """A rule that rejects images over 30,000 patches: the advice says so (no tokens) and a
    fit never chooses a rejected size."""
    register_model_rule(
        "reject-vision",
        family="patch",
        multiplier="1.2",
        patch_limits={"high": PatchLimit(2500, 2048), "original": PatchLimit(10**9, 65_535)},
        auto="original",
        reject_over_patches=30_000,
        source="test",
        as_of=date(2026, 11, 1),
    )
    try:
        advice = advise((4096, 8192), models=["reject-vision"])
        (orig,) = [r for r in advice.rows if r.detail == "original"]
        assert orig.tokens is None
        assert orig.usd is None
        assert any(f.startswith("rejected: over 30,000 patches") for f in orig.flags)
        fit = fit_size(4096, 8192, model="reject-vision", max_tokens=10**6, details=["original"])
        rule = get_model_rule("reject-vision")
        assert -(-fit.width // 32) * -(-fit.height // 32) <= 30_000
        assert fit.tokens == estimate_image_tokens(
            fit.width, fit.height, model=rule.name, detail="original"
        )
    finally:
        unregister_model_rule("reject-vision")


def test_cheapest_keeping_min_side_is_resized_to_the_floor() -> None:
    """With min_side, the cheapest option is the cheapest model/detail at the smallest size
    that keeps the floor; its short side is at least min_side."""
    advice = advise((4032, 3024), models=["gpt-4o", "gpt-4o-mini", "gpt-4.1-mini"], min_side=768)
    c = advice.cheapest
    assert c is not None
    assert min(c.width, c.height) >= 768
    assert c.tokens == estimate_image_tokens(c.width, c.height, model=c.model, detail=c.detail)
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1-mini"):
        price = DEFAULT_PRICES.lookup(model)
        assert price is not None
        floor = fit_size(4032, 3024, model=model, max_tokens=10**6, min_side=768)
        # any option of this model at the floor costs at least the cheapest overall
        assert c.usd is not None
        smallest = min(o.tokens for o in floor.options)
        assert smallest * price.standard.input / 1e6 >= c.usd - 1e-12


def test_advise_reads_only_the_header_of_a_path(tmp_path: object) -> None:
    """advise takes a path (or bytes, PIL image, ImageInfo) like the rest of the package."""
    from pathlib import Path

    data = png((300, 200), "white")
    path = Path(str(tmp_path)) / "a.png"
    path.write_bytes(data)
    by_path = advise(path, models=["gpt-4o"])
    by_bytes = advise(data, models=["gpt-4o"])
    assert by_path == by_bytes
    assert (by_path.width, by_path.height) == (300, 200)


def test_advise_needs_a_model() -> None:
    """An empty model list is a typed error."""
    with pytest.raises(InvalidOptionError):
        advise((10, 10), models=[])


# --------------------------------------------------------------------------------------------
# image_part / image_url_part / prepare_image with a budget


def _png(width: int, height: int) -> bytes:
    return png((width, height), "teal")


def test_image_part_fits_the_budget_and_sends_the_chosen_detail() -> None:
    """The part's detail is the fit's, its image is the fitted size, and the whole request's
    image estimate equals the fit's tokens."""
    from openai_vision_ext import estimate_request, image_part, inspect_image

    part = image_part(_png(4000, 3000), model="gpt-4o", max_tokens=500)
    info = inspect_image(part["image_url"])
    fit = fit_size(4000, 3000, model="gpt-4o", max_tokens=500)
    assert (info.width, info.height, part["detail"]) == (fit.width, fit.height, fit.detail)
    est = estimate_request(model="gpt-4o", input=[{"role": "user", "content": [part]}])
    assert est.image_tokens == fit.tokens <= 500


def test_image_url_part_keeps_a_detail_that_was_asked_for() -> None:
    """An explicit detail is kept; the fit only chooses the size."""
    from openai_vision_ext import image_url_part, inspect_image

    part = image_url_part(_png(4000, 3000), model="gpt-4o", detail="high", max_tokens=300)
    assert part["image_url"]["detail"] == "high"
    info = inspect_image(part["image_url"]["url"])
    assert estimate_image_tokens(info.width, info.height, model="gpt-4o", detail="high") <= 300


def test_prepare_image_reports_what_was_chosen_and_why() -> None:
    """PreparedImage.fit carries original size, sent size, detail and tokens; summary says it."""
    from openai_vision_ext import prepare_image

    p = prepare_image(_png(4000, 3000), model="gpt-4o", max_tokens=500)
    assert p.fit is not None
    assert (p.fit.original_width, p.fit.original_height) == (4000, 3000)
    assert p.info is not None
    assert (p.info.width, p.info.height) == (p.fit.width, p.fit.height)
    assert "fitted: 4000x3000 -> " in p.summary()
    assert "425 tokens <= 500" in p.summary()


def test_prepare_image_fits_the_upright_size_of_a_rotated_jpeg() -> None:
    """EXIF orientation 6 (stored 400x300, shown 300x400): the fit sees 300x400."""

    from PIL import Image

    from openai_vision_ext import prepare_image

    im = Image.new("RGB", (400, 300), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    p = prepare_image(encode(im, "JPEG", exif=exif.tobytes()), model="gpt-4o", max_tokens=90)
    assert p.fit is not None
    assert (p.fit.original_width, p.fit.original_height) == (300, 400)
    assert p.info is not None
    assert p.info.width < p.info.height


@pytest.mark.parametrize(
    ("source", "kwargs", "error"),
    [
        ("https://example.com/a.png", {"model": "gpt-4o", "max_tokens": 100}, InvalidOptionError),
        (None, {"model": "gpt-4o", "max_tokens": 100, "file_id": "file-1"}, InvalidOptionError),
        ("png", {"max_tokens": 100}, InvalidOptionError),
        ("png", {"model": "gpt-4o", "min_side": 100}, InvalidOptionError),
        ("png", {"model": "gpt-4o", "max_tokens": 10}, BudgetExceededError),
    ],
)
def test_image_part_budget_misuse_is_a_typed_error(
    source: str | None, kwargs: dict[str, object], error: type[Exception]
) -> None:
    """A URL (unfetched), a file_id or a missing model cannot be fitted; an unreachable budget
    says so; nothing is built."""
    from openai_vision_ext import image_part

    src = _png(800, 600) if source == "png" else source
    with pytest.raises(error):
        image_part(src, **kwargs)  # type: ignore[arg-type]
