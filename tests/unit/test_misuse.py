"""Misuse fails fast with the package's own typed error, or works as a user would expect."""

from __future__ import annotations

import base64
import io
import json
import logging
from datetime import UTC, datetime

import pytest
from PIL import Image

from openai_vision_ext import (
    AuditConfigError,
    AuditPipeline,
    AuditRecord,
    InvalidRequestError,
    JsonlSink,
    PreflightError,
    PriceTableError,
    VisionOpenAI,
    estimate_request,
    preflight,
)
from openai_vision_ext.testing import make_record, make_report

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _animated_gif_url() -> str:
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return "data:image/gif;base64," + base64.b64encode(buf.getvalue()).decode()


def test_preflight_infers_chat_completions_from_messages():
    """Without api=, a messages= request is checked as Chat Completions: the animated GIF is
    caught (it used to pass silently, walked as a Responses request with no input)."""
    part = {"type": "image_url", "image_url": {"url": _animated_gif_url()}}
    with pytest.raises(PreflightError) as err:
        preflight(model="gpt-4o", messages=[{"role": "user", "content": [part]}])
    assert [v.code for v in err.value.violations] == ["animated_image"]


def test_estimate_infers_chat_completions_from_messages():
    """estimate_request(messages=...) without api= is the Chat Completions estimate."""
    messages = [{"role": "user", "content": "Hi"}]
    inferred = estimate_request(model="gpt-4o", messages=messages)
    explicit = estimate_request(api="chat.completions", model="gpt-4o", messages=messages)
    assert inferred.api == "chat.completions"
    assert inferred.input_tokens == explicit.input_tokens


def test_a_keyword_typo_is_an_error_not_a_3_token_exact_estimate():
    """inputs= is no keyword of either API: InvalidRequestError naming the nearest one."""
    with pytest.raises(InvalidRequestError, match=r"'inputs'.*did you mean 'input'"):
        estimate_request(model="gpt-4o", inputs="Describe this image")
    with pytest.raises(InvalidRequestError, match="'inputs'"):
        preflight(model="gpt-4o", inputs="Describe this image")


def test_a_keyword_of_the_other_api_says_which_api_to_pass():
    """max_completion_tokens belongs to Chat Completions: the error says to pass api=."""
    with pytest.raises(InvalidRequestError, match=r"api='chat\.completions'"):
        estimate_request(model="gpt-4o", input="Hi", max_completion_tokens=5)


def test_both_messages_and_input_is_ambiguous():
    """messages= and input= together: no guess, an error asking for api=."""
    with pytest.raises(InvalidRequestError, match="both"):
        estimate_request(model="gpt-4o", input="Hi", messages=[])


def test_sdk_transport_options_are_accepted():
    """extra_headers, extra_body, extra_query and timeout are the SDK's own: not rejected."""
    est = estimate_request(
        model="gpt-4o", input="Hi", extra_headers={"x": "1"}, extra_body={}, timeout=3.0
    )
    assert est.input_tokens > 0


def test_a_single_sink_works_as_audit(tmp_path):
    """audit=JsonlSink(...) (not in a list) writes records instead of raising TypeError."""
    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)
    pipeline = AuditPipeline(sinks=sink)
    pipeline.emit(make_record())
    pipeline.close()
    assert json.loads(path.read_text().splitlines()[0])["api"] == "responses"
    VisionOpenAI(api_key="sk-test", audit=JsonlSink(tmp_path / "b.jsonl"))


def test_a_path_as_audit_raises_at_construction(caplog):
    """audit="audit.jsonl" used to log one warning per character and write nothing."""
    with caplog.at_level(logging.WARNING), pytest.raises(AuditConfigError, match="JsonlSink"):
        VisionOpenAI(api_key="sk-test", audit="audit.jsonl")
    with pytest.raises(AuditConfigError):
        AuditPipeline(sinks=[42])
    assert not caplog.records


def test_pipeline_prices_from_a_dict_price_records():
    """AuditPipeline(prices=dict) used to drop every record; now the dict is the price table."""
    seen = []
    pipeline = AuditPipeline(
        sinks=[seen.append],
        prices={"version": "acme", "models": {"gpt-4o-mini": {"input": 1, "output": 2}}},
    )
    pipeline.emit(AuditRecord.from_report(make_report(), now=NOW, prices=pipeline.prices))
    assert pipeline.failures == 0
    assert seen[0].cost is not None
    assert seen[0].cost.price_table_version == "acme"


def test_pipeline_prices_of_the_wrong_kind_raise_at_construction():
    """A price value that is not a table, dict or path raises now, not once per record."""
    with pytest.raises(AuditConfigError):
        AuditPipeline(prices=3.5)  # type: ignore[arg-type]
    with pytest.raises(PriceTableError):
        AuditPipeline(prices={"gpt-4o": {"input": 1, "output": 2}})
