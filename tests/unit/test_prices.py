"""The price table: dated, sourced rows; lookups like the rules'; costs from billed tokens."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from _private import NO_PUBLISHED_PRICE, PRICE_ROWS, RULES, prices_module
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_vision_ext import (
    DEFAULT_PRICES,
    PriceTable,
    PriceTableError,
    UnknownModelError,
    get_model_rule,
    load_prices,
)

ISSUE_MODELS = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o1",
    "o1-pro",
    "o3",
    "o4-mini",
    "gpt-4.5-preview",
    "gpt-4-turbo",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5-chat",
    "gpt-5.1",
    "gpt-5.2",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "gpt-5.4-pro",
    "gpt-5.5",
    "computer-use-preview",
]


@pytest.mark.parametrize("row", DEFAULT_PRICES.models.values(), ids=lambda r: r.model)
def test_every_row_names_a_source_and_an_iso_date(row):
    """Each shipped price says where it comes from and when it was read."""
    assert row.source.strip()
    assert date.fromisoformat(row.as_of) <= date.fromisoformat(DEFAULT_PRICES.version)


@pytest.mark.parametrize("row", DEFAULT_PRICES.models.values(), ids=lambda r: r.model)
def test_every_rate_is_positive_and_cached_input_is_a_discount(row):
    """Rates are positive per-1M numbers; a cached rate, when published, is below the input rate."""
    for rates in [*row.tiers.values(), *row.long_context.values()]:
        assert rates.input > 0
        assert rates.output > 0
        assert rates.cached_input is None or 0 < rates.cached_input < rates.input


def test_the_shipped_table_has_no_duplicate_rows():
    """A model appears once in the data: a second row would silently win."""
    names = [row[0] for row in PRICE_ROWS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("model", ISSUE_MODELS)
def test_every_model_the_issue_names_has_a_price(model):
    """Every model family the issue lists is priced."""
    assert DEFAULT_PRICES.lookup(model) is not None


def _priced_models_served_by(rule: str) -> list[str]:
    """Priced model names whose image rule (by the rules table's own lookup) is ``rule``."""
    return [m for m in DEFAULT_PRICES.models if _rule_name(m) == rule]


def _rule_name(model: str) -> str | None:
    try:
        return get_model_rule(model).name
    except UnknownModelError:
        return None


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_image_rule_row_serves_a_priced_model(rule):
    """Coverage: each rules-table row prices at least one model it serves (itself, a snapshot or
    a family member such as gpt-6 -> gpt-6-sol), unless it is listed, with a reason, as having
    no published price."""
    priced = _priced_models_served_by(rule)
    assert priced or rule in NO_PUBLISHED_PRICE, f"{rule}: add a dated, sourced price row"
    assert not (priced and rule in NO_PUBLISHED_PRICE), f"{rule}: priced, drop its exemption"


def test_the_unpriced_list_names_only_rule_rows_with_a_reason():
    """Exemptions are few, current (each is a rules-table row) and explained."""
    assert set(NO_PUBLISHED_PRICE) <= set(RULES)
    assert all(len(reason) > 20 for reason in NO_PUBLISHED_PRICE.values())
    assert len(NO_PUBLISHED_PRICE) <= len(RULES) // 10


@pytest.mark.parametrize("model", sorted(NO_PUBLISHED_PRICE))
def test_models_declared_unpriced_really_have_no_price(model):
    """The 'no published price' list stays honest: none of its models resolves to a price."""
    assert DEFAULT_PRICES.lookup(model) is None


@pytest.mark.parametrize(
    ("model", "row"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),
        ("gpt-5-chat-latest", "gpt-5-chat-latest"),
        ("gpt-5.2-chat-2026-01-01", "gpt-5.2-chat-latest"),
    ],
)
def test_lookup_is_exact_then_snapshot_then_longest_prefix(model, row):
    """Exact names win, dated snapshots fall back to their base, then registered prefixes."""
    found = DEFAULT_PRICES.lookup(model)
    assert found is not None
    assert found.model == row


