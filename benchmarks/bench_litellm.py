"""``estimate_request`` vs litellm's ``token_counter`` on a request with one ~2 MB JPEG data URL.

litellm is not a dependency: give the Python of a throwaway virtualenv that has it, e.g.

    python -m venv /tmp/llvenv && /tmp/llvenv/bin/pip install litellm
    python benchmarks/bench_litellm.py /tmp/llvenv/bin/python

Both count the same Chat Completions message (a short text and the image at ``detail=high``)
for ``gpt-4o``; each is timed in its own process as the best of 7 rounds of 20 calls, after one
warm-up call. Target (issue 10): ours at least 10x faster. Exits 1 on a miss, 2 without litellm.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10.0

TIMER = """
import json, sys, time
url = open(sys.argv[1]).read()
messages = [{"role": "user", "content": [
    {"type": "text", "text": "What is in this photo?"},
    {"type": "image_url", "image_url": {"url": url, "detail": "high"}}]}]
count = COUNT
count()
best = float("inf")
for _ in range(7):
    start = time.perf_counter()
    for _ in range(20):
        count()
    best = min(best, (time.perf_counter() - start) / 20)
print(json.dumps({"seconds": best, "tokens": count()}))
"""
OURS = "from openai_vision_ext import estimate_request\n" + TIMER.replace(
    "count = COUNT",
    "count = lambda: estimate_request(model='gpt-4o', messages=messages).input_tokens",
)
THEIRS = "import litellm\n" + TIMER.replace(
    "count = COUNT",
    "count = lambda: litellm.token_counter(model='gpt-4o', messages=messages)",
)


def jpeg_url(n_bytes: int = 2_000_000) -> str:
    """A noise JPEG of about ``n_bytes`` (quality 90 stores ~0.9 byte per noisy pixel), 4:3."""
    width = math.isqrt(int(n_bytes / 0.9 * 4 / 3))
    height = width * 3 // 4
    im = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def run(python: str, code: str, url_file: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [python, "-c", code, url_file], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: bench_litellm.py PYTHON_WITH_LITELLM (see the docstring)")
        return 2
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        url = jpeg_url()
        f.write(url)
    try:
        ours = run(sys.executable, OURS, f.name)
        theirs = run(sys.argv[1], THEIRS, f.name)
    finally:
        os.unlink(f.name)
    ratio = theirs["seconds"] / ours["seconds"]
    print(
        f"image {len(url) * 3 // 4 / 1e6:.2f} MB JPEG: "
        f"estimate_request {ours['seconds'] * 1e6:.0f} us "
        f"({ours['tokens']} tokens) | litellm.token_counter {theirs['seconds'] * 1e6:.0f} us "
        f"({theirs['tokens']} tokens) | ours {ratio:.1f}x faster (target >= {TARGET:g}x) "
        f"{'ok' if ratio >= TARGET else 'MISSED'}"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
