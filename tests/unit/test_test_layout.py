"""The test suite's own shape: client behaviour is one body per behaviour, run on both sides."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _twins(path: Path) -> list[str]:
    """Async tests in ``path`` named ``<a sync test>_async`` beside that sync test."""
    tests = {
        node.name: isinstance(node, ast.AsyncFunctionDef)
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }
    return [
        name
        for name, is_async in tests.items()
        if is_async and name.endswith("_async") and tests.get(name.removesuffix("_async")) is False
    ]


def test_no_sync_test_has_an_async_twin() -> None:
    """A behaviour of both clients is one ``async def`` body taking the ``side`` fixture
    (``tests/_helpers.Side``), not a sync test and an ``_async`` copy that can drift apart."""
    twins = {
        str(path.relative_to(TESTS)): found
        for path in sorted(TESTS.rglob("test_*.py"))
        if (found := _twins(path))
    }
    assert twins == {}


def test_the_twin_check_finds_a_planted_twin(tmp_path: Path) -> None:
    """The check above can fail: a planted sync/async pair is found, a lone async test is not."""
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "def test_x():\n    pass\n\n\nasync def test_x_async():\n    pass\n\n\n"
        "async def test_y_async():\n    pass\n"
    )
    assert _twins(planted) == ["test_x_async"]
