"""DATA: dated, sourced USD prices per 1M tokens for the models the rules table knows.

Every row names its source and the date the price was read. A model with no row has no cost
(``None``): prices are never guessed from a neighbour. Change a price with a new row and a
CHANGELOG line, never by editing a number in place without its date.

Each row holds one set of rates per processing tier the source publishes (``standard``,
``batch``, ``flex``, ``priority``, ``ultrafast``) and, where published, the same tier's rates for
requests above ``LONG_CONTEXT_OVER`` input tokens (key ``"<tier>@long"``). A tier a row does not
list has no published price: a response served at it costs ``None``, never a neighbour's price.

Sources (community mirrors of OpenAI's pricing page; litellm's ``model_prices_and_context_window``
JSON ships inside every litellm wheel on PyPI as ``litellm/model_prices_and_context_window_backup
.json``: ``input_cost_per_token``, ``cache_read_input_token_cost``,
``cache_creation_input_token_cost`` (cache writes at the default retention),
``cache_creation_input_token_cost_above_12hr`` (writes kept 12 h), ``output_cost_per_token`` and
their ``_batches`` / ``_flex`` / ``_priority`` / ``_ultrafast`` and ``_above_272k_tokens``
variants, converted to per-1M):

- ``litellm``: litellm 1.110.2 (the latest release pip resolved), read 2026-11-24 (standard,
  batch, flex, long context) and 2026-11-30 (priority, ultrafast, cache writes, long context per
  tier) from the same wheel. gpt-5.5 and gpt-5.4 agree with morphllm.com's June 2026 copy of the
  pricing page; the priority rates of gpt-4o, gpt-4o-mini, gpt-4.1(-mini/-nano), o3, o4-mini,
  gpt-5(.1/.2/.4, -mini) agree with openai.com/api-priority-processing. gpt-5.6 is disputed: a
  third-party blog quoting an OpenAI Help Center preview gives gpt-5.6-sol $5/$30, litellm gives
  $4/$20; we ship litellm's (override with ``load_prices`` if billed otherwise). Its cache-write
  rate (1.25x input) matches the blog's account of OpenAI's gpt-5.6 announcement.
- ``litellm_1_72``: litellm 1.72.0, read 2026-11-24: retired models dropped from later releases
  (gpt-4.5-preview, chatgpt-4o-latest, gpt-4-vision-preview, gpt-4-1106-vision-preview).
- ``litellm_1_76``: litellm 1.76.0, read 2026-11-24: codex-mini-latest.

Not priced: OpenAI's ``scale`` tier (prepaid capacity units, no per-token price) and litellm's
``_decisions`` variant of one row (no such ``service_tier``).

Reproduce: ``pip download litellm==<version> --no-deps`` and read the JSON inside the wheel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "LONG_CONTEXT_OVER",
    "NO_PUBLISHED_PRICE",
    "PREFIX_ROWS",
    "PRICE_ROWS",
    "PRICE_TABLE_VERSION",
    "Rates",
    "Row",
    "SOURCES",
    "TIERS",
]

PRICE_TABLE_VERSION: Final = "2026-11-30"
"""Version of the shipped table: the date its newest row was read."""

_JSON: Final = "model_prices_and_context_window_backup.json (copy of openai.com/api/pricing)"

TIERS: Final = ("standard", "batch", "flex", "priority", "ultrafast")
"""Processing tiers a row may price, in the order tables print them."""

Rates = tuple[float, ...]
"""(input, cached input, output[, cache write, cache write 12 h]) in USD per 1M tokens.
Cached input ``None``: no discount published (billed at input). Cache write ``None`` or absent:
no write price published (writes billed as ordinary input)."""

Row = tuple[str, str, Mapping[str, tuple[float | None, ...]]]
"""(model, source key in ``SOURCES``, {tier or ``"<tier>@long"``: rates}); ``standard`` always."""

SOURCES: Final[Mapping[str, tuple[str, str]]] = {
    "litellm": (f"litellm 1.110.2 (PyPI) {_JSON}", "2026-11-30"),
    "litellm_1_72": (f"litellm 1.72.0 (PyPI) {_JSON}", "2026-11-24"),
    "litellm_1_76": (f"litellm 1.76.0 (PyPI) {_JSON}", "2026-11-24"),
}
"""Source key -> (source, as_of date)."""

PRICE_ROWS: Final[tuple[Row, ...]] = (
    (
        "gpt-4o",
        "litellm",
        {
            "standard": (2.5, 1.25, 10.0),
            "batch": (1.25, None, 5.0),
            "priority": (4.25, 2.125, 17.0),
        },
    ),
    (
        "gpt-4o-2024-05-13",
        "litellm",
        {"standard": (5.0, None, 15.0), "batch": (2.5, None, 7.5), "priority": (8.75, None, 26.25)},
    ),
    (
        "gpt-4o-mini",
        "litellm",
        {
            "standard": (0.15, 0.075, 0.6),
            "batch": (0.075, None, 0.3),
            "priority": (0.25, 0.125, 1.0),
        },
    ),
    (
        "gpt-4.1",
        "litellm",
        {"standard": (2.0, 0.5, 8.0), "batch": (1.0, None, 4.0), "priority": (3.5, 0.875, 14.0)},
    ),
    (
        "gpt-4.1-mini",
        "litellm",
        {"standard": (0.4, 0.1, 1.6), "batch": (0.2, None, 0.8), "priority": (0.7, 0.175, 2.8)},
    ),
    (
        "gpt-4.1-nano",
        "litellm",
        {"standard": (0.1, 0.025, 0.4), "batch": (0.05, None, 0.2), "priority": (0.2, 0.05, 0.8)},
    ),
    ("gpt-4-turbo", "litellm", {"standard": (10.0, None, 30.0)}),
    (
        "gpt-4.5-preview",
        "litellm_1_72",
        {"standard": (75.0, 37.5, 150.0), "batch": (37.5, None, 75.0)},
    ),
    ("o1", "litellm", {"standard": (15.0, 7.5, 60.0), "batch": (7.5, None, 30.0)}),
    ("o1-pro", "litellm", {"standard": (150.0, None, 600.0), "batch": (75.0, None, 300.0)}),
    (
        "o3",
        "litellm",
        {
            "standard": (2.0, 0.5, 8.0),
            "batch": (1.0, None, 4.0),
            "flex": (1.0, 0.25, 4.0),
            "priority": (3.5, 0.875, 14.0),
        },
    ),
    ("o3-pro", "litellm", {"standard": (20.0, None, 80.0), "batch": (10.0, None, 40.0)}),
    (
        "o4-mini",
        "litellm",
        {
            "standard": (1.1, 0.275, 4.4),
            "batch": (0.55, None, 2.2),
            "flex": (0.55, 0.138, 2.2),
            "priority": (2.0, 0.5, 8.0),
        },
    ),
    (
        "gpt-5",
        "litellm",
        {
            "standard": (1.25, 0.125, 10.0),
            "batch": (0.625, 0.0625, 5.0),
            "flex": (0.625, 0.0625, 5.0),
            "priority": (2.5, 0.25, 20.0),
        },
    ),
    (
        "gpt-5-mini",
        "litellm",
        {
            "standard": (0.25, 0.025, 2.0),
            "batch": (0.125, 0.0125, 1.0),
            "flex": (0.125, 0.0125, 1.0),
            "priority": (0.45, 0.045, 3.6),
        },
    ),
    (
        "gpt-5-nano",
        "litellm",
        {
            "standard": (0.05, 0.005, 0.4),
            "batch": (0.025, 0.0025, 0.2),
            "flex": (0.025, 0.0025, 0.2),
        },
    ),
    ("gpt-5-chat", "litellm", {"standard": (1.25, 0.125, 10.0)}),
    ("gpt-5-chat-latest", "litellm", {"standard": (1.25, 0.125, 10.0)}),
    ("gpt-5-pro", "litellm", {"standard": (15.0, None, 120.0), "batch": (7.5, None, 60.0)}),
    (
        "gpt-5.1",
        "litellm",
        {
            "standard": (1.25, 0.125, 10.0),
            "batch": (0.625, 0.0625, 5.0),
            "flex": (0.625, 0.0625, 5.0),
            "priority": (2.5, 0.25, 20.0),
        },
    ),
    ("gpt-5.1-chat-latest", "litellm", {"standard": (1.25, 0.125, 10.0)}),
    (
        "gpt-5.2",
        "litellm",
        {
            "standard": (1.75, 0.175, 14.0),
            "batch": (0.875, 0.0875, 7.0),
            "flex": (0.875, 0.0875, 7.0),
            "priority": (3.5, 0.35, 28.0),
        },
    ),
    ("gpt-5.2-chat-latest", "litellm", {"standard": (1.75, 0.175, 14.0)}),
    ("gpt-5.2-pro", "litellm", {"standard": (21.0, None, 168.0), "batch": (10.5, None, 84.0)}),
    ("gpt-5.3-chat-latest", "litellm", {"standard": (1.75, 0.175, 14.0)}),
    (
        "gpt-5.4",
        "litellm",
        {
            "standard": (2.5, 0.25, 15.0),
            "standard@long": (5.0, 0.5, 22.5),
            "batch": (1.25, 0.13, 7.5),
            "batch@long": (2.5, 0.25, 11.25),
            "flex": (1.25, 0.13, 7.5),
            "flex@long": (2.5, 0.25, 11.25),
            "priority": (5.0, 0.5, 30.0),
        },
    ),
    (
        "gpt-5.4-mini",
        "litellm",
        {
            "standard": (0.75, 0.075, 4.5),
            "batch": (0.375, 0.0375, 2.25),
            "flex": (0.375, 0.0375, 2.25),
            "priority": (1.5, 0.15, 9.0),
        },
    ),
    (
        "gpt-5.4-nano",
        "litellm",
        {"standard": (0.2, 0.02, 1.25), "batch": (0.1, 0.01, 0.625), "flex": (0.1, 0.01, 0.625)},
    ),
    (
        "gpt-5.4-pro",
        "litellm",
        {
            "standard": (30.0, None, 180.0),
            "standard@long": (60.0, None, 270.0),
            "batch": (15.0, None, 90.0),
            "batch@long": (30.0, None, 135.0),
            "flex": (15.0, None, 90.0),
            "flex@long": (30.0, None, 135.0),
        },
    ),
    (
        "gpt-5.5",
        "litellm",
        {
            "standard": (5.0, 0.5, 30.0),
            "standard@long": (10.0, 1.0, 45.0),
            "batch": (2.5, 0.25, 15.0),
            "batch@long": (5.0, 0.5, 22.5),
            "flex": (2.5, 0.25, 15.0),
            "flex@long": (5.0, 0.5, 22.5),
            "priority": (12.5, 1.25, 75.0),
        },
    ),
    (
        "gpt-5.5-pro",
        "litellm",
        {
            "standard": (30.0, None, 180.0),
            "standard@long": (60.0, None, 270.0),
            "batch": (15.0, None, 90.0),
            "batch@long": (30.0, None, 135.0),
            "flex": (15.0, None, 90.0),
        },
    ),
    (
        "gpt-5.6",
        "litellm",
        {
            "standard": (4.0, 0.4, 20.0, 5.0, 10.0),
            "standard@long": (8.0, 0.8, 30.0, 10.0, 20.0),
            "batch": (2.0, 0.2, 10.0, 2.5),
            "batch@long": (4.0, 0.4, 15.0, 5.0),
            "flex": (2.0, 0.2, 10.0, 2.5, 5.0),
            "flex@long": (4.0, 0.4, 15.0, 5.0, 10.0),
            "priority": (8.0, 0.8, 40.0, 10.0, 20.0),
            "priority@long": (16.0, 1.6, 60.0, 20.0, 40.0),
        },
    ),
    ("computer-use-preview", "litellm", {"standard": (3.0, None, 12.0)}),
    (
        "gpt-5.6-sol",
        "litellm",
        {
            "standard": (4.0, 0.4, 20.0, 5.0, 10.0),
            "standard@long": (8.0, 0.8, 30.0, 10.0, 20.0),
            "batch": (2.0, 0.2, 10.0, 2.5, 5.0),
            "batch@long": (4.0, 0.4, 15.0, 5.0, 10.0),
            "flex": (2.0, 0.2, 10.0, 2.5, 5.0),
            "flex@long": (4.0, 0.4, 15.0, 5.0, 10.0),
            "priority": (8.0, 0.8, 40.0, 10.0, 20.0),
            "priority@long": (16.0, 1.6, 60.0, 20.0, 40.0),
        },
    ),
    (
        "gpt-5.6-terra",
        "litellm",
        {
            "standard": (2.0, 0.2, 12.0, 2.5, 5.0),
            "standard@long": (4.0, 0.4, 18.0, 5.0, 10.0),
            "batch": (1.0, 0.1, 6.0, 1.25, 2.5),
            "batch@long": (2.0, 0.2, 9.0, 2.5, 5.0),
            "flex": (1.0, 0.1, 6.0, 1.25, 2.5),
            "flex@long": (2.0, 0.2, 9.0, 2.5, 5.0),
            "priority": (4.0, 0.4, 24.0, 5.0, 10.0),
            "priority@long": (8.0, 0.8, 36.0, 10.0, 20.0),
        },
    ),
    (
        "gpt-5.6-luna",
        "litellm",
        {
            "standard": (0.2, 0.02, 1.2, 0.25, 0.5),
            "standard@long": (0.4, 0.04, 1.8, 0.5, 1.0),
            "batch": (0.1, 0.01, 0.6, 0.125, 0.25),
            "batch@long": (0.2, 0.02, 0.9, 0.25, 0.5),
            "flex": (0.1, 0.01, 0.6, 0.125, 0.25),
            "flex@long": (0.2, 0.02, 0.9, 0.25, 0.5),
            "priority": (0.4, 0.04, 2.4, 0.5, 1.0),
            "priority@long": (0.8, 0.08, 3.6, 1.0, 2.0),
        },
    ),
    (
        "gpt-5.6-cyber",
        "litellm",
        {"standard": (12.5, 1.25, 75.0, 15.625, 31.25), "standard@long": (25.0, 2.5, 112.5, 31.25)},
    ),
    (
        "gpt-6-astra",
        "litellm",
        {
            "standard": (10.0, 1.0, 50.0, 12.5, 25.0),
            "standard@long": (20.0, 2.0, 75.0, 25.0, 50.0),
            "batch": (5.0, 0.5, 25.0, 6.25, 12.5),
            "batch@long": (10.0, 1.0, 37.5, 12.5, 25.0),
            "flex": (5.0, 0.5, 25.0, 6.25, 12.5),
            "flex@long": (10.0, 1.0, 37.5, 12.5, 25.0),
            "priority": (20.0, 2.0, 100.0, 25.0, 50.0),
            "priority@long": (40.0, 4.0, 150.0, 50.0, 100.0),
            "ultrafast": (60.0, 6.0, 300.0, 75.0, 150.0),
            "ultrafast@long": (120.0, 12.0, 450.0, 150.0, 300.0),
        },
    ),
    ("gpt-6-astra-law", "litellm", {"standard": (10.0, 1.0, 50.0)}),
    (
        "gpt-6-sol",
        "litellm",
        {
            "standard": (2.0, 0.2, 10.0, 2.5, 5.0),
            "standard@long": (4.0, 0.4, 15.0, 5.0, 10.0),
            "batch": (1.0, 0.1, 5.0, 1.25, 2.5),
            "batch@long": (2.0, 0.2, 7.5, 2.5, 5.0),
            "flex": (1.0, 0.1, 5.0, 1.25, 2.5),
            "flex@long": (2.0, 0.2, 7.5, 2.5, 5.0),
            "priority": (4.0, 0.4, 20.0, 5.0, 10.0),
            "priority@long": (8.0, 0.8, 30.0, 10.0, 20.0),
        },
    ),
    (
        "gpt-6-luna",
        "litellm",
        {
            "standard": (0.1, 0.01, 0.5, 0.125, 0.25),
            "standard@long": (0.2, 0.02, 0.75, 0.25, 0.5),
            "batch": (0.05, 0.005, 0.25, 0.0625, 0.125),
            "batch@long": (0.1, 0.01, 0.375, 0.125, 0.25),
            "flex": (0.05, 0.005, 0.25, 0.0625, 0.125),
            "flex@long": (0.1, 0.01, 0.375, 0.125, 0.25),
            "priority": (0.2, 0.02, 1.0, 0.25, 0.5),
            "priority@long": (0.4, 0.04, 1.5, 0.5, 1.0),
        },
    ),
    (
        "gpt-6-rosalind",
        "litellm",
        {
            "standard": (15.0, 1.5, 75.0, 18.75, 37.5),
            "standard@long": (30.0, 3.0, 112.5, 37.5, 75.0),
        },
    ),
    ("gpt-6-cyber", "litellm", {"standard": (20.0, 2.0, 100.0, 25.0, 50.0)}),
    (
        "gpt-6.1-sol",
        "litellm",
        {
            "standard": (2.0, 0.1, 10.0, 2.5, 5.0),
            "standard@long": (4.0, 0.2, 15.0, 5.0, 10.0),
            "batch": (1.0, 0.05, 5.0, 1.25, 2.5),
            "batch@long": (2.0, 0.1, 7.5, 2.5, 5.0),
            "flex": (1.0, 0.05, 5.0, 1.25, 2.5),
            "flex@long": (2.0, 0.1, 7.5, 2.5, 5.0),
            "priority": (4.0, 0.2, 20.0, 5.0, 10.0),
            "priority@long": (8.0, 0.4, 30.0, 10.0, 20.0),
            "ultrafast": (12.0, 0.6, 60.0, 15.0, 30.0),
            "ultrafast@long": (24.0, 1.2, 90.0, 30.0, 60.0),
        },
    ),
    (
        "gpt-6.1-terra",
        "litellm",
        {
            "standard": (1.0, 0.05, 5.0, 1.25, 2.5),
            "standard@long": (2.0, 0.1, 7.5, 2.5, 5.0),
            "batch": (0.5, 0.025, 2.5, 0.625, 1.25),
            "batch@long": (1.0, 0.05, 3.75, 1.25, 2.5),
            "flex": (0.5, 0.025, 2.5, 0.625, 1.25),
            "flex@long": (1.0, 0.05, 3.75, 1.25, 2.5),
            "priority": (2.0, 0.1, 10.0, 2.5, 5.0),
            "priority@long": (4.0, 0.2, 15.0, 5.0, 10.0),
        },
    ),
    ("chatgpt-4o-latest", "litellm_1_72", {"standard": (5.0, None, 15.0)}),
    ("gpt-4-vision-preview", "litellm_1_72", {"standard": (10.0, None, 30.0)}),
    ("gpt-4-1106-vision-preview", "litellm_1_72", {"standard": (10.0, None, 30.0)}),
    ("codex-mini-latest", "litellm_1_76", {"standard": (1.5, 0.375, 6.0)}),
)

PREFIX_ROWS: Final[tuple[tuple[str, str], ...]] = (
    ("gpt-5-chat-", "gpt-5-chat"),
    ("gpt-5.1-chat-", "gpt-5.1-chat-latest"),
    ("gpt-5.2-chat-", "gpt-5.2-chat-latest"),
    ("gpt-5.3-chat-", "gpt-5.3-chat-latest"),
)
"""(prefix, row): names that start with ``prefix`` cost what ``row`` costs. Deliberately few:
a longer name is often a different product (``o3-deep-research`` is not ``o3``)."""

LONG_CONTEXT_OVER: Final = 272_000
"""Input tokens above which a row's ``long`` rates apply (OpenAI's published threshold)."""

NO_PUBLISHED_PRICE: Final[Mapping[str, str]] = {
    "gpt-5.1-mini": "absent from litellm 1.72.0, 1.76.0, 1.110.2; SDK: unsupported id",
    "gpt-6.2": "absent from litellm 1.72.0, 1.76.0 and 1.110.2; no public price found 2026-11-24",
}
"""Image-rule rows that no priced model resolves to, and why: their records carry ``cost = None``
until a row is added above (with its source and date) or a user supplies one (``load_prices``)."""
