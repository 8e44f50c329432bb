"""USD prices: a dated, sourced table, its lookup, and billed tokens -> cost.

The shipped rows live in ``_prices_data``; nothing is fetched, ever. Users override or extend the
table from a dict or a JSON file. A model without a row costs ``None``, never a guess.
Lookup order, as for image rules: exact name, then the name without a ``-YYYY-MM-DD`` snapshot
suffix, then the longest registered prefix.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from . import _prices_data as data
from ._exceptions import PriceTableError

__all__ = [
    "DEFAULT_PRICES",
    "Cost",
    "ModelPrice",
    "PriceTable",
    "PriceTableError",
    "Rates",
    "Tier",
    "load_prices",
]

Tier: TypeAlias = Literal["standard", "batch", "flex"]
"""Processing tier a price applies to (OpenAI's ``service_tier``; Batch API = ``batch``)."""

_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")
_PER_TOKENS = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Rates:
    """Three prices in USD per 1M tokens."""

    input: float
    """Uncached input tokens."""
    cached_input: float | None
    """Cached input tokens; ``None`` when no discount is published (billed at ``input``)."""
    output: float
    """Output tokens, reasoning tokens included."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's prices, with where and when they were read."""

    model: str
    standard: Rates
    source: str
    as_of: str
    """ISO date the price was read from ``source``."""
    batch: Rates | None = None
    flex: Rates | None = None
    long_context: Rates | None = None
    """Standard-tier rates for requests whose input exceeds ``long_context_over`` tokens."""
    long_context_over: int | None = None

    def rates(self, *, tier: Tier = "standard", input_tokens: int = 0) -> Rates | None:
        """The rates that apply, or ``None`` when this row has none for that case.

        >>> p = DEFAULT_PRICES.lookup("gpt-5.4")
        >>> p is not None and p.rates(input_tokens=300_000) == p.long_context
        True
        """
        long = self.long_context_over is not None and input_tokens > self.long_context_over
        if tier == "standard":
            return self.long_context if long else self.standard
        if long:
            return None  # no published long-context price for batch/flex: do not guess
        return self.batch if tier == "batch" else self.flex


@dataclass(frozen=True, slots=True)
class Cost:
    """Estimated USD cost of one response, from billed tokens and a price row."""

    input_usd: float
    """Uncached input tokens."""
    cached_input_usd: float
    output_usd: float
    total_usd: float
    model: str
    """The price row used (e.g. ``gpt-4o`` for ``gpt-4o-2024-08-06``)."""
    tier: Tier
    price_as_of: str
    price_table_version: str


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", MappingProxyType(dict(self.models)))
        ordered = tuple(sorted(self.prefixes, key=lambda p: len(p[0]), reverse=True))
        object.__setattr__(self, "prefixes", ordered)
        for prefix, target in ordered:
            if target not in self.models:
                raise PriceTableError(f"prefix {prefix!r} points to {target!r}, which has no row")

    def lookup(self, model: str) -> ModelPrice | None:
        """The price row for ``model``: exact, then without snapshot date, then longest prefix."""
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
    ) -> Cost | None:
        """USD cost of billed tokens; ``None`` if the model or tier has no published price.

        ``input_tokens`` is the billed total, cached included (as the API reports it).

        >>> c = DEFAULT_PRICES.cost("gpt-4o", input_tokens=1_000_000, output_tokens=0)
        >>> (c.input_usd, c.total_usd, c.model)
        (2.5, 2.5, 'gpt-4o')
        """
        row = self.lookup(model)
        rates = row.rates(tier=tier, input_tokens=input_tokens) if row else None
        if row is None or rates is None:
            return None
        cached = min(max(cached_tokens, 0), input_tokens)
        cached_rate = rates.input if rates.cached_input is None else rates.cached_input
        input_usd = _usd(input_tokens - cached, rates.input)
        cached_usd = _usd(cached, cached_rate)
        output_usd = _usd(output_tokens, rates.output)
        return Cost(
            input_usd=float(input_usd),
            cached_input_usd=float(cached_usd),
            output_usd=float(output_usd),
            total_usd=float(input_usd + cached_usd + output_usd),
            model=row.model,
            tier=tier,
            price_as_of=row.as_of,
            price_table_version=self.version,
        )

    def with_prices(self, prices: Mapping[str, Any], *, version: str | None = None) -> PriceTable:
        """A new table with rows added or replaced from a dict (see ``load_prices`` for its shape).

        >>> t = DEFAULT_PRICES.with_prices({"models": {"my-ft": {"input": 1, "output": 2}}})
        >>> t.cost("my-ft", input_tokens=500_000, output_tokens=0).total_usd
        0.5
        >>> t.version
        '2026-11-24+custom'
        """
        models, prefixes = _parse(prices)
        merged_prefixes = dict(self.prefixes) | prefixes
        return PriceTable(
            version=version or str(prices.get("version") or f"{self.version}+custom"),
            models={**self.models, **models},
            prefixes=tuple(merged_prefixes.items()),
        )


