"""Audit throughput: JsonlSink records/s against a naive buffered writer, and the cost of auditing
1,000 concurrent async requests against a local fake server.

Run: ``python benchmarks/bench_audit.py``. Prints ratios against baselines measured in the same
run; exits 1 if a target is missed or any record is lost or broken.

Targets:
- JsonlSink (open + flock + one O_APPEND write + close per record) keeps >= 10% of the speed of a
  naive buffered ``f.write`` (which is neither line-atomic across processes nor rotation-safe),
  and >= 5,000 records/s in one thread.
- 4 processes writing one file together: every line whole, none lost.
- 1,000 concurrent async requests with a JsonlSink: 1,000 records, and auditing costs at most
  25% of the request throughput measured without it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from openai_vision_ext._audit import AuditPipeline
from openai_vision_ext._client import AsyncVisionOpenAI
from openai_vision_ext._sinks import JsonlSink, read_jsonl
from openai_vision_ext.testing import fake_openai_server, make_record

N_RECORDS = 20_000
N_PROCESSES = 4
N_REQUESTS = 1_000
ROUNDS = 3


def best_of(rounds: int, run) -> float:
    """Fastest of ``rounds`` timings of ``run()``, in seconds."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def bench_single_thread(tmp: Path) -> tuple[float, float]:
    records = [make_record(request_id=f"req_{i}") for i in range(N_RECORDS)]

    def naive() -> None:
        with open(tmp / "naive.jsonl", "w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record.to_dict()) + "\n")

    def sink() -> None:
        (tmp / "sink.jsonl").unlink(missing_ok=True)
        jsonl = JsonlSink(tmp / "sink.jsonl")
        for record in records:
            jsonl.emit(record)

    return N_RECORDS / best_of(ROUNDS, naive), N_RECORDS / best_of(ROUNDS, sink)


def _write(path: str, worker: int, count: int) -> None:
    sink = JsonlSink(path)
    for i in range(count):
        sink.emit(make_record(request_id=f"p{worker}-{i}"))


def bench_processes(tmp: Path) -> tuple[float, bool]:
    path = tmp / "procs.jsonl"
    per_process = N_RECORDS // N_PROCESSES
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(str(path), w, per_process)) for w in range(4)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    ids = [r.request_id for r in read_jsonl(path)]
    expected = {f"p{w}-{i}" for w in range(N_PROCESSES) for i in range(per_process)}
    intact = len(ids) == len(expected) and set(ids) == expected
    return len(ids) / elapsed, intact


def data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def requests_per_second(pipeline: AuditPipeline | None) -> float:
    body = {
        "model": "gpt-4o-mini",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What colour is this?"},
                    {"type": "input_image", "image_url": data_url(), "detail": "auto"},
                ],
            }
        ],
    }
    async with fake_openai_server() as base_url:
        client = AsyncVisionOpenAI(
            api_key="sk-test", base_url=base_url, max_retries=0, audit=pipeline
        )
        try:
            await client.responses.create(**body)  # warm the connection and caches
            start = time.perf_counter()
            await asyncio.gather(*(client.responses.create(**body) for _ in range(N_REQUESTS)))
            return N_REQUESTS / (time.perf_counter() - start)
        finally:
            await client.close()


def bench_requests(tmp: Path) -> tuple[float, float, bool]:
    plain, audited, lines_ok = 0.0, 0.0, True
    for i in range(ROUNDS):
        plain = max(plain, asyncio.run(requests_per_second(None)))
        path = tmp / f"requests-{i}.jsonl"
        audited = max(
            audited, asyncio.run(requests_per_second(AuditPipeline([], [JsonlSink(path)])))
        )
        lines = path.read_bytes().split(b"\n")
        parsed = [json.loads(line) for line in lines[:-1]]
        lines_ok &= lines[-1] == b"" and len({r["request_id"] for r in parsed}) == N_REQUESTS + 1
    return plain, audited, lines_ok


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        naive, sink = bench_single_thread(tmp)
        print(f"one thread, {N_RECORDS:,} records:")
        print(f"  naive buffered writer   {naive:>10,.0f} records/s  (baseline)")
        print(f"  JsonlSink               {sink:>10,.0f} records/s  ratio {sink / naive:.2f}")
        if sink / naive < 0.10 or sink < 5_000:
            failures.append("JsonlSink below 10% of the naive writer or 5,000 records/s")

        procs, intact = bench_processes(tmp)
        print(f"{N_PROCESSES} processes, one file:  {procs:>10,.0f} records/s  (incl. spawn)")
        print(f"  every line whole, none lost: {intact}")
        if not intact:
            failures.append("records lost or broken across processes")

        plain, audited, lines_ok = bench_requests(tmp)
        print(f"{N_REQUESTS:,} concurrent async requests (local fake server):")
        print(f"  no audit                {plain:>10,.0f} requests/s  (baseline)")
        print(
            f"  JsonlSink audit         {audited:>10,.0f} requests/s  ratio {audited / plain:.2f}"
            f"  (= {audited:,.0f} records/s)"
        )
        print(f"  {N_REQUESTS:,} + 1 records, whole and unique: {lines_ok}")
        if not lines_ok:
            failures.append("records lost or broken under concurrent requests")
        if audited / plain < 0.75:
            failures.append("auditing costs more than 25% of request throughput")

    for failure in failures:
        print(f"TARGET MISSED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
