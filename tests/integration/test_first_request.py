"""The first request through a client is sent while the tokenizer is still being built: only a
budget needs the estimate before sending (preflight needs no token count), so the estimate is
made when the response arrives, before the call returns, and it is the same estimate. An
async client does so under asyncio, where a call cancelled while its estimate is being made
still leaves the record of its billed request; elsewhere it waits for the build. Ordering is
shown with events (the stand-in tokenizer build finishes only once the mock transport has the
request, or once a request's estimate waits for it), never with sleeps; the waits' timeouts
only keep a wrongly waiting client from hanging the suite."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio.to_thread
import httpx2
import openai
import pytest
import sniffio
from _helpers import Side, wait_for
from _mock import Mock, responses_request
from _private import VisionOptions, client_module, estimated, prepare_request, text_module

from openai_vision_ext import Budget, TokenizerError, estimate_request, vision_report
from openai_vision_ext.testing import capture_audit

_GATE_SECONDS = 10.0


class _SlowBuild:
    """Stands in for ``_text._build``: waits until ``release`` is set, then hands out the real
    encoding (built beforehand), or raises ``failure``. ``done`` is set once it returned;
    ``waited`` once another thread waits for the build (a request's estimate needing it)."""

    def __init__(self, build: Callable[[str], Any], failure: Exception | None = None) -> None:
        self.build, self.failure = build, failure
        self.release, self.done = threading.Event(), threading.Event()
        self.waited = threading.Event()
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        """Stands in for ``_text._BUILD_LOCK``, noting when a thread finds it taken."""
        if not self.lock.acquire(blocking=False):
            self.waited.set()
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def __call__(self, name: str) -> Any:
        self.release.wait(_GATE_SECONDS)
        try:
            if self.failure is not None:
                raise self.failure
            return self.build(name)
        finally:
            self.done.set()


@pytest.fixture
def slow_build(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[_SlowBuild]:
    """A tokenizer whose build is still running when the next client is made (that client
    starts a new warm-up); restored, and the warm-up thread ended, afterwards."""
    real = text_module._build
    real("o200k_base")  # the real build, once: the stand-in only delays handing it out
    slow = _SlowBuild(real, getattr(request, "param", None))
    monkeypatch.setattr(text_module, "_build", slow)
    monkeypatch.setattr(text_module, "_BUILD_LOCK", slow)
    monkeypatch.setattr(text_module, "_BUILT", {})  # nothing built yet: the stand-in builds it
    monkeypatch.setattr(text_module, "_warming", None)
    yield slow
    slow.release.set()
    thread = text_module._warming
    if thread is not None:
        thread.join(_GATE_SECONDS)


def _releasing(slow: _SlowBuild, seen: list[str]) -> Mock:
    """The mock server: notes whether the tokenizer was built when the request arrived, then
    lets the build finish and answers like ``Mock.ok()``."""
    answer = Mock.ok().handler

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append("sent, tokenizer built" if slow.done.is_set() else "sent, tokenizer building")
        slow.release.set()
        return answer(request)

    return Mock(handle)


def _release_when_waited(slow: _SlowBuild) -> threading.Thread:
    """Let the build finish once a request waits for it (a client that must wait)."""
    thread = threading.Thread(
        target=lambda: slow.waited.wait(_GATE_SECONDS) and slow.release.set(), daemon=True
    )
    thread.start()
    return thread


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True])
async def test_the_first_request_is_sent_before_the_tokenizer_is_built(
    side: Side, slow_build: _SlowBuild, stream: bool
) -> None:
    seen: list[str] = []
    client = side.client(_releasing(slow_build, seen))
    request = responses_request()
    response = await side.run(client.responses.create(**request, stream=stream))
    if stream:
        await side.drain(response)
    assert seen == ["sent, tokenizer building"]
    report = vision_report(response)
    expected = estimate_request(**request)
    assert report is not None
    assert report.billed_input_tokens == 269
    assert (report.estimated_input_tokens, report.estimated_text_tokens) == (
        expected.input_tokens,
        expected.text_tokens,
    )
    assert (report.estimated_input_lower, report.estimated_input_upper) == (
        expected.lower,
        expected.upper,
    )
    assert report.estimate_exact == expected.exact
    assert [im.tokens for im in report.images] == [im.tokens for im in expected.images]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "slow_build",
    [TokenizerError("tokenizer data is corrupt"), RuntimeError("a bug in our bookkeeping")],
    indirect=True,
)
async def test_a_deferred_estimate_that_fails_leaves_the_request_and_a_report(
    side: Side, slow_build: _SlowBuild
) -> None:
    """The response is the caller's; the report says why it has no estimate."""
    seen: list[str] = []
    client = side.client(_releasing(slow_build, seen))
    response = await side.run(client.responses.create(**responses_request()))
    assert seen == ["sent, tokenizer building"]
    assert response.usage.input_tokens == 269
    report = vision_report(response)
    assert report is not None
    assert report.billed_input_tokens == 269
    assert report.estimated_input_tokens is None
    expected = {
        "TokenizerError": "no estimate: tokenizer data is corrupt",
        "RuntimeError": "no estimate: RuntimeError: a bug in our bookkeeping",
    }[type(slow_build.failure).__name__]
    assert [n for n in report.notes if n.startswith("no estimate")] == [expected]


