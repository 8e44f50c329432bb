"""The first request through a sync client is sent while the tokenizer is still being built:
only a budget needs the estimate before sending (preflight needs no token count), so the
estimate is made when the response arrives, before the call returns, and it is the same
estimate. An async client waits for the build (off the event loop) before sending: awaiting
the estimate after the response would let a cancelled call lose the record of a billed
request. Ordering is shown with events (the stand-in tokenizer build finishes only once the
mock transport has the request), never with sleeps; the waits' timeouts only keep an old,
waiting client from hanging the suite."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from _helpers import Side
from _mock import Mock, responses_request
from _private import VisionOptions, estimated, prepare_request, text_module

from openai_vision_ext import Budget, TokenizerError, estimate_request, vision_report

_GATE_SECONDS = 10.0


class _SlowBuild:
    """Stands in for ``_text._build``: waits until ``release`` is set, then hands out the real
    encoding (built beforehand), or raises ``failure``. ``done`` is set once it returned."""

    def __init__(self, build: Callable[[str], Any], failure: Exception | None = None) -> None:
        self.build, self.failure = build, failure
        self.release, self.done = threading.Event(), threading.Event()

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


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True])
async def test_the_first_sync_request_is_sent_before_the_tokenizer_is_built(
    side: Side, slow_build: _SlowBuild, stream: bool
) -> None:
    seen: list[str] = []
    client = side.client(_releasing(slow_build, seen))
    if side.is_async:  # it waits for the build before sending: let the build finish
        slow_build.release.set()
    request = responses_request()
    response = await side.run(client.responses.create(**request, stream=stream))
    if stream:
        await side.drain(response)
    assert seen == ["sent, tokenizer built" if side.is_async else "sent, tokenizer building"]
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
    if side.is_async:  # it waits for the build before sending: let the build finish
        slow_build.release.set()
    response = await side.run(client.responses.create(**responses_request()))
    assert seen == ["sent, tokenizer built" if side.is_async else "sent, tokenizer building"]
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
async def test_a_later_edit_of_the_callers_request_does_not_reach_its_report(
    side: Side, slow_build: _SlowBuild
) -> None:
    """The deferred estimate is made before the call returns: a conversation list the caller
    extends right after the call (the usual chat loop) is not counted in the request sent."""
    seen: list[str] = []
    client = side.client(_releasing(slow_build, seen))
    if side.is_async:
        slow_build.release.set()
    history: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    response = await side.run(client.responses.create(model="gpt-4o", input=history))
    sent = estimate_request(model="gpt-4o", input=[{"role": "user", "content": "hello"}])
    history.append({"role": "assistant", "content": "word " * 2000})
    if text_module._warming is not None:  # the build is done: nothing left to make later
        text_module._warming.join(_GATE_SECONDS)
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens == sent.input_tokens
