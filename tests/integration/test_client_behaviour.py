"""The drop-in clients behave exactly like the SDK's, plus preflight and a report beside each
response. Error paths go through ``httpx2.MockTransport`` (no sockets, no cassettes).

Behaviour tests take the ``side`` fixture: one body, run with the sync and the async client."""

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
from _helpers import Side, wait_for
from _mock import IMAGE, IMAGE_URL, Mock, chat_reply, chat_request, reply, responses_request
from _private import client_module, core_module
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
from openai_vision_ext.testing import capture_audit

BILLED_INPUT = reply().usage["input_tokens"]
LOGGER = "openai_vision_ext"


SYNC = Side("sync")
"""For the few tests that only the sync client has (garbage-collection timing, one-off checks)."""


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


@pytest.mark.anyio
async def test_copied_client_still_preflights_and_sends_nothing(side: Side) -> None:
    """A client from ``with_options()``/``copy()`` uses our resources: a bad request raises
    PreflightError and no HTTP request is made."""
    mock = Mock.ok()
    for copied in (side.client(mock).with_options(timeout=3), side.client(mock).copy()):
        with pytest.raises(PreflightError):
            await side.run(copied.responses.create(**responses_request(detail="ultra")))
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
    create/parse/stream are replaced on our resources (stream() is the SDK's over our create,
    its manager guarded so a billed failure inside the helper is recorded)."""
    mine = type(_resource(VisionOpenAI(api_key="k"), path))
    theirs = type(_resource(openai.OpenAI(api_key="k"), path))
    assert mine is not theirs
    assert issubclass(mine, theirs)
    assert getattr(mine, method) is not getattr(theirs, method)


# --- preflight -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_preflight_raise_sends_nothing(side: Side) -> None:
    """A bad request raises PreflightError and no HTTP request is made."""
    mock = Mock.ok()
    with pytest.raises(PreflightError) as caught:
        await side.run(side.client(mock).responses.create(**responses_request(detail="ultra")))
    assert [v.code for v in caught.value.violations] == ["invalid_detail"]
    assert mock.sent == []


@pytest.mark.anyio
async def test_preflight_raise_covers_chat_image_url_parts(side: Side) -> None:
    """Chat Completions ``image_url`` parts are checked too."""
    mock = Mock.ok()
    bad = chat_request()
    bad["messages"][0]["content"][1]["image_url"]["url"] = "data:image/png;base64,bm90IGFuIGltYWdl"
    with pytest.raises(PreflightError):
        await side.run(side.client(mock).chat.completions.create(**bad))
    assert mock.sent == []


@pytest.mark.anyio
async def test_preflight_warn_sends_and_logs(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    """``warn`` sends the request, logs one warning, and lists the problems in the report."""
    mock = Mock.ok()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await side.run(
            side.client(mock, preflight="warn").responses.create(
                **responses_request(detail="ultra")
            )
        )
    assert len(mock.sent) == 1
    assert "preflight problem" in caplog.text
    report = vision_report(response)
    assert report is not None
    assert [v.code for v in report.violations] == ["invalid_detail"]


@pytest.mark.anyio
async def test_preflight_off_sends_without_violations(side: Side) -> None:
    """``off`` sends a request preflight would refuse and reports no violations."""
    mock = Mock.ok()
    response = await side.run(
        side.client(mock, preflight="off").responses.create(**responses_request(detail="ultra"))
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
@pytest.mark.anyio
async def test_sdk_errors_pass_through(side: Side, mock: Mock, error: str) -> None:
    """429, 500 and timeouts raise the SDK's own exception, with the plain client's type and
    message."""
    with pytest.raises(getattr(openai, error)) as theirs:
        await side.run(side.plain(mock).responses.create(**responses_request()))
    with pytest.raises(getattr(openai, error)) as ours:
        await side.run(side.client(mock).responses.create(**responses_request()))
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_pass_through_chat(side: Side, mock: Mock, error: str) -> None:
    """Chat Completions: the same exception type and message as the plain client's."""
    with pytest.raises(getattr(openai, error)) as theirs:
        await side.run(side.plain(mock).chat.completions.create(**chat_request()))
    with pytest.raises(getattr(openai, error)) as ours:
        await side.run(side.client(mock).chat.completions.create(**chat_request()))
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("mock", "error"), ERRORS, ids=["429", "500", "timeout"])
@pytest.mark.anyio
async def test_sdk_errors_leave_one_error_audit_record(side: Side, mock: Mock, error: str) -> None:
    """A failed call is audited once, status ``error``, with the estimate and nothing billed."""
    with capture_audit() as records, pytest.raises(getattr(openai, error)):
        await side.run(side.client(mock).responses.create(**responses_request()))
    (record,) = records
    assert (record.status, record.billed_input_tokens) == ("error", None)
    assert record.estimated_input_tokens is not None
    assert error in " ".join(record.notes)


