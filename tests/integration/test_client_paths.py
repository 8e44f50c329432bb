"""Client paths that used to lose or skew a report: a malformed count answer, a call billed and
then failed inside the SDK, and ``parse()``'s schema (loopback mocks, no network)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx2
import openai
import pydantic
import pytest
from _fake_openai import chat_body, response_body
from _helpers import Side
from _mock import Mock, chat_reply, chat_request, reply, responses_request

from openai_vision_ext import VisionOpenAI, vision_report
from openai_vision_ext.testing import capture_audit


class Answer(pydantic.BaseModel):
    """A structured answer with a few fields, so its schema is tens of tokens."""

    title: str
    tags: list[str]
    confidence: float


def _client(mock: Mock, **options: Any) -> VisionOpenAI:
    return VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client(), **options)


def _responses(count_answer: dict[str, Any] | None = None) -> Mock:
    answer = dataclasses.replace(reply(), text='{"title": "t", "tags": [], "confidence": 1}')

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/responses/input_tokens"):
            return httpx2.Response(200, json=count_answer)
        return httpx2.Response(200, json=response_body(answer))

    return Mock(handle)


def test_a_null_count_answer_falls_back_to_the_estimate_with_a_note():
    """exact_count=True and input_tokens: null used to lose the whole report."""
    client = _client(
        _responses({"object": "response.input_tokens", "input_tokens": None}), exact_count=True
    )
    with capture_audit() as records:
        response = client.responses.create(**responses_request())
    report = vision_report(response)
    assert report is not None
    assert report.attribution == "estimate"
    assert report.billed_input_tokens == 269
    assert any("input_tokens.count answered 'None'" in note for note in report.notes), report.notes
    assert len(records) == 1


def _chat_finished(reason: str, content: str) -> Mock:
    body = chat_body(chat_reply())
    body["choices"][0]["finish_reason"] = reason
    body["choices"][0]["message"]["content"] = content
    return Mock(lambda _: httpx2.Response(200, json=body))


@pytest.mark.anyio
async def test_a_length_cut_parse_is_recorded_with_its_billed_usage(side: Side):
    """LengthFinishReasonError: the call was billed, so the record has the usage and says why."""
    client = side.client(_chat_finished("length", '{"title": "a ca'))
    with capture_audit() as records, pytest.raises(openai.LengthFinishReasonError):
        await side.run(client.chat.completions.parse(**chat_request(), response_format=Answer))
    (record,) = records
    assert (record.status, record.billed_input_tokens) == ("error", 269)
    assert record.cost is not None
    assert any("LengthFinishReasonError" in note for note in record.notes)


def test_a_content_filtered_parse_is_recorded():
    """ContentFilterFinishReasonError: billed, recorded as an error with the usage."""
    client = _client(_chat_finished("content_filter", ""))
    with capture_audit() as records, pytest.raises(openai.ContentFilterFinishReasonError):
        client.chat.completions.parse(**chat_request(), response_format=Answer)
    assert [(r.status, r.billed_input_tokens) for r in records] == [("error", 269)]


def test_an_output_that_fails_validation_is_recorded_as_billed():
    """A pydantic ValidationError while parsing: billed; the record says the usage is unknown."""
    client = _client(_chat_finished("stop", '{"title": 3}'))
    with capture_audit() as records, pytest.raises(pydantic.ValidationError):
        client.chat.completions.parse(**chat_request(), response_format=Answer)
    (record,) = records
    assert record.status == "error"
    assert any("ValidationError" in note for note in record.notes)


def test_parse_counts_the_schema_like_create_with_the_same_format():
    """responses.parse(text_format=Model): the schema is in the estimate, as it is for create()
    with the same text.format (it used to be left out with no note)."""
    from openai.lib._parsing._responses import type_to_text_format_param

    client = _client(_responses())
    parsed = vision_report(client.responses.parse(**responses_request(), text_format=Answer))
    fmt = {"format": type_to_text_format_param(Answer)}
    created = vision_report(client.responses.create(**responses_request(), text=fmt))
    plain = vision_report(client.responses.create(**responses_request()))
    assert parsed is not None
    assert created is not None
    assert plain is not None
    assert parsed.estimated_input_tokens == created.estimated_input_tokens
    assert parsed.estimated_input_tokens > plain.estimated_input_tokens  # type: ignore[operator]


def test_chat_parse_counts_the_schema_like_create_with_the_same_format():
    """chat.completions.parse(response_format=Model) likewise."""
    from openai.lib._parsing._completions import type_to_response_format_param

    mock = Mock(lambda _: httpx2.Response(200, json=chat_body(chat_reply())))
    client = _client(mock)
    body = json.loads(json.dumps(chat_body(chat_reply())["choices"][0]["message"]))
    assert body["role"] == "assistant"
    fmt = type_to_response_format_param(Answer)
    created = vision_report(client.chat.completions.create(**chat_request(), response_format=fmt))
    mock_json = Mock(
        lambda _: httpx2.Response(
            200,
            json={
                **chat_body(chat_reply()),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": '{"title": "t", "tags": [], "confidence": 1}',
                            "refusal": None,
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
            },
        )
    )
    parsed = vision_report(
        _client(mock_json).chat.completions.parse(**chat_request(), response_format=Answer)
    )
    assert parsed is not None
    assert created is not None
    assert parsed.estimated_input_tokens == created.estimated_input_tokens