def load_prices(path: str | os.PathLike[str], *, base: PriceTable | None = None) -> PriceTable:
    """Read a JSON price file and lay it over ``base`` (the shipped table by default).

    Shape (prices in USD per 1M tokens; ``cached_input``, tiers, ``source``, ``as_of`` optional;
    ``long_context`` rates apply above ``long_context_over`` input tokens, default 272,000)::

        {"version": "acme-2026-12",
         "models": {"my-ft-model": {"input": 3.0, "cached_input": 1.5, "output": 12.0,
                                    "batch": {"input": 1.5, "output": 6.0},
                                    "long_context": {"input": 6.0, "output": 18.0},
                                    "source": "contract #42", "as_of": "2026-12-01"}},
         "prefixes": {"ft:gpt-4o-mini": "my-ft-model"}}

    >>> import json, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "prices.json"
    >>> _ = p.write_text(json.dumps({"models": {"gpt-4o": {"input": 2, "output": 8}}}))
    >>> load_prices(p).lookup("gpt-4o").standard
    Rates(input=2.0, cached_input=None, output=8.0)
    """
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as exc:
        raise PriceTableError(f"cannot read price file {os.fspath(path)!r}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise PriceTableError(f"price file {os.fspath(path)!r} must hold a JSON object")
    return (base or DEFAULT_PRICES).with_prices(raw)


def _usd(tokens: int, per_million: float) -> Decimal:
    return Decimal(tokens) * Decimal(str(per_million)) / _PER_TOKENS


def _parse(raw: Mapping[str, Any]) -> tuple[dict[str, ModelPrice], dict[str, str]]:
    models_raw = raw.get("models", {})
    prefixes_raw = raw.get("prefixes", {})
    if not isinstance(models_raw, Mapping) or not isinstance(prefixes_raw, Mapping):
        raise PriceTableError('"models" and "prefixes" must be JSON objects')
    models = {str(name): _parse_row(str(name), row) for name, row in models_raw.items()}
    return models, {str(p): str(t) for p, t in prefixes_raw.items()}


def _parse_row(name: str, row: Any) -> ModelPrice:
    if not isinstance(row, Mapping):
        raise PriceTableError(f"price for {name!r} must be an object with input and output")
    batch, flex, long = (row.get(t) for t in ("batch", "flex", "long_context"))
    over = row.get("long_context_over", data.LONG_CONTEXT_OVER if long is not None else None)
    if over is not None and (not isinstance(over, int) or isinstance(over, bool) or over < 0):
        raise PriceTableError(f"price for {name!r}: long_context_over must be a token count")
    return ModelPrice(
        model=name,
        standard=_parse_rates(name, row),
        source=str(row.get("source", "user-supplied")),
        as_of=str(row.get("as_of", "")),
        batch=None if batch is None else _parse_rates(name, batch),
        flex=None if flex is None else _parse_rates(name, flex),
        long_context=None if long is None else _parse_rates(name, long),
        long_context_over=None if long is None else over,
    )


def _parse_rates(name: str, row: Any) -> Rates:
    try:
        values = [row["input"], row.get("cached_input"), row["output"]]
        floats = [None if v is None else float(v) for v in values]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PriceTableError(
            f"price for {name!r} needs numeric 'input' and 'output' (USD per 1M tokens): {exc!r}"
        ) from exc
    if any(v is not None and not v >= 0 for v in floats):
        raise PriceTableError(f"price for {name!r} has a negative or NaN rate: {values}")
    return Rates(input=floats[0] or 0.0, cached_input=floats[1], output=floats[2] or 0.0)


def _shipped_row(row: data.Row) -> ModelPrice:
    model, source_key, standard, variants = row
    source, as_of = data.SOURCES[source_key]
    tiers = {name: Rates(*variants[key]) for key, name in _VARIANTS.items() if key in variants}
    return ModelPrice(
        model=model,
        standard=Rates(*standard),
        source=source,
        as_of=as_of,
        batch=tiers.get("batch"),
        flex=tiers.get("flex"),
        long_context=tiers.get("long_context"),
        long_context_over=data.LONG_CONTEXT_OVER if "long" in variants else None,
    )


_VARIANTS = {"batch": "batch", "flex": "flex", "long": "long_context"}


DEFAULT_PRICES: PriceTable = PriceTable(
    version=data.PRICE_TABLE_VERSION,
    models={row[0]: _shipped_row(row) for row in data.PRICE_ROWS},
    prefixes=data.PREFIX_ROWS,
)
"""The shipped table (``version`` = date its newest row was read)."""
