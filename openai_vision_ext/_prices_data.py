"""DATA: dated, sourced USD prices per 1M tokens for the models the rules table knows.

Every row names its source and the date the price was read. A model with no row has no cost
(``None``): prices are never guessed from a neighbour. Change a price with a new row and a
CHANGELOG line, never by editing a number in place without its date.

Sources:

- ``LITELLM``: BerriAI/litellm ``model_prices_and_context_window.json`` at commit
  ``00035b69f416be24e2e323c13198d9b7d2d1bdf9`` (a community mirror of openai.com/api/pricing:
  ``input_cost_per_token``, ``cache_read_input_token_cost``, ``output_cost_per_token`` and their
  ``_batches`` / ``_flex`` / ``_above_272k_tokens`` variants, converted to per-1M), read
  2026-11-24. The gpt-5.4 / gpt-5.2 / gpt-5.1 standard and batch rows agree with benchlm.ai's
  April 2026 copy of OpenAI's pricing page; gpt-5.5 and gpt-5.4 agree with morphllm.com's June
  2026 copy.
- ``GPT45``: futureagi.com's gpt-4.5-preview page (itself from litellm, verified 2026-05-07);
  the model was removed from litellm's table after its retirement.
- ``CUA``: computer-use-preview, $3 / $12 with no cached rate, as published on
  openai.com/api/pricing and copied by several public price tables (e.g. one dated 2026-08-01).
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
]

PRICE_TABLE_VERSION: Final = "2026-11-24"
"""Version of the shipped table: the date its newest row was read."""

LITELLM: Final = "litellm model_prices_and_context_window.json @00035b69 (openai.com/api/pricing)"
GPT45: Final = "futureagi.com llm-cost-calculator gpt-4-5-preview (from litellm, 2026-05-07)"
CUA: Final = "openai.com/api/pricing via public price tables (computer-use-preview)"

Rates = tuple[float, float | None, float]
"""(input, cached input, output) in USD per 1M tokens; cached ``None`` = no discount published."""

Row = tuple[str, str, Rates, Mapping[str, Rates]]
"""(model, source key in ``SOURCES``, standard rates, {"batch"|"flex"|"long": rates})."""

SOURCES: Final[Mapping[str, tuple[str, str]]] = {
    "litellm": (LITELLM, "2026-11-24"),
    "gpt45": (GPT45, "2026-05-07"),
    "cua": (CUA, "2026-08-01"),
}
"""Source key -> (source, as_of date)."""

PRICE_ROWS: Final[tuple[Row, ...]] = (
    ("gpt-4o", "litellm", (2.5, 1.25, 10.0), {"batch": (1.25, None, 5.0)}),
    ("gpt-4o-2024-05-13", "litellm", (5.0, None, 15.0), {"batch": (2.5, None, 7.5)}),
    ("gpt-4o-mini", "litellm", (0.15, 0.075, 0.6), {"batch": (0.075, None, 0.3)}),
    ("gpt-4.1", "litellm", (2.0, 0.5, 8.0), {"batch": (1.0, None, 4.0)}),
    ("gpt-4.1-mini", "litellm", (0.4, 0.1, 1.6), {"batch": (0.2, None, 0.8)}),
    ("gpt-4.1-nano", "litellm", (0.1, 0.025, 0.4), {"batch": (0.05, None, 0.2)}),
    ("gpt-4-turbo", "litellm", (10.0, None, 30.0), {}),
    ("gpt-4.5-preview", "gpt45", (75.0, 37.5, 150.0), {"batch": (37.5, None, 75.0)}),
    ("o1", "litellm", (15.0, 7.5, 60.0), {}),
    ("o1-pro", "litellm", (150.0, None, 600.0), {"batch": (75.0, None, 300.0)}),
    ("o3", "litellm", (2.0, 0.5, 8.0), {"flex": (1.0, 0.25, 4.0)}),
    ("o3-pro", "litellm", (20.0, None, 80.0), {"batch": (10.0, None, 40.0)}),
    ("o4-mini", "litellm", (1.1, 0.275, 4.4), {"flex": (0.55, 0.1375, 2.2)}),
    ("gpt-5", "litellm", (1.25, 0.125, 10.0), {"flex": (0.625, 0.0625, 5.0)}),
    ("gpt-5-mini", "litellm", (0.25, 0.025, 2.0), {"flex": (0.125, 0.0125, 1.0)}),
    ("gpt-5-nano", "litellm", (0.05, 0.005, 0.4), {"flex": (0.025, 0.0025, 0.2)}),
    ("gpt-5-chat", "litellm", (1.25, 0.125, 10.0), {}),
    ("gpt-5-chat-latest", "litellm", (1.25, 0.125, 10.0), {}),
    ("gpt-5-pro", "litellm", (15.0, None, 120.0), {"batch": (7.5, None, 60.0)}),
    ("gpt-5.1", "litellm", (1.25, 0.125, 10.0), {}),
    ("gpt-5.1-chat-latest", "litellm", (1.25, 0.125, 10.0), {}),
    ("gpt-5.2", "litellm", (1.75, 0.175, 14.0), {}),
    ("gpt-5.2-chat-latest", "litellm", (1.75, 0.175, 14.0), {}),
    ("gpt-5.2-pro", "litellm", (21.0, None, 168.0), {}),
    ("gpt-5.3-chat-latest", "litellm", (1.75, 0.175, 14.0), {}),
    (
        "gpt-5.4",
        "litellm",
        (2.5, 0.25, 15.0),
        {"batch": (1.25, None, 7.5), "flex": (1.25, 0.13, 7.5), "long": (5.0, 0.5, 22.5)},
    ),
    (
        "gpt-5.4-mini",
        "litellm",
        (0.75, 0.075, 4.5),
        {"batch": (0.375, None, 2.25), "flex": (0.375, 0.0375, 2.25)},
    ),
    (
        "gpt-5.4-nano",
        "litellm",
        (0.2, 0.02, 1.25),
        {"batch": (0.1, None, 0.625), "flex": (0.1, 0.01, 0.625)},
    ),
    (
        "gpt-5.4-pro",
        "litellm",
        (30.0, 3.0, 180.0),
        {"batch": (15.0, None, 90.0), "flex": (15.0, None, 90.0), "long": (60.0, 6.0, 270.0)},
    ),
    (
        "gpt-5.5",
        "litellm",
        (5.0, 0.5, 30.0),
        {"batch": (2.5, None, 15.0), "flex": (2.5, 0.25, 15.0), "long": (10.0, 1.0, 45.0)},
    ),
    (
        "gpt-5.5-pro",
        "litellm",
        (30.0, 3.0, 180.0),
        {"batch": (15.0, None, 90.0), "flex": (15.0, None, 90.0), "long": (60.0, 6.0, 270.0)},
    ),
    (
        "gpt-5.6",
        "litellm",
        (5.0, 0.5, 30.0),
        {"batch": (2.5, None, 15.0), "flex": (2.5, 0.25, 15.0), "long": (10.0, 1.0, 45.0)},
    ),
    ("computer-use-preview", "cua", (3.0, None, 12.0), {}),
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
    "chatgpt-4o-latest": "retired alias; no price row read from a primary mirror",
    "gpt-4-vision-preview": "retired; absent from litellm's table at the commit read",
    "gpt-4-1106-vision-preview": "retired; absent from litellm's table at the commit read",
    "codex-mini": "codex-mini-latest: no price row read from a primary mirror",
    "gpt-5.1-mini": "absent from litellm's table at the commit read",
    "gpt-6": "no published price found on 2026-11-24",
    "gpt-6.1": "no published price found on 2026-11-24",
    "gpt-6.2": "no published price found on 2026-11-24",
    "gpt-6-astra": "no published price found on 2026-11-24",
}
"""Image-rule rows with no price row, and why: their records carry ``cost = None`` until a row
is added here (with its source and date) or a user supplies one with ``load_prices``."""
