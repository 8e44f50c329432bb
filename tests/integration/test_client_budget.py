"""A request cap on the clients: ``VisionOpenAI(budget=Budget(...))`` and ``with_budget``.

Checked in preflight against the estimate's upper bound; on refusal nothing reaches the
transport (``httpx2.MockTransport`` records every request), and no budget keyword is sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from _helpers import Side
from _mock import IMAGE_URL, Mock, chat_request, responses_request

from openai_vision_ext import (
    Budget,
    BudgetExceededError,
    InvalidOptionError,
    VisionOpenAI,
    estimate_request,
    vision_report,
)


def client(mock: Mock, **options: Any) -> VisionOpenAI:
    return VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client(), **options)


def _upper(request: dict[str, Any]) -> int:
    body = dict(request)
    model = body.pop("model")
    upper = estimate_request(model=model, **body).upper
    assert upper is not None
    return upper


@pytest.mark.anyio
async def test_a_request_over_budget_is_refused_and_nothing_is_sent(side: Side) -> None:
    """The error says the estimate, the limit, by how much, and the costliest image."""
    mock = Mock.ok()
    request = responses_request()
    upper = _upper(request)
    capped = side.client(mock, budget=Budget(max_input_tokens=100))
    with pytest.raises(BudgetExceededError) as info:
        await side.run(capped.responses.create(**request))
    exc = info.value
    assert mock.sent == []
    assert (exc.unit, exc.limit, exc.cost, exc.over_by) == ("tokens", 100, upper, upper - 100)
    assert exc.images[0][0] == 0
    assert "nothing was sent" in str(exc)
    assert f"by {upper - 100:,} input tokens" in str(exc)


def test_a_request_within_budget_is_sent_unchanged() -> None:
    """At exactly the upper bound the request goes out, without any budget keyword."""
    mock = Mock.ok()
    request = responses_request()
    response = client(mock, budget=Budget(max_input_tokens=_upper(request))).responses.create(
        **request
    )
    assert len(mock.sent) == 1
    body = json.loads(mock.sent[0].content)
    assert "budget" not in body
    assert set(body) == set(request)
    assert vision_report(response) is not None


def test_an_image_of_unknown_size_counts_at_its_most() -> None:
    """A URL image cannot slip under the cap: it counts at the most its detail can cost."""
    mock = Mock.ok()
    request = responses_request()
    request["input"][0]["content"][1]["image_url"] = "https://example.com/cat.png"
    known = estimate_request(model="gpt-4o", input=request["input"])
    assert known.upper is not None
    assert known.input_tokens < known.upper
    with pytest.raises(BudgetExceededError) as info:
        client(mock, budget=Budget(max_input_tokens=known.input_tokens + 10)).responses.create(
            **request
        )
    assert info.value.cost == known.upper
    assert "unknown size" in str(info.value)
    assert mock.sent == []


def test_with_budget_caps_one_call_and_leaves_the_client_alone() -> None:
    """``with_budget`` beside ``with_options``: a capped copy; the original still sends."""
    mock = Mock.ok()
    base = client(mock)
    with pytest.raises(BudgetExceededError):
        base.with_budget(max_input_tokens=10).responses.create(**responses_request())
    assert mock.sent == []
    base.responses.create(**responses_request())
    assert len(mock.sent) == 1
    assert base.vision_options.budget is None


def test_the_budget_survives_with_options_and_can_be_removed() -> None:
    """Copies keep the budget; ``with_budget(None)`` and ``copy(budget=None)`` drop it."""
    capped = client(Mock.ok(), budget=Budget(max_input_tokens=10))
    assert capped.with_options(timeout=5).vision_options.budget == Budget(max_input_tokens=10)
    assert capped.with_budget(None).vision_options.budget is None
    assert capped.copy(budget=None).vision_options.budget is None


def test_on_exceed_warn_logs_and_sends(caplog: pytest.LogCaptureFixture) -> None:
    """``on_exceed="warn"``: one warning saying by how much, and the request goes out."""
    mock = Mock.ok()
    capped = client(mock, budget=Budget(max_input_tokens=100, on_exceed="warn"))
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        capped.responses.create(**responses_request())
    assert len(mock.sent) == 1
    assert any("over its budget" in r.getMessage() for r in caplog.records)


def test_chat_completions_are_capped_too() -> None:
    """The same cap on ``chat.completions.create``."""
    mock = Mock.ok()
    with pytest.raises(BudgetExceededError):
        client(mock, budget=Budget(max_input_tokens=50)).chat.completions.create(**chat_request())
    assert mock.sent == []


def test_a_usd_budget_prices_the_upper_bound_and_the_output_maximum() -> None:
    """``max_usd`` counts the request's output cap when it sets one."""
    mock = Mock.ok()
    request = responses_request(max_output_tokens=1000)
    est = estimate_request(model="gpt-4o", input=request["input"], max_output_tokens=1000)
    assert est.cost_upper_usd is not None
    with pytest.raises(BudgetExceededError) as info:
        client(mock, budget=Budget(max_usd=est.cost_upper_usd / 2)).responses.create(**request)
    assert info.value.unit == "usd"
    assert info.value.cost == pytest.approx(est.cost_upper_usd)
    assert mock.sent == []
    client(mock, budget=Budget(max_usd=est.cost_upper_usd)).responses.create(**request)
    assert len(mock.sent) == 1


def test_an_unbounded_request_cannot_be_shown_to_fit() -> None:
    """``previous_response_id`` hides server-side input: no upper bound, so it is refused."""
    mock = Mock.ok()
    with pytest.raises(BudgetExceededError, match="no upper bound"):
        client(mock, budget=Budget(max_input_tokens=100_000)).responses.create(
            **responses_request(previous_response_id="resp_123")
        )
    assert mock.sent == []


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"max_input_tokens": -1}, {"max_usd": -1.0}, {"max_usd": 1.0, "on_exceed": "log"}],
)
def test_a_budget_needs_sane_limits(kwargs: dict[str, Any]) -> None:
    """No limit, a negative one, or an unknown on_exceed: a typed error at construction."""
    with pytest.raises(InvalidOptionError):
        Budget(**kwargs)


def test_budget_must_be_a_budget() -> None:
    """A dict is not silently accepted (no unknown keyword reaches the API either)."""
    with pytest.raises(InvalidOptionError):
        client(Mock.ok(), budget={"max_input_tokens": 5})
    with pytest.raises(InvalidOptionError):
        client(Mock.ok()).with_budget(Budget(max_usd=1.0), max_input_tokens=5)
    assert IMAGE_URL.startswith("data:image/png")
