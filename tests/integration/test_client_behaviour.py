"""The drop-in clients behave exactly like the SDK's, plus preflight and a report beside each
response. Error paths go through ``httpx2.MockTransport`` (no sockets, no cassettes)."""

from __future__ import annotations

import copy
import gc
import hashlib
import inspect
import json
import logging
import pickle
from typing import Any

import httpx2
import openai
import pytest
from _fake_openai import chat_body, response_body, responses_sse
from _mock import IMAGE, IMAGE_URL, Mock, chat_reply, chat_request, reply, responses_request
from pydantic import BaseModel

from openai_vision_ext import (
    AsyncVisionAzureOpenAI,
    AsyncVisionOpenAI,
    AuditRecord,
    PreflightError,
    VisionAzureOpenAI,
    VisionOpenAI,
    vision_report,
)
from openai_vision_ext import _client as client_module
from openai_vision_ext import _core as core_module
from openai_vision_ext.testing import capture_audit

BILLED_INPUT = reply().usage["input_tokens"]
LOGGER = "openai_vision_ext"


def sync_client(mock: Mock, **options: Any) -> VisionOpenAI:
    return VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client(), **options)


def async_client(mock: Mock, **options: Any) -> AsyncVisionOpenAI:
    return AsyncVisionOpenAI(
        api_key="sk-test", max_retries=0, http_client=mock.async_client(), **options
    )


# --- drop-in: types, options, signatures ---------------------------------------------------

AZURE_ARGS = {"api_key": "k", "api_version": "2025-04-01-preview", "azure_endpoint": "https://x"}


def test_clients_are_the_sdk_clients() -> None:
    """Each client is an instance of the SDK client it replaces."""
    azure = AZURE_ARGS
    assert isinstance(VisionOpenAI(api_key="k"), openai.OpenAI)
    assert isinstance(AsyncVisionOpenAI(api_key="k"), openai.AsyncOpenAI)
    assert isinstance(VisionAzureOpenAI(**azure), openai.AzureOpenAI)
    assert isinstance(AsyncVisionAzureOpenAI(**azure), openai.AsyncAzureOpenAI)


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (VisionOpenAI, {"api_key": "k"}),
        (AsyncVisionOpenAI, {"api_key": "k"}),
        (VisionAzureOpenAI, {**AZURE_ARGS, "model_map": {"vision-prod": "gpt-4o"}}),
        (AsyncVisionAzureOpenAI, {**AZURE_ARGS, "model_map": {"vision-prod": "gpt-4o"}}),
    ],
)
def test_with_options_and_copy_keep_our_options(cls: Any, args: dict[str, Any]) -> None:
    """``with_options()``/``copy()`` keep our options and the class; they can override them."""
    sink: list[AuditRecord] = []
    client = cls(**args, preflight="warn", exact_count=True, audit=[sink.append])
    copied = client.with_options(timeout=3)
    assert type(copied) is cls
    assert copied.timeout == 3
    assert copied.vision_options == client.vision_options
    assert copied.copy(preflight="off").vision_options.preflight == "off"
    assert copied.copy(preflight="off").vision_options.exact_count is True


def test_copied_client_still_preflights_and_sends_nothing() -> None:
    """A client from ``with_options()``/``copy()`` uses our resources: a bad request raises
    PreflightError and no HTTP request is made."""
    mock = Mock.ok()
    for copied in (sync_client(mock).with_options(timeout=3), sync_client(mock).copy()):
        with pytest.raises(PreflightError):
            copied.responses.create(**responses_request(detail="ultra"))
    assert mock.sent == []


@pytest.mark.anyio
async def test_copied_client_still_preflights_and_sends_nothing_async() -> None:
    """Async twin of ``test_copied_client_still_preflights_and_sends_nothing``."""
    mock = Mock.ok()
    for copied in (async_client(mock).with_options(timeout=3), async_client(mock).copy()):
        with pytest.raises(PreflightError):
            await copied.responses.create(**responses_request(detail="ultra"))
    assert mock.sent == []


def test_unknown_preflight_mode_is_refused() -> None:
    """A misspelt ``preflight`` mode is a ValueError naming the valid ones."""
    with pytest.raises(ValueError, match="raise"):
        VisionOpenAI(api_key="k", preflight="strict")  # type: ignore[arg-type]


METHODS = [
    ("responses", "create"),
    ("responses", "parse"),
    ("responses", "stream"),
    ("chat.completions", "create"),
    ("chat.completions", "parse"),
    ("chat.completions", "stream"),
]


def _resource(client: Any, path: str) -> Any:
    for name in path.split("."):
        client = getattr(client, name)
    return client


CLIENT_PAIRS = [
    pytest.param(lambda: VisionOpenAI(api_key="k"), lambda: openai.OpenAI(api_key="k"), id="sync"),
    pytest.param(
        lambda: AsyncVisionOpenAI(api_key="k"), lambda: openai.AsyncOpenAI(api_key="k"), id="async"
    ),
    pytest.param(
        lambda: VisionAzureOpenAI(**AZURE_ARGS),
        lambda: openai.AzureOpenAI(**AZURE_ARGS),
        id="azure",
    ),
    pytest.param(
        lambda: AsyncVisionAzureOpenAI(**AZURE_ARGS),
        lambda: openai.AsyncAzureOpenAI(**AZURE_ARGS),
        id="async-azure",
    ),
]


@pytest.mark.parametrize(("path", "method"), METHODS)
@pytest.mark.parametrize(("ours", "sdk"), CLIENT_PAIRS)
def test_signatures_equal_the_sdk(ours: Any, sdk: Any, path: str, method: str) -> None:
    """Wrapped methods have exactly the SDK's signatures, also through with_raw_response and
    with_streaming_response, on all four clients."""
    mine, theirs = _resource(ours(), path), _resource(sdk(), path)
    assert inspect.signature(getattr(mine, method)) == inspect.signature(getattr(theirs, method))
    if method != "stream":
        for wrapper in ("with_raw_response", "with_streaming_response"):
            wrapped_mine = getattr(getattr(mine, wrapper), method, None)
            wrapped_theirs = getattr(getattr(theirs, wrapper), method, None)
            assert (wrapped_mine is None) is (wrapped_theirs is None)
            if wrapped_theirs is not None:  # the SDK has no with_streaming_response.parse
                assert inspect.signature(wrapped_mine) == inspect.signature(wrapped_theirs)


@pytest.mark.parametrize(("path", "method"), METHODS)
def test_wrapped_methods_are_ours(path: str, method: str) -> None:
    """The signature test compares our wrappers, not the SDK's methods reached by accident:
    create/parse are replaced on our resources (stream() is the SDK's, over our create)."""
    mine = type(_resource(VisionOpenAI(api_key="k"), path))
    theirs = type(_resource(openai.OpenAI(api_key="k"), path))
    assert mine is not theirs
    assert issubclass(mine, theirs)
    replaced = getattr(mine, method) is not getattr(theirs, method)
    assert replaced is (method != "stream")