# --- reports on every response flavour -----------------------------------------------------


@pytest.mark.anyio
async def test_report_of_a_plain_response(side: Side) -> None:
    """``create`` returns the SDK's Response; the report holds the bill and request id."""
    response = await side.run(side.client(Mock.ok()).responses.create(**responses_request()))
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


class Caption(BaseModel):
    caption: str


def _parse_mock() -> Mock:
    body = response_body(reply())
    body["output"][0]["content"][0]["text"] = json.dumps({"caption": "a red square"})
    return Mock.json(body)


@pytest.mark.anyio
async def test_report_of_a_parsed_response(side: Side) -> None:
    """``parse`` returns a ParsedResponse (parsed as usual) with a report."""
    parsed = await side.run(
        side.client(_parse_mock()).responses.parse(**responses_request(), text_format=Caption)
    )
    assert parsed.output_parsed == Caption(caption="a red square")
    report = vision_report(parsed)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_report_of_a_raw_response(side: Side) -> None:
    """``with_raw_response.create`` reaches our code; the raw and parsed objects share a report.
    (``with_raw_response`` gives the SDK's legacy response on both sides: ``parse()`` is sync.)"""
    client = side.client(Mock.ok())
    raw = await side.run(client.responses.with_raw_response.create(**responses_request()))
    report = vision_report(raw)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(raw.parse()) == report
    assert raw.headers["x-request-id"] == "req_mock_1"


@pytest.mark.anyio
async def test_report_of_a_streaming_response(side: Side) -> None:
    """``with_streaming_response``: once the caller has parsed the body, the raw response's
    report holds the bill (and is the parsed response's report)."""
    client = side.client(Mock.ok())
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request())
    ) as raw:
        response = await side.run(raw.parse())
        report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)
    assert vision_report(response) == report


@pytest.mark.anyio
async def test_report_of_a_chat_completion(side: Side) -> None:
    """``chat.completions.create`` with ``image_url`` parts gets a report too."""
    completion = await side.run(side.client(Mock.ok()).chat.completions.create(**chat_request()))
    report = vision_report(completion)
    assert report is not None
    assert report.api == "chat.completions"
    assert report.billed_input_tokens == 269
    assert len(report.images) == 1


@pytest.mark.anyio
async def test_azure_model_map_picks_the_rule(side: Side) -> None:
    """On Azure, ``model_map`` turns the deployment name into a model for token rules; the
    request is sent unchanged."""
    mock = Mock.ok()
    client = side.azure(mock, model_map={"vision-prod": "gpt-4o"})
    response = await side.run(client.responses.create(**responses_request(model="vision-prod")))
    report = vision_report(response)
    assert report is not None
    assert (report.model_requested, report.rule) == ("vision-prod", "gpt-4o")
    assert json.loads(mock.sent[0].content)["model"] == "vision-prod"


def _server_error() -> Mock:
    return Mock.json({"error": {"message": "boom", "type": "server_error"}}, status=500)


@pytest.mark.anyio
async def test_azure_model_map_is_used_before_the_response(side: Side) -> None:
    """``model_map`` names the model before anything comes back: a call that fails still
    leaves an error record with the deployment's estimate; without the map there is none."""
    with capture_audit() as records:
        for model_map in ({"vision-prod": "gpt-4o"}, None):
            client = side.azure(_server_error(), model_map=model_map)
            with pytest.raises(openai.InternalServerError):
                await side.run(client.responses.create(**responses_request(model="vision-prod")))
    assert [(r.status, r.estimated_input_tokens) for r in records] == [
        ("error", BILLED_INPUT),
        ("error", None),
    ]


@pytest.mark.anyio
async def test_azure_chat_with_model_map_reports_image_url_parts(side: Side) -> None:
    """Azure Chat Completions with ``image_url`` parts and a deployment name: the mapped rule,
    the image, and the bill."""
    mock = Mock.ok()
    request = {**chat_request(), "model": "vision-prod"}
    client = side.azure(mock, model_map={"vision-prod": "gpt-4o"})
    completion = await side.run(client.chat.completions.create(**request))
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.model_requested, report.rule) == (
        "chat.completions",
        "vision-prod",
        "gpt-4o",
    )
    assert (len(report.images), report.billed_input_tokens) == (1, 269)
    assert "/deployments/vision-prod/" in str(mock.sent[0].url)


