"""Costs follow the tier the response reports, each token kind at its own rate; estimates carry
honest bounds and a cost; the audit record copies every report field by one field list."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from _helpers import png
from _private import ERROR_BANDS

from openai_vision_ext import (
    DEFAULT_PRICES,
    AuditRecord,
    PriceTable,
    PriceTableError,
    VisionReport,
    estimate_image_tokens,
    estimate_request,
    image_part,
    load_prices,
)
from openai_vision_ext.testing import make_report

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _url_image(detail: str = "auto") -> list[dict[str, object]]:
    part = {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": detail}
    text = {"type": "input_text", "text": "What is in this image?"}
    return [{"role": "user", "content": [text, part]}]


# -- tiers -----------------------------------------------------------------------------------


def test_flex_is_priced_at_the_flex_rates_not_standard():
    """gpt-5 flex: $0.625 in / $5 out per 1M, half the standard $1.25 / $10."""
    flex = DEFAULT_PRICES.cost("gpt-5", input_tokens=10_000, output_tokens=1_000, tier="flex")
    standard = DEFAULT_PRICES.cost("gpt-5", input_tokens=10_000, output_tokens=1_000)
    assert flex is not None
    assert standard is not None
    assert flex.total_usd == (10_000 * 0.625 + 1_000 * 5.0) / 1e6
    assert flex.total_usd * 2 == standard.total_usd
    assert flex.tier == "flex"


def test_priority_is_priced_at_the_priority_rates():
    """gpt-4o priority: $4.25 in / $17 out per 1M (openai.com/api-priority-processing)."""
    cost = DEFAULT_PRICES.cost("gpt-4o", input_tokens=1_000, output_tokens=100, tier="priority")
    assert cost is not None
    assert cost.total_usd == (1_000 * 4.25 + 100 * 17.0) / 1e6


def test_a_response_service_tier_picks_the_tier_in_the_record():
    """A report whose response says ``flex`` is costed at flex and the record says which."""
    report = make_report(model_requested="gpt-5", model_served="gpt-5", service_tier="flex")
    record = AuditRecord.from_report(report, now=NOW).to_dict()
    assert (record["service_tier"], record["cost"]["tier"]) == ("flex", "flex")
    assert record["cost"]["input"] == 8_514 * 0.625 / 1e6


def test_fast_is_billed_as_priority():
    """The SDK: a ``fast`` request is reported (and billed) as priority."""
    report = make_report(service_tier="fast")
    cost = AuditRecord.from_report(report, now=NOW).cost
    assert cost is not None
    assert cost.tier == "priority"


# -- cache reads, writes, long context -------------------------------------------------------


def test_cache_reads_and_writes_each_at_their_own_rate_never_twice():
    """gpt-5.6: 1,000 input of which 300 cached ($0.40) and 200 written ($5, 50 of them 12 h at
    $10): 500 uncached at $4. Each token is priced once: the parts sum to the total."""
    cost = DEFAULT_PRICES.cost(
        "gpt-5.6",
        input_tokens=1_000,
        cached_tokens=300,
        cache_write_tokens=200,
        cache_write_12h_tokens=50,
        output_tokens=0,
    )
    assert cost is not None
    assert cost.input_usd == 500 * 4.0 / 1e6
    assert cost.cached_input_usd == 300 * 0.4 / 1e6
    assert cost.cache_write_usd == (150 * 5.0 + 50 * 10.0) / 1e6
    parts = cost.input_usd + cost.cached_input_usd + cost.cache_write_usd + cost.output_usd
    assert cost.total_usd == pytest.approx(parts, abs=1e-15)


def test_cache_writes_without_a_write_price_cost_plain_input():
    """gpt-4o publishes no write rate: written tokens cost what uncached input costs."""
    with_writes = DEFAULT_PRICES.cost(
        "gpt-4o", input_tokens=1_000, cache_write_tokens=400, output_tokens=0
    )
    plain = DEFAULT_PRICES.cost("gpt-4o", input_tokens=1_000, output_tokens=0)
    assert with_writes is not None
    assert plain is not None
    assert with_writes.total_usd == plain.total_usd


def test_long_context_rates_follow_the_tier():
    """gpt-5.4 above 272k input tokens on flex: the flex long-context input rate ($2.50)."""
    cost = DEFAULT_PRICES.cost("gpt-5.4", input_tokens=300_000, output_tokens=0, tier="flex")
    assert cost is not None
    assert cost.long_context
    assert cost.total_usd == 300_000 * 2.5 / 1e6


@pytest.mark.parametrize(
    "counts",
    [
        {"input_tokens": -5, "output_tokens": 3},
        {"input_tokens": 10, "output_tokens": -1},
        {"input_tokens": 10, "cached_tokens": -3, "output_tokens": 1},
        {"input_tokens": 10, "cache_write_tokens": -3, "output_tokens": 1},
    ],
)
def test_negative_counts_never_give_a_negative_cost(counts):
    """A negative count has no cost (None), never a negative one."""
    assert DEFAULT_PRICES.cost("gpt-4o", **counts) is None


def test_odd_server_usage_keeps_the_record_with_a_note_and_no_cost():
    """A report of negative or absurd usage still makes a record; its cost is None, a note says
    why (built through the audit's own pricing of the report's billed numbers)."""
    for odd in (-269, 10**12):
        report = make_report(billed_input_tokens=odd)
        record = AuditRecord.from_report(report, now=NOW)
        assert record.cost is None
        assert record.billed_input_tokens == odd


# -- price table misuse ----------------------------------------------------------------------


def test_load_prices_takes_a_dict_as_the_readme_says():
    """``load_prices({...})`` works like a file of the same shape."""
    table = load_prices(
        {"models": {"my-ft": {"input": 1, "output": 2, "priority": {"input": 3, "output": 4}}}}
    )
    cost = table.cost("my-ft", input_tokens=1_000_000, output_tokens=0, tier="priority")
    assert cost is not None
    assert cost.total_usd == 3.0


@pytest.mark.parametrize(
    "shape",
    [
        {"gpt-4o": {"input": 2, "output": 8}},  # rows at the top level
        {"models": {"gpt-4o": {"input": 2, "output": 8, "cachedinput": 1}}},  # a typo
        {"models": {"gpt-4o": {"input": "cheap", "output": 8}}},
        {"models": {"gpt-4o": {"input": 2, "output": float("inf")}}},
    ],
)
def test_a_price_table_of_the_wrong_shape_raises(shape, tmp_path):
    """A dict or file of the wrong shape raises PriceTableError, never silently ignored."""
    with pytest.raises(PriceTableError):
        load_prices(shape)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(shape))
    with pytest.raises(PriceTableError):
        load_prices(path)


def test_a_price_table_of_plain_dicts_raises_at_construction():
    """``PriceTable(models={name: dict})`` would drop every cost later: it raises now."""
    with pytest.raises(PriceTableError, match="load_prices"):
        PriceTable(version="x", models={"gpt-4o": {"input": 2, "output": 8}})  # type: ignore[dict-item]
    with pytest.raises(PriceTableError):
        load_prices(42)  # type: ignore[arg-type]


# -- estimates: exact only when exact, bounds, cost ------------------------------------------


def test_a_url_image_estimate_is_not_exact_and_has_bounds():
    """A URL image of unknown size: exact is False; gpt-4o high can cost 255..1445 tokens."""
    est = estimate_request(model="gpt-4o", input=_url_image("high"))
    assert not est.exact
    assert est.lower == est.input_tokens + estimate_image_tokens(
        1, 1, model="gpt-4o", detail="high"
    )
    most = estimate_image_tokens(768, 2048, model="gpt-4o", detail="high")
    assert est.upper == est.input_tokens + most


@pytest.mark.parametrize(
    ("model", "detail"),
    [("gpt-4o", "high"), ("gpt-4o", "low"), ("gpt-4.1-mini", "high"), ("gpt-5.4", "original")],
)
def test_bounds_hold_every_size_the_image_could_have(model, detail):
    """For random sizes, the image's real tokens lie within the bounds of the unknown-size one."""
    est = estimate_request(model=model, input=_url_image(detail))
    rng = random.Random(11)
    for _ in range(300):
        w, h = rng.randint(1, 9000), rng.randint(1, 9000)
        tokens = estimate_image_tokens(w, h, model=model, detail=detail)
        assert est.lower <= est.input_tokens + tokens <= est.upper


