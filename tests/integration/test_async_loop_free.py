"""Async clients keep the event loop free: preflight's CPU work and a blocked audit sink run in
a worker thread, so other tasks keep running (loop lag measured with a ticking task)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import anyio.to_thread
import openai
import pydantic
import pytest
from _mock import Mock, chat_request, responses_request
from _private import (
    INLINE_MAX_CHARS,
    INLINE_MAX_NODES,
    get_encoding,
    prepares_inline,
    text_module,
)
from openai import AsyncOpenAI

from openai_vision_ext import (
    AsyncVisionOpenAI,
    AuditRecord,
    JsonlSink,
    VisionOptions,
    estimate_request,
    vision_report,
)
from openai_vision_ext.testing import fake_openai_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _crafted import gif_many_frames, png_bomb

pytestmark = [pytest.mark.anyio, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

MAX_LAG = 0.5
"""Seconds the loop may stall; the blocking work below takes several times that."""


async def _max_lag_while(work: asyncio.Future[object] | asyncio.Task[object]) -> float:
    """The longest the loop was unresponsive (a 10 ms ticker's delay) until ``work`` is done."""
    worst = 0.0
    while not work.done():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - start - 0.01)
    await work
    return worst


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def _lag_of(client: AsyncOpenAI, content: list[dict[str, str]]) -> tuple[float, float]:
    """The worst loop lag during one request, and the request's duration."""
    try:
        started = time.perf_counter()
        task = asyncio.ensure_future(
            client.responses.create(model="gpt-4o", input=[{"role": "user", "content": content}])
        )
        lag = await _max_lag_while(task)
        return lag, time.perf_counter() - started
    finally:
        await client.close()


async def test_preflight_of_large_images_runs_off_the_event_loop() -> None:
    """Twenty large images (crafted GIFs whose frame walk is CPU work, PNGs): the loop stalls
    no more than with the plain SDK (which serialises the body on the loop) plus MAX_LAG."""
    gif = _data_url(gif_many_frames(1_500_000), "image/gif")
    png = _data_url(png_bomb(3000, 3000), "image/png")
    content = [{"type": "input_image", "image_url": gif if i % 4 == 0 else png} for i in range(20)]
    async with fake_openai_server() as base_url:
        warm = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url, preflight="warn")
        await _lag_of(warm, content[1:2])  # first use loads the tokenizer and Pillow
        sdk_lag, _ = await _lag_of(AsyncOpenAI(api_key="sk-test", base_url=base_url), content)
        ours = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url, preflight="warn")
        lag, took = await _lag_of(ours, content)
    gc.collect()  # sockets the SDK left to the garbage collector: warn inside this test
    assert lag < sdk_lag + MAX_LAG, (
        f"the event loop stalled {lag:.2f}s (the plain SDK {sdk_lag:.2f}s; request {took:.2f}s)"
    )


_HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


async def test_a_jsonl_lock_held_by_another_process_does_not_stall_the_event_loop(
    tmp_path: Path,
) -> None:
    """Another process holding the audit file's lock delays the record, not the other tasks."""
    path = tmp_path / "audit.jsonl"
    path.touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        async with fake_openai_server() as base_url:
            sinks = [JsonlSink(path)]
            client = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url, audit=sinks)
            try:
                task = asyncio.ensure_future(client.responses.create(model="gpt-4o", input="hi"))
                lag = await _max_lag_while(task)
            finally:
                await client.close()
    finally:
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert lag < MAX_LAG, f"the event loop stalled {lag:.2f}s behind the file lock"
    assert path.read_text().count("\n") == 1


# --- records made after the call returns: streams, raw responses, errors -----------------------

SINK_BLOCKS = 1.0
"""Seconds the blocking sink below holds each record (twice MAX_LAG)."""


def _blocking_sink(records: list[AuditRecord]) -> Callable[[AuditRecord], None]:
    def sink(record: AuditRecord) -> None:
        time.sleep(SINK_BLOCKS)  # a network sink timing out, a file lock held elsewhere
        records.append(record)

    return sink


def _client(mock: Mock, records: list[AuditRecord], **options: Any) -> AsyncVisionOpenAI:
    return AsyncVisionOpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=mock.async_client(),
        audit=[_blocking_sink(records)],
        exact_count=False,
        **options,
    )


async def _read_to_end(client: AsyncVisionOpenAI) -> None:
    stream = await client.responses.create(**responses_request(), stream=True)
    async for _ in stream:
        pass


async def _close_early(client: AsyncVisionOpenAI) -> None:
    stream = await client.responses.create(**responses_request(), stream=True)
    async for _ in stream:
        break
    await stream.close()
    await asyncio.sleep(0.01)  # the SDK's wrapper generator is closed by the loop
    del stream
    # The dropped stream's record is made here, inside the measured call. Only the young
    # generations: a full collection of a large test session's heap stalls the loop itself.
    gc.collect(1)


async def _chat_stream(client: AsyncVisionOpenAI) -> None:
    stream = await client.chat.completions.create(**chat_request(), stream=True)
    async for _ in stream:
        pass