# --- streams -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_stream_returns_the_sdk_stream_and_completes_the_report(side: Side) -> None:
    """``create(stream=True)`` returns the SDK's Stream/AsyncStream; the report is done at
    ``response.completed`` and found from the stream and from the completed response."""
    client = side.client(Mock.ok())
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    assert type(stream) is side.stream_type
    events = await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.stream, report.billed_input_tokens) == ("ok", True, BILLED_INPUT)
    assert vision_report(events[-1].response) == report


@pytest.mark.anyio
async def test_stream_helper_reports_once(side: Side) -> None:
    """``responses.stream()`` goes through ``create(stream=True)``: one report, one audit
    record, found from ``get_final_response()``."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    async with side.enter(client.responses.stream(**responses_request())) as stream:
        final = await side.run(stream.get_final_response())
    report = vision_report(final)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert len(records) == 1


@pytest.mark.anyio
async def test_chat_stream_helper_reports_once(side: Side) -> None:
    """``chat.completions.stream()`` goes through our ``create(stream=True)``: one report and
    one audit record, found from the SDK's final completion (which it rebuilds from chunks)."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    async with side.enter(
        client.chat.completions.stream(**chat_request(), stream_options={"include_usage": True})
    ) as stream:
        final = await side.run(stream.get_final_completion())
    report = vision_report(final)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )
    assert report.response_id == final.id
    assert [(r.status, r.billed_input_tokens) for r in records] == [("ok", 269)]


def _cut_stream() -> Mock:
    return Mock.sse(responses_sse(reply(), cut_after=5))


@pytest.mark.anyio
async def test_stream_cut_midway_is_incomplete(side: Side) -> None:
    """A stream that ends before ``response.completed`` gives an incomplete report with no
    billed numbers."""
    client = side.client(_cut_stream())
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    assert len(await side.drain(stream)) == 5
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert report.estimated_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_stream_closed_early_is_incomplete(side: Side) -> None:
    """Closing a stream after its first event leaves the report incomplete."""
    client = side.client(Mock.ok())
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    async with side.enter(stream):
        await side.first(stream)
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


@pytest.mark.anyio
async def test_stream_dropped_unread_leaves_one_incomplete_record(side: Side) -> None:
    """A stream closed and dropped before its first event: one audit record, incomplete,
    nothing billed (written when the stream is garbage collected)."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    await side.run(stream.close())
    assert records == []
    del stream
    gc.collect()
    # The async side writes it from a background thread: the loop never waits for a sink.
    assert wait_for(lambda: bool(records))
    assert [(r.status, r.billed_input_tokens, r.stream) for r in records] == [
        ("incomplete", None, True)
    ]


@pytest.mark.anyio
async def test_stream_read_to_its_end_is_recorded_once_even_after_collection(side: Side) -> None:
    """A finished stream, once dropped, is not recorded a second time."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    await side.drain(stream)
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


@pytest.mark.anyio
async def test_failed_stream_is_incomplete(side: Side) -> None:
    """``response.failed`` ends the stream with an incomplete report."""
    client = side.client(_failed_stream())
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert report.billed_input_tokens is None


@pytest.mark.anyio
async def test_failed_stream_with_a_usage_is_still_incomplete(side: Side) -> None:
    """A ``response.failed`` that carries a usage is still marked incomplete, with a note that
    its billed numbers are not final (never reported as a completed bill)."""
    records: list[AuditRecord] = []
    client = side.client(_failed_stream(usage=True), audit=[records.append])
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert any("not final" in note for note in report.notes)
    assert [r.status for r in records] == ["incomplete"]


def _broken_stream(side: Side) -> Mock:
    """Three events, then a transport error (an async body for the async client)."""

    def chunks() -> Any:
        yield from responses_sse(reply(), cut_after=3)
        raise httpx2.ReadError("connection reset")

    async def async_chunks() -> Any:
        for chunk in responses_sse(reply(), cut_after=3):
            yield chunk
        raise httpx2.ReadError("connection reset")

    headers = {"content-type": "text/event-stream"}
    body = async_chunks if side.is_async else chunks
    return Mock(lambda _: httpx2.Response(200, content=body(), headers=headers))


