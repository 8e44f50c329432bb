"""Benchmark: building a base64 data URL is about as fast as ``base64.b64encode`` and needs
little more memory than the URL itself.

Input: a ~19.5 MB PNG of random pixels (under the 20 MB per-image limit), in memory and as a
file (warm page cache). Baseline, same run, same bytes: ``base64.b64encode(data)``.
Ours: ``build_data_url(data, mime)``, ``image_part(data)`` (which also inspects and checks the
image), ``image_part(path)`` and ``image_url_part(path)`` (which also read the file).

Throughput is bytes per second, best of several rounds; ratio = ours / baseline.
Peak memory is tracemalloc's peak during one call (the returned URL included, the input bytes
not, except for path sources, where reading the file is part of the call), divided by the
length of the base64 payload. Memory and time are measured in separate runs (tracemalloc
slows allocation).

Targets (issue 2; exit 1 if missed), for every variant:
- throughput >= 0.5x the baseline's;
- peak memory <= 2.5x the encoded size.

    python benchmarks/bench_data_url.py
"""

from __future__ import annotations

import base64
import gc
import math
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from openai_vision_ext._image.parts import build_data_url, image_part, image_url_part

TARGET_THROUGHPUT = 0.5
TARGET_PEAK = 2.5
ROUNDS = 9
SIZE = 19_500_000


def make_png(path: Path) -> bytes:
    """A noise PNG (stored almost uncompressed) of about SIZE bytes."""
    side = math.isqrt(SIZE // 3)
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        path, "PNG", compress_level=1
    )
    return path.read_bytes()


def best_seconds(fn: Callable[[], object]) -> float:
    """Best wall time of ROUNDS calls (GC off while timing, results freed between calls)."""
    times = []
    for _ in range(ROUNDS):
        gc.disable()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
        gc.enable()
    return min(times)


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak traced allocation during one call, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - before


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noise.png"
        data = make_png(path)
        encoded = len(base64.b64encode(data))
        variants: dict[str, Callable[[], object]] = {
            "build_data_url(bytes)": lambda: build_data_url(data, "image/png"),
            "image_part(bytes)": lambda: image_part(data),
            "image_part(path)": lambda: image_part(path),
            "image_url_part(path)": lambda: image_url_part(path),
        }
        url = image_part(path)["image_url"] or ""
        assert url.endswith(base64.b64encode(data).decode()), "the URL must encode the file"
        base = best_seconds(lambda: base64.b64encode(data))
        print(
            f"input {len(data) / 1e6:.2f} MB, base64 payload {encoded / 1e6:.2f} MB; "
            f"baseline base64.b64encode: {len(data) / base / 1e6:,.0f} MB/s"
        )
        print(f"{'variant':<24}{'MB/s':>8}{'vs b64encode':>14}{'peak MB':>9}{'peak/encoded':>14}")
        for name, fn in variants.items():
            seconds = best_seconds(fn)
            ratio = base / seconds
            peak = peak_bytes(fn) / encoded
            print(
                f"{name:<24}{len(data) / seconds / 1e6:8,.0f}{ratio:13.2f}x"
                f"{peak * encoded / 1e6:9.1f}{peak:13.2f}x"
            )
            if ratio < TARGET_THROUGHPUT:
                failures.append(f"{name}: {ratio:.2f}x of b64encode < {TARGET_THROUGHPUT}x")
            if peak > TARGET_PEAK:
                failures.append(f"{name}: peak {peak:.2f}x the encoded size > {TARGET_PEAK}x")
    print(
        f"targets: throughput >= {TARGET_THROUGHPUT}x base64.b64encode, "
        f"peak <= {TARGET_PEAK}x the encoded size"
    )
    for failure in failures:
        print("MISSED:", failure)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