@pytest.mark.parametrize("model", ["o3-deep-research", "gpt-4o-audio-preview", "my-model", ""])
def test_a_model_without_a_row_has_no_price(model):
    """No row means no price: a longer name is never priced like a shorter one."""
    assert DEFAULT_PRICES.lookup(model) is None
    assert DEFAULT_PRICES.cost(model, input_tokens=10, output_tokens=1) is None


def test_the_first_gpt_4o_snapshot_keeps_its_own_higher_price():
    """gpt-4o-2024-05-13 was $5/$15, not gpt-4o's $2.50/$10: its exact row wins."""
    cost = DEFAULT_PRICES.cost("gpt-4o-2024-05-13", input_tokens=1_000_000, output_tokens=0)
    assert cost is not None
    assert cost.total_usd == 5.0


def test_cost_splits_cached_from_uncached_input():
    """gpt-4.1: 1,000 uncached x $2 + 200 cached x $0.50 + 300 output x $8, per 1M."""
    cost = DEFAULT_PRICES.cost("gpt-4.1", input_tokens=1_200, cached_tokens=200, output_tokens=300)
    assert cost is not None
    assert (cost.input_usd, cost.cached_input_usd, cost.output_usd) == (0.002, 0.0001, 0.0024)
    assert cost.total_usd == 0.0045
    assert (cost.model, cost.tier, cost.price_table_version) == (
        "gpt-4.1",
        "standard",
        DEFAULT_PRICES.version,
    )


def test_cost_is_exact_decimal_arithmetic():
    """Sums do not drift: 3 tokens at $0.10/1M is 3e-7 exactly, not 2.9999999999999997e-07."""
    cost = DEFAULT_PRICES.cost("gpt-4.1-nano", input_tokens=3, output_tokens=0)
    assert cost is not None
    assert cost.total_usd == 3e-7


def test_cached_tokens_without_a_published_discount_cost_the_input_rate():
    """o1-pro publishes no cached rate: cached tokens are billed as plain input."""
    cost = DEFAULT_PRICES.cost("o1-pro", input_tokens=1_000, cached_tokens=400, output_tokens=0)
    assert cost is not None
    assert cost.cached_input_usd == 400 * 150 / 1e6


def test_long_context_rates_apply_above_272k_input_tokens():
    """gpt-5.4 bills $5/1M input instead of $2.50 once the input exceeds 272,000 tokens."""
    short = DEFAULT_PRICES.cost("gpt-5.4", input_tokens=272_000, output_tokens=0)
    long = DEFAULT_PRICES.cost("gpt-5.4", input_tokens=300_000, output_tokens=0)
    assert short is not None
    assert short.total_usd == 272_000 * 2.5 / 1e6
    assert long is not None
    assert long.total_usd == 300_000 * 5.0 / 1e6


@pytest.mark.parametrize(
    ("model", "tier", "expected"),
    [
        ("gpt-4o", "batch", 1.25 / 10),
        ("o3", "flex", 1.0 / 10),
        ("gpt-5.4-nano", "flex", 0.1 / 10),
        ("gpt-4o", "flex", None),
        ("gpt-5.4", "batch", 1.25 / 10),
    ],
)
def test_batch_and_flex_tiers_use_their_own_rates(model, tier, expected):
    """A tier's rates apply where published (100k tokens = 1/10 of the per-1M rate)."""
    cost = DEFAULT_PRICES.cost(model, input_tokens=100_000, output_tokens=0, tier=tier)
    assert (cost and cost.total_usd) == expected


def test_no_long_context_price_is_guessed_for_a_tier_without_one():
    """gpt-5.4 publishes no long-context priority rate: above 272k tokens priority costs None,
    never the short-context priority rate nor the standard long one."""
    assert DEFAULT_PRICES.lookup("gpt-5.4").priority is not None
    assert (
        DEFAULT_PRICES.cost("gpt-5.4", input_tokens=300_000, output_tokens=0, tier="priority")
        is None
    )


