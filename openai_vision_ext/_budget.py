"""PURE: spend control. Fit an image to a token or USD budget per model, and advise on detail.

Nothing here knows an image token rule: every size and count comes from ``estimate_image_tokens``
and ``target_size`` (the estimate's own code), so a fit and an estimate cannot disagree.

How a fit searches (dimensions only, no pixels): for each detail, the candidate sizes are the
input scaled to keep its aspect, longest side ``L`` = 1 .. the input's. Only sizes the server
keeps as sent are candidates (``target_size(size) == size``), so the size sent is the size the
model sees and billed. On those sizes the estimate never falls as ``L`` grows, so a bisection
finds the largest one within budget in ~log2(L) estimates. The size the server would make of the
whole input is a candidate too. The choice is the maximum of a fixed order over every feasible
option (``prefer="size"``: most pixels seen, then fewer tokens, then higher detail;
``prefer="detail"``: highest detail, then most pixels, then fewer tokens), so a larger budget
never gives a smaller image.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from ._estimate import RequestEstimate, estimate_image_tokens, target_size
from ._exceptions import BudgetExceededError, InvalidOptionError
from ._prices import DEFAULT_PRICES, PriceTable, tier_for_service_tier
from ._rules import get_model_rule, image_token_range, sized_detail, sizing_for_rule
from ._rules_data import SizedDetail
from ._types import Detail, ImageInfo, ImageSource

__all__ = [
    "Advice",
    "AdviceRow",
    "Budget",
    "OnExceed",
    "Fit",
    "FitOption",
    "Prefer",
    "advise",
    "advise_size",
    "fit_size",
    "fitter",
    "over_budget",
    "supported_details",
]

Prefer: TypeAlias = Literal["size", "detail"]
"""What a fit gives up last: the pixels the model sees (``size``) or the ``detail`` level."""

OnExceed: TypeAlias = Literal["raise", "warn"]
"""What a client does with a request over its ``Budget``: refuse it, or log and send it."""

_RANK: dict[str, int] = {"low": 0, "high": 1, "original": 2}
_PER_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class FitOption:
    """One way to send an image: a detail and a size, and what it costs."""

    detail: Detail
    """``detail`` to send."""
    width: int
    """Width to send (the server keeps it: this is what the model sees)."""
    height: int
    tokens: int
    """``estimate_image_tokens(width, height, model=..., detail=detail)``."""
    usd: float | None
    """Input cost of ``tokens`` at the model's standard rate; ``None`` without a price row."""

    @property
    def pixels(self) -> int:
        """``width * height``."""
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Fit:
    """The detail and size chosen for an image under a budget, and why.

    >>> fit = fit_size(4032, 3024, model="gpt-4o", max_tokens=500)
    >>> print(fit.reason)
    4032x3024 -> 683x512 at detail=high, 425 tokens <= 500: the most pixels within budget
    """

    model: str
    detail: Detail
    """``detail`` to send (never ``auto``: the fit resolves it)."""
    width: int
    """Width to send; never larger than ``original_width``."""
    height: int
    original_width: int
    original_height: int
    tokens: int
    """Estimated image tokens at the sent size (``estimate_image_tokens`` on it)."""
    usd: float | None
    """Their input cost; ``None`` when the model has no price row."""
    max_tokens: int | None
    max_usd: float | None
    prefer: Prefer
    min_side: int | None
    options: tuple[FitOption, ...] = field(default=())
    """The best option of each detail that fits, chosen one included."""

    @property
    def resized(self) -> bool:
        """True when the sent size differs from the original."""
        return (self.width, self.height) != (self.original_width, self.original_height)

    @property
    def reason(self) -> str:
        """One line: original size, sent size, detail, tokens, and the rule that chose them."""
        limits = []
        if self.max_tokens is not None:
            limits.append(f"{self.tokens:,} tokens <= {self.max_tokens:,}")
        if self.max_usd is not None:
            limits.append(f"${_fmt_usd(self.usd)} <= ${_fmt_usd(self.max_usd)}")
        why = "the most pixels" if self.prefer == "size" else "the highest detail"
        floor = f" with a short side >= {self.min_side}" if self.min_side else ""
        return (
            f"{self.original_width}x{self.original_height} -> {self.width}x{self.height} "
            f"at detail={self.detail}, {', '.join(limits) or 'no budget'}: "
            f"{why}{floor} within budget"
        )