@pytest.mark.anyio
async def test_stream_error_passes_through_and_is_incomplete(side: Side) -> None:
    """A transport error mid-stream reaches the caller as the SDK's error; the report is
    incomplete, with nothing billed."""
    client = side.client(_broken_stream(side))
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    with pytest.raises(openai.APIConnectionError):
        await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.status == "incomplete"
    assert report.billed_input_tokens is None
    assert any("APIConnectionError" in note for note in report.notes)


@pytest.mark.anyio
async def test_chat_stream_without_usage_says_how_to_get_it(side: Side) -> None:
    """A Chat stream without ``include_usage`` has no bill: incomplete, with the fix in notes."""
    client = side.client(Mock.ok())
    stream = await side.run(client.chat.completions.create(**chat_request(), stream=True))
    assert type(stream) is side.stream_type
    await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert report.billed_input_tokens is None
    assert any("include_usage" in note for note in report.notes)


@pytest.mark.anyio
async def test_chat_stream_with_usage_is_complete(side: Side) -> None:
    """With ``stream_options={"include_usage": True}`` the last chunk's usage is the bill."""
    stream = await side.run(
        side.client(Mock.ok()).chat.completions.create(
            **chat_request(), stream=True, stream_options={"include_usage": True}
        )
    )
    await side.drain(stream)
    report = vision_report(stream)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", 269)


# --- the SDK's objects are untouched -------------------------------------------------------


def test_responses_serialise_exactly_like_the_sdks() -> None:
    """model_dump(), model_dump_json(), copy and pickle are identical with and without us."""
    mock = Mock.json(response_body(reply()))
    theirs = SYNC.plain(mock).responses.create(**responses_request())
    ours = SYNC.client(mock).responses.create(**responses_request())
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
@pytest.mark.anyio
async def test_internal_error_logs_and_leaves_no_report(
    side: Side, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    """If our bookkeeping fails (before or after the call), the call still returns the SDK's
    response; a warning is logged and the report is None."""
    _break(monkeypatch, step)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await side.run(side.client(Mock.ok()).responses.create(**responses_request()))
    assert response.usage is not None
    assert vision_report(response) is None
    assert "bookkeeping bug" in caplog.text


@pytest.mark.anyio
async def test_unknown_model_warns_and_estimates_nothing(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    """No rule for the model (asked or served): a warning, estimates None, never a guess."""
    mock = Mock.json(response_body(reply(model="acme-vision-1")))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await side.run(
            side.client(mock).responses.create(**responses_request(model="acme-vision-1"))
        )
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens is None
    assert report.billed_image_tokens is None
    assert report.billed_input_tokens == BILLED_INPUT
    assert "acme-vision-1" in caplog.text


@pytest.mark.anyio
async def test_logs_hold_no_image_bytes(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    """Warnings never carry the request body: no base64 of the image in the logs."""
    client = side.client(Mock.ok(), preflight="warn")
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        await side.run(client.responses.create(**responses_request(detail="ultra")))
    assert caplog.records
    assert IMAGE_URL.split(",")[1][:40] not in caplog.text


@pytest.mark.anyio
async def test_audit_sinks_get_one_record_per_response(side: Side) -> None:
    """``audit=`` sinks receive one record for each finished report."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    await side.run(client.responses.create(**responses_request()))
    await side.drain(await side.run(client.responses.create(**responses_request(), stream=True)))
    assert [r.stream for r in records] == [False, True]


@pytest.mark.anyio
async def test_streaming_response_not_yet_parsed_is_incomplete(side: Side) -> None:
    """Before the body is parsed the report is incomplete, and asking for it never reads the
    body behind the caller's back (``iter_bytes`` still gets every byte)."""
    client = side.client(Mock.ok())
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request())
    ) as raw:
        report = vision_report(raw)
        body = b"".join(await side.drain(raw.iter_bytes()))
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert json.loads(body)["usage"]["input_tokens"] == BILLED_INPUT


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


@pytest.mark.anyio
async def test_incomplete_event_marks_the_report_incomplete(side: Side) -> None:
    """``response.incomplete`` ends the stream: the report is marked incomplete and says the
    billed numbers are not final."""
    client = side.client(_incomplete_stream())
    stream = await side.run(client.responses.create(**responses_request(), stream=True))
    events = await side.drain(stream)
    report = vision_report(stream)
    assert events[-1].type == "response.incomplete"
    assert report is not None
    assert report.status == "incomplete"
    assert any("not final" in note for note in report.notes)


@pytest.mark.anyio
async def test_stream_closed_early_from_the_helper_is_incomplete(side: Side) -> None:
    """Leaving ``responses.stream()`` after one event: the SDK stream under the helper reports
    incomplete, and once dropped its one audit record has no billed number."""
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    async with side.enter(client.responses.stream(**responses_request())) as stream:
        await side.first(stream)
    report = vision_report(stream._raw_stream)  # the SDK stream our create() returned
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    del stream
    gc.collect()
    assert wait_for(lambda: bool(records))  # async: written by a background thread
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]


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
@pytest.mark.anyio
async def test_every_flavour_serialises_like_the_sdks(side: Side, flavour: str) -> None:
    """Response, ParsedResponse and ChatCompletion: byte-identical dumps, copies and pickles."""
    call, body = FLAVOURS[flavour]
    mock = Mock.json(body)
    theirs = await side.run(call(side.plain(mock)))
    _same_serialisation(await side.run(call(side.client(mock))), theirs)


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