def test_user_rows_extend_the_table_without_changing_the_default():
    """with_prices returns a new table with the added model; the shipped table is untouched."""
    table = DEFAULT_PRICES.with_prices(
        {
            "version": "acme-1",
            "models": {"ft:acme": {"input": 3, "cached_input": 1.5, "output": 12}},
        }
    )
    cost = table.cost("ft:acme", input_tokens=2_000, cached_tokens=1_000, output_tokens=0)
    assert cost is not None
    assert cost.total_usd == (1_000 * 3 + 1_000 * 1.5) / 1e6
    assert table.version == "acme-1"
    assert cost.price_table_version == "acme-1"
    assert DEFAULT_PRICES.lookup("ft:acme") is None
    assert table.lookup("gpt-4o") == DEFAULT_PRICES.lookup("gpt-4o")


def test_user_rows_replace_shipped_rows_and_user_prefixes_reach_them():
    """A user row overrides a shipped one; a user prefix maps a family of names onto a row."""
    table = DEFAULT_PRICES.with_prices(
        {
            "models": {"gpt-4o": {"input": 1, "output": 1, "source": "contract", "as_of": "2027"}},
            "prefixes": {"ft:gpt-4o:": "gpt-4o"},
        }
    )
    row = table.lookup("ft:gpt-4o:acme::abc123")
    assert row is not None
    assert (row.standard.input, row.source) == (1.0, "contract")


def test_user_rows_can_carry_long_context_rates():
    """A user row's long_context rates apply above long_context_over input tokens."""
    row = {"input": 1, "output": 0, "long_context": {"input": 2, "output": 0}}
    table = DEFAULT_PRICES.with_prices({"models": {"m": {**row, "long_context_over": 1_000}}})
    short = table.cost("m", input_tokens=1_000, output_tokens=0)
    long = table.cost("m", input_tokens=1_001, output_tokens=0)
    assert (short and short.total_usd, long and long.total_usd) == (1_000 / 1e6, 2_002 / 1e6)


@pytest.mark.parametrize(
    "bad",
    [
        {"models": {"m": {"input": 1, "output": 1, "long_context_over": "big"}}},
        {"models": {"m": {"input": 1}}},
        {"models": {"m": {"input": "cheap", "output": 1}}},
        {"models": {"m": {"input": -1, "output": 1}}},
        {"models": {"m": {"input": math.nan, "output": 1}}},
        {"models": {"m": [1, 2]}},
        {"models": ["m"]},
        {"prefixes": {"x-": "no-such-row"}},
    ],
)
def test_malformed_user_prices_raise_a_typed_error(bad):
    """Bad user data fails loudly with PriceTableError (a ValueError), naming the entry."""
    with pytest.raises(PriceTableError):
        DEFAULT_PRICES.with_prices(bad)


def test_load_prices_reads_a_json_file_over_the_shipped_table(tmp_path: Path):
    """A JSON file adds rows; the rest of the shipped table stays available."""
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"local-model": {"input": 0.5, "output": 1}}}))
    table = load_prices(path)
    assert table.lookup("local-model") is not None
    assert table.lookup("gpt-5") is not None


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_load_prices_rejects_missing_or_malformed_files(tmp_path: Path, content):
    """A missing file, bad JSON or a non-object all raise PriceTableError with the path."""
    path = tmp_path / "prices.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PriceTableError, match=re.escape(str(path))):
        load_prices(path)


def test_a_table_is_immutable():
    """Tables are values: their mapping cannot be changed in place."""
    with pytest.raises(TypeError):
        DEFAULT_PRICES.models["gpt-4o"] = DEFAULT_PRICES.models["o1"]  # type: ignore[index]
    assert isinstance(PriceTable(version="v", models={}).models, type(DEFAULT_PRICES.models))