def test_a_budget_needs_the_estimate_before_sending() -> None:
    """Deferring is the caller's wish; a budget overrides it (its upper bound decides whether
    the request is sent), so that plan carries its estimate and nothing pending."""
    request = responses_request()
    free = prepare_request("responses", request, VisionOptions(), defer_estimate=True)
    capped = VisionOptions(budget=Budget(max_input_tokens=100_000))
    held = prepare_request("responses", request, capped, defer_estimate=True)
    assert (free.estimate, free.pending is not None) == (None, True)
    assert held.pending is None
    assert held.estimate == estimated(free).estimate == estimate_request(**request)


@pytest.mark.anyio
async def test_with_a_budget_the_first_request_waits_for_the_tokenizer(
    side: Side, slow_build: _SlowBuild
) -> None:
    seen: list[str] = []
    budget = Budget(max_input_tokens=100_000)
    client = side.client(_releasing(slow_build, seen), budget=budget)
    releaser = _release_when_waited(slow_build)
    request = responses_request()
    response = await side.run(client.responses.create(**request))
    releaser.join(_GATE_SECONDS)
    assert seen == ["sent, tokenizer built"]
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens == estimate_request(**request).input_tokens


@pytest.mark.anyio
async def test_a_later_edit_of_the_callers_request_does_not_reach_its_report(
    side: Side, slow_build: _SlowBuild
) -> None:
    """The deferred estimate is made before the call returns: a conversation list the caller
    extends right after the call (the usual chat loop) is not counted in the request sent."""
    seen: list[str] = []
    client = side.client(_releasing(slow_build, seen))
    history: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    response = await side.run(client.responses.create(model="gpt-4o", input=history))
    sent = estimate_request(model="gpt-4o", input=[{"role": "user", "content": "hello"}])
    history.append({"role": "assistant", "content": "word " * 2000})
    if text_module._warming is not None:  # the build is done: nothing left to make later
        text_module._warming.join(_GATE_SECONDS)
    assert seen == ["sent, tokenizer building"]
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens == sent.input_tokens


@pytest.mark.anyio
async def test_an_edit_of_the_callers_request_while_it_is_in_flight_does_not_reach_its_report(
    side: Side, slow_build: _SlowBuild
) -> None:
    """The deferred estimate counts the request as sent: other code (another task on the event
    loop, another thread) extending the conversation while the response is awaited is not
    counted (the plan holds a copy of the request's lists and dicts)."""
    history: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    answer = Mock.ok().handler

    def handle(request: httpx2.Request) -> httpx2.Response:
        history.append({"role": "assistant", "content": "word " * 2000})  # while in flight
        history[0]["content"] = "word " * 2000
        slow_build.release.set()
        return answer(request)

    client = side.client(Mock(handle))
    response = await side.run(client.responses.create(model="gpt-4o", input=history))
    sent = estimate_request(model="gpt-4o", input=[{"role": "user", "content": "hello"}])
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens == sent.input_tokens
    assert report.estimate_exact == sent.exact