@pytest.mark.anyio
async def test_exact_count_counts_the_request_without_its_images(side: Side) -> None:
    """``exact_count=True`` sends the request minus its images to ``input_tokens.count`` and
    attributes billed image tokens by that count; the report names the method."""
    mock = _count_mock(20)
    client = side.client(mock, exact_count=True)
    response = await side.run(client.responses.create(**responses_request()))
    _check_counted(mock, vision_report(response), 20)


@pytest.mark.anyio
async def test_exact_count_failure_falls_back_to_the_estimate(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing count never fails the call: a warning, and the report says it used the
    estimate and why."""
    client = side.client(_count_mock(None), exact_count=True)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = await side.run(client.responses.create(**responses_request()))
    report = vision_report(response)
    assert report is not None
    assert report.attribution == "estimate"
    assert any("input_tokens.count failed" in note for note in report.notes)
    assert "input_tokens.count failed" in caplog.text


@pytest.mark.anyio
async def test_exact_count_on_chat_says_it_used_the_estimate(side: Side) -> None:
    """Chat Completions has no count endpoint: no extra request, and the report says so."""
    mock = _count_mock(20)
    client = side.client(mock, exact_count=True)
    completion = await side.run(client.chat.completions.create(**chat_request()))
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


@pytest.mark.anyio
async def test_stream_bookkeeping_failure_keeps_the_stream(
    side: Side, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If following a stream fails, every event still reaches the caller; one warning, the
    report is None and no audit record is written."""
    _break_the_tracker(monkeypatch)
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        stream = await side.run(client.responses.create(**responses_request(), stream=True))
        events = await side.drain(stream)
    assert events[-1].type == "response.completed"
    assert vision_report(stream) is None
    assert records == []
    assert caplog.text.count("tracker bug") == 1


# --- more flavours: Chat parse, raw streams ------------------------------------------------


def _chat_parse_mock() -> Mock:
    body = chat_body(chat_reply())
    body["choices"][0]["message"]["content"] = json.dumps({"caption": "a red square"})
    return Mock.json(body)


@pytest.mark.anyio
async def test_report_of_a_parsed_chat_completion(side: Side) -> None:
    """``chat.completions.parse`` returns the SDK's ParsedChatCompletion, with a report."""
    completion = await side.run(
        side.client(_chat_parse_mock()).chat.completions.parse(
            **chat_request(), response_format=Caption
        )
    )
    assert completion.choices[0].message.parsed == Caption(caption="a red square")
    report = vision_report(completion)
    assert report is not None
    assert (report.api, report.billed_input_tokens) == ("chat.completions", 269)


@pytest.mark.anyio
async def test_report_of_a_raw_stream(side: Side) -> None:
    """``with_raw_response.create(stream=True)``: the parsed Stream is followed; the raw
    response's report is complete once the stream is."""
    client = side.client(Mock.ok())
    raw = await side.run(
        client.responses.with_raw_response.create(**responses_request(), stream=True)
    )
    stream = raw.parse()  # the legacy raw response: parse() is sync on both sides
    assert type(stream) is side.stream_type
    await side.drain(stream)
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("ok", BILLED_INPUT)


# --- with_streaming_response.create(stream=True): the SDK stream is followed ----------------


def _fixed_stream() -> Mock:
    """The same server-sent events for every request (so two clients can be compared)."""
    return Mock.sse(list(responses_sse(reply())))


@pytest.mark.anyio
async def test_streaming_response_of_a_stream_is_followed(side: Side) -> None:
    """``with_streaming_response.create(stream=True)``: ``raw.parse()`` is the SDK's stream with
    the plain client's events; the report is completed on ``response.completed`` and found from
    the raw response, the stream and the final response; one audit record."""
    mock = _fixed_stream()
    plain = side.plain(mock).responses.with_streaming_response
    async with side.enter(plain.create(**responses_request(), stream=True)) as r:
        theirs = [event.model_dump() for event in await side.drain(await side.run(r.parse()))]
    records: list[AuditRecord] = []
    ours = side.client(mock, audit=[records.append]).responses.with_streaming_response
    async with side.enter(ours.create(**responses_request(), stream=True)) as raw:
        before = vision_report(raw)
        stream = await side.run(raw.parse())
        assert type(stream) is side.stream_type
        events = await side.drain(stream)
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
async def test_streaming_response_of_a_cut_stream_is_incomplete(side: Side) -> None:
    """A ``with_streaming_response`` stream that ends before ``response.completed``: the report
    is incomplete with no billed number."""
    client = side.client(_cut_stream())
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request(), stream=True)
    ) as raw:
        assert len(await side.drain(await side.run(raw.parse()))) == 5
    report = vision_report(raw)
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    assert report.estimated_input_tokens == BILLED_INPUT


