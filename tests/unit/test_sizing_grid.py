"""The newest guide's reference grid (facts/image-token-rules.md, guide V6): every cell a test.

Image tokens only. A cell written ``None`` is an image the API rejects (over 30,000 patches after
sizing, or a detail the model does not support): a preflight violation, never an estimate.
"""

from __future__ import annotations

import functools

import pytest
from _helpers import data_url, encode
from PIL import Image

from openai_vision_ext import (
    ImageRejectedError,
    PreflightError,
    estimate_image_tokens,
    preflight,
    size_image,
    sizing_table,
)

DETAILS = ("low", "high", "original", "auto")

# (model, width, height, low, high, original, auto), transcribed from the reference grid.
GRID: list[tuple[str, int, int, int | None, int | None, int | None, int | None]] = [
    ("gpt-5.6-sol", 1024, 1024, 308, 1229, 1229, 1229),
    ("gpt-5.6-sol", 1800, 2400, 231, 2942, 5130, 5130),
    ("gpt-5.6-sol", 4032, 3024, 231, 2942, 14364, 14364),
    ("gpt-5.6-sol", 4096, 8192, 154, 2458, None, None),
    ("gpt-5.5", 4032, 3024, 231, 2942, 11868, 11868),
    ("gpt-5.5", 4096, 8192, 154, 2458, 11760, 11760),
    *(
        (model, w, h, 3687, 2942, original, 2942)
        for model in ("gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano")
        for w, h, original in ((1800, 2400, 5130), (4032, 3024, 11868))
    ),
    ("gpt-5.2", 1800, 2400, 3687, 3687, None, 3687),
]
CELLS = [
    pytest.param(model, w, h, detail, tokens, id=f"{model}-{w}x{h}-{detail}")
    for model, w, h, *per_detail in GRID
    for detail, tokens in zip(DETAILS, per_detail, strict=True)
]


@pytest.mark.parametrize(("model", "width", "height", "detail", "tokens"), CELLS)
def test_reference_grid_cell(
    model: str, width: int, height: int, detail: str, tokens: int | None
) -> None:
    """Each cell of the guide's grid: the tokens, or a rejection with a reason."""
    sizing = size_image(width, height, model=model, detail=detail)
    assert sizing.tokens == tokens
    if tokens is None:
        assert sizing.rejected
        with pytest.raises(ImageRejectedError):
            estimate_image_tokens(width, height, model=model, detail=detail)  # type: ignore[arg-type]
    else:
        assert sizing.rejected is None
        assert estimate_image_tokens(width, height, model=model, detail=detail) == tokens  # type: ignore[arg-type]


def test_gpt_6_astra_high_keeps_wide_images() -> None:
    """Guide example: 4096x512 on gpt-6-astra high is 128 x 16 patches (no 2048 px fit)."""
    sizing = size_image(4096, 512, model="gpt-6-astra", detail="high")
    assert (sizing.width, sizing.height, sizing.patches, sizing.tokens) == (4096, 512, 2048, 2458)


@pytest.mark.parametrize(("width", "height"), [(1800, 2400), (2400, 1800)])
def test_1536_patch_budget_takes_the_min_over_both_sides(width: int, height: int) -> None:
    """o4-mini (budget 1,536): both orientations give 1452 patches (1056x1408 / 1408x1056);
    fitting the width alone gave 1,530 for the landscape one."""
    sizing = size_image(width, height, model="o4-mini", detail="high")
    assert sizing.patches == 1452
    assert sorted((sizing.width, sizing.height)) == [1056, 1408]
    assert (sizing.width > sizing.height) == (width > height)


def test_sizing_table_lists_models_and_details() -> None:
    """Every row names the details it accepts; gpt-5.2 has no ``original``."""
    table = sizing_table()
    assert table["gpt-5.2"] == ("low", "high")
    assert table["gpt-5.6"] == ("low", "high", "original")
    assert all(details for details in table.values())


@functools.cache
def _png(width: int, height: int) -> str:
    """A black 1-bit PNG data URL of the given size (small: it compresses to a few KB)."""
    return data_url(encode(Image.new("1", (width, height)), "PNG"))


@pytest.mark.parametrize(
    ("model", "detail", "rejected"),
    [
        ("gpt-5.6-sol", "original", True),  # 32,768 patches > 30,000
        ("gpt-5.6-sol", "auto", True),  # auto = original
        ("gpt-5.6-sol", "high", False),
        ("gpt-5.5", "original", False),  # shrunk to 10,000 patches first
        ("gpt-5.2", "original", True),  # not supported
    ],
)
def test_preflight_reports_rejected_images(model: str, detail: str, rejected: bool) -> None:
    """An image the model rejects is a preflight violation ``image_rejected``, not an estimate."""
    request = {
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "image_url": _png(4096, 8192), "detail": detail}
                ],
            }
        ]
    }
    if not rejected:
        assert preflight(model=model, **request).ok
        return
    with pytest.raises(PreflightError) as info:
        preflight(model=model, **request)
    assert [v.code for v in info.value.violations] == ["image_rejected"]