def test_a_known_request_is_exact_with_equal_bounds():
    """Text only: exact, lower == upper == input_tokens."""
    est = estimate_request(model="gpt-4o", input="Say hello")
    assert est.exact
    assert est.lower == est.upper == est.input_tokens


_TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "Look a word up.",
    "parameters": {"type": "object", "properties": {"word": {"type": "string"}}},
}
_FORMAT = {
    "type": "json_schema",
    "name": "answer",
    "schema": {"type": "object", "properties": {"x": {"type": "string"}}},
}


@pytest.mark.parametrize(
    ("request_kwargs", "keys"),
    [
        ({"tools": [_TOOL]}, ("tools",)),
        ({"text": {"format": _FORMAT}}, ("json_schema",)),
        ({"tools": [_TOOL], "text": {"format": _FORMAT}}, ("tools", "json_schema")),
    ],
)
def test_approximated_text_widens_the_bounds_by_each_rules_band(request_kwargs, keys):
    """Tools and response formats are counted by fitted rules: each adds its measured error
    band (a dated data row) to lower/upper, so the bounds are no longer equal."""
    est = estimate_request(model="gpt-4.1", input="Define cat", **request_kwargs)
    assert not est.exact
    assert est.error_bands == keys
    assert est.lower == est.input_tokens + sum(ERROR_BANDS[k].low for k in keys)
    assert est.upper == est.input_tokens + sum(ERROR_BANDS[k].high for k in keys)
    assert est.lower < est.input_tokens < est.upper