# --- preflight -----------------------------------------------------------------------------


def test_preflight_raise_sends_nothing() -> None:
    """A bad request raises PreflightError and no HTTP request is made."""
    mock = Mock.ok()
    with pytest.raises(PreflightError) as caught:
        sync_client(mock).responses.create(**responses_request(detail="ultra"))
    assert [v.code for v in caught.value.violations] == ["invalid_detail"]
    assert mock.sent == []


@pytest.mark.anyio
async def test_preflight_raise_sends_nothing_async() -> None:
    """Async twin: PreflightError, and no HTTP request."""
    mock = Mock.ok()
    with pytest.raises(PreflightError):
        await async_client(mock).responses.create(**responses_request(detail="ultra"))
    assert mock.sent == []


def test_preflight_raise_covers_chat_image_url_parts() -> None:
    """Chat Completions ``image_url`` parts are checked too."""
    mock = Mock.ok()
    bad = chat_request()
    bad["messages"][0]["content"][1]["image_url"]["url"] = "data:image/png;base64,bm90IGFuIGltYWdl"
    with pytest.raises(PreflightError):
        sync_client(mock).chat.completions.create(**bad)
    assert mock.sent == []


def test_preflight_warn_sends_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    """``warn`` sends the request, logs one warning, and lists the problems in the report."""
    mock = Mock.ok()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = sync_client(mock, preflight="warn").responses.create(
            **responses_request(detail="ultra")
        )
    assert len(mock.sent) == 1
    assert "preflight problem" in caplog.text
    report = vision_report(response)
    assert report is not None
    assert [v.code for v in report.violations] == ["invalid_detail"]


def test_preflight_off_sends_without_violations() -> None:
    """``off`` sends a request preflight would refuse and reports no violations."""
    mock = Mock.ok()
    response = sync_client(mock, preflight="off").responses.create(
        **responses_request(detail="ultra")
    )
    report = vision_report(response)
    assert len(mock.sent) == 1
    assert report is not None
    assert report.violations == ()


# --- SDK errors pass through untouched -----------------------------------------------------

ERRORS = [
    (
        Mock.json({"error": {"message": "slow down", "type": "rate_limit"}}, status=429),
        "RateLimitError",
    ),
    (
        Mock.json({"error": {"message": "boom", "type": "server_error"}}, status=500),
        "InternalServerError",
    ),
    (Mock.raising(httpx2.ReadTimeout("timed out")), "APITimeoutError"),
]


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
def test_sdk_errors_pass_through(mock: Mock, error: str) -> None:
    """429, 500 and timeouts raise the SDK's own exception, as the plain client does."""
    plain = openai.OpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    with pytest.raises(getattr(openai, error)) as theirs:
        plain.responses.create(**responses_request())
    with pytest.raises(getattr(openai, error)) as ours:
        sync_client(mock).responses.create(**responses_request())
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_pass_through_async(mock: Mock, error: str) -> None:
    """Async twin: the SDK's exception, unchanged."""
    with pytest.raises(getattr(openai, error)):
        await async_client(mock).responses.create(**responses_request())


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
def test_sdk_errors_pass_through_chat(mock: Mock, error: str) -> None:
    """Chat Completions: the same exception type and message as the plain client's."""
    plain = openai.OpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    with pytest.raises(getattr(openai, error)) as theirs:
        plain.chat.completions.create(**chat_request())
    with pytest.raises(getattr(openai, error)) as ours:
        sync_client(mock).chat.completions.create(**chat_request())
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_pass_through_chat_async(mock: Mock, error: str) -> None:
    """Async twin of ``test_sdk_errors_pass_through_chat``."""
    plain = openai.AsyncOpenAI(api_key="k", max_retries=0, http_client=mock.async_client())
    with pytest.raises(getattr(openai, error)) as theirs:
        await plain.chat.completions.create(**chat_request())
    with pytest.raises(getattr(openai, error)) as ours:
        await async_client(mock).chat.completions.create(**chat_request())
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
def test_sdk_errors_leave_one_error_audit_record(mock: Mock, error: str) -> None:
    """A failed call is audited once, status ``error``, with the estimate and nothing billed."""
    with capture_audit() as records, pytest.raises(getattr(openai, error)):
        sync_client(mock).responses.create(**responses_request())
    (record,) = records
    assert (record.status, record.billed_input_tokens) == ("error", None)
    assert record.estimated_input_tokens is not None
    assert error in " ".join(record.notes)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_leave_one_error_audit_record_async(mock: Mock, error: str) -> None:
    """Async twin: one ``error`` record, and the SDK's exception still raised."""
    with capture_audit() as records, pytest.raises(getattr(openai, error)):
        await async_client(mock).responses.create(**responses_request())
    assert [r.status for r in records] == ["error"]


# --- reports on every response flavour -----------------------------------------------------


def test_report_of_a_plain_response() -> None:
    """``create`` returns the SDK's Response; the report holds the bill and request id."""
    response = sync_client(Mock.ok()).responses.create(**responses_request())
    report = vision_report(response)
    assert type(response) is openai.types.responses.Response
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert report.request_id == "req_mock_1"
    (image,) = report.images
    assert (image.index, image.width, image.height, image.mime) == (0, 100, 100, "image/png")
    assert (image.sha256, image.n_bytes) == (hashlib.sha256(IMAGE).hexdigest(), len(IMAGE))
    assert (image.detail, image.location) == ("auto", "input[0].content[1]")
    assert report.model_requested == "gpt-4o"
    assert report.model_served == reply().model


@pytest.mark.anyio
async def test_report_of_a_plain_response_async() -> None:
    """Async twin of ``test_report_of_a_plain_response``."""
    response = await async_client(Mock.ok()).responses.create(**responses_request())
    report = vision_report(response)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT


class Caption(BaseModel):
    caption: str


def _parse_mock() -> Mock:
    body = response_body(reply())
    body["output"][0]["content"][0]["text"] = json.dumps({"caption": "a red square"})
    return Mock.json(body)


def test_report_of_a_parsed_response() -> None:
    """``parse`` returns a ParsedResponse (parsed as usual) with a report."""
    parsed = sync_client(_parse_mock()).responses.parse(**responses_request(), text_format=Caption)
    assert parsed.output_parsed == Caption(caption="a red square")
    report = vision_report(parsed)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_report_of_a_parsed_response_async() -> None:
    """Async twin of ``test_report_of_a_parsed_response``."""
    parsed = await async_client(_parse_mock()).responses.parse(
        **responses_request(), text_format=Caption
    )
    assert vision_report(parsed) is not None


def test_report_of_a_raw_response() -> None:
    """``with_raw_response.create`` reaches our code; the raw and parsed objects share a report."""
    raw = sync_client(Mock.ok()).responses.with_raw_response.create(**responses_request())
    report = vision_report(raw)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(raw.parse()) == report
    assert raw.headers["x-request-id"] == "req_mock_1"


