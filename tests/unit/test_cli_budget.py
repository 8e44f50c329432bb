"""``estimate --max-tokens/--max-usd/--fit [--out DIR]`` and ``estimate --compare``: the fitted
size and detail per image, the written images, and the advice table, as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _private import ExitCode, cli
from click.testing import CliRunner, Result
from PIL import Image

from openai_vision_ext import advise, estimate_image_tokens, fit_size, inspect_image


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_json(*args: str) -> tuple[int, Any]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def save(path: Path, size: tuple[int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 120, 200)).save(path, "PNG")
    return path


def test_max_tokens_prints_the_fit_of_each_image(tmp_path: Path) -> None:
    """Each image's fit is fit_size on its header size; JSON carries the same numbers."""
    a = save(tmp_path / "a.png", (4000, 3000))
    b = save(tmp_path / "b.png", (300, 200))
    code, data = run_json("estimate", str(a), str(b), "-m", "gpt-4o", "--max-tokens", "500")
    assert code == ExitCode.OK
    fits = {Path(f["path"]).name: f for f in data["fits"]}
    for name, (w, h) in {"a.png": (4000, 3000), "b.png": (300, 200)}.items():
        want = fit_size(w, h, model="gpt-4o", max_tokens=500)
        got = fits[name]
        assert (got["width"], got["height"], got["detail"], got["tokens"]) == (
            want.width,
            want.height,
            want.detail,
            want.tokens,
        )
        assert got["tokens"] <= 500
    text = run("estimate", str(a), "-m", "gpt-4o", "--max-tokens", "500").stdout
    want = fit_size(4000, 3000, model="gpt-4o", max_tokens=500)
    assert f"{want.width}x{want.height}" in text
    assert "fit to 500 tokens" in text


def test_out_writes_each_fitted_image_at_its_chosen_size(tmp_path: Path) -> None:
    """--out: one file per fitted image, at the size printed, whose estimate is within budget."""
    src = save(tmp_path / "in" / "photo.png", (4000, 3000))
    out = tmp_path / "out"
    code, data = run_json(
        "estimate", str(src), "-m", "gpt-4.1-mini", "--max-tokens", "800", "--out", str(out)
    )
    assert code == ExitCode.OK
    (written,) = data["written"]
    info = inspect_image(written)
    (fit,) = data["fits"]
    assert (info.width, info.height) == (fit["width"], fit["height"])
    assert (
        estimate_image_tokens(info.width, info.height, model="gpt-4.1-mini", detail=fit["detail"])
        <= 800
    )


def test_an_image_that_cannot_fit_is_a_listed_problem(tmp_path: Path) -> None:
    """Exit code 1 and the cheapest possible cost in the error; other images still fitted."""
    a = save(tmp_path / "a.png", (4000, 3000))
    code, data = run_json("estimate", str(a), "-m", "gpt-4o", "--max-tokens", "50")
    assert code == ExitCode.PROBLEMS
    (fit,) = data["fits"]
    assert "the cheapest is 85 tokens" in fit["error"]


def test_fit_without_a_budget_keeps_what_the_server_keeps(tmp_path: Path) -> None:
    """--fit alone: the largest size the server keeps as sent (no budget)."""
    a = save(tmp_path / "a.png", (4000, 3000))
    code, data = run_json("estimate", str(a), "-m", "gpt-4o", "--fit")
    assert code == ExitCode.OK
    (fit,) = data["fits"]
    assert (fit["width"], fit["height"], fit["detail"]) == (1024, 768, "high")


def test_compare_prints_the_advice_table_without_a_model(tmp_path: Path) -> None:
    """--compare alone: advise() per image, text equal to str(advice), JSON to as_dict()."""
    a = save(tmp_path / "shot.png", (2880, 1800))
    models = "gpt-4o,gpt-4.1-mini,gpt-5.4"
    result = run("estimate", str(a), "--compare", models, "--min-side", "768")
    assert result.exit_code == ExitCode.OK
    advice = advise((2880, 1800), models=models.split(","), min_side=768)
    assert str(advice) in result.stdout
    code, data = run_json("estimate", str(a), "--compare", models, "--min-side", "768")
    assert code == ExitCode.OK
    (entry,) = data["advice"]
    assert {k: v for k, v in entry.items() if k != "path"} == json.loads(
        json.dumps(advice.as_dict())
    )


def test_budget_options_are_checked_before_any_work(tmp_path: Path) -> None:
    """No model with a budget, --out without fitting, an unknown model in --compare: usage (2)."""
    a = save(tmp_path / "a.png", (64, 64))
    assert run("estimate", str(a), "--max-tokens", "5").exit_code == ExitCode.USAGE
    assert run("estimate", str(a)).exit_code == ExitCode.USAGE
    out = str(tmp_path / "o")
    assert run("estimate", str(a), "-m", "gpt-4o", "--out", out).exit_code == ExitCode.USAGE
    assert run("estimate", str(a), "--compare", "gpt-4o,llava").exit_code == ExitCode.USAGE
