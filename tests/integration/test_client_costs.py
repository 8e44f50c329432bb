"""Reports made through the clients: cost at the served tier, sane usage, no image tokens for
text, and ``stream()``, ``create(stream=True)`` and ``create()`` agreeing (loopback mocks)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
from _fake_openai import response_body, responses_sse
from _mock import Mock, reply, responses_request

from openai_vision_ext import DEFAULT_PRICES, VisionOpenAI, vision_report
from openai_vision_ext.testing import capture_audit


def _client(mock: Mock, **options: Any) -> VisionOpenAI:
    return VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client(), **options)


def _answer(
    *,
    service_tier: str | None = None,
    usage: dict[str, Any] | None = None,
    model: str = "gpt-4o-2024-08-06",
) -> Mock:
    """Answers every Responses call (JSON or SSE) with mirascope-002's bill, changed as asked."""
    base = reply(model)
    if usage is not None:
        base = type(base)(**{**base.__dict__, "usage": usage})

    def patch(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "service_tier": service_tier} if service_tier else body

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent = json.loads(request.content or b"{}")
        if sent.get("stream"):
            chunks = []
            for chunk in responses_sse(base):
                text = chunk.decode()
                head, data = text.split("data: ", 1)
                event = json.loads(data)
                if "response" in event:
                    event["response"] = patch(event["response"])
                chunks.append(f"{head}data: {json.dumps(event)}\n\n".encode())
            return httpx2.Response(
                200, content=b"".join(chunks), headers={"content-type": "text/event-stream"}
            )
        return httpx2.Response(200, json=patch(response_body(base)))

    return Mock(handle)


def test_a_flex_response_is_costed_at_flex_and_says_so():
    """The response reports service_tier='flex': the report's cost is the flex price."""
    client = _client(_answer(service_tier="flex", model="o3-2025-04-16"))
    with capture_audit() as records:
        response = client.responses.create(**responses_request(model="o3"))
    report = vision_report(response)
    assert report is not None
    assert report.cost is not None
    assert (report.service_tier, report.cost.tier) == ("flex", "flex")
    expected = DEFAULT_PRICES.cost("o3", input_tokens=269, output_tokens=20, tier="flex")
    assert expected is not None
    assert report.cost.total_usd == expected.total_usd
    assert records[0].to_dict()["cost"]["tier"] == "flex"


def test_a_tier_without_a_published_price_costs_none_with_a_note():
    """gpt-4o has no flex price: cost None (never the standard price) and a note says why."""
    client = _client(_answer(service_tier="flex"))
    report = vision_report(client.responses.create(**responses_request()))
    assert report is not None
    assert report.cost is None
    assert any("no published flex price" in note for note in report.notes)


def test_a_text_only_request_attributes_no_image_tokens():
    """No image in the request: billed_image_tokens is None, not 'billed minus text'."""
    client = _client(_answer())
    response = client.responses.create(model="gpt-4o", input="Say hello")
    report = vision_report(response)
    assert report is not None
    assert report.billed_image_tokens is None
    assert report.delta_input_tokens is not None


def test_negative_server_usage_keeps_the_record_with_a_note():
    """Usage with a negative count: the record is written, cost None, a note names the field."""
    usage = {
        "input_tokens": -269,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": -249,
    }
    client = _client(_answer(usage=usage))
    with capture_audit() as records:
        client.responses.create(**responses_request())
    assert len(records) == 1
    assert records[0].cost is None
    assert any("input_tokens=-269 is negative" in note for note in records[0].notes)


def test_stream_helper_create_stream_and_create_report_alike():
    """responses.stream() passes 'omitted' placeholders: they are not a stored prompt, a
    previous_response_id or a request-level image option. The three paths report alike."""
    client = _client(_answer())
    plain = vision_report(client.responses.create(**responses_request()))
    with client.responses.stream(**responses_request()) as stream:
        final = stream.get_final_response()
    streamed = vision_report(final)
    raw = client.responses.create(**responses_request(), stream=True)
    for _ in raw:
        pass
    created_stream = vision_report(raw)
    assert plain is not None
    assert streamed is not None
    assert created_stream is not None
    for report in (streamed, created_stream):
        assert report.notes == plain.notes
        assert report.estimated_input_tokens == plain.estimated_input_tokens
        assert report.estimate_exact == plain.estimate_exact
        assert report.cost == plain.cost


def test_stream_helper_keeps_exact_count():
    """exact_count=True through responses.stream(): the placeholders no longer read as a stored
    prompt, so the count is made and attributes the image tokens."""
    base = _answer()

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/responses/input_tokens"):
            return httpx2.Response(
                200, json={"object": "response.input_tokens", "input_tokens": 14}
            )
        return base.handler(request)

    client = _client(Mock(handle), exact_count=True)
    with client.responses.stream(**responses_request()) as stream:
        final = stream.get_final_response()
    report = vision_report(final)
    assert report is not None
    assert (report.attribution, report.counted_text_tokens) == ("input_tokens.count", 14)
    assert report.billed_image_tokens == 269 - 14


def test_12h_cache_writes_reach_the_report_the_record_and_the_cost():
    """gpt-5.6 bills 200 cache writes, 50 kept 12 h: the report and its record carry the 50,
    and the cost prices them at the 12 h rate ($10 per 1M, the other 150 at $5)."""
    usage = {
        "input_tokens": 1_000,
        "input_tokens_details": {
            "cached_tokens": 300,
            "cache_write_tokens": 200,
            "cache_write_tokens_details": {"ttl_30m_tokens": 150, "ttl_12h_tokens": 50},
        },
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 1_020,
    }
    client = _client(_answer(usage=usage, model="gpt-5.6"))
    with capture_audit() as records:
        report = vision_report(client.responses.create(**responses_request(model="gpt-5.6")))
    assert report is not None
    assert (report.billed_cache_write_tokens, report.billed_cache_write_12h_tokens) == (200, 50)
    assert report.cost is not None
    assert report.cost.cache_write_usd == (150 * 5.0 + 50 * 10.0) / 1e6
    assert records[0].to_dict()["billed_cache_write_12h_tokens"] == 50
