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
from _fake_openai import chat_body, chat_sse, response_body, responses_sse
from _helpers import Side
from _mock import Mock, chat_reply, chat_request, reply, responses_request
from openai.lib.streaming.responses import ResponseStreamManager

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


# -- stream helpers: billed, then failed inside the SDK ---------------------------------------


def _responses_stream(text: str) -> Mock:
    return Mock.sse(list(responses_sse(dataclasses.replace(reply(), text=text))))


def _chat_stream(text: str, finish: str = "stop") -> Mock:
    chunks = chat_sse(dataclasses.replace(chat_reply(), text=text), include_usage=True)
    return Mock.sse([c.replace(b'"stop"', f'"{finish}"'.encode()) for c in chunks])


def test_a_streamed_parse_that_fails_validation_is_recorded_with_its_billed_usage():
    """responses.stream(text_format=M): the helper raises ValidationError before the usage
    event; the record still has the billed usage, status error and the failure."""
    client = _client(_responses_stream('{"title": 3}'))
    with (
        capture_audit() as records,
        pytest.raises(pydantic.ValidationError),
        client.responses.stream(**responses_request(), text_format=Answer) as stream,
    ):
        stream.get_final_response()
    (record,) = records
    assert (record.status, record.billed_input_tokens, record.billed_output_tokens) == (
        "error",
        269,
        20,
    )
    assert record.cost is not None
    assert any("raised ValidationError" in note for note in record.notes), record.notes


@pytest.mark.parametrize(
    ("finish", "error"),
    [
        ("length", openai.LengthFinishReasonError),
        ("content_filter", openai.ContentFilterFinishReasonError),
    ],
)
def test_a_streamed_chat_parse_cut_short_is_recorded_with_its_billed_usage(finish, error):
    """chat.completions.stream(response_format=M) ending on length/content_filter: the SDK
    raises at the finish chunk, before the usage chunk; the record has the usage."""
    client = _client(_chat_stream('{"title": "a ca', finish))
    with (
        capture_audit() as records,
        pytest.raises(error),
        client.chat.completions.stream(
            **chat_request(), response_format=Answer, stream_options={"include_usage": True}
        ) as stream,
    ):
        for _ in stream:
            pass
    assert [(r.status, r.billed_input_tokens) for r in records] == [("error", 269)]
    assert any(error.__name__ in note for note in records[0].notes)


def test_a_streamed_chat_output_failing_validation_is_recorded_as_an_error():
    """Chat's helper validates only in get_final_completion(), after the stream: the one record
    (with the billed usage) already says that parse fails."""
    client = _client(_chat_stream('{"title": 3}'))
    with (
        capture_audit() as records,
        pytest.raises(pydantic.ValidationError),
        client.chat.completions.stream(
            **chat_request(), response_format=Answer, stream_options={"include_usage": True}
        ) as stream,
    ):
        stream.get_final_completion()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("error", 269)]
    assert any("raised ValidationError" in note for note in records[0].notes)


def test_a_streamed_parse_that_succeeds_is_recorded_as_ok():
    """The guard changes nothing when the helper's parse succeeds."""
    client = _client(_responses_stream('{"title": "t", "tags": [], "confidence": 1}'))
    with (
        capture_audit() as records,
        client.responses.stream(**responses_request(), text_format=Answer) as stream,
    ):
        final = stream.get_final_response()
    assert final.output_parsed is not None
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", 269)]
    assert isinstance(client.responses.stream(**responses_request()), ResponseStreamManager)


@pytest.mark.anyio
async def test_a_streamed_parse_that_fails_validation_is_recorded_async():
    """The async helper likewise."""
    from openai_vision_ext import AsyncVisionOpenAI

    mock = _responses_stream('{"title": 3}')
    client = AsyncVisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.async_client())
    with capture_audit() as records, pytest.raises(pydantic.ValidationError):
        async with client.responses.stream(**responses_request(), text_format=Answer) as stream:
            await stream.get_final_response()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("error", 269)]
