"""`batch` streams its file: peak memory does not grow with the file (tracemalloc check)."""

from __future__ import annotations

import base64
import io
import json
import os
import tracemalloc
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from openai_vision_ext._cli import cli


def _noise_png_url() -> str:
    """A ~12 KB PNG that does not compress (random pixels), as a data URL."""
    img = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _write_batch(path: Path, n_lines: int) -> int:
    with path.open("w") as f:
        for i in range(n_lines):
            content = [
                {"type": "input_text", "text": f"Describe product {i}."},
                {"type": "input_image", "image_url": _noise_png_url(), "detail": "high"},
            ]
            body = {"model": "gpt-4o", "input": [{"role": "user", "content": content}]}
            line = {"custom_id": str(i), "method": "POST", "url": "/v1/responses", "body": body}
            f.write(json.dumps(line) + "\n")
    return path.stat().st_size


def _peak_bytes(path: Path) -> tuple[int, dict[str, object]]:
    runner = CliRunner()
    tracemalloc.start()
    try:
        result = runner.invoke(cli, ["batch", str(path), "--json"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    return peak, json.loads(result.stdout)


def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """A file 8x larger (a few MB, a distinct image per line) peaks at about the same memory:
    lines are read, decoded and dropped one at a time."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    _write_batch(small, 40)
    large_size = _write_batch(large, 320)
    assert large_size > 4_000_000
    # Warm-up, untraced: the tokenizer and rule tables load once, outside the comparison.
    assert CliRunner().invoke(cli, ["batch", str(small)]).exit_code == 0
    small_peak, _ = _peak_bytes(small)
    large_peak, report = _peak_bytes(large)
    assert report["requests"] == 320
    assert large_peak < small_peak * 1.5 + 256_000
    assert large_peak < large_size / 8
