"""`batch` streams its file: peak memory does not grow with the file.

Two checks:

* always: in-process, tracemalloc peaks of a few-MB file and one 8x larger are the same (a
  scaled test: what a 1 GB file would show, in a second);
* opt-in, ``OVE_BATCH_MEMORY_MB=1024 pytest tests/unit/test_batch_memory.py``: the real command
  in a subprocess on a generated file of that many MB, peak RSS compared with a file 16x smaller
  (about two minutes for 1 GB on a 2-core machine).
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from _private import cli
from click.testing import CliRunner
from PIL import Image


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


BIG_MB = int(os.environ.get("OVE_BATCH_MEMORY_MB", "0"))

_RSS_PROBE = """
import resource, subprocess, sys
proc = subprocess.run(
    [sys.executable, "-m", "openai_vision_ext", "batch", sys.argv[1], "--json"],
    stdout=subprocess.PIPE, check=False,
)
sys.stdout.write(proc.stdout.decode())
sys.stderr.write(f"{proc.returncode} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def _write_big_batch(path: Path, megabytes: int) -> tuple[int, int]:
    """A batch file of about ``megabytes`` MB: 256 distinct image lines, repeated with new ids."""
    templates = [json.loads(_line_json(i)) for i in range(256)]
    n = 0
    with path.open("w") as f:
        while f.tell() < megabytes << 20:
            line = templates[n % len(templates)]
            line["custom_id"] = str(n)
            f.write(json.dumps(line) + "\n")
            n += 1
    return path.stat().st_size, n


def _line_json(i: int) -> str:
    content = [
        {"type": "input_text", "text": f"Describe product {i}."},
        {"type": "input_image", "image_url": _noise_png_url(), "detail": "high"},
    ]
    body = {"model": "gpt-4o", "input": [{"role": "user", "content": content}]}
    return json.dumps({"custom_id": str(i), "method": "POST", "url": "/v1/responses", "body": body})


def _peak_rss_kb(path: Path) -> tuple[int, dict[str, object]]:
    """Peak RSS (KiB) of ``python -m openai_vision_ext batch PATH --json`` in a fresh process."""
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(path)], capture_output=True, text=True, check=True
    )
    code, rss = probe.stderr.split()[-2:]
    assert code == "0", probe.stderr
    return int(rss), json.loads(probe.stdout)


@pytest.mark.skipif(not BIG_MB, reason="set OVE_BATCH_MEMORY_MB=1024 to stream a 1 GB file")
def test_peak_rss_of_the_real_command_is_flat_up_to_a_big_file(tmp_path: Path) -> None:
    """The command's peak RSS on a BIG_MB file is within 16 MB of a 16x smaller one."""
    small_size, small_n = _write_big_batch(tmp_path / "small.jsonl", max(1, BIG_MB // 16))
    small_rss, small_report = _peak_rss_kb(tmp_path / "small.jsonl")
    (tmp_path / "small.jsonl").unlink()
    big_size, big_n = _write_big_batch(tmp_path / "big.jsonl", BIG_MB)
    big_rss, big_report = _peak_rss_kb(tmp_path / "big.jsonl")
    print(
        f"\nbatch peak RSS: {small_size / 2**20:,.0f} MiB file ({small_n:,} lines) -> "
        f"{small_rss / 1024:,.1f} MiB; {big_size / 2**20:,.0f} MiB file ({big_n:,} lines) -> "
        f"{big_rss / 1024:,.1f} MiB"
    )
    assert (small_report["requests"], big_report["requests"]) == (small_n, big_n)
    assert big_rss < small_rss + 16 * 1024