@pytest.mark.anyio
async def test_streaming_response_of_a_failed_stream_is_incomplete(side: Side) -> None:
    """``response.failed`` through ``with_streaming_response``: incomplete, nothing billed."""
    client = side.client(_failed_stream())
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request(), stream=True)
    ) as raw:
        events = await side.drain(await side.run(raw.parse()))
    report = vision_report(raw)
    assert events[-1].type == "response.failed"
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)


@pytest.mark.anyio
async def test_streaming_response_of_a_chat_stream_is_followed(side: Side) -> None:
    """Chat Completions through ``with_streaming_response`` with ``include_usage``: the last
    chunk's usage is the bill."""
    client = side.client(Mock.ok())
    async with side.enter(
        client.chat.completions.with_streaming_response.create(
            **chat_request(), stream=True, stream_options={"include_usage": True}
        )
    ) as raw:
        await side.drain(await side.run(raw.parse()))
    report = vision_report(raw)
    assert report is not None
    assert (report.api, report.status, report.billed_input_tokens) == (
        "chat.completions",
        "ok",
        269,
    )


@pytest.mark.anyio
async def test_streaming_response_of_a_stream_read_as_bytes_is_incomplete(side: Side) -> None:
    """A caller who reads the event stream's bytes instead of ``parse()`` gets every byte (we
    read nothing behind their back); the report stays incomplete, never a guessed bill."""
    sent = b"".join(responses_sse(reply()))
    records: list[AuditRecord] = []
    client = side.client(Mock.sse([sent]), audit=[records.append])
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request(), stream=True)
    ) as raw:
        body = b"".join(await side.drain(raw.iter_bytes()))
    report = vision_report(raw)
    assert body == sent
    assert report is not None
    assert (report.status, report.billed_input_tokens) == ("incomplete", None)
    del raw
    gc.collect()
    assert wait_for(lambda: bool(records))  # async: written by a background thread
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]


@pytest.mark.anyio
async def test_a_stream_collected_under_a_held_executor_lock_does_not_deadlock(side: Side) -> None:
    """The record of a dropped async stream is made in a garbage-collection finalizer, which can
    run inside any code of any thread, including ``concurrent.futures`` while it holds its
    global (non-reentrant) lock, as the SDK's own ``to_thread`` does: the finalizer must hand
    the record over without taking that lock (this deadlocked the SDK's test suite)."""
    import concurrent.futures.thread as futures_thread
    import threading

    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    holder = [await side.run(client.responses.create(**responses_request(), stream=True))]

    def collect_while_holding_the_lock() -> None:
        with futures_thread._global_shutdown_lock:  # as ThreadPoolExecutor.submit holds it
            holder.clear()  # the last reference: the finalizer runs here, in this thread
            gc.collect()

    worker = threading.Thread(target=collect_while_holding_the_lock, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the dropped stream's finalizer deadlocked"
    assert wait_for(lambda: bool(records))
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]