@pytest.mark.anyio
async def test_an_api_error_while_the_tokenizer_is_built_is_recorded_with_the_estimate(
    side: Side, slow_build: _SlowBuild
) -> None:
    """The error's record makes the deferred estimate of the request that failed."""
    seen: list[str] = []
    refusal = Mock.json({"error": {"message": "try later", "type": "server_error"}}, status=500)

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append("sent, tokenizer built" if slow_build.done.is_set() else "sent, building")
        slow_build.release.set()
        return refusal.handler(request)

    client = side.client(Mock(handle))
    request = responses_request()
    with capture_audit() as records, pytest.raises(openai.InternalServerError):
        await side.run(client.responses.create(**request))
    assert seen == ["sent, building"]
    [record] = records
    assert (record.status, record.billed_input_tokens) == ("error", None)
    assert record.estimated_input_tokens == estimate_request(**request).input_tokens


class _Body(httpx2.AsyncByteStream):
    """A response body read as it streams, like a socket's: notes when it is closed."""

    def __init__(self, data: bytes) -> None:
        self.data, self.closed = data, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.anyio
@pytest.mark.parametrize("returns", ["response", "stream", "raw response"])
async def test_a_call_cancelled_while_its_estimate_is_made_still_leaves_its_record(
    slow_build: _SlowBuild, returns: str
) -> None:
    """The request was sent (and billed): cancelling the task while its deferred estimate
    waits for the tokenizer ends the call with ``CancelledError``, and the record is made
    when the estimate is, with the same estimate (a stream or raw response the caller never
    got: incomplete)."""
    seen: list[str] = []
    bodies: list[_Body] = []
    answer = Mock.ok().handler

    def handle(request: httpx2.Request) -> httpx2.Response:  # answers, build still going
        seen.append("sent, tokenizer built" if slow_build.done.is_set() else "sent, building")
        full = answer(request)
        bodies.append(_Body(full.content))
        return httpx2.Response(full.status_code, headers=full.headers, stream=bodies[-1])

    client = Side("async").client(Mock(handle))
    request = responses_request()
    with capture_audit() as records:
        create = client.responses.with_raw_response.create
        if returns != "raw response":
            create = client.responses.create
        stream = returns == "stream"
        call = asyncio.create_task(create(**request, stream=stream))
        assert await anyio.to_thread.run_sync(slow_build.waited.wait, _GATE_SECONDS)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert seen == ["sent, building"]
        assert records == []  # the estimate is still waiting for the tokenizer
        await asyncio.sleep(0)  # an unread body the caller never got is closed, on the loop
        assert [b.closed for b in bodies] == [True]
        slow_build.release.set()
        assert wait_for(lambda: len(records) == 1)
    [record] = records
    expected = estimate_request(**request)
    assert (record.estimated_input_tokens, record.estimate_exact) == (
        expected.input_tokens,
        expected.exact,
    )
    assert record.request_id == "req_mock_1"
    if returns != "response":
        assert (record.status, record.billed_input_tokens) == ("incomplete", None)
        assert record.notes[-1] == (
            f"the call was cancelled before it returned its {returns}: billed numbers unknown"
        )
    else:
        assert (record.status, record.billed_input_tokens) == ("ok", 269)


def test_only_an_asyncio_call_defers_its_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere (trio; no event loop) an async client waits for the build before sending:
    a cancelled call could not complete its record there."""
    monkeypatch.setattr(client_module, "_tokenizer_warming", lambda: True)

    async def under_asyncio(library: str | None) -> bool:
        if library is not None:
            sniffio.current_async_library_cvar.set(library)
        return bool(client_module._defers_async())

    assert asyncio.run(under_asyncio(None)) is True
    assert asyncio.run(under_asyncio("trio")) is False
    assert client_module._defers_async() is False  # no event loop
    monkeypatch.setattr(client_module, "_tokenizer_warming", lambda: False)
    assert asyncio.run(under_asyncio(None)) is False
