"""Benchmark: ``openai-vision-ext estimate DIR --json`` on 10,000 small images vs a plain loop.

Baseline (same run, same files): ``for p in paths: PIL.Image.open(p).size``, which reads
headers only. Ours: the whole command path in-process (walk the directory, header reads, token
math, prices, JSON output) with ``--jobs 1`` (serial), ``--jobs 8`` (always a thread pool) and the
default (serial while reads are CPU-bound, a pool of 8 once a chunk of reads waits on the disk).

Each is timed twice over: with a warm page cache, and cold (the files' data pages evicted with
``posix_fadvise(DONTNEED)`` before every run; directory metadata stays cached). Best of 2-3 runs.

Also measures the start-up time of ``python -m openai_vision_ext --help`` (best of 5).

Targets (exit 1 if missed): 10,000 images estimated in under 10 s ("seconds"), warm and cold,
and ``--help`` in under 1 s.

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
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from openai_vision_ext._cli.commands import cli

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


def evict(paths: list[Path]) -> None:
    """Drop the files' data pages from the page cache (Linux; a no-op elsewhere)."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def best(run: Callable[[], float], paths: list[Path], *, cold: bool, repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        if cold:
            evict(paths)
        times.append(run())
    return min(times)


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
    variants: dict[str, tuple[str, ...]] = {
        "estimate --jobs 1 (serial)": ("--jobs", "1"),
        "estimate --jobs 8 (thread pool)": ("--jobs", "8"),
        "estimate (default: adaptive)": (),
    }
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_images(root, N_IMAGES)
        os.sync()
        print(f"generated {len(paths):,} images in {time.perf_counter() - t0:.1f} s")
        ours(root, N_IMAGES, "--jobs", "1")  # first call imports tokenizer tables: not timed
        for cache in ("warm", "cold"):
            cold = cache == "cold"
            row = results.setdefault("PIL.Image.open(p).size loop", {})
            row[cache] = best(lambda: baseline(paths), paths, cold=cold, repeat=3)
            for name, extra in variants.items():
                run = lambda extra=extra: ours(root, N_IMAGES, *extra)  # noqa: E731
                results.setdefault(name, {})[cache] = best(run, paths, cold=cold)
    help_s, bare_s = help_start_time(), python_start_time()
    base = results["PIL.Image.open(p).size loop"]
    print(f"{N_IMAGES:,} images, {os.cpu_count()} CPUs; seconds (ratio to the PIL loop)")
    print(f"{'':34} {'warm cache':>18} {'cold cache':>18}")
    for name, row in results.items():
        cells = [f"{row[c]:6.2f} s ({row[c] / base[c]:4.2f}x)" for c in ("warm", "cold")]
        print(f"{name:34} {cells[0]:>18} {cells[1]:>18}")
    print(f"python -m openai_vision_ext --help: {help_s:.3f} s (bare python: {bare_s:.3f} s)")
    default = results["estimate (default: adaptive)"]
    failed = [
        f"estimate took {default[c]:.2f} s for {N_IMAGES:,} images ({c} cache)"
        for c in ("warm", "cold")
        if default[c] > TARGET_SECONDS * N_IMAGES / 10_000
    ]
    if help_s > TARGET_HELP_SECONDS:
        failed.append(f"--help took {help_s:.2f} s")
    for line in failed:
        print(f"TARGET MISSED: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
