"""The command line as users run it: a real process (``python -m`` and the console script).

CliRunner tests (test_cli.py) cover behaviour in depth; these check what only a real process
shows: the entry points, real exit statuses, stdout/stderr separation, and that bad input gives
one ``error:`` line and never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _private import ExitCode
from PIL import Image

SCRIPT = Path(sys.executable).with_name("openai-vision-ext")


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "openai_vision_ext", *args])


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_VISION_EXT_DEBUG"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


def assert_one_error_line(proc: subprocess.CompletedProcess[str], *parts: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images")
    Image.new("RGB", (1024, 1024), (1, 2, 3)).save(root / "square.png")
    (root / "nested").mkdir()
    Image.new("RGB", (512, 512), (1, 2, 3)).save(root / "nested" / "small.jpg", "JPEG")
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 12)
    return root


def test_python_m_estimate_json(images: Path) -> None:
    """``python -m openai_vision_ext estimate`` runs the real command: JSON on stdout, exit 0."""
    proc = run_module(
        "estimate", str(images / "square.png"), "--model", "gpt-4o", "--detail", "high", "--json"
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    report = json.loads(proc.stdout)
    assert report["images"][0]["tokens"] == 765  # 85 + 4 x 170, OpenAI's worked example
    assert proc.stderr == ""


def test_python_m_bad_inputs_give_one_line_and_their_exit_code(
    images: Path, tmp_path: Path
) -> None:
    """Missing file, unknown model, corrupt image, bad JSONL: readable, never a traceback."""
    missing = run_module("batch", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == ExitCode.UNREADABLE_INPUT
    assert_one_error_line(missing, "missing.jsonl", "No such file")

    bad_model = run_module("estimate", str(images), "--model", "gpt-99-vision")
    assert bad_model.returncode == ExitCode.USAGE
    assert_one_error_line(bad_model, "'gpt-99-vision'")

    corrupt = run_module("validate", str(images), "--model", "gpt-4o", "--json")
    assert corrupt.returncode == ExitCode.PROBLEMS
    problems = json.loads(corrupt.stdout)["problems"]
    assert [(Path(p["where"]).name, p["code"]) for p in problems] == [
        ("corrupt.png", "corrupt_image")
    ]

    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(
        '{"url": "/v1/responses", "body": {"model": "gpt-4o", "input": "hi"}}\n{oops\n'
    )
    bad_jsonl = run_module("batch", str(jsonl), "--json")
    assert bad_jsonl.returncode == ExitCode.PROBLEMS
    report = json.loads(bad_jsonl.stdout)
    assert (report["requests"], report["problems"][0]["line_no"]) == (1, 2)
    assert "Traceback" not in bad_jsonl.stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed in this venv")
def test_console_script_estimates_a_directory(images: Path) -> None:
    """The ``openai-vision-ext`` entry point from pyproject works and names itself in --help."""
    proc = _run([str(SCRIPT), "estimate", str(images), "--model", "gpt-4o", "--detail", "high"])
    assert proc.returncode == ExitCode.PROBLEMS  # corrupt.png is listed
    assert "square.png" in proc.stdout
    assert "nested/small.jpg" in proc.stdout
    assert "corrupt.png" in proc.stdout
    assert "2 images" in proc.stdout
    help_proc = _run([str(SCRIPT), "--help"])
    assert help_proc.returncode == 0
    assert help_proc.stdout.startswith("Usage: openai-vision-ext ")