@pytest.mark.anyio
async def test_report_of_a_raw_response_async() -> None:
    """Async twin of ``test_report_of_a_raw_response``."""
    client = async_client(Mock.ok())
    raw = await client.responses.with_raw_response.create(**responses_request())
    report = vision_report(raw)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT


def test_report_of_a_streaming_response() -> None:
    """``with_streaming_response``: the report is built from the body once it is read."""
    client = sync_client(Mock.ok())
    with client.responses.with_streaming_response.create(**responses_request()) as raw:
        response = raw.parse()
        report = vision_report(raw)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(response) == report


def test_report_of_a_chat_completion() -> None:
    """``chat.completions.create`` with ``image_url`` parts gets a report too."""
    completion = sync_client(Mock.ok()).chat.completions.create(**chat_request())
    report = vision_report(completion)
    assert report is not None
    assert report.api == "chat.completions"
    assert report.billed_input_tokens == 269
    assert len(report.images) == 1


@pytest.mark.anyio
async def test_report_of_a_chat_completion_async() -> None:
    """Async twin of ``test_report_of_a_chat_completion``."""
    completion = await async_client(Mock.ok()).chat.completions.create(**chat_request())
    report = vision_report(completion)
    assert report is not None
    assert report.api == "chat.completions"


def test_azure_model_map_picks_the_rule() -> None:
    """On Azure, ``model_map`` turns the deployment name into a model for token rules."""
    mock = Mock.ok()
    client = VisionAzureOpenAI(
        api_key="k",
        api_version="2025-04-01-preview",
        azure_endpoint="https://example-resource.openai.azure.com",
        http_client=mock.sync_client(),
        max_retries=0,
        model_map={"vision-prod": "gpt-4o"},
    )
    response = client.responses.create(**responses_request(model="vision-prod"))
    report = vision_report(response)
    assert report is not None
    assert (report.model_requested, report.rule) == ("vision-prod", "gpt-4o")


def _azure(mock: Mock, cls: Any = VisionAzureOpenAI, **options: Any) -> Any:
    http = mock.async_client() if cls is AsyncVisionAzureOpenAI else mock.sync_client()
    return cls(
        api_key="k",
        api_version="2025-04-01-preview",
        azure_endpoint="https://example-resource.openai.azure.com",
        http_client=http,
        max_retries=0,
        **options,
    )


def _server_error() -> Mock:
    return Mock.json({"error": {"message": "boom", "type": "server_error"}}, status=500)


def test_azure_model_map_is_used_before_the_response() -> None:
    """``model_map`` names the model before anything comes back: a call that fails still
    leaves an error record with the deployment's estimate; without the map there is none."""
    with capture_audit() as records:
        for model_map in ({"vision-prod": "gpt-4o"}, None):
            with pytest.raises(openai.InternalServerError):
                _azure(_server_error(), model_map=model_map).responses.create(
                    **responses_request(model="vision-prod")
                )
    assert [(r.status, r.estimated_input_tokens) for r in records] == [
        ("error", BILLED_INPUT),
        ("error", None),
    ]


@pytest.mark.anyio
async def test_azure_model_map_is_used_before_the_response_async() -> None:
    """Async twin of ``test_azure_model_map_is_used_before_the_response``."""
    with capture_audit() as records:
        for model_map in ({"vision-prod": "gpt-4o"}, None):
            client = _azure(_server_error(), AsyncVisionAzureOpenAI, model_map=model_map)
            with pytest.raises(openai.InternalServerError):
                await client.responses.create(**responses_request(model="vision-prod"))
    assert [(r.status, r.estimated_input_tokens) for r in records] == [
        ("error", BILLED_INPUT),
        ("error", None),
    ]


def test_azure_chat_with_model_map_reports_image_url_parts() -> None:
    """Azure Chat Completions with ``image_url`` parts and a deployment name: the mapped rule,
    the image, and the bill."""
    mock = Mock.ok()
    request = {**chat_request(), "model": "vision-prod"}
    completion = _azure(mock, model_map={"vision-prod": "gpt-4o"}).chat.completions.create(
        **request
    )
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.model_requested, report.rule) == (
        "chat.completions",
        "vision-prod",
        "gpt-4o",
    )
    assert (len(report.images), report.billed_input_tokens) == (1, 269)
    assert "/deployments/vision-prod/" in str(mock.sent[0].url)


@pytest.mark.anyio
async def test_azure_chat_with_model_map_reports_image_url_parts_async() -> None:
    """Async twin of ``test_azure_chat_with_model_map_reports_image_url_parts``."""
    mock = Mock.ok()
    client = _azure(mock, AsyncVisionAzureOpenAI, model_map={"vision-prod": "gpt-4o"})
    completion = await client.chat.completions.create(**{**chat_request(), "model": "vision-prod"})
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.rule, report.billed_input_tokens) == (
        "chat.completions",
        "gpt-4o",
        269,
    )


# --- streams -------------------------------------------------------------------------------


def test_stream_returns_the_sdk_stream_and_completes_the_report() -> None:
    """``create(stream=True)`` returns the SDK's Stream; the report is done at
    ``response.completed`` and found from the stream and from the completed response."""
    stream = sync_client(Mock.ok()).responses.create(**responses_request(), stream=True)
    assert type(stream) is openai.Stream
    events = list(stream)
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.stream, report.billed_input_tokens) == ("ok", True, BILLED_INPUT)
    assert vision_report(events[-1].response) == report


@pytest.mark.anyio
async def test_stream_returns_the_sdk_stream_and_completes_the_report_async() -> None:
    """Async twin: the SDK's AsyncStream, and a complete report."""
    stream = await async_client(Mock.ok()).responses.create(**responses_request(), stream=True)
    assert type(stream) is openai.AsyncStream
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)


def test_stream_helper_reports_once() -> None:
    """``responses.stream()`` goes through ``create(stream=True)``: one report, one audit
    record, found from ``get_final_response()``."""
    records: list[AuditRecord] = []
    client = sync_client(Mock.ok(), audit=[records.append])
    with client.responses.stream(**responses_request()) as stream:
        final = stream.get_final_response()
    report = vision_report(final)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert len(records) == 1


@pytest.mark.anyio
async def test_stream_helper_reports_once_async() -> None:
    """Async twin of ``test_stream_helper_reports_once``."""
    records: list[AuditRecord] = []
    client = async_client(Mock.ok(), audit=[records.append])
    async with client.responses.stream(**responses_request()) as stream:
        final = await stream.get_final_response()
    report = vision_report(final)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert len(records) == 1


def test_chat_stream_helper_reports_once() -> None:
    """``chat.completions.stream()`` goes through our ``create(stream=True)``: one report and
    one audit record, found from the SDK's final completion (which it rebuilds from chunks)."""
    records: list[AuditRecord] = []
    client = sync_client(Mock.ok(), audit=[records.append])
    with client.chat.completions.stream(
        **chat_request(), stream_options={"include_usage": True}
    ) as stream:
        final = stream.get_final_completion()
    report = vision_report(final)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )
    assert report.response_id == final.id
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", 269)]


