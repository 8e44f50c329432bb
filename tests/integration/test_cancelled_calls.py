"""An async call cancelled after its request was answered (billed) still leaves its record:
while the record waits for a worker thread (sinks may block, so records are written off the
event loop; anyio skips a thread job whose task was cancelled before a worker took it, so the
job then runs on the package's background thread, once), and while ``exact_count``'s
``input_tokens.count`` call is made (recorded uncounted). Shown with anyio's thread limiter
held to one busy token, or a count that never answers, never with sleeps; the cancellation
reaches the caller unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
import httpx2
import pytest
from _helpers import Side, wait_for
from _mock import Mock
from _private import client_module, get_encoding

from openai_vision_ext import AuditRecord
from openai_vision_ext.testing import capture_audit

_SECONDS = 10.0


@pytest.fixture
async def busy_threads() -> AsyncIterator[anyio.CapacityLimiter]:
    """anyio's worker-thread limiter down to one token, held by a job until the test ends."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    total, release = limiter.total_tokens, threading.Event()
    limiter.total_tokens = 1
    holder = asyncio.create_task(anyio.to_thread.run_sync(release.wait, _SECONDS))
    await _until(lambda: limiter.borrowed_tokens == 1)
    yield limiter
    release.set()
    await holder
    limiter.total_tokens = total


async def _until(condition: Any) -> None:
    """Let the loop run until ``condition()`` (bounded: a failing test must not hang)."""
    deadline = asyncio.get_running_loop().time() + _SECONDS
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.001)


async def _cancel_once(event: asyncio.Event, call: asyncio.Task[Any]) -> None:
    """Cancel ``call`` once ``event`` is set; the cancellation reaches the caller unchanged."""
    await asyncio.wait_for(event.wait(), _SECONDS)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


_ANSWERS = {
    "error": Mock.json({"error": {"message": "try later", "type": "server_error"}}, status=500),
    "response": Mock.ok(),
}


@pytest.mark.anyio
@pytest.mark.parametrize("answer", list(_ANSWERS))
async def test_a_call_cancelled_while_its_record_waits_for_a_thread_still_leaves_it(
    busy_threads: anyio.CapacityLimiter, answer: str
) -> None:
    get_encoding("o200k_base")  # built: this short request is prepared on the loop
    sent: list[object] = []
    handler = _ANSWERS[answer].handler
    mock = Mock(lambda request: sent.append(request) or handler(request))
    sunk: list[AuditRecord] = []  # an audit sink: the record is written in a thread
    client = Side("async").client(mock, audit=[sunk.append])
    with capture_audit() as records:
        call = asyncio.create_task(client.responses.create(model="gpt-4o", input="Hi"))
        await _until(lambda: busy_threads.statistics().tasks_waiting == 1)
        assert len(sent) == 1  # what waits for the thread is the record, not the request
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert wait_for(lambda: len(sunk) == 1)
    assert records == sunk  # in the caller's context
    expected = {"error": ("error", None), "response": ("ok", 269)}[answer]
    assert (sunk[0].status, sunk[0].billed_input_tokens) == expected


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [False, True])
async def test_a_call_cancelled_while_its_input_is_counted_still_leaves_its_record(
    raw: bool,
) -> None:
    """``exact_count``: the ``input_tokens.count`` call after the response is cancelled with
    the call; the billed response's record says it was not counted."""
    get_encoding("o200k_base")
    counting = asyncio.Event()
    answer = Mock.ok().handler

    async def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/input_tokens"):
            counting.set()
            await asyncio.Event().wait()  # the count never answers
        return answer(request)

    client = Side("async").client(Mock(handle), exact_count=True)
    with capture_audit() as records:
        async with contextlib.AsyncExitStack() as stack:
            if raw:  # counted when the caller parses the body (an async parse())
                create = client.responses.with_streaming_response.create
                response = await stack.enter_async_context(create(model="gpt-4o", input="Hi"))
                call = asyncio.create_task(response.parse())
            else:
                call = asyncio.create_task(client.responses.create(model="gpt-4o", input="Hi"))
            await _cancel_once(counting, call)
        assert wait_for(lambda: len(records) == 1)
    [record] = records
    assert (record.status, record.billed_input_tokens, record.counted_text_tokens) == (
        "ok",
        269,
        None,
    )
    assert record.notes[-1] == (
        "exact_count: not counted, the call was cancelled before it returned; "
        "attributed by estimate"
    )


@pytest.mark.anyio
async def test_an_error_of_ours_while_counting_is_not_called_a_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``exact_count``: when our own reading of the counts fails, the call returns normally and
    its one record says the count failed, never that the call was cancelled."""
    get_encoding("o200k_base")

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in our bookkeeping")

    monkeypatch.setattr(client_module, "read_counts", broken)
    answer = Mock.ok().handler

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/input_tokens"):
            return Mock.json({"object": "response.input_tokens", "input_tokens": 5}).handler(
                request
            )
        return answer(request)

    client = Side("async").client(Mock(handle), exact_count=True)
    with capture_audit() as records:
        response = await client.responses.create(model="gpt-4o", input="Hi")
        assert wait_for(lambda: len(records) == 1)
    assert response.usage.input_tokens == 269
    [record] = records
    assert (record.status, record.billed_input_tokens, record.counted_text_tokens) == (
        "ok",
        269,
        None,
    )
    assert record.notes[-1] == ("exact_count: not counted (RuntimeError); attributed by estimate")


@pytest.mark.anyio
async def test_a_call_cancelled_while_awaiting_its_response_leaves_an_incomplete_record() -> None:
    """The server has the request (it may bill it): cancelling the task while the answer is
    awaited still leaves a record, ``incomplete``, nothing billed known."""
    get_encoding("o200k_base")
    arrived = asyncio.Event()

    async def handle(request: httpx2.Request) -> httpx2.Response:
        arrived.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    client = Side("async").client(Mock(handle))
    with capture_audit() as records:
        call = asyncio.create_task(client.responses.create(model="gpt-4o", input="Hi"))
        await _cancel_once(arrived, call)
        assert wait_for(lambda: len(records) == 1)
    [record] = records
    assert (record.status, record.billed_input_tokens) == ("incomplete", None)
    assert record.estimated_input_tokens is not None
    assert "may have been sent" in record.notes[-1]


def test_a_sync_call_interrupted_while_awaiting_its_response_leaves_an_incomplete_record() -> None:
    """Ctrl-C (KeyboardInterrupt) during the HTTP call: re-raised unchanged, and recorded."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        raise KeyboardInterrupt

    client = Side("sync").client(Mock(handle))
    with capture_audit() as records:
        with pytest.raises(KeyboardInterrupt):
            client.responses.create(model="gpt-4o", input="Hi")
        assert wait_for(lambda: len(records) == 1)
    [record] = records
    assert (record.status, record.billed_input_tokens) == ("incomplete", None)
    assert "may have been sent" in record.notes[-1]