@dataclass(frozen=True, slots=True)
class AdviceRow:
    """What one model and detail would bill for the image sent as is."""

    model: str
    detail: Detail
    """``detail`` as it would be sent."""
    billed_detail: str
    """The sizing it bills at (``auto`` resolved)."""
    width: int
    """Width the server would resize the image to (what the model sees)."""
    height: int
    tokens: int | None
    """Estimated image tokens; ``None`` when the API would reject the image."""
    usd: float | None
    """Input cost of ``tokens``; ``None`` without a price row or when rejected."""
    flags: tuple[str, ...] = ()
    """Caveats such as ``low costs more than high here`` or ``rejected: over 30,000 patches``."""

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready data."""
        return {
            "model": self.model,
            "detail": self.detail,
            "billed_detail": self.billed_detail,
            "width": self.width,
            "height": self.height,
            "tokens": self.tokens,
            "usd": self.usd,
            "flags": list(self.flags),
        }


@dataclass(frozen=True, slots=True)
class Advice:
    """Tokens and USD of one image for each model and detail, and the cheapest choice.

    ``str(advice)`` is the table; ``advice.as_dict()`` is the same as data.

    >>> advice = advise_size(4032, 3024, models=["gpt-4o"])
    >>> [(r.detail, r.width, r.height, r.tokens) for r in advice.rows]
    [('low', 512, 384, 85), ('high', 1024, 768, 765), ('auto', 1024, 768, 765)]
    """

    width: int
    """Width of the image as given."""
    height: int
    rows: tuple[AdviceRow, ...]
    min_side: int | None
    cheapest: Fit | None
    """The cheapest (USD where every model has a price, else tokens) option whose sent size
    keeps ``min_side`` on its short side, resized to the smallest such size; with no
    ``min_side``, the cheapest row sent as is (as a ``Fit`` of that row's size)."""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The advice as plain JSON-ready data."""
        cheapest = self.cheapest
        return {
            "width": self.width,
            "height": self.height,
            "min_side": self.min_side,
            "rows": [row.as_dict() for row in self.rows],
            "cheapest": None
            if cheapest is None
            else {
                "model": cheapest.model,
                "detail": cheapest.detail,
                "width": cheapest.width,
                "height": cheapest.height,
                "tokens": cheapest.tokens,
                "usd": cheapest.usd,
            },
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        header = ("model", "detail", "model sees", "tokens", "USD", "flags")
        lines = [
            (
                r.model,
                r.detail if r.detail == r.billed_detail else f"{r.detail} (={r.billed_detail})",
                f"{r.width}x{r.height}",
                "-" if r.tokens is None else f"{r.tokens:,}",
                "-" if r.usd is None else _fmt_usd(r.usd),
                "; ".join(r.flags),
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
        out = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *lines]
        ]
        cheap = self.cheapest
        if cheap is not None:
            keep = f" keeping short side >= {self.min_side}" if self.min_side else ""
            cost = f", ${_fmt_usd(cheap.usd)}" if cheap.usd is not None else ""
            out.append(
                f"cheapest{keep}: {cheap.model} detail={cheap.detail} at "
                f"{cheap.width}x{cheap.height}: {cheap.tokens:,} tokens{cost}"
            )
        out.extend(f"note: {n}" for n in self.notes)
        return "\n".join(out)


@dataclass(frozen=True, slots=True)
class Budget:
    """A cap on one request's input, checked before anything is sent (``VisionOpenAI(budget=)``,
    ``client.with_budget(...)``).

    The check uses the estimate's upper bound: an image of unknown size (URL, ``file_id``)
    counts at the most its detail can cost on the model, and a request whose input has no
    bound (a stored ``prompt``, ``previous_response_id``, ``conversation``) or no image rule
    cannot be shown to fit, so it is over budget. ``max_usd`` prices the upper bound at the
    request's ``service_tier``, plus the output maximum when the request sets one
    (``max_output_tokens``, ``max_completion_tokens``, ``max_tokens``); without one only the
    input is priced.

    >>> Budget(max_input_tokens=10_000)
    Budget(max_input_tokens=10000, max_usd=None, on_exceed='raise')
    """

    max_input_tokens: int | None = None
    """Most input tokens one request may be estimated at (upper bound)."""
    max_usd: float | None = None
    """Most USD one request may be estimated at (upper bound)."""
    on_exceed: OnExceed = "raise"
    """``raise``: ``BudgetExceededError``, nothing sent; ``warn``: log a warning and send."""

    def __post_init__(self) -> None:
        if self.max_input_tokens is None and self.max_usd is None:
            raise InvalidOptionError("Budget needs max_input_tokens=, max_usd=, or both")
        _check_budget(self.max_input_tokens, self.max_usd, None, "size")
        if self.on_exceed not in ("raise", "warn"):
            raise InvalidOptionError(f"on_exceed must be 'raise' or 'warn', not {self.on_exceed!r}")


def over_budget(
    budget: Budget,
    estimate: RequestEstimate | None,
    *,
    model: str,
    request: Mapping[str, Any],
    prices: PriceTable = DEFAULT_PRICES,
) -> BudgetExceededError | None:
    """The error for a request whose estimate can exceed ``budget`` (``None`` if it fits).

    ``estimate`` is ``None`` when the model has no image rule (then nothing can be shown).

    >>> from openai_vision_ext import estimate_request
    >>> est = estimate_request(model="gpt-4o", input="Say hello")
    >>> over_budget(Budget(max_input_tokens=5), est, model="gpt-4o", request={}).over_by
    4
    """
    if estimate is None:
        return BudgetExceededError(
            f"no token estimate for model {model!r} (no image rule), so the request cannot be "
            "shown to fit its budget; nothing was sent. Register a rule with "
            "register_model_rule(...), or send it without a budget",
            unit="tokens",
            limit=budget.max_input_tokens if budget.max_input_tokens is not None else 0,
            cost=math.inf,
        )
    images = _costliest(estimate)
    upper = estimate.upper
    if budget.max_input_tokens is not None and (upper is None or upper > budget.max_input_tokens):
        return _request_error("tokens", budget.max_input_tokens, upper, images, bounded=upper)
    if budget.max_usd is None:
        return None
    usd = _usd_upper(estimate, model, request, prices)
    if usd is None or usd > budget.max_usd:
        return _request_error("usd", budget.max_usd, usd, images, bounded=upper)
    return None


def _costliest(estimate: RequestEstimate) -> list[tuple[int, int, str]]:
    """(index, most tokens, how known) per image, most expensive first."""
    rule = get_model_rule(estimate.rule)
    out: list[tuple[int, int, str]] = []
    for im in estimate.images:
        if im.tokens is not None:
            out.append((im.index, im.tokens, f"{im.width}x{im.height}, {im.billed_detail}"))
        else:
            sized = im.billed_detail or "high"
            most = image_token_range(rule, sized)[1]
            given = "URL" if im.source == "url" else im.source
            out.append((im.index, most, f"{given} of unknown size, {sized}: at its most"))
    return sorted(out, key=lambda t: (-t[1], t[0]))


def _usd_upper(
    estimate: RequestEstimate, model: str, request: Mapping[str, Any], prices: PriceTable
) -> float | None:
    if estimate.cost_upper_usd is not None:
        return estimate.cost_upper_usd
    if estimate.upper is None:
        return None
    tier, _ = tier_for_service_tier(request.get("service_tier"))
    if tier is None:
        return None
    cost = prices.cost(model, input_tokens=estimate.upper, output_tokens=0, tier=tier)
    return None if cost is None else cost.total_usd


def _request_error(
    unit: Literal["tokens", "usd"],
    limit: float,
    cost: float | None,
    images: list[tuple[int, int, str]],
    *,
    bounded: int | None,
) -> BudgetExceededError:
    def amount(value: float) -> str:
        return f"{value:,.0f} input tokens" if unit == "tokens" else f"${_fmt_usd(value)}"

    if cost is None:
        why = (
            "its input has no upper bound (stored prompt, previous_response_id or conversation)"
            if bounded is None
            else "it has no price for this model and tier"
        )
        head = f"the request cannot be shown to fit its budget of {amount(limit)}: {why}"
        value = math.inf
    else:
        head = (
            f"the request can cost up to {amount(cost)}, over its budget of {amount(limit)} "
            f"by {amount(cost - limit)}"
        )
        value = cost
    top = "; ".join(f"image {i}: {tokens:,} tokens ({how})" for i, tokens, how in images[:3])
    costliest = f". Costliest images: {top}" if top else ""
    return BudgetExceededError(
        f"{head}; nothing was sent{costliest}. Shrink or drop images (image_part(..., "
        "max_tokens=...)), or raise the budget (client.with_budget(...))",
        unit=unit,
        limit=limit,
        cost=value,
        images=[(i, tokens) for i, tokens, _ in images],
    )


# --------------------------------------------------------------------------------------------
# Public pure functions


def supported_details(model: str) -> tuple[SizedDetail, ...]:
    """The details a fit tries and an advice lists by default: those the model accepts
    (``ModelRule.details``), ``original`` only where the rule has its own ``original`` sizing
    (elsewhere it would bill as ``high`` at best).

    >>> supported_details("gpt-4o"), supported_details("gpt-5.4")
    (('low', 'high'), ('low', 'high', 'original'))
    """
    rule = get_model_rule(model)
    has_original = any(d == "original" for d, _ in rule.patch_limits)
    return tuple(d for d in rule.details if d != "original" or has_original)


def fit_size(
    width: int,
    height: int,
    *,
    model: str,
    max_tokens: int | None = None,
    max_usd: float | None = None,
    min_side: int | None = None,
    prefer: Prefer = "size",
    details: Iterable[Detail] | None = None,
    prices: PriceTable = DEFAULT_PRICES,
) -> Fit:
    """Choose the detail and the largest size of a ``width`` x ``height`` image whose estimated
    tokens (and USD) fit the budget on ``model``; never larger than the input, aspect kept.

    ``min_side`` is a legibility floor: the short side sent (and seen) is at least
    ``min(min_side, the input's short side)``. ``details`` limits the details tried (default:
    ``supported_details(model)``). Raises ``BudgetExceededError`` with the cheapest possible
    cost when nothing fits.

    >>> fit = fit_size(4032, 3024, model="gpt-4o", max_tokens=1000)
    >>> (fit.detail, fit.width, fit.height, fit.tokens)
    ('high', 1024, 768, 765)
    >>> fit = fit_size(4032, 3024, model="gpt-4o", max_tokens=300)  # high's 512x384 costs 255
    >>> (fit.detail, fit.width, fit.height, fit.tokens)
    ('low', 512, 384, 85)
    >>> try:
    ...     fit_size(4032, 3024, model="gpt-4o", max_tokens=50)
    ... except BudgetExceededError as e:
    ...     print(e)
    no detail or size of this 4032x3024 image fits 50 tokens on gpt-4o: the cheapest is 85 \
tokens ($0.000212) (detail=low at 512x384); raise the budget by 35 tokens
    """
    _check_budget(max_tokens, max_usd, min_side, prefer)
    if width < 1 or height < 1:
        estimate_image_tokens(width, height, model=model, detail="high")  # raises ImageError
    tried = _details(model, details)
    price = _pricer(model, prices, needed=max_usd is not None)
    floor = None if min_side is None else min(min_side, width, height)

    def fits(tokens: int) -> bool:
        if max_tokens is not None and tokens > max_tokens:
            return False
        return max_usd is None or price(tokens) <= Decimal(str(max_usd))

    options = [
        o
        for d in tried
        if (o := _best_of_detail(width, height, model, d, fits, floor, price)) is not None
    ]
    if not options:
        raise _nothing_fits(width, height, model, tried, floor, price, max_tokens, max_usd)
    best = max(options, key=_order(prefer))
    return Fit(
        model=model,
        detail=best.detail,
        width=best.width,
        height=best.height,
        original_width=width,
        original_height=height,
        tokens=best.tokens,
        usd=best.usd,
        max_tokens=max_tokens,
        max_usd=max_usd,
        prefer=prefer,
        min_side=min_side,
        options=tuple(options),
    )


def advise_size(
    width: int,
    height: int,
    *,
    models: Sequence[str],
    details: Iterable[Detail] | None = None,
    min_side: int | None = None,
    prices: PriceTable = DEFAULT_PRICES,
) -> Advice:
    """Tokens and USD of a ``width`` x ``height`` image sent as is, for each model and detail,
    with flags, and the cheapest option that keeps ``min_side`` (see ``Advice.cheapest``).

    ``details`` defaults to each model's ``supported_details`` plus ``auto``.

    >>> print(advise_size(4032, 3024, models=["gpt-4o", "gpt-4o-mini"], min_side=768))
    model        detail        model sees  tokens  USD       flags
    gpt-4o       low           512x384     85      0.000212
    gpt-4o       high          1024x768    765     0.001912
    gpt-4o       auto (=high)  1024x768    765     0.001912
    gpt-4o-mini  low           512x384     2,833   0.000425
    gpt-4o-mini  high          1024x768    25,501  0.003825
    gpt-4o-mini  auto (=high)  1024x768    25,501  0.003825
    cheapest keeping short side >= 768: gpt-4o detail=high at 1024x768: 765 tokens, $0.001912
    """
    if not models:
        raise InvalidOptionError("advise needs at least one model")
    _check_budget(None, None, min_side, "size")
    rows: list[AdviceRow] = []
    notes: list[str] = []
    cheapest: list[Fit] = []
    for model in models:
        price = _pricer(model, prices, needed=False)
        wanted: tuple[Detail, ...] = (
            (*supported_details(model), "auto") if details is None else tuple(details)
        )
        model_rows = [_row(width, height, model, d, price) for d in wanted]
        rows.extend(_flag_low_over_high(width, height, model, model_rows))
        if prices.lookup(model) is None:
            notes.append(f"{model}: no price row, USD unknown")
        if min_side is not None:
            option = _cheapest_fit(width, height, model, min_side, prices)
            if option is not None:
                cheapest.append(option)
        else:
            cheapest.extend(
                _row_as_fit(width, height, row) for row in model_rows if row.tokens is not None
            )
    pick = _cheapest(cheapest)
    return Advice(
        width=width,
        height=height,
        rows=tuple(rows),
        min_side=min_side,
        cheapest=pick,
        notes=tuple(notes),
    )


def advise(
    image: ImageSource | ImageInfo | tuple[int, int],
    *,
    models: Sequence[str],
    details: Iterable[Detail] | None = None,
    min_side: int | None = None,
    prices: PriceTable = DEFAULT_PRICES,
) -> Advice:
    """``advise_size`` for an image source (path, bytes, file, PIL image, data URL), an
    ``ImageInfo``, or a ``(width, height)`` pair. Only the image's header is read.

    >>> advice = advise((1024, 1024), models=["gpt-4o", "gpt-4.1-mini"], min_side=512)
    >>> c = advice.cheapest
    >>> (c.model, c.detail, c.width, c.height, c.tokens)
    ('gpt-4.1-mini', 'high', 512, 512, 416)
    """
    if isinstance(image, tuple):
        width, height = image
    else:
        if not isinstance(image, ImageInfo):
            from ._image.sources import inspect_image  # the one I/O edge: reads the header only

            image = inspect_image(image)
        width, height = image.width, image.height
    return advise_size(
        width, height, models=models, details=details, min_side=min_side, prices=prices
    )


def fitter(
    *,
    model: str | None,
    detail: Detail,
    max_tokens: int | None,
    max_usd: float | None,
    min_side: int | None,
    prefer: Prefer,
    prices: PriceTable = DEFAULT_PRICES,
) -> Callable[[int, int], Fit] | None:
    """The fit ``prepare_image``/``image_part`` apply once the image's size is known, with its
    options checked now (before any decoding); ``None`` without a budget.

    ``detail="auto"`` lets the fit choose among the model's details; any other detail is kept.

    >>> fitter(model="gpt-4o", detail="auto", max_tokens=None, max_usd=None, min_side=None,
    ...        prefer="size") is None
    True
    >>> fit = fitter(model="gpt-4o", detail="high", max_tokens=500, max_usd=None,
    ...              min_side=None, prefer="size")
    >>> fit(4032, 3024).detail
    'high'
    """
    if max_tokens is None and max_usd is None:
        if min_side is not None or prefer != "size":
            raise InvalidOptionError("min_side and prefer need max_tokens= or max_usd=")
        return None
    if model is None:
        raise InvalidOptionError(
            "fitting to max_tokens/max_usd needs model=: the token rules depend on the model"
        )
    _check_budget(max_tokens, max_usd, min_side, prefer)
    details = None if detail == "auto" else _details(model, [detail])
    _pricer(model, prices, needed=max_usd is not None)

    def fit(width: int, height: int) -> Fit:
        return fit_size(
            width,
            height,
            model=model,
            max_tokens=max_tokens,
            max_usd=max_usd,
            min_side=min_side,
            prefer=prefer,
            details=details,
            prices=prices,
        )

    return fit


# --------------------------------------------------------------------------------------------
# The search


def _best_of_detail(
    width: int,
    height: int,
    model: str,
    detail: Detail,
    fits: Callable[[int], bool],
    floor: int | None,
    price: Callable[[int], Decimal],
) -> FitOption | None:
    """The largest size at ``detail`` that fits, or ``None``."""

    def usable(size: tuple[int, int]) -> int | None:
        """Tokens of ``size`` if the server keeps it, does not reject it, and it fits."""
        if target_size(*size, model=model, detail=detail) != size:
            return None
        if _rejected(model, *size, detail) is not None:
            return None
        tokens = estimate_image_tokens(*size, model=model, detail=detail)
        return tokens if fits(tokens) else None

    candidates: list[tuple[int, int]] = []
    seen = target_size(width, height, model=model, detail=detail)
    if _keeps(seen, floor) and usable(seen) is not None:
        candidates.append(seen)
    longest = max(width, height)
    low = _smallest_keeping(width, height, floor)
    if low <= longest and usable(_scaled(width, height, low)) is not None:
        hi = low  # invariant: usable(hi); bisect for the largest usable longest side
        top = longest
        while hi < top:
            mid = (hi + top + 1) // 2
            if usable(_scaled(width, height, mid)) is not None:
                hi = mid
            else:
                top = mid - 1
        candidates.append(_scaled(width, height, hi))
    if not candidates:
        return None
    w, h = max(candidates, key=lambda s: (s[0] * s[1], -s[0]))
    tokens = estimate_image_tokens(w, h, model=model, detail=detail)
    return FitOption(detail, w, h, tokens, _usd(price, tokens))


def _scaled(width: int, height: int, longest: int) -> tuple[int, int]:
    """The input scaled so its longest side is ``longest`` (other side rounded half up, >= 1)."""
    if width >= height:
        return longest, max(1, (2 * height * longest + width) // (2 * width))
    return max(1, (2 * width * longest + height) // (2 * height)), longest


def _keeps(size: tuple[int, int], floor: int | None) -> bool:
    return floor is None or min(size) >= floor


def _smallest_keeping(width: int, height: int, floor: int | None) -> int:
    """The smallest longest side whose scaled short side is at least ``floor``."""
    longest = max(width, height)
    if floor is None:
        return 1
    lo, hi = 1, longest  # the input itself keeps it (floor <= its short side)
    while lo < hi:
        mid = (lo + hi) // 2
        if min(_scaled(width, height, mid)) >= floor:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _order(prefer: Prefer) -> Callable[[FitOption], tuple[int, ...]]:
    if prefer == "detail":
        return lambda o: (_RANK[o.detail], o.pixels, -o.tokens)
    return lambda o: (o.pixels, -o.tokens, _RANK[o.detail])


def _rejected(model: str, width: int, height: int, detail: Detail) -> str | None:
    """Why the API would reject the image at ``detail`` (``None`` when accepted)."""
    return sizing_for_rule(get_model_rule(model), width, height, detail).rejected


def _nothing_fits(
    width: int,
    height: int,
    model: str,
    details: Sequence[Detail],
    floor: int | None,
    price: Callable[[int], Decimal],
    max_tokens: int | None,
    max_usd: float | None,
) -> BudgetExceededError:
    cheapest = [
        o for d in details if (o := _cheapest_of_detail(width, height, model, d, floor, price))
    ]
    if not cheapest:
        return BudgetExceededError(
            f"no detail tried of this {width}x{height} image on {model} can keep a short side "
            f"of {floor}; lower min_side or allow another detail",
            unit="tokens",
            limit=max_tokens or 0,
            cost=0,
        )
    low = min(cheapest, key=lambda o: (o.tokens, -_RANK[o.detail]))
    limits = []
    if max_tokens is not None:
        limits.append(f"{max_tokens:,} tokens")
    if max_usd is not None:
        limits.append(f"${_fmt_usd(max_usd)}")
    keep = f" keeping a short side of {floor}" if floor else ""
    cost = f"{low.tokens:,} tokens" + (f" (${_fmt_usd(low.usd)})" if low.usd is not None else "")
    if max_tokens is not None and low.tokens > max_tokens:
        over = f"{low.tokens - max_tokens:,} tokens"
        unit: Literal["tokens", "usd"] = "tokens"
        limit: float = max_tokens
        value: float = low.tokens
    else:
        assert max_usd is not None
        assert low.usd is not None
        over = f"${_fmt_usd(low.usd - max_usd)}"
        unit, limit, value = "usd", max_usd, low.usd
    return BudgetExceededError(
        f"no detail or size of this {width}x{height} image fits {' and '.join(limits)} on "
        f"{model}{keep}: the cheapest is {cost} (detail={low.detail} at "
        f"{low.width}x{low.height}); raise the budget by {over}",
        unit=unit,
        limit=limit,
        cost=value,
        cheapest=(low.detail, low.width, low.height, low.tokens),
    )


def _cheapest_of_detail(
    width: int,
    height: int,
    model: str,
    detail: Detail,
    floor: int | None,
    price: Callable[[int], Decimal],
) -> FitOption | None:
    """The cheapest option at ``detail`` that keeps ``floor``, at the largest size with that
    cost; ``None`` when no size the server keeps at ``detail`` keeps ``floor``.

    On the sizes the server keeps, the estimate never falls as the size grows, so the
    smallest size that keeps ``floor`` is the cheapest.
    """
    candidates = [
        _scaled(width, height, _smallest_keeping(width, height, floor)),
        target_size(width, height, model=model, detail=detail),
    ]
    for size in candidates:
        if (
            _keeps(size, floor)
            and target_size(*size, model=model, detail=detail) == size
            and _rejected(model, *size, detail) is None
        ):
            least = estimate_image_tokens(*size, model=model, detail=detail)
            return _best_of_detail(width, height, model, detail, least.__ge__, floor, price)
    return None


# --------------------------------------------------------------------------------------------
# Advice pieces


def _row(
    width: int, height: int, model: str, detail: Detail, price: Callable[[int], Decimal]
) -> AdviceRow:
    rule = get_model_rule(model)
    billed = sized_detail(rule, detail)
    w, h = target_size(width, height, model=model, detail=detail)
    flags: list[str] = []
    if detail == "original" and billed == "original" and "original" not in supported_details(model):
        flags.append("no 'original' sizing known for this model: estimated as high")
    reason = _rejected(model, width, height, detail)
    if reason is not None:
        flags.append(f"rejected: {reason}")
        return AdviceRow(model, detail, billed, w, h, None, None, tuple(flags))
    tokens = estimate_image_tokens(width, height, model=model, detail=detail)
    return AdviceRow(model, detail, billed, w, h, tokens, _usd(price, tokens), tuple(flags))


def _flag_low_over_high(
    width: int, height: int, model: str, rows: list[AdviceRow]
) -> list[AdviceRow]:
    low = estimate_image_tokens(width, height, model=model, detail="low")
    high = estimate_image_tokens(width, height, model=model, detail="high")
    if low <= high:
        return rows
    flag = "low costs more than high here"
    return [
        AdviceRow(
            r.model,
            r.detail,
            r.billed_detail,
            r.width,
            r.height,
            r.tokens,
            r.usd,
            (*r.flags, flag),
        )
        if r.billed_detail == "low"
        else r
        for r in rows
    ]


def _row_as_fit(width: int, height: int, row: AdviceRow) -> Fit:
    assert row.tokens is not None
    return Fit(
        model=row.model,
        detail=row.detail,
        width=width,
        height=height,
        original_width=width,
        original_height=height,
        tokens=row.tokens,
        usd=row.usd,
        max_tokens=None,
        max_usd=None,
        prefer="size",
        min_side=None,
    )


def _cheapest_fit(
    width: int, height: int, model: str, min_side: int, prices: PriceTable
) -> Fit | None:
    """The cheapest option of ``model`` whose sent short side keeps ``min_side``."""
    price = _pricer(model, prices, needed=False)
    floor = min(min_side, width, height)
    options = [
        o
        for d in supported_details(model)
        if (o := _cheapest_of_detail(width, height, model, d, floor, price))
    ]
    if not options:
        return None
    low = min(options, key=lambda o: (o.tokens, -_RANK[o.detail]))
    return Fit(
        model=model,
        detail=low.detail,
        width=low.width,
        height=low.height,
        original_width=width,
        original_height=height,
        tokens=low.tokens,
        usd=low.usd,
        max_tokens=None,
        max_usd=None,
        prefer="size",
        min_side=min_side,
        options=tuple(options),
    )


def _cheapest(fits: Sequence[Fit]) -> Fit | None:
    if not fits:
        return None
    if all(f.usd is not None for f in fits):
        return min(fits, key=lambda f: (f.usd or 0.0, f.tokens))
    return min(fits, key=lambda f: f.tokens)


# --------------------------------------------------------------------------------------------
# Checks and prices


def _details(model: str, details: Iterable[Detail] | None) -> tuple[Detail, ...]:
    if details is None:
        return supported_details(model)
    rule = get_model_rule(model)
    chosen: list[Detail] = []
    for d in details:
        sized = sized_detail(rule, d)  # raises InvalidDetailError on a bad value
        if sized not in chosen:
            chosen.append(sized)
    if not chosen:
        raise InvalidOptionError("details must name at least one detail")
    return tuple(chosen)


def _check_budget(
    max_tokens: int | None, max_usd: float | None, min_side: int | None, prefer: object
) -> None:
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0
    ):
        raise InvalidOptionError(f"max_tokens must be a whole number >= 0, not {max_tokens!r}")
    if max_usd is not None and (
        not isinstance(max_usd, int | float) or isinstance(max_usd, bool) or not max_usd >= 0
    ):
        raise InvalidOptionError(f"max_usd must be a number >= 0, not {max_usd!r}")
    if min_side is not None and (
        not isinstance(min_side, int) or isinstance(min_side, bool) or min_side < 1
    ):
        raise InvalidOptionError(f"min_side must be a whole number >= 1, not {min_side!r}")
    if prefer not in ("size", "detail"):
        raise InvalidOptionError(f"prefer must be 'size' or 'detail', not {prefer!r}")


def _pricer(model: str, prices: PriceTable, *, needed: bool) -> Callable[[int], Decimal]:
    """Input USD of ``tokens`` image tokens on ``model`` (standard tier); NaN without a row."""
    row = prices.lookup(model)
    if row is None:
        if needed:
            raise InvalidOptionError(
                f"max_usd needs a price for {model!r}, and the price table has none; pass "
                "max_tokens instead, or prices=load_prices(...) with a row for it"
            )
        return lambda tokens: Decimal("NaN")
    rate = Decimal(str(row.standard.input))
    return lambda tokens: Decimal(tokens) * rate / _PER_MILLION


def _usd(price: Callable[[int], Decimal], tokens: int) -> float | None:
    value = price(tokens)
    return None if value.is_nan() else float(value)


def _fmt_usd(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"
