"""Benchmark: ``inspect_image(path)`` reads headers only, so its cost does not grow with file size.

Files (made in a temp dir, noise so they do not compress): ~1 MB and ~20 MB JPEG and PNG.
Baseline (same run, warm page cache): open the file, read its first 64 KiB, close it.
Ours: ``inspect_image(path)``; and ``inspect_image`` + ``estimate_image_tokens`` (gpt-4o, high).
Each is timed as the best of several rounds of many calls.

Targets (exit 1 if missed):
- ``inspect_image`` within 2x of the baseline on every file;
- ``inspect_image`` on the 20 MB file within 1.5x of the 1 MB file of the same format.

    python benchmarks/bench_inspect.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from openai_vision_ext._images import inspect_image

TARGET_VS_BASELINE = 2.0
TARGET_20MB_VS_1MB = 1.5
NUMBER = 2000
ROUNDS = 7

# Noise-image sides that land near 1 MB / 20 MB (JPEG q95 ~ 3.3 B/px, PNG ~ 3 B/px).
SIDES = {("jpeg", "1MB"): 560, ("jpeg", "20MB"): 2480, ("png", "1MB"): 580, ("png", "20MB"): 2590}


def make_files(root: Path) -> dict[tuple[str, str], Path]:
    files = {}
    for (fmt, label), side in SIDES.items():
        noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        path = root / f"noise_{label}.{fmt}"
        options = {"quality": 95} if fmt == "jpeg" else {"compress_level": 1}
        noise.save(path, fmt.upper(), **options)
        files[fmt, label] = path
    return files


def best_per_call(fn: Callable[[], object]) -> float:
    """Seconds per call: the best of ROUNDS rounds of NUMBER calls."""
    return min(timeit.repeat(fn, number=NUMBER, repeat=ROUNDS)) / NUMBER


def baseline(path: Path) -> Callable[[], object]:
    def read_head() -> bytes:
        with open(path, "rb") as stream:
            return stream.read(65536)

    return read_head


def with_estimate(path: Path) -> Callable[[], object] | None:
    try:
        from openai_vision_ext._estimate import estimate_image_tokens

        info = inspect_image(path)
        estimate_image_tokens(info.width, info.height, model="gpt-4o", detail="high")
    except NotImplementedError:
        return None

    def run() -> int:
        info = inspect_image(path)
        return estimate_image_tokens(info.width, info.height, model="gpt-4o", detail="high")

    return run


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp))
        ours: dict[tuple[str, str], float] = {}
        print(
            f"{'file':<18}{'MB':>7}{'baseline us':>13}{'inspect us':>12}{'ratio':>7}"
            f"{'+estimate us':>14}"
        )
        for key, path in files.items():
            size_mb = path.stat().st_size / 1e6
            base = best_per_call(baseline(path))
            ours[key] = best_per_call(lambda p=path: inspect_image(p))
            full = with_estimate(path)
            full_us = f"{best_per_call(full) * 1e6:14.1f}" if full else "   (not impl.)"
            ratio = ours[key] / base
            print(
                f"{path.name:<18}{size_mb:7.2f}{base * 1e6:13.1f}{ours[key] * 1e6:12.1f}"
                f"{ratio:7.2f}{full_us}"
            )
            if ratio > TARGET_VS_BASELINE:
                failures.append(f"{path.name}: {ratio:.2f}x baseline > {TARGET_VS_BASELINE}x")
        for fmt in ("jpeg", "png"):
            growth = ours[fmt, "20MB"] / ours[fmt, "1MB"]
            print(f"{fmt}: inspect 20 MB / 1 MB = {growth:.2f}x (target <= {TARGET_20MB_VS_1MB}x)")
            if growth > TARGET_20MB_VS_1MB:
                failures.append(f"{fmt}: 20 MB is {growth:.2f}x the 1 MB time")
    for failure in failures:
        print("MISSED:", failure)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
