"""Load: 1,000 concurrent async requests against a local server, audited to one JSONL file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from _helpers import data_url, png

from openai_vision_ext import AsyncVisionOpenAI, AuditPipeline, JsonlSink, read_jsonl, vision_report
from openai_vision_ext.testing import capture_audit, fake_openai_server

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
"""The fake server listens on the loopback only; every other host stays blocked."""

N_REQUESTS = 1_000


def png_data_url(width: int, height: int) -> str:
    return data_url(png((width, height), (200, 30, 30)))


def request(image_url: str) -> dict:
    content = [
        {"type": "input_text", "text": "What colour is this?"},
        {"type": "input_image", "image_url": image_url, "detail": "low"},
    ]
    return {"model": "gpt-4o-mini", "input": [{"role": "user", "content": content}]}


async def run_requests(base_url: str, pipeline: AuditPipeline, n: int) -> list:
    # A generous timeout (the SDK's connect timeout is 5 s): on a loaded 2-core machine 1,000
    # connections can wait that long in the fake server's backlog; the test is about records.
    client = AsyncVisionOpenAI(
        api_key="sk-test-not-a-real-key-000000",
        base_url=base_url,
        max_retries=0,
        timeout=120.0,
        audit=pipeline,
    )
    body = request(png_data_url(64, 48))
    try:
        return await asyncio.gather(*(client.responses.create(**body) for _ in range(n)))
    finally:
        await client.close()


@pytest.mark.anyio
async def test_a_thousand_concurrent_requests_write_a_thousand_whole_lines(tmp_path: Path):
    """Every request leaves exactly one JSONL line: none lost, duplicated or interleaved."""
    path = tmp_path / "audit.jsonl"
    async with fake_openai_server(input_tokens=2_864, output_tokens=3) as base_url:
        responses = await run_requests(base_url, AuditPipeline(sinks=[JsonlSink(path)]), N_REQUESTS)
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == N_REQUESTS
    assert {r["request_id"] for r in records} == {f"req_fake_{i}" for i in range(N_REQUESTS)}
    assert {r["response_id"] for r in records} == {resp.id for resp in responses}
    assert {(r["billed_input_tokens"], r["billed_output_tokens"]) for r in records} == {(2_864, 3)}


@pytest.mark.anyio
async def test_each_response_report_matches_its_audit_record(tmp_path: Path):
    """The record for a response carries the same estimate and billed numbers as its report."""
    path = tmp_path / "audit.jsonl"
    async with fake_openai_server(input_tokens=2_864) as base_url:
        responses = await run_requests(base_url, AuditPipeline(sinks=[JsonlSink(path)]), 50)
    by_id = {record.response_id: record for record in read_jsonl(path)}
    for response in responses:
        report = vision_report(response)
        assert report is not None
        record = by_id[response.id]
        assert (record.estimated_input_tokens, record.delta_input_tokens) == (
            report.estimated_input_tokens,
            report.delta_input_tokens,
        )
        assert record.images[0].sha256 == report.images[0].sha256


@pytest.mark.anyio
async def test_a_failing_sink_under_load_fails_no_request(tmp_path: Path):
    """With one sink raising on every record, all requests succeed and the good sink has all."""

    def broken(record: object) -> None:
        raise OSError("disk full")

    path = tmp_path / "audit.jsonl"
    pipeline = AuditPipeline(sinks=[broken, JsonlSink(path)])
    async with fake_openai_server() as base_url:
        responses = await run_requests(base_url, pipeline, 200)
    assert len(responses) == 200
    assert pipeline.failures == 200
    assert len(path.read_text().splitlines()) == 200


@pytest.mark.anyio
async def test_capture_audit_sees_every_concurrent_request():
    """capture_audit() around the gathered calls collects one record per request."""
    async with fake_openai_server() as base_url:
        with capture_audit() as records:
            await run_requests(base_url, AuditPipeline(), 200)
    assert len({r.request_id for r in records}) == 200