def test_each_band_is_applied_once_per_request():
    """A band is measured as the whole residual of every bill using its rule, so two
    function_call/output round trips get the same bounds around their estimate as one: each
    key is listed and folded in once."""
    call = {"type": "function_call", "call_id": "c", "name": "lookup", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c", "output": "feline"}
    one, two = (
        estimate_request(model="gpt-4.1", input=["Define cat", *[call, output] * n], tools=[_TOOL])
        for n in (1, 2)
    )
    assert one.upper is not None
    assert two.upper is not None
    assert two.input_tokens > one.input_tokens
    assert two.error_bands == one.error_bands == ("tool_call", "tool_output", "tools")
    assert two.upper - two.input_tokens == one.upper - one.input_tokens
    assert two.upper - two.input_tokens == sum(ERROR_BANDS[k].high for k in two.error_bands)
    assert two.lower == two.input_tokens + sum(ERROR_BANDS[k].low for k in two.error_bands)


def test_eight_round_trips_keep_a_lower_bound_above_zero():
    """Eight Responses function_call/output pairs (17 band uses when each use was counted):
    the bands' low ends are counted once, so the lower bound stays a real bound instead of
    clamping to 0."""
    items: list[Any] = ["Define cat, eight ways"]
    for i in range(8):
        items.append(
            {"type": "function_call", "call_id": f"c{i}", "name": "lookup", "arguments": "{}"}
        )
        items.append({"type": "function_call_output", "call_id": f"c{i}", "output": "feline"})
    est = estimate_request(model="gpt-4.1", input=items, tools=[_TOOL])
    lows = sum(ERROR_BANDS[k].low for k in est.error_bands)
    assert sorted(est.error_bands) == ["tool_call", "tool_output", "tools"]
    assert est.lower == est.input_tokens + lows > 0


def test_the_lower_bound_is_never_below_zero_tokens():
    """Bounds are token counts: a tiny gpt-5 Chat round trip whose error bands reach below its
    own estimate has a lower bound of 0, not a negative count."""
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}
    messages = [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c", "content": ""},
    ]
    est = estimate_request(model="gpt-5-nano", messages=messages)
    bands = sum(ERROR_BANDS[k].low for k in est.error_bands)
    assert est.input_tokens + bands < 0  # the bands alone would give a negative count
    assert est.lower == 0
    assert est.upper is not None
    assert est.upper >= est.input_tokens


