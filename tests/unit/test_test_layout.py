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


def _private_imports(path: Path) -> list[str]:
    """Private names of the package that ``path`` imports itself (not through ``_private``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            module = node.module
            if module.startswith("openai_vision_ext._") and not module.endswith("__"):
                found.append(module)
            elif module == "openai_vision_ext":
                found += [
                    f"{module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.endswith("__")
                ]
        elif isinstance(node, ast.Import):
            found += [
                alias.name for alias in node.names if alias.name.startswith("openai_vision_ext._")
            ]
        elif _patches_by_dotted_path(node):
            assert isinstance(node, ast.Call)
            assert isinstance(node.args[0], ast.Constant)
            found.append(str(node.args[0].value))
    return found


def _patches_by_dotted_path(node: ast.AST) -> bool:
    """``monkeypatch.setattr("openai_vision_ext._x.name", ...)``: an import by another name."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("setattr", "delattr")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and node.args[0].value.startswith("openai_vision_ext._")
    )


def test_tests_reach_private_names_only_through_the_private_module() -> None:
    """Tests import public names from the package root and private ones from
    ``tests/_private.py`` alone, so moving a private module edits one file."""
    imports = {
        str(path.relative_to(TESTS)): found
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "_private.py" and (found := _private_imports(path))
    }
    assert imports == {}


def test_the_private_import_check_finds_planted_imports(tmp_path: Path) -> None:
    """The check above can fail: each way of importing a private name is found (a dotted path
    given to ``monkeypatch`` too); public names, dunders and code inside strings (a
    subprocess's program) are not."""
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "from openai_vision_ext import _core, estimate_request, __version__\n"
        "from openai_vision_ext._image import parts\n"
        "from openai_vision_ext.__main__ import main\n"
        "import openai_vision_ext._text\n"
        "monkeypatch.setattr('openai_vision_ext._estimate.X', 1)\n"
        "def test_x():\n"
        "    from openai_vision_ext import _walk\n"
        "    code = 'from openai_vision_ext import _text'\n"
    )
    assert sorted(_private_imports(planted)) == [
        "openai_vision_ext._core",
        "openai_vision_ext._estimate.X",
        "openai_vision_ext._image",
        "openai_vision_ext._text",
        "openai_vision_ext._walk",
    ]
