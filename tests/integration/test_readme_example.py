"""The README's client example runs as shown and prints the real bill of the request it makes.

The cassette carries the usage OpenAI billed Mirascope for this very request (mirascope-002: same
text, same 100x100 PNG, detail ``auto``); see ``cassettes/README.md``. Expected lines come from
``cassettes/observations.json`` and the published gpt-4o tile rule, not from our estimator.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from _readme_example import EXAMPLE, OBS_ID
from _scenarios import observations

ROOT = Path(__file__).resolve().parents[2]

GPT_4O_BASE, GPT_4O_PER_TILE, TILE = 85, 170, 512
"""gpt-4o image tokens from OpenAI's vision guide: 85 + 170 per 512 px tile (after scaling)."""


def _expected_output() -> str:
    obs = observations()[OBS_ID]
    (image,) = obs["images"]
    width, height = image["width"], image["height"]
    assert max(width, height) <= 768  # no downscaling step applies: tiles straight from the size
    image_tokens = GPT_4O_BASE + GPT_4O_PER_TILE * math.ceil(width / TILE) * math.ceil(
        height / TILE
    )
    billed = obs["usage"]["input_tokens"]
    # The calibration is exact for this request (tests/unit/test_calibration.py), so the
    # estimate is the bill, and the bill minus the text estimate is the image estimate.
    return (
        f"{obs['response_model']} [({width}, {height}, '{image['detail']}')]\n"
        f"input tokens: estimated {billed} billed {billed}\n"
        f"image tokens: estimated {image_tokens} billed {image_tokens}\n"
    )


def _run_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    if not os.environ.get("OPENAI_API_KEY"):  # a real key is used when re-recording
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    exec(compile(EXAMPLE, "README example", "exec"), {})
    return capsys.readouterr().out


@pytest.fixture
def default_cassette_name() -> str:
    return "readme-example"


@pytest.mark.vcr
def test_example_prints_the_real_bill(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], vcr: object
) -> None:
    """Run unchanged against the replayed response, the example prints the served model, the
    image, and estimated vs billed tokens equal to the observed bill."""
    assert _run_example(monkeypatch, capsys) == _expected_output()
    if getattr(vcr, "record_mode", None) == "none":  # replay (CI), not re-recording
        assert getattr(vcr, "play_count", None) == 1


def _readme_blocks() -> tuple[str, str] | None:
    """The README's example code and the output shown under it (``None`` if not written yet)."""
    text = (ROOT / "README.md").read_text()
    found = re.search(
        r"<!-- example:client -->\n```python\n(.*?)```\n.*?```text\n(.*?)```", text, re.DOTALL
    )
    return (found.group(1), found.group(2)) if found else None


def test_readme_shows_exactly_this_example() -> None:
    """The README's client section shows this code and the output this replay prints."""
    blocks = _readme_blocks()
    if blocks is None:
        pytest.skip("README.md has no ```python/```text blocks under <!-- example:client --> yet")
    code, output = blocks
    assert code == EXAMPLE
    assert output == _expected_output()