def test_a_part_counted_by_no_measured_rule_has_no_upper_bound():
    """A content part type the estimator does not know: not counted, so no upper bound."""
    part = {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}
    est = estimate_request(model="gpt-4o", input=[{"role": "user", "content": [part]}])
    assert not est.exact
    assert est.upper is None
    assert est.lower == est.input_tokens


def test_exact_needs_an_image_rule_verified_by_bills():
    """The same known-size image: exact on gpt-4o (bills back its rule); on gpt-5.4 (guide
    numbers only) not exact, with a note, ``rule_verified`` false and a point estimate whose
    bounds assume the guide. A text-only request does not use the image rule."""
    content = [{"type": "input_text", "text": "What is it?"}, image_part(png((640, 480)))]
    verified, guide = (
        estimate_request(model=m, input=[{"role": "user", "content": content}])
        for m in ("gpt-4o", "gpt-5.4")
    )
    assert (verified.exact, verified.rule_verified) == (True, True)
    assert (guide.exact, guide.rule_verified) == (False, False)
    assert any("'gpt-5.4' is not verified by bills" in n for n in guide.notes)
    assert guide.lower == guide.upper == guide.input_tokens
    assert estimate_request(model="gpt-5.4", input="Say hello").exact


def test_server_side_state_leaves_the_upper_bound_open():
    """previous_response_id: earlier turns are on the server; no upper bound, not exact."""
    est = estimate_request(model="gpt-4o", input="and now?", previous_response_id="resp_1")
    assert not est.exact
    assert est.upper is None


def test_the_estimate_cost_is_input_plus_the_output_maximum():
    """gpt-4o: input at $2.50, and max_output_tokens=300 at $10 as an upper bound."""
    est = estimate_request(model="gpt-4o", input="Say hello", max_output_tokens=300)
    assert est.cost is not None
    assert est.cost.input_usd == est.input_tokens * 2.5 / 1e6
    assert est.cost.output_usd == 300 * 10.0 / 1e6
    assert est.cost_upper_usd == est.cost.total_usd


def test_a_flex_request_is_estimated_at_flex_prices():
    """service_tier='flex' in the request: the estimate's cost is the flex one."""
    est = estimate_request(model="gpt-5", input="Say hello", service_tier="flex")
    assert est.cost is not None
    assert est.cost.tier == "flex"
    assert est.cost.input_usd == est.input_tokens * 0.625 / 1e6


def test_the_url_estimate_cost_upper_uses_the_upper_bound():
    """With an image of unknown size the most it can cost uses ``upper`` input tokens."""
    est = estimate_request(model="gpt-4o", input=_url_image("high"), max_output_tokens=100)
    assert est.upper is not None
    assert est.cost_upper_usd == pytest.approx((est.upper * 2.5 + 100 * 10.0) / 1e6)


# -- one field list --------------------------------------------------------------------------


def test_every_report_field_reaches_the_record_and_its_dict():
    """Report -> record -> dict is driven by dataclasses.fields: no field can be forgotten."""
    report_fields = {f.name for f in dataclasses.fields(VisionReport)}
    record = AuditRecord.from_report(make_report(), now=NOW)
    record_fields = {f.name for f in dataclasses.fields(AuditRecord)}
    assert report_fields <= record_fields
    assert set(record.to_dict()) == record_fields
    assert AuditRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
