"""Benchmark: ``openai-vision-ext estimate DIR --json`` on 10,000 small images vs a plain loop.

Baseline (same run, same files, warm cache): ``for p in paths: PIL.Image.open(p).size``, which
reads headers only. Ours: the whole command path in-process (walk the directory, header reads on
a thread pool, token math, prices, JSON output), with 1 reader and with the default pool.

Also measures the start-up time of ``python -m openai_vision_ext --help`` (best of 5).

Targets (exit 1 if missed): 10,000 images estimated in under 10 s ("seconds"), and ``--help``
in under 1 s.

    python benchmarks/bench_cli_estimate.py [N_IMAGES]
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from openai_vision_ext._cli import cli

N_IMAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
N_TEMPLATES = 200
TARGET_SECONDS = 10.0
TARGET_HELP_SECONDS = 1.0


def make_images(root: Path, n: int) -> list[Path]:
    """``n`` files, PNG and JPEG alternating, cycling through ``N_TEMPLATES`` distinct sizes."""
    templates: list[tuple[str, bytes]] = []
    for i in range(N_TEMPLATES):
        fmt, ext = ("PNG", "png") if i % 2 == 0 else ("JPEG", "jpg")
        size = (16 + (i * 37) % 1500, 16 + (i * 53) % 1100)
        buf = io.BytesIO()
        Image.new("RGB", size, (i % 256, 80, 160)).save(buf, fmt)
        templates.append((ext, buf.getvalue()))
    paths = []
    for i in range(n):
        ext, data = templates[i % N_TEMPLATES]
        sub = root / f"d{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        path = sub / f"img{i:05d}.{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def baseline(paths: list[Path]) -> float:
    start = time.perf_counter()
    sizes = []
    for p in paths:
        with Image.open(p) as img:
            sizes.append(img.size)
    elapsed = time.perf_counter() - start
    assert len(sizes) == len(paths)
    return elapsed


def ours(root: Path, n: int, *extra: str) -> float:
    runner = CliRunner()
    args = ["estimate", str(root), "--model", "gpt-4o", "--detail", "high", "--json", *extra]
    start = time.perf_counter()
    result = runner.invoke(cli, args)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output[-500:]
    report = json.loads(result.stdout)
    assert report["totals"]["images"] == n, report["totals"]
    return elapsed


def help_start_time() -> float:
    cmd = [sys.executable, "-m", "openai_vision_ext", "--help"]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ})
        best = min(best, time.perf_counter() - start)
    return best


def python_start_time() -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_images(root, N_IMAGES)
        print(f"generated {len(paths):,} images in {time.perf_counter() - t0:.1f} s")
        baseline(paths)  # warm the page cache for both contenders
        base = min(baseline(paths) for _ in range(3))
        serial = min(ours(root, N_IMAGES, "--jobs", "1") for _ in range(2))
        pooled = min(ours(root, N_IMAGES) for _ in range(2))
    help_s, bare_s = help_start_time(), python_start_time()
    print(f"baseline PIL.Image.open(p).size loop : {base:6.2f} s")
    print(f"estimate --json, 1 reader           : {serial:6.2f} s  ({serial / base:.2f}x baseline)")
    print(f"estimate --json, default pool       : {pooled:6.2f} s  ({pooled / base:.2f}x baseline)")
    per_image_us = pooled / N_IMAGES * 1e6
    print(f"per image                           : {per_image_us:6.0f} us")
    print(f"python -m openai_vision_ext --help  : {help_s:6.3f} s  (bare python: {bare_s:.3f} s)")
    failed = []
    if pooled > TARGET_SECONDS * N_IMAGES / 10_000:
        failed.append(f"estimate took {pooled:.2f} s for {N_IMAGES:,} images")
    if help_s > TARGET_HELP_SECONDS:
        failed.append(f"--help took {help_s:.2f} s")
    for line in failed:
        print(f"TARGET MISSED: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