@pytest.mark.anyio
async def test_chat_stream_helper_reports_once_async() -> None:
    """Async twin of ``test_chat_stream_helper_reports_once``."""
    records: list[AuditRecord] = []
    client = async_client(Mock.ok(), audit=[records.append])
    async with client.chat.completions.stream(
        **chat_request(), stream_options={"include_usage": True}
    ) as stream:
        final = await stream.get_final_completion()
    report = vision_report(final)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", 269)]


def _cut_stream() -> Mock:
    return Mock.sse(responses_sse(reply(), cut_after=5))


def test_stream_cut_midway_is_incomplete() -> None:
    """A stream that ends before ``response.completed`` gives an incomplete report with no
    billed numbers."""
    stream = sync_client(_cut_stream()).responses.create(**responses_request(), stream=True)
    assert len(list(stream)) == 5
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert report.estimated_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_stream_cut_midway_is_incomplete_async() -> None:
    """Async twin of ``test_stream_cut_midway_is_incomplete``."""
    client = async_client(_cut_stream())
    stream = await client.responses.create(**responses_request(), stream=True)
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


def test_stream_closed_early_is_incomplete() -> None:
    """Closing a stream after its first event leaves the report incomplete."""
    stream = sync_client(Mock.ok()).responses.create(**responses_request(), stream=True)
    with stream:
        next(iter(stream))
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


def test_stream_dropped_unread_leaves_one_incomplete_record() -> None:
    """A stream closed and dropped before its first event: one audit record, incomplete,
    nothing billed (written when the stream is garbage collected)."""
    records: list[AuditRecord] = []
    stream = sync_client(Mock.ok(), audit=[records.append]).responses.create(
        **responses_request(), stream=True
    )
    stream.close()
    assert records == []
    del stream
    gc.collect()
    assert [(r.status, r.billed_input_tokens, r.stream) for r in records] == [
        ("incomplete", None, True)
    ]


@pytest.mark.anyio
async def test_stream_dropped_unread_leaves_one_incomplete_record_async() -> None:
    """Async twin of ``test_stream_dropped_unread_leaves_one_incomplete_record``."""
    records: list[AuditRecord] = []
    stream = await async_client(Mock.ok(), audit=[records.append]).responses.create(
        **responses_request(), stream=True
    )
    await stream.close()
    del stream
    gc.collect()
    assert [(r.status, r.billed_input_tokens, r.stream) for r in records] == [
        ("incomplete", None, True)
    ]


def test_stream_read_to_its_end_is_recorded_once_even_after_collection() -> None:
    """A finished stream, once dropped, is not recorded a second time."""
    records: list[AuditRecord] = []
    stream = sync_client(Mock.ok(), audit=[records.append]).responses.create(
        **responses_request(), stream=True
    )
    list(stream)
    del stream
    gc.collect()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", BILLED_INPUT)]


def _failed_stream(*, usage: bool = False) -> Mock:
    """Two events, then ``response.failed`` (with or without a usage on the failed response)."""
    events = list(responses_sse(reply(), cut_after=2))
    failed = {
        **response_body(reply(), status="failed"),
        "error": {"code": "server_error", "message": "x"},
        "usage": reply().usage if usage else None,
    }
    event = {"type": "response.failed", "sequence_number": 2, "response": failed}
    events.append(f"event: response.failed\ndata: {json.dumps(event)}\n\n".encode())
    return Mock.sse(events)


