"""USD prices: a dated, sourced table, its lookup, and billed tokens -> cost.

The shipped rows live in ``_prices_data``; nothing is fetched, ever. Users override or extend the
table from a dict or a JSON file. A model without a row costs ``None``, never a guess.
Lookup order, as for image rules: exact name, then the name without a ``-YYYY-MM-DD`` snapshot
suffix, then the longest registered prefix.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from . import _prices_data as data
from ._exceptions import PriceTableError
from ._records import maker
from ._usage import BilledUsage, check_usage, is_count

__all__ = [
    "DEFAULT_PRICES",
    "SERVICE_TIERS",
    "TIERS",
    "Cost",
    "ModelPrice",
    "PriceTable",
    "PriceTableError",
    "Rates",
    "Tier",
    "load_prices",
    "price_usage",
    "tier_for_service_tier",
]

Tier: TypeAlias = Literal["standard", "batch", "flex", "priority", "ultrafast"]
"""Processing tier a price applies to: OpenAI's ``service_tier`` as the *response* reports it
(``default`` = ``standard``, ``fast`` = ``priority``) or ``batch`` for the Batch API."""

TIERS: tuple[Tier, ...] = data.TIERS
"""Every tier a price row can hold, in display order."""

SERVICE_TIERS: Mapping[str, Tier | None] = MappingProxyType(
    {
        "default": "standard",
        "auto": "standard",
        "flex": "flex",
        "priority": "priority",
        "fast": "priority",
        "ultrafast": "ultrafast",
        "batch": "batch",
        "scale": None,
    }
)
"""A response's ``service_tier`` -> the price tier it is billed at. ``scale`` (prepaid capacity)
has no per-token price: ``None``. ``auto`` should never come back in a response; if it does it is
priced as ``standard`` with a note (see ``tier_for_service_tier``)."""

_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")
_PER_TOKENS = 1_000_000
_MAX_FOUND = 1024
"""Most model names a ``PriceTable`` remembers its ``lookup`` answer for (names come from
responses: bounded, so a stream of odd names cannot grow memory)."""
_MAX_FOUND_NAME = 128
"""Longest model name remembered (real ids are under 64 characters): with ``_MAX_FOUND`` it
bounds the memo at about 128 KiB of names, whatever a server or a caller sends."""
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class Rates:
    """One tier's prices in USD per 1M tokens."""

    input: float
    """Uncached input tokens."""
    cached_input: float | None
    """Cached input tokens (cache reads); ``None`` when no discount is published (billed at
    ``input``)."""
    output: float
    """Output tokens, reasoning tokens included."""
    cache_write: float | None = None
    """Input tokens written to the prompt cache (default retention); ``None`` when no write price
    is published: writes are billed as ordinary input."""
    cache_write_12h: float | None = None
    """Cache writes kept 12 hours; ``None``: billed at ``cache_write`` (or ``input``)."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's prices per tier, with where and when they were read."""

    model: str
    standard: Rates
    source: str
    as_of: str
    """ISO date the price was read from ``source``."""
    tiers: Mapping[str, Rates] = field(default_factory=dict)
    """Rates by tier (``standard`` included); a tier not here has no published price."""
    long_context: Mapping[str, Rates] = field(default_factory=dict)
    """Rates by tier for requests whose input exceeds ``long_context_over`` tokens."""
    long_context_over: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "tiers", MappingProxyType({"standard": self.standard, **self.tiers})
        )
        object.__setattr__(self, "long_context", MappingProxyType(dict(self.long_context)))

    @property
    def batch(self) -> Rates | None:
        """Batch API rates (``None`` if unpublished)."""
        return self.tiers.get("batch")

    @property
    def flex(self) -> Rates | None:
        """Flex processing rates (``None`` if unpublished)."""
        return self.tiers.get("flex")

    @property
    def priority(self) -> Rates | None:
        """Priority processing rates (``None`` if unpublished)."""
        return self.tiers.get("priority")

    def is_long(self, input_tokens: int) -> bool:
        """Whether ``input_tokens`` is above this row's long-context threshold."""
        return self.long_context_over is not None and input_tokens > self.long_context_over

    def rates(self, *, tier: Tier = "standard", input_tokens: int = 0) -> Rates | None:
        """The rates that apply, or ``None`` when this row has none for that case.

        >>> p = DEFAULT_PRICES.lookup("gpt-5.4")
        >>> p.rates(input_tokens=300_000) == p.long_context["standard"]
        True
        >>> p.rates(tier="flex").input, p.rates(tier="priority").input
        (1.25, 5.0)
        """
        if self.is_long(input_tokens):
            return self.long_context.get(tier)  # no published long price for this tier: no guess
        return self.tiers.get(tier)


