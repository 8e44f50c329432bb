"""Async clients keep the event loop free: preflight's CPU work and a blocked audit sink run in
a worker thread, so other tasks keep running (loop lag measured with a ticking task)."""

from __future__ import annotations

import asyncio
import base64
import gc
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from openai_vision_ext import AsyncVisionOpenAI, JsonlSink
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