def test_failed_stream_is_incomplete() -> None:
    """``response.failed`` ends the stream with an incomplete report."""
    stream = sync_client(_failed_stream()).responses.create(**responses_request(), stream=True)
    list(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert report.billed_input_tokens is None


@pytest.mark.anyio
async def test_failed_stream_is_incomplete_async() -> None:
    """Async twin of ``test_failed_stream_is_incomplete``."""
    stream = await async_client(_failed_stream()).responses.create(
        **responses_request(), stream=True
    )
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"


def test_failed_stream_with_a_usage_is_still_incomplete() -> None:
    """A ``response.failed`` that carries a usage is still marked incomplete, with a note that
    its billed numbers are not final (never reported as a completed bill)."""
    records: list[AuditRecord] = []
    client = sync_client(_failed_stream(usage=True), audit=[records.append])
    stream = client.responses.create(**responses_request(), stream=True)
    list(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert any("not final" in note for note in report.notes)
    assert [r.status for r in records] == ["incomplete"]


@pytest.mark.anyio
async def test_failed_stream_with_a_usage_is_still_incomplete_async() -> None:
    """Async twin of ``test_failed_stream_with_a_usage_is_still_incomplete``."""
    records: list[AuditRecord] = []
    client = async_client(_failed_stream(usage=True), audit=[records.append])
    stream = await client.responses.create(**responses_request(), stream=True)
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert any("not final" in note for note in report.notes)
    assert [r.status for r in records] == ["incomplete"]


def _broken_stream() -> Mock:
    def chunks() -> Any:
        yield from responses_sse(reply(), cut_after=3)
        raise httpx2.ReadError("connection reset")

    headers = {"content-type": "text/event-stream"}
    return Mock(lambda _: httpx2.Response(200, content=chunks(), headers=headers))


def test_stream_error_passes_through_and_is_incomplete() -> None:
    """A transport error mid-stream reaches the caller as the SDK's error; the report is
    incomplete."""
    stream = sync_client(_broken_stream()).responses.create(**responses_request(), stream=True)
    with pytest.raises(openai.APIConnectionError):
        list(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert any("APIConnectionError" in note for note in report.notes)


def test_chat_stream_without_usage_says_how_to_get_it() -> None:
    """A Chat stream without ``include_usage`` has no bill: incomplete, with the fix in notes."""
    stream = sync_client(Mock.ok()).chat.completions.create(**chat_request(), stream=True)
    list(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.billed_input_tokens is None
    assert any("include_usage" in note for note in report.notes)


def test_chat_stream_with_usage_is_complete() -> None:
    """With ``stream_options={"include_usage": True}`` the last chunk's usage is the bill."""
    stream = sync_client(Mock.ok()).chat.completions.create(
        **chat_request(), stream=True, stream_options={"include_usage": True}
    )
    list(stream)
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", 269)


# --- the SDK's objects are untouched -------------------------------------------------------


def test_responses_serialise_exactly_like_the_sdks() -> None:
    """model_dump(), model_dump_json(), copy and pickle are identical with and without us."""
    mock = Mock.json(response_body(reply()))
    plain = openai.OpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    theirs = plain.responses.create(**responses_request())
    ours = sync_client(mock).responses.create(**responses_request())
    assert vision_report(ours) is not None
    assert ours.model_dump() == theirs.model_dump()
    assert ours.model_dump_json() == theirs.model_dump_json()
    assert copy.deepcopy(ours).model_dump_json() == copy.deepcopy(theirs).model_dump_json()
    assert pickle.dumps(ours) == pickle.dumps(theirs)


# --- bookkeeping never breaks the call -----------------------------------------------------


BOOKKEEPING_STEPS = ["prepare", "finish", "billed_usage"]
"""Where an internal error is planted: before the request, after it, reading the bill."""


def _break(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bookkeeping bug")

    module = core_module if step == "billed_usage" else client_module
    monkeypatch.setattr(module, step, broken)


@pytest.mark.parametrize("step", BOOKKEEPING_STEPS)
def test_internal_error_logs_and_leaves_no_report(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    """If our bookkeeping fails (before or after the call), the call still returns the SDK's
    response; a warning is logged and the report is None."""
    _break(monkeypatch, step)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = sync_client(Mock.ok()).responses.create(**responses_request())
    assert response.usage is not None
    assert vision_report(response) is None
    assert "bookkeeping bug" in caplog.text


@pytest.mark.parametrize("step", BOOKKEEPING_STEPS)
@pytest.mark.anyio
async def test_internal_error_logs_and_leaves_no_report_async(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    """Async twin: the call succeeds, the report is None, a warning is logged."""
    _break(monkeypatch, step)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await async_client(Mock.ok()).responses.create(**responses_request())
    assert response.usage is not None
    assert vision_report(response) is None
    assert "bookkeeping bug" in caplog.text


def test_unknown_model_warns_and_estimates_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """No rule for the model (asked or served): a warning, estimates None, never a guess."""
    mock = Mock.json(response_body(reply(model="acme-vision-1")))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = sync_client(mock).responses.create(**responses_request(model="acme-vision-1"))
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens is None
    assert report.billed_image_tokens is None
    assert report.billed_input_tokens == BILLED_INPUT
    assert "acme-vision-1" in caplog.text


def test_logs_hold_no_image_bytes(caplog: pytest.LogCaptureFixture) -> None:
    """Warnings never carry the request body: no base64 of the image in the logs."""
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        sync_client(Mock.ok(), preflight="warn").responses.create(
            **responses_request(detail="ultra")
        )
    assert caplog.records
    assert IMAGE_URL.split(",")[1][:40] not in caplog.text


def test_audit_sinks_get_one_record_per_response() -> None:
    """``audit=`` sinks receive one record for each finished report."""
    records: list[AuditRecord] = []
    client = sync_client(Mock.ok(), audit=[records.append])
    client.responses.create(**responses_request())
    list(client.responses.create(**responses_request(), stream=True))
    assert [r.stream for r in records] == [False, True]


# --- async twins of the tests above --------------------------------------------------------


@pytest.mark.anyio
async def test_preflight_raise_covers_chat_image_url_parts_async() -> None:
    """Async twin: Chat ``image_url`` parts are checked, and nothing is sent."""
    mock = Mock.ok()
    bad = chat_request()
    bad["messages"][0]["content"][1]["image_url"]["url"] = "data:image/png;base64,bm90IGFuIGltYWdl"
    with pytest.raises(PreflightError):
        await async_client(mock).chat.completions.create(**bad)
    assert mock.sent == []


@pytest.mark.anyio
async def test_preflight_warn_sends_and_logs_async(caplog: pytest.LogCaptureFixture) -> None:
    """Async twin of ``test_preflight_warn_sends_and_logs``."""
    mock = Mock.ok()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await async_client(mock, preflight="warn").responses.create(
            **responses_request(detail="ultra")
        )
    assert len(mock.sent) == 1
    assert "preflight problem" in caplog.text
    report = vision_report(response)
    assert report is not None
    assert [v.code for v in report.violations] == ["invalid_detail"]


@pytest.mark.anyio
async def test_preflight_off_sends_without_violations_async() -> None:
    """Async twin of ``test_preflight_off_sends_without_violations``."""
    mock = Mock.ok()
    response = await async_client(mock, preflight="off").responses.create(
        **responses_request(detail="ultra")
    )
    report = vision_report(response)
    assert len(mock.sent) == 1
    assert report is not None
    assert report.violations == ()


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_are_the_plain_clients_errors_async(mock: Mock, error: str) -> None:
    """Async: the exception type and message equal the plain AsyncOpenAI's."""
    plain = openai.AsyncOpenAI(api_key="k", max_retries=0, http_client=mock.async_client())
    with pytest.raises(getattr(openai, error)) as theirs:
        await plain.responses.create(**responses_request())
    with pytest.raises(getattr(openai, error)) as ours:
        await async_client(mock).responses.create(**responses_request())
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.anyio
async def test_report_of_a_streaming_response_async() -> None:
    """Async ``with_streaming_response``: once the caller has parsed the body, the raw
    response's report holds the bill (and is the parsed response's report)."""
    client = async_client(Mock.ok())
    async with client.responses.with_streaming_response.create(**responses_request()) as raw:
        response = await raw.parse()
        report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)
    assert vision_report(response) == report


def test_streaming_response_not_yet_parsed_is_incomplete() -> None:
    """Before the body is parsed the report is incomplete, and asking for it never reads the
    body behind the caller's back (``iter_bytes`` still gets every byte)."""
    client = sync_client(Mock.ok())
    with client.responses.with_streaming_response.create(**responses_request()) as raw:
        report = vision_report(raw)
        body = b"".join(raw.iter_bytes())
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert json.loads(body)["usage"]["input_tokens"] == BILLED_INPUT


@pytest.mark.anyio
async def test_streaming_response_not_yet_parsed_is_incomplete_async() -> None:
    """Async twin of ``test_streaming_response_not_yet_parsed_is_incomplete``."""
    client = async_client(Mock.ok())
    async with client.responses.with_streaming_response.create(**responses_request()) as raw:
        report = vision_report(raw)
        body = b"".join([chunk async for chunk in raw.iter_bytes()])
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert json.loads(body)["usage"]["input_tokens"] == BILLED_INPUT


@pytest.mark.anyio
async def test_azure_model_map_picks_the_rule_async() -> None:
    """Async twin of ``test_azure_model_map_picks_the_rule``."""
    mock = Mock.ok()
    client = AsyncVisionAzureOpenAI(
        api_key="k",
        api_version="2025-04-01-preview",
        azure_endpoint="https://example-resource.openai.azure.com",
        http_client=mock.async_client(),
        max_retries=0,
        model_map={"vision-prod": "gpt-4o"},
    )
    response = await client.responses.create(**responses_request(model="vision-prod"))
    report = vision_report(response)
    assert report is not None
    assert (report.model_requested, report.rule) == ("vision-prod", "gpt-4o")
    assert json.loads(mock.sent[0].content)["model"] == "vision-prod"  # the request is unchanged


@pytest.mark.anyio
async def test_stream_closed_early_is_incomplete_async() -> None:
    """Async twin of ``test_stream_closed_early_is_incomplete``."""
    stream = await async_client(Mock.ok()).responses.create(**responses_request(), stream=True)
    async with stream:
        await stream.__anext__()
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


@pytest.mark.anyio
async def test_stream_error_passes_through_and_is_incomplete_async() -> None:
    """Async twin of ``test_stream_error_passes_through_and_is_incomplete``."""

    async def chunks() -> Any:
        for chunk in responses_sse(reply(), cut_after=3):
            yield chunk
        raise httpx2.ReadError("connection reset")

    headers = {"content-type": "text/event-stream"}
    mock = Mock(lambda _: httpx2.Response(200, content=chunks(), headers=headers))
    stream = await async_client(mock).responses.create(**responses_request(), stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for _ in stream:
            pass
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert report.billed_input_tokens is None


@pytest.mark.anyio
async def test_chat_stream_without_usage_says_how_to_get_it_async() -> None:
    """Async twin of ``test_chat_stream_without_usage_says_how_to_get_it``."""
    client = async_client(Mock.ok())
    stream = await client.chat.completions.create(**chat_request(), stream=True)
    assert type(stream) is openai.AsyncStream
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert report.billed_input_tokens is None
    assert any("include_usage" in note for note in report.notes)


@pytest.mark.anyio
async def test_chat_stream_with_usage_is_complete_async() -> None:
    """Async twin of ``test_chat_stream_with_usage_is_complete``."""
    stream = await async_client(Mock.ok()).chat.completions.create(
        **chat_request(), stream=True, stream_options={"include_usage": True}
    )
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", 269)


@pytest.mark.anyio
async def test_unknown_model_warns_and_estimates_nothing_async(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Async twin of ``test_unknown_model_warns_and_estimates_nothing``."""
    mock = Mock.json(response_body(reply(model="acme-vision-1")))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await async_client(mock).responses.create(
            **responses_request(model="acme-vision-1")
        )
    report = vision_report(response)
    assert report is not None
    assert (report.estimated_input_tokens, report.billed_image_tokens) == (None, None)
    assert report.billed_input_tokens == BILLED_INPUT
    assert "acme-vision-1" in caplog.text


@pytest.mark.anyio
async def test_logs_hold_no_image_bytes_async(caplog: pytest.LogCaptureFixture) -> None:
    """Async twin of ``test_logs_hold_no_image_bytes``."""
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        await async_client(Mock.ok(), preflight="warn").responses.create(
            **responses_request(detail="ultra")
        )
    assert caplog.records
    assert IMAGE_URL.split(",")[1][:40] not in caplog.text


@pytest.mark.anyio
async def test_audit_sinks_get_one_record_per_response_async() -> None:
    """Async twin of ``test_audit_sinks_get_one_record_per_response``."""
    records: list[AuditRecord] = []
    client = async_client(Mock.ok(), audit=[records.append])
    await client.responses.create(**responses_request())
    async for _ in await client.responses.create(**responses_request(), stream=True):
        pass
    assert [r.stream for r in records] == [False, True]


# --- terminal stream events ----------------------------------------------------------------


def _incomplete_stream() -> Mock:
    """Two events, then ``response.incomplete`` (max_output_tokens hit) carrying a usage."""
    events = list(responses_sse(reply(), cut_after=2))
    incomplete = {
        **response_body(reply(), status="incomplete"),
        "incomplete_details": {"reason": "max_output_tokens"},
        "usage": reply().usage,
    }
    event = {"type": "response.incomplete", "sequence_number": 2, "response": incomplete}
    events.append(f"event: response.incomplete\ndata: {json.dumps(event)}\n\n".encode())
    return Mock.sse(events)


def test_incomplete_event_marks_the_report_incomplete() -> None:
    """``response.incomplete`` ends the stream: the report is marked incomplete and says the
    billed numbers are not final."""
    stream = sync_client(_incomplete_stream()).responses.create(**responses_request(), stream=True)
    events = list(stream)
    report = vision_report(stream)
    assert events[-1].type == "response.incomplete"
    assert report is not None
    assert report.status == "incomplete"
    assert any("not final" in note for note in report.notes)


@pytest.mark.anyio
async def test_incomplete_event_marks_the_report_incomplete_async() -> None:
    """Async twin of ``test_incomplete_event_marks_the_report_incomplete``."""
    client = async_client(_incomplete_stream())
    stream = await client.responses.create(**responses_request(), stream=True)
    async for _ in stream:
        pass
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"


def test_stream_closed_early_from_the_helper_is_incomplete() -> None:
    """Leaving ``responses.stream()`` after one event: the SDK stream under the helper reports
    incomplete, and once dropped its one audit record has no billed number."""
    records: list[AuditRecord] = []
    client = sync_client(Mock.ok(), audit=[records.append])
    with client.responses.stream(**responses_request()) as stream:
        for _ in stream:
            break
    report = vision_report(stream._raw_stream)  # the SDK Stream our create() returned
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    del stream
    gc.collect()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]


@pytest.mark.anyio
async def test_stream_closed_early_from_the_helper_is_incomplete_async() -> None:
    """Async twin: the SDK AsyncStream under the helper reports incomplete, and no audit
    record carries a billed number."""
    records: list[AuditRecord] = []
    client = async_client(Mock.ok(), audit=[records.append])
    async with client.responses.stream(**responses_request()) as stream:
        async for _ in stream:
            break
    report = vision_report(stream._raw_stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert all(r.billed_input_tokens is None for r in records)


# --- the SDK's objects are untouched (every flavour, sync and async) -----------------------


def _parse_body() -> dict[str, Any]:
    body = response_body(reply())
    body["output"][0]["content"][0]["text"] = json.dumps({"caption": "a red square"})
    return body


FLAVOURS = {
    "response": (lambda c: c.responses.create(**responses_request()), response_body(reply())),
    "parsed": (
        lambda c: c.responses.parse(**responses_request(), text_format=Caption),
        _parse_body(),
    ),
    "chat": (lambda c: c.chat.completions.create(**chat_request()), chat_body(chat_reply())),
}


def _same_serialisation(ours: Any, theirs: Any) -> None:
    assert vision_report(ours) is not None
    assert ours.model_dump() == theirs.model_dump()
    assert ours.model_dump_json() == theirs.model_dump_json()
    assert copy.copy(ours).model_dump_json() == copy.copy(theirs).model_dump_json()
    assert copy.deepcopy(ours).model_dump_json() == copy.deepcopy(theirs).model_dump_json()
    assert pickle.dumps(ours) == pickle.dumps(theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_serialises_like_the_sdks(flavour: str) -> None:
    """Response, ParsedResponse and ChatCompletion: byte-identical dumps, copies and pickles."""
    call, body = FLAVOURS[flavour]
    mock = Mock.json(body)
    theirs = call(openai.OpenAI(api_key="k", max_retries=0, http_client=mock.sync_client()))
    _same_serialisation(call(sync_client(mock)), theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.anyio
async def test_every_flavour_serialises_like_the_sdks_async(flavour: str) -> None:
    """Async twin of ``test_every_flavour_serialises_like_the_sdks``."""
    call, body = FLAVOURS[flavour]
    mock = Mock.json(body)
    plain = openai.AsyncOpenAI(api_key="k", max_retries=0, http_client=mock.async_client())
    _same_serialisation(await call(async_client(mock)), await call(plain))


# --- exact_count -------------------------------------------------------------------------


def _count_mock(counted: int | None) -> Mock:
    """Answers creates like ``Mock.ok()``; answers ``input_tokens`` with ``counted`` (or 500)."""
    ok = Mock.ok()

    def handle(request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/responses/input_tokens"):
            return ok.handler(request)
        if counted is None:
            return httpx2.Response(500, json={"error": {"message": "down", "type": "server"}})
        return httpx2.Response(
            200, json={"object": "response.input_tokens", "input_tokens": counted}
        )

    return Mock(handle)


def _sent_count_request(mock: Mock) -> dict[str, Any]:
    (count,) = [r for r in mock.sent if r.url.path.endswith("/responses/input_tokens")]
    body: dict[str, Any] = json.loads(count.content)
    return body


def _check_counted(mock: Mock, report: Any, counted: int) -> None:
    body = _sent_count_request(mock)
    assert body["model"] == "gpt-4o"
    assert "stream" not in body
    assert [part["type"] for part in body["input"][0]["content"]] == ["input_text"]
    assert report.attribution == "input_tokens.count"
    assert report.billed_image_tokens == BILLED_INPUT - counted


def test_exact_count_counts_the_request_without_its_images() -> None:
    """``exact_count=True`` sends the request minus its images to ``input_tokens.count`` and
    attributes billed image tokens by that count; the report names the method."""
    mock = _count_mock(20)
    response = sync_client(mock, exact_count=True).responses.create(**responses_request())
    _check_counted(mock, vision_report(response), 20)


@pytest.mark.anyio
async def test_exact_count_counts_the_request_without_its_images_async() -> None:
    """Async twin of ``test_exact_count_counts_the_request_without_its_images``."""
    mock = _count_mock(20)
    client = async_client(mock, exact_count=True)
    _check_counted(mock, vision_report(await client.responses.create(**responses_request())), 20)


def test_exact_count_failure_falls_back_to_the_estimate(caplog: pytest.LogCaptureFixture) -> None:
    """A failing count never fails the call: a warning, and the report says it used the
    estimate and why."""
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = sync_client(_count_mock(None), exact_count=True).responses.create(
            **responses_request()
        )
    report = vision_report(response)
    assert report is not None
    assert report.attribution == "estimate"
    assert any("input_tokens.count failed" in note for note in report.notes)
    assert "input_tokens.count failed" in caplog.text


@pytest.mark.anyio
async def test_exact_count_failure_falls_back_to_the_estimate_async(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Async twin of ``test_exact_count_failure_falls_back_to_the_estimate``."""
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await async_client(_count_mock(None), exact_count=True).responses.create(
            **responses_request()
        )
    report = vision_report(response)
    assert report is not None
    assert report.attribution == "estimate"
    assert "input_tokens.count failed" in caplog.text


def test_exact_count_on_chat_says_it_used_the_estimate() -> None:
    """Chat Completions has no count endpoint: no extra request, and the report says so."""
    mock = _count_mock(20)
    completion = sync_client(mock, exact_count=True).chat.completions.create(**chat_request())
    report = vision_report(completion)
    assert len(mock.sent) == 1
    assert report is not None
    assert report.attribution == "estimate"
    assert any("Chat Completions has no input_tokens.count" in n for n in report.notes)


@pytest.mark.anyio
async def test_exact_count_on_chat_says_it_used_the_estimate_async() -> None:
    """Async twin of ``test_exact_count_on_chat_says_it_used_the_estimate``."""
    mock = _count_mock(20)
    client = async_client(mock, exact_count=True)
    completion = await client.chat.completions.create(**chat_request())
    report = vision_report(completion)
    assert len(mock.sent) == 1
    assert report is not None
    assert report.attribution == "estimate"
    assert any("Chat Completions has no input_tokens.count" in n for n in report.notes)


# --- bookkeeping failures inside a stream ----------------------------------------------------


def _break_the_tracker(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, event: object) -> bool:
        raise RuntimeError("tracker bug")

    monkeypatch.setattr(client_module.StreamTracker, "feed", broken)


def test_stream_bookkeeping_failure_keeps_the_stream(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If following a stream fails, every event still reaches the caller; one warning, the
    report is None and no audit record is written."""
    _break_the_tracker(monkeypatch)
    records: list[AuditRecord] = []
    client = sync_client(Mock.ok(), audit=[records.append])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        stream = client.responses.create(**responses_request(), stream=True)
        events = list(stream)
    assert events[-1].type == "response.completed"
    assert vision_report(stream) is None
    assert records == []
    assert caplog.text.count("tracker bug") == 1


@pytest.mark.anyio
async def test_stream_bookkeeping_failure_keeps_the_stream_async(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Async twin of ``test_stream_bookkeeping_failure_keeps_the_stream``."""
    _break_the_tracker(monkeypatch)
    records: list[AuditRecord] = []
    client = async_client(Mock.ok(), audit=[records.append])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        stream = await client.responses.create(**responses_request(), stream=True)
        events = [event async for event in stream]
    assert events[-1].type == "response.completed"
    assert vision_report(stream) is None
    assert records == []
    assert caplog.text.count("tracker bug") == 1


# --- more flavours: Chat parse, raw streams ------------------------------------------------


def _chat_parse_mock() -> Mock:
    body = chat_body(chat_reply())
    body["choices"][0]["message"]["content"] = json.dumps({"caption": "a red square"})
    return Mock.json(body)


def test_report_of_a_parsed_chat_completion() -> None:
    """``chat.completions.parse`` returns the SDK's ParsedChatCompletion, with a report."""
    completion = sync_client(_chat_parse_mock()).chat.completions.parse(
        **chat_request(), response_format=Caption
    )
    assert completion.choices[0].message.parsed == Caption(caption="a red square")
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.billed_input_tokens) == ("chat.completions", 269)


@pytest.mark.anyio
async def test_report_of_a_parsed_chat_completion_async() -> None:
    """Async twin of ``test_report_of_a_parsed_chat_completion``."""
    completion = await async_client(_chat_parse_mock()).chat.completions.parse(
        **chat_request(), response_format=Caption
    )
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.billed_input_tokens) == ("chat.completions", 269)


def test_report_of_a_raw_stream() -> None:
    """``with_raw_response.create(stream=True)``: the parsed Stream is followed; the raw
    response's report is complete once the stream is."""
    raw = sync_client(Mock.ok()).responses.with_raw_response.create(
        **responses_request(), stream=True
    )
    stream = raw.parse()
    assert type(stream) is openai.Stream
    list(stream)
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)


@pytest.mark.anyio
async def test_report_of_a_raw_stream_async() -> None:
    """Async twin of ``test_report_of_a_raw_stream``."""
    raw = await async_client(Mock.ok()).responses.with_raw_response.create(
        **responses_request(), stream=True
    )
    stream = raw.parse()
    assert type(stream) is openai.AsyncStream
    async for _ in stream:
        pass
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)


# --- with_streaming_response.create(stream=True): the SDK stream is followed ----------------


def _fixed_stream() -> Mock:
    """The same server-sent events for every request (so two clients can be compared)."""
    return Mock.sse(list(responses_sse(reply())))


def test_streaming_response_of_a_stream_is_followed() -> None:
    """``with_streaming_response.create(stream=True)``: ``raw.parse()`` is the SDK's Stream with
    the plain client's events; the report is completed on ``response.completed`` and found from
    the raw response, the stream and the final response; one audit record."""
    mock = _fixed_stream()
    plain = openai.OpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    with plain.responses.with_streaming_response.create(**responses_request(), stream=True) as r:
        theirs = [event.model_dump() for event in r.parse()]
    records: list[AuditRecord] = []
    client = sync_client(mock, audit=[records.append])
    with client.responses.with_streaming_response.create(**responses_request(), stream=True) as raw:
        before = vision_report(raw)
        stream = raw.parse()
        assert type(stream) is openai.Stream
        events = list(stream)
    report = vision_report(raw)
    assert before is not None
    assert (before.status, before.billed_input_tokens) == ("incomplete", None)
    assert [event.model_dump() for event in events] == theirs
    assert report is not None
    assert (report.status, report.stream, report.billed_input_tokens) == ("ok", True, BILLED_INPUT)
    assert report.request_id == "req_mock_1"
    assert vision_report(stream) == report
    assert vision_report(events[-1].response) == report
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", BILLED_INPUT)]


@pytest.mark.anyio
async def test_streaming_response_of_a_stream_is_followed_async() -> None:
    """Async twin of ``test_streaming_response_of_a_stream_is_followed``."""
    mock = _fixed_stream()
    plain = openai.AsyncOpenAI(api_key="k", max_retries=0, http_client=mock.async_client())
    async with plain.responses.with_streaming_response.create(
        **responses_request(), stream=True
    ) as r:
        theirs = [event.model_dump() async for event in await r.parse()]
    records: list[AuditRecord] = []
    client = async_client(mock, audit=[records.append])
    async with client.responses.with_streaming_response.create(
        **responses_request(), stream=True
    ) as raw:
        before = vision_report(raw)
        stream = await raw.parse()
        assert type(stream) is openai.AsyncStream
        events = [event async for event in stream]
    report = vision_report(raw)
    assert before is not None
    assert (before.status, before.billed_input_tokens) == ("incomplete", None)
    assert [event.model_dump() for event in events] == theirs
    assert report is not None
    assert (report.status, report.stream, report.billed_input_tokens) == ("ok", True, BILLED_INPUT)
    assert vision_report(stream) == report
    assert vision_report(events[-1].response) == report
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", BILLED_INPUT)]


def test_streaming_response_of_a_cut_stream_is_incomplete() -> None:
    """A ``with_streaming_response`` stream that ends before ``response.completed``: the report
    is incomplete with no billed number."""
    client = sync_client(_cut_stream())
    with client.responses.with_streaming_response.create(**responses_request(), stream=True) as raw:
        assert len(list(raw.parse())) == 5
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert report.estimated_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_streaming_response_of_a_cut_stream_is_incomplete_async() -> None:
    """Async twin of ``test_streaming_response_of_a_cut_stream_is_incomplete``."""
    client = async_client(_cut_stream())
    async with client.responses.with_streaming_response.create(
        **responses_request(), stream=True
    ) as raw:
        assert len([event async for event in await raw.parse()]) == 5
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


def test_streaming_response_of_a_failed_stream_is_incomplete() -> None:
    """``response.failed`` through ``with_streaming_response``: incomplete, nothing billed."""
    client = sync_client(_failed_stream())
    with client.responses.with_streaming_response.create(**responses_request(), stream=True) as raw:
        events = list(raw.parse())
    report = vision_report(raw)
    assert events[-1].type == "response.failed"
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


@pytest.mark.anyio
async def test_streaming_response_of_a_failed_stream_is_incomplete_async() -> None:
    """Async twin of ``test_streaming_response_of_a_failed_stream_is_incomplete``."""
    client = async_client(_failed_stream())
    async with client.responses.with_streaming_response.create(
        **responses_request(), stream=True
    ) as raw:
        events = [event async for event in await raw.parse()]
    report = vision_report(raw)
    assert events[-1].type == "response.failed"
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


def test_streaming_response_of_a_chat_stream_is_followed() -> None:
    """Chat Completions through ``with_streaming_response`` with ``include_usage``: the last
    chunk's usage is the bill."""
    client = sync_client(Mock.ok())
    with client.chat.completions.with_streaming_response.create(
        **chat_request(), stream=True, stream_options={"include_usage": True}
    ) as raw:
        list(raw.parse())
    report = vision_report(raw)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )


@pytest.mark.anyio
async def test_streaming_response_of_a_chat_stream_is_followed_async() -> None:
    """Async twin of ``test_streaming_response_of_a_chat_stream_is_followed``."""
    client = async_client(Mock.ok())
    async with client.chat.completions.with_streaming_response.create(
        **chat_request(), stream=True, stream_options={"include_usage": True}
    ) as raw:
        async for _ in await raw.parse():
            pass
    report = vision_report(raw)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )


def test_streaming_response_of_a_stream_read_as_bytes_is_incomplete() -> None:
    """A caller who reads the event stream's bytes instead of ``parse()`` gets every byte (we
    read nothing behind their back); the report stays incomplete, never a guessed bill."""
    sent = b"".join(responses_sse(reply()))
    records: list[AuditRecord] = []
    client = sync_client(Mock.sse([sent]), audit=[records.append])
    with client.responses.with_streaming_response.create(**responses_request(), stream=True) as raw:
        body = b"".join(raw.iter_bytes())
    report = vision_report(raw)
    assert body == sent
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    del raw
    gc.collect()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]


@pytest.mark.anyio
async def test_streaming_response_of_a_stream_read_as_bytes_is_incomplete_async() -> None:
    """Async twin of ``test_streaming_response_of_a_stream_read_as_bytes_is_incomplete``."""
    sent = b"".join(responses_sse(reply()))
    records: list[AuditRecord] = []
    client = async_client(Mock.sse([sent]), audit=[records.append])
    async with client.responses.with_streaming_response.create(
        **responses_request(), stream=True
    ) as raw:
        body = b"".join([chunk async for chunk in raw.iter_bytes()])
    report = vision_report(raw)
    assert body == sent
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    del raw
    gc.collect()
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]