def test_importing_the_package_never_touches_the_network():
    """Prices are data in the package: importing it resolves no host and opens no connection.

    A fresh interpreter records every socket audit event (PEP 578) during the import.
    """
    code = (
        "import sys\n"
        "seen = []\n"
        "sys.addaudithook(lambda e, a: seen.append(e) if e.startswith('socket.') else None)\n"
        "import openai_vision_ext\n"
        "from openai_vision_ext import DEFAULT_PRICES\n"
        "assert DEFAULT_PRICES.lookup('gpt-4o') is not None\n"
        "print(sorted(set(seen)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_network_probe_sees_a_connection_attempt():
    """The audit hook used above does catch a socket use (so the test above can fail)."""
    code = (
        "import sys, socket\n"
        "seen = []\n"
        "sys.addaudithook(lambda e, a: seen.append(e) if e.startswith('socket.') else None)\n"
        "try:\n"
        "    socket.getaddrinfo('localhost', 80)\n"
        "except OSError:\n"
        "    pass\n"
        "print(sorted(set(seen)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "socket.getaddrinfo" in done.stdout


def _decimal_reference(
    rate: dict[str, float], *, input_tokens: int, cached: int, writes: int, output: int
) -> dict[str, float]:
    """Each USD figure as the exact decimal of tokens x rate (rates read as their shortest
    decimal repr), rounded to float once: what the cost must equal."""
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 100  # exact for any count and rate here

        def usd(tokens: int, per_million: float) -> Decimal:
            return Decimal(tokens) * Decimal(str(per_million)) / Decimal(1_000_000)

        parts = {
            "input_usd": usd(input_tokens - cached - writes, rate["input"]),
            "cached_input_usd": usd(cached, rate["cached_input"]),
            "cache_write_usd": usd(writes, rate["cache_write"]),
            "output_usd": usd(output, rate["output"]),
        }
        total = sum(parts.values(), Decimal(0))
    return {**{k: float(v) for k, v in parts.items()}, "total_usd": float(total)}


_RATES = st.one_of(
    st.integers(0, 10**6).map(lambda n: n / 1000),  # published prices: a few decimals
    st.floats(0, 1000, allow_nan=False),  # any float a price file can hold (1/3, 1e-9...)
)


@settings(max_examples=300, deadline=None)
@given(
    rates=st.fixed_dictionaries(
        dict.fromkeys(("input", "cached_input", "cache_write", "output"), _RATES)
    ),
    tokens=st.tuples(*[st.integers(0, 100_000_000)] * 4),
)
def test_cost_is_the_exact_decimal_rounded_once(
    rates: dict[str, float], tokens: tuple[int, int, int, int]
) -> None:
    input_tokens, cached, writes, output = tokens
    cached = min(cached, input_tokens)
    writes = min(writes, input_tokens - cached)
    table = DEFAULT_PRICES.with_prices({"models": {"m": rates}})
    cost = table.cost(
        "m",
        input_tokens=input_tokens,
        cached_tokens=cached,
        cache_write_tokens=writes,
        output_tokens=output,
    )
    assert cost is not None
    expected = _decimal_reference(
        rates, input_tokens=input_tokens, cached=cached, writes=writes, output=output
    )
    assert {k: getattr(cost, k) for k in expected} == expected


def test_lookup_answers_are_remembered_per_table_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A table remembers each name's row (a dated name is matched by its regular expression
    once), answers as a fresh lookup would, and never remembers more than its bound."""
    monkeypatch.setattr(prices_module, "_MAX_FOUND", 3)
    table = DEFAULT_PRICES.with_prices({"models": {"my-ft": {"input": 1, "output": 2}}})
    names = ["gpt-4o-2024-08-06", "gpt-4o", "my-ft", "nope", "gpt-4o-mini-2024-07-18"]
    first = [table.lookup(name) for name in names]
    again = [table.lookup(name) for name in names]
    assert first == again == [table._find(name) for name in names]
    assert [row.model if row else None for row in first] == [
        "gpt-4o",
        "gpt-4o",
        "my-ft",
        None,
        "gpt-4o-mini",
    ]
    assert len(table._found) == 3
    assert table == DEFAULT_PRICES.with_prices({"models": {"my-ft": {"input": 1, "output": 2}}})
    assert "_found" not in repr(table)


def test_a_long_model_name_is_looked_up_but_not_remembered() -> None:
    """The memo's size is bounded in bytes too: a megabyte-long name (from a response or a
    caller) is answered like any other and not kept."""
    table = DEFAULT_PRICES.with_prices({})
    long_name = "gpt-4o-" + "x" * 1_000_000
    assert table.lookup(long_name) == table._find(long_name)
    assert long_name not in table._found
    assert table.lookup("gpt-4o-2024-08-06") is not None
    assert "gpt-4o-2024-08-06" in table._found