async def _raw_parse(client: AsyncVisionOpenAI) -> None:
    raw = await client.responses.with_raw_response.create(**responses_request())
    raw.parse()  # the legacy raw response parses synchronously, on the loop


async def _api_error(client: AsyncVisionOpenAI) -> None:
    with contextlib.suppress(openai.APIStatusError):
        await client.responses.create(**responses_request())


@pytest.mark.parametrize(
    ("how", "mock"),
    [
        (_read_to_end, Mock.ok),
        (_close_early, Mock.ok),
        (_chat_stream, Mock.ok),
        (_raw_parse, Mock.ok),
        (_api_error, lambda: Mock.json({"error": {"message": "boom"}}, status=400)),
    ],
    ids=["stream read to its end", "stream closed early", "chat stream", "raw parse", "error"],
)
async def test_a_blocking_sink_does_not_stall_the_loop_after_the_call(
    how: Callable[[AsyncVisionOpenAI], Coroutine[Any, Any, None]], mock: Callable[[], Mock]
) -> None:
    """A stream's conclusion (read to its end or closed early), a raw response parsed on the
    loop and an API error each write one record through a sink blocking for SINK_BLOCKS
    seconds: the loop stalls less than MAX_LAG, and the record is still written."""
    records: list[AuditRecord] = []
    client = _client(mock(), records)
    try:
        await how(client)  # warm-up: first use loads the tokenizer
        assert await _written(records, 1)
        gc.collect()
        lag = await _max_lag_while(asyncio.ensure_future(how(client)))
        assert await _written(records, 2)
    finally:
        await client.close()
    assert lag < MAX_LAG, f"the event loop stalled {lag:.2f}s behind a blocking sink"


async def _written(records: list[AuditRecord], n: int, timeout: float = 30.0) -> bool:
    """Wait (the loop running: a dropped stream is collected and closed) for ``n`` records."""
    deadline = time.monotonic() + timeout
    while len(records) < n:
        if time.monotonic() > deadline:
            return False
        gc.collect()
        await asyncio.sleep(0.01)
    return len(records) == n


def _prepared_in_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions async clients hand to a worker thread from now on."""
    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(func, "__name__", "?"))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return handed


async def test_short_text_requests_are_prepared_on_the_loop_and_others_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No image, no file, little text and the tokenizer built: preparing is shorter than the
    hop to a worker thread, so it runs on the loop; an image, a file or long text still go to
    the thread. The reports are the same either way."""
    get_encoding("o200k_base")
    handed = _prepared_in_threads(monkeypatch)
    image = {"type": "input_image", "image_url": "https://example.com/a.png"}
    pdf = {"type": "input_file", "file_id": "file-1"}
    requests = {
        "short": "Describe the photo.",
        "long": "word " * INLINE_MAX_CHARS,
        "image": [{"role": "user", "content": [image]}],
        "file": [{"role": "user", "content": [pdf]}],
    }
    threaded: dict[str, bool] = {}
    reports = {}
    async with fake_openai_server() as base_url:
        client = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url)
        for name, given in requests.items():
            handed.clear()
            response = await client.responses.create(model="gpt-4o", input=given)
            threaded[name] = "_safe_prepare" in handed
            reports[name] = vision_report(response)
        await client.close()
    assert threaded == {"short": False, "long": True, "image": True, "file": True}
    for name in ("short", "long"):
        report = reports[name]
        assert report is not None
        estimate = estimate_request(model="gpt-4o", input=requests[name])
        assert (report.estimated_input_tokens, report.rule) == (estimate.input_tokens, "gpt-4o")


def test_prepares_inline_only_for_bounded_work_that_waits_for_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = VisionOptions()
    get_encoding("o200k_base")

    def inline(request: dict[str, Any], api: Any = "responses") -> bool:
        return prepares_inline(api, request, options)

    text = {"type": "input_text", "text": "Hi"}
    assert inline({"model": "gpt-4o", "input": [{"role": "user", "content": [text]}]})
    assert inline({"model": "my-own-model", "input": "Hi"})  # nothing is counted
    assert not inline({"model": "gpt-4o", "input": "x" * (INLINE_MAX_CHARS + 1)})
    assert not inline({"model": "gpt-4o", "input": [text] * INLINE_MAX_NODES})
    assert not inline({"model": "gpt-4o", "instructions": "x" * (INLINE_MAX_CHARS + 1)})
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    assert not inline({"model": "gpt-4o", "messages": [{"content": [image]}]}, "chat.completions")
    assert not inline({"model": "gpt-4o", "tools": [{"type": "input_file", "file_id": "f"}]})
    looped: list[object] = []
    looped.append(looped)
    assert not inline({"model": "gpt-4o", "input": looped})  # the thread path reports it

    class Answer(pydantic.BaseModel):
        text: str

    assert not inline({"model": "gpt-4o", "input": "Hi", "text_format": Answer})
    monkeypatch.setattr(text_module, "_BUILT", {})  # as before the first count
    assert not inline({"model": "gpt-4o", "input": "Hi"})