@dataclass(frozen=True, slots=True)
class Cost:
    """USD cost of one response (or estimate), from token counts and a price row."""

    input_usd: float
    """Uncached input tokens (neither read from nor written to the cache)."""
    cached_input_usd: float
    """Cache reads."""
    output_usd: float
    total_usd: float
    model: str
    """The price row used (e.g. ``gpt-4o`` for ``gpt-4o-2024-08-06``)."""
    tier: Tier
    """The tier priced (from the response's ``service_tier``)."""
    price_as_of: str
    price_table_version: str
    cache_write_usd: float = 0.0
    """Cache writes, at the write rate where one is published (else at the input rate)."""
    long_context: bool = False
    """Whether the long-context rates applied (input above the row's threshold)."""


_new_cost = maker(Cost)
"""Per-request constructor of ``Cost`` (see ``_records``)."""


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices by model name, with a lookup and a cost function.

    >>> DEFAULT_PRICES.lookup("gpt-4o-mini-2024-07-18").model
    'gpt-4o-mini'
    >>> DEFAULT_PRICES.lookup("my-own-model") is None
    True
    """

    version: str
    models: Mapping[str, ModelPrice]
    prefixes: tuple[tuple[str, str], ...] = field(default=())
    """(prefix, model row) pairs; the longest matching prefix wins."""
    _found: dict[str, ModelPrice | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """``lookup``'s answers by model name (the table is immutable), at most ``_MAX_FOUND``:
    a served model's dated name is matched by a regular expression once, not per request."""

    def __post_init__(self) -> None:
        if not isinstance(self.models, Mapping) or not all(
            isinstance(row, ModelPrice) for row in self.models.values()
        ):
            raise PriceTableError(
                "PriceTable(models=...) needs ModelPrice rows; build a table from a dict with "
                "load_prices({...}) or DEFAULT_PRICES.with_prices({...})"
            )
        object.__setattr__(self, "models", MappingProxyType(dict(self.models)))
        ordered = tuple(sorted(self.prefixes, key=lambda p: len(p[0]), reverse=True))
        object.__setattr__(self, "prefixes", ordered)
        for prefix, target in ordered:
            if target not in self.models:
                raise PriceTableError(f"prefix {prefix!r} points to {target!r}, which has no row")

    def lookup(self, model: str) -> ModelPrice | None:
        """The price row for ``model``: exact, then without snapshot date, then longest prefix."""
        found = self._found.get(model, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        row = self._find(model)
        if len(self._found) < _MAX_FOUND and type(model) is str and len(model) <= _MAX_FOUND_NAME:
            self._found[model] = row
        return row

    def _find(self, model: str) -> ModelPrice | None:
        if (row := self.models.get(model)) is not None:
            return row
        if (m := _SNAPSHOT.match(model)) and (row := self.models.get(m["base"])) is not None:
            return row
        for prefix, target in self.prefixes:
            if model.startswith(prefix):
                return self.models[target]
        return None

    def cost(
        self,
        model: str,
        *,
        input_tokens: int,
        cached_tokens: int = 0,
        output_tokens: int,
        tier: Tier = "standard",
        cache_write_tokens: int = 0,
        cache_write_12h_tokens: int = 0,
    ) -> Cost | None:
        """USD cost of billed tokens; ``None`` if the model or tier has no published price, or a
        count is negative (never a negative or infinite cost).

        ``input_tokens`` is the billed total, cache reads (``cached_tokens``) and cache writes
        (``cache_write_tokens``, of which ``cache_write_12h_tokens`` kept 12 h) included, as the
        API reports it; each part is priced once, at its own rate. Above the row's long-context
        threshold the tier's long-context rates apply to every part.

        >>> c = DEFAULT_PRICES.cost("gpt-4o", input_tokens=1_000_000, output_tokens=0)
        >>> (c.input_usd, c.total_usd, c.model)
        (2.5, 2.5, 'gpt-4o')
        >>> DEFAULT_PRICES.cost("gpt-5", input_tokens=1_000_000, output_tokens=0,
        ...     tier="flex").total_usd
        0.625
        >>> c = DEFAULT_PRICES.cost("gpt-5.6", input_tokens=200_000, output_tokens=0,
        ...     cached_tokens=100_000, cache_write_tokens=100_000)
        >>> (c.input_usd, c.cached_input_usd, c.cache_write_usd)
        (0.0, 0.04, 0.5)
        """
        row = self.lookup(model)
        if row is None:
            return None
        return _priced(
            row,
            self.version,
            input_tokens=input_tokens,
            cached_tokens=cached_tokens,
            output_tokens=output_tokens,
            tier=tier,
            cache_write_tokens=cache_write_tokens,
            cache_write_12h_tokens=cache_write_12h_tokens,
        )

    def with_prices(self, prices: Mapping[str, Any], *, version: str | None = None) -> PriceTable:
        """A new table with rows added or replaced from a dict (see ``load_prices`` for its shape).

        >>> t = DEFAULT_PRICES.with_prices({"models": {"my-ft": {"input": 1, "output": 2}}})
        >>> t.cost("my-ft", input_tokens=500_000, output_tokens=0).total_usd
        0.5
        >>> t.version
        '2026-11-30+custom'
        """
        if not isinstance(prices, Mapping):
            raise PriceTableError(
                f"prices must be a dict like load_prices() documents, not {type(prices).__name__}"
            )
        models, prefixes = _parse(prices)
        merged_prefixes = dict(self.prefixes) | prefixes
        return PriceTable(
            version=version or str(prices.get("version") or f"{self.version}+custom"),
            models={**self.models, **models},
            prefixes=tuple(merged_prefixes.items()),
        )


def _priced(
    row: ModelPrice,
    version: str,
    *,
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    tier: Tier,
    cache_write_tokens: int,
    cache_write_12h_tokens: int,
) -> Cost | None:
    """``PriceTable.cost`` with the row already looked up (callers that found it price once)."""
    if not (
        type(input_tokens) is type(cached_tokens) is type(output_tokens) is int
        and type(cache_write_tokens) is type(cache_write_12h_tokens) is int
        and min(input_tokens, cached_tokens, output_tokens, cache_write_tokens) >= 0
        and cache_write_12h_tokens >= 0
    ) and not _all_counts(
        input_tokens, cached_tokens, output_tokens, cache_write_tokens, cache_write_12h_tokens
    ):
        return None
    rates = row.rates(tier=tier, input_tokens=input_tokens)
    if rates is None:
        return None
    cached = min(cached_tokens, input_tokens)
    writes = min(cache_write_tokens, input_tokens - cached)
    writes_12h = min(cache_write_12h_tokens, writes)
    per_input, per_cached, per_write, per_write_12h, per_output, per_usd = _exact_rates(rates)
    input_usd = (input_tokens - cached - writes) * per_input
    cached_usd = cached * per_cached
    write_usd = (writes - writes_12h) * per_write + writes_12h * per_write_12h
    output_usd = output_tokens * per_output
    return _new_cost(  # each an exact ratio over one denominator, rounded once (int / int)
        input_usd=input_usd / per_usd,
        cached_input_usd=cached_usd / per_usd,
        output_usd=output_usd / per_usd,
        total_usd=(input_usd + cached_usd + write_usd + output_usd) / per_usd,
        model=row.model,
        tier=tier,
        price_as_of=row.as_of,
        price_table_version=version,
        cache_write_usd=write_usd / per_usd,
        long_context=row.is_long(input_tokens),
    )


def tier_for_service_tier(service_tier: object) -> tuple[Tier | None, str | None]:
    """The price tier for a response's ``service_tier`` and a note when it is not plain.

    ``None`` (the API did not say) is ``standard``. An unknown value or ``scale`` has no tier.

    >>> tier_for_service_tier("flex"), tier_for_service_tier(None)
    (('flex', None), ('standard', None))
    >>> tier_for_service_tier("scale")[0] is None
    True
    """
    if service_tier is None:
        return "standard", None
    tier = SERVICE_TIERS.get(str(service_tier))
    if str(service_tier) == "auto":
        return tier, "response service_tier 'auto' (not resolved by the server): priced as standard"
    if tier is None:
        return None, f"service_tier {str(service_tier)[:40]!r} has no per-token price: cost is None"
    return tier, None


def price_usage(
    usage: BilledUsage, models: Iterable[str | None], table: PriceTable
) -> tuple[Cost | None, tuple[str, ...]]:
    """Cost of billed ``usage`` at the tier its response reports, with the first of ``models``
    (served, then requested) that has a price row; plus notes on why it is ``None`` when it is
    and on odd usage (``check_usage``: a negative or absurd count is not priced).

    >>> u = BilledUsage(input_tokens=1000, cached_tokens=0, output_tokens=100,
    ...     reasoning_tokens=0, service_tier="flex")
    >>> cost, notes = price_usage(u, ["gpt-5-2025-08-07", "gpt-5"], DEFAULT_PRICES)
    >>> cost.tier, cost.total_usd, notes
    ('flex', 0.001125, ())
    """
    usage, notes = check_usage(usage)
    if usage.input_tokens is None or usage.output_tokens is None:
        return None, notes
    tier, tier_note = tier_for_service_tier(usage.service_tier)
    notes += (tier_note,) if tier_note else ()
    if tier is None:
        return None, notes
    for model in models:
        row = table.lookup(model) if model else None
        if row is None:
            continue
        cost = _priced(
            row,
            table.version,
            input_tokens=usage.input_tokens,
            cached_tokens=usage.cached_tokens or 0,
            output_tokens=usage.output_tokens,
            tier=tier,
            cache_write_tokens=usage.cache_write_tokens or 0,
            cache_write_12h_tokens=usage.cache_write_12h_tokens or 0,
        )
        if cost is None:
            long = " above the long-context threshold" if row.is_long(usage.input_tokens) else ""
            notes += (f"no published {tier} price{long} for {row.model!r}: cost is None",)
        return cost, notes
    return None, notes


def load_prices(
    source: str | os.PathLike[str] | Mapping[str, Any], *, base: PriceTable | None = None
) -> PriceTable:
    """Read a JSON price file (or take a dict of the same shape) and lay it over ``base`` (the
    shipped table by default). A file or dict of the wrong shape raises ``PriceTableError``.

    Shape (prices in USD per 1M tokens; ``cached_input``, ``cache_write``, ``cache_write_12h``,
    tiers (``batch``, ``flex``, ``priority``, ``ultrafast``), ``source``, ``as_of`` optional;
    ``long_context`` rates (standard tier; ``<tier>_long_context`` for another) apply above
    ``long_context_over`` input tokens, default 272,000)::

        {"version": "acme-2026-12",
         "models": {"my-ft-model": {"input": 3.0, "cached_input": 1.5, "output": 12.0,
                                    "batch": {"input": 1.5, "output": 6.0},
                                    "long_context": {"input": 6.0, "output": 18.0},
                                    "source": "contract #42", "as_of": "2026-12-01"}},
         "prefixes": {"ft:gpt-4o-mini": "my-ft-model"}}

    >>> load_prices({"models": {"my-ft": {"input": 1, "output": 2}}}).lookup("my-ft").standard
    Rates(input=1.0, cached_input=None, output=2.0, cache_write=None, cache_write_12h=None)

    >>> import json, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "prices.json"
    >>> _ = p.write_text(json.dumps({"models": {"gpt-4o": {"input": 2, "output": 8}}}))
    >>> load_prices(p).lookup("gpt-4o").standard.input
    2.0
    """
    if isinstance(source, Mapping):
        return (base or DEFAULT_PRICES).with_prices(source)
    if not isinstance(source, str | os.PathLike):
        raise PriceTableError(
            f"load_prices() takes a JSON file path or a dict, not {type(source).__name__}"
        )
    try:
        with open(source, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as exc:
        raise PriceTableError(f"cannot read price file {os.fspath(source)!r}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise PriceTableError(f"price file {os.fspath(source)!r} must hold a JSON object")
    return (base or DEFAULT_PRICES).with_prices(raw)


@functools.lru_cache(maxsize=256)
def _exact_rates(rates: Rates) -> tuple[int, int, int, int, int, int]:
    """``rates`` as exact integers over one common denominator: (input, cached input, cache
    write, 12 h cache write, output, denominator), so that ``tokens * part / denominator`` is
    the USD of ``tokens`` at that part's rate, exactly; an unpublished cached or write rate is
    the rate it is billed at. Each rate is the exact ratio of its shortest repr (``2.5`` ->
    ``5/2``, the value of ``Decimal("2.5")``, not of the binary float). Made once per tier's
    rates (bounded: 256 rate sets, more than every row and tier of a price table) since every
    request is priced; ``int / int`` then rounds each figure once, correctly.

    >>> _exact_rates(Rates(input=2.5, cached_input=1.25, output=10.0))
    (10, 5, 10, 10, 40, 4000000)
    """
    cached = rates.input if rates.cached_input is None else rates.cached_input
    write = rates.input if rates.cache_write is None else rates.cache_write
    write_12h = write if rates.cache_write_12h is None else rates.cache_write_12h
    ratios = [
        Decimal(str(rate)).as_integer_ratio()
        for rate in (rates.input, cached, write, write_12h, rates.output)
    ]
    common = math.lcm(*(denominator for _, denominator in ratios))
    parts = [numerator * (common // denominator) for numerator, denominator in ratios]
    return parts[0], parts[1], parts[2], parts[3], parts[4], common * _PER_TOKENS


def _all_counts(*values: object) -> bool:
    """Whether every value is a count (``is_count``); plain ints answer without a call."""
    for n in values:  # noqa: SIM110 - a loop, not all(<generator>): runs twice a request
        if not ((type(n) is int and n >= 0) or is_count(n)):
            return False
    return True


_TOP_KEYS = frozenset({"version", "models", "prefixes"})
_RATE_KEYS = ("input", "cached_input", "output", "cache_write", "cache_write_12h")
_ROW_KEYS = frozenset(
    {*_RATE_KEYS, "source", "as_of", "long_context", "long_context_over"}
    | {t for t in data.TIERS if t != "standard"}
    | {f"{t}_long_context" for t in data.TIERS if t != "standard"}
)


def _parse(raw: Mapping[str, Any]) -> tuple[dict[str, ModelPrice], dict[str, str]]:
    unknown = sorted(str(k) for k in raw if k not in _TOP_KEYS)
    if unknown:
        raise PriceTableError(
            f"unknown top-level price keys {unknown}: expected 'models', 'prefixes', 'version'"
        )
    models_raw = raw.get("models", {})
    prefixes_raw = raw.get("prefixes", {})
    if not isinstance(models_raw, Mapping) or not isinstance(prefixes_raw, Mapping):
        raise PriceTableError('"models" and "prefixes" must be JSON objects')
    models = {str(name): _parse_row(str(name), row) for name, row in models_raw.items()}
    return models, {str(p): str(t) for p, t in prefixes_raw.items()}


def _parse_row(name: str, row: Any) -> ModelPrice:
    if not isinstance(row, Mapping):
        raise PriceTableError(f"price for {name!r} must be an object with input and output")
    unknown = sorted(str(k) for k in row if k not in _ROW_KEYS)
    if unknown:
        raise PriceTableError(f"price for {name!r} has unknown keys {unknown}")
    tiers = {t: _parse_rates(name, row[t]) for t in data.TIERS if t != "standard" and t in row}
    long = {
        t: _parse_rates(name, row[key])
        for t in data.TIERS
        if (key := "long_context" if t == "standard" else f"{t}_long_context") in row
    }
    over = row.get("long_context_over", data.LONG_CONTEXT_OVER if long else None)
    if over is not None and (not isinstance(over, int) or isinstance(over, bool) or over < 0):
        raise PriceTableError(f"price for {name!r}: long_context_over must be a token count")
    return ModelPrice(
        model=name,
        standard=_parse_rates(name, row),
        source=str(row.get("source", "user-supplied")),
        as_of=str(row.get("as_of", "")),
        tiers=tiers,
        long_context=long,
        long_context_over=over if long else None,
    )


def _parse_rates(name: str, row: Any) -> Rates:
    try:
        values = [row.get(key) for key in _RATE_KEYS]
        if values[0] is None or values[2] is None:
            raise KeyError("input" if values[0] is None else "output")
        floats = [None if v is None else _number(v) for v in values]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PriceTableError(
            f"price for {name!r} needs numeric 'input' and 'output' (USD per 1M tokens): {exc!r}"
        ) from exc
    if any(v is not None and not 0 <= v < math.inf for v in floats):
        raise PriceTableError(f"price for {name!r} has a negative, NaN or infinite rate: {values}")
    return Rates(
        input=floats[0] or 0.0,
        cached_input=floats[1],
        output=floats[2] or 0.0,
        cache_write=floats[3],
        cache_write_12h=floats[4],
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _shipped_rates(values: tuple[float | None, ...]) -> Rates:
    padded = (*values, None, None)
    input_, cached, output, write, write_12h = padded[:5]
    assert input_ is not None
    assert output is not None
    return Rates(input_, cached, output, write, write_12h)


def _shipped_row(row: data.Row) -> ModelPrice:
    model, source_key, variants = row
    source, as_of = data.SOURCES[source_key]
    rates = {key: _shipped_rates(values) for key, values in variants.items()}
    long = {key.removesuffix("@long"): r for key, r in rates.items() if key.endswith("@long")}
    return ModelPrice(
        model=model,
        standard=rates["standard"],
        source=source,
        as_of=as_of,
        tiers={key: r for key, r in rates.items() if not key.endswith("@long")},
        long_context=long,
        long_context_over=data.LONG_CONTEXT_OVER if long else None,
    )


DEFAULT_PRICES: PriceTable = PriceTable(
    version=data.PRICE_TABLE_VERSION,
    models={row[0]: _shipped_row(row) for row in data.PRICE_ROWS},
    prefixes=data.PREFIX_ROWS,
)
"""The shipped table (``version`` = date its newest row was read)."""
